// Builds PageListDump models from live page lists and splice lists (see page_list_dump.h).

#include "page_list_dump.h"

#include <align.h>
#include <fmt/format.h>
#include <vm/vm.h>
#include <vmpl/page_list_access.h>
#include <vmpl/validate.h>
#include <zircon/errors.h>

#include <map>

namespace vmpl::cli {
namespace {

constexpr uint64_t kPageSize = PAGE_SIZE;
constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * kPageSize;

const char* DirtyStateName(VmPageOrMarker::IntervalDirtyState state) {
  switch (state) {
    case VmPageOrMarker::IntervalDirtyState::Untracked:
      return "untracked";
    case VmPageOrMarker::IntervalDirtyState::Clean:
      return "clean";
    case VmPageOrMarker::IntervalDirtyState::Dirty:
      return "dirty";
    default:
      return "invalid";
  }
}

// Fills in the range each interval covers: walking populated slots in offset order, a Start's
// End is the next populated slot (invariant 3); a Slot covers one page.
void LinkIntervals(std::vector<SlotDump*>& slots) {
  for (size_t i = 0; i < slots.size(); i++) {
    SlotDump& slot = *slots[i];
    if (slot.kind == SlotKind::kIntervalSlot) {
      slot.interval_range_known = true;
      slot.interval_start = slot.offset;
      slot.interval_end = slot.offset + kPageSize;
    } else if (slot.kind == SlotKind::kIntervalStart && i + 1 < slots.size() &&
               slots[i + 1]->kind == SlotKind::kIntervalEnd) {
      SlotDump& end = *slots[i + 1];
      for (SlotDump* sentinel : {&slot, &end}) {
        sentinel->interval_range_known = true;
        sentinel->interval_start = slot.offset;
        sentinel->interval_end = end.offset + kPageSize;
      }
    }
  }
}

std::vector<std::string> ToStrings(const std::vector<vmpl::Violation>& violations) {
  std::vector<std::string> out;
  out.reserve(violations.size());
  for (const vmpl::Violation& v : violations) {
    out.push_back(v.ToString());
  }
  return out;
}

}  // namespace

const char* SlotKindName(SlotKind kind) {
  switch (kind) {
    case SlotKind::kPage:
      return "page";
    case SlotKind::kReference:
      return "reference";
    case SlotKind::kMarker:
      return "marker";
    case SlotKind::kIntervalStart:
      return "interval start";
    case SlotKind::kIntervalEnd:
      return "interval end";
    case SlotKind::kIntervalSlot:
      return "interval slot";
  }
  return "unknown";
}

void ContentCounts::Count(const SlotDump& slot) {
  switch (slot.kind) {
    case SlotKind::kPage:
      pages++;
      break;
    case SlotKind::kReference:
      references++;
      break;
    case SlotKind::kMarker:
      markers++;
      break;
    case SlotKind::kIntervalStart:
    case SlotKind::kIntervalSlot:
      intervals++;
      interval_sentinels++;
      break;
    case SlotKind::kIntervalEnd:
      interval_sentinels++;
      break;
  }
}

SlotDump DescribeSlot(const VmPageOrMarker& slot, uint64_t offset, size_t index) {
  SlotDump d;
  d.index = index;
  d.offset = offset;
  d.raw = vmpl::PageListAccess::raw(slot);
  if (slot.IsPage()) {
    d.kind = SlotKind::kPage;
    const vm_page_t* page = slot.Page();
    d.page = reinterpret_cast<uintptr_t>(page);
    d.paddr = page->paddr();
    d.left_split = slot.PageOrRefLeftSplit();
    d.right_split = slot.PageOrRefRightSplit();
  } else if (slot.IsReference()) {
    d.kind = SlotKind::kReference;
    d.reference = slot.Reference().value();
    d.left_split = slot.PageOrRefLeftSplit();
    d.right_split = slot.PageOrRefRightSplit();
  } else if (slot.IsMarker()) {
    d.kind = SlotKind::kMarker;
  } else if (slot.IsInterval()) {
    if (slot.IsIntervalStart()) {
      d.kind = SlotKind::kIntervalStart;
    } else if (slot.IsIntervalEnd()) {
      d.kind = SlotKind::kIntervalEnd;
    } else {
      d.kind = SlotKind::kIntervalSlot;
    }
    if (slot.IsIntervalZero()) {
      d.interval_type = "zero";
      d.dirty_state = DirtyStateName(slot.GetZeroIntervalDirtyState());
      if (d.kind != SlotKind::kIntervalEnd && slot.IsZeroIntervalDirty()) {
        d.awaiting_clean_length = slot.GetZeroIntervalAwaitingCleanLength();
      }
    } else {
      d.interval_type = "unknown";
      d.dirty_state = "invalid";
    }
  }
  return d;
}

ListDump DumpPageList(const std::string& name, const std::string& role, const VmPageList& list) {
  ListDump dump;
  dump.name = name;
  dump.role = role;
  dump.skew = vmpl::PageListAccess::skew(list);
  dump.heap_bytes = list.HeapAllocationBytes();
  const vmpl::PageListAccess::NodeTree& tree = vmpl::PageListAccess::nodes(list);
  dump.nodes = tree.size();

  std::vector<SlotDump*> all_slots;
  size_t visited = 0;
  for (auto it = tree.begin(); it != tree.end() && visited < dump.nodes; ++it, ++visited) {
    const VmPageListNode& node = *it;
    NodeDump node_dump;
    node_dump.key = node.offset();
    node_dump.first_offset = node_dump.key >= dump.skew ? node_dump.key - dump.skew : 0;
    node_dump.end_offset = node_dump.key + kNodeSpan - dump.skew;
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      const VmPageOrMarker& slot = vmpl::PageListAccess::slot(node, i);
      if (slot.IsEmpty()) {
        continue;
      }
      SlotDump described = DescribeSlot(slot, node_dump.key + i * kPageSize - dump.skew, i);
      dump.counts.Count(described);
      node_dump.slots.push_back(std::move(described));
    }
    if (node_dump.slots.empty()) {
      dump.empty_nodes++;
    }
    dump.node_dumps.push_back(std::move(node_dump));
  }
  // Pointers into node_dumps are stable now that it is complete.
  for (NodeDump& node : dump.node_dumps) {
    for (SlotDump& slot : node.slots) {
      all_slots.push_back(&slot);
    }
  }
  LinkIntervals(all_slots);
  dump.violations = ToStrings(vmpl::Validate(list));
  return dump;
}

