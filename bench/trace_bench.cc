// What the page-list trace costs: the hooks on every mutation (compiled out, present but off,
// on), replaying and reading a recorded trace, recording in process, and an LTTng-UST tracepoint
// with the same payload beside our hook.
//
// One source, three programs (bench/CMakeLists.txt), because the first baseline cannot live in
// the same binary as what it is the baseline of:
//   trace_bench_untraced  the core built again with VMPL_TRACE_HOOKS=0 (hooks compiled out).
//                         Registers the mutation benchmarks only, as BM_<Mutation>_CompiledOut.
//   trace_bench           the normal core. The mutation benchmarks as BM_<Mutation>_Off (hooks
//                         present, tracing off), _On (a private overwrite-mode ring nobody reads)
//                         and _OnReader (the same ring drained by a reader thread meanwhile);
//                         BM_Event_Hook_* (one bare hook, the payload LTTng gets below) and
//                         BM_EventPart_* (its timestamp and CPU number alone); and the
//                         trace-file benchmarks BM_Trace_* (replay, resolve, read) and
//                         BM_Record_* (in-process recording into a file on /tmp and /dev/shm).
//   trace_bench_lttng     trace_bench plus BM_Event_Lttng, built only where pkg-config finds
//                         lttng-ust: whether its tracepoint is on depends on the LTTng session
//                         scripts/trace_bench.sh sets up around the run (the "enabled" counter
//                         says which it was).
//
// Mutations, each in batches, with benchmark::ClobberMemory after every store so that both builds
// keep every store (otherwise the compiler may drop the first store of a pair when no hook
// separates them, and the baseline would measure less work):
//   StorePair         `*slot = Marker(); *slot = Empty();` on an existing slot (2 events).
//   LookupStoreClear  LookupOrAllocate of an offset in an existing node, then the same pair
//                     (4 events: the operation's begin and end, the two stores).
//   SimStep           one vmpl::sim::Simulator::Step with the default mix, after a warm-up;
//                     fixed iteration counts, so every variant takes exactly the same steps.
// The counters say how many mutations one iteration is (mutations_per_iter), how many events the
// hooks emitted per mutation (events_per_mutation, when on) and what the ring lost (lost). Per
// event and per mutation figures, and the ratios to the baselines, come from
// bench/trace_ratios.py; scripts/trace_bench.sh runs everything and prints its table.

#include <benchmark/benchmark.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/sim.h>
#include <vmpl/trace.h>
#include <vmpl/trace_ring.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#if VMPL_TRACE_HOOKS
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_recorder.h>
#include <vmpl/capture.h>
#include <vmpl/inspect/trace_replay.h>
#include <vmpl/inspect/trace_resolver.h>
#endif

#ifndef VMPL_BENCH_LTTNG
#define VMPL_BENCH_LTTNG 0
#endif
#if VMPL_BENCH_LTTNG
#include "trace_lttng_tp.h"
#endif

