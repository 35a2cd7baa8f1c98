// vmpl::trace::Event: one recorded mutation of a page list, as the hooks emit it, the shared ring
// carries it and a trace file stores it.
//
// What an event says. Every change to the memory of a page list, a splice list or one of their
// nodes is one event, small enough (56 bytes, fixed size) to be written on every slot store. The
// hooks sit in VmPageOrMarker itself, because the kernel's callers write slots through the raw
// `VmPageOrMarker*` that LookupOrAllocate returns: the only place that sees every store is the
// slot. A slot does not know which list it belongs to, so events name memory by address (the
// slot's, the node's, the list object's) and a reader turns addresses into lists by following
// the node and list events that precede them (inspect's TraceResolver). Stores into objects that
// are not in any node (temporaries on the stack) resolve to nothing and are ignored.
//
// Structural events (the ones replay needs) say exactly what memory changed; operation events
// (kOpBegin/kOpEnd and the interval markers) say why, for reports, exports and for choosing the
// points where an invariant check is meaningful (between operations, not in the middle of one).
//
// The numbering and the meaning of the fields are part of the trace format (docs/trace-format.md):
// add kinds at the end, never renumber.

#ifndef VMPL_TRACE_EVENT_H_
#define VMPL_TRACE_EVENT_H_

#include <stddef.h>
#include <stdint.h>

