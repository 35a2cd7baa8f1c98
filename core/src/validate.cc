// vmpl::Validate: every invariant of a page list or splice list, checked over live memory that may
// be corrupt. The walk over the tree is bounded and never trusts a link it has not checked.

#include <inttypes.h>
#include <stdio.h>
#include <vmpl/page_list_access.h>
#include <vmpl/validate.h>
#include <vmpl/wavl_check.h>

#include <algorithm>
#include <unordered_set>

namespace vmpl {
namespace {

using Access = PageListAccess;
using NodeTree = PageListAccess::NodeTree;
using DirtyState = VmPageOrMarker::IntervalDirtyState;

constexpr uint64_t kNodeSize = VmPageListNode::kPageFanOut * PAGE_SIZE;

// Raw-encoding fields (header: raw_ bit layout). Decoded here from the raw value rather than
// through VmPageOrMarker's accessors, whose DEBUG_ASSERTs would abort on a malformed value.
constexpr uint64_t kTypeMask = 0b11;
constexpr uint64_t kTypePage = 0b00;
constexpr uint64_t kTypeMarker = 0b01;
constexpr uint64_t kTypeReference = 0b10;
constexpr uint64_t kTypeInterval = 0b11;
uint64_t SentinelOf(uint64_t raw) { return (raw >> 2) & 0b11; }
uint64_t IntervalTypeOf(uint64_t raw) { return (raw >> 4) & 0b11; }
uint64_t DirtyStateOf(uint64_t raw) { return (raw >> 6) & 0b11; }
uint64_t AwaitingCleanOf(uint64_t raw) { return raw & ~uint64_t{0xFFF}; }
constexpr uint64_t kSentinelSlot = 0, kSentinelStart = 1, kSentinelEnd = 2;
constexpr uint64_t kDirty = static_cast<uint64_t>(DirtyState::Dirty);

std::string Hex(uint64_t value) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%#" PRIx64, value);
  return buf;
}

class Reporter {
 public:
  explicit Reporter(std::vector<Violation>* out) : out_(out) {}
  void Add(Violation::Kind kind, uintptr_t address, std::string message) {
    out_->push_back(Violation{kind, address, 0, false, std::move(message)});
  }
  void AddAt(Violation::Kind kind, uintptr_t address, uint64_t offset, std::string message) {
    out_->push_back(Violation{kind, address, offset, true, std::move(message)});
  }

 private:
  std::vector<Violation>* out_;
};

// Collects the nodes of |tree| by a bounded walk from the root: a link is followed only if it is
// non-null, untagged, aligned and not seen before. Returns them sorted by key.
std::vector<const VmPageListNode*> CollectNodes(const NodeTree& tree, size_t max_nodes) {
  std::vector<const VmPageListNode*> nodes;
  std::unordered_set<const VmPageListNode*> seen;
  std::vector<const VmPageListNode*> stack;
  auto followable = [&](const VmPageListNode* p) {
    const uintptr_t bits = reinterpret_cast<uintptr_t>(p);
    return p != nullptr && (bits & 1) == 0 && bits % alignof(VmPageListNode) == 0 &&
           seen.count(p) == 0 && seen.size() < max_nodes;
  };
  const VmPageListNode* root = tree.root_ptr();
  if (followable(root)) {
    seen.insert(root);
    stack.push_back(root);
  }
  while (!stack.empty()) {
    const VmPageListNode* node = stack.back();
    stack.pop_back();
    nodes.push_back(node);
    for (const VmPageListNode* child :
         {node->wavl_node_state_.left_, node->wavl_node_state_.right_}) {
      if (followable(child)) {
        seen.insert(child);
        stack.push_back(child);
      }
    }
  }
  std::sort(nodes.begin(), nodes.end(), [](const VmPageListNode* a, const VmPageListNode* b) {
    return a->offset() < b->offset();
  });
  return nodes;
}

void CheckTree(const NodeTree& tree, size_t max_nodes, Reporter& report) {
  for (const WavlProblem& problem : CheckWavlTree(tree, max_nodes)) {
    report.Add(Violation::Kind::kTree, problem.address, problem.what);
  }
}

// Checks one slot's encoding on its own; returns false if it is malformed.
bool CheckSlotEncoding(uint64_t raw, uintptr_t node_addr, uint64_t offset, Reporter& report) {
  switch (raw & kTypeMask) {
    case kTypePage:
      if (raw != 0 && raw % alignof(vm_page_t) != 0) {
        report.AddAt(Violation::Kind::kSlot, node_addr, offset,
                     "page pointer " + Hex(raw) + " is not aligned to vm_page_t");
        return false;
      }
      return true;
    case kTypeMarker:
      if (raw != kTypeMarker) {
        report.AddAt(Violation::Kind::kSlot, node_addr, offset,
                     "marker " + Hex(raw) + " has bits set above the type");
        return false;
      }
      return true;
    case kTypeReference:
      return true;
    case kTypeInterval: {
      bool ok = true;
      if (SentinelOf(raw) > kSentinelEnd) {
        report.AddAt(Violation::Kind::kSlot, node_addr, offset,
                     "interval sentinel kind " + std::to_string(SentinelOf(raw)) + " is not valid");
        ok = false;
      }
      if (IntervalTypeOf(raw) != 0) {
        report.AddAt(Violation::Kind::kSlot, node_addr, offset,
                     "interval type " + std::to_string(IntervalTypeOf(raw)) +
                         " is not Zero (the only type)");
        ok = false;
      }
      if (DirtyStateOf(raw) != kDirty) {
        report.AddAt(Violation::Kind::kSlot, node_addr, offset,
                     "zero interval dirty state " + std::to_string(DirtyStateOf(raw)) +
                         " cannot be created (only Dirty)");
        ok = false;
      }
      if ((raw & 0xF00) != 0) {
        report.AddAt(Violation::Kind::kSlot, node_addr, offset,
                     "interval " + Hex(raw) + " has reserved bits 8-11 set");
        ok = false;
      }
      return ok;
    }
  }
  return true;
}

// Tracks interval sentinels in offset order across nodes.
class IntervalTracker {
 public:
  explicit IntervalTracker(Reporter& report) : report_(report) {}