namespace {

namespace trace = vmpl::trace;

constexpr uint64_t kPage = PAGE_SIZE;
constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * kPage;

// Mutations per iteration of the StorePair / LookupStoreClear / Event loops.
constexpr int64_t kBatch = 1024;
// LookupStoreClear cycles over this many nodes (a power of two), each holding a marker in slot 0
// so that it is never empty.
constexpr uint64_t kLookupNodes = 64;

// The simulator: seed, warm-up (untimed: clone trees, intervals and the page budget reach their
// steady state, as in bench/sim_bench.cc), steps per iteration and iterations. The iteration
// count is fixed so that every variant, in both binaries, times the same 200000 steps.
constexpr uint64_t kSimSeed = 1;
constexpr uint64_t kSimWarmupSteps = 200000;
constexpr int64_t kSimBatch = 1000;
constexpr int64_t kSimIterations = 200;

// Records a reader thread takes out of the ring per Read.
constexpr size_t kReadBatch = 4096;

#if VMPL_TRACE_HOOKS
constexpr const char* kBuild = VMPL_BENCH_LTTNG ? "lttng" : "traced";
#else
constexpr const char* kBuild = "untraced";
#endif

// ----------------------------------------------------------------------------------------------
// Where the events of a mutation benchmark go.

enum class Tracing {
  kOff,       // tracing off (in trace_bench_untraced: hooks compiled out)
  kOn,        // on, into a private overwrite-mode ring that nobody reads
  kOnReader,  // on, into the same kind of ring, drained concurrently by a reader thread
};

const char* TracingSuffix(Tracing mode) {
  switch (mode) {
    case Tracing::kOff:
      return VMPL_TRACE_HOOKS ? "Off" : "CompiledOut";
    case Tracing::kOn:
      return "On";
    case Tracing::kOnReader:
      return "OnReader";
  }
  return "?";
}

// Sets up |mode| for one benchmark run (untimed) and, at Finish, reports what the hooks emitted.
// The ring has the default size (RingOptions: 2^18 records); a process tracing itself would use
// the same.
class TracingSession {
 public:
  explicit TracingSession(Tracing mode) : mode_(mode) {
    if (mode_ == Tracing::kOff) {
      return;
    }
    trace::RingOptions options;
    options.shared = false;
    options.mode = trace::RingMode::kOverwrite;
    options.clock = trace::MeasureClock();
    ring_ = trace::Ring::Create(options, &error_);
    if (!ring_) {
      return;
    }
    if (mode_ == Tracing::kOnReader) {
      reader_ = trace::RingReader::AttachInProcess(*ring_, &error_);
      if (!reader_) {
        return;
      }
      reader_thread_ = std::thread([this] { ReadUntilStopped(); });
    }
    before_ = ring_->Totals();
    trace::Start(ring_.get());
  }
  ~TracingSession() { Stop(); }
  TracingSession(const TracingSession&) = delete;
  TracingSession& operator=(const TracingSession&) = delete;

  // Empty, or why the session could not be set up (the benchmark then skips with it).
  const std::string& error() const { return error_; }

  // Stops tracing and sets the counters; one iteration of the timed loop was
  // |mutations_per_iter| mutations.
  void Finish(benchmark::State& state, int64_t mutations_per_iter) {
    Stop();
    const int64_t mutations = static_cast<int64_t>(state.iterations()) * mutations_per_iter;
    state.SetItemsProcessed(mutations);
    state.counters["mutations_per_iter"] = static_cast<double>(mutations_per_iter);
    if (!ring_) {
      return;
    }
    const trace::RingTotals after = ring_->Totals();
    const uint64_t events = after.head - before_.head;
    const uint64_t lost = after.lost() - before_.lost();
    state.counters["events_per_mutation"] =
        mutations > 0 ? static_cast<double>(events) / static_cast<double>(mutations) : 0;
    state.counters["events"] = static_cast<double>(events);
    if (mode_ == Tracing::kOnReader) {
      state.counters["delivered"] = static_cast<double>(delivered_);
      state.counters["lost"] = static_cast<double>(lost);
    }
  }

 private:
  void Stop() {
    if (!ring_) {
      return;
    }
    // Off and disarmed: the simulator asks the current ring for requests between steps, and this
    // one goes with the session.
    trace::Stop();
    trace::Arm(nullptr);
    if (reader_thread_.joinable()) {
      stop_.store(true, std::memory_order_release);
      reader_thread_.join();
    }
  }

  // The reader thread: takes records out as fast as they come; once told to stop (tracing is
  // off by then), reads what is left and returns.
  void ReadUntilStopped() {
    std::vector<trace::ReadRecord> batch(kReadBatch);
    for (;;) {
      const bool stopping = stop_.load(std::memory_order_acquire);
      const size_t n = reader_->Read(batch.data(), batch.size());
      delivered_ += n;
      if (n == 0) {
        if (stopping) {
          return;
        }
        std::this_thread::yield();
      }
    }
  }

  Tracing mode_;
  std::string error_;
  std::unique_ptr<trace::Ring> ring_;
  std::unique_ptr<trace::RingReader> reader_;
  std::thread reader_thread_;
  std::atomic<bool> stop_{false};
  uint64_t delivered_ = 0;  // written by the reader thread, read after join
  trace::RingTotals before_;
};

// ----------------------------------------------------------------------------------------------
// The mutations.

// A list whose nodes at offsets 0, kNodeSpan, ... (|nodes| of them) each hold a marker in slot 0,
// so the nodes stay allocated whatever the benchmarks do with slots 1..15.
class AnchoredList {
 public:
  explicit AnchoredList(uint64_t nodes) {
    for (uint64_t i = 0; i < nodes; i++) {
      *list_.LookupOrAllocate(i * kNodeSpan, VmPageList::IntervalHandling::NoIntervals).first =
          VmPageOrMarker::Marker();
    }
  }
  ~AnchoredList() {
    list_.RemoveAllContent([](VmPageOrMarker&&) {});
  }
  AnchoredList(const AnchoredList&) = delete;
  AnchoredList& operator=(const AnchoredList&) = delete;

