// Issue 9's ratio benchmarks: the page list against a std::map<uint64_t, uint64_t> on the nine
// operations whose page-list/map time ratios Zircon quotes, so that ours can be set beside them.
//
// Each operation is one BM_<Op> template instantiated for PageListImpl and StdMapImpl and
// registered as BM_PageList_<Op> and BM_StdMap_<Op>; bench/ratio_table.py turns the JSON output
// into the table. Unlike core_bench.cc (smaller batches, per-call timing), every iteration here
// does the whole workload the issue names, and after every timed region an untimed check proves
// the work was done (entry counts, a sum or a sample of slots); a failed check ends the benchmark
// with SkipWithError, so an implementation that skipped work cannot look fast.
//
// Both sides store zero page markers (the map stores 1 per marker): markers need no page
// allocation, so setup stays cheap, and the page list's cost of a slot does not depend on what it
// holds. Seeds are fixed. Build with the `release` preset (DEBUG_ASSERTs off, as in a release
// kernel).

#include <benchmark/benchmark.h>
#include <stdint.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <zircon/errors.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "twin_ops.h"

namespace {

constexpr uint64_t kPage = PAGE_SIZE;

// A dense list: every page of [0, kDensePages) holds a marker.
constexpr uint64_t kDensePages = uint64_t{1} << 20;
// Sparse lists spread their pages over this many page indices (16 TiB of offsets).
constexpr uint64_t kWidePages = uint64_t{1} << 32;
// LookupMiss: pages in the sparse list, and lookups per iteration (also LookupHit's).
constexpr uint64_t kSparsePages = uint64_t{1} << 16;
constexpr size_t kLookups = size_t{1} << 16;
// TakePages, interval splits and MergeFrom work on this many pages.
constexpr uint64_t kRangePages = uint64_t{1} << 16;
// TakePages takes from this page on, so the range starts and ends mid-node.
constexpr uint64_t kTakeFirstPage = 3;
// MergeFrom: the source's pages start here, and the target's skew follows from it (as when a
// child's list is initialised with InitializeSkew(parent skew, parent offset)).
constexpr uint64_t kMergeBasePage = 5;

constexpr uint64_t kSeed = 0x9a71'0b3e'4c11u;

// Zero-marker content of a std::map entry; interval sentinels use the values below.
constexpr uint64_t kMapMarker = 1;
constexpr uint64_t kMapIntervalStart = 2;
constexpr uint64_t kMapIntervalEnd = 3;
constexpr uint64_t kMapIntervalSlot = 4;

// Random page offsets: |count| draws from [0, pages) pages (repeats possible).
std::vector<uint64_t> RandomOffsets(size_t count, uint64_t pages, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> offsets(count);
  for (uint64_t& offset : offsets) {
    offset = (rng() % pages) * kPage;
  }
  return offsets;
}

// |count| distinct page offsets from [0, pages), in random order.
std::vector<uint64_t> DistinctRandomOffsets(size_t count, uint64_t pages, uint64_t seed) {
  std::vector<uint64_t> all(pages);
  std::iota(all.begin(), all.end(), uint64_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(count);
  for (uint64_t& offset : all) {
    offset *= kPage;
  }
  return all;
}

// ----------------------------------------------------------------------------------------------
// The page list.

class PageListImpl {
 public:
  PageListImpl() = default;
  PageListImpl(const PageListImpl&) = delete;
  PageListImpl& operator=(const PageListImpl&) = delete;
  ~PageListImpl() { Clear(); }

  // Returns false if no slot could be allocated.
  bool InsertMarker(uint64_t offset) {
    auto [slot, in_interval] =
        list_.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
    if (slot == nullptr) {
      return false;
    }
    *slot = VmPageOrMarker::Marker();
    return true;
  }
  bool Lookup(uint64_t offset) const {
    const VmPageOrMarker* slot = list_.Lookup(offset);
    return slot != nullptr && slot->IsMarker();
  }
  // Sums the offsets of all markers; |*count| gets how many there were.
  uint64_t SumMarkers(size_t* count) const {
    uint64_t sum = 0;
    size_t markers = 0;
    list_.ForEveryPage([&sum, &markers](const VmPageOrMarker* p, uint64_t offset) {
      if (p->IsMarker()) {
        sum += offset;
        markers++;
      }
      return ZX_ERR_NEXT;
    });
    *count = markers;
    return sum;
  }
  size_t RemoveRange(uint64_t start, uint64_t end) {
    return vmpl::bench::RemoveRange(list_, start, end);
  }
  // TakePages of [offset, offset + length) into a splice list, then Pop every entry; returns the
  // number of markers popped.
  size_t TakeAndPop(uint64_t offset, uint64_t length) {
    VmPageSpliceList splice = list_.TakePages(offset, length);
    size_t markers = 0;
    while (!splice.IsProcessed()) {
      VmPageOrMarker content = splice.Pop();
      markers += content.IsMarker() ? 1 : 0;
    }
    return markers;
  }
  bool AddZeroInterval(uint64_t start, uint64_t end) {
    return list_.AddZeroInterval(start, end, VmPageOrMarker::IntervalDirtyState::Dirty) == ZX_OK;
  }
  // LookupOrAllocate(SplitInterval) at |offset| inside a zero interval and a marker stored in the
  // returned slot; false if no slot came back.
  bool SplitWithMarker(uint64_t offset) {
    auto [slot, in_interval] =
        list_.LookupOrAllocate(offset, VmPageList::IntervalHandling::SplitInterval);
    if (slot == nullptr || !in_interval) {
      return false;
    }
    *slot = VmPageOrMarker::Marker();
    return true;
  }
  // Counts intervals' Start, End and Slot sentinels (the structural check after the splits).
  void CountSentinels(size_t* starts, size_t* ends, size_t* slots) const {
    *starts = *ends = *slots = 0;
    list_.ForEveryPage([&](const VmPageOrMarker* p, uint64_t) {
      *starts += p->IsIntervalStart() ? 1 : 0;
      *ends += p->IsIntervalEnd() ? 1 : 0;
      *slots += p->IsIntervalSlot() ? 1 : 0;
      return ZX_ERR_NEXT;
    });
  }
  // The target side of MergeFrom: skewed as a child of |parent| at |parent_offset|.
  void InitializeSkewFor(const PageListImpl& parent, uint64_t parent_offset) {
    list_.InitializeSkew(parent.list_.GetSkew(), parent_offset);
  }
  // Merges |other|'s [offset, end) into this list at [0, end - offset); returns the number of
  // entries released (conflicts or outside the range).
  size_t MergeFrom(PageListImpl& other, uint64_t offset, uint64_t end) {
    size_t released = 0;
    size_t* counter = &released;
    list_.MergeFrom(
        other.list_, offset, end, [counter](VmPageOrMarker&&, uint64_t) { (*counter)++; },
        [](VmPageOrMarker*, uint64_t) {});
    return released;
  }
  bool IsEmpty() const { return list_.IsEmpty(); }
  void Clear() {
    list_.RemoveAllContent([](VmPageOrMarker&&) {});
  }
  // A fresh, unskewed list (InitializeSkew may only be called on a list never skewed before).
  void Reset() { list_ = VmPageList(); }

 private:
  VmPageList list_;
};

// ----------------------------------------------------------------------------------------------
// The std::map twin: offset -> kMapMarker per marker; a zero interval is a Start and an End
// sentinel entry (a Slot entry for a one-page interval), as the page list keeps it.

class StdMapImpl {
 public:
  using Map = vmpl::bench::OffsetMap;

  bool InsertMarker(uint64_t offset) {
    map_[offset] = kMapMarker;
    return true;
  }
  bool Lookup(uint64_t offset) const {
    auto it = map_.find(offset);
    return it != map_.end() && it->second == kMapMarker;
  }
  uint64_t SumMarkers(size_t* count) const {
    uint64_t sum = 0;
    size_t markers = 0;
    for (const auto& [offset, value] : map_) {
      if (value == kMapMarker) {
        sum += offset;
        markers++;
      }
    }
    *count = markers;
    return sum;
  }
  size_t RemoveRange(uint64_t start, uint64_t end) {
    return vmpl::bench::RemoveRange(map_, start, end);
  }
  // Moves the entries of the range into a second map node by node, then pops that map from the
  // front.
  size_t TakeAndPop(uint64_t offset, uint64_t length) {
    Map taken = vmpl::bench::ExtractRange(map_, offset, length);
    size_t markers = 0;
    while (!taken.empty()) {
      auto node = taken.extract(taken.begin());
      markers += node.mapped() == kMapMarker ? 1 : 0;
    }
    return markers;
  }
  bool AddZeroInterval(uint64_t start, uint64_t end) {
    if (end - start == kPage) {
      return map_.emplace(start, kMapIntervalSlot).second;
    }
    return map_.emplace(start, kMapIntervalStart).second &&
           map_.emplace(end - kPage, kMapIntervalEnd).second;
  }
  // Finds the interval holding |offset| and splits it into up to three entries: what is left on
  // each side (sentinels rewritten in place or added) and the marker at |offset|.
  bool SplitWithMarker(uint64_t offset) {
    auto upper = map_.upper_bound(offset);
    if (upper == map_.begin()) {
      return false;
    }
    auto at = std::prev(upper);
    Map::iterator first;  // the interval's Start (or Slot) sentinel
    Map::iterator last;   // its End (or Slot) sentinel
    switch (at->second) {
      case kMapIntervalSlot:
        first = last = at;
        break;
      case kMapIntervalStart:
        first = at;
        last = std::next(at);
        break;
      case kMapIntervalEnd:
        if (at->first != offset) {
          return false;  // past the end of an interval
        }
        last = at;
        first = std::prev(at);
        break;
      default:
        return false;  // a marker, not an interval
    }
    const uint64_t start = first->first;
    const uint64_t end = last->first;  // the last page of the interval, inclusive
    // Right to left, so each insertion has the entry just after it as its hint. The right part
    // (offset, end]:
    auto after = upper;  // the first entry past |offset|
    if (offset < end) {
      last->second = offset + kPage == end ? kMapIntervalSlot : kMapIntervalEnd;
      if (offset + kPage != end) {
        after = map_.emplace_hint(last, offset + kPage, kMapIntervalStart);
      }
    }
    // The marker takes over the sentinel entry at |offset| if there is one.
    auto marker = at;
    if (at->first == offset) {
      at->second = kMapMarker;
    } else {
      marker = map_.emplace_hint(after, offset, kMapMarker);
    }
    // The left part [start, offset).
    if (start < offset) {
      first->second = start + kPage == offset ? kMapIntervalSlot : kMapIntervalStart;
      if (start + kPage != offset) {
        map_.emplace_hint(marker, offset - kPage, kMapIntervalEnd);
      }
    }
    return true;
  }
  void CountSentinels(size_t* starts, size_t* ends, size_t* slots) const {
    *starts = *ends = *slots = 0;
    for (const auto& [offset, value] : map_) {
      *starts += value == kMapIntervalStart ? 1 : 0;
      *ends += value == kMapIntervalEnd ? 1 : 0;
      *slots += value == kMapIntervalSlot ? 1 : 0;
    }
  }
  void InitializeSkewFor(const StdMapImpl&, uint64_t) {}
  // Moves the entries of |other|'s [offset, end) in here shifted down by |offset|, node by node;
  // the rest of |other| is released.
  size_t MergeFrom(StdMapImpl& other, uint64_t offset, uint64_t end) {
    auto it = other.map_.lower_bound(offset);
    const auto last = other.map_.lower_bound(end);
    while (it != last) {
      auto node = other.map_.extract(it++);
      node.key() -= offset;
      map_.insert(map_.end(), std::move(node));
    }
    const size_t released = other.map_.size();
    other.map_.clear();
    return released;
  }
  bool IsEmpty() const { return map_.empty(); }
  void Clear() { map_.clear(); }
  void Reset() { map_.clear(); }

 private:
  Map map_;
};

// ----------------------------------------------------------------------------------------------
// Benchmarks. Each fills a container untimed, times the operation, and checks untimed.

template <typename Impl>
bool FillDense(Impl& impl) {
  for (uint64_t i = 0; i < kDensePages; i++) {
    if (!impl.InsertMarker(i * kPage)) {
      return false;
    }
  }
  return true;
}

// 1. Lookup of 64K random offsets in a dense 1M-page list, all hits.
template <typename Impl>
void BM_LookupHit(benchmark::State& state) {
  Impl impl;
  if (!FillDense(impl)) {
    state.SkipWithError("filling the dense list failed");
    return;
  }
  const std::vector<uint64_t> offsets = RandomOffsets(kLookups, kDensePages, kSeed);
  size_t hits = 0;
  for (auto _ : state) {
    for (uint64_t offset : offsets) {
      hits += impl.Lookup(offset) ? 1 : 0;
    }
    benchmark::DoNotOptimize(hits);
  }
  if (hits != state.iterations() * kLookups) {
    state.SkipWithError("LookupHit: a lookup missed");
  }
  state.SetItemsProcessed(state.iterations() * kLookups);
}

// 2. Lookup of 64K random offsets that miss, in a list of 64K random pages over 2^32 pages.
template <typename Impl>
void BM_LookupMiss(benchmark::State& state) {
  std::vector<uint64_t> present = RandomOffsets(kSparsePages, kWidePages, kSeed + 1);
  std::sort(present.begin(), present.end());
  present.erase(std::unique(present.begin(), present.end()), present.end());
  Impl impl;
  for (uint64_t offset : present) {
    if (!impl.InsertMarker(offset)) {
      state.SkipWithError("filling the sparse list failed");
      return;
    }
  }
  std::vector<uint64_t> offsets;
  std::mt19937_64 rng(kSeed + 2);
  while (offsets.size() < kLookups) {
    const uint64_t offset = (rng() % kWidePages) * kPage;
    if (!std::binary_search(present.begin(), present.end(), offset)) {
      offsets.push_back(offset);
    }
  }
  size_t hits = 0;
  for (auto _ : state) {
    for (uint64_t offset : offsets) {
      hits += impl.Lookup(offset) ? 1 : 0;
    }
    benchmark::DoNotOptimize(hits);
  }
  // A lookup that never looks would also miss: the populated pages must still be found.
  size_t found = 0;
  for (uint64_t offset : present) {
    found += impl.Lookup(offset) ? 1 : 0;
  }
  if (hits != 0 || found != present.size()) {
    state.SkipWithError("LookupMiss: a miss hit, or a present page was not found");
  }
  state.SetItemsProcessed(state.iterations() * kLookups);
}

// Untimed check after a build: |expected| markers whose offsets sum to |expected_sum|.
template <typename Impl>
bool HoldsMarkers(const Impl& impl, size_t expected, uint64_t expected_sum) {
  size_t count = 0;
  const uint64_t sum = impl.SumMarkers(&count);
  return count == expected && sum == expected_sum;
}

// 3. Building a dense 1M-page list in order from empty.
template <typename Impl>
void BM_BuildDense(benchmark::State& state) {
  const uint64_t expected_sum = kPage * (kDensePages * (kDensePages - 1) / 2);
  Impl impl;
  for (auto _ : state) {
    const bool filled = FillDense(impl);
    state.PauseTiming();
    if (!filled || !HoldsMarkers(impl, kDensePages, expected_sum)) {
      state.SkipWithError("BuildDense: the list does not hold the 1M markers");
      break;
    }
    impl.Clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kDensePages);
}

// 4. Building a sparse list of 1M random pages over 2^32 pages, in random order, from empty.
template <typename Impl>
void BM_BuildSparseRandom(benchmark::State& state) {
  const std::vector<uint64_t> offsets = RandomOffsets(kDensePages, kWidePages, kSeed + 3);
  std::vector<uint64_t> distinct = offsets;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const uint64_t expected_sum = std::accumulate(distinct.begin(), distinct.end(), uint64_t{0});
  Impl impl;
  for (auto _ : state) {
    bool filled = true;
    for (uint64_t offset : offsets) {
      filled &= impl.InsertMarker(offset);
    }
    state.PauseTiming();
    if (!filled || !HoldsMarkers(impl, distinct.size(), expected_sum)) {
      state.SkipWithError("BuildSparseRandom: the list does not hold the markers");
      break;
    }
    impl.Clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kDensePages);
}

// 5. Visiting every page of a dense 1M-page list, summing the offsets.
template <typename Impl>
void BM_ForEveryPage(benchmark::State& state) {
  const uint64_t expected_sum = kPage * (kDensePages * (kDensePages - 1) / 2);
  Impl impl;
  if (!FillDense(impl)) {
    state.SkipWithError("filling the dense list failed");
    return;
  }
  for (auto _ : state) {
    size_t count = 0;
    const uint64_t sum = impl.SumMarkers(&count);
    benchmark::DoNotOptimize(sum);
    state.PauseTiming();
    if (count != kDensePages || sum != expected_sum) {
      state.SkipWithError("ForEveryPage: wrong count or sum");
      break;
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kDensePages);
}

// 6. RemovePages over the whole of a dense 1M-page list (filling it is untimed).
template <typename Impl>
void BM_RemovePages(benchmark::State& state) {
  Impl impl;
  for (auto _ : state) {
    state.PauseTiming();
    if (!FillDense(impl)) {
      state.SkipWithError("filling the dense list failed");
      break;
    }
    state.ResumeTiming();
    const size_t removed = impl.RemoveRange(0, kDensePages * kPage);
    state.PauseTiming();
    if (removed != kDensePages || !impl.IsEmpty()) {
      state.SkipWithError("RemovePages: not every page was removed");
      break;
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kDensePages);
}

// 7. TakePages of 64K pages (starting mid-node) into a splice list, then popping every entry.
template <typename Impl>
void BM_TakePages(benchmark::State& state) {
  constexpr uint64_t kFilled = kRangePages + 2 * kTakeFirstPage;
  // Markers left behind: the kTakeFirstPage pages on each side of the range.
  constexpr uint64_t kLeftOffsetSum = kPage * ((kTakeFirstPage * (kTakeFirstPage - 1) / 2) +
                                               (kTakeFirstPage * (kTakeFirstPage + kRangePages) +
                                                kTakeFirstPage * (kTakeFirstPage - 1) / 2));
  Impl impl;
  for (auto _ : state) {
    state.PauseTiming();
    impl.Clear();
    for (uint64_t i = 0; i < kFilled; i++) {
      impl.InsertMarker(i * kPage);
    }
    state.ResumeTiming();
    const size_t popped = impl.TakeAndPop(kTakeFirstPage * kPage, kRangePages * kPage);
    state.PauseTiming();
    if (popped != kRangePages || !HoldsMarkers(impl, 2 * kTakeFirstPage, kLeftOffsetSum)) {
      state.SkipWithError("TakePages: wrong number of entries taken or left");
      break;
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRangePages);
}

// 8. 64K LookupOrAllocate(SplitInterval) at random distinct offsets inside a 1M-page zero
// interval, a marker stored in each returned slot (adding the interval is untimed).
template <typename Impl>
void BM_IntervalSplit(benchmark::State& state) {
  const std::vector<uint64_t> offsets = DistinctRandomOffsets(kRangePages, kDensePages, kSeed + 4);
  const uint64_t expected_sum = std::accumulate(offsets.begin(), offsets.end(), uint64_t{0});
  Impl impl;
  for (auto _ : state) {
    state.PauseTiming();
    impl.Clear();
    if (!impl.AddZeroInterval(0, kDensePages * kPage)) {
      state.SkipWithError("AddZeroInterval failed");
      break;
    }
    state.ResumeTiming();
    bool split = true;
    for (uint64_t offset : offsets) {
      split &= impl.SplitWithMarker(offset);
    }
    state.PauseTiming();
    // Every marker is in place, and what is left of the interval is well formed: one Start per
    // End, and Start/End pairs plus Slots cover exactly the gaps between the markers.
    size_t starts = 0;
    size_t ends = 0;
    size_t slots = 0;
    impl.CountSentinels(&starts, &ends, &slots);
    std::vector<uint64_t> sorted = offsets;
    std::sort(sorted.begin(), sorted.end());
    size_t gaps = 0;
    uint64_t next = 0;
    for (uint64_t offset : sorted) {
      gaps += offset > next ? 1 : 0;
      next = offset + kPage;
    }
    gaps += next < kDensePages * kPage ? 1 : 0;
    if (!split || !HoldsMarkers(impl, offsets.size(), expected_sum) || starts != ends ||
        starts + slots != gaps) {
      state.SkipWithError("IntervalSplit: wrong markers or interval sentinels after the splits");
      break;
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRangePages);
}

// 9. MergeFrom of a 64K-page list (pages from kMergeBasePage on) into an empty list skewed as its
// child at that offset, the range shifted down to 0.
template <typename Impl>
void BM_MergeFrom(benchmark::State& state) {
  const uint64_t expected_sum = kPage * (kRangePages * (kRangePages - 1) / 2);
  Impl source;
  Impl target;
  for (auto _ : state) {
    state.PauseTiming();
    source.Clear();
    target.Clear();
    target.Reset();
    for (uint64_t i = 0; i < kRangePages; i++) {
      source.InsertMarker((kMergeBasePage + i) * kPage);
    }
    target.InitializeSkewFor(source, kMergeBasePage * kPage);
    state.ResumeTiming();
    const size_t released =
        target.MergeFrom(source, kMergeBasePage * kPage, (kMergeBasePage + kRangePages) * kPage);
    state.PauseTiming();
    if (released != 0 || !source.IsEmpty() || !HoldsMarkers(target, kRangePages, expected_sum)) {
      state.SkipWithError("MergeFrom: the target does not hold the source's markers");
      break;
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRangePages);
}

// Iteration counts are fixed for the heavy operations so that the untimed refills (1M map
// allocations each) keep the whole binary's runtime near a minute.
#define VMPL_REGISTER_BENCHMARK(Op, iterations)                                              \
  do {                                                                                       \
    for (auto* b : {benchmark::RegisterBenchmark("BM_PageList_" #Op, BM_##Op<PageListImpl>), \
                    benchmark::RegisterBenchmark("BM_StdMap_" #Op, BM_##Op<StdMapImpl>)}) {  \
      b->Unit(benchmark::kMicrosecond);                                                      \
      if ((iterations) > 0) {                                                                \
        b->Iterations(iterations);                                                           \
      }                                                                                      \
    }                                                                                        \
  } while (0)

void RegisterAll() {
  VMPL_REGISTER_BENCHMARK(LookupHit, 0);
  VMPL_REGISTER_BENCHMARK(LookupMiss, 0);
  VMPL_REGISTER_BENCHMARK(BuildDense, 10);
  VMPL_REGISTER_BENCHMARK(BuildSparseRandom, 5);
  VMPL_REGISTER_BENCHMARK(ForEveryPage, 0);
  VMPL_REGISTER_BENCHMARK(RemovePages, 10);
  VMPL_REGISTER_BENCHMARK(TakePages, 50);
  VMPL_REGISTER_BENCHMARK(IntervalSplit, 20);
  VMPL_REGISTER_BENCHMARK(MergeFrom, 50);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("sizeof(VmPageListNode)", std::to_string(sizeof(VmPageListNode)));
  benchmark::AddCustomContext("VMPL_DEBUG_ASSERTS", std::to_string(VMPL_DEBUG_ASSERTS));
  RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
