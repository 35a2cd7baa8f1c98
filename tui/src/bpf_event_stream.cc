// BpfEventStream (bpf_event_stream.h).

#include "vmpl/tui/bpf_event_stream.h"

namespace vmpl::tui {

BpfEventStream::BpfEventStream(std::unique_ptr<inspect::BpfTracer> tracer)
    : tracer_(std::move(tracer)) {}

uint64_t BpfEventStream::Poll(EventLog& log) {
  // Every event is logged: a uprobe hit costs about a microsecond, so this path carries about a
  // million events a second at most, far less than the log's cost per event allows.
  tracer_->Poll(0, [&](const trace::Event& event) {
    const inspect::Resolution resolution = resolver_.Apply(event);
    if (!resolution.dropped) {
      log.Add(MakeStreamEvent(resolver_, resolution, event, next_index_++, clock_));
    }
  });
  const uint64_t lost = tracer_->lost();
  const uint64_t fresh = lost > lost_seen_ ? lost - lost_seen_ : 0;
  lost_seen_ = lost;
  return fresh;
}

}  // namespace vmpl::tui
