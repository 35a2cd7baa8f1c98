// vmpl::inspect::TraceRecorder: drains a trace ring into a trace file.
//
// One recorder serves both ways of recording: `vmpl sim --trace FILE` (the process reads its own
// private ring after every step) and `vmpl trace record --pid PID` (another process reads the
// target's ring in /dev/shm). The ring carries a snapshot the producer writes when asked
// (kSnapshotBegin ... kSnapshotEnd, see <vmpl/trace.h>); the recorder discards what comes before
// the snapshot (its state is unknown to the file), writes the snapshot's records as the file's
// SNAPSHOT chunks and everything after as EVENTS. Losses are the ring's per-producer counters,
// minus what they were when the recorder attached.
//
// Threads: one thread drives a recorder.

#ifndef VMPL_INSPECT_TRACE_RECORDER_H_
#define VMPL_INSPECT_TRACE_RECORDER_H_

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include <vmpl/inspect/trace_file.h>
#include <vmpl/trace_ring.h>

namespace vmpl::inspect {

class TraceRecorder {
 public:
  // Writes |path| with |info| (its clock is taken from the ring). |reader| must outlive the
  // recorder. Returns null and sets |*error| if the file cannot be created.
  static std::unique_ptr<TraceRecorder> Create(trace::RingReader& reader, const std::string& path,
                                               trace::TraceInfo info, std::string* error);

  // Moves everything the ring holds now into the file. Returns the number of records read from
  // the ring (including discarded ones), or -1 if writing failed (see error()).
  int64_t Drain();
  // Writes the final losses and END. The file is complete afterwards.
  bool Finish();
  // Writes the losses so far (a recorder that may be killed calls this now and then).
  bool WriteLosses();

  bool snapshot_started() const { return state_ != State::kWaiting; }
  bool snapshot_done() const { return state_ == State::kEvents; }
  uint64_t discarded() const { return discarded_; }
  uint64_t snapshot_records() const { return writer_->snapshot_records(); }
  uint64_t event_records() const { return writer_->event_records(); }
  // Losses counted by the ring since the recorder attached.
  trace::LossTable Losses() const;
  const std::string& error() const { return writer_->error(); }
  trace::TraceWriter& writer() { return *writer_; }

 private:
  enum class State { kWaiting, kSnapshot, kEvents };
  TraceRecorder() = default;

  trace::RingReader* reader_ = nullptr;
  std::unique_ptr<trace::TraceWriter> writer_;
  State state_ = State::kWaiting;
  uint64_t discarded_ = 0;
  std::vector<trace::ProducerStats> baseline_;
  std::vector<trace::ReadRecord> batch_;
  std::vector<trace::FileRecord> records_;
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TRACE_RECORDER_H_
