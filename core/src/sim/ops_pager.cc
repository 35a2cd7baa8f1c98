// Pager-backed VMOs and their dirty zero intervals: added, split by writes, populated and
// returned, written back (awaiting-clean lengths), clipped, and pages replaced by intervals.
// Every operation leaves no Slot sentinel unfilled or unreturned (sim.h, invariant 1).

#include <vm/pmm.h>
#include <zircon/errors.h>

#include <algorithm>

#include "sim_internal.h"

namespace vmpl::sim {

// A range written with zeros (or a newly created VMO's range marked dirty): AddZeroInterval over
// an unpopulated range, merging with Dirty neighbours.
bool Simulator::Impl::OpIntervalAdd() {
  Vmo* vmo = Pick(pagers_);
  if (vmo == nullptr) {
    return false;
  }
  VmPageList& list = vmo->list();
  for (int attempt = 0; attempt < 4; attempt++) {
    const uint64_t start = PickOffset(*vmo);
    const uint64_t pages = Chance(50) ? Between(1, 4) : Between(1, 64);
    uint64_t end = std::min(start + pages * kPage, vmo->size);
    if (list.IsOffsetInZeroInterval(start)) {
      continue;
    }
    if (list.AnyPagesOrIntervalsInRange(start, end)) {
      // Shorten the range to end at the first populated slot.
      auto first = FirstPopulated(list, start, end);
      if (!first || first->first == start) {
        continue;
      }
      end = first->first;
    }
    if (list.AddZeroInterval(start, end, DirtyState::Dirty) == ZX_OK) {
      Count(OpKind::kIntervalAdd);
      return true;
    }
  }
  return false;
}

// A write into an interval: the interval is split around the offset and the Slot sentinel that
// results is overwritten with a page straight away.
bool Simulator::Impl::OpIntervalSplitWrite() {
  auto interval = PickPagerInterval();
  if (!interval) {
    return false;
  }
  const uint64_t offset = interval->start + Between(0, interval->pages() - 1) * kPage;
  VmPageList& list = interval->vmo->list();
  auto [slot, in_interval] = list.LookupOrAllocate(offset, IntervalHandling::SplitInterval);
  if (slot == nullptr) {
    return false;
  }
  DEBUG_ASSERT(in_interval && slot->IsIntervalSlot());
  vm_page_t* page = NewPage();
  if (page == nullptr) {
    list.ReturnIntervalSlot(offset);
    return false;
  }
  *slot = VmPageOrMarker::Page(page);
  Count(OpKind::kIntervalSplitWrite);
  return true;
}

// A multi-page write into an interval: PopulateSlotsInInterval over a run, then some slots are
// filled with pages and the rest returned with ReturnIntervalSlot.
//
// The order of the returns matters. Returning a Slot merges it with its neighbours, and a
// neighbouring Slot not yet returned is turned into the merged interval's Start or End (so it
// must not be returned any more: each is checked to still be a Slot first). Within a run of
// unused Slots, returning in ascending order only ever turns the right neighbour into an End,
// which the next return merges away, except at the run's last Slot: if the run's length is even
// that one stays an End, and an interval Start right after it would leave two touching
// intervals. Descending order has the mirror problem at the run's first Slot. So a run with an
// interval on its right returns in descending order, one with an interval on its left ascending,
// and one with intervals on both sides and an even length gets one more Slot filled (then it is
// odd, and either order merges it whole).
bool Simulator::Impl::OpIntervalPopulate() {
  auto interval = PickPagerInterval();
  if (!interval) {
    return false;
  }
  const uint64_t total = interval->pages();
  const uint64_t pages = Between(1, std::min<uint64_t>(16, total));
  const uint64_t first = interval->start + Between(0, total - pages) * kPage;
  const uint64_t end = first + pages * kPage;
  VmPageList& list = interval->vmo->list();
  if (list.PopulateSlotsInInterval(first, end) != ZX_OK) {
    return false;
  }
  Count(OpKind::kIntervalPopulate);

  auto fill = [&](uint64_t offset) {
    auto [slot, in_interval] = list.LookupOrAllocate(offset, IntervalHandling::SplitInterval);
    DEBUG_ASSERT(slot != nullptr && slot->IsIntervalSlot());
    vm_page_t* page = slot != nullptr ? NewPage() : nullptr;
    if (page == nullptr) {
      return false;
    }
    *slot = VmPageOrMarker::Page(page);
    Count(OpKind::kIntervalFill);
    return true;
  };
  std::vector<bool> filled(pages);
  for (uint64_t i = 0; i < pages; i++) {
    filled[i] = Chance(50) && fill(first + i * kPage);
  }
  auto is_interval_left = [&list](uint64_t offset) {
    const VmPageOrMarker* slot = offset >= kPage ? list.Lookup(offset - kPage) : nullptr;
    return slot != nullptr && (slot->IsIntervalEnd() || slot->IsIntervalSlot());
  };
  auto is_interval_right = [&list](uint64_t offset) {
    const VmPageOrMarker* slot = list.Lookup(offset + kPage);
    return slot != nullptr && (slot->IsIntervalStart() || slot->IsIntervalSlot());
  };
  auto give_back = [&](uint64_t offset) {
    const VmPageOrMarker* slot = list.Lookup(offset);
    if (slot != nullptr && slot->IsIntervalSlot()) {
      list.ReturnIntervalSlot(offset);
      Count(OpKind::kIntervalReturnSlot);
    }
  };
  for (uint64_t i = 0; i < pages;) {
    if (filled[i]) {
      i++;
      continue;
    }
    // The run of unused Slots [run_first, run_last].
    uint64_t j = i;
    while (j + 1 < pages && !filled[j + 1]) {
      j++;
    }
    const uint64_t run_first = first + i * kPage;
    uint64_t run_last = first + j * kPage;
    i = j + 1;
    const bool left = is_interval_left(run_first);
    const bool right = is_interval_right(run_last);
    if (left && right && (run_last - run_first) / kPage % 2 == 1 && fill(run_last)) {
      run_last -= kPage;
    }
    const bool even = (run_last - run_first) / kPage % 2 == 1;
    const bool descending = even ? is_interval_right(run_last) : Chance(50);
    if (descending) {
      for (uint64_t offset = run_last + kPage; offset > run_first;) {
        offset -= kPage;
        give_back(offset);
      }
    } else {
      for (uint64_t offset = run_first; offset <= run_last; offset += kPage) {
        give_back(offset);
      }
    }
  }
  return true;
}

// Writeback began (a length of the interval is awaiting clean) or was cancelled (length 0).
bool Simulator::Impl::OpIntervalWriteback() {
  auto interval = PickPagerInterval();
  if (!interval) {
    return false;
  }
  const uint64_t length = Chance(15) ? 0 : Between(1, interval->pages()) * kPage;
  VmPageOrMarkerRef ref = interval->vmo->list().LookupMutable(interval->start);
  DEBUG_ASSERT(ref && (ref->IsIntervalStart() || ref->IsIntervalSlot()));
  ref.SetZeroIntervalAwaitingCleanLength(length);
  Count(OpKind::kIntervalWriteback);
  return true;
}

// Writeback of the interval's first part completed (clip by the awaiting-clean length when it is
// shorter than the interval), or the pager supplied pages at its start. The clipped range is
// sometimes filled with supplied pages.
bool Simulator::Impl::OpIntervalClipStart() {
  auto interval = PickPagerInterval(/*min_pages=*/2);
  if (!interval) {
    return false;
  }
  Vmo* vmo = interval->vmo;
  const uint64_t start = interval->start;
  VmPageList& list = vmo->list();
  const uint64_t total = interval->pages();
  const uint64_t acl = list.Lookup(start)->GetZeroIntervalAwaitingCleanLength();
  const uint64_t length = (acl > 0 && acl < total * kPage) ? acl : Between(1, total - 1) * kPage;
  if (list.ClipIntervalStart(start, length) != ZX_OK) {
    return false;
  }
  Count(OpKind::kIntervalClipStart);
  if (Chance(50)) {
    uint64_t supplied = 0;
    for (uint64_t offset = start; offset < start + length && supplied < 16; offset += kPage) {
      vm_page_t* page = NewPage();
      if (page == nullptr) {
        break;
      }
      if (Place(*vmo, offset, VmPageOrMarker::Page(page))) {
        supplied++;
      }
    }
    Count(OpKind::kCommit, supplied);
  }
  return true;
}

// The end of an interval was supplied or truncated.
bool Simulator::Impl::OpIntervalClipEnd() {
  auto interval = PickPagerInterval(/*min_pages=*/2);
  if (!interval) {
    return false;
  }
  const uint64_t length = Between(1, interval->pages() - 1) * kPage;
  if (interval->vmo->list().ClipIntervalEnd(interval->last, length) != ZX_OK) {
    return false;
  }
  Count(OpKind::kIntervalClipEnd);
  return true;
}

// A dirty page found to hold zeros is freed and tracked as a (merged) dirty zero interval.
bool Simulator::Impl::OpReplaceWithInterval() {
  Vmo* vmo = Pick(pagers_);
  if (vmo == nullptr || vmo->list().IsEmpty()) {
    return false;
  }
  auto offset = FindSlot(vmo->list(), 0, PickOffset(*vmo), vmo->size,
                         [](const VmPageOrMarker& slot, uint64_t) { return slot.IsPage(); });
  if (!offset) {
    return false;
  }
  FreePage(vmo->list().ReplacePageWithZeroInterval(*offset, DirtyState::Dirty));
  Count(OpKind::kReplaceWithInterval);
  return true;
}

}  // namespace vmpl::sim
