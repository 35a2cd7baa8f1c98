// TraceReplay: real page-list objects rebuilt from a trace. See trace_replay.h.

#include <vmpl/inspect/trace_replay.h>

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vm/vm_page_list.h>
#include <vmpl/capture.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>
#include <vmpl/validate.h>

namespace vmpl::inspect {

using trace::Event;
using trace::EventKind;
using trace::ListKind;

namespace {

constexpr size_t kMaxProblemsKept = 100;

}  // namespace

// One replayed list: exactly one of the two pointers is set.
struct TraceReplay::Object {
  std::unique_ptr<VmPageList> list;
  std::unique_ptr<VmPageSpliceList> splice;
  // Recorded addresses of the nodes it holds (tree nodes and, for a splice list, head and tail).
  std::unordered_set<uint64_t> node_addresses;
  uint64_t head_address = 0;
  uint64_t tail_address = 0;

  PageListAccess::NodeTree& tree() {
    return list ? PageListAccess::mutable_nodes(*list) : PageListAccess::mutable_middle(*splice);
  }

  // Empties everything so that the destructors neither assert nor free a recorded page.
  void Clear() {
    PageListAccess::NodeTree& nodes = tree();
    for (VmPageListNode& node : nodes) {
      PageListAccess::clear_slots(node);
    }
    nodes.clear();
    if (splice) {
      PageListAccess::clear_slots(PageListAccess::mutable_head(*splice));
      PageListAccess::clear_slots(PageListAccess::mutable_tail(*splice));
      // Processed and finalized: the destructor's FreeAllPages has nothing to pop.
      PageListAccess::set_splice_state(*splice, 0, 0, 0, 0, true);
    }
  }

  ~Object() { Clear(); }
};

bool WriteFinalDigest(trace::TraceWriter& writer, size_t lists, uint64_t digest) {
  const std::string json =
      nlohmann::json({{"lists", lists}, {"digest", fmt::format("{:#018x}", digest)}}).dump();
  return writer.WriteChunk(kFinalStateChunk, json.data(), json.size());
}

std::optional<uint64_t> RecordedFinalDigest(const trace::TraceReader& reader) {
  std::optional<uint64_t> digest;
  for (const trace::ChunkEntry& chunk : reader.chunks()) {
    if (chunk.type != kFinalStateChunk) {
      continue;
    }
    const nlohmann::json json =
        nlohmann::json::parse(reader.ChunkPayload(chunk), nullptr, /*allow_exceptions=*/false);
    if (json.is_object() && json.contains("digest") && json["digest"].is_string()) {
      const std::string text = json["digest"].get<std::string>();
      char* end = nullptr;
      const uint64_t value = strtoull(text.c_str(), &end, 16);
      if (end != text.c_str() && *end == '\0') {
        digest = value;
      }
    }
  }
  return digest;
}

TraceReplay::TraceReplay(const TraceLayout& layout, Check check)
    : resolver_(layout), check_(check) {}

TraceReplay::~TraceReplay() {
  // Nodes first (they may belong to any object), then the objects, each emptied by ~Object.
  objects_.clear();
}

TraceReplay::Object* TraceReplay::Live(uint64_t key) {
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second.get();
}

const TraceReplay::Object* TraceReplay::Live(uint64_t key) const {
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second.get();
}

const VmPageList* TraceReplay::PageList(uint64_t key) const {
  const Object* object = Live(key);
  return object != nullptr ? object->list.get() : nullptr;
}

const VmPageSpliceList* TraceReplay::SpliceList(uint64_t key) const {
  const Object* object = Live(key);
  return object != nullptr ? object->splice.get() : nullptr;
}

void TraceReplay::Diverged(uint64_t index, const std::string& what) {
  if (divergences_++ == 0) {
    first_divergence_ = fmt::format("event {}: {}", index, what);
  }
}

void TraceReplay::CreateObject(uint64_t key, const TracedList& info) {
  DestroyObject(key);
  auto object = std::make_unique<Object>();
  if (info.kind == ListKind::kSpliceList) {
    object->splice = std::make_unique<VmPageSpliceList>();
    PageListAccess::set_splice_state(*object->splice, info.splice_offset, info.splice_length, 0,
                                     info.skew, false);
    object->head_address = info.address + resolver_.layout().splice_head_offset;
    object->tail_address = info.address + resolver_.layout().splice_tail_offset;
    nodes_[object->head_address] = NodeRef{&PageListAccess::mutable_head(*object->splice), key};
    nodes_[object->tail_address] = NodeRef{&PageListAccess::mutable_tail(*object->splice), key};
    object->node_addresses = {object->head_address, object->tail_address};
  } else {
    object->list = std::make_unique<VmPageList>();
  }
  objects_[key] = std::move(object);
}

void TraceReplay::DestroyObject(uint64_t key) {
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return;
  }
  // Forget every node the object holds (tree nodes and inline ones) before it goes.
  for (uint64_t address : it->second->node_addresses) {
    auto node = nodes_.find(address);
    if (node != nodes_.end() && node->second.owner_key == key) {
      nodes_.erase(node);
    }
  }
  objects_.erase(it);
  open_violations_.erase(key);
}

