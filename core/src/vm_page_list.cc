// The out-of-line part of the page list: node management, lookups, zero intervals, merging and
// splicing. It does what docs/semantics.md describes; the section numbers below refer to it.

#include <fbl/alloc_checker.h>
#include <vm/vm_page_list.h>
#include <vmpl/node_allocator.h>
#include <vmpl/page_reference.h>

#include <new>

namespace {

// Bytes covered by one node.
constexpr uint64_t kNodeSize = VmPageListNode::kPageFanOut * PAGE_SIZE;

// True when |offset| + |skew| is representable; offsets beyond that have no slot in any list.
bool SkewedOffsetFits(uint64_t offset, uint64_t skew) { return offset <= UINT64_MAX - skew; }

using IntervalSentinel = VmPageOrMarker::IntervalSentinel;

}  // namespace

// ---------------------------------------------------------------------------------------------
// VmPageListNode

VmPageListNode::VmPageListNode(uint64_t offset) : obj_offset_(offset) {}

void* VmPageListNode::operator new(size_t size) {
  return vmpl::NodeAllocator::AllocateOrFail(size);
}

void* VmPageListNode::operator new(size_t size, fbl::AllocChecker* ac) noexcept {
  return vmpl::NodeAllocator::AllocateChecked(size, ac);
}

void VmPageListNode::operator delete(void* memory) { vmpl::NodeAllocator::Free(memory); }

void VmPageListNode::operator delete(void* memory, fbl::AllocChecker*) noexcept {
  vmpl::NodeAllocator::Free(memory);
}

VmPageListNode::~VmPageListNode() {
  canary_.Assert();
  DEBUG_ASSERT(HasNoPageOrRef());
}

// ---------------------------------------------------------------------------------------------
// VmPageList: life cycle and node bookkeeping

VmPageList::VmPageList() {
  VMPL_TRACE_EVENT(kListCreate, this, 0, static_cast<uint64_t>(vmpl::trace::ListKind::kPageList), 0,
                   0, 0);
}

VmPageList::~VmPageList() {
  DEBUG_ASSERT(HasNoPageOrRef());
  // The nodes still held (markers, intervals) are freed by list_'s destructor.
  ClearNodes();
  VMPL_TRACE_EVENT(kListDestroy, this, 0, 0, 0, 0, 0);
}

VmPageList::VmPageList(VmPageList&& other)
    : list_(ktl::move(other.list_)), node_table_(ktl::move(other.node_table_)) {
  list_skew_ = other.list_skew_;
  other.list_skew_ = 0;
  VMPL_TRACE_EVENT(kListCreate, this, 0, static_cast<uint64_t>(vmpl::trace::ListKind::kPageList), 0,
                   0, 0);
  VMPL_TRACE_EVENT(kListMove, this, 0, reinterpret_cast<uintptr_t>(&other), 0, 0, 0);
}

VmPageList& VmPageList::operator=(VmPageList&& other) {
  // Owned content would leak; markers and interval sentinels are simply dropped.
  DEBUG_ASSERT(HasNoPageOrRef());
  ClearNodes();
  list_ = ktl::move(other.list_);
  node_table_ = ktl::move(other.node_table_);
  list_skew_ = other.list_skew_;
  other.list_skew_ = 0;
  VMPL_TRACE_EVENT(kListMove, this, 0, reinterpret_cast<uintptr_t>(&other), 0, 0, 0);
  return *this;
}

VmPageListNode* VmPageList::AllocateNode(uint64_t node_offset) {
  DEBUG_ASSERT(node_offset < MAX_SIZE);
  DEBUG_ASSERT(node_offset % kNodeSize == 0);
  fbl::AllocChecker ac;
  ktl::unique_ptr<VmPageListNode> node(new (&ac) VmPageListNode(node_offset));
  if (!ac.check()) {
    return nullptr;
  }
  VmPageListNode* raw = node.get();
  LinkNode(ktl::move(node));
  VMPL_TRACE_EVENT(kNodeAlloc, this, 0, reinterpret_cast<uintptr_t>(raw), node_offset, 0, 0);
  return raw;
}

void VmPageList::FreeNode(VmPageListNode& node) {
  DEBUG_ASSERT(node.HasNoPageOrRef());
  VMPL_TRACE_EVENT(kNodeFree, this, 0, reinterpret_cast<uintptr_t>(&node), node.offset(), 0, 0);
  UnlinkNode(node);  // The returned pointer frees the node.
}

void VmPageList::LinkNode(ktl::unique_ptr<VmPageListNode> node) {
  const uint64_t key = node->offset();
  VmPageListNode* raw = node.get();
  list_.insert(ktl::move(node));
  if (node_table_.active()) {
    node_table_.Insert(key, raw);
  } else if (list_.size() >= vmpl::NodeTable::kMinNodes) {
    RebuildNodeTable();  // first time big enough, or the table was dropped
  }
}

void VmPageList::RebuildNodeTable() {
  if (list_.size() < vmpl::NodeTable::kMinNodes) {
    node_table_.Drop();
    return;
  }
  node_table_.Build(list_.size(), [this](auto place) {
    for (VmPageListNode& n : list_) {
      place(n.offset(), &n);
    }
  });
}

bool VmPageList::SuspendNodeTableFor(uint64_t start_offset, uint64_t end_offset) {
  if (!node_table_.active() || list_.is_empty() || end_offset <= start_offset ||
      !SkewedOffsetFits(end_offset - PAGE_SIZE, list_skew_)) {
    return false;
  }
  const bool covers_all = NodeOffset(start_offset) <= list_.front().offset() &&
                          NodeOffset(end_offset - PAGE_SIZE) >= list_.back().offset();
  if (covers_all) {
    node_table_.Drop();
  }
  return covers_all;
}

void VmPageList::ForgetNodes(const fbl::WAVLTree<uint64_t, ktl::unique_ptr<VmPageListNode>>& gone) {
  if (!node_table_.active()) {
    return;
  }
  if (list_.size() < gone.size()) {
    RebuildNodeTable();
    return;
  }
  for (const VmPageListNode& node : gone) {
    node_table_.Erase(node.offset());
  }
}

ktl::unique_ptr<VmPageListNode> VmPageList::UnlinkNode(VmPageListNode& node) {
  node_table_.Erase(node.offset());
  return list_.erase(node);
}

void VmPageList::ClearNodes() {
  if (VMPL_TRACE_WANTED()) {
    for (auto& node : list_) {
      VMPL_TRACE_EVENT(kNodeFree, this, 0, reinterpret_cast<uintptr_t>(&node), node.offset(), 0, 0);
    }
  }
  node_table_.Drop();
  list_.clear();
}

