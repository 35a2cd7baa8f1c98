// TraceResolver: follows list, node and registry events to name the memory every event touches.
// See trace_resolver.h.

#include <vmpl/inspect/trace_resolver.h>

#include <string.h>

#include <algorithm>

#include <fmt/format.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_list_access.h>

namespace vmpl::inspect {

using trace::Event;
using trace::EventKind;
using trace::ListKind;

TraceLayout BuiltinTraceLayout() {
  TraceLayout layout;
  layout.pointer_size = sizeof(void*);
  layout.node_size = sizeof(VmPageListNode);
  layout.node_canary_offset = PageListAccess::kNodeCanaryOffset;
  layout.node_offset_offset = PageListAccess::kNodeOffsetOffset;
  layout.page_size = PAGE_SIZE;
  layout.list_size = sizeof(VmPageList);
  layout.splice_size = sizeof(VmPageSpliceList);
  layout.node_slots_offset = PageListAccess::kNodeSlotsOffset;
  layout.slot_size = sizeof(VmPageOrMarker);
  layout.fanout = VmPageListNode::kPageFanOut;
  layout.splice_head_offset = PageListAccess::kSpliceHeadOffset;
  layout.splice_tail_offset = PageListAccess::kSpliceTailOffset;
  return layout;
}

TraceResolver::TraceResolver(const TraceLayout& layout) : layout_(layout) {
  // A layout from a file is untrusted: keep the arithmetic below meaningful.
  layout_.slot_size = std::max<uint64_t>(layout_.slot_size, 1);
  layout_.fanout = std::clamp<uint64_t>(layout_.fanout, 1, 4096);
}

const TracedList* TraceResolver::FindList(uint64_t key) const {
  auto it = lists_.find(key);
  return it == lists_.end() ? nullptr : &it->second;
}

TracedList* TraceResolver::FindListMutable(uint64_t key) {
  auto it = lists_.find(key);
  return it == lists_.end() ? nullptr : &it->second;
}

const TracedList* TraceResolver::ListAt(uint64_t address) const {
  auto it = list_at_.find(address);
  return it == list_at_.end() ? nullptr : FindList(it->second);
}

TracedList* TraceResolver::LiveListAt(uint64_t address) {
  auto it = list_at_.find(address);
  return it == list_at_.end() ? nullptr : FindListMutable(it->second);
}

const TracedList* TraceResolver::ListWithRegistryId(uint64_t registry_id) const {
  auto it = key_of_registry_id_.find(registry_id);
  return it == key_of_registry_id_.end() ? nullptr : FindList(it->second);
}

TracedList& TraceResolver::ListForAddress(uint64_t address, ListKind kind) {
  if (TracedList* live = LiveListAt(address)) {
    return *live;
  }
  // First sight of an object the stream never constructed (a trace that began late without a
  // snapshot, or bounded state that overflowed): track it from here on.
  const uint64_t key = next_key_++;
  TracedList& list = lists_[key];
  list.key = key;
  list.address = address;
  list.kind = kind;
  list.alive = true;
  if (lists_.size() <= kMaxLists) {
    list_at_[address] = key;
  }
  return list;
}

void TraceResolver::AddNode(uint64_t list_key, uint64_t node_address, uint64_t offset,
                            int32_t inline_node) {
  if (nodes_.size() >= kMaxNodes) {
    return;
  }
  nodes_[node_address] = NodeInfo{list_key, offset, inline_node};
  if (cached_node_address_ == node_address) {
    cached_node_ = nodes_[node_address];
  }
  if (inline_node == 0) {
    if (TracedList* list = FindListMutable(list_key)) {
      list->nodes[offset] = node_address;
    }
  }
}

void TraceResolver::RemoveNode(uint64_t node_address) {
  auto it = nodes_.find(node_address);
  if (it == nodes_.end()) {
    return;
  }
  if (it->second.inline_node == 0) {
    if (TracedList* list = FindListMutable(it->second.list_key)) {
      auto owned = list->nodes.find(it->second.offset);
      if (owned != list->nodes.end() && owned->second == node_address) {
        list->nodes.erase(owned);
      }
    }
  }
  nodes_.erase(it);
  if (cached_node_address_ == node_address) {
    cached_node_address_ = 0;
  }
}

void TraceResolver::MapInlineNodes(const TracedList& list) {
  AddNode(list.key, list.address + layout_.splice_head_offset, 0, 1);
  AddNode(list.key, list.address + layout_.splice_tail_offset, 0, 2);
}

void TraceResolver::UnmapInlineNodes(uint64_t splice_address) {
  RemoveNode(splice_address + layout_.splice_head_offset);
  RemoveNode(splice_address + layout_.splice_tail_offset);
}

void TraceResolver::Inconsistent(const Event& event, const char* what) {
  if (inconsistencies_++ == 0) {
    first_inconsistency_ = fmt::format("event {} ({} of 0x{:x}): {}", events_ - 1,
                                       trace::EventKindName(event.kind), event.object, what);
  }
}

SlotRef TraceResolver::ResolveSlot(uint64_t slot_address) const {
  SlotRef ref;
  const uint64_t slots_bytes = layout_.fanout * layout_.slot_size;
  auto locate = [&](uint64_t node_address, const NodeInfo& info) {
    const uint64_t first = node_address + layout_.node_slots_offset;
    if (slot_address < first || slot_address - first >= slots_bytes ||
        (slot_address - first) % layout_.slot_size != 0) {
      return false;
    }
    ref.list_key = info.list_key;
    ref.node_address = node_address;
    ref.node_offset = static_cast<int64_t>(info.offset);
    ref.index = static_cast<int32_t>((slot_address - first) / layout_.slot_size);
    ref.inline_node = info.inline_node;
    return true;
  };
  if (cached_node_address_ != 0 && locate(cached_node_address_, cached_node_)) {
    return ref;
  }
  auto it = nodes_.upper_bound(slot_address);
  if (it == nodes_.begin()) {
    return ref;
  }
  --it;
  if (locate(it->first, it->second)) {
    // The cache is a hint only; mutable through a const method by design.
    auto* self = const_cast<TraceResolver*>(this);
    self->cached_node_address_ = it->first;
    self->cached_node_ = it->second;
  }
  return ref;
}

Resolution TraceResolver::Apply(const Event& event) {
  events_++;
  Resolution out;
  const uint64_t object = event.object;
  switch (event.kind) {
    case EventKind::kSlotStore: {
      out.slot = ResolveSlot(object);
      if (event.arg[2] != 0) {
        out.moved_from = ResolveSlot(event.arg[2]);
      }
      if (out.slot.valid()) {
        out.list_key = out.slot.list_key;
        if (out.moved_from.valid() && out.moved_from.list_key != out.list_key) {
          out.other_list_key = out.moved_from.list_key;
        }
      } else if (out.moved_from.valid()) {
        out.list_key = out.moved_from.list_key;
      } else {
        unattributed_stores_++;
      }
      break;
    }
    case EventKind::kNodeAlloc: {
      TracedList& list = ListForAddress(object, ListKind::kPageList);
      out.list_key = list.key;
      if (nodes_.count(event.arg[0]) != 0) {
        Inconsistent(event, "node allocated over a node that was never freed");
        RemoveNode(event.arg[0]);
      }
      AddNode(list.key, event.arg[0], event.arg[1], 0);
      break;
    }
    case EventKind::kNodeFree: {
      auto it = nodes_.find(event.arg[0]);
      const TracedList* owner = ListAt(object);
      out.list_key = owner != nullptr ? owner->key : 0;
      if (it == nodes_.end()) {
        Inconsistent(event, "free of a node the trace never allocated");
      } else if (owner == nullptr || it->second.list_key != owner->key) {
        Inconsistent(event, "free of a node owned by another list");
        out.list_key = it->second.list_key;
      }
      RemoveNode(event.arg[0]);
      break;
    }
    case EventKind::kNodeTransfer: {
      TracedList& to = ListForAddress(object, ListKind::kPageList);
      out.list_key = to.key;
      if (const TracedList* from = ListAt(event.arg[2])) {
        out.other_list_key = from->key;
      }
      if (nodes_.count(event.arg[0]) == 0) {
        Inconsistent(event, "transfer of a node the trace never allocated");
      }
      RemoveNode(event.arg[0]);
      AddNode(to.key, event.arg[0], event.arg[1], 0);
      break;
    }
    case EventKind::kSkewSet: {
      TracedList& list = ListForAddress(object, ListKind::kPageList);
      list.skew = event.arg[0];
      out.list_key = list.key;
      break;
    }
    case EventKind::kListCreate: {
      if (TracedList* stale = LiveListAt(object)) {
        Inconsistent(event, "list created where a live list was never destroyed");
        stale->alive = false;
        stale->address = 0;
        list_at_.erase(object);
      }
      const ListKind kind =
          event.arg[0] == static_cast<uint64_t>(ListKind::kSpliceList) ? ListKind::kSpliceList
                                                                       : ListKind::kPageList;
      TracedList& list = ListForAddress(object, kind);
      list.kind = kind;
      if (kind == ListKind::kSpliceList) {
        list.splice_offset = event.arg[1];
        list.splice_length = event.arg[2];
        list.skew = event.arg[3];
        MapInlineNodes(list);
      }
      out.list_key = list.key;
      break;
    }
    case EventKind::kListDestroy: {
      TracedList* list = LiveListAt(object);
      if (list == nullptr) {
        Inconsistent(event, "destroy of a list the trace never created");
        break;
      }
      out.list_key = list->key;
      if (!list->nodes.empty()) {
        Inconsistent(event, "list destroyed while it still owned nodes");
        for (const auto& [offset, node] : std::map<uint64_t, uint64_t>(list->nodes)) {
          RemoveNode(node);
        }
      }
      if (list->kind == ListKind::kSpliceList) {
        UnmapInlineNodes(object);
      }
      list->alive = false;
      list->address = 0;
      list_at_.erase(object);
      break;
    }
    case EventKind::kListMove: {
      TracedList& to = ListForAddress(object, ListKind::kPageList);
      out.list_key = to.key;
      TracedList* from = LiveListAt(event.arg[0]);
      if (from == nullptr) {
        Inconsistent(event, "move from a list the trace does not know");
        break;
      }
      out.other_list_key = from->key;
      const std::map<uint64_t, uint64_t> moved = from->nodes;
      for (const auto& [offset, node] : moved) {
        RemoveNode(node);
        AddNode(to.key, node, offset, 0);
      }
      to.skew = from->skew;
      from->skew = 0;
      if (to.kind == ListKind::kSpliceList) {
        to.splice_offset = from->splice_offset;
        to.splice_length = from->splice_length;
        to.splice_position = from->splice_position;
        to.splice_finalized = from->splice_finalized;
        from->splice_offset = from->splice_length = from->splice_position = 0;
        from->splice_finalized = false;
      }
      break;
    }
    case EventKind::kInlineNodeOffset: {
      if (TracedList* list = LiveListAt(object)) {
        out.list_key = list->key;
        auto it = nodes_.find(event.arg[0]);
        if (it != nodes_.end() && it->second.inline_node != 0) {
          it->second.offset = event.arg[1];
          if (cached_node_address_ == event.arg[0]) {
            cached_node_ = it->second;
          }
        } else {
          Inconsistent(event, "offset for an address that is not an inline node");
        }
      }
      break;
    }
    case EventKind::kRegister: {
      const ListKind kind = event.arg[2] == static_cast<uint64_t>(ListKind::kSpliceList)
                                ? ListKind::kSpliceList
                                : ListKind::kPageList;
      TracedList& list = ListForAddress(event.arg[1], kind);
      list.registry_id = event.arg[0];
      list.registered = true;
      list.name.clear();
      key_of_registry_id_[event.arg[0]] = list.key;
      out.list_key = list.key;
      break;
    }
    case EventKind::kUnregister: {
      auto it = key_of_registry_id_.find(event.arg[0]);
      if (it == key_of_registry_id_.end()) {
        Inconsistent(event, "unregister of an id that is not registered");
        break;
      }
      out.list_key = it->second;
      if (TracedList* list = FindListMutable(it->second)) {
        list->registered = false;
      }
      key_of_registry_id_.erase(it);
      break;
    }
    case EventKind::kSetAddress: {
      auto it = key_of_registry_id_.find(event.arg[0]);
      if (it == key_of_registry_id_.end()) {
        Inconsistent(event, "set-address of an id that is not registered");
        break;
      }
      TracedList* old_list = FindListMutable(it->second);
      TracedList& new_list = ListForAddress(event.arg[1], old_list != nullptr
                                                              ? old_list->kind
                                                              : ListKind::kPageList);
      if (old_list != nullptr && old_list->key != new_list.key) {
        new_list.registry_id = old_list->registry_id;
        new_list.name = old_list->name;
        old_list->registered = false;
      }
      new_list.registered = true;
      it->second = new_list.key;
      out.list_key = new_list.key;
      break;
    }
    case EventKind::kName: {
      auto it = key_of_registry_id_.find(object);
      TracedList* list = it == key_of_registry_id_.end() ? nullptr : FindListMutable(it->second);
      if (list == nullptr) {
        Inconsistent(event, "name for an id that is not registered");
        break;
      }
      out.list_key = list->key;
      if (event.aux == 0) {
        list->name.clear();
      }
      if (event.aux != list->name.size() || list->name.size() >= 4096) {
        Inconsistent(event, "name chunk out of order");
        break;
      }
      char chunk[sizeof(event.arg)];
      memcpy(chunk, event.arg, sizeof(chunk));
      list->name.append(chunk, strnlen(chunk, sizeof(chunk)));
      break;
    }
    case EventKind::kSplicePosition: {
      TracedList& list = ListForAddress(object, ListKind::kSpliceList);
      list.splice_position = event.arg[0];
      out.list_key = list.key;
      break;
    }
    case EventKind::kSpliceFinalize: {
      TracedList& list = ListForAddress(object, ListKind::kSpliceList);
      list.splice_finalized = true;
      list.splice_position = 0;
      out.list_key = list.key;
      break;
    }
    case EventKind::kOpBegin:
    case EventKind::kOpEnd:
    case EventKind::kIntervalAdd:
    case EventKind::kIntervalSplit:
    case EventKind::kIntervalClip:
    case EventKind::kIntervalMerge:
    case EventKind::kIntervalReplace: {
      if (const TracedList* list = ListAt(object)) {
        out.list_key = list->key;
      }
      if (event.kind == EventKind::kOpBegin && event.arg[2] != 0) {
        if (const TracedList* other = ListAt(event.arg[2])) {
          out.other_list_key = other->key;
        }
      }
      break;
    }
    case EventKind::kListTracing: {
      TracedList& list = ListForAddress(object, ListKind::kPageList);
      list.traced = event.arg[0] != 0;
      out.list_key = list.key;
      break;
    }
    case EventKind::kSnapshotBegin:
    case EventKind::kSnapshotEnd:
    case EventKind::kCheckpoint:
      break;
    case EventKind::kInvalid:
    case EventKind::kKindCount:
    default:
      Inconsistent(event, "unknown event kind");
      break;
  }
  if (out.list_key != 0) {
    if (const TracedList* list = FindList(out.list_key); list != nullptr && !list->traced &&
                                                         event.kind != EventKind::kListTracing) {
      out.dropped = true;
    }
  }
  return out;
}

}  // namespace vmpl::inspect
