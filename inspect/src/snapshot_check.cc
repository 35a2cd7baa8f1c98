// CheckSnapshot: vmpl::Validate on decoded lists (see snapshot_check.h).

#include <vmpl/inspect/snapshot_check.h>

#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_list_access.h>
#include <vmpl/validate.h>

namespace vmpl::inspect {
namespace {

void CopySlots(const SnapshotNode& from, VmPageListNode& to) {
  for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
    PageListAccess::set_raw(PageListAccess::mutable_slot(to, i), from.slots[i]);
  }
}

// Inserts copies of |list|'s nodes into |tree| (skipping duplicate keys, already reported by the
// decoder) and remembers which target node each copy stands for.
void Build(const SnapshotList& list, PageListAccess::NodeTree& tree,
           std::map<uintptr_t, uint64_t>& target_of) {
  for (const SnapshotNode& node : list.nodes) {
    if (tree.find(node.key).IsValid()) {
      continue;
    }
    auto copy = std::make_unique<VmPageListNode>(node.key);
    CopySlots(node, *copy);
    target_of[reinterpret_cast<uintptr_t>(copy.get())] = node.address;
    tree.insert(std::move(copy));
  }
}

void Report(SnapshotList& list, const std::vector<Violation>& violations,
            const std::map<uintptr_t, uint64_t>& target_of) {
  for (const Violation& violation : violations) {
    auto it = target_of.find(violation.address);
    const uint64_t address = it != target_of.end() ? it->second : list.address;
    std::string where = violation.has_offset ? fmt::format(" offset {:#x}", violation.offset) : "";
    list.problems.push_back(SnapshotProblem{
        address, fmt::format("{}: node {:#x}{}: {}", ViolationKindName(violation.kind), address,
                             where, violation.message)});
  }
}

}  // namespace

void CheckSnapshotList(SnapshotList& list) {
  std::map<uintptr_t, uint64_t> target_of;
  if (list.kind == SnapshotListKind::kPageList) {
    VmPageList copy;
    PageListAccess::set_skew(copy, list.skew < VmPageListNode::kPageFanOut * PAGE_SIZE ? list.skew
                                                                                      : 0);
    Build(list, PageListAccess::mutable_nodes(copy), target_of);
    Report(list, Validate(copy), target_of);
    for (VmPageListNode& node : PageListAccess::mutable_nodes(copy)) {
      PageListAccess::clear_slots(node);
    }
    PageListAccess::mutable_nodes(copy).clear();
    return;
  }
  VmPageSpliceList copy;
  const uint64_t skew = list.skew < VmPageListNode::kPageFanOut * PAGE_SIZE ? list.skew : 0;
  PageListAccess::set_splice_state(copy, list.splice_offset, list.splice_length,
                                   list.splice_position, skew, list.splice_finalized);
  CopySlots(list.head, PageListAccess::mutable_head(copy));
  CopySlots(list.tail, PageListAccess::mutable_tail(copy));
  target_of[reinterpret_cast<uintptr_t>(&PageListAccess::mutable_head(copy))] = list.head.address;
  target_of[reinterpret_cast<uintptr_t>(&PageListAccess::mutable_tail(copy))] = list.tail.address;
  Build(list, PageListAccess::mutable_middle(copy), target_of);
  Report(list, Validate(copy), target_of);
  // Empty, processed and finalized: the destructor has nothing to free.
  for (VmPageListNode& node : PageListAccess::mutable_middle(copy)) {
    PageListAccess::clear_slots(node);
  }
  PageListAccess::mutable_middle(copy).clear();
  PageListAccess::clear_slots(PageListAccess::mutable_head(copy));
  PageListAccess::clear_slots(PageListAccess::mutable_tail(copy));
  PageListAccess::set_splice_state(copy, 0, 0, 0, 0, true);
}

void CheckSnapshot(Snapshot& snapshot) {
  for (SnapshotList& list : snapshot.lists) {
    CheckSnapshotList(list);
  }
}

}  // namespace vmpl::inspect
