// RingEventStream (ring_event_stream.h).

#include "vmpl/tui/ring_event_stream.h"

#include <algorithm>

namespace vmpl::tui {
namespace {

constexpr size_t kBatch = 4096;

}  // namespace

RingEventStream::RingEventStream(std::unique_ptr<trace::RingReader> reader)
    : reader_(std::move(reader)) {
  const trace::ClockInfo& clock = reader_->info().clock;
  clock_.ticks_per_second = clock.ticks_per_second;
  clock_.base_ticks = clock.base_ticks;
  clock_.base_ns = clock.base_monotonic_ns;
  lost_seen_ = LostSoFar();
  batch_.resize(kBatch);
  Resync();
}

uint64_t RingEventStream::LostSoFar() const { return reader_->Totals().lost(); }

void RingEventStream::Resync() {
  resolver_ = std::make_unique<inspect::TraceResolver>();
  state_ = State::kWaiting;
  reader_->RequestSnapshot();
  snapshot_requests_++;
}

uint64_t RingEventStream::Poll(EventLog& log, size_t max_records) {
  // Only the events the log will keep are turned into StreamEvents; the others are resolved (the
  // resolver must see every one) and counted. What the ring holds now says which those are;
  // records that arrive during the poll are all kept, which only builds a few more than needed.
  const uint64_t head = reader_->Totals().head;
  const uint64_t available =
      std::min<uint64_t>(head > reader_->position() ? head - reader_->position() : 0, max_records);
  const uint64_t keep_from = available > log.capacity() ? available - log.capacity() : 0;
  uint64_t seen = 0;
  size_t count = 0;
  while (count < max_records) {
    const size_t n = reader_->Read(batch_.data(), std::min(kBatch, max_records - count));
    if (n == 0) {
      break;
    }
    count += n;
    for (size_t i = 0; i < n; i++, seen++) {
      const trace::Event& event = batch_[i].event;
      switch (state_) {
        case State::kWaiting:
          // Events before the snapshot apply to a state this reader never saw.
          if (event.kind == trace::EventKind::kSnapshotBegin) {
            state_ = State::kSnapshot;
          }
          break;
        case State::kSnapshot:
          if (event.kind == trace::EventKind::kSnapshotEnd) {
            state_ = State::kEvents;
          } else {
            resolver_->Apply(event);
          }
          break;
        case State::kEvents: {
          const inspect::Resolution resolution = resolver_->Apply(event);
          if (resolution.dropped) {
            // The list's tracing is off: not shown.
          } else if (seen >= keep_from) {
            log.Add(MakeStreamEvent(*resolver_, resolution, event, next_index_, clock_));
          } else {
            log.Count(event.kind, clock_.ToNs(event.timestamp));
          }
          next_index_++;
          break;
        }
      }
    }
  }
  const uint64_t lost_now = LostSoFar();
  const uint64_t lost = lost_now - std::min(lost_now, lost_seen_);
  lost_seen_ = lost_now;
  if (lost != 0 && state_ != State::kWaiting) {
    Resync();
  }
  return lost;
}

}  // namespace vmpl::tui