void TraceReplay::InsertNode(uint64_t owner_key, uint64_t node_address, uint64_t offset,
                             uint64_t index) {
  Object* owner = Live(owner_key);
  if (owner == nullptr) {
    return;
  }
  if (nodes_.count(node_address) != 0) {
    EraseNode(node_address);
  }
  PageListAccess::NodeTree& tree = owner->tree();
  auto existing = tree.find(offset);
  if (existing.IsValid()) {
    Diverged(index, fmt::format("node allocated at key 0x{:x}, which the list already holds",
                                offset));
    VmPageListNode& stale = *existing;
    for (auto it = owner->node_addresses.begin(); it != owner->node_addresses.end(); ++it) {
      auto ref = nodes_.find(*it);
      if (ref != nodes_.end() && ref->second.node == &stale) {
        nodes_.erase(ref);
        owner->node_addresses.erase(it);
        break;
      }
    }
    PageListAccess::clear_slots(stale);
    tree.erase(stale);
  }
  auto node = std::make_unique<VmPageListNode>(offset);
  VmPageListNode* raw = node.get();
  tree.insert(std::move(node));
  nodes_[node_address] = NodeRef{raw, owner_key};
  owner->node_addresses.insert(node_address);
}

void TraceReplay::EraseNode(uint64_t node_address) {
  auto it = nodes_.find(node_address);
  if (it == nodes_.end()) {
    return;
  }
  Object* owner = Live(it->second.owner_key);
  VmPageListNode* node = it->second.node;
  if (owner == nullptr) {
    nodes_.erase(it);
    return;
  }
  if (node_address == owner->head_address || node_address == owner->tail_address) {
    return;  // inline nodes live as long as their splice list
  }
  nodes_.erase(it);
  owner->node_addresses.erase(node_address);
  PageListAccess::clear_slots(*node);
  owner->tree().erase(*node);
}

VmPageListNode* TraceReplay::NodeFor(const SlotRef& ref) {
  auto it = nodes_.find(ref.node_address);
  return it == nodes_.end() ? nullptr : it->second.node;
}