VmPageOrMarker* VmPageList::LookupSlot(uint64_t offset) {
  if (!SkewedOffsetFits(offset, list_skew_)) {
    return nullptr;
  }
  VmPageListNode* node = FindNode(NodeOffset(offset));
  return node != nullptr ? &node->Lookup(NodeIndex(offset)) : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Lookups (sections 4.1 to 4.4)

const VmPageOrMarker* VmPageList::Lookup(uint64_t offset) const {
  return const_cast<VmPageList*>(this)->LookupSlot(offset);
}

VmPageOrMarkerRef VmPageList::LookupMutable(uint64_t offset) {
  return VmPageOrMarkerRef(LookupSlot(offset));
}

VMPLCursor VmPageList::LookupMutableCursor(uint64_t offset) {
  if (!SkewedOffsetFits(offset, list_skew_)) {
    return VMPLCursor();
  }
  VmPageListNode* node = FindNode(NodeOffset(offset));
  if (node == nullptr) {
    return VMPLCursor();
  }
  return VMPLCursor(list_.make_iterator(*node), static_cast<uint>(NodeIndex(offset)));
}

VmPageOrMarker* VmPageList::LookupOrAllocateInternal(uint64_t offset) {
  VMPL_TRACE_OP(this, kLookupOrAllocate, offset, 0);
  if (!SkewedOffsetFits(offset, list_skew_)) {
    return nullptr;
  }
  const uint64_t node_offset = NodeOffset(offset);
  if (node_offset >= MAX_SIZE) {
    return nullptr;
  }
  const size_t index = NodeIndex(offset);
  if (VmPageListNode* node = FindNode(node_offset)) {
    return &node->Lookup(index);
  }
  VmPageListNode* new_node = AllocateNode(node_offset);
  return new_node ? &new_node->Lookup(index) : nullptr;
}

ktl::pair<VmPageOrMarker*, bool> VmPageList::LookupOrAllocateCheckForInterval(uint64_t offset,
                                                                              bool split_interval) {
  VMPL_TRACE_OP(this, kLookupOrAllocate, offset, split_interval ? 2 : 1);
  if (!SkewedOffsetFits(offset, list_skew_)) {
    return {nullptr, false};
  }
  const uint64_t node_offset = NodeOffset(offset);
  if (node_offset >= MAX_SIZE) {
    return {nullptr, false};
  }
  const size_t index = NodeIndex(offset);

  // The containing node, or the next one: if no node at or after |node_offset| exists, the offset
  // cannot be in an interval, because an interval always has a populated End at or after it.
  auto node = list_.lower_bound(node_offset);
  VmPageOrMarker* slot = nullptr;
  const VmPageOrMarker* found_interval = nullptr;
  bool in_interval = false;
  if (node.IsValid()) {
    if (node->offset() == node_offset) {
      slot = &node->Lookup(index);
    }
    in_interval = IfOffsetInIntervalHelper(offset, *node, &found_interval);
  }
  if (in_interval && !split_interval) {
    return {nullptr, true};
  }

  if (!slot) {
    VmPageListNode* new_node = AllocateNode(node_offset);
    if (!new_node) {
      return {nullptr, in_interval};
    }
    slot = &new_node->Lookup(index);
    node = list_.make_iterator(*new_node);
  }
  if (!in_interval || slot->IsIntervalSlot()) {
    return {slot, in_interval};
  }

  // Split [start, end] into [start, offset) [offset] (offset, end] (section 4.4, steps 4 to 8).
  DEBUG_ASSERT(found_interval && found_interval->IsIntervalZero());
  DEBUG_ASSERT(slot->IsEmpty() || slot->IsIntervalStart() || slot->IsIntervalEnd());
  const VmPageOrMarker::IntervalDirtyState dirty_state =
      found_interval->GetZeroIntervalDirtyState();
  const bool slot_is_start = slot->IsIntervalStart();
  const bool slot_is_end = slot->IsIntervalEnd();
  VMPL_TRACE_EVENT(kIntervalSplit, this, 0, offset, 0, 0, 0);

  // Gives up on a failed neighbour allocation without leaving an empty node behind.
  auto fail = [&]() -> ktl::pair<VmPageOrMarker*, bool> {
    if (slot->IsEmpty()) {
      ReturnEmptySlot(offset);
    }
    return {nullptr, true};
  };

  // The new End goes just before |offset| unless |offset| is the interval's Start.
  VmPageOrMarker* new_end = nullptr;
  if (!slot_is_start) {
    if (index > 0) {
      new_end = &node->Lookup(index - 1);
    } else {
      auto prev = node;
      --prev;
      DEBUG_ASSERT(prev.IsValid());
      if (prev.IsValid() && prev->offset() == node_offset - kNodeSize) {
        new_end = &prev->Lookup(VmPageListNode::kPageFanOut - 1);
      } else {
        VmPageListNode* prev_node = AllocateNode(node_offset - kNodeSize);
        if (!prev_node) {
          return fail();
        }
        new_end = &prev_node->Lookup(VmPageListNode::kPageFanOut - 1);
      }
    }
  }
  // The new Start goes just after |offset| unless |offset| is the interval's End.
  VmPageOrMarker* new_start = nullptr;
  if (!slot_is_end) {
    if (index < VmPageListNode::kPageFanOut - 1) {
      new_start = &node->Lookup(index + 1);
    } else {
      auto next = node;
      ++next;
      DEBUG_ASSERT(next.IsValid());
      if (next.IsValid() && next->offset() == node_offset + kNodeSize) {
        new_start = &next->Lookup(0);
      } else {
        VmPageListNode* next_node = AllocateNode(node_offset + kNodeSize);
        if (!next_node) {
          // At most one neighbour allocation happens, so there is nothing else to undo.
          DEBUG_ASSERT(new_end == nullptr || index > 0);
          return fail();
        }
        new_start = &next_node->Lookup(0);
      }
    }
  }

  if (new_start) {
    if (new_start->IsIntervalEnd()) {
      new_start->ChangeIntervalSentinel(IntervalSentinel::Slot);
    } else {
      DEBUG_ASSERT(new_start->IsEmpty());
      *new_start = VmPageOrMarker::ZeroInterval(IntervalSentinel::Start, dirty_state);
    }
  }
  if (new_end) {
    if (new_end->IsIntervalStart()) {
      new_end->ChangeIntervalSentinel(IntervalSentinel::Slot);
    } else {
      DEBUG_ASSERT(new_end->IsEmpty());
      *new_end = VmPageOrMarker::ZeroInterval(IntervalSentinel::End, dirty_state);
    }
  }

  if (slot->IsEmpty()) {
    *slot = VmPageOrMarker::ZeroInterval(IntervalSentinel::Slot, dirty_state);
  } else {
    if (slot_is_start) {
      // The awaiting-clean length counts from the Start: the slot keeps its own page of it and the
      // new Start after it takes the rest.
      const uint64_t awaiting_clean_len = slot->GetZeroIntervalAwaitingCleanLength();
      if (awaiting_clean_len > PAGE_SIZE) {
        DEBUG_ASSERT(new_start);
        new_start->SetZeroIntervalAwaitingCleanLength(awaiting_clean_len - PAGE_SIZE);
        slot->SetZeroIntervalAwaitingCleanLength(PAGE_SIZE);
      }
    }
    slot->ChangeIntervalSentinel(IntervalSentinel::Slot);
  }
  return {slot, true};
}

// ---------------------------------------------------------------------------------------------
// Removal and queries (sections 5.1 to 5.3)

void VmPageList::ReturnEmptySlot(uint64_t offset) {
  VMPL_TRACE_OP(this, kReturnEmptySlot, offset, 0);
  VmPageListNode* node = FindNode(NodeOffset(offset));
  DEBUG_ASSERT(node != nullptr);
  if (node == nullptr) {
    return;
  }
  DEBUG_ASSERT(node->Lookup(NodeIndex(offset)).IsEmpty());
  FreeNodeIfEmpty(*node);
}

VmPageOrMarker VmPageList::RemoveContent(uint64_t offset) {
  if (!SkewedOffsetFits(offset, list_skew_)) {
    return VmPageOrMarker::Empty();
  }
  VmPageListNode* node = FindNode(NodeOffset(offset));
  if (node == nullptr) {
    return VmPageOrMarker::Empty();
  }
  VmPageOrMarker content = ktl::move(node->Lookup(NodeIndex(offset)));
  if (!content.IsEmpty()) {
    FreeNodeIfEmpty(*node);
  }
  return content;
}

bool VmPageList::IsEmpty() const { return list_.is_empty(); }

bool VmPageList::HasNoPageOrRef() const {
  for (const auto& node : list_) {
    if (!node.HasNoPageOrRef()) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Interval membership (section 5.4)

bool VmPageList::IsOffsetInInterval(uint64_t offset) const {
  if (!SkewedOffsetFits(offset, list_skew_)) {
    return false;
  }
  auto node = list_.lower_bound(NodeOffset(offset));
  if (!node.IsValid()) {
    return false;
  }
  DEBUG_ASSERT(!node->IsEmpty());
  return IfOffsetInIntervalHelper(offset, *node);
}

bool VmPageList::IsOffsetInZeroInterval(uint64_t offset) const {
  if (!SkewedOffsetFits(offset, list_skew_)) {
    return false;
  }
  auto node = list_.lower_bound(NodeOffset(offset));
  if (!node.IsValid()) {
    return false;
  }
  const VmPageOrMarker* sentinel = nullptr;
  return IfOffsetInIntervalHelper(offset, *node, &sentinel) && sentinel->IsIntervalZero();
}

bool VmPageList::IfOffsetInIntervalHelper(uint64_t offset, const VmPageListNode& lower_bound,
                                          const VmPageOrMarker** interval_out) const {
  const uint64_t node_offset = NodeOffset(offset);
  const size_t index = NodeIndex(offset);

  // The first populated slot at or after |from| in |node| decides: an End means we are inside.
  auto scan_right = [interval_out](const VmPageListNode& node, size_t from) {
    for (size_t i = from; i < VmPageListNode::kPageFanOut; i++) {
      const VmPageOrMarker& slot = node.Lookup(i);
      if (slot.IsEmpty()) {
        continue;
      }
      if (slot.IsIntervalEnd()) {
        if (interval_out) {
          *interval_out = &slot;
        }
        return true;
      }
      return false;
    }
    return false;
  };

  if (lower_bound.offset() != node_offset) {
    DEBUG_ASSERT(lower_bound.offset() > node_offset);
    return scan_right(lower_bound, 0);
  }

  const VmPageOrMarker& slot = lower_bound.Lookup(index);
  if (slot.IsInterval()) {
    if (interval_out) {
      *interval_out = &slot;
    }
    return true;
  }
  if (!slot.IsEmpty()) {
    return false;
  }
  // The first populated slot to the left decides if there is one: a Start means we are inside.
  for (size_t i = index; i-- > 0;) {
    const VmPageOrMarker& left = lower_bound.Lookup(i);
    if (left.IsEmpty()) {
      continue;
    }
    if (left.IsIntervalStart()) {
      if (interval_out) {
        *interval_out = &left;
      }
      return true;
    }
    return false;
  }
  return scan_right(lower_bound, index + 1);
}

ktl::pair<const VmPageOrMarker*, uint64_t> VmPageList::FindIntervalStartForEnd(
    uint64_t end_offset) const {
  auto node = list_.find(NodeOffset(end_offset));
  DEBUG_ASSERT(node.IsValid());
  const size_t index = NodeIndex(end_offset);
  DEBUG_ASSERT(node->Lookup(index).IsIntervalEnd());
  // Every node strictly inside an interval is absent, so the Start is in this node or in the
  // previous node of the tree.
  for (size_t i = index; i-- > 0;) {
    const VmPageOrMarker& slot = node->Lookup(i);
    if (!slot.IsEmpty()) {
      DEBUG_ASSERT(slot.IsIntervalStart());
      return {&slot, node->offset() + i * PAGE_SIZE - list_skew_};
    }
  }
  --node;
  DEBUG_ASSERT(node.IsValid());
  for (size_t i = VmPageListNode::kPageFanOut; node.IsValid() && i-- > 0;) {
    const VmPageOrMarker& slot = node->Lookup(i);
    if (!slot.IsEmpty()) {
      DEBUG_ASSERT(slot.IsIntervalStart());
      return {&slot, node->offset() + i * PAGE_SIZE - list_skew_};
    }
  }
  ASSERT_MSG(false, "no interval start for the end at offset %#lx", end_offset);
  return {nullptr, UINT64_MAX};
}

ktl::pair<const VmPageOrMarker*, uint64_t> VmPageList::FindIntervalEndForStart(
    uint64_t start_offset) const {
  auto node = list_.find(NodeOffset(start_offset));
  DEBUG_ASSERT(node.IsValid());
  const size_t index = NodeIndex(start_offset);
  DEBUG_ASSERT(node->Lookup(index).IsIntervalStart());
  for (size_t i = index + 1; i < VmPageListNode::kPageFanOut; i++) {
    const VmPageOrMarker& slot = node->Lookup(i);
    if (!slot.IsEmpty()) {
      DEBUG_ASSERT(slot.IsIntervalEnd());
      return {&slot, node->offset() + i * PAGE_SIZE - list_skew_};
    }
  }
  ++node;
  DEBUG_ASSERT(node.IsValid());
  for (size_t i = 0; node.IsValid() && i < VmPageListNode::kPageFanOut; i++) {
    const VmPageOrMarker& slot = node->Lookup(i);
    if (!slot.IsEmpty()) {
      DEBUG_ASSERT(slot.IsIntervalEnd());
      return {&slot, node->offset() + i * PAGE_SIZE - list_skew_};
    }
  }
  ASSERT_MSG(false, "no interval end for the start at offset %#lx", start_offset);
  return {nullptr, UINT64_MAX};
}

// ---------------------------------------------------------------------------------------------
// Zero intervals (section 7)

zx_status_t VmPageList::AddZeroIntervalInternal(uint64_t start_offset, uint64_t end_offset,
                                                VmPageOrMarker::IntervalDirtyState dirty_state,
                                                uint64_t awaiting_clean_len,
                                                bool replace_existing_slot) {
  DEBUG_ASSERT(IS_PAGE_ALIGNED(start_offset));
  DEBUG_ASSERT(IS_PAGE_ALIGNED(end_offset));
  DEBUG_ASSERT(start_offset < end_offset);
  DEBUG_ASSERT(!replace_existing_slot || end_offset - start_offset == PAGE_SIZE);
  DEBUG_ASSERT(replace_existing_slot || !AnyPagesOrIntervalsInRange(start_offset, end_offset));
  DEBUG_ASSERT(awaiting_clean_len == 0 || dirty_state == VmPageOrMarker::IntervalDirtyState::Dirty);
  VMPL_TRACE_OP(this, kAddZeroInterval, start_offset, end_offset);

  const uint64_t interval_start = start_offset;
  const uint64_t interval_end = end_offset - PAGE_SIZE;
  const uint64_t prev_offset = start_offset - PAGE_SIZE;
  const uint64_t next_offset = end_offset;

  auto same_state = [dirty_state](const VmPageOrMarker* slot) {
    return slot->IsIntervalZero() && slot->GetZeroIntervalDirtyState() == dirty_state;
  };

  // The Start (or Slot) that heads the merged interval, when an awaiting-clean length is carried.
  VmPageOrMarker* final_start = nullptr;
  uint64_t final_start_offset = 0;

  // 1. Merge with an interval ending right before us?
  VmPageOrMarker* left = start_offset > 0 ? LookupSlot(prev_offset) : nullptr;
  const bool merge_left =
      left && (left->IsIntervalEnd() || left->IsIntervalSlot()) && same_state(left);
  if (merge_left && awaiting_clean_len > 0) {
    if (left->IsIntervalSlot()) {
      final_start = left;
      final_start_offset = prev_offset;
    } else {
      auto [start, offset] = FindIntervalStartForEnd(prev_offset);
      final_start = const_cast<VmPageOrMarker*>(start);
      final_start_offset = offset;
    }
  }

  // 2. Merge with an interval starting right after us?
  VmPageOrMarker* right = LookupSlot(next_offset);
  const bool merge_right =
      right && (right->IsIntervalStart() || right->IsIntervalSlot()) && same_state(right);

  // 3. Slots for our own sentinels: a Start unless merging left, an End unless merging right.
  VmPageOrMarker* first_slot = nullptr;
  VmPageOrMarker* last_slot = nullptr;
  if (!merge_left) {
    first_slot = LookupOrAllocateInternal(interval_start);
    if (!first_slot) {
      return ZX_ERR_NO_MEMORY;
    }
    DEBUG_ASSERT(first_slot->IsEmpty());
  }
  if (!merge_right) {
    last_slot = LookupOrAllocateInternal(interval_end);
    if (!last_slot) {
      if (first_slot) {
        ReturnEmptySlot(interval_start);
      }
      return ZX_ERR_NO_MEMORY;
    }
    DEBUG_ASSERT(last_slot->IsEmpty() || last_slot == first_slot);
  }

  // Nodes whose slots may end up empty; each is freed at most once at the end.
  VmPageListNode* nodes_to_check[3] = {};
  size_t nodes_to_check_count = 0;
  auto check_node_later = [&](uint64_t offset) {
    VmPageListNode* node = FindNode(NodeOffset(offset));
    if (node == nullptr) {
      return;
    }
    for (size_t i = 0; i < nodes_to_check_count; i++) {
      if (nodes_to_check[i] == node) {
        return;
      }
    }
    nodes_to_check[nodes_to_check_count++] = node;
  };

  // 4. A reused slot that neither side needs is given back.
  if (replace_existing_slot && merge_left && merge_right) {
    check_node_later(interval_start);
  }

  // 5. Left side.
  if (merge_left) {
    if (final_start) {
      const uint64_t old_len = final_start->GetZeroIntervalAwaitingCleanLength();
      if (final_start_offset + old_len >= start_offset) {
        const uint64_t new_end =
            ktl::max(final_start_offset + old_len, start_offset + awaiting_clean_len);
        final_start->SetZeroIntervalAwaitingCleanLength(new_end - final_start_offset);
      }
    }
    if (left->IsIntervalEnd()) {
      *left = VmPageOrMarker::Empty();
      check_node_later(prev_offset);
    } else {
      left->ChangeIntervalSentinel(IntervalSentinel::Start);
    }
  } else {
    *first_slot = VmPageOrMarker::ZeroInterval(IntervalSentinel::Start, dirty_state);
    if (awaiting_clean_len > 0) {
      first_slot->SetZeroIntervalAwaitingCleanLength(awaiting_clean_len);
      final_start = first_slot;
      final_start_offset = start_offset;
    }
  }

  // 6. Right side.
  if (merge_right) {
    if (final_start) {
      const uint64_t right_len = right->GetZeroIntervalAwaitingCleanLength();
      const uint64_t old_len = final_start->GetZeroIntervalAwaitingCleanLength();
      if (right_len > 0 && final_start_offset + old_len >= next_offset) {
        const uint64_t new_end = ktl::max(final_start_offset + old_len, next_offset + right_len);
        final_start->SetZeroIntervalAwaitingCleanLength(new_end - final_start_offset);
      }
    }
    if (right->IsIntervalStart()) {
      *right = VmPageOrMarker::Empty();
      check_node_later(next_offset);
    } else {
      DEBUG_ASSERT(right->IsIntervalSlot());
      right->SetZeroIntervalAwaitingCleanLength(0);
      right->ChangeIntervalSentinel(IntervalSentinel::End);
    }
  } else if (last_slot->IsIntervalStart()) {
    // A one-page interval: the Start written above is both ends.
    DEBUG_ASSERT(interval_start == interval_end);
    last_slot->ChangeIntervalSentinel(IntervalSentinel::Slot);
  } else {
    *last_slot = VmPageOrMarker::ZeroInterval(IntervalSentinel::End, dirty_state);
  }

  if (VMPL_TRACE_WANTED()) {
    if (merge_left || merge_right) {
      VMPL_TRACE_EVENT(kIntervalMerge, this, (merge_left ? 1u : 0u) | (merge_right ? 2u : 0u),
                       start_offset, end_offset - PAGE_SIZE, 0, 0);
    }
    VMPL_TRACE_EVENT(kIntervalAdd, this, 0, start_offset, end_offset - PAGE_SIZE, 0, 0);
  }

  // 7. Free nodes left empty by the merges.
  for (size_t i = 0; i < nodes_to_check_count; i++) {
    FreeNodeIfEmpty(*nodes_to_check[i]);
  }
  return ZX_OK;
}

vm_page_t* VmPageList::ReplacePageWithZeroInterval(uint64_t offset,
                                                   VmPageOrMarker::IntervalDirtyState dirty_state) {
  VMPL_TRACE_OP(this, kReplacePageWithZeroInterval, offset, 0);
  VMPL_TRACE_EVENT(kIntervalReplace, this, 0, offset, 0, 0, 0);
  VmPageOrMarker* slot = LookupSlot(offset);
  DEBUG_ASSERT(slot && slot->IsPage());
  vm_page_t* page = slot->ReleasePage();
  [[maybe_unused]] zx_status_t status =
      AddZeroIntervalInternal(offset, offset + PAGE_SIZE, dirty_state, 0, true);
  // Reusing the existing slot means nothing is allocated, so this cannot fail.
  DEBUG_ASSERT(status == ZX_OK);
  return page;
}

void VmPageList::ReturnIntervalSlot(uint64_t offset) {
  VMPL_TRACE_OP(this, kReturnIntervalSlot, offset, 0);
  VmPageOrMarker* slot = LookupSlot(offset);
  DEBUG_ASSERT(slot && slot->IsIntervalSlot() && slot->IsIntervalZero());
  const VmPageOrMarker::IntervalDirtyState dirty_state = slot->GetZeroIntervalDirtyState();
  const uint64_t awaiting_clean_len = slot->GetZeroIntervalAwaitingCleanLength();
  *slot = VmPageOrMarker::Empty();
  [[maybe_unused]] zx_status_t status =
      AddZeroIntervalInternal(offset, offset + PAGE_SIZE, dirty_state, awaiting_clean_len, true);
  DEBUG_ASSERT(status == ZX_OK);
}

zx_status_t VmPageList::PopulateSlotsInInterval(uint64_t start_offset, uint64_t end_offset) {
  VMPL_TRACE_OP(this, kPopulateSlotsInInterval, start_offset, end_offset);
  DEBUG_ASSERT(IS_PAGE_ALIGNED(start_offset));
  DEBUG_ASSERT(IS_PAGE_ALIGNED(end_offset));
  DEBUG_ASSERT(end_offset > start_offset);
  const uint64_t last_offset = end_offset - PAGE_SIZE;
#if DEBUG_ASSERT_IMPLEMENTED
  ASSERT(IsOffsetInInterval(start_offset));
  ASSERT(IsOffsetInInterval(last_offset));
  if (last_offset > start_offset + PAGE_SIZE) {
    zx_status_t populated =
        ForEveryPageInRange([](const VmPageOrMarker*, uint64_t) { return ZX_ERR_BAD_STATE; },
                            start_offset + PAGE_SIZE, last_offset);
    ASSERT_MSG(populated == ZX_OK, "populated slot inside the range to populate");
  }
#endif

  auto [first, first_in_interval] = LookupOrAllocateCheckForInterval(start_offset, true);
  if (!first) {
    return ZX_ERR_NO_MEMORY;
  }
  DEBUG_ASSERT(first_in_interval && first->IsIntervalSlot());
  if (start_offset == last_offset) {
    return ZX_OK;
  }
  auto [last, last_in_interval] = LookupOrAllocateCheckForInterval(last_offset, true);
  if (!last) {
    ReturnIntervalSlot(start_offset);
    return ZX_ERR_NO_MEMORY;
  }
  DEBUG_ASSERT(last_in_interval && last->IsIntervalSlot());
  const VmPageOrMarker::IntervalDirtyState dirty_state = first->GetZeroIntervalDirtyState();
  DEBUG_ASSERT(last->GetZeroIntervalDirtyState() == dirty_state);
  if (last_offset == start_offset + PAGE_SIZE) {
    return ZX_OK;
  }

  // The slots strictly between are now [Start ... End] of one interval; every node strictly
  // between the nodes of those two sentinels is absent. Allocate them all first, so that the
  // operation either completes or changes nothing.
  const uint64_t inner_start = start_offset + PAGE_SIZE;
  const uint64_t inner_last = last_offset - PAGE_SIZE;
  const uint64_t first_missing_node = NodeOffset(inner_start) + kNodeSize;
  const uint64_t last_node = NodeOffset(inner_last);
  for (uint64_t node_offset = first_missing_node; node_offset < last_node;
       node_offset += kNodeSize) {
    DEBUG_ASSERT(FindNode(node_offset) == nullptr);
    if (!AllocateNode(node_offset)) {
      for (uint64_t undo = first_missing_node; undo < node_offset; undo += kNodeSize) {
        FreeNode(*FindNode(undo));
      }
      ReturnIntervalSlot(last_offset);
      ReturnIntervalSlot(start_offset);
      return ZX_ERR_NO_MEMORY;
    }
  }

  // Overwrite every slot in [inner_start, inner_last] with a Slot sentinel, handing out the
  // awaiting-clean length a page at a time from the front (section 7.4, step 4).
  auto node = list_.find(NodeOffset(inner_start));
  uint64_t awaiting_clean_len =
      node->Lookup(NodeIndex(inner_start)).GetZeroIntervalAwaitingCleanLength();
  for (uint64_t offset = inner_start; offset <= inner_last; offset += PAGE_SIZE) {
    const size_t index = NodeIndex(offset);
    if (index == 0 && offset != inner_start) {
      ++node;
    }
    DEBUG_ASSERT(node.IsValid() && node->offset() == NodeOffset(offset));
    VmPageOrMarker& slot = node->Lookup(index);
    DEBUG_ASSERT(slot.IsEmpty() || slot.IsInterval());
    slot = VmPageOrMarker::ZeroInterval(IntervalSentinel::Slot, dirty_state);
    if (awaiting_clean_len > 0) {
      slot.SetZeroIntervalAwaitingCleanLength(PAGE_SIZE);
      awaiting_clean_len -= PAGE_SIZE;
    }
  }
  if (awaiting_clean_len > 0) {
    last->SetZeroIntervalAwaitingCleanLength(PAGE_SIZE);
    awaiting_clean_len -= PAGE_SIZE;
    if (awaiting_clean_len > 0) {
      VmPageOrMarker* after = LookupSlot(end_offset);
      if (after && (after->IsIntervalStart() || after->IsIntervalSlot())) {
        after->SetZeroIntervalAwaitingCleanLength(
            ktl::max(after->GetZeroIntervalAwaitingCleanLength(), awaiting_clean_len));
      }
    }
  }

#if DEBUG_ASSERT_IMPLEMENTED
  for (uint64_t offset = start_offset; offset < end_offset; offset += PAGE_SIZE) {
    const VmPageOrMarker* slot = Lookup(offset);
    ASSERT_MSG(slot && slot->IsIntervalSlot(), "offset %#lx not populated as a slot", offset);
  }
#endif
  return ZX_OK;
}

zx_status_t VmPageList::ClipIntervalStart(uint64_t interval_start, uint64_t len) {
  VMPL_TRACE_OP(this, kClipIntervalStart, interval_start, len);
  VMPL_TRACE_EVENT(kIntervalClip, this, 0, interval_start, interval_start + len, 0, 0);
  DEBUG_ASSERT(IS_PAGE_ALIGNED(interval_start));
  DEBUG_ASSERT(IS_PAGE_ALIGNED(len));
  if (len == 0) {
    return ZX_OK;
  }
  uint64_t new_start;
  ASSERT(!__builtin_add_overflow(interval_start, len, &new_start));

  VmPageOrMarker* old_start = LookupSlot(interval_start);
  DEBUG_ASSERT(old_start && old_start->IsIntervalStart() && old_start->IsIntervalZero());
#if DEBUG_ASSERT_IMPLEMENTED
  ASSERT(ForEveryPageInRange([](const VmPageOrMarker*, uint64_t) { return ZX_ERR_BAD_STATE; },
                             interval_start + PAGE_SIZE, new_start) == ZX_OK);
#endif
  const VmPageOrMarker::IntervalDirtyState dirty_state = old_start->GetZeroIntervalDirtyState();
  const uint64_t awaiting_clean_len = old_start->GetZeroIntervalAwaitingCleanLength();

  VmPageOrMarker* slot = LookupOrAllocateInternal(new_start);
  if (!slot) {
    return ZX_ERR_NO_MEMORY;
  }
  if (slot->IsIntervalEnd()) {
    slot->ChangeIntervalSentinel(IntervalSentinel::Slot);
  } else {
    DEBUG_ASSERT(slot->IsEmpty());
    *slot = VmPageOrMarker::ZeroInterval(IntervalSentinel::Start, dirty_state);
  }
  if (awaiting_clean_len > len) {
    slot->SetZeroIntervalAwaitingCleanLength(awaiting_clean_len - len);
  }
  VmPageOrMarker old = RemoveContent(interval_start);
  DEBUG_ASSERT(old.IsIntervalStart());
  return ZX_OK;
}

zx_status_t VmPageList::ClipIntervalEnd(uint64_t interval_end, uint64_t len) {
  VMPL_TRACE_OP(this, kClipIntervalEnd, interval_end, len);
  VMPL_TRACE_EVENT(kIntervalClip, this, 1, interval_end, interval_end - len, 0, 0);
  DEBUG_ASSERT(IS_PAGE_ALIGNED(interval_end));
  DEBUG_ASSERT(IS_PAGE_ALIGNED(len));
  if (len == 0) {
    return ZX_OK;
  }
  uint64_t new_end;
  ASSERT(!__builtin_sub_overflow(interval_end, len, &new_end));

  VmPageOrMarker* old_end = LookupSlot(interval_end);
  DEBUG_ASSERT(old_end && old_end->IsIntervalEnd() && old_end->IsIntervalZero());
#if DEBUG_ASSERT_IMPLEMENTED
  ASSERT(ForEveryPageInRange([](const VmPageOrMarker*, uint64_t) { return ZX_ERR_BAD_STATE; },
                             new_end + PAGE_SIZE, interval_end) == ZX_OK);
#endif
  const VmPageOrMarker::IntervalDirtyState dirty_state = old_end->GetZeroIntervalDirtyState();

  VmPageOrMarker* slot = LookupOrAllocateInternal(new_end);
  if (!slot) {
    return ZX_ERR_NO_MEMORY;
  }
  if (slot->IsIntervalStart()) {
    slot->ChangeIntervalSentinel(IntervalSentinel::Slot);
  } else {
    DEBUG_ASSERT(slot->IsEmpty());
    *slot = VmPageOrMarker::ZeroInterval(IntervalSentinel::End, dirty_state);
  }
  // The awaiting-clean length lives on the Start and counts from there: nothing to move.
  VmPageOrMarker old = RemoveContent(interval_end);
  DEBUG_ASSERT(old.IsIntervalEnd());
  return ZX_OK;
}

// ---------------------------------------------------------------------------------------------
// Merging and splicing (section 8)

void VmPageList::MergeFrom(
    VmPageList& other, const uint64_t offset, const uint64_t end_offset,
    fit::inline_function<void(VmPageOrMarker&&, uint64_t offset), 3 * sizeof(void*)> release_fn,
    fit::inline_function<void(VmPageOrMarker*, uint64_t offset)> migrate_fn) {
  VMPL_TRACE_OP(this, kMergeFrom, offset, end_offset, reinterpret_cast<uintptr_t>(&other));
  // Nodes move whole, so other's |offset| must land at the same slot index as our offset 0.
  DEBUG_ASSERT((other.list_skew_ + offset) % kNodeSize == list_skew_);
  DEBUG_ASSERT(end_offset > offset);
  DEBUG_ASSERT(!other.IsOffsetInInterval(offset));
  DEBUG_ASSERT(!other.IsOffsetInInterval(end_offset - 1));
  DEBUG_ASSERT(!IsOffsetInInterval(end_offset - offset - 1));

  // Gives |content| (if any) to release_fn; ownership passes with the call.
  auto release = [&release_fn](VmPageOrMarker& content, uint64_t content_offset) {
    DEBUG_ASSERT(!content.IsInterval());
    if (!content.IsEmpty()) {
      VmPageOrMarker released = ktl::move(content);
      release_fn(ktl::move(released), content_offset);
    }
  };

  // Everything of |other| outside [offset, end_offset) is released.
  auto release_out_of_range = [&release](VmPageOrMarker* p, uint64_t content_offset) {
    release(*p, content_offset);
    return ZX_ERR_NEXT;
  };
  if (offset > 0) {
    other.RemovePages(release_out_of_range, 0, offset);
  }
  other.RemovePages(release_out_of_range, end_offset, MAX_SIZE);

  // Move the remaining nodes, re-keyed by |node_shift|.
  const uint64_t node_shift = ROUNDDOWN(offset + other.list_skew_, kNodeSize);
  auto other_node = other.list_.lower_bound(node_shift);
  DEBUG_ASSERT(!other_node.IsValid() || other_node == other.list_.begin());
  // Every node left in |other| leaves it: its table would only be emptied entry by entry.
  other.node_table_.Drop();
  while (other_node.IsValid()) {
    DEBUG_ASSERT(other_node->HasNoIntervalSentinel());
    DEBUG_ASSERT(other_node->GetKey() < end_offset + other.list_skew_);
    auto current = other_node++;
    ktl::unique_ptr<VmPageListNode> node = other.UnlinkNode(*current);
    const uint64_t other_base = node->offset() - other.list_skew_;
    node->set_offset(node->offset() - node_shift);

    VmPageListNode* target = FindNode(node->offset());
    if (target != nullptr) {
      // Both lists have content in this node: we keep ours, theirs fills our empty slots.
      DEBUG_ASSERT(target->HasNoIntervalSentinel());
      for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
        VmPageOrMarker& src = node->Lookup(i);
        if (src.IsEmpty()) {
          continue;
        }
        const uint64_t src_offset = other_base + i * PAGE_SIZE;
        VmPageOrMarker& dst = target->Lookup(i);
        if (dst.IsEmpty()) {
          if (src.IsPageOrRef()) {
            migrate_fn(&src, src_offset);
          }
          dst = ktl::move(src);
        } else {
          release(src, src_offset);
        }
      }
      DEBUG_ASSERT(node->HasNoPageOrRef());
      VMPL_TRACE_EVENT(kNodeFree, &other, 0, reinterpret_cast<uintptr_t>(node.get()),
                       node->offset(), 0, 0);
    } else {
      VmPageListNode& moved = *node;
      LinkNode(ktl::move(node));
      VMPL_TRACE_EVENT(kNodeTransfer, this, 0, reinterpret_cast<uintptr_t>(&moved), moved.offset(),
                       reinterpret_cast<uintptr_t>(&other), 0);
      for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
        VmPageOrMarker& slot = moved.Lookup(i);
        if (slot.IsPageOrRef()) {
          migrate_fn(&slot, other_base + i * PAGE_SIZE);
        }
      }
      // migrate_fn may have taken every page; an empty node must not stay in the list.
      FreeNodeIfEmpty(moved);
    }
  }
  DEBUG_ASSERT(other.IsEmpty());
}

void VmPageList::MergeOnto(VmPageList& other,
                           fit::inline_function<void(VmPageOrMarker&&)> release_fn) {
  DEBUG_ASSERT(other.list_skew_ == list_skew_);
  VMPL_TRACE_OP(this, kMergeOnto, 0, 0, reinterpret_cast<uintptr_t>(&other));
  // On a conflict our content takes the slot and what |other| held goes to release_fn, as in the
  // kernel (see the note at the declaration).
  node_table_.Drop();  // every node leaves this list
  while (!list_.is_empty()) {
    ktl::unique_ptr<VmPageListNode> node = UnlinkNode(list_.front());
    DEBUG_ASSERT(node->HasNoIntervalSentinel());
    VmPageListNode* target = other.FindNode(node->offset());
    if (target == nullptr) {
      VMPL_TRACE_EVENT(kNodeTransfer, &other, 0, reinterpret_cast<uintptr_t>(node.get()),
                       node->offset(), reinterpret_cast<uintptr_t>(this), 0);
      other.LinkNode(ktl::move(node));
      continue;
    }
    DEBUG_ASSERT(target->HasNoIntervalSentinel());
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      VmPageOrMarker& src = node->Lookup(i);
      if (src.IsEmpty()) {
        continue;
      }
      VmPageOrMarker& dst = target->Lookup(i);
      VmPageOrMarker displaced = ktl::move(dst);
      dst = ktl::move(src);
      if (!displaced.IsEmpty()) {
        release_fn(ktl::move(displaced));
      }
    }
    VMPL_TRACE_EVENT(kNodeFree, this, 0, reinterpret_cast<uintptr_t>(node.get()), node->offset(), 0,
                     0);
  }
}

