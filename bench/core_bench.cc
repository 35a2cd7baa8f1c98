// Benchmarks of the core page list against a std::map<uint64_t, uint64_t> doing the same work.
//
// One BM_<Op> template per operation, instantiated for two implementations and registered as
// BM_PageList_<Op> and BM_StdMap_<Op>, so each ratio comes from a single run (bench/ratios.py
// prints them from --benchmark_format=json output). Seeds are fixed; building the containers is
// kept out of the timing (a shared fixture, or PauseTiming around a rebuild of a whole batch);
// results go through benchmark::DoNotOptimize.
//
// What the std::map baseline stores: offset -> value, one entry per populated page (a page's
// "pointer" for pages, 1 for markers); a zero interval is one entry start -> end (tagged), as an
// interval map would keep it. The page list stores real vm_page_t pages from vmpl::PageAllocator
// in the dense fixture and zero page markers elsewhere (markers need no allocation, so rebuilds
// stay cheap; the page list's cost of moving a slot does not depend on its content).
//
// Targets (from the issue): Lookup on a dense 1M-page list no slower than std::map, and a full
// ForEveryPage at least 5x faster than iterating the std::map. Build with the `release` preset
// (DEBUG_ASSERTs off, as in a release kernel).

#include <benchmark/benchmark.h>
#include <stdint.h>
#include <stdio.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>
#include <zircon/errors.h>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "twin_ops.h"

namespace {

constexpr uint64_t kPage = PAGE_SIZE;
constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * kPage;

// The dense fixture: every page of [0, kDensePages * kPage) populated.
constexpr uint64_t kDensePages = uint64_t{1} << 20;
// Offsets looked up per pass; a power of two so the index wraps with a mask.
constexpr size_t kLookupOffsets = size_t{1} << 16;
// Entries built (or moved, or removed) per iteration of the batch benchmarks.
constexpr uint64_t kBatchPages = 1 << 14;
constexpr uint64_t kRangePages = 1 << 16;
// AddZeroInterval benchmark: one interval of this many pages, split at this many offsets.
constexpr uint64_t kIntervalPages = 4096;
constexpr uint64_t kIntervalSplits = 64;

constexpr uint64_t kSeed = 0x5eed'0f'9a9e'11u;

// ----------------------------------------------------------------------------------------------
// The page list.

class PageListImpl {
 public:
  PageListImpl() = default;
  PageListImpl(const PageListImpl&) = delete;
  PageListImpl& operator=(const PageListImpl&) = delete;
  ~PageListImpl() { Clear(); }

  void InsertPage(uint64_t offset) {
    VmPageOrMarker* slot = Slot(offset);
    *slot = VmPageOrMarker::Page(vmpl::PageAllocator::Get().AllocPage());
  }
  void InsertMarker(uint64_t offset) {
    VmPageOrMarker* slot = Slot(offset);
    *slot = VmPageOrMarker::Marker();
  }
  bool Lookup(uint64_t offset) const {
    const VmPageOrMarker* slot = list_.Lookup(offset);
    return slot != nullptr && !slot->IsEmpty();
  }
  size_t CountPages() const {
    size_t pages = 0;
    list_.ForEveryPage([&pages](const VmPageOrMarker* p, uint64_t) {
      pages += p->IsPage() ? 1 : 0;
      return ZX_ERR_NEXT;
    });
    return pages;
  }
  size_t RemoveRange(uint64_t start, uint64_t end) {
    return vmpl::bench::RemoveRange(list_, start, end);
  }
  VmPageSpliceList Take(uint64_t offset, uint64_t length) {
    return list_.TakePages(offset, length);
  }
  void IntervalWithSplits(uint64_t start, uint64_t pages, uint64_t splits) {
    zx_status_t status = list_.AddZeroInterval(start, start + pages * kPage,
                                               VmPageOrMarker::IntervalDirtyState::Dirty);
    benchmark::DoNotOptimize(status);
    for (uint64_t k = 1; k <= splits; k++) {
      const uint64_t offset = start + (k * pages / (splits + 1)) * kPage;
      auto [slot, in_interval] =
          list_.LookupOrAllocate(offset, VmPageList::IntervalHandling::SplitInterval);
      *slot = VmPageOrMarker::Marker();
      benchmark::DoNotOptimize(in_interval);
    }
  }
  // Merges |other|'s [0, length) into this list; returns the number of conflicting items.
  size_t MergeFrom(PageListImpl& other, uint64_t length) {
    size_t released = 0;
    size_t* counter = &released;
    list_.MergeFrom(
        other.list_, 0, length,
        [counter](VmPageOrMarker&& content, uint64_t) {
          if (content.IsPage()) {
            pmm_free_page(content.ReleasePage());
          }
          (*counter)++;
        },
        [](VmPageOrMarker*, uint64_t) {});
    return released;
  }
  void Clear() {
    list_.RemoveAllContent([](VmPageOrMarker&& content) {
      if (content.IsPage()) {
        pmm_free_page(content.ReleasePage());
      } else if (content.IsReference()) {
        vmpl::PageAllocator::Get().FreeReference(content.ReleaseReference().value());
      }
    });
  }

