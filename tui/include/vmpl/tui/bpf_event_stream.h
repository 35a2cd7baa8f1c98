// vmpl::tui::BpfEventStream: the events of a live process that has no shared ring, read with BPF
// from its USDT probes (inspect::BpfTracer), as the TUI's StreamEvents.
//
// Unlike a ring, the probes give no snapshot: the resolver starts knowing nothing, so stores into
// nodes that existed before the TUI attached are shown without a list (operations and node
// events name their list and are attributed at once; nodes allocated from then on are followed).

#ifndef VMPL_TUI_BPF_EVENT_STREAM_H_
#define VMPL_TUI_BPF_EVENT_STREAM_H_

#include <stddef.h>
#include <stdint.h>

#include <memory>

#include <vmpl/inspect/bpf_tracer.h>
#include <vmpl/inspect/trace_resolver.h>

#include "vmpl/tui/event_log.h"
#include "vmpl/tui/source.h"

namespace vmpl::tui {

class BpfEventStream {
 public:
  explicit BpfEventStream(std::unique_ptr<inspect::BpfTracer> tracer);

  // Adds what the BPF ring holds to |log|; returns the events the kernel could not store since
  // the last call.
  uint64_t Poll(EventLog& log);

 private:
  std::unique_ptr<inspect::BpfTracer> tracer_;
  inspect::TraceResolver resolver_;
  EventClock clock_;  // bpf_ktime_get_ns(): ticks are CLOCK_MONOTONIC nanoseconds
  uint64_t next_index_ = 0;
  uint64_t lost_seen_ = 0;
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_BPF_EVENT_STREAM_H_