VmPageSpliceList VmPageList::TakePages(uint64_t offset, uint64_t length) {
  // Taking pages from children isn't supported, so list_skew_ should be 0.
  DEBUG_ASSERT(list_skew_ == 0);
  DEBUG_ASSERT(IS_PAGE_ALIGNED(offset) && IS_PAGE_ALIGNED(length));
  DEBUG_ASSERT(length > 0);
  DEBUG_ASSERT(!IsOffsetInInterval(offset));
  DEBUG_ASSERT(!IsOffsetInInterval(offset + length - 1));
  VMPL_TRACE_OP(this, kTakePages, offset, length);

  VmPageSpliceList res(offset, length, list_skew_);
  const uint64_t end = offset + length;

  // The partial first node goes slot by slot into head_.
  while (NodeIndex(offset) != 0 && offset < end) {
    res.head_.Lookup(NodeIndex(offset)) = RemoveContent(offset);
    offset += PAGE_SIZE;
  }
  // Whole nodes move into middle_ under their own keys. Walking the tree from the first of them,
  // rather than looking up every node offset, costs nothing for the holes of a sparse range. The
  // node table is mended once at the end (ForgetNodes), not node by node.
  if (NodeOffset(offset) != NodeOffset(end)) {
    auto node = list_.lower_bound(NodeOffset(offset));
    while (node.IsValid() && node->offset() < NodeOffset(end)) {
      DEBUG_ASSERT(node->HasNoIntervalSentinel());
      auto current = node++;
      VMPL_TRACE_EVENT(kNodeTransfer, &res, 0, reinterpret_cast<uintptr_t>(&*current),
                       current->offset(), reinterpret_cast<uintptr_t>(this), 0);
      res.middle_.insert(list_.erase(current));
    }
    ForgetNodes(res.middle_);
    offset = NodeOffset(end) - list_skew_;
  }
  // The partial last node goes slot by slot into tail_.
  while (offset < end) {
    res.tail_.Lookup(NodeIndex(offset)) = RemoveContent(offset);
    offset += PAGE_SIZE;
  }
  DEBUG_ASSERT(res.head_.HasNoIntervalSentinel());
  DEBUG_ASSERT(res.tail_.HasNoIntervalSentinel());

  res.Finalize();
  return res;
}

