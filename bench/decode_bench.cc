// Decoding speed of `vmpl inspect`: slots per second from a live process (the target:
// >= 2 M slots/s) beside a walk of the same list in process through PageListAccess (the floor:
// no source, no checks), in the same run. The list is this process's own, read back through a
// real LiveProcessSource (process_vm_readv on our pid).
//
//   ./build/release/bench/decode_bench

#include <benchmark/benchmark.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_list_access.h>

#include <memory>

namespace {

constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * PAGE_SIZE;

// A list of |nodes| full nodes of markers (markers need no page).
std::unique_ptr<VmPageList> MakeList(size_t nodes) {
  auto list = std::make_unique<VmPageList>();
  for (uint64_t offset = 0; offset < nodes * kNodeSpan; offset += PAGE_SIZE) {
    auto [slot, in_interval] =
        list->LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
    *slot = VmPageOrMarker::Marker();
  }
  return list;
}

void Release(VmPageList& list) { list.RemoveAllContent([](VmPageOrMarker&&) {}); }

void BM_InProcessWalk(benchmark::State& state) {
  std::unique_ptr<VmPageList> list = MakeList(static_cast<size_t>(state.range(0)));
  uint64_t slots = 0;
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const VmPageListNode& node : vmpl::PageListAccess::nodes(*list)) {
      for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
        sum += vmpl::PageListAccess::raw(vmpl::PageListAccess::slot(node, i));
      }
      slots += VmPageListNode::kPageFanOut;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["slots_per_s"] =
      benchmark::Counter(static_cast<double>(slots), benchmark::Counter::kIsRate);
  Release(*list);
}
BENCHMARK(BM_InProcessWalk)->Arg(1024)->Arg(65536);

void BM_DecodeLive(benchmark::State& state) {
  std::unique_ptr<VmPageList> list = MakeList(static_cast<size_t>(state.range(0)));
  vmpl::inspect::LiveProcessSource memory(getpid());
  const vmpl::inspect::DecodeLayout layout = vmpl::inspect::BuiltinDecodeLayout();
  uint64_t slots = 0;
  for (auto _ : state) {
    const vmpl::inspect::SnapshotList decoded =
        vmpl::inspect::DecodePageList(memory, reinterpret_cast<uintptr_t>(list.get()), layout);
    if (!decoded.problems.empty() || decoded.nodes.size() != static_cast<size_t>(state.range(0))) {
      state.SkipWithError("the decoded list is not the list");
      break;
    }
    slots += decoded.nodes.size() * VmPageListNode::kPageFanOut;
  }
  state.counters["slots_per_s"] =
      benchmark::Counter(static_cast<double>(slots), benchmark::Counter::kIsRate);
  Release(*list);
}
BENCHMARK(BM_DecodeLive)->Arg(1024)->Arg(65536)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
