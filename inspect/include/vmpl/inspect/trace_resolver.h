// vmpl::inspect::TraceResolver: turns the addresses in a stream of trace events into lists,
// nodes and slots.
//
// Why. The hooks name memory, not lists (a slot store only knows the slot's address; see
// <vmpl/trace_event.h>). Following the stream in order — list creations and moves, registrations,
// node allocations, transfers and frees — the resolver knows at every event which list owns which
// node, so it can say that a store to 0x7f..a8 is "slot 5 of the node at offset 0x40000 of list 17
// 'vmo:3'". Everything that reads a trace (replay, report, export, the TUI) consumes events through
// it, in order, exactly once each.
//
// Lists are keyed by a trace-wide key, 1, 2, 3... in the order the stream first names them (a
// constructor, a registration, or an event of an object never seen before). The key of a list
// never changes; its registry id and name are recorded beside it when the registry reports them
// (registration usually follows construction by a few events). A move constructor makes a new
// list: the registry's SetAddress then carries the registration (id and name) over to it.
//
// Untrusted input: events may come from a damaged file or a hostile process. The resolver bounds
// its state (kMaxLists, kMaxNodes), never dereferences an address, and counts what it cannot make
// sense of instead of failing.

#ifndef VMPL_INSPECT_TRACE_RESOLVER_H_
#define VMPL_INSPECT_TRACE_RESOLVER_H_

#include <stddef.h>
#include <stdint.h>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <vmpl/inspect/trace_file.h>
#include <vmpl/trace_event.h>

namespace vmpl::inspect {

// Where slots sit inside the objects the resolver tracks: the layout a trace file's INFO carries
// (vmpl::trace::TraceLayout, trace_file.h). BuiltinTraceLayout() gives this build's.
using trace::TraceLayout;
TraceLayout BuiltinTraceLayout();

// What the trace has said about one list so far.
struct TracedList {
  uint64_t key = 0;          // 1, 2, 3... in order of first sight
  uint64_t registry_id = 0;  // the registry id it has or last had; 0 if never registered
  bool registered = false;   // registered now
  uint64_t address = 0;      // where the object lives now (0 once destroyed)
  trace::ListKind kind = trace::ListKind::kPageList;
  std::string name;          // registry name ("" if none)
  bool alive = false;        // between kListCreate (or first sight) and kListDestroy
  bool traced = true;        // kListTracing; readers drop the events of a list while false
  uint64_t skew = 0;
  // Splice lists only.
  uint64_t splice_offset = 0;
  uint64_t splice_length = 0;
  uint64_t splice_position = 0;
  bool splice_finalized = false;
  // Nodes currently owned: node offset -> node address (inline head/tail not included).
  std::map<uint64_t, uint64_t> nodes;
};

// A slot as the trace names it.
struct SlotRef {
  uint64_t list_key = 0;
  uint64_t node_address = 0;  // the recorded address of the node
  int64_t node_offset = -1;   // -1: not a slot of any known node
  int32_t index = -1;        // 0..fanout-1
  int32_t inline_node = 0;   // 0 = tree node, 1 = splice head, 2 = splice tail
  bool valid() const { return node_offset >= 0; }
};

// What one event was about, after the resolver applied it.
struct Resolution {
  // The list the event belongs to; 0 when it belongs to none (a store into a temporary, an event
  // of an unknown object).
  uint64_t list_key = 0;
  // Moves: where the value or node came from (slot stores with a moved-from slot, node transfers,
  // list moves; MergeFrom/MergeOnto/TakePages op-begins name the other list here too).
  uint64_t other_list_key = 0;
  SlotRef slot;       // kSlotStore: the slot written
  SlotRef moved_from; // kSlotStore: the slot cleared by the move, if it is a slot
  bool dropped = false;  // the list's tracing is off (kListTracing): consumers skip it
};

class TraceResolver {
 public:
  static constexpr size_t kMaxLists = 1u << 20;
  static constexpr size_t kMaxNodes = 1u << 24;

  explicit TraceResolver(const TraceLayout& layout = BuiltinTraceLayout());

  // Applies |event| and says what it touched. Call once per event, in stream order (snapshot
  // records first, then events).
  Resolution Apply(const trace::Event& event);

  // Every list seen so far, including destroyed ones, by key.
  const std::unordered_map<uint64_t, TracedList>& lists() const { return lists_; }
  const TracedList* FindList(uint64_t key) const;
  // The list living at |address| now, or null.
  const TracedList* ListAt(uint64_t address) const;
  // The list registered now under |registry_id|, or null.
  const TracedList* ListWithRegistryId(uint64_t registry_id) const;
  // Resolves a slot address without changing anything.
  SlotRef ResolveSlot(uint64_t slot_address) const;

  // Counts of events the resolver could not attribute or that contradicted what it knew
  // (a free of an unknown node, an allocation over a live node, a move from an unknown list...).
  uint64_t unattributed_stores() const { return unattributed_stores_; }
  uint64_t inconsistencies() const { return inconsistencies_; }
  // The first inconsistency, described ("event 1234: node-free of unknown node 0x..."), or "".
  const std::string& first_inconsistency() const { return first_inconsistency_; }

  const TraceLayout& layout() const { return layout_; }

 private:
  struct NodeInfo {
    uint64_t list_key;
    uint64_t offset;
    int32_t inline_node;  // 0 tree node, 1 head, 2 tail
  };

  TracedList& ListForAddress(uint64_t address, trace::ListKind kind);
  TracedList* LiveListAt(uint64_t address);
  TracedList* FindListMutable(uint64_t key);
  void AddNode(uint64_t list_key, uint64_t node_address, uint64_t offset, int32_t inline_node);
  void RemoveNode(uint64_t node_address);
  void MapInlineNodes(const TracedList& list);
  void UnmapInlineNodes(uint64_t splice_address);
  void Inconsistent(const trace::Event& event, const char* what);

  TraceLayout layout_;
  std::unordered_map<uint64_t, TracedList> lists_;
  std::unordered_map<uint64_t, uint64_t> list_at_;  // address -> key of the live list there
  std::map<uint64_t, NodeInfo> nodes_;              // node address -> owner
  std::unordered_map<uint64_t, uint64_t> key_of_registry_id_;  // live registrations
  uint64_t next_key_ = 1;
  uint64_t events_ = 0;
  uint64_t unattributed_stores_ = 0;
  uint64_t inconsistencies_ = 0;
  std::string first_inconsistency_;
  // The node the last slot store resolved to: stores come in runs on one node.
  uint64_t cached_node_address_ = 0;
  NodeInfo cached_node_{};
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TRACE_RESOLVER_H_
