// Page supply and collection through splice lists. TakePages moves a range of a skew-0 root (an
// auxiliary anonymous VMO, or a pager VMO's range free of intervals) into a splice list; a
// hand-built splice list (public constructor, Append, Finalize) collects a range of any visible
// VMO, with that VMO's skew. Either waits, registered, until splice_pop steps Pop it (peeking at
// references first) into its destination list.

#include <stdio.h>
#include <vm/pmm.h>
#include <zircon/errors.h>

#include <algorithm>

#include "sim_internal.h"

namespace vmpl::sim {

PendingSplice& Simulator::Impl::AddPending(std::unique_ptr<VmPageSpliceList> splice,
                                           std::string role, uint64_t destination_vmo,
                                           uint64_t destination_offset) {
  PendingSplice pending;
  pending.id = next_splice_id_++;
  char name[64];
  snprintf(name, sizeof(name), "splice:%lu/%s", pending.id, role.c_str());
  pending.name = name;
  pending.splice = std::move(splice);
  pending.registration = ScopedRegistration(pending.splice.get(), pending.name);
  pending.destination_vmo = destination_vmo;
  pending.destination_offset = destination_offset;
  pending_.push_back(std::move(pending));
  return pending_.back();
}

namespace {

bool IsPageOrRefOrMarker(const VmPageOrMarker& slot, uint64_t) {
  return slot.IsPageOrRef() || slot.IsMarker();
}

}  // namespace

bool Simulator::Impl::OpTakePages() {
  if (pending_.size() >= kMaxPendingSplices || pagers_.empty()) {
    return false;
  }
  // The source: a root with skew 0 (TakePages does not support children or skewed lists).
  const size_t total = anon_roots_.size() + pagers_.size();
  Vmo* source = nullptr;
  uint64_t start = 0;
  uint64_t end = 0;
  for (int attempt = 0; attempt < 4 && source == nullptr; attempt++) {
    const size_t index = rng_() % total;
    Vmo* candidate =
        index < anon_roots_.size() ? anon_roots_[index] : pagers_[index - anon_roots_.size()];
    DEBUG_ASSERT(candidate->parent == nullptr);
    if (candidate->list().GetSkew() != 0) {
      // A former clone whose tree collapsed above it keeps its skew.
      continue;
    }
    auto first = FindSlot(candidate->list(), 0, PickOffset(*candidate), candidate->size,
                          IsPageOrRefOrMarker);
    start = first ? *first : PickOffset(*candidate);
    // Sometimes start a little before the content, so the range begins with a gap.
    start -= std::min(start, Between(0, 3) * kPage);
    end = std::min(start + Between(1, 64) * kPage, candidate->size);
    if (RangeFreeOfIntervals(candidate->list(), start, end)) {
      source = candidate;
    }
  }
  if (source == nullptr) {
    return false;
  }
  const uint64_t length = end - start;
  Vmo* destination = Pick(pagers_);
  if (destination->size < length) {
    return false;
  }
  const uint64_t destination_offset =
      std::min(PickOffset(*destination), destination->size - length);
  auto splice = std::make_unique<VmPageSpliceList>(source->list().TakePages(start, length));
  Count(OpKind::kTakePages);
  char role[48];
  snprintf(role, sizeof(role), "supply-for:vmo:%lu", destination->id);
  AddPending(std::move(splice), role, destination->id, destination_offset);
  return true;
}

bool Simulator::Impl::OpSpliceAppend() {
  if (pending_.size() >= kMaxPendingSplices) {
    return false;
  }
  const size_t total = anon_visible_.size() + pagers_.size();
  if (total < 2) {
    return false;
  }
  const size_t index = rng_() % total;
  Vmo* source =
      index < anon_visible_.size() ? anon_visible_[index] : pagers_[index - anon_visible_.size()];
  VmPageList& list = source->list();
  auto first = FindSlot(list, 0, PickOffset(*source), source->size, IsPageOrRefOrMarker);
  const uint64_t start = first ? *first : PickOffset(*source);
  const uint64_t end = std::min(start + Between(1, 48) * kPage, source->size);
  if (source->kind == VmoKind::kPager && !RangeFreeOfIntervals(list, start, end)) {
    return false;
  }
  // The destination: another visible VMO with room for the range.
  const uint64_t length = end - start;
  Vmo* destination = nullptr;
  for (int attempt = 0; attempt < 4 && destination == nullptr; attempt++) {
    const size_t d = rng_() % total;
    Vmo* candidate =
        d < anon_visible_.size() ? anon_visible_[d] : pagers_[d - anon_visible_.size()];
    if (candidate != source && candidate->size >= length) {
      destination = candidate;
    }
  }
  if (destination == nullptr) {
    return false;
  }
  const uint64_t destination_offset =
      std::min(PickOffset(*destination), destination->size - length);

  char role[48];
  snprintf(role, sizeof(role), "collect-from:vmo:%lu", source->id);
  PendingSplice& pending =
      AddPending(std::make_unique<VmPageSpliceList>(start, length, list.GetSkew()), role,
                 destination->id, destination_offset);
  VmPageSpliceList& splice = *pending.splice;
  for (uint64_t offset = start; offset < end; offset += kPage) {
    VmPageOrMarker content = list.RemoveContent(offset);
    if (source->parent != nullptr && !content.IsEmpty()) {
      // The clone must still read zeros here rather than its parent's page.
      auto above = ContentAbove(*source, offset);
      if (above && above->page_or_ref) {
        auto [slot, in_interval] = list.LookupOrAllocate(offset, IntervalHandling::NoIntervals);
        if (slot != nullptr) {
          *slot = VmPageOrMarker::Marker();
          ReleaseParentContent(*source, offset);
        }
      }
    }
    // Append frees the content itself if it fails; keep the accounting in step.
    const vm_page_t* page = content.IsPage() ? content.Page() : nullptr;
    const uint64_t reference = content.IsReference() ? content.Reference().value() : 0;
    const bool is_reference = content.IsReference();
    if (splice.Append(std::move(content)) != ZX_OK) {
      if (page != nullptr) {
        ForgetPage(page);
      } else if (is_reference) {
        ForgetReference(reference);
      }
    }
    Count(OpKind::kSpliceAppend);
  }
  splice.Finalize();
  return true;
}

bool Simulator::Impl::OpSplicePop() {
  if (pending_.empty()) {
    return false;
  }
  const size_t index = rng_() % pending_.size();
  PendingSplice& pending = pending_[index];
  VmPageSpliceList& splice = *pending.splice;
  Vmo* destination = FindVmo(pending.destination_vmo);
  if (destination == nullptr) {
    pending.destination_vmo = 0;
  }
  const uint64_t pops = Between(1, 32);
  for (uint64_t i = 0; i < pops && !splice.IsProcessed(); i++) {
    const uint64_t position = splice.Position();
    VmPageOrMarkerRef ref = splice.PeekReference();
    if (ref && Chance(50)) {
      // The receiver decompresses before it takes the page.
      vm_page_t* page = NewPage();
      if (page != nullptr) {
        FreeReference(ref.SwapReferenceForPage(page));
        Count(OpKind::kSplicePeekReference);
      }
    }
    VmPageOrMarker content = splice.Pop();
    Count(OpKind::kSplicePop);
    if (destination != nullptr) {
      Place(*destination, pending.destination_offset + position, std::move(content));
    } else {
      FreeContent(content);
    }
  }
  if (splice.IsProcessed()) {
    pending_.erase(pending_.begin() + static_cast<ptrdiff_t>(index));
  }
  return true;
}

void Simulator::Impl::DrainSplice(size_t index, bool free_everything) {
  PendingSplice& pending = pending_[index];
  VmPageSpliceList& splice = *pending.splice;
  Vmo* destination = free_everything ? nullptr : FindVmo(pending.destination_vmo);
  while (!splice.IsProcessed()) {
    const uint64_t position = splice.Position();
    VmPageOrMarker content = splice.Pop();
    if (destination != nullptr) {
      Place(*destination, pending.destination_offset + position, std::move(content));
    } else {
      FreeContent(content);
    }
  }
  pending_.erase(pending_.begin() + static_cast<ptrdiff_t>(index));
}

}  // namespace vmpl::sim