namespace {

// Where Pop takes the item at skewed position |cur| from (docs/semantics.md section 9.1): the head
// if the range does not start on a node boundary and |cur| is in its first node; otherwise the
// middle unless |cur| is in the node that holds the end of the range; otherwise the tail.
const char* SplicePart(uint64_t start, uint64_t end, uint64_t cur) {
  if (start % kNodeSpan != 0 && ROUNDDOWN(cur, kNodeSpan) == ROUNDDOWN(start, kNodeSpan)) {
    return "head";
  }
  if (ROUNDDOWN(cur, kNodeSpan) != ROUNDDOWN(end, kNodeSpan)) {
    return "middle";
  }
  return "tail";
}

}  // namespace

SpliceDump DumpSpliceList(const std::string& name, const std::string& role,
                          const VmPageSpliceList& splice, uint64_t offset, uint64_t length) {
  SpliceDump dump;
  dump.name = name;
  dump.role = role;
  dump.offset = offset;
  dump.length = length;
  dump.skew = vmpl::PageListAccess::skew(splice);
  dump.position = splice.Position();
  dump.finalized = splice.IsFinalized();
  const vmpl::PageListAccess::NodeTree& middle = vmpl::PageListAccess::middle(splice);
  dump.middle_nodes = middle.size();
  const list_node& raw_pages = vmpl::PageListAccess::raw_pages(splice);
  for (const list_node* n = raw_pages.next; n != nullptr && n != &raw_pages; n = n->next) {
    dump.raw_pages++;
    if (dump.raw_pages > length / kPageSize) {
      break;  // a corrupt list: never loop forever
    }
  }
  dump.violations = ToStrings(vmpl::Validate(splice));

  const uint64_t start = offset + dump.skew;
  const uint64_t end = start + length;
  for (uint64_t cur = start; cur < end; cur += kPageSize) {
    const char* part_name = SplicePart(start, end, cur);
    if (dump.parts.empty() || dump.parts.back().name != part_name) {
      SplicePartDump part;
      part.name = part_name;
      part.start = cur - dump.skew;
      dump.parts.push_back(std::move(part));
    }
    SplicePartDump& part = dump.parts.back();
    part.end = cur - dump.skew + kPageSize;
    part.positions++;

    const size_t index = (cur % kNodeSpan) / kPageSize;
    const VmPageOrMarker* slot = nullptr;
    if (part.name == "head") {
      slot = &vmpl::PageListAccess::slot(vmpl::PageListAccess::head(splice), index);
    } else if (part.name == "tail") {
      slot = &vmpl::PageListAccess::slot(vmpl::PageListAccess::tail(splice), index);
    } else {
      auto node = middle.find(ROUNDDOWN(cur, kNodeSpan));
      if (node != middle.end()) {
        slot = &vmpl::PageListAccess::slot(*node, index);
      }
    }
    if (slot == nullptr || slot->IsEmpty()) {
      part.counts.gaps++;
      dump.counts.gaps++;
      continue;
    }
    SlotDump described = DescribeSlot(*slot, cur - dump.skew, index);
    part.counts.Count(described);
    dump.counts.Count(described);
    part.items.push_back(std::move(described));
  }
  return dump;
}

void DrainSpliceList(VmPageSpliceList& splice, SpliceDump& dump,
                     const std::function<void(VmPageOrMarker&&)>& take) {
  std::map<uint64_t, uint64_t> expected;  // offset -> raw, for the non-empty positions
  for (const SplicePartDump& part : dump.parts) {
    for (const SlotDump& item : part.items) {
      expected[item.offset] = item.raw;
    }
  }
  dump.drained = true;
  // Bounded by the number of positions, even if Pop failed to advance.
  const uint64_t max_pops = dump.length / kPageSize;
  for (uint64_t i = 0; i < max_pops && splice.IsFinalized() && !splice.IsProcessed(); i++) {
    const uint64_t offset = dump.offset + splice.Position();
    VmPageOrMarker item = splice.Pop();
    dump.popped++;
    const uint64_t raw = vmpl::PageListAccess::raw(item);
    auto it = expected.find(offset);
    const uint64_t want = it == expected.end() ? 0 : it->second;
    if (raw != want) {
      dump.pop_mismatches.push_back(fmt::format(
          "Pop at offset {:#x} returned raw {:#x}, the dump showed {:#x}", offset, raw, want));
    }
    if (item.IsPageOrRef()) {
      take(std::move(item));
    }
  }
  dump.processed_after_drain = splice.IsProcessed();
}

}  // namespace vmpl::cli