  VmPageList& list() { return list_; }

 private:
  VmPageList list_;
};

// A store pair on slot 1 of an existing node.
void BM_StorePair(benchmark::State& state, Tracing mode) {
  AnchoredList anchored(1);
  VmPageOrMarker* slot =
      anchored.list().LookupOrAllocate(kPage, VmPageList::IntervalHandling::NoIntervals).first;
  TracingSession session(mode);
  if (!session.error().empty()) {
    state.SkipWithError(session.error().c_str());
    return;
  }
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; i++) {
      *slot = VmPageOrMarker::Marker();
      benchmark::ClobberMemory();
      *slot = VmPageOrMarker::Empty();
      benchmark::ClobberMemory();
    }
  }
  session.Finish(state, kBatch);
}

// LookupOrAllocate of slot 1..8 of one of kLookupNodes existing nodes (visited with a stride, not
// in order), then a store pair on it.
void BM_LookupStoreClear(benchmark::State& state, Tracing mode) {
  AnchoredList anchored(kLookupNodes);
  VmPageList& list = anchored.list();
  TracingSession session(mode);
  if (!session.error().empty()) {
    state.SkipWithError(session.error().c_str());
    return;
  }
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; i++) {
      const uint64_t node = (static_cast<uint64_t>(i) * 7) & (kLookupNodes - 1);
      const uint64_t offset = node * kNodeSpan + (1 + (i & 7)) * kPage;
      VmPageOrMarker* slot =
          list.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals).first;
      *slot = VmPageOrMarker::Marker();
      benchmark::ClobberMemory();
      *slot = VmPageOrMarker::Empty();
      benchmark::ClobberMemory();
    }
  }
  session.Finish(state, kBatch);
}

std::unique_ptr<vmpl::sim::Simulator> WarmedUpSimulator() {
  vmpl::sim::SimConfig config;
  config.seed = kSimSeed;
  auto sim = std::make_unique<vmpl::sim::Simulator>(config);
  sim->Run(vmpl::sim::RunLimits{.max_ops = kSimWarmupSteps});
  return sim;
}

// One simulator step (an action of the default mix and any evictions it needs).
void BM_SimStep(benchmark::State& state, Tracing mode) {
  std::unique_ptr<vmpl::sim::Simulator> sim = WarmedUpSimulator();
  TracingSession session(mode);
  if (!session.error().empty()) {
    state.SkipWithError(session.error().c_str());
    return;
  }
  for (auto _ : state) {
    for (int64_t i = 0; i < kSimBatch; i++) {
      benchmark::DoNotOptimize(sim->Step());
    }
  }
  session.Finish(state, kSimBatch);
}

void RegisterMutationBenchmarks() {
  std::vector<Tracing> modes = {Tracing::kOff};
  if (VMPL_TRACE_HOOKS) {
    modes.push_back(Tracing::kOn);
    modes.push_back(Tracing::kOnReader);
  }
  for (Tracing mode : modes) {
    const std::string suffix = TracingSuffix(mode);
    benchmark::RegisterBenchmark(("BM_StorePair_" + suffix).c_str(), BM_StorePair, mode);
    benchmark::RegisterBenchmark(("BM_LookupStoreClear_" + suffix).c_str(), BM_LookupStoreClear,
                                 mode);
    benchmark::RegisterBenchmark(("BM_SimStep_" + suffix).c_str(), BM_SimStep, mode)
        ->Iterations(kSimIterations)
        ->Unit(benchmark::kMillisecond);
  }
}

#if VMPL_TRACE_HOOKS

// ----------------------------------------------------------------------------------------------
// One bare hook with the payload the LTTng tracepoint below carries (kind, object, aux and four
// arguments), so the two compare like for like.

void BM_Event_Hook(benchmark::State& state, Tracing mode) {
  static uint64_t object;
  TracingSession session(mode);
  if (!session.error().empty()) {
    state.SkipWithError(session.error().c_str());
    return;
  }
  uint64_t n = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; i++) {
      n++;
      VMPL_TRACE_EVENT(kCheckpoint, &object, 7, n, n + 1, n + 2, n + 3);
      benchmark::ClobberMemory();
    }
  }
  session.Finish(state, kBatch);
}

