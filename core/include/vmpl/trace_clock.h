// vmpl::trace clock: what an event's timestamp counts, and how to turn it into nanoseconds.
//
// Events are stamped with the CPU's time-stamp counter (rdtsc: about 10 ns here, against 23 ns
// for clock_gettime). A ClockInfo, measured once when tracing starts, travels with the ring header
// and the trace file so that a reader converts ticks to CLOCK_MONOTONIC nanoseconds:
//   ns = base_monotonic_ns + (ticks - base_ticks) * 1e9 / ticks_per_second.

#ifndef VMPL_TRACE_CLOCK_H_
#define VMPL_TRACE_CLOCK_H_

#include <stdint.h>

namespace vmpl::trace {

struct ClockInfo {
  char name[16] = "tsc";          // "tsc" (rdtsc) or "monotonic" (ticks are nanoseconds)
  double ticks_per_second = 1e9;  // measured against CLOCK_MONOTONIC for "tsc"
  uint64_t base_ticks = 0;        // a tick count ...
  uint64_t base_monotonic_ns = 0; // ... and the CLOCK_MONOTONIC time it was read at

  double ToNanoseconds(uint64_t ticks) const {
    return static_cast<double>(base_monotonic_ns) +
           (static_cast<double>(ticks) - static_cast<double>(base_ticks)) * 1e9 / ticks_per_second;
  }
};

// Measures the time-stamp counter against CLOCK_MONOTONIC over about |calibration_ms|
// milliseconds (done once per process and cached; later calls return the cached value).
ClockInfo MeasureClock(int calibration_ms = 20);

// The tick count an event is stamped with now.
uint64_t NowTicks();

// CLOCK_MONOTONIC now, in nanoseconds: what ClockInfo converts ticks to, and what the tools use
// for their own timing (refresh intervals, durations).
uint64_t MonotonicNs();

}  // namespace vmpl::trace

#endif  // VMPL_TRACE_CLOCK_H_
