// Throughput of the canary scan (`vmpl inspect --scan`): bytes per second over this process's
// heap with about a million pages of lists in it (16 lists of 4096 full nodes of markers, 64 Ki
// nodes), read back through a real LiveProcessSource (process_vm_readv on our pid). Beside it,
// in the same run, the same regions read in the same chunks and not looked at: the floor that
// the reads alone set.
//
//   ./build/release/bench/scan_bench

#include <benchmark/benchmark.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/canary_scan.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_list_access.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace {

constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * PAGE_SIZE;
constexpr size_t kLists = 16;
constexpr size_t kNodesPerList = 4096;  // 16 * 4096 nodes * 16 slots = 1 Mi pages

struct Heap {
  std::vector<std::unique_ptr<VmPageList>> lists;
  std::vector<vmpl::inspect::MemoryRegion> regions;  // the regions that hold the nodes

  Heap() {
    std::vector<uint64_t> nodes;
    for (size_t l = 0; l < kLists; l++) {
      auto list = std::make_unique<VmPageList>();
      for (uint64_t offset = 0; offset < kNodesPerList * kNodeSpan; offset += PAGE_SIZE) {
        auto [slot, in_interval] =
            list->LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
        *slot = VmPageOrMarker::Marker();
      }
      for (const VmPageListNode& node : vmpl::PageListAccess::nodes(*list)) {
        nodes.push_back(reinterpret_cast<uintptr_t>(&node));
      }
      lists.push_back(std::move(list));
    }
    for (const auto& region : vmpl::inspect::LiveProcessSource(getpid()).Regions()) {
      for (uint64_t node : nodes) {
        if (node >= region.start && node < region.end) {
          regions.push_back(region);
          break;
        }
      }
    }
  }
};

// Built once, on first use, and kept until the process exits.
Heap& TheHeap() {
  static Heap* heap = new Heap();
  return *heap;
}

void BM_Scan(benchmark::State& state) {
  Heap& heap = TheHeap();
  vmpl::inspect::LiveProcessSource memory(getpid());
  vmpl::inspect::ScanOptions options;
  options.ranges = heap.regions;
  const vmpl::inspect::DecodeLayout layout = vmpl::inspect::BuiltinDecodeLayout();
  uint64_t bytes = 0;
  size_t found = 0;
  for (auto _ : state) {
    const vmpl::inspect::ScanResult result =
        vmpl::inspect::ScanForPageLists(memory, layout, options);
    bytes += result.bytes_scanned;
    found = result.lists.size();
    state.counters["candidates"] = static_cast<double>(result.candidate_nodes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["lists"] = static_cast<double>(found);
  state.counters["region_MiB"] = static_cast<double>(bytes / state.iterations()) / (1 << 20);
  if (found < kLists) {
    state.SkipWithError("the scan did not find every list");
  }
}
BENCHMARK(BM_Scan)->Unit(benchmark::kMillisecond);

// The reads alone: the same regions in 4 MiB chunks, nothing looked at.
void BM_ReadOnly(benchmark::State& state) {
  Heap& heap = TheHeap();
  vmpl::inspect::LiveProcessSource memory(getpid());
  const size_t chunk = vmpl::inspect::ScanOptions{}.chunk_bytes;
  std::vector<uint8_t> buffer(chunk);
  uint64_t bytes = 0;
  for (auto _ : state) {
    for (const auto& region : heap.regions) {
      for (uint64_t pos = region.start; pos < region.end; pos += chunk) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk, region.end - pos));
        bytes += memory.Read(pos, buffer.data(), want).bytes;
      }
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ReadOnly)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
