// The TUI's cost on big lists and on a live source (issue 7's target: "a frame renders in at most
// 10 ms for a list with 1 M pages").
//
// The node map alone, on a list of 1 Mi pages (65,536 full nodes): building the NodeMap from the
// list's snapshot (once per snapshot, a walk of every slot), and drawing one 80x50 window into a
// Frame with first_row in the middle of the list. The list is a real VmPageList of this process,
// decoded once through a LiveProcessSource as `vmpl tui` would read it; neither the list nor the
// decoding is timed.
//
//   BM_NodeMapBuild          NodeMap construction (reported also as slots/s)
//   BM_NodeMapRender         Clear + Render of an 80x50 frame at row 32,768
//   BM_NodeMapRenderToText   the same plus ToText, what a golden test or a dump costs
//
// The whole App (tui/include/vmpl/tui/app.h) over a TargetSource of this very process, the way
// `vmpl tui --pid` reads another one (process_vm_readv, the registry at &vmpl_registry). The lists
// hold real pages from the PageAllocator (1 Mi vm_page_t, 48 MiB), not markers; each benchmark
// registers only the list it is about, so the App reads nothing else.
//
//   BM_AppFrame/W/H          Render of a WxH frame (every pane, title and status line), the big
//                            list selected and its node in the middle of the list selected:
//                            Prepare (layout, the vm_page_t cache looked up for the page cells in
//                            view) and Draw, what the terminal loop does for each frame
//   BM_AppDraw/W/H           Draw alone, the same screen already prepared: the painting
//   BM_AppFrameIntervals/W/H the same with the Intervals view, on a list of 1 Mi pages with one
//                            zero interval of 2^30 pages in the middle of its offsets
//   BM_AppRefresh            one Tick that reads the source: the registry and the 1 Mi-page list
//                            decoded through process_vm_readv, then the lists table, node map
//                            and intervals rebuilt (pages/s as items)
//   BM_AppRefreshReadOnly    the source's Read alone, the part of BM_AppRefresh that is not the
//                            App's
//   BM_SimAlone              the demo's simulator (seed 1, 8 VMOs, 16384 pages) flat out for 2 s
//                            with no tracing and no TUI: the baseline for BM_DemoLive's steps/s
//   BM_DemoLive              the demo source flat out (DemoOptions rate 0, the simulator on its
//                            own thread) watched by an App that ticks and renders a 160x48 frame
//                            every 20 ms for 2 s, as the terminal loop does; counters: the
//                            simulator's steps/s, events/s delivered to the App, events lost,
//                            frames/s, mean and max frame time (Tick + Render)
//
//   BM_RingEventStreamPoll   the viewer's cost per event: a simulator run's events read from a
//                            ring, resolved to their lists and logged (items: events)
//
//   cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DVMPL_DEBUG_ASSERTS=OFF
//   cmake --build build/release -j2 --target tui_bench
//   ./build/release/bench/tui_bench

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_allocator.h>
#include <vmpl/registry.h>
#include <vmpl/sim.h>
#include <vmpl/tui/app.h>
#include <vmpl/tui/frame.h>
#include <vmpl/tui/node_map.h>
#include <vmpl/tui/ring_event_stream.h>
#include <vmpl/trace.h>
#include <vmpl/trace_ring.h>
#include <vmpl/tui/source_factory.h>
#include <vmpl/trace_clock.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