 private:
  VmPageOrMarker* Slot(uint64_t offset) {
    auto [slot, in_interval] =
        list_.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
    benchmark::DoNotOptimize(in_interval);
    return slot;
  }

  VmPageList list_;
};

// ----------------------------------------------------------------------------------------------
// The std::map baseline.

class StdMapImpl {
 public:
  using Map = vmpl::bench::OffsetMap;

  void InsertPage(uint64_t offset) { map_.try_emplace(offset, offset | 1); }
  void InsertMarker(uint64_t offset) { map_.try_emplace(offset, 1); }
  bool Lookup(uint64_t offset) const {
    auto it = map_.find(offset);
    return it != map_.end() && it->second != 0;
  }
  size_t CountPages() const {
    size_t pages = 0;
    for (const auto& [offset, value] : map_) {
      pages += value != 0 ? 1 : 0;
    }
    return pages;
  }
  size_t RemoveRange(uint64_t start, uint64_t end) {
    return vmpl::bench::RemoveRange(map_, start, end);
  }
  // Moves the entries of [offset, offset + length) into a new map, node by node (no allocation).
  Map Take(uint64_t offset, uint64_t length) {
    return vmpl::bench::ExtractRange(map_, offset, length);
  }
  // Intervals are entries start -> (end | kIntervalTag); a split at |offset| inside [s, e)
  // becomes [s, offset), a marker at offset, and [offset + page, e).
  void IntervalWithSplits(uint64_t start, uint64_t pages, uint64_t splits) {
    const uint64_t end = start + pages * kPage;
    // AddZeroInterval: look at both neighbours for a merge, then insert.
    auto next = map_.lower_bound(end);
    bool merge_right = next != map_.end() && next->first == end && (next->second & kIntervalTag);
    auto hint = map_.lower_bound(start);
    bool merge_left = false;
    if (hint != map_.begin()) {
      auto prev = std::prev(hint);
      merge_left = (prev->second & kIntervalTag) && (prev->second & ~kIntervalTag) == start;
    }
    benchmark::DoNotOptimize(merge_left);
    benchmark::DoNotOptimize(merge_right);
    map_.emplace_hint(hint, start, end | kIntervalTag);
    for (uint64_t k = 1; k <= splits; k++) {
      const uint64_t offset = start + (k * pages / (splits + 1)) * kPage;
      auto it = std::prev(map_.upper_bound(offset));
      const uint64_t interval_end = it->second & ~kIntervalTag;
      it->second = offset | kIntervalTag;
      auto after = std::next(it);
      after = map_.emplace_hint(after, offset, 1);
      map_.emplace_hint(std::next(after), offset + kPage, interval_end | kIntervalTag);
    }
  }
  size_t MergeFrom(StdMapImpl& other, uint64_t length) {
    // Entries outside [0, length) would be released first; the fixture has none.
    benchmark::DoNotOptimize(length);
    map_.merge(other.map_);
    const size_t released = other.map_.size();
    other.map_.clear();
    return released;
  }
  void Clear() { map_.clear(); }

