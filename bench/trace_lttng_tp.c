// The one translation unit that instantiates the `vmpl_bench` LTTng-UST tracepoint provider
// (trace_lttng_tp.h): it creates the probe code and defines the tracepoint, so trace_bench_lttng
// carries the provider statically and needs no LD_PRELOAD.

#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "trace_lttng_tp.h"
