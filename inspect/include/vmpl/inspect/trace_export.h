// vmpl::inspect trace exports: a trace file as a timeline other tools open.
//
//   - Chrome trace JSON (the Trace Event Format that chrome://tracing, Perfetto's UI and its trace
//     processor read): operations as B/E duration events on one thread track per producer, other
//     events as thread-scoped instants whose args name the list, node offset and slot, one counter
//     track per list (nodes, pages, references, markers, intervals, interval sentinels), and
//     metadata events naming the process and its threads. Timestamps are microseconds on the
//     recording machine's CLOCK_MONOTONIC (the trace clock converted), with nanosecond decimals.
//   - FXT, the Fuchsia Trace Format (Perfetto reads it natively and it is several times smaller):
//     a magic number record, provider info and section, an initialization record (ticks are
//     nanoseconds), kernel object records naming the process and threads, string and thread
//     records (events refer to the tables, not to inline copies), then duration begin/end, instant
//     and counter event records with typed arguments.
//
// Both are written streaming from one pass (RunTimeline in <vmpl/inspect/trace_timeline.h>): memory
// does not grow with the trace; output goes to an ExportWrite in blocks of about 1 MiB.

#ifndef VMPL_INSPECT_TRACE_EXPORT_H_
#define VMPL_INSPECT_TRACE_EXPORT_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_timeline.h>

#include <functional>
#include <string>

namespace vmpl::inspect {

// Receives the output, block by block, in order. Returns false if the bytes could not be written;
// the export then stops and fails with |error| as set by the callee.
using ExportWrite = std::function<bool(const char* data, size_t size, std::string* error)>;

struct ExportOptions {
  bool slot_stores = true;  // slot stores as instants (most of a trace; off for a lighter file)
  std::function<void(uint64_t, uint64_t)> progress;  // as TimelineOptions::progress
};

struct ExportStats {
  TimelineStats timeline;
  uint64_t bytes = 0;  // written
};

// Event::timestamp as nanoseconds of the recording machine's CLOCK_MONOTONIC (the exports' time
// base), clamped to [0, 2^63).
inline uint64_t TimestampNanoseconds(const trace::TraceClock& clock, uint64_t ticks) {
  const double delta = static_cast<double>(static_cast<int64_t>(ticks - clock.base_ticks)) * 1e9 /
                       clock.ticks_per_second;
  const double ns = static_cast<double>(clock.base_monotonic_ns) + delta;
  if (!(ns > 0)) {
    return 0;
  }
  constexpr double kMax = 9.2e18;
  return ns >= kMax ? static_cast<uint64_t>(kMax) : static_cast<uint64_t>(ns);
}

// Write the whole trace in the format; false and |error| if |write| failed.
bool ExportChrome(const trace::TraceReader& reader, const ExportOptions& options,
                  const ExportWrite& write, ExportStats* stats, std::string* error);
bool ExportFxt(const trace::TraceReader& reader, const ExportOptions& options,
               const ExportWrite& write, ExportStats* stats, std::string* error);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TRACE_EXPORT_H_
