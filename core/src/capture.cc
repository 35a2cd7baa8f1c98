// vmpl::Capture: live lists as snapshots (see capture.h).

#include <vm/vm_page_list.h>
#include <vmpl/capture.h>
#include <vmpl/model/check.h>
#include <vmpl/model/slot.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>

#include <algorithm>
#include <unordered_set>

namespace vmpl {

// The model's constants are the core's.
static_assert(kSnapshotFanOut == VmPageListNode::kPageFanOut);
static_assert(kSnapshotPageSize == PAGE_SIZE);
static_assert(kSnapshotMaxSize == VmPageList::MAX_SIZE);
static_assert(PageListAccess::kNodeCanary == 0x504c5354, "the model's canary value is PLST");

namespace {

using Access = PageListAccess;

SnapshotNode NodeOf(const VmPageListNode& node) {
  SnapshotNode out;
  out.address = reinterpret_cast<uintptr_t>(&node);
  out.key = node.offset();
  out.canary = Access::canary(node);
  for (size_t i = 0; i < kSnapshotFanOut; i++) {
    out.slots[i] = Access::raw(Access::slot(node, i));
  }
  return out;
}

bool Followable(const VmPageListNode* p) {
  const uintptr_t bits = reinterpret_cast<uintptr_t>(p);
  return p != nullptr && (bits & 1) == 0 && bits % alignof(VmPageListNode) == 0;
}

// The nodes of a sound tree, in order, without a visited set: false as soon as the tree is not
// one (a link that cannot be followed, more nodes than its count says, keys that do not rise),
// and the caller then takes the safe walk.
bool CollectInOrder(const PageListAccess::NodeTree& tree, size_t limit,
                    std::vector<SnapshotNode>& nodes) {
  std::vector<const VmPageListNode*> stack;
  const VmPageListNode* cur = tree.root_ptr();
  if (cur != nullptr && !Followable(cur)) {
    return false;
  }
  size_t reached = 0;
  while (cur != nullptr || !stack.empty()) {
    while (cur != nullptr) {
      if (!Followable(cur) || ++reached > limit) {
        return false;
      }
      stack.push_back(cur);
      cur = cur->wavl_node_state_.left_;
      cur = (reinterpret_cast<uintptr_t>(cur) & 1) != 0 ? nullptr : cur;  // a sentinel ends it
    }
    const VmPageListNode* node = stack.back();
    stack.pop_back();
    if (!nodes.empty() && node->offset() <= nodes.back().key) {
      return false;
    }
    nodes.push_back(NodeOf(*node));
    cur = node->wavl_node_state_.right_;
    cur = (reinterpret_cast<uintptr_t>(cur) & 1) != 0 ? nullptr : cur;
  }
  return true;
}

// The nodes of |tree|, sorted by key. A sound tree is walked in order; any other by a bounded
// walk from the root that follows a link only if it is non-null, untagged, aligned and not seen
// before (so a corrupted tree yields its nodes, not a hang), then sorted.
std::vector<SnapshotNode> CollectNodes(const PageListAccess::NodeTree& tree, size_t max_nodes) {
  std::vector<SnapshotNode> nodes;
  // A count that lies costs at most this much address space up front.
  nodes.reserve(std::min({tree.size(), max_nodes, size_t{1} << 16}));
  if (CollectInOrder(tree, std::min(tree.size(), max_nodes), nodes)) {
    return nodes;
  }
  nodes.clear();
  std::unordered_set<const VmPageListNode*> seen;
  std::vector<const VmPageListNode*> stack;
  auto followable = [&](const VmPageListNode* p) {
    return Followable(p) && seen.count(p) == 0 && seen.size() < max_nodes;
  };
  const VmPageListNode* root = tree.root_ptr();
  if (followable(root)) {
    seen.insert(root);
    stack.push_back(root);
  }
  while (!stack.empty()) {
    const VmPageListNode* node = stack.back();
    stack.pop_back();
    nodes.push_back(NodeOf(*node));
    for (const VmPageListNode* child :
         {node->wavl_node_state_.left_, node->wavl_node_state_.right_}) {
      if (followable(child)) {
        seen.insert(child);
        stack.push_back(child);
      }
    }
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const SnapshotNode& a, const SnapshotNode& b) { return a.key < b.key; });
  return nodes;
}

void ReadPages(const SnapshotNode& node, SnapshotList& out) {
  for (uint64_t raw : node.slots) {
    if (DecodeRawSlot(raw).kind == SlotKind::kPage && raw % alignof(vm_page_t) == 0) {
      const auto* page = reinterpret_cast<const vm_page_t*>(raw);
      out.pages[raw] = SnapshotPage{page->paddr(), page->object.cow_left_split != 0,
                                    page->object.cow_right_split != 0, page->object.dirty_state};
    }
  }
}

void ReadAllPages(SnapshotList& out) {
  for (const SnapshotNode& node : out.nodes) {
    ReadPages(node, out);
  }
  if (out.kind == SnapshotListKind::kSpliceList) {
    ReadPages(out.head, out);
    ReadPages(out.tail, out);
  }
}

}  // namespace

SnapshotList Capture(const VmPageList& list, const CaptureOptions& options) {
  SnapshotList out;
  out.address = reinterpret_cast<uintptr_t>(&list);
  out.kind = SnapshotListKind::kPageList;
  out.skew = Access::skew(list);
  out.tree_count = Access::nodes(list).size();
  out.nodes = CollectNodes(Access::nodes(list), options.max_nodes);
  out.complete = out.nodes.size() == out.tree_count;
  if (options.read_pages) {
    ReadAllPages(out);
  }
  return out;
}

SnapshotList Capture(const VmPageSpliceList& splice, const CaptureOptions& options) {
  SnapshotList out;
  out.address = reinterpret_cast<uintptr_t>(&splice);
  out.kind = SnapshotListKind::kSpliceList;
  out.skew = Access::skew(splice);
  out.splice_offset = splice.offset();
  out.splice_length = splice.length();
  out.splice_position = Access::position(splice);
  out.splice_finalized = Access::finalized(splice);
  out.head = NodeOf(Access::head(splice));
  out.tail = NodeOf(Access::tail(splice));
  out.tree_count = Access::middle(splice).size();
  out.nodes = CollectNodes(Access::middle(splice), options.max_nodes);
  out.complete = out.nodes.size() == out.tree_count;
  if (options.read_pages) {
    ReadAllPages(out);
  }
  return out;
}

std::vector<SnapshotList> CaptureRegisteredLists(const CaptureOptions& options) {
  std::vector<SnapshotList> lists;
  for (const RegistryEntryView& entry : Registry::Snapshot()) {
    SnapshotList list =
        entry.kind == RegistryKind::kPageList
            ? Capture(*reinterpret_cast<const VmPageList*>(entry.address), options)
            : Capture(*reinterpret_cast<const VmPageSpliceList*>(entry.address), options);
    list.registry_id = entry.id;
    list.name = entry.name;
    lists.push_back(std::move(list));
  }
  std::sort(lists.begin(), lists.end(), [](const SnapshotList& a, const SnapshotList& b) {
    return a.registry_id < b.registry_id;
  });
  return lists;
}

}  // namespace vmpl