// ---------------------------------------------------------------------------------------------
// VmPageSpliceList (section 9)

VmPageSpliceList::VmPageSpliceList() : VmPageSpliceList(0, 0, 0) {}

VmPageSpliceList::VmPageSpliceList(uint64_t offset, uint64_t length, uint64_t list_skew)
    : offset_(offset), length_(length), list_skew_(list_skew) {
  DEBUG_ASSERT(list_skew < kNodeSize);
  VMPL_TRACE_EVENT(kListCreate, this, 0, static_cast<uint64_t>(vmpl::trace::ListKind::kSpliceList),
                   offset, length, list_skew);
}

namespace {

// Moves every slot of |src| into the empty |dst|.
void MoveNodeSlots(VmPageListNode& src, VmPageListNode& dst) {
  for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
    ASSERT(dst.Lookup(i).IsEmpty());
    dst.Lookup(i) = ktl::move(src.Lookup(i));
  }
}

}  // namespace

VmPageSpliceList::VmPageSpliceList(VmPageSpliceList&& other)
    : offset_(other.offset_),
      length_(other.length_),
      pos_(other.pos_),
      list_skew_(other.list_skew_),
      finalized_(other.finalized_),
      middle_(ktl::move(other.middle_)) {
  VMPL_TRACE_EVENT(kListCreate, this, 0, static_cast<uint64_t>(vmpl::trace::ListKind::kSpliceList),
                   0, 0, 0);
  VMPL_TRACE_EVENT(kListMove, this, 0, reinterpret_cast<uintptr_t>(&other), 0, 0, 0);
  MoveNodeSlots(other.head_, head_);
  MoveNodeSlots(other.tail_, tail_);
  list_move(&other.raw_pages_, &raw_pages_);
  other.offset_ = other.length_ = other.pos_ = 0;
  other.list_skew_ = 0;
  other.finalized_ = false;
}

