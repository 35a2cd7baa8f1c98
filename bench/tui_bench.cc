// The TUI's node map on a list of 1 Mi pages (65,536 full nodes): building the NodeMap from the
// list's snapshot (once per snapshot, a walk of every slot), and drawing one 80x50 window into a
// Frame with first_row in the middle of the list (once per frame the TUI shows; target: at most
// 10 ms). The list is a real VmPageList of this process, decoded once through a LiveProcessSource
// as `vmpl tui` would read it; neither the list nor the decoding is timed.
//
//   BM_NodeMapBuild          NodeMap construction (reported also as slots/s)
//   BM_NodeMapRender         Clear + Render of an 80x50 frame at row 32,768
//   BM_NodeMapRenderToText   the same plus ToText, what a golden test or a dump costs
//
//   cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DVMPL_DEBUG_ASSERTS=OFF
//   cmake --build build/release -j2 --target tui_bench
//   ./build/release/bench/tui_bench

#include <benchmark/benchmark.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_allocator.h>
#include <vmpl/tui/frame.h>
#include <vmpl/tui/node_map.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr uint64_t kPages = uint64_t{1} << 20;
constexpr int kWidth = 80;
constexpr int kHeight = 50;

// The snapshot of a list of kPages pages, made the first time it is needed. The list itself is
// freed as soon as it has been decoded: the snapshot holds copies of its slots.
const vmpl::inspect::SnapshotList& BigSnapshot() {
  static const vmpl::inspect::SnapshotList snapshot = [] {
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
    vmpl::inspect::SnapshotList s = vmpl::inspect::DecodePageList(
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
  const vmpl::inspect::SnapshotList& s = BigSnapshot();
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

}  // namespace

BENCHMARK_MAIN();
