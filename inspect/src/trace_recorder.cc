// TraceRecorder: ring -> trace file. See trace_recorder.h.

#include <vmpl/inspect/trace_recorder.h>

#include <algorithm>
#include <map>

namespace vmpl::inspect {

using trace::EventKind;

namespace {

constexpr size_t kBatch = 4096;

const char* RingModeName(trace::RingMode mode) {
  return mode == trace::RingMode::kDropNewest ? "drop" : "overwrite";
}

}  // namespace

std::unique_ptr<TraceRecorder> TraceRecorder::Create(trace::RingReader& reader,
                                                     const std::string& path,
                                                     trace::TraceInfo info, std::string* error) {
  const trace::RingInfo& ring = reader.info();
  info.clock.name = ring.clock.name;
  info.clock.ticks_per_second = ring.clock.ticks_per_second;
  info.clock.base_ticks = ring.clock.base_ticks;
  info.clock.base_monotonic_ns = ring.clock.base_monotonic_ns;
  info.ring = trace::TraceRing{RingModeName(ring.mode), ring.capacity};
  std::unique_ptr<trace::TraceWriter> writer = trace::TraceWriter::Create(path, info, error);
  if (!writer) {
    return nullptr;
  }
  std::unique_ptr<TraceRecorder> recorder(new TraceRecorder());
  recorder->reader_ = &reader;
  recorder->writer_ = std::move(writer);
  recorder->baseline_ = reader.Producers();
  recorder->batch_.resize(kBatch);
  recorder->records_.reserve(kBatch);
  return recorder;
}

int64_t TraceRecorder::Drain() {
  int64_t total = 0;
  for (;;) {
    const size_t n = reader_->Read(batch_.data(), batch_.size());
    total += static_cast<int64_t>(n);
    // Records of one batch may straddle the snapshot's edges: flush at each edge.
    records_.clear();
    auto flush = [this](State as) {
      if (records_.empty()) {
        return true;
      }
      const bool ok = as == State::kSnapshot
                          ? writer_->AppendSnapshot(records_.data(), records_.size())
                          : writer_->AppendEvents(records_.data(), records_.size());
      records_.clear();
      return ok;
    };
    for (size_t i = 0; i < n; i++) {
      const trace::ReadRecord& read = batch_[i];
      const EventKind kind = read.event.kind;
      if (state_ == State::kWaiting) {
        if (kind != EventKind::kSnapshotBegin) {
          discarded_++;
          continue;
        }
        state_ = State::kSnapshot;
      }
      records_.push_back(trace::FileRecord{read.producer, 0, read.event});
      if (state_ == State::kSnapshot && kind == EventKind::kSnapshotEnd) {
        if (!flush(State::kSnapshot)) {
          return -1;
        }
        state_ = State::kEvents;
      }
    }
    if (!flush(state_)) {
      return -1;
    }
    if (n < batch_.size()) {
      return total;
    }
  }
}

trace::LossTable TraceRecorder::Losses() const {
  std::map<uint32_t, trace::ProducerStats> before;
  for (const trace::ProducerStats& stats : baseline_) {
    before[stats.index] = stats;
  }
  trace::LossTable table;
  for (const trace::ProducerStats& now : reader_->Producers()) {
    const trace::ProducerStats& then = before[now.index];
    trace::ProducerLosses losses;
    losses.index = now.index;
    losses.tid = now.tid;
    losses.counts.overwritten = now.overwritten - then.overwritten;
    losses.counts.dropped = now.dropped - then.dropped;
    losses.counts.abandoned = now.abandoned - then.abandoned;
    losses.counts.blocked = now.blocked - then.blocked;
    losses.counts.commit_failed = now.commit_failed - then.commit_failed;
    table.producers.push_back(losses);
  }
  return table;
}

bool TraceRecorder::WriteLosses() { return writer_->WriteLosses(Losses()); }

bool TraceRecorder::Finish() {
  if (Drain() < 0) {
    return false;
  }
  return writer_->WriteLosses(Losses()) && writer_->Finish();
}

}  // namespace vmpl::inspect
