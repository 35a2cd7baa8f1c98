// SimTrace: the tracing side of `vmpl sim` (see sim_trace.h).

#include "sim_trace.h"

#include <vmpl/capture.h>

#include <unistd.h>

#include <fmt/format.h>
#include <vmpl/inspect/trace_replay.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace.h>

namespace vmpl::cli {

std::unique_ptr<SimTrace> SimTrace::Start(const SimTraceOptions& options, const nlohmann::json& run,
                                          std::string* error) {
  std::unique_ptr<SimTrace> session(new SimTrace());
  session->options_ = options;

  trace::RingOptions ring_options;
  ring_options.clock = trace::MeasureClock();
  if (options.shared) {
    ring_options.shared = true;
    ring_options.capacity = options.shm_capacity;
    ring_options.mode =
        options.shm_mode == "drop" ? trace::RingMode::kDropNewest : trace::RingMode::kOverwrite;
  } else {
    // One step writes at most a few thousand events; the ring is drained after each.
    ring_options.shared = false;
    ring_options.capacity = uint64_t{1} << 20;
    ring_options.mode = trace::RingMode::kDropNewest;
  }
  session->ring_ = trace::Ring::Create(ring_options, error);
  if (!session->ring_) {
    return nullptr;
  }

  if (options.shared) {
    // Off until a reader asks: the simulator answers between steps.
    trace::Arm(session->ring_.get());
    return session;
  }

  session->reader_ = trace::RingReader::AttachInProcess(*session->ring_, error);
  if (!session->reader_) {
    return nullptr;
  }
  trace::TraceInfo info = trace::TraceInfo::ForThisProcess("vmpl sim", "0.1.0");
  info.layout = inspect::BuiltinTraceLayout();
  info.extra = nlohmann::json::object({{"sim", run}});
  session->recorder_ =
      inspect::TraceRecorder::Create(*session->reader_, options.file, std::move(info), error);
  if (!session->recorder_) {
    return nullptr;
  }
  trace::Start(session->ring_.get());
  // No list exists yet: the snapshot is empty, and marks where the file's state begins.
  trace::WriteSnapshot();
  session->AfterStep();
  return session;
}

SimTrace::~SimTrace() {
  // Never leave the hooks writing to a ring that is about to go.
  trace::Stop();
  trace::Arm(nullptr);
}

void SimTrace::AfterStep() {
  if (recorder_ && !failed_ && recorder_->Drain() < 0) {
    failed_ = true;
  }
}

uint64_t SimTrace::events_recorded() const {
  return recorder_ ? recorder_->event_records() : 0;
}

SimTraceResult SimTrace::Finish() {
  SimTraceResult result;
  const std::vector<SnapshotList> lists = CaptureRegisteredLists();
  trace::Stop();
  result.lists = lists.size();
  result.digest = ContentDigest(lists);

  if (recorder_) {
    result.path = options_.file;
    if (!failed_ && recorder_->Drain() >= 0 &&
        !inspect::WriteFinalDigest(recorder_->writer(), lists.size(), result.digest)) {
      failed_ = true;
    }
    if (failed_ || !recorder_->Finish()) {
      result.ok = false;
      result.message = recorder_->error();
    }
    result.snapshot_records = recorder_->snapshot_records();
    result.event_records = recorder_->event_records();
    result.lost = recorder_->Losses().Totals().total();
    if (result.lost != 0) {
      result.ok = false;
      result.message = fmt::format("the ring lost {} events", result.lost);
    }
    return result;
  }

  // Shared: a reader keeps its mapping after we exit and unlink the file, so it drains the rest
  // on its own; what the ring lost so far is final (no producer writes any more).
  result.path = ring_->path();
  result.lost = ring_->Totals().lost();
  return result;
}

}  // namespace vmpl::cli