  void OnSlot(uint64_t raw, uintptr_t node_addr, uint64_t offset) {
    if ((raw & kTypeMask) != kTypeInterval) {
      if (open_) {
        report_.AddAt(
            Violation::Kind::kInterval, node_addr, offset,
            "content " + Hex(raw) + " inside the interval that starts at " + Hex(open_start_));
      }
      return;
    }
    const uint64_t sentinel = SentinelOf(raw);
    const uint64_t state = DirtyStateOf(raw);
    if (sentinel == kSentinelEnd && AwaitingCleanOf(raw) != 0) {
      report_.AddAt(Violation::Kind::kInterval, node_addr, offset,
                    "interval End carries an awaiting-clean length " + Hex(AwaitingCleanOf(raw)));
    }
    if (sentinel != kSentinelEnd && AwaitingCleanOf(raw) != 0 && state != kDirty) {
      report_.AddAt(Violation::Kind::kInterval, node_addr, offset,
                    "awaiting-clean length on an interval that is not Dirty");
    }
    if (sentinel == kSentinelStart || sentinel == kSentinelSlot) {
      if (open_) {
        report_.AddAt(Violation::Kind::kInterval, node_addr, offset,
                      std::string(sentinel == kSentinelStart ? "Start" : "Slot") +
                          " inside the interval that starts at " + Hex(open_start_));
        open_ = false;
      }
      CheckMaximal(node_addr, offset, state);
      if (sentinel == kSentinelStart) {
        open_ = true;
        open_start_ = offset;
        open_state_ = state;
      } else {
        Closed(offset, state);
      }
    } else if (sentinel == kSentinelEnd) {
      if (!open_) {
        report_.AddAt(Violation::Kind::kInterval, node_addr, offset,
                      "interval End with no Start before it");
      } else if (state != open_state_) {
        report_.AddAt(Violation::Kind::kInterval, node_addr, offset,
                      "interval End dirty state " + std::to_string(state) +
                          " differs from its Start's (" + std::to_string(open_state_) + ") at " +
                          Hex(open_start_));
      }
      open_ = false;
      Closed(offset, state);
    }
  }

  void Finish(uintptr_t list_addr) {
    if (open_) {
      report_.AddAt(Violation::Kind::kInterval, list_addr, open_start_,
                    "interval Start with no End after it");
    }
  }

 private:
  void CheckMaximal(uintptr_t node_addr, uint64_t offset, uint64_t state) {
    if (has_last_end_ && last_end_ + PAGE_SIZE == offset && last_state_ == state) {
      report_.AddAt(Violation::Kind::kMaximal, node_addr, offset,
                    "interval starting here touches the one ending at " + Hex(last_end_) +
                        " with the same dirty state: they should be one interval");
    }
  }
  void Closed(uint64_t offset, uint64_t state) {
    has_last_end_ = true;
    last_end_ = offset;
    last_state_ = state;
  }

  Reporter& report_;
  bool open_ = false;
  uint64_t open_start_ = 0;
  uint64_t open_state_ = 0;
  bool has_last_end_ = false;
  uint64_t last_end_ = 0;
  uint64_t last_state_ = 0;
};

}  // namespace