VmPageSpliceList& VmPageSpliceList::operator=(VmPageSpliceList&& other) {
  if (this == &other) {
    return *this;
  }
  FreeAllPages();
  ClearMiddle();
  offset_ = other.offset_;
  length_ = other.length_;
  pos_ = other.pos_;
  list_skew_ = other.list_skew_;
  finalized_ = other.finalized_;
  middle_ = ktl::move(other.middle_);
  VMPL_TRACE_EVENT(kListMove, this, 0, reinterpret_cast<uintptr_t>(&other), 0, 0, 0);
  MoveNodeSlots(other.head_, head_);
  MoveNodeSlots(other.tail_, tail_);
  list_move(&other.raw_pages_, &raw_pages_);
  other.offset_ = other.length_ = other.pos_ = 0;
  other.list_skew_ = 0;
  other.finalized_ = false;
  return *this;
}

VmPageSpliceList::~VmPageSpliceList() {
  FreeAllPages();
  ClearMiddle();
  VMPL_TRACE_EVENT(kListDestroy, this, 0, 0, 0, 0, 0);
}

void VmPageSpliceList::ClearMiddle() {
  if (VMPL_TRACE_WANTED()) {
    for (auto& node : middle_) {
      VMPL_TRACE_EVENT(kNodeFree, this, 0, reinterpret_cast<uintptr_t>(&node), node.offset(), 0, 0);
    }
  }
  middle_.clear();
}

