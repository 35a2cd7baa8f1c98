// Tracing a `vmpl sim` run: `--trace FILE` records it in process; `--trace-shm` publishes the
// process's ring in /dev/shm so that `vmpl trace record --pid` (or any RingReader) records it live.
//
// In process, the simulator's own thread drains a private ring into the file after every step,
// in drop-newest mode: a step writes far fewer events than the ring holds, so nothing is lost,
// and if something ever were, it would be counted, never silently overwritten. Shared, the ring
// is armed but off until a reader asks for a snapshot; the simulator answers between steps
// (vmpl::trace::ServiceRequests).
//
// Both end the same way: tracing stops right after the last step, and the state of every
// registered list at that point is summarised by a digest (vmpl::ContentDigest), which a
// replay of the trace must reproduce.

#ifndef VMPL_CLI_SIM_TRACE_H_
#define VMPL_CLI_SIM_TRACE_H_

#include <stdint.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <vmpl/inspect/trace_recorder.h>
#include <vmpl/trace_ring.h>

namespace vmpl::cli {

struct SimTraceOptions {
  std::string file;         // --trace FILE
  bool shared = false;      // --trace-shm
  std::string shm_mode = "overwrite";
  uint64_t shm_capacity = uint64_t{1} << 18;  // records: 16 MiB
  bool active() const { return !file.empty() || shared; }
};

struct SimTraceResult {
  bool ok = true;
  std::string message;      // why it failed, or "" 
  std::string path;         // the file written or the ring published
  uint64_t snapshot_records = 0;
  uint64_t event_records = 0;
  uint64_t lost = 0;        // counted by the ring (in-process: must be 0)
  uint64_t lists = 0;       // registered lists at the end
  uint64_t digest = 0;      // ContentDigest of them
};

class SimTrace {
 public:
  // Sets up the ring (and the file). Call before the simulator exists, so that the trace sees
  // every list from its construction. Returns null and sets |*error| on failure.
  static std::unique_ptr<SimTrace> Start(const SimTraceOptions& options, const nlohmann::json& run,
                                         std::string* error);
  ~SimTrace();

  // After every step: drains the private ring into the file.
  void AfterStep();
  // Stops tracing with the simulator's lists still alive, digests them, and completes the file.
  SimTraceResult Finish();
  // Event records written to the file so far (after AfterStep: every event of the steps run), so
  // that `vmpl trace replay --at` can rebuild the state at a pause.
  uint64_t events_recorded() const;

 private:
  SimTrace() = default;

  SimTraceOptions options_;
  std::unique_ptr<trace::Ring> ring_;
  std::unique_ptr<trace::RingReader> reader_;
  std::unique_ptr<inspect::TraceRecorder> recorder_;
  bool failed_ = false;
};

}  // namespace vmpl::cli

#endif  // VMPL_CLI_SIM_TRACE_H_