namespace {

constexpr uint64_t kPages = uint64_t{1} << 20;
constexpr int kWidth = 80;
constexpr int kHeight = 50;

// The snapshot of a list of kPages pages, made the first time it is needed. The list itself is
// freed as soon as it has been decoded: the snapshot holds copies of its slots.
const vmpl::SnapshotList& BigSnapshot() {
  static const vmpl::SnapshotList snapshot = [] {
    VmPageList list;
    for (uint64_t p = 0; p < kPages; p++) {
      auto [slot, in_interval] =
          list.LookupOrAllocate(p * PAGE_SIZE, VmPageList::IntervalHandling::NoIntervals);
      if (slot == nullptr) {
        std::fprintf(stderr, "tui_bench: out of memory building the list\n");
        std::exit(1);
      }
      *slot = VmPageOrMarker::Page(vmpl::PageAllocator::Get().AllocPage());
    }
    vmpl::inspect::LiveProcessSource memory(getpid());
    vmpl::SnapshotList s = vmpl::inspect::DecodePageList(
        memory, reinterpret_cast<uintptr_t>(&list), vmpl::inspect::BuiltinDecodeLayout());
    list.RemoveAllContent(
        [](VmPageOrMarker&& p) { vmpl::PageAllocator::Get().FreePage(p.ReleasePage()); });
    if (s.nodes.size() != kPages / VmPageListNode::kPageFanOut || !s.problems.empty()) {
      std::fprintf(stderr, "tui_bench: decoded %zu nodes, %zu problems\n", s.nodes.size(),
                   s.problems.size());
      std::exit(1);
    }
    return s;
  }();
  return snapshot;
}

void BM_NodeMapBuild(benchmark::State& state) {
  const vmpl::SnapshotList& s = BigSnapshot();
  for (auto _ : state) {
    vmpl::tui::NodeMap map(s);
    benchmark::DoNotOptimize(map);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(s.nodes.size() * 16));
}
BENCHMARK(BM_NodeMapBuild)->Unit(benchmark::kMillisecond);

void BM_NodeMapRender(benchmark::State& state) {
  const vmpl::tui::NodeMap map(BigSnapshot());
  vmpl::tui::Frame frame(kWidth, kHeight);
  const size_t middle = map.rows() / 2;
  for (auto _ : state) {
    frame.Clear();
    map.Render(frame, 0, 0, kWidth, kHeight, middle, middle + 3);
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_NodeMapRender)->Unit(benchmark::kMicrosecond);

void BM_NodeMapRenderToText(benchmark::State& state) {
  const vmpl::tui::NodeMap map(BigSnapshot());
  vmpl::tui::Frame frame(kWidth, kHeight);
  const size_t middle = map.rows() / 2;
  for (auto _ : state) {
    frame.Clear();
    map.Render(frame, 0, 0, kWidth, kHeight, middle, middle + 3);
    benchmark::DoNotOptimize(frame.ToText());
  }
}
BENCHMARK(BM_NodeMapRenderToText)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------
// The App

// A page list of this process that lives as long as the benchmark program: kPages real pages at
// pages 0 .. kPages - 1, or (|interval|) kPages / 2 pages, a dirty zero interval of 2^30 pages,
// then kPages / 2 pages. Registered only while a Registration of it is alive.
class BigList {
 public:
  static BigList& Pages() {
    static BigList* list = new BigList(false);
    return *list;
  }
  static BigList& WithInterval() {
    static BigList* list = new BigList(true);
    return *list;
  }

  // The list is in the registry while this lives.
  vmpl::ScopedRegistration Register() const {
    return vmpl::ScopedRegistration(&list_, interval_ ? "bench:interval" : "bench:pages");
  }
  // The VMO byte offset of the node in the middle of the list (in the interval list, the
  // interval's start).
  static uint64_t middle() { return (kPages / 2) * PAGE_SIZE; }

 private:
  explicit BigList(bool interval) : interval_(interval) {
    constexpr uint64_t kIntervalPages = uint64_t{1} << 30;
    const uint64_t half = kPages / 2;
    for (uint64_t i = 0; i < kPages; i++) {
      const uint64_t page = interval && i >= half ? i + kIntervalPages : i;
      auto [slot, in_interval] =
          list_.LookupOrAllocate(page * PAGE_SIZE, VmPageList::IntervalHandling::NoIntervals);
      if (slot == nullptr) {
        std::fprintf(stderr, "tui_bench: out of memory building the list\n");
        std::exit(1);
      }
      *slot = VmPageOrMarker::Page(vmpl::PageAllocator::Get().AllocPage());
    }
    if (interval && list_.AddZeroInterval(half * PAGE_SIZE, (half + kIntervalPages) * PAGE_SIZE,
                                          VmPageOrMarker::IntervalDirtyState::Dirty) != ZX_OK) {
      std::fprintf(stderr, "tui_bench: AddZeroInterval failed\n");
      std::exit(1);
    }
  }

  VmPageList list_;
  bool interval_;
};

// An App over a TargetSource of this process, read once.
std::unique_ptr<vmpl::tui::App> OpenSelf(std::string* error) {
  vmpl::tui::SourceOptions options;
  options.kind = vmpl::tui::SourceOptions::Kind::kPid;
  options.bpf_events = false;  // this process reads itself
  options.target.pid = getpid();
  options.target.registry = reinterpret_cast<uintptr_t>(&vmpl_registry);
  std::unique_ptr<vmpl::tui::Source> source = vmpl::tui::OpenTargetSource(options, error);
  if (!source) {
    return nullptr;
  }
  auto app = std::make_unique<vmpl::tui::App>(std::move(source));
  app->Tick(vmpl::trace::MonotonicNs());
  return app;
}

// Types |text| into |app|, one key each.
void Type(vmpl::tui::App& app, const std::string& text) {
  for (char c : text) {
    app.Handle(vmpl::tui::Input::Char(static_cast<char32_t>(c)));
  }
}

// Selects the node at |list|'s middle offset with the `g` prompt, as a user would.
void GotoMiddle(vmpl::tui::App& app, const BigList& list) {
  app.Handle(vmpl::tui::Input::Char(U'g'));
  Type(app, fmt::format("{:x}", list.middle()));
  app.Handle(vmpl::tui::Input::Key(vmpl::tui::Input::Type::kEnter));
}

bool CheckNodes(benchmark::State& state, const vmpl::tui::App& app, size_t nodes) {
  const vmpl::SnapshotList* list = app.selected_list();
  if (list == nullptr || list->nodes.size() < nodes || app.snapshot().problem_count() != 0) {
    state.SkipWithError("the App did not read the big list whole");
    return false;
  }
  return true;
}

// An App over |big| alone, its middle node selected (and the intervals view, if |intervals|);
// null, the benchmark skipped with the reason, if it could not be opened or read.
std::unique_ptr<vmpl::tui::App> OpenAtMiddle(benchmark::State& state, BigList& big,
                                             bool intervals) {
  std::string error;
  std::unique_ptr<vmpl::tui::App> app = OpenSelf(&error);
  if (!app) {
    state.SkipWithError(error.c_str());
    return nullptr;
  }
  if (!CheckNodes(state, *app, kPages / VmPageListNode::kPageFanOut)) {
    return nullptr;
  }
  GotoMiddle(*app, big);
  if (intervals) {
    app->Handle(vmpl::tui::Input::Char(U'v'));
  }
  return app;
}

void AppFrame(benchmark::State& state, BigList& big, bool intervals) {
  const vmpl::ScopedRegistration registration = big.Register();
  std::unique_ptr<vmpl::tui::App> app = OpenAtMiddle(state, big, intervals);
  if (!app) {
    return;
  }
  vmpl::tui::Frame frame(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) {
    app->Render(frame);
    benchmark::DoNotOptimize(frame);
  }
  state.counters["nodes"] = static_cast<double>(app->selected_list()->nodes.size());
  state.counters["selected_node"] = static_cast<double>(app->selected_node());
}

void BM_AppFrame(benchmark::State& state) { AppFrame(state, BigList::Pages(), false); }
BENCHMARK(BM_AppFrame)->Args({200, 60})->Args({120, 40})->Unit(benchmark::kMicrosecond);

void BM_AppDraw(benchmark::State& state) {
  const vmpl::ScopedRegistration registration = BigList::Pages().Register();
  std::unique_ptr<vmpl::tui::App> app = OpenAtMiddle(state, BigList::Pages(), false);
  if (!app) {
    return;
  }
  vmpl::tui::Frame frame(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  app->Prepare(frame.width(), frame.height());
  for (auto _ : state) {
    app->Draw(frame);
    benchmark::DoNotOptimize(frame);
  }
}
BENCHMARK(BM_AppDraw)->Args({200, 60})->Args({120, 40})->Unit(benchmark::kMicrosecond);

void BM_AppFrameIntervals(benchmark::State& state) {
  AppFrame(state, BigList::WithInterval(), true);
}
BENCHMARK(BM_AppFrameIntervals)->Args({200, 60})->Args({120, 40})->Unit(benchmark::kMicrosecond);

void BM_AppRefresh(benchmark::State& state) {
  BigList& big = BigList::Pages();
  const vmpl::ScopedRegistration registration = big.Register();
  std::string error;
  std::unique_ptr<vmpl::tui::App> app = OpenSelf(&error);
  if (!app) {
    state.SkipWithError(error.c_str());
    return;
  }
  if (!CheckNodes(state, *app, kPages / VmPageListNode::kPageFanOut)) {
    return;
  }
  GotoMiddle(*app, big);
  // Each Tick is a refresh interval after the last (and after three times the last read's
  // cost, which the App also waits for), so every one reads.
  uint64_t now = vmpl::trace::MonotonicNs();
  for (auto _ : state) {
    now += 1'000'000'000'000;
    if (!app->Tick(now)) {
      state.SkipWithError("a Tick did not read");
      return;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kPages));
}
BENCHMARK(BM_AppRefresh)->Unit(benchmark::kMillisecond);

// BM_AppRefresh's read alone: the TargetSource's Read of the same list, without the App's views.
void BM_AppRefreshReadOnly(benchmark::State& state) {
  const vmpl::ScopedRegistration registration = BigList::Pages().Register();
  vmpl::tui::SourceOptions options;
  options.kind = vmpl::tui::SourceOptions::Kind::kPid;
  options.bpf_events = false;  // this process reads itself
  options.target.pid = getpid();
  options.target.registry = reinterpret_cast<uintptr_t>(&vmpl_registry);
  std::string error;
  std::unique_ptr<vmpl::tui::Source> source = vmpl::tui::OpenTargetSource(options, &error);
  if (!source) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    vmpl::Snapshot snapshot = source->Read();
    benchmark::DoNotOptimize(snapshot);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kPages));
}
BENCHMARK(BM_AppRefreshReadOnly)->Unit(benchmark::kMillisecond);

// The simulator's step count at the App's last read ("demo (seed 1, flat out): step 123").
uint64_t DemoSteps(const vmpl::tui::App& app) {
  const std::string& source = app.snapshot().source;
  const size_t at = source.rfind("step ");
  return at == std::string::npos ? 0 : std::strtoull(source.c_str() + at + 5, nullptr, 10);
}

constexpr double kLiveSeconds = 2.0;

void BM_SimAlone(benchmark::State& state) {
  for (auto _ : state) {
    // The demo's simulator (tui/src/demo_source.cc, SimConfigFor) with DemoOptions' defaults.
    const vmpl::tui::DemoOptions demo;
    vmpl::sim::SimConfig config;
    config.seed = demo.seed;
    config.vmos = demo.vmos;
    config.page_budget = demo.page_budget;
    vmpl::sim::Simulator sim(config);
    vmpl::sim::RunLimits limits;
    limits.duration_s = kLiveSeconds;
    const vmpl::sim::RunResult result = sim.Run(limits);
    state.counters["sim_steps_per_s"] = static_cast<double>(result.steps) / result.elapsed_s;
  }
}
BENCHMARK(BM_SimAlone)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

void BM_DemoLive(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  for (auto _ : state) {
    vmpl::tui::DemoOptions demo;
    demo.rate = 0;
    std::string error;
    std::unique_ptr<vmpl::tui::Source> source = vmpl::tui::OpenDemoSource(demo, &error);
    if (!source) {
      state.SkipWithError(error.c_str());
      return;
    }
    vmpl::tui::App app(std::move(source));
    vmpl::tui::Frame frame(160, 48);
    const uint64_t start = vmpl::trace::MonotonicNs();
    const Clock::time_point start_clock = Clock::now();
    uint64_t frames = 0;
    uint64_t frame_ns_total = 0;
    uint64_t frame_ns_max = 0;
    uint64_t last_tick = start;
    while (true) {
      const uint64_t before = vmpl::trace::MonotonicNs();
      if (before - start >= static_cast<uint64_t>(kLiveSeconds * 1e9)) {
        break;
      }
      app.Tick(before);
      app.Render(frame);
      const uint64_t cost = vmpl::trace::MonotonicNs() - before;
      last_tick = before;
      frames++;
      frame_ns_total += cost;
      frame_ns_max = std::max(frame_ns_max, cost);
      std::this_thread::sleep_until(start_clock + std::chrono::milliseconds(20 * frames));
    }
    // Steps are those the last read saw, at about the last tick.
    const double read_seconds = static_cast<double>(last_tick - start) / 1e9;
    const double seconds = static_cast<double>(vmpl::trace::MonotonicNs() - start) / 1e9;
    state.counters["sim_steps_per_s"] = static_cast<double>(DemoSteps(app)) / read_seconds;
    state.counters["events_per_s"] = static_cast<double>(app.events().total()) / seconds;
    state.counters["events_lost"] = static_cast<double>(app.events().lost());
    state.counters["frames_per_s"] = static_cast<double>(frames) / seconds;
    state.counters["frame_mean_ms"] = static_cast<double>(frame_ns_total) /
                                      static_cast<double>(std::max<uint64_t>(frames, 1)) / 1e6;
    state.counters["frame_max_ms"] = static_cast<double>(frame_ns_max) / 1e6;
  }
}
BENCHMARK(BM_DemoLive)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// What one event costs the viewer: a simulator run of kPollSteps steps written into a private
// ring big enough to hold all of it, then read, resolved and logged by a RingEventStream, as the
// demo's and a live process's events are. Time per iteration is the whole drain; items are
// events.
constexpr uint64_t kPollSteps = 20000;
void BM_RingEventStreamPoll(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    vmpl::trace::RingOptions options;
    options.shared = false;
    options.capacity = uint64_t{1} << 21;
    options.mode = vmpl::trace::RingMode::kDropNewest;
    std::string error;
    std::unique_ptr<vmpl::trace::Ring> ring = vmpl::trace::Ring::Create(options, &error);
    if (!ring) {
      state.SkipWithError(error.c_str());
      return;
    }
    vmpl::trace::Start(ring.get());
    auto stream = std::make_unique<vmpl::tui::RingEventStream>(
        vmpl::trace::RingReader::AttachInProcess(*ring, &error));
    vmpl::tui::EventLog log;
    vmpl::trace::ServiceRequests();  // the snapshot (of nothing yet) the stream asked for
    {
      vmpl::sim::SimConfig config;
      config.page_budget = 16384;
      vmpl::sim::Simulator sim(config);
      sim.Run({.max_ops = kPollSteps});
      vmpl::trace::Stop();
      state.ResumeTiming();
      const uint64_t lost = stream->Poll(log, SIZE_MAX);
      state.PauseTiming();
      if (lost != 0 || !stream->synced()) {
        state.SkipWithError("the ring lost events or the stream never synced");
      }
      state.counters["events"] = static_cast<double>(log.total());
      state.SetItemsProcessed(state.items_processed() + static_cast<int64_t>(log.total()));
    }
    stream.reset();
    vmpl::trace::Arm(nullptr);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_RingEventStreamPoll)->Unit(benchmark::kMillisecond)->Iterations(5);


}  // namespace

BENCHMARK_MAIN();