const char* ViolationKindName(Violation::Kind kind) {
  switch (kind) {
    case Violation::Kind::kTree:
      return "tree";
    case Violation::Kind::kNode:
      return "node";
    case Violation::Kind::kSkew:
      return "skew";
    case Violation::Kind::kSlot:
      return "slot";
    case Violation::Kind::kInterval:
      return "interval";
    case Violation::Kind::kMaximal:
      return "maximal";
    case Violation::Kind::kSplice:
      return "splice";
  }
  return "unknown";
}

std::string Violation::ToString() const {
  std::string text = std::string(ViolationKindName(kind)) + ": at " + Hex(address);
  if (has_offset) {
    text += " offset " + Hex(offset);
  }
  return text + ": " + message;
}

namespace {

// The node table (vmpl/node_table.h) must map every node's key to that node and hold nothing else.
// A list read from another process or a core never has one: its copy's table is dropped.
// |nodes| are the tree's nodes as CollectNodes found them.
void CheckNodeTable(const VmPageList& list, const NodeTree& tree,
                    const std::vector<const VmPageListNode*>& nodes, Reporter& report) {
  const vmpl::NodeTable& table = Access::node_table(list);
  if (!table.active()) {
    return;
  }
  const uintptr_t list_addr = reinterpret_cast<uintptr_t>(&list);
  if (table.size() != tree.size()) {
    report.Add(Violation::Kind::kTree, list_addr,
               "node table holds " + std::to_string(table.size()) + " nodes, the tree " +
                   std::to_string(tree.size()));
  }
  for (const VmPageListNode* node : nodes) {
    const VmPageListNode* found = table.Find(node->offset());
    if (found != node) {
      report.Add(Violation::Kind::kTree, reinterpret_cast<uintptr_t>(node),
                 "node table maps node offset " + Hex(node->offset()) + " to " +
                     Hex(reinterpret_cast<uintptr_t>(found)) + ", not to this node");
    }
  }
}

}  // namespace

std::vector<Violation> Validate(const VmPageList& list, const ValidateOptions& options) {
  std::vector<Violation> violations;
  Reporter report(&violations);
  const uintptr_t list_addr = reinterpret_cast<uintptr_t>(&list);
  const uint64_t skew = Access::skew(list);
  if (skew >= kNodeSize || skew % PAGE_SIZE != 0) {
    report.Add(Violation::Kind::kSkew, list_addr,
               "list_skew_ " + Hex(skew) + " is not a page multiple below 64 KiB");
  }

  const NodeTree& tree = Access::nodes(list);
  CheckTree(tree, options.max_nodes, report);
  const std::vector<const VmPageListNode*> nodes = CollectNodes(tree, options.max_nodes);
  CheckNodeTable(list, tree, nodes, report);

  IntervalTracker intervals(report);
  for (const VmPageListNode* node : nodes) {
    const uintptr_t node_addr = reinterpret_cast<uintptr_t>(node);
    const uint32_t canary = Access::canary(*node);
    if (canary != Access::kNodeCanary) {
      report.Add(Violation::Kind::kNode, node_addr,
                 "canary is " + Hex(canary) + ", expected " + Hex(Access::kNodeCanary) + " (PLST)");
    }
    const uint64_t key = node->offset();
    if (key % kNodeSize != 0) {
      report.Add(Violation::Kind::kNode, node_addr,
                 "node offset " + Hex(key) + " is not a multiple of 64 KiB");
    }
    if (key >= VmPageList::MAX_SIZE) {
      report.Add(Violation::Kind::kNode, node_addr,
                 "node offset " + Hex(key) + " is not below MAX_SIZE");
    }
    bool empty = true;
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      const uint64_t raw = Access::raw(Access::slot(*node, i));
      if (raw == 0) {
        continue;
      }
      empty = false;
      const uint64_t skewed = key + i * PAGE_SIZE;
      const uint64_t offset = skewed - skew;
      if (skewed < skew) {
        report.Add(Violation::Kind::kSlot, node_addr,
                   "slot " + std::to_string(i) + " lies before offset 0 of the list");
      }
      CheckSlotEncoding(raw, node_addr, offset, report);
      intervals.OnSlot(raw, node_addr, offset);
    }
    if (empty) {
      report.Add(Violation::Kind::kNode, node_addr, "node at " + Hex(key) + " is empty");
    }
  }
  intervals.Finish(list_addr);
  return violations;
}