// Two parts of every event's cost, to say where the time of BM_Event_Hook_On goes: the timestamp
// (rdtsc, which a virtual machine may make slow) and the CPU number.
void BM_EventPart_NowTicks(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(trace::NowTicks());
  }
}
void BM_EventPart_SchedGetcpu(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(sched_getcpu());
  }
}

#if VMPL_BENCH_LTTNG
// The LTTng-UST tracepoint vmpl_bench:event (trace_lttng_tp.h), 7 x u64.
void BM_Event_Lttng(benchmark::State& state) {
  static uint64_t object;
  const bool enabled = lttng_ust_tracepoint_enabled(vmpl_bench, event);
  uint64_t n = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; i++) {
      n++;
      lttng_ust_tracepoint(vmpl_bench, event, reinterpret_cast<uintptr_t>(&object),
                           static_cast<uint64_t>(trace::EventKind::kCheckpoint), 7, n, n + 1, n + 2,
                           n + 3);
      benchmark::ClobberMemory();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
  state.counters["mutations_per_iter"] = static_cast<double>(kBatch);
  state.counters["enabled"] = enabled ? 1 : 0;
}
#endif

void RegisterEventBenchmarks() {
  for (Tracing mode : {Tracing::kOff, Tracing::kOn, Tracing::kOnReader}) {
    benchmark::RegisterBenchmark((std::string("BM_Event_Hook_") + TracingSuffix(mode)).c_str(),
                                 BM_Event_Hook, mode);
  }
  benchmark::RegisterBenchmark("BM_EventPart_NowTicks", BM_EventPart_NowTicks);
  benchmark::RegisterBenchmark("BM_EventPart_SchedGetcpu", BM_EventPart_SchedGetcpu);
#if VMPL_BENCH_LTTNG
  benchmark::RegisterBenchmark("BM_Event_Lttng", BM_Event_Lttng);
#endif
}

// ----------------------------------------------------------------------------------------------
// Recording in process, as `vmpl sim --trace FILE` does it: a private drop-newest ring, a
// RingReader and a TraceRecorder writing the file; tracing on and a snapshot of every registered
// list first.

class Recording {
 public:
  static std::unique_ptr<Recording> Start(const std::string& path, uint64_t ring_capacity,
                                          std::string* error) {
    std::unique_ptr<Recording> recording(new Recording());
    trace::RingOptions options;
    options.shared = false;
    options.capacity = ring_capacity;
    options.mode = trace::RingMode::kDropNewest;
    options.clock = trace::MeasureClock();
    recording->ring_ = trace::Ring::Create(options, error);
    if (!recording->ring_) {
      return nullptr;
    }
    recording->reader_ = trace::RingReader::AttachInProcess(*recording->ring_, error);
    if (!recording->reader_) {
      return nullptr;
    }
    trace::TraceInfo info = trace::TraceInfo::ForThisProcess("trace_bench", "0.1.0");
    info.layout = vmpl::inspect::BuiltinTraceLayout();
    recording->recorder_ =
        vmpl::inspect::TraceRecorder::Create(*recording->reader_, path, std::move(info), error);
    if (!recording->recorder_) {
      return nullptr;
    }
    recording->path_ = path;
    trace::Start(recording->ring_.get());
    recording->started_ = true;
    trace::WriteSnapshot();
    if (!recording->Drain()) {
      *error = recording->recorder_->error();
      return nullptr;
    }
    return recording;
  }

