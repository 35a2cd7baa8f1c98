// The simulator's VMO model (see sim_internal.h): VMOs and their lists, pages and references
// with serial numbers, offset choice, slot searches, the census and the state digest.

#include <stdio.h>
#include <vm/pmm.h>
#include <vmpl/page_allocator.h>
#include <vmpl/page_list_access.h>
#include <zircon/errors.h>

#include <algorithm>
#include <bit>

#include "sim_internal.h"

namespace vmpl::sim {

// ---------------------------------------------------------------------------------------------
// Pages and references

vm_page_t* Simulator::Impl::NewPage() {
  vm_page_t* page = PageAllocator::Get().AllocPage();
  if (page == nullptr) {
    return nullptr;
  }
  page_serial_.emplace(page, next_serial_++);
  stats_.live_pages++;
  return page;
}

void Simulator::Impl::FreePage(vm_page_t* page) {
  ForgetPage(page);
  pmm_free_page(page);
}

void Simulator::Impl::ForgetPage(const vm_page_t* page) {
  const size_t erased = page_serial_.erase(page);
  ASSERT_MSG(erased == 1, "simulator: freeing page %p it does not own", page);
  stats_.live_pages--;
}

VmPageOrMarker::ReferenceValue Simulator::Impl::NewReference() {
  const uint64_t value = PageAllocator::Get().AllocReference();
  reference_serial_.emplace(value, next_serial_++);
  stats_.live_references++;
  return VmPageOrMarker::ReferenceValue(value);
}

void Simulator::Impl::FreeReference(VmPageOrMarker::ReferenceValue ref) {
  ForgetReference(ref.value());
  vmpl::FreeReference(ref.value());
}

void Simulator::Impl::ForgetReference(uint64_t value) {
  const size_t erased = reference_serial_.erase(value);
  ASSERT_MSG(erased == 1, "simulator: freeing reference %#lx it does not own", value);
  stats_.live_references--;
}

void Simulator::Impl::FreeContent(VmPageOrMarker& content) {
  if (content.IsPage()) {
    FreePage(content.ReleasePage());
  } else if (content.IsReference()) {
    FreeReference(content.ReleaseReference());
  } else {
    content = VmPageOrMarker::Empty();
  }
}

uint64_t Simulator::Impl::PageSerial(const vm_page_t* page) const {
  auto it = page_serial_.find(page);
  return it == page_serial_.end() ? 0 : it->second;
}

uint64_t Simulator::Impl::ReferenceSerial(uint64_t value) const {
  auto it = reference_serial_.find(value);
  return it == reference_serial_.end() ? 0 : it->second;
}

// ---------------------------------------------------------------------------------------------
// VMOs

Vmo* Simulator::Impl::CreateRoot(VmoKind kind, bool aux) {
  DEBUG_ASSERT(kind != VmoKind::kHidden);
  auto vmo = std::make_unique<Vmo>();
  vmo->id = next_vmo_id_++;
  vmo->kind = kind;
  vmo->aux = aux;
  // Log-uniform size between 1 MiB and max_vmo_size.
  const uint64_t max_size = config_.max_vmo_size;
  const int top = std::bit_width(max_size) - 1;
  const int exponent = static_cast<int>(Between(20, static_cast<uint64_t>(std::max(top, 20))));
  const uint64_t lo = uint64_t{1} << exponent;
  const uint64_t hi = exponent >= top ? max_size : std::min(max_size, lo << 1);
  vmo->size = ROUNDDOWN(Between(std::min(lo, hi), hi), kPage);
  const uint64_t pages = vmo->size / kPage;
  for (int i = 0; i < 4; i++) {
    vmo->hot.push_back(Between(0, pages - 1) * kPage);
  }
  char name[64];
  snprintf(name, sizeof(name), "vmo:%lu/%s", vmo->id,
           kind == VmoKind::kPager ? "pager"
           : aux                   ? "aux"
                                   : "anon");
  vmo->name = name;
  vmo->owned.list = std::make_unique<VmPageList>();
  vmo->owned.registration = ScopedRegistration(vmo->owned.list.get(), vmo->name);
  Vmo* raw = vmo.get();
  vmos_.emplace(raw->id, std::move(vmo));
  AddToIndexes(raw);
  return raw;
}

void Simulator::Impl::DestroyVmo(Vmo* vmo) {
  DEBUG_ASSERT(vmo->children[0] == nullptr && vmo->children[1] == nullptr);
  vmo->list().RemoveAllContent([this](VmPageOrMarker&& content) {
    VmPageOrMarker owned = std::move(content);
    FreeContent(owned);
  });
  RemoveFromIndexes(vmo);
  vmos_.erase(vmo->id);
}

Vmo* Simulator::Impl::FindVmo(uint64_t id) const {
  auto it = vmos_.find(id);
  return it == vmos_.end() ? nullptr : it->second.get();
}

namespace {

void SwapRemove(std::vector<Vmo*>& v, Vmo* vmo) {
  auto it = std::find(v.begin(), v.end(), vmo);
  if (it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}

}  // namespace

void Simulator::Impl::AddToIndexes(Vmo* vmo) {
  switch (vmo->kind) {
    case VmoKind::kAnonymous:
      anon_visible_.push_back(vmo);
      (vmo->parent != nullptr ? anon_clones_ : anon_roots_).push_back(vmo);
      break;
    case VmoKind::kPager:
      pagers_.push_back(vmo);
      break;
    case VmoKind::kHidden:
      hidden_.push_back(vmo);
      break;
  }
}

void Simulator::Impl::RemoveFromIndexes(Vmo* vmo) {
  for (std::vector<Vmo*>* v : {&anon_visible_, &anon_clones_, &anon_roots_, &pagers_, &hidden_}) {
    SwapRemove(*v, vmo);
  }
}

void Simulator::Impl::RecomputeDepth(Vmo* vmo, size_t depth) {
  vmo->depth = depth;
  for (Vmo* child : vmo->children) {
    if (child != nullptr) {
      RecomputeDepth(child, depth + 1);
    }
  }
}

size_t Simulator::Impl::TotalNodes() const {
  size_t nodes = 0;
  for (const auto& [id, vmo] : vmos_) {
    nodes += vmo->list().HeapAllocationBytes() / sizeof(VmPageListNode);
  }
  for (const PendingSplice& pending : pending_) {
    nodes += PageListAccess::middle(*pending.splice).size();
  }
  return nodes;
}

// ---------------------------------------------------------------------------------------------
// Offsets and searches

uint64_t Simulator::Impl::PickOffset(const Vmo& vmo) {
  const uint64_t pages = vmo.size / kPage;
  if (!vmo.hot.empty() && Chance(85)) {
    const uint64_t base = vmo.hot[rng_() % vmo.hot.size()];
    const uint64_t room = std::min(kHotPages, (vmo.size - base) / kPage);
    return base + Between(0, room - 1) * kPage;
  }
  return Between(0, pages - 1) * kPage;
}

std::optional<Ancestor> Simulator::Impl::ContentAbove(const Vmo& vmo, uint64_t offset) const {
  uint64_t cur_offset = offset;
  for (const Vmo* cur = &vmo; cur->parent != nullptr; cur = cur->parent) {
    cur_offset += cur->parent_offset;
    const VmPageOrMarker* slot = cur->parent->list().Lookup(cur_offset);
    if (slot != nullptr && !slot->IsEmpty()) {
      return Ancestor{cur->parent, cur_offset, slot->IsPageOrRef()};
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> Simulator::Impl::FindSlot(
    const VmPageList& list, uint64_t lo, uint64_t start, uint64_t limit,
    const std::function<bool(const VmPageOrMarker&, uint64_t)>& pred, size_t max_visits) const {
  std::optional<uint64_t> found;
  size_t visits = 0;
  auto visit = [&](const VmPageOrMarker* slot, uint64_t offset) {
    if (pred(*slot, offset)) {
      found = offset;
      return ZX_ERR_STOP;
    }
    return ++visits >= max_visits ? ZX_ERR_STOP : ZX_ERR_NEXT;
  };
  if (start < limit) {
    list.ForEveryPageInRange(visit, start, limit);
  }
  if (!found && visits < max_visits && lo < start) {
    list.ForEveryPageInRange(visit, lo, std::min(start, limit));
  }
  return found;
}

std::optional<std::pair<uint64_t, const VmPageOrMarker*>> Simulator::Impl::FirstPopulated(
    const VmPageList& list, uint64_t start, uint64_t limit) const {
  std::optional<std::pair<uint64_t, const VmPageOrMarker*>> found;
  if (start >= limit) {
    return found;
  }
  list.ForEveryPageInRange(
      [&found](const VmPageOrMarker* slot, uint64_t offset) {
        found.emplace(offset, slot);
        return ZX_ERR_STOP;
      },
      start, limit);
  return found;
}

std::optional<std::pair<uint64_t, uint64_t>> Simulator::Impl::FindInterval(const Vmo& vmo,
                                                                           uint64_t min_pages) {
  const VmPageList& list = vmo.list();
  if (list.IsEmpty()) {
    return std::nullopt;
  }
  std::optional<std::pair<uint64_t, uint64_t>> result;
  std::optional<uint64_t> start;
  size_t visits = 0;
  auto visit = [&](const VmPageOrMarker* slot, uint64_t offset) {
    if (++visits > 1024) {
      return ZX_ERR_STOP;
    }
    if (!slot->IsInterval()) {
      return ZX_ERR_NEXT;
    }
    if (!start) {
      if (slot->IsIntervalSlot()) {
        if (min_pages <= 1) {
          result.emplace(offset, offset);
          return ZX_ERR_STOP;
        }
      } else if (slot->IsIntervalStart()) {
        start = offset;
      }
      // An End without its Start: the walk began inside that interval.
      return ZX_ERR_NEXT;
    }
    DEBUG_ASSERT(slot->IsIntervalEnd());
    if ((offset - *start) / kPage + 1 >= min_pages) {
      result.emplace(*start, offset);
      return ZX_ERR_STOP;
    }
    start.reset();
    return ZX_ERR_NEXT;
  };
  const uint64_t from = PickOffset(vmo);
  list.ForEveryPageInRange(visit, from, vmo.size);
  if (!result && visits <= 1024) {
    start.reset();
    list.ForEveryPageInRange(visit, 0, vmo.size);
  }
  return result;
}

std::optional<Simulator::Impl::PickedInterval> Simulator::Impl::PickPagerInterval(
    uint64_t min_pages) {
  Vmo* vmo = Pick(pagers_);
  if (vmo == nullptr) {
    return std::nullopt;
  }
  auto interval = FindInterval(*vmo, min_pages);
  if (!interval) {
    return std::nullopt;
  }
  return PickedInterval{vmo, interval->first, interval->second};
}

bool Simulator::Impl::AdjustOutsideIntervals(const VmPageList& list, uint64_t& start,
                                             uint64_t& end) const {
  if (start < end && list.IsOffsetInZeroInterval(start)) {
    // Unless |start| is the interval's first page, move past its End.
    auto first = FirstPopulated(list, start, VmPageList::MAX_SIZE - kNodeSpan);
    DEBUG_ASSERT(first);
    const VmPageOrMarker* slot = first->second;
    if (!(first->first == start && (slot->IsIntervalStart() || slot->IsIntervalSlot()))) {
      DEBUG_ASSERT(slot->IsIntervalEnd());
      start = first->first + kPage;
    }
  }
  if (start < end && list.IsOffsetInZeroInterval(end - kPage)) {
    // Unless |end| - 1 page is the interval's last page, move |end| past its End.
    auto first = FirstPopulated(list, end - kPage, VmPageList::MAX_SIZE - kNodeSpan);
    DEBUG_ASSERT(first);
    const VmPageOrMarker* slot = first->second;
    if (first->first == end - kPage && (slot->IsIntervalEnd() || slot->IsIntervalSlot())) {
      // Already the last page.
    } else if (first->first == end - kPage) {
      DEBUG_ASSERT(slot->IsIntervalStart());
      auto interval_end = FirstPopulated(list, end, VmPageList::MAX_SIZE - kNodeSpan);
      DEBUG_ASSERT(interval_end && interval_end->second->IsIntervalEnd());
      end = interval_end->first + kPage;
    } else {
      DEBUG_ASSERT(slot->IsIntervalEnd());
      end = first->first + kPage;
    }
  }
  return start < end;
}

bool Simulator::Impl::RangeFreeOfIntervals(const VmPageList& list, uint64_t start,
                                           uint64_t end) const {
  if (start >= end || list.IsOffsetInZeroInterval(start) ||
      list.IsOffsetInZeroInterval(end - kPage)) {
    return false;
  }
  bool sentinel = false;
  list.ForEveryPageInRange(
      [&sentinel](const VmPageOrMarker* slot, uint64_t) {
        if (slot->IsInterval()) {
          sentinel = true;
          return ZX_ERR_STOP;
        }
        return ZX_ERR_NEXT;
      },
      start, end);
  return !sentinel;
}

bool Simulator::Impl::Place(Vmo& vmo, uint64_t offset, VmPageOrMarker content) {
  if (content.IsEmpty()) {
    return false;
  }
  if (offset >= vmo.size) {
    FreeContent(content);
    return false;
  }
  VmPageList& list = vmo.list();
  auto [slot, in_interval] =
      list.LookupOrAllocate(offset, vmo.kind == VmoKind::kPager ? IntervalHandling::CheckForInterval
                                                                : IntervalHandling::NoIntervals);
  if (slot == nullptr || in_interval) {
    FreeContent(content);
    return false;
  }
  if (slot->IsEmpty() || (slot->IsMarker() && content.IsPageOrRef())) {
    const bool own_copy = content.IsPageOrRef();
    *slot = std::move(content);
    if (own_copy && vmo.parent != nullptr) {
      // The VMO now has its own content here; its parent's page is no longer needed by it.
      ReleaseParentContent(vmo, offset);
    }
    return true;
  }
  FreeContent(content);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Census and digest

namespace {

// Calls fn(position, slot) for every non-empty slot a splice list still holds.
template <typename F>
void ForEachSpliceSlot(const VmPageSpliceList& splice, F fn) {
  const VmPageListNode& head = PageListAccess::head(splice);
  for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
    const VmPageOrMarker& slot = PageListAccess::slot(head, i);
    if (!slot.IsEmpty()) {
      fn(uint64_t{1} << 62 | i, slot);
    }
  }
  for (const VmPageListNode& node : PageListAccess::middle(splice)) {
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      const VmPageOrMarker& slot = PageListAccess::slot(node, i);
      if (!slot.IsEmpty()) {
        fn(node.offset() + i * kPage, slot);
      }
    }
  }
  const VmPageListNode& tail = PageListAccess::tail(splice);
  for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
    const VmPageOrMarker& slot = PageListAccess::slot(tail, i);
    if (!slot.IsEmpty()) {
      fn(uint64_t{2} << 62 | i, slot);
    }
  }
}

class Digest {
 public:
  void Add(uint64_t value) {
    state_ ^= value + 0x9e3779b97f4a7c15 + (state_ << 6) + (state_ >> 2);
    state_ *= 0xff51afd7ed558ccd;
    state_ ^= state_ >> 33;
  }
  uint64_t value() const { return state_; }

 private:
  uint64_t state_ = 0xcbf29ce484222325;
};

}  // namespace

Census Simulator::Impl::TakeCensus() const {
  Census census;
  auto count = [&census](const VmPageOrMarker& slot) {
    if (slot.IsPage()) {
      census.pages++;
    } else if (slot.IsReference()) {
      census.references++;
    } else if (slot.IsMarker()) {
      census.markers++;
    } else if (slot.IsIntervalStart() || slot.IsIntervalSlot()) {
      census.intervals++;
    }
  };
  for (const auto& [id, vmo] : vmos_) {
    census.lists++;
    switch (vmo->kind) {
      case VmoKind::kHidden:
        census.hidden_vmos++;
        break;
      case VmoKind::kPager:
        census.pager_vmos++;
        census.visible_vmos++;
        break;
      case VmoKind::kAnonymous:
        census.visible_vmos++;
        break;
    }
    if (vmo->list().GetSkew() != 0) {
      census.skewed_lists++;
    }
    census.nodes += vmo->list().HeapAllocationBytes() / sizeof(VmPageListNode);
    vmo->list().ForEveryPage([&count](const VmPageOrMarker* slot, uint64_t) {
      count(*slot);
      return ZX_ERR_NEXT;
    });
  }
  for (const PendingSplice& pending : pending_) {
    census.splice_lists++;
    census.nodes += PageListAccess::middle(*pending.splice).size();
    ForEachSpliceSlot(*pending.splice,
                      [&count](uint64_t, const VmPageOrMarker& slot) { count(slot); });
  }
  census.heap_bytes = census.nodes * sizeof(VmPageListNode);
  return census;
}

uint64_t Simulator::Impl::StateDigest() const {
  Digest digest;
  auto add_slot = [this, &digest](uint64_t position, const VmPageOrMarker& slot) {
    digest.Add(position);
    if (slot.IsPage()) {
      digest.Add(1);
      digest.Add(PageSerial(slot.Page()));
      digest.Add(slot.PageOrRefLeftSplit() * 2 + slot.PageOrRefRightSplit());
    } else if (slot.IsReference()) {
      digest.Add(2);
      digest.Add(ReferenceSerial(slot.Reference().value()));
      digest.Add(slot.PageOrRefLeftSplit() * 2 + slot.PageOrRefRightSplit());
    } else if (slot.IsMarker()) {
      digest.Add(3);
    } else if (slot.IsInterval()) {
      const uint64_t sentinel = slot.IsIntervalStart() ? 1 : slot.IsIntervalEnd() ? 2 : 3;
      digest.Add(4 + sentinel);
      digest.Add(static_cast<uint64_t>(slot.GetZeroIntervalDirtyState()));
      if (slot.IsIntervalStart() || slot.IsIntervalSlot()) {
        digest.Add(slot.GetZeroIntervalAwaitingCleanLength());
      }
    }
  };
  for (const auto& [id, vmo] : vmos_) {
    digest.Add(id);
    digest.Add(static_cast<uint64_t>(vmo->kind));
    digest.Add(vmo->parent != nullptr ? vmo->parent->id : 0);
    digest.Add(vmo->parent_offset);
    digest.Add(vmo->size);
    digest.Add(vmo->list().GetSkew());
    for (const Vmo* child : vmo->children) {
      digest.Add(child != nullptr ? child->id : 0);
    }
    vmo->list().ForEveryPage([&add_slot](const VmPageOrMarker* slot, uint64_t offset) {
      add_slot(offset, *slot);
      return ZX_ERR_NEXT;
    });
  }
  for (const PendingSplice& pending : pending_) {
    digest.Add(pending.id);
    digest.Add(pending.destination_vmo);
    digest.Add(pending.destination_offset);
    digest.Add(pending.splice->offset());
    digest.Add(pending.splice->length());
    digest.Add(pending.splice->Position());
    ForEachSpliceSlot(*pending.splice, add_slot);
  }
  return digest.value();
}

}  // namespace vmpl::sim