VmPageSpliceList VmPageSpliceList::CreateFromPageList(uint64_t offset, uint64_t length,
                                                      list_node* pages) {
  DEBUG_ASSERT(pages);
  DEBUG_ASSERT(list_length(pages) == length / PAGE_SIZE);
  VmPageSpliceList res(offset, length, 0);
  list_move(pages, &res.raw_pages_);
  res.Finalize();
  return res;
}

VmPageListNode* VmPageSpliceList::MiddleNode(uint64_t node_offset) {
  if (middle_.is_empty()) {
    return nullptr;
  }
  // Pop walks the middle nodes in order and frees each as it empties, and Append fills them in
  // order, so the node wanted is nearly always the first or the last: no tree descent.
  if (middle_.front().offset() == node_offset) {
    return &middle_.front();
  }
  if (middle_.back().offset() == node_offset) {
    return &middle_.back();
  }
  auto node = middle_.find(node_offset);
  return node.IsValid() ? &*node : nullptr;
}

VmPageOrMarker* VmPageSpliceList::SlotForOffset(uint64_t cur, bool allocate, bool* alloc_failed,
                                                VmPageListNode** middle_node) {
  auto node_of = [this](uint64_t off) { return ROUNDDOWN(off + list_skew_, kNodeSize); };
  const size_t index = ((cur + list_skew_) >> PAGE_SIZE_SHIFT) % VmPageListNode::kPageFanOut;
  const size_t first_index =
      ((offset_ + list_skew_) >> PAGE_SIZE_SHIFT) % VmPageListNode::kPageFanOut;
  const uint64_t cur_node = node_of(cur);

  if (first_index != 0 && cur_node == node_of(offset_)) {
    return &head_.Lookup(index);
  }
  if (cur_node != node_of(offset_ + length_)) {
    VmPageListNode* node = MiddleNode(cur_node);
    if (node == nullptr && allocate) {
      fbl::AllocChecker ac;
      ktl::unique_ptr<VmPageListNode> new_node(new (&ac) VmPageListNode(cur_node));
      if (!ac.check()) {
        *alloc_failed = true;
        return nullptr;
      }
      node = new_node.get();
      VMPL_TRACE_EVENT(kNodeAlloc, this, 0, reinterpret_cast<uintptr_t>(node), cur_node, 0, 0);
      middle_.insert(ktl::move(new_node));
    }
    if (middle_node != nullptr) {
      *middle_node = node;
    }
    return node != nullptr ? &node->Lookup(index) : nullptr;
  }
  return &tail_.Lookup(index);
}