  ~Recording() {
    if (started_) {
      trace::Stop();
      trace::Arm(nullptr);
    }
    recorder_.reset();
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;

  // Moves what the ring holds into the file. False if writing failed.
  bool Drain() { return recorder_->Drain() >= 0; }

  // Stops tracing, drains the rest and completes the file. False, with |*error|, if writing
  // failed, or if the ring lost anything and |allow_loss| is false.
  bool Finish(std::string* error, bool allow_loss = false) {
    trace::Stop();
    if (!Drain() || !recorder_->Finish()) {
      *error = "recording: " + recorder_->error();
      return false;
    }
    if (!allow_loss && lost() != 0) {
      *error = "recording: the ring lost " + std::to_string(lost()) + " events";
      return false;
    }
    return true;
  }

  // Events the ring did not deliver since the recording started.
  uint64_t lost() const { return recorder_->Losses().Totals().total(); }

  uint64_t records() const { return recorder_->snapshot_records() + recorder_->event_records(); }
  // Keeps the file when the recording goes (the replay benchmarks read it afterwards).
  void KeepFile() { path_.clear(); }

 private:
  Recording() = default;

  std::unique_ptr<trace::Ring> ring_;
  std::unique_ptr<trace::RingReader> reader_;
  std::unique_ptr<vmpl::inspect::TraceRecorder> recorder_;
  std::string path_;
  bool started_ = false;
};

// Where the recording benchmarks write: the temporary directory (TMPDIR, else /tmp; usually a
// disk) and /dev/shm (memory).
struct OutputDir {
  const char* label;
  std::string path;
};

std::vector<OutputDir> OutputDirs() {
  std::vector<OutputDir> dirs = {{"tmp", std::filesystem::temp_directory_path().string()}};
  std::error_code ignored;
  if (std::filesystem::is_directory("/dev/shm", ignored)) {
    dirs.push_back({"shm", "/dev/shm"});
  }
  return dirs;
}

std::string TemporaryPath(const std::string& dir, const std::string& what) {
  return dir + "/vmpl_trace_bench." + std::to_string(getpid()) + "." + what + ".trace";
}

// The simulator's steps recorded, the process draining after every step (`vmpl sim --trace`).
// The same warm-up and steps as BM_SimStep_*, so BM_SimStep_Off is the baseline.
void BM_Record_Sim(benchmark::State& state, const std::string& dir) {
  std::unique_ptr<vmpl::sim::Simulator> sim = WarmedUpSimulator();
  std::string error;
  std::unique_ptr<Recording> recording =
      Recording::Start(TemporaryPath(dir, "sim"), uint64_t{1} << 20, &error);
  if (!recording) {
    state.SkipWithError(error.c_str());
    return;
  }
  const uint64_t before = recording->records();
  bool ok = true;
  for (auto _ : state) {
    for (int64_t i = 0; i < kSimBatch; i++) {
      benchmark::DoNotOptimize(sim->Step());
      ok &= recording->Drain();
    }
  }
  if (!ok || !recording->Finish(&error)) {
    state.SkipWithError(error.empty() ? "recording: writing failed" : error.c_str());
    return;
  }
  const uint64_t events = recording->records() - before;
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["mutations_per_iter"] = static_cast<double>(kSimBatch);
  state.counters["events"] = static_cast<double>(events);
  state.counters["lost"] = 0;
}

// The same recording with the recorder on a thread of its own, draining while the simulator runs
// (what `vmpl trace record --pid` does from another process), into a ring of the default size.
// Whatever the ring could not hold is counted in "lost" instead of failing the benchmark.
void BM_Record_SimLive(benchmark::State& state, const std::string& dir) {
  std::unique_ptr<vmpl::sim::Simulator> sim = WarmedUpSimulator();
  std::string error;
  std::unique_ptr<Recording> recording =
      Recording::Start(TemporaryPath(dir, "live"), trace::RingOptions{}.capacity, &error);
  if (!recording) {
    state.SkipWithError(error.c_str());
    return;
  }
  const uint64_t before = recording->records();
  std::atomic<bool> stop{false};
  std::atomic<bool> ok{true};
  std::thread recorder([&] {
    while (!stop.load(std::memory_order_acquire)) {
      if (!recording->Drain()) {
        ok = false;
        return;
      }
      std::this_thread::yield();
    }
  });
  for (auto _ : state) {
    for (int64_t i = 0; i < kSimBatch; i++) {
      benchmark::DoNotOptimize(sim->Step());
    }
  }
  stop.store(true, std::memory_order_release);
  recorder.join();
  if (!ok || !recording->Finish(&error, /*allow_loss=*/true)) {
    state.SkipWithError(error.empty() ? "recording: writing failed" : error.c_str());
    return;
  }
  const uint64_t events = recording->records() - before;
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["mutations_per_iter"] = static_cast<double>(kSimBatch);
  state.counters["events"] = static_cast<double>(events);
  state.counters["lost"] = static_cast<double>(recording->lost());
}

// The recording pipeline's ceiling: store pairs as fast as they go, 16384 pairs (32768 events)
// then a drain, so the drop-newest ring never fills.
void BM_Record_StorePairs(benchmark::State& state, const std::string& dir) {
  constexpr int64_t kPairs = 16384;
  AnchoredList anchored(1);
  VmPageOrMarker* slot =
      anchored.list().LookupOrAllocate(kPage, VmPageList::IntervalHandling::NoIntervals).first;
  std::string error;
  std::unique_ptr<Recording> recording =
      Recording::Start(TemporaryPath(dir, "stores"), uint64_t{1} << 20, &error);
  if (!recording) {
    state.SkipWithError(error.c_str());
    return;
  }
  const uint64_t before = recording->records();
  bool ok = true;
  for (auto _ : state) {
    for (int64_t i = 0; i < kPairs; i++) {
      *slot = VmPageOrMarker::Marker();
      benchmark::ClobberMemory();
      *slot = VmPageOrMarker::Empty();
      benchmark::ClobberMemory();
    }
    ok &= recording->Drain();
  }
  if (!ok || !recording->Finish(&error)) {
    state.SkipWithError(error.empty() ? "recording: writing failed" : error.c_str());
    return;
  }
  const uint64_t events = recording->records() - before;
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["mutations_per_iter"] = static_cast<double>(kPairs);
  state.counters["events"] = static_cast<double>(events);
  state.counters["lost"] = 0;
}

// ----------------------------------------------------------------------------------------------
// Reading a recorded trace. The trace is made once, on first use: a fresh simulator (seed 3,
// 200000 steps, as `vmpl sim --seed 3 --ops 200000 --trace FILE`) recorded into a file in the
// temporary directory, with the digest of the state it ends in, which the replay must rebuild.

constexpr uint64_t kTraceSeed = 3;
constexpr uint64_t kTraceSteps = 200000;

struct RecordedTrace {
  std::string path;
  std::string error;
  uint64_t final_digest = 0;
};

// Records the trace (see above). On failure, |error| says why.
RecordedTrace* MakeRecordedTrace() {
  auto* result = new RecordedTrace();
  result->path = TemporaryPath(std::filesystem::temp_directory_path().string(), "replay");
  vmpl::sim::SimConfig config;
  config.seed = kTraceSeed;
  vmpl::sim::Simulator sim(config);
  std::unique_ptr<Recording> recording =
      Recording::Start(result->path, uint64_t{1} << 20, &result->error);
  if (!recording) {
    return result;
  }
  for (uint64_t i = 0; i < kTraceSteps; i++) {
    sim.Step();
    if (!recording->Drain()) {
      break;
    }
  }
  result->final_digest = vmpl::ContentDigest(vmpl::CaptureRegisteredLists());
  if (recording->Finish(&result->error)) {
    recording->KeepFile();
  }
  return result;
}

// Made on first use; the file is removed at exit.
RecordedTrace* g_recorded_trace = nullptr;

const RecordedTrace& GetRecordedTrace() {
  if (g_recorded_trace == nullptr) {
    g_recorded_trace = MakeRecordedTrace();
  }
  return *g_recorded_trace;
}

void RemoveRecordedTrace() {
  if (g_recorded_trace != nullptr) {
    std::error_code ignored;
    std::filesystem::remove(g_recorded_trace->path, ignored);
  }
}

// Opens the recorded trace, or says why not on |state|.
std::unique_ptr<trace::TraceReader> OpenRecordedTrace(benchmark::State& state) {
  const RecordedTrace& recorded = GetRecordedTrace();
  std::string error = recorded.error;
  std::unique_ptr<trace::TraceReader> reader;
  if (error.empty()) {
    reader = trace::TraceReader::Open(recorded.path, &error);
  }
  if (!reader) {
    state.SkipWithError(("recorded trace: " + error).c_str());
  }
  return reader;
}

void SetRecordCounters(benchmark::State& state, const trace::TraceReader& reader) {
  const uint64_t records = reader.snapshot_count() + reader.event_count();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records));
  state.counters["records"] = static_cast<double>(records);
}

