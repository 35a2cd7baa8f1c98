// The LTTng-UST tracepoint provider `vmpl_bench` that bench/trace_bench.cc puts beside the vmpl
// trace hook: one event, `vmpl_bench:event`, carrying the same payload as a vmpl::trace::Event
// (the object address, the kind, aux and the four arguments: 7 x u64; LTTng adds its own
// timestamp and CPU, as our ring adds the stamp and the CPU).
//
// Built only into trace_bench_lttng, and only when pkg-config finds lttng-ust (bench/
// CMakeLists.txt). The provider is linked statically: trace_lttng_tp.c creates the probes and
// defines the tracepoint, every other file just includes this header and calls
// lttng_ust_tracepoint(vmpl_bench, event, ...). The include-guard shape below (re-read with
// LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ) is the one LTTng's tracepoint machinery requires.

#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER vmpl_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "trace_lttng_tp.h"

#if !defined(VMPL_BENCH_TRACE_LTTNG_TP_H_) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define VMPL_BENCH_TRACE_LTTNG_TP_H_

#include <lttng/tracepoint.h>
#include <stdint.h>

// clang-format off
LTTNG_UST_TRACEPOINT_EVENT(
    vmpl_bench, event,
    LTTNG_UST_TP_ARGS(uint64_t, object, uint64_t, kind, uint64_t, aux,
                      uint64_t, a0, uint64_t, a1, uint64_t, a2, uint64_t, a3),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, object, object)
        lttng_ust_field_integer(uint64_t, kind, kind)
        lttng_ust_field_integer(uint64_t, aux, aux)
        lttng_ust_field_integer(uint64_t, a0, a0)
        lttng_ust_field_integer(uint64_t, a1, a1)
        lttng_ust_field_integer(uint64_t, a2, a2)
        lttng_ust_field_integer(uint64_t, a3, a3)))
// clang-format on

#endif  // VMPL_BENCH_TRACE_LTTNG_TP_H_

#include <lttng/tracepoint-event.h>