namespace {

// True if slots [index, kPageFanOut) of |node| are all empty.
bool SlotsEmptyFrom(VmPageListNode& node, size_t index) {
  for (size_t i = index; i < VmPageListNode::kPageFanOut; i++) {
    if (!node.Lookup(i).IsEmpty()) {
      return false;
    }
  }
  return true;
}

}  // namespace

VmPageOrMarker VmPageSpliceList::Pop() {
  VMPL_TRACE_OP(this, kSplicePop, offset_ + pos_, 0);
  DEBUG_ASSERT(finalized_);
  if (IsProcessed()) {
    DEBUG_ASSERT_MSG(false, "Popped from empty splice list");
    return VmPageOrMarker::Empty();
  }

  VmPageOrMarker res;
  if (!list_is_empty(&raw_pages_)) {
    vm_page_t* page = list_remove_head_type(&raw_pages_, vm_page_t, queue_node);
    res = VmPageOrMarker::Page(page);
  } else {
    const uint64_t cur = offset_ + pos_;
    const uint64_t skewed = cur + list_skew_;
    const size_t index = (skewed >> PAGE_SIZE_SHIFT) % VmPageListNode::kPageFanOut;
    VmPageListNode* middle_node = nullptr;
    VmPageOrMarker* slot = nullptr;
    // The common case first: inside the first middle node (the others are freed as they empty).
    // SlotForOffset tells head_, tail_ and absent nodes apart.
    if (!middle_.is_empty() && middle_.front().offset() == ROUNDDOWN(skewed, kNodeSize)) {
      middle_node = &middle_.front();
      slot = &middle_node->Lookup(index);
    } else {
      bool alloc_failed = false;
      slot = SlotForOffset(cur, /*allocate=*/false, &alloc_failed, &middle_node);
    }
    if (slot) {
      res = ktl::move(*slot);
      // A middle node is freed as soon as its last entry is popped. Its slots before this one were
      // popped already (middle nodes are entered at index 0), so only those after it can be full.
      if (middle_node != nullptr && SlotsEmptyFrom(*middle_node, index + 1)) {
        DEBUG_ASSERT(middle_node->IsEmpty());
        VMPL_TRACE_EVENT(kNodeFree, this, 0, reinterpret_cast<uintptr_t>(middle_node),
                         middle_node->offset(), 0, 0);
        middle_.erase(*middle_node);
      }
    }
  }
  DEBUG_ASSERT(!res.IsInterval());
  pos_ += PAGE_SIZE;
  VMPL_TRACE_EVENT(kSplicePosition, this, 0, pos_, 0, 0, 0);
  return res;
}

