// Anonymous memory: commit, decommit, zero-page dedup, compression, copy-on-write forks and
// eviction (see sim_internal.h for the copy-on-write model).

#include <vm/pmm.h>
#include <zircon/errors.h>

#include <algorithm>

#include "sim_internal.h"

namespace vmpl::sim {

namespace {

bool IsPage(const VmPageOrMarker& slot, uint64_t) { return slot.IsPage(); }
bool IsReference(const VmPageOrMarker& slot, uint64_t) { return slot.IsReference(); }
bool IsPageOrRef(const VmPageOrMarker& slot, uint64_t) { return slot.IsPageOrRef(); }

}  // namespace

std::optional<std::pair<Vmo*, uint64_t>> Simulator::Impl::FindContent(
    bool include_hidden, bool include_pager,
    const std::function<bool(const VmPageOrMarker&, uint64_t)>& pred) {
  const size_t visible = anon_visible_.size();
  const size_t hidden = include_hidden ? hidden_.size() : 0;
  const size_t pager = include_pager ? pagers_.size() : 0;
  const size_t total = visible + hidden + pager;
  if (total == 0) {
    return std::nullopt;
  }
  for (int attempt = 0; attempt < 3; attempt++) {
    size_t index = rng_() % total;
    Vmo* vmo;
    if (index < visible) {
      vmo = anon_visible_[index];
    } else if (index < visible + hidden) {
      vmo = hidden_[index - visible];
    } else {
      vmo = pagers_[index - visible - hidden];
    }
    if (vmo->list().IsEmpty()) {
      continue;
    }
    auto offset = FindSlot(vmo->list(), 0, PickOffset(*vmo), vmo->size, pred);
    if (offset) {
      return std::make_pair(vmo, *offset);
    }
  }
  return std::nullopt;
}

// Writes: a fresh page in each empty slot of a short run. Offsets whose content comes from a
// parent are left to cow_fork; offsets inside a pager VMO's intervals to interval_split_write.
bool Simulator::Impl::OpCommit() {
  Vmo* vmo = (!pagers_.empty() && Chance(20)) ? Pick(pagers_) : Pick(anon_visible_);
  if (vmo == nullptr) {
    return false;
  }
  VmPageList& list = vmo->list();
  const bool pager = vmo->kind == VmoKind::kPager;
  const uint64_t start = PickOffset(*vmo);
  const uint64_t pages = Between(1, 16);
  uint64_t committed = 0;
  for (uint64_t i = 0; i < pages; i++) {
    const uint64_t offset = start + i * kPage;
    if (offset >= vmo->size) {
      break;
    }
    const VmPageOrMarker* existing = list.Lookup(offset);
    if (existing != nullptr && (existing->IsPageOrRef() || existing->IsInterval())) {
      continue;
    }
    if (vmo->parent != nullptr && (existing == nullptr || existing->IsEmpty())) {
      auto above = ContentAbove(*vmo, offset);
      if (above && above->page_or_ref) {
        continue;
      }
    }
    auto [slot, in_interval] = list.LookupOrAllocate(
        offset, pager ? IntervalHandling::CheckForInterval : IntervalHandling::NoIntervals);
    if (slot == nullptr || in_interval) {
      continue;
    }
    vm_page_t* page = NewPage();
    if (page == nullptr) {
      if (slot->IsEmpty()) {
        list.ReturnEmptySlot(offset);
      }
      break;
    }
    // Over an empty slot or a zero page marker.
    *slot = VmPageOrMarker::Page(page);
    committed++;
  }
  Count(OpKind::kCommit, committed);
  return committed > 0;
}

uint64_t Simulator::Impl::DropRange(Vmo& vmo, uint64_t start, uint64_t end, OpKind kind) {
  end = std::min(end, vmo.size);
  VmPageList& list = vmo.list();
  uint64_t freed = 0;
  if (vmo.parent == nullptr) {
    // A root: nothing shows through, so the range simply empties. A pager VMO's range is widened
    // so that its intervals go whole.
    if (vmo.kind == VmoKind::kPager && !AdjustOutsideIntervals(list, start, end)) {
      return 0;
    }
    if (start >= end) {
      return 0;
    }
    list.RemovePages(
        [this, &freed](VmPageOrMarker* slot, uint64_t) {
          if (slot->IsPageOrRef()) {
            FreeContent(*slot);
            freed++;
          }
          *slot = VmPageOrMarker::Empty();
          return ZX_ERR_NEXT;
        },
        start, end);
    Count(kind, freed);
    return freed;
  }
  // A clone: where an ancestor still has a page the clone must read zeros, so it gets a marker
  // (and its parent is told it no longer needs that page).
  for (uint64_t offset = start; offset < end; offset += kPage) {
    const VmPageOrMarker* existing = list.Lookup(offset);
    const bool had = existing != nullptr && !existing->IsEmpty();
    auto above = ContentAbove(vmo, offset);
    const bool need_marker = above && above->page_or_ref;
    if (had) {
      if (existing->IsMarker() && need_marker) {
        continue;
      }
      VmPageOrMarker content = list.RemoveContent(offset);
      if (content.IsPageOrRef()) {
        FreeContent(content);
        freed++;
      }
    } else if (!need_marker) {
      continue;
    }
    if (need_marker) {
      auto [slot, in_interval] = list.LookupOrAllocate(offset, IntervalHandling::NoIntervals);
      if (slot == nullptr) {
        continue;
      }
      *slot = VmPageOrMarker::Marker();
      ReleaseParentContent(vmo, offset);
    }
  }
  Count(kind, freed);
  return freed;
}

void Simulator::Impl::ReleaseParentContent(Vmo& vmo, uint64_t offset) {
  if (vmo.parent == nullptr) {
    return;
  }
  Vmo& parent = *vmo.parent;
  const uint64_t parent_offset = offset + vmo.parent_offset;
  VmPageOrMarkerRef ref = parent.list().LookupMutable(parent_offset);
  if (!ref || !ref->IsPageOrRef()) {
    return;
  }
  if (vmo.side() == 0) {
    ref.SetPageOrRefLeftSplit(true);
  } else {
    ref.SetPageOrRefRightSplit(true);
  }
  if (ref->PageOrRefLeftSplit() && ref->PageOrRefRightSplit()) {
    // Both children have their own content: nobody needs the parent's any more.
    VmPageOrMarker content = parent.list().RemoveContent(parent_offset);
    FreeContent(content);
    Count(OpKind::kCowRelease);
  }
}

bool Simulator::Impl::OpDecommit() {
  Vmo* vmo = Pick(anon_visible_);
  if (vmo == nullptr) {
    return false;
  }
  // Usually where there is something to decommit.
  std::optional<uint64_t> found;
  if (Chance(70)) {
    found = FindSlot(
        vmo->list(), 0, PickOffset(*vmo), vmo->size,
        [](const VmPageOrMarker& slot, uint64_t) { return slot.IsPageOrRef(); }, 64);
  }
  const uint64_t start = found ? *found : PickOffset(*vmo);
  const uint64_t end = start + Between(1, 16) * kPage;
  return DropRange(*vmo, start, end, OpKind::kDecommit) > 0;
}

// The zero page scanner found a page of zeros: it is freed and a marker takes its place.
bool Simulator::Impl::OpDedupMarker() {
  auto found = FindContent(/*include_hidden=*/false, /*include_pager=*/false, IsPage);
  if (!found) {
    return false;
  }
  auto [vmo, offset] = *found;
  auto [slot, in_interval] = vmo->list().LookupOrAllocate(offset, IntervalHandling::NoIntervals);
  DEBUG_ASSERT(slot != nullptr && slot->IsPage());
  FreePage(slot->ReleasePage());
  *slot = VmPageOrMarker::Marker();
  Count(OpKind::kDedupMarker);
  return true;
}

bool Simulator::Impl::OpCompress() {
  auto found = FindContent(/*include_hidden=*/true, /*include_pager=*/false, IsPage);
  if (!found) {
    return false;
  }
  auto [vmo, offset] = *found;
  VmPageOrMarkerRef ref = vmo->list().LookupMutable(offset);
  DEBUG_ASSERT(ref && ref->IsPage());
  // The split bits move from the page to the reference.
  FreePage(ref.SwapPageForReference(NewReference()));
  Count(OpKind::kCompress);
  return true;
}

bool Simulator::Impl::OpDecompress() {
  auto found = FindContent(/*include_hidden=*/true, /*include_pager=*/false, IsReference);
  if (!found) {
    return false;
  }
  auto [vmo, offset] = *found;
  vm_page_t* page = NewPage();
  if (page == nullptr) {
    return false;
  }
  VmPageOrMarkerRef ref = vmo->list().LookupMutable(offset);
  DEBUG_ASSERT(ref && ref->IsReference());
  FreeReference(ref.SwapReferenceForPage(page));
  Count(OpKind::kDecompress);
  return true;
}

// The compressor moved the data (recompression, compaction): a new reference, same split bits.
bool Simulator::Impl::OpChangeReference() {
  auto found = FindContent(/*include_hidden=*/true, /*include_pager=*/false, IsReference);
  if (!found) {
    return false;
  }
  auto [vmo, offset] = *found;
  VmPageOrMarkerRef ref = vmo->list().LookupMutable(offset);
  DEBUG_ASSERT(ref && ref->IsReference());
  FreeReference(ref.ChangeReferenceValue(NewReference()));
  Count(OpKind::kChangeReference);
  return true;
}

// A write to a clone at an offset whose content a (usually the nearest) ancestor holds.
bool Simulator::Impl::OpCowFork() {
  Vmo* vmo = Pick(anon_clones_);
  if (vmo == nullptr) {
    return false;
  }
  // chain[0] = vmo, chain[i + 1] = chain[i]->parent; bases[i] = where vmo's offset 0 lies in
  // chain[i].
  std::vector<Vmo*> chain = {vmo};
  std::vector<uint64_t> bases = {0};
  while (chain.back()->parent != nullptr) {
    bases.push_back(bases.back() + chain.back()->parent_offset);
    chain.push_back(chain.back()->parent);
  }
  const size_t level = (chain.size() == 2 || Chance(70)) ? 1 : Between(1, chain.size() - 1);
  Vmo* ancestor = chain[level];
  const uint64_t base = bases[level];
  auto shadowed = [&](uint64_t vmo_offset) {
    for (size_t i = 0; i < level; i++) {
      const VmPageOrMarker* slot = chain[i]->list().Lookup(vmo_offset + bases[i]);
      if (slot != nullptr && !slot->IsEmpty()) {
        return true;
      }
    }
    return false;
  };
  auto found = FindSlot(
      ancestor->list(), base, base + PickOffset(*vmo), base + vmo->size,
      [&](const VmPageOrMarker& slot, uint64_t offset) {
        return slot.IsPageOrRef() && !shadowed(offset - base);
      },
      256);
  if (!found) {
    return false;
  }
  std::vector<Vmo*> path;
  for (size_t i = level + 1; i-- > 0;) {
    path.push_back(chain[i]);
  }
  ForkDown(path, *found);
  return true;
}

void Simulator::Impl::ForkDown(const std::vector<Vmo*>& path, uint64_t offset0) {
  uint64_t offset = offset0;
  for (size_t i = 0; i + 1 < path.size(); i++) {
    Vmo& level = *path[i];
    Vmo& next = *path[i + 1];
    const uint64_t next_offset = offset - next.parent_offset;
    VmPageOrMarkerRef ref = level.list().LookupMutable(offset);
    DEBUG_ASSERT(ref && ref->IsPageOrRef());
    if (ref->IsReference()) {
      // A compressed page must be decompressed before it can be copied or moved.
      vm_page_t* page = NewPage();
      if (page == nullptr) {
        return;
      }
      FreeReference(ref.SwapReferenceForPage(page));
      Count(OpKind::kDecompress);
    }
    auto [slot, in_interval] =
        next.list().LookupOrAllocate(next_offset, IntervalHandling::NoIntervals);
    if (slot == nullptr) {
      return;
    }
    DEBUG_ASSERT(slot->IsEmpty());
    const int side = next.side();
    const bool other_split = side == 0 ? ref->PageOrRefRightSplit() : ref->PageOrRefLeftSplit();
    if (other_split) {
      // The sibling has its own copy: this child is the page's last user, so it moves down.
      VmPageOrMarker content = level.list().RemoveContent(offset);
      content.SetPageOrRefLeftSplit(false);
      content.SetPageOrRefRightSplit(false);
      *slot = std::move(content);
      Count(OpKind::kCowMove);
    } else {
      vm_page_t* copy = NewPage();
      if (copy == nullptr) {
        next.list().ReturnEmptySlot(next_offset);
        return;
      }
      if (side == 0) {
        ref.SetPageOrRefLeftSplit(true);
      } else {
        ref.SetPageOrRefRightSplit(true);
      }
      *slot = VmPageOrMarker::Page(copy);
      Count(OpKind::kCowFork);
    }
    offset = next_offset;
  }
}

// Reclaim of a window of one visible VMO, starting at some content.
bool Simulator::Impl::OpEvict() {
  const size_t total = anon_visible_.size() + pagers_.size();
  if (total == 0) {
    return false;
  }
  const size_t index = rng_() % total;
  Vmo* vmo =
      index < anon_visible_.size() ? anon_visible_[index] : pagers_[index - anon_visible_.size()];
  auto start = FindSlot(vmo->list(), 0, PickOffset(*vmo), vmo->size, IsPageOrRef);
  if (!start) {
    return false;
  }
  return DropRange(*vmo, *start, *start + Between(1, 32) * kPage, OpKind::kEvict) > 0;
}

}  // namespace vmpl::sim