Resolution TraceReplay::Apply(const Event& event, uint64_t index) {
  // Node events need the replay's view of the node before the resolver forgets it.
  const Resolution r = resolver_.Apply(event);
  switch (event.kind) {
    case EventKind::kSlotStore: {
      // A trace whose layout has more slots per node than ours names slots our nodes lack.
      const auto fits = [](const SlotRef& ref) {
        return ref.index >= 0 && static_cast<size_t>(ref.index) < VmPageListNode::kPageFanOut;
      };
      if (r.slot.valid() && !fits(r.slot)) {
        Diverged(index, fmt::format("store to slot {} of a node, which has {} slots here",
                                    r.slot.index, size_t{VmPageListNode::kPageFanOut}));
      } else if (r.slot.valid()) {
        VmPageListNode* node = NodeFor(r.slot);
        if (node == nullptr) {
          Diverged(index, fmt::format("store to slot 0x{:x} of a node that is not replayed",
                                      event.object));
        } else {
          VmPageOrMarker& slot = PageListAccess::mutable_slot(*node, r.slot.index);
          if (PageListAccess::raw(slot) != event.arg[0]) {
            Diverged(index, fmt::format("slot 0x{:x} held 0x{:x}, the event says 0x{:x}",
                                        event.object, PageListAccess::raw(slot), event.arg[0]));
          }
          PageListAccess::set_raw(slot, event.arg[1]);
        }
      }
      if (r.moved_from.valid() && fits(r.moved_from)) {
        if (VmPageListNode* node = NodeFor(r.moved_from)) {
          PageListAccess::set_raw(PageListAccess::mutable_slot(*node, r.moved_from.index), 0);
        }
      }
      if (!r.dropped) {
        if (r.slot.valid()) {
          Touch(r.slot.list_key, index);
        }
        if (r.moved_from.valid() && r.moved_from.list_key != r.slot.list_key) {
          Touch(r.moved_from.list_key, index);
        }
      }
      return r;
    }
    case EventKind::kNodeAlloc: {
      Object* owner = Live(r.list_key);
      if (owner == nullptr) {
        if (const TracedList* info = resolver_.FindList(r.list_key)) {
          CreateObject(r.list_key, *info);
          owner = Live(r.list_key);
        }
      }
      if (owner != nullptr) {
        InsertNode(r.list_key, event.arg[0], event.arg[1], index);
      }
      break;
    }
    case EventKind::kNodeFree: {
      if (nodes_.count(event.arg[0]) == 0) {
        Diverged(index, fmt::format("free of node 0x{:x}, which is not replayed", event.arg[0]));
      }
      EraseNode(event.arg[0]);
      break;
    }
    case EventKind::kNodeTransfer: {
      auto it = nodes_.find(event.arg[0]);
      Object* to = Live(r.list_key);
      if (it == nodes_.end() || to == nullptr) {
        Diverged(index, fmt::format("transfer of node 0x{:x}, which is not replayed",
                                    event.arg[0]));
        break;
      }
      Object* from = Live(it->second.owner_key);
      VmPageListNode* node = it->second.node;
      std::unique_ptr<VmPageListNode> owned =
          from != nullptr ? from->tree().erase(*node) : std::unique_ptr<VmPageListNode>();
      if (!owned) {
        Diverged(index, "transfer of a node its owner does not hold");
        nodes_.erase(it);
        if (from != nullptr) {
          from->node_addresses.erase(event.arg[0]);
        }
        break;
      }
      PageListAccess::set_node_offset(*owned, event.arg[1]);
      PageListAccess::NodeTree& tree = to->tree();
      if (tree.find(event.arg[1]).IsValid()) {
        Diverged(index, "transfer onto a key the target already holds");
        PageListAccess::clear_slots(*owned);
        nodes_.erase(it);
        from->node_addresses.erase(event.arg[0]);
        break;
      }
      tree.insert(std::move(owned));
      from->node_addresses.erase(event.arg[0]);
      to->node_addresses.insert(event.arg[0]);
      it->second.owner_key = r.list_key;
      break;
    }
    case EventKind::kSkewSet: {
      if (Object* object = Live(r.list_key); object != nullptr && object->list) {
        PageListAccess::set_skew(*object->list, event.arg[0]);
      }
      break;
    }
    case EventKind::kListCreate: {
      if (const TracedList* info = resolver_.FindList(r.list_key)) {
        CreateObject(r.list_key, *info);
      }
      break;
    }
    case EventKind::kListDestroy: {
      DestroyObject(r.list_key);
      break;
    }
    case EventKind::kListMove: {
      Object* to = Live(r.list_key);
      Object* from = Live(r.other_list_key);
      if (to == nullptr || from == nullptr || to == from) {
        break;
      }
      if (!to->tree().is_empty()) {
        Diverged(index, "list moved onto a list that still has nodes");
      }
      to->tree() = std::move(from->tree());
      for (auto address = from->node_addresses.begin(); address != from->node_addresses.end();) {
        if (*address == from->head_address || *address == from->tail_address) {
          ++address;
          continue;
        }
        if (auto ref = nodes_.find(*address); ref != nodes_.end()) {
          ref->second.owner_key = r.list_key;
        }
        to->node_addresses.insert(*address);
        address = from->node_addresses.erase(address);
      }
      if (to->list && from->list) {
        PageListAccess::set_skew(*to->list, PageListAccess::skew(*from->list));
        PageListAccess::set_skew(*from->list, 0);
      } else if (to->splice && from->splice) {
        const VmPageSpliceList& f = *from->splice;
        PageListAccess::set_splice_state(*to->splice, f.offset(), f.length(),
                                         PageListAccess::position(f), PageListAccess::skew(f),
                                         PageListAccess::finalized(f));
        PageListAccess::set_splice_state(*from->splice, 0, 0, 0, 0, false);
      }
      break;
    }
    case EventKind::kSplicePosition:
    case EventKind::kSpliceFinalize: {
      if (Object* object = Live(r.list_key); object != nullptr && object->splice) {
        const VmPageSpliceList& s = *object->splice;
        const bool finalize = event.kind == EventKind::kSpliceFinalize;
        PageListAccess::set_splice_state(*object->splice, s.offset(), s.length(),
                                         finalize ? 0 : event.arg[0], PageListAccess::skew(s),
                                         finalize || PageListAccess::finalized(s));
      }
      break;
    }
    case EventKind::kCheckpoint:
      JudgeCheckpoint(index);
      break;
    default:
      break;
  }
  if (r.list_key != 0 && !r.dropped && event.kind != EventKind::kListDestroy) {
    Touch(r.list_key, index);
    if (r.other_list_key != 0) {
      Touch(r.other_list_key, index);
    }
  }
  return r;
}