// TraceReader::Open (maps the file, checks every chunk's CRC) and one pass over every record.
void BM_Trace_ReadAll(benchmark::State& state) {
  std::unique_ptr<trace::TraceReader> reader = OpenRecordedTrace(state);
  if (!reader) {
    return;
  }
  const std::string path = GetRecordedTrace().path;
  for (auto _ : state) {
    std::string error;
    std::unique_ptr<trace::TraceReader> opened = trace::TraceReader::Open(path, &error);
    if (!opened) {
      state.SkipWithError(error.c_str());
      return;
    }
    uint64_t sum = 0;
    for (const auto* spans : {&opened->snapshot_spans(), &opened->event_spans()}) {
      for (const trace::RecordSpan& span : *spans) {
        for (size_t i = 0; i < span.count; i++) {
          sum += span.data[i].event.timestamp ^ span.data[i].event.object;
        }
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  SetRecordCounters(state, *reader);
}

// TraceResolver alone over every record: which list, node and slot each event is about.
void BM_Trace_Resolve(benchmark::State& state) {
  std::unique_ptr<trace::TraceReader> reader = OpenRecordedTrace(state);
  if (!reader) {
    return;
  }
  std::unique_ptr<vmpl::inspect::TraceResolver> resolver;
  for (auto _ : state) {
    state.PauseTiming();
    resolver.reset();
    resolver = std::make_unique<vmpl::inspect::TraceResolver>(reader->info().layout);
    state.ResumeTiming();
    for (const auto* spans : {&reader->snapshot_spans(), &reader->event_spans()}) {
      for (const trace::RecordSpan& span : *spans) {
        for (size_t i = 0; i < span.count; i++) {
          benchmark::DoNotOptimize(resolver->Apply(span.data[i].event));
        }
      }
    }
  }
  if (resolver && resolver->inconsistencies() != 0) {
    state.SkipWithError(("resolver: " + resolver->first_inconsistency()).c_str());
    return;
  }
  SetRecordCounters(state, *reader);
}

// TraceReplay over every record (snapshot first), as `vmpl trace replay FILE` does: rebuilds
// every list in real VmPageLists. The state it ends in must be the recorded simulator's.
void BM_Trace_Replay(benchmark::State& state) {
  std::unique_ptr<trace::TraceReader> reader = OpenRecordedTrace(state);
  if (!reader) {
    return;
  }
  std::unique_ptr<vmpl::inspect::TraceReplay> replay;
  for (auto _ : state) {
    state.PauseTiming();
    replay.reset();
    replay = std::make_unique<vmpl::inspect::TraceReplay>(reader->info().layout);
    state.ResumeTiming();
    uint64_t index = 0;
    for (const trace::RecordSpan& span : reader->snapshot_spans()) {
      for (size_t i = 0; i < span.count; i++) {
        replay->Apply(span.data[i].event, index++);
      }
    }
    for (const trace::RecordSpan& span : reader->event_spans()) {
      for (size_t i = 0; i < span.count; i++) {
        replay->Apply(span.data[i].event, span.first_index + i);
      }
    }
    replay->Finish(reader->event_count());
  }
  if (!replay) {
    return;
  }
  if (replay->divergences() != 0) {
    state.SkipWithError(("replay diverged: " + replay->first_divergence()).c_str());
    return;
  }
  if (vmpl::ContentDigest(replay->Lists(true)) != GetRecordedTrace().final_digest) {
    state.SkipWithError("replay: the rebuilt state differs from the recorded simulator's");
    return;
  }
  SetRecordCounters(state, *reader);
}

void RegisterTraceFileBenchmarks() {
  for (const OutputDir& dir : OutputDirs()) {
    const std::string label = dir.label;
    benchmark::AddCustomContext("record_dir_" + label, dir.path);
    benchmark::RegisterBenchmark(("BM_Record_Sim/" + label).c_str(), BM_Record_Sim, dir.path)
        ->Iterations(kSimIterations)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_Record_SimLive/" + label).c_str(), BM_Record_SimLive,
                                 dir.path)
        ->Iterations(kSimIterations)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_Record_StorePairs/" + label).c_str(), BM_Record_StorePairs,
                                 dir.path)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_Trace_ReadAll", BM_Trace_ReadAll)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Trace_Resolve", BM_Trace_Resolve)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Trace_Replay", BM_Trace_Replay)->Unit(benchmark::kMillisecond);
}

#endif  // VMPL_TRACE_HOOKS

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::AddCustomContext("vmpl_trace_bench_build", kBuild);
  benchmark::AddCustomContext("VMPL_DEBUG_ASSERTS", VMPL_DEBUG_ASSERTS ? "1" : "0");
  RegisterMutationBenchmarks();
#if VMPL_TRACE_HOOKS
  RegisterEventBenchmarks();
  RegisterTraceFileBenchmarks();
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
#if VMPL_TRACE_HOOKS
  RemoveRecordedTrace();
#endif
  return 0;
}