std::vector<Violation> Validate(const VmPageSpliceList& splice, const ValidateOptions& options) {
  std::vector<Violation> violations;
  Reporter report(&violations);
  const uintptr_t addr = reinterpret_cast<uintptr_t>(&splice);
  const uint64_t skew = Access::skew(splice);
  const uint64_t offset = splice.offset();
  const uint64_t length = splice.length();
  const uint64_t pos = splice.Position();

  if (skew >= kNodeSize || skew % PAGE_SIZE != 0) {
    report.Add(Violation::Kind::kSkew, addr, "list_skew_ " + Hex(skew) + " is out of range");
  }
  if (offset % PAGE_SIZE != 0 || length % PAGE_SIZE != 0) {
    report.Add(Violation::Kind::kSplice, addr,
               "offset " + Hex(offset) + " or length " + Hex(length) + " is not page aligned");
  }
  if (pos > length) {
    report.Add(Violation::Kind::kSplice, addr,
               "position " + Hex(pos) + " is past the length " + Hex(length));
  }

  auto node_of = [skew](uint64_t off) { return ROUNDDOWN(off + skew, kNodeSize); };
  const uint64_t first_node = node_of(offset);
  const uint64_t end_node = node_of(offset + length);
  const bool has_head = ((offset + skew) / PAGE_SIZE) % VmPageListNode::kPageFanOut != 0;

  // Entries already popped (finalized) or not yet appended (not finalized) must be empty.
  auto check_entry = [&](uint64_t raw, uintptr_t node_addr, uint64_t entry_offset) {
    if (raw == 0) {
      return;
    }
    CheckSlotEncoding(raw, node_addr, entry_offset, report);
    if ((raw & kTypeMask) == kTypeInterval) {
      report.AddAt(Violation::Kind::kSplice, node_addr, entry_offset,
                   "splice list holds an interval sentinel");
    }
    if (entry_offset < offset || entry_offset >= offset + length) {
      report.AddAt(Violation::Kind::kSplice, node_addr, entry_offset,
                   "entry lies outside the list's range [" + Hex(offset) + ", " +
                       Hex(offset + length) + ")");
    } else if (splice.IsFinalized() && entry_offset < offset + pos) {
      report.AddAt(Violation::Kind::kSplice, node_addr, entry_offset,
                   "entry before the position " + Hex(pos) + " was not popped");
    } else if (!splice.IsFinalized() && entry_offset >= offset + pos) {
      report.AddAt(Violation::Kind::kSplice, node_addr, entry_offset,
                   "entry at or after the append position " + Hex(pos));
    }
  };

  auto check_partial = [&](const VmPageListNode& node, uint64_t node_key, const char* name) {
    const uintptr_t node_addr = reinterpret_cast<uintptr_t>(&node);
    if (Access::canary(node) != Access::kNodeCanary) {
      report.Add(Violation::Kind::kNode, node_addr,
                 std::string(name) + " canary is " + Hex(Access::canary(node)));
    }
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      check_entry(Access::raw(Access::slot(node, i)), node_addr, node_key + i * PAGE_SIZE - skew);
    }
  };
  const bool head_is_tail = has_head && first_node == end_node;
  check_partial(Access::head(splice), first_node, "head");
  if (!head_is_tail) {
    check_partial(Access::tail(splice), end_node, "tail");
  } else if (!Access::tail(splice).IsEmpty()) {
    report.Add(Violation::Kind::kSplice, reinterpret_cast<uintptr_t>(&Access::tail(splice)),
               "tail holds entries although the whole range fits in the head");
  }
  if (!has_head && !Access::head(splice).IsEmpty()) {
    report.Add(Violation::Kind::kSplice, reinterpret_cast<uintptr_t>(&Access::head(splice)),
               "head holds entries although the range starts on a node boundary");
  }

  const NodeTree& middle = Access::middle(splice);
  CheckTree(middle, options.max_nodes, report);
  for (const VmPageListNode* node : CollectNodes(middle, options.max_nodes)) {
    const uintptr_t node_addr = reinterpret_cast<uintptr_t>(node);
    const uint64_t key = node->offset();
    if (Access::canary(*node) != Access::kNodeCanary) {
      report.Add(Violation::Kind::kNode, node_addr,
                 "canary is " + Hex(Access::canary(*node)) + ", expected PLST");
    }
    if (key % kNodeSize != 0 || key < first_node + (has_head ? kNodeSize : 0) || key >= end_node) {
      report.Add(Violation::Kind::kSplice, node_addr,
                 "middle node key " + Hex(key) + " is misaligned or outside the middle range");
    }
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      check_entry(Access::raw(Access::slot(*node, i)), node_addr, key + i * PAGE_SIZE - skew);
    }
  }

  // Raw pages (CreateFromPageList): one per remaining page, walk bounded.
  const list_node& raw_pages = Access::raw_pages(splice);
  if (!list_is_empty(&raw_pages)) {
    const uint64_t remaining = pos <= length ? (length - pos) / PAGE_SIZE : 0;
    uint64_t count = 0;
    for (const list_node* n = raw_pages.next; n != &raw_pages && count <= remaining; n = n->next) {
      count++;
    }
    if (count != remaining) {
      report.Add(Violation::Kind::kSplice, addr,
                 "raw page list holds " + std::string(count > remaining ? "more than " : "") +
                     std::to_string(count) + " pages, expected " + std::to_string(remaining));
    }
  }
  return violations;
}

}  // namespace vmpl