void TraceReplay::Touch(uint64_t key, uint64_t index) {
  switch (check_) {
    case Check::kNone:
      return;
    case Check::kCheckpoints:
      touched_[key] = true;
      return;
    case Check::kEveryEvent:
      if (index >= check_from_) {
        CheckList(key, index);
      }
      return;
  }
}

void TraceReplay::CheckList(uint64_t key, uint64_t index) {
  const Object* object = Live(key);
  if (object == nullptr) {
    return;
  }
  std::vector<Violation> found =
      object->list ? Validate(*object->list) : Validate(*object->splice);
  std::map<std::string, OpenViolation>& open = open_violations_[key];
  std::map<std::string, OpenViolation> now;
  for (const Violation& violation : found) {
    const std::string text = violation.ToString();
    auto it = open.find(text);
    now[text] = it != open.end() ? it->second
                                 : OpenViolation{index, static_cast<int>(violation.kind),
                                                 violation.offset, violation.has_offset};
  }
  open = std::move(now);
}

void TraceReplay::JudgeCheckpoint(uint64_t index) {
  checkpoints_++;
  const uint64_t window_start = checkpoints_ == 1 ? 0 : last_checkpoint_ + 1;
  last_checkpoint_ = index;
  if (check_ == Check::kNone) {
    return;
  }
  if (check_ == Check::kCheckpoints) {
    // Every violation of a touched list is new in this window, or persists from an earlier one
    // (CheckList keeps the index it was first seen at, so it is not reported twice).
    for (const auto& [key, touched] : touched_) {
      CheckList(key, window_start);
    }
    touched_.clear();
  } else if (index < check_from_) {
    return;
  }
  for (auto& [key, open] : open_violations_) {
    for (const auto& [text, violation] : open) {
      const uint64_t since = violation.since;
      if (since == UINT64_MAX) {
        continue;  // reported at an earlier checkpoint
      }
      problem_count_++;
      if (problems_.size() < kMaxProblemsKept) {
        const TracedList* info = resolver_.FindList(key);
        problems_.push_back(ReplayProblem{since, check_ == Check::kEveryEvent, index, key,
                                          info ? info->name : "", text, violation.kind,
                                          violation.offset, violation.has_offset});
      }
    }
    // Reported once: a violation that persists is not counted again at the next checkpoint.
    for (auto& [text, violation] : open) {
      violation.since = UINT64_MAX;
    }
  }
  std::sort(problems_.begin(), problems_.end(),
            [](const ReplayProblem& a, const ReplayProblem& b) {
              return a.event_index < b.event_index;
            });
}

void TraceReplay::Finish(uint64_t index) { JudgeCheckpoint(index); }

std::vector<SnapshotList> TraceReplay::Lists(bool registered_only) const {
  std::vector<SnapshotList> states;
  for (const auto& [key, object] : objects_) {
    const TracedList* info = resolver_.FindList(key);
    if (info == nullptr || (registered_only && !info->registered)) {
      continue;
    }
    // The recorded page pointers are another process's: never read through them.
    SnapshotList state = object->list ? Capture(*object->list) : Capture(*object->splice);
    // Addresses as the recording process had them, so that the state at an event reads like a
    // snapshot of that process (and compares line by line with a core file of it).
    state.address = info->address;
    for (SnapshotNode& node : state.nodes) {
      auto it = info->nodes.find(node.key);
      node.address = it != info->nodes.end() ? it->second : 0;
      if (it == info->nodes.end()) {
        state.problems.push_back(SnapshotProblem{
            info->address, fmt::format("the replay holds a node at key {:#x} that the trace never "
                                       "allocated there (the replay diverged)",
                                       node.key)});
      }
    }
    state.head.address = object->head_address;
    state.tail.address = object->tail_address;
    state.registry_id = info->registered ? info->registry_id : 0;
    state.name = info->name;
    states.push_back(std::move(state));
  }
  std::sort(states.begin(), states.end(), [](const SnapshotList& a, const SnapshotList& b) {
    return a.registry_id < b.registry_id;
  });
  return states;
}

}  // namespace vmpl::inspect