 private:
  static constexpr uint64_t kIntervalTag = 1;
  Map map_;
};

// ----------------------------------------------------------------------------------------------
// Fixtures.

// The dense fixture of each implementation, built on first use (outside any timed region) and
// freed by ReleaseFixture() after the run.
template <typename Impl>
Impl*& DenseFixtureSlot() {
  static Impl* dense = nullptr;
  return dense;
}

template <typename Impl>
Impl* DenseFixture() {
  Impl*& dense = DenseFixtureSlot<Impl>();
  if (dense == nullptr) {
    dense = new Impl();
    for (uint64_t i = 0; i < kDensePages; i++) {
      dense->InsertPage(i * kPage);
    }
  }
  return dense;
}

template <typename Impl>
void ReleaseFixture() {
  Impl*& dense = DenseFixtureSlot<Impl>();
  delete dense;  // ~Impl() gives every page back
  dense = nullptr;
}

std::vector<uint64_t> RandomOffsets(uint64_t first_page, uint64_t pages, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> offsets(kLookupOffsets);
  for (uint64_t& offset : offsets) {
    offset = (first_page + rng() % pages) * kPage;
  }
  return offsets;
}

template <typename Impl>
void FillMarkers(Impl& impl, uint64_t first_page, uint64_t pages, uint64_t stride) {
  for (uint64_t i = 0; i < pages; i += stride) {
    impl.InsertMarker((first_page + i) * kPage);
  }
}

// ----------------------------------------------------------------------------------------------
// Benchmarks.

// Lookup of a random populated offset in the dense 1M-page list (one lookup per iteration).
template <typename Impl>
void BM_LookupHit(benchmark::State& state) {
  const Impl* impl = DenseFixture<Impl>();
  const std::vector<uint64_t> offsets = RandomOffsets(0, kDensePages, kSeed);
  size_t i = 0;
  for (auto _ : state) {
    bool hit = impl->Lookup(offsets[i++ & (kLookupOffsets - 1)]);
    benchmark::DoNotOptimize(hit);
  }
  state.SetItemsProcessed(state.iterations());
}

// Lookup of a random offset past the end of the dense 1M-page list (no node / no entry).
template <typename Impl>
void BM_LookupMiss(benchmark::State& state) {
  const Impl* impl = DenseFixture<Impl>();
  const std::vector<uint64_t> offsets = RandomOffsets(kDensePages, kDensePages, kSeed + 1);
  size_t i = 0;
  for (auto _ : state) {
    bool hit = impl->Lookup(offsets[i++ & (kLookupOffsets - 1)]);
    benchmark::DoNotOptimize(hit);
  }
  state.SetItemsProcessed(state.iterations());
}

// LookupOrAllocate + store a marker at 16K consecutive offsets into an empty container
// (per iteration: the 16K inserts; emptying the container is untimed).
template <typename Impl>
void BM_LookupOrAllocateDense(benchmark::State& state) {
  Impl impl;
  for (auto _ : state) {
    for (uint64_t i = 0; i < kBatchPages; i++) {
      impl.InsertMarker(i * kPage);
    }
    state.PauseTiming();
    impl.Clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatchPages);
}

// LookupOrAllocate + store a marker at 16K random offsets, each (almost surely) in its own node,
// spread over 1 TiB (per iteration: the 16K inserts; emptying is untimed).
template <typename Impl>
void BM_LookupOrAllocateSparse(benchmark::State& state) {
  std::mt19937_64 rng(kSeed + 2);
  std::vector<uint64_t> offsets(kBatchPages);
  for (uint64_t& offset : offsets) {
    offset = (rng() % (uint64_t{1} << 24)) * kNodeSpan + (rng() % 16) * kPage;
  }
  Impl impl;
  for (auto _ : state) {
    for (uint64_t offset : offsets) {
      impl.InsertMarker(offset);
    }
    state.PauseTiming();
    impl.Clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatchPages);
}

// A full walk over the dense 1M-page list, reading every entry (per iteration: 1M entries).
template <typename Impl>
void BM_ForEveryPage(benchmark::State& state) {
  const Impl* impl = DenseFixture<Impl>();
  for (auto _ : state) {
    size_t pages = impl->CountPages();
    benchmark::DoNotOptimize(pages);
  }
  state.SetItemsProcessed(state.iterations() * kDensePages);
}

// RemovePages over 64K populated pages (clearing each entry and freeing the emptied nodes),
// the range starting and ending mid-node; refilling is untimed.
template <typename Impl>
void BM_RemovePages(benchmark::State& state) {
  Impl impl;
  for (auto _ : state) {
    state.PauseTiming();
    impl.Clear();
    FillMarkers(impl, 0, kRangePages, 1);
    state.ResumeTiming();
    size_t removed = impl.RemoveRange(3 * kPage, (kRangePages - 5) * kPage);
    benchmark::DoNotOptimize(removed);
  }
  state.SetItemsProcessed(state.iterations() * (kRangePages - 8));
}

// TakePages of 64K populated pages (head, whole middle nodes, tail) into a splice list / new
// map; refilling the source and destroying the result are untimed.
template <typename Impl>
void BM_TakePages(benchmark::State& state) {
  Impl impl;
  using Taken = decltype(impl.Take(0, 0));
  std::optional<Taken> taken;
  for (auto _ : state) {
    state.PauseTiming();
    taken.reset();
    impl.Clear();
    FillMarkers(impl, 0, kRangePages, 1);
    state.ResumeTiming();
    taken.emplace(impl.Take(3 * kPage, (kRangePages - 8) * kPage));
    benchmark::DoNotOptimize(&*taken);
  }
  taken.reset();
  state.SetItemsProcessed(state.iterations() * (kRangePages - 8));
}

// AddZeroInterval of a 4096-page Dirty interval (256 nodes), then 64 splits by
// LookupOrAllocate(SplitInterval), each slot filled with a marker; emptying is untimed.
template <typename Impl>
void BM_AddZeroIntervalSplit(benchmark::State& state) {
  Impl impl;
  for (auto _ : state) {
    impl.IntervalWithSplits(0x100000, kIntervalPages, kIntervalSplits);
    state.PauseTiming();
    impl.Clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kIntervalSplits);
}

// MergeFrom of a 64K-page source into a target holding a marker in every 4th node (conflicts are
// released); building both is untimed.
template <typename Impl>
void BM_MergeFrom(benchmark::State& state) {
  Impl target;
  Impl source;
  for (auto _ : state) {
    state.PauseTiming();
    target.Clear();
    source.Clear();
    FillMarkers(target, 0, kRangePages, 4 * VmPageListNode::kPageFanOut);
    FillMarkers(source, 0, kRangePages, 1);
    state.ResumeTiming();
    size_t released = target.MergeFrom(source, kRangePages * kPage);
    benchmark::DoNotOptimize(released);
  }
  state.SetItemsProcessed(state.iterations() * kRangePages);
}

#define VMPL_REGISTER_BENCHMARK(Op)                                          \
  do {                                                                       \
    benchmark::RegisterBenchmark("BM_PageList_" #Op, BM_##Op<PageListImpl>); \
    benchmark::RegisterBenchmark("BM_StdMap_" #Op, BM_##Op<StdMapImpl>);     \
  } while (0)

void RegisterAll() {
  VMPL_REGISTER_BENCHMARK(LookupHit);
  VMPL_REGISTER_BENCHMARK(LookupMiss);
  VMPL_REGISTER_BENCHMARK(LookupOrAllocateDense);
  VMPL_REGISTER_BENCHMARK(LookupOrAllocateSparse);
  VMPL_REGISTER_BENCHMARK(ForEveryPage);
  VMPL_REGISTER_BENCHMARK(RemovePages);
  VMPL_REGISTER_BENCHMARK(TakePages);
  VMPL_REGISTER_BENCHMARK(AddZeroIntervalSplit);
  VMPL_REGISTER_BENCHMARK(MergeFrom);
}

}  // namespace

int main(int argc, char** argv) {
  // Layout facts next to the numbers: the JSON "context" carries them, and ratios.py prints them.
  benchmark::AddCustomContext("sizeof(VmPageListNode)", std::to_string(sizeof(VmPageListNode)));
  benchmark::AddCustomContext("sizeof(VmPageList)", std::to_string(sizeof(VmPageList)));
  benchmark::AddCustomContext("VMPL_DEBUG_ASSERTS", std::to_string(VMPL_DEBUG_ASSERTS));
  RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  ReleaseFixture<PageListImpl>();
  ReleaseFixture<StdMapImpl>();
  if (vmpl::PageAllocator::Get().pages_outstanding() != 0) {
    fprintf(stderr, "core_bench: %zu pages still outstanding\n",
            vmpl::PageAllocator::Get().pages_outstanding());
    return 1;
  }
  return 0;
}