VmPageOrMarkerRef VmPageSpliceList::PeekReference() {
  DEBUG_ASSERT(finalized_);
  DEBUG_ASSERT(!IsProcessed());
  if (!finalized_ || IsProcessed() || !list_is_empty(&raw_pages_)) {
    return VmPageOrMarkerRef(nullptr);
  }
  bool alloc_failed = false;
  VmPageOrMarker* slot = SlotForOffset(offset_ + pos_, /*allocate=*/false, &alloc_failed);
  if (slot && slot->IsReference()) {
    return VmPageOrMarkerRef(slot);
  }
  return VmPageOrMarkerRef(nullptr);
}

zx_status_t VmPageSpliceList::Append(VmPageOrMarker content) {
  VMPL_TRACE_OP(this, kSpliceAppend, offset_ + pos_, 0);
  ASSERT(pos_ < length_);
  ASSERT(!finalized_);
  ASSERT(!content.IsInterval());
  ASSERT(list_is_empty(&raw_pages_));

  // An empty entry needs no storage: an absent middle node reads as all Empty.
  if (content.IsEmpty()) {
    pos_ += PAGE_SIZE;
    VMPL_TRACE_EVENT(kSplicePosition, this, 0, pos_, 0, 0, 0);
    return ZX_OK;
  }
  bool alloc_failed = false;
  VmPageOrMarker* slot = SlotForOffset(offset_ + pos_, /*allocate=*/true, &alloc_failed);
  if (!slot) {
    DEBUG_ASSERT(alloc_failed);
    // We own |content|: free it rather than leak it.
    if (content.IsPage()) {
      pmm_free_page(content.ReleasePage());
    } else if (content.IsReference()) {
      vmpl::FreeReference(content.ReleaseReference().value());
    }
    return ZX_ERR_NO_MEMORY;
  }
  DEBUG_ASSERT(slot->IsEmpty());
  *slot = ktl::move(content);
  pos_ += PAGE_SIZE;
  VMPL_TRACE_EVENT(kSplicePosition, this, 0, pos_, 0, 0, 0);
  return ZX_OK;
}

bool VmPageSpliceList::IsEmpty() const {
  return head_.IsEmpty() && tail_.IsEmpty() && middle_.is_empty() && list_is_empty(&raw_pages_);
}

void VmPageSpliceList::Finalize() {
  DEBUG_ASSERT(!finalized_);
  VMPL_TRACE_OP(this, kSpliceFinalize, 0, 0);
  pos_ = 0;
  finalized_ = true;
  VMPL_TRACE_EVENT(kSpliceFinalize, this, 0, 0, 0, 0, 0);
}

void VmPageSpliceList::FreeAllPages() {
  if (!finalized_) {
    Finalize();
  }
  while (!IsProcessed()) {
    VmPageOrMarker content = Pop();
    if (content.IsPage()) {
      pmm_free_page(content.ReleasePage());
    } else if (content.IsReference()) {
      vmpl::FreeReference(content.ReleaseReference().value());
    }
  }
}
