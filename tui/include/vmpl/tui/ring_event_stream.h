// vmpl::tui::RingEventStream: the events of a trace ring (the demo's private ring, or a live
// process's shared one) as the TUI's StreamEvents.
//
// A reader that attaches to a running producer does not know the state the first events apply
// to, so it asks for a snapshot (the producer answers between mutations, vmpl::trace::
// ServiceRequests) and resolves events only from the snapshot on. The snapshot's own records
// build the resolver's state and are not shown. When the ring loses records (a full ring in
// overwrite mode), what follows cannot be resolved reliably: the stream counts the loss, asks for
// a new snapshot and starts again from it.

#ifndef VMPL_TUI_RING_EVENT_STREAM_H_
#define VMPL_TUI_RING_EVENT_STREAM_H_

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <vector>

#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace_ring.h>

#include "vmpl/tui/event_log.h"
#include "vmpl/tui/source.h"

namespace vmpl::tui {

class RingEventStream {
 public:
  explicit RingEventStream(std::unique_ptr<trace::RingReader> reader);

  // Reads at most |max_records| records, adds the resolved events after the snapshot to |log|,
  // and returns the records lost since the last call.
  uint64_t Poll(EventLog& log, size_t max_records);

  // True once a snapshot was received: events are being shown.
  bool synced() const { return state_ == State::kEvents; }
  // Snapshots asked for since attaching (1 + resyncs after losses).
  uint64_t snapshot_requests() const { return snapshot_requests_; }
  uint64_t events() const { return next_index_; }
  // The ring position reading has reached (records before it are consumed or lost).
  uint64_t position() const { return reader_->position(); }

 private:
  enum class State { kWaiting, kSnapshot, kEvents };

  void Resync();
  uint64_t LostSoFar() const;

  std::unique_ptr<trace::RingReader> reader_;
  std::unique_ptr<inspect::TraceResolver> resolver_;
  EventClock clock_;
  State state_ = State::kWaiting;
  uint64_t lost_seen_ = 0;
  uint64_t next_index_ = 0;
  uint64_t snapshot_requests_ = 0;
  std::vector<trace::ReadRecord> batch_;
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_RING_EVENT_STREAM_H_