namespace vmpl::trace {

enum class EventKind : uint16_t {
  kInvalid = 0,
  // A slot's raw value changed. object = the slot's address, arg[0] = old raw, arg[1] = new raw,
  // arg[2] = the address of the slot the value was moved out of (cleared to raw 0 by the move),
  // or 0 when nothing was moved. A move into a temporary has a slot as arg[2] and a non-slot
  // object.
  kSlotStore = 1,
  // A node was allocated and inserted into a list's tree (or a splice list's middle tree).
  // object = the owner (VmPageList or VmPageSpliceList) address, arg[0] = node address,
  // arg[1] = node offset (obj_offset_). Its slots are all empty.
  kNodeAlloc = 2,
  // A node was removed from its owner and freed. object = owner, arg[0] = node, arg[1] = offset.
  kNodeFree = 3,
  // A node left one owner's tree for another's without being freed.
  // object = new owner, arg[0] = node, arg[1] = offset, arg[2] = old owner.
  kNodeTransfer = 4,
  // A list's skew was set. object = list, arg[0] = skew in bytes.
  kSkewSet = 5,
  // A VmPageList or VmPageSpliceList was constructed. object = its address, arg[0] = ListKind.
  // For a splice list arg[1] = offset, arg[2] = length, arg[3] = skew; its inline head and tail
  // nodes (at the layout's splice_head_offset / splice_tail_offset) exist from now on, with
  // offsets given by kInlineNodeOffset events.
  kListCreate = 6,
  // A list object was destroyed (it is empty by then). object = its address.
  kListDestroy = 7,
  // A move constructor or assignment moved the content (tree, skew; for a splice list also the
  // head/tail contents, position and state) from arg[0] to object. The nodes of the tree change
  // owner; the moved-from object is left empty. Slot moves of inline nodes arrive as kSlotStore.
  kListMove = 8,
  // An inline node (a splice list's head or tail) got an offset. object = splice list,
  // arg[0] = node address, arg[1] = offset. This core never emits it (its inline nodes keep
  // offset 0, which kListCreate implies); a reader applies it if present.
  kInlineNodeOffset = 9,
  // Registry: list object at arg[1] got id arg[0], kind arg[2]; its name follows in kName events.
  kRegister = 10,
  // Registry: id arg[0] was unregistered.
  kUnregister = 11,
  // Registry: id arg[0] now lives at address arg[1].
  kSetAddress = 12,
  // Registry: a chunk of the name of id object. aux = byte offset of the chunk in the name,
  // arg[0..3] = up to 32 bytes of name (NUL padded). A Rename sends its chunks again from 0.
  kName = 13,
  // Splice list state. object = splice list, arg[0] = new position (pos_).
  kSplicePosition = 14,
  // Splice list finalized. object = splice list.
  kSpliceFinalize = 15,
  // An operation began / ended. object = list, aux = OpKind; for a begin arg[0] = offset,
  // arg[1] = end or length (per OpKind), arg[2] = the other list (MergeFrom, MergeOnto,
  // TakePages) or 0; an end has no arguments.
  kOpBegin = 16,
  kOpEnd = 17,
  // Interval markers, inside an operation. object = list, arg[0] = offset, arg[1] = other offset.
  kIntervalAdd = 18,      // arg[0] start, arg[1] end (inclusive) of the range added
  //                         (before any merge with its neighbours)
  kIntervalSplit = 19,    // arg[0] the offset that was split out of an interval
  kIntervalClip = 20,     // arg[0] old start/end, arg[1] new start/end; aux 0 = start, 1 = end
  kIntervalMerge = 21,    // the added range (arg[0], arg[1]) merged with the interval on its
  //                         left (aux bit 0) and/or right (aux bit 1)
  kIntervalReplace = 22,  // arg[0] the page offset that became a zero interval
  // A snapshot taken for a reader that attached late: kSnapshotBegin, then ListCreate / Register /
  // Name / SkewSet / NodeAlloc / SlotStore(old 0) events that build the state from nothing, then
  // kSnapshotEnd. arg[0] = number of lists.
  kSnapshotBegin = 23,
  kSnapshotEnd = 24,
  // Tracing of one list was switched on (arg[0] = 1) or off (0) by vmpl::trace::SetListTracing.
  // object = list. Readers drop the events of a list while it is off (stores to a slot cannot be
  // filtered where they happen: a slot does not know its list).
  kListTracing = 25,
  // The mutating code says every list is consistent here (vmpl::trace::Checkpoint; the simulator
  // calls it between steps). `vmpl trace replay --check` judges invariants at these points: a
  // state in the middle of an operation may legitimately break them (a node LookupOrAllocate just
  // allocated is empty until the caller stores into it). object = 0, arg[0] = caller's counter.
  kCheckpoint = 26,
  kKindCount = 27,
};

enum class ListKind : uint64_t { kPageList = 1, kSpliceList = 2 };

enum class OpKind : uint32_t {
  kNone = 0,
  kLookupOrAllocate = 1,
  kReturnEmptySlot = 2,
  kRemovePages = 3,
  kRemoveAllContent = 4,
  kMergeFrom = 5,
  kMergeOnto = 6,
  kTakePages = 7,
  kAddZeroInterval = 8,
  kPopulateSlotsInInterval = 9,
  kReturnIntervalSlot = 10,
  kClipIntervalStart = 11,
  kClipIntervalEnd = 12,
  kReplacePageWithZeroInterval = 13,
  kOverwriteZeroInterval = 14,
  kSpliceAppend = 15,
  kSplicePop = 16,
  kSpliceFinalize = 17,
  kInitializeSkew = 18,
  kOpKindCount = 19,
};

// The payload of one event: 56 bytes, naturally aligned, no padding. The ring adds an 8-byte
// commit word (producer index, position, state) in front; a trace file stores the same 56 bytes
// after a 8-byte word of its own (docs/trace-format.md).
struct Event {
  uint64_t timestamp;  // clock ticks (the ring's / file's clock description converts to ns)
  uint64_t object;     // address of the slot, list or splice list the event is about
  EventKind kind;
  uint16_t cpu;        // CPU the producer ran on (sched_getcpu), 0xffff if unknown
  uint32_t aux;        // per kind (OpKind, name offset, clip side)
  uint64_t arg[4];
};
static_assert(sizeof(Event) == 56);
static_assert(offsetof(Event, timestamp) == 0);
static_assert(offsetof(Event, object) == 8);
static_assert(offsetof(Event, kind) == 16);
static_assert(offsetof(Event, cpu) == 18);
static_assert(offsetof(Event, aux) == 20);
static_assert(offsetof(Event, arg) == 24);

// The event a trace hook writes: stamped with |timestamp| on |cpu| by whoever writes it (the
// userspace hooks, core/src/trace.cc, or the kernel's, kernel/platform/trace.cc).
inline Event MakeEvent(uint64_t timestamp, uint16_t cpu, EventKind kind, const void* object,
                       uint32_t aux, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  return Event{timestamp, reinterpret_cast<uintptr_t>(object), kind, cpu, aux, {a0, a1, a2, a3}};
}

// Short stable names ("slot-store", "node-alloc", ...), used by reports, exports and JSON.
const char* EventKindName(EventKind kind);
const char* OpKindName(OpKind op);

}  // namespace vmpl::trace

#endif  // VMPL_TRACE_EVENT_H_
