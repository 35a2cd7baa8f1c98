// A snapshot list as its populated slots in VMO-offset order: the walk every view and the checker
// share, so that offsets, splice parts, interval ranges and counts mean the same everywhere
// (docs/snapshot-format.md, "Words").
//
// Offsets. Slot |i| of the node whose tree key is |k|, in a list with skew |s|, is at VMO offset
// k + i * PAGE_SIZE - s (modulo 2^64). A splice list's inline head and tail nodes stand for
// nodes of its range, as VmPageSpliceList places entries: the head for the node holding the
// range's offset, the tail for the node holding its end (the skew applied, rounded down to a
// node); their slots are at the offsets that gives them (docs/snapshot-format.md, "Choices").

#ifndef VMPL_MODEL_ENTRIES_H_
#define VMPL_MODEL_ENTRIES_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/model/slot.h>
#include <vmpl/model/snapshot.h>

#include <vector>

namespace vmpl {

// Which node of a list a slot lives in: a tree node (a page list's, or a splice list's middle),
// or a splice list's inline head or tail.
enum class NodePart { kTree, kHead, kTail };

// "middle" for a splice list's tree nodes, "head", "tail"; "tree" for a page list's nodes.
const char* NodePartName(NodePart part, SnapshotListKind kind);

// A node of a list in offset order, with the key its slots' offsets are computed from.
struct ListNode {
  const SnapshotNode* node = nullptr;
  NodePart part = NodePart::kTree;
  // The skewed offset of slot 0: the node's key; for a head or tail, the key of the node it
  // stands for (its own key, as memory holds it, is node->key).
  uint64_t base = 0;
  uint64_t skew = 0;
  // The VMO offsets of slot 0 (0 if the skew puts it before offset 0) and one past slot 15.
  uint64_t first_offset() const;
  uint64_t end_offset() const;
};

// One populated slot.
struct ListEntry {
  const ListNode* node = nullptr;  // points into the vector ListEntries was given
  size_t index = 0;                // slot index in its node, 0..15
  uint64_t offset = 0;             // VMO offset
  uint64_t raw = 0;
  // An interval sentinel's range [range_start, range_end), when its other sentinel is where it
  // must be (a Start followed by its End; a Slot covers one page).
  bool has_range = false;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
};

// The key of the node a splice list's inline head or tail stands for (|part| kHead or kTail):
// the node holding the range's offset, or its end, the skew applied.
uint64_t InlineNodeBase(const SnapshotList& list, NodePart part);

// The nodes of |list| in offset order (a splice list: head, middle nodes, tail).
std::vector<ListNode> ListNodes(const SnapshotList& list);

// The populated slots of |nodes| (from ListNodes(list)) in offset order, interval ranges linked.
std::vector<ListEntry> ListEntries(const SnapshotList& list, const std::vector<ListNode>& nodes);

// Counts of |list|'s entries, in the one vocabulary.
SlotCounts CountSlots(const SnapshotList& list);
// The same counts, of entries already walked (ListEntries).
SlotCounts CountSlots(const std::vector<ListEntry>& entries);

}  // namespace vmpl

#endif  // VMPL_MODEL_ENTRIES_H_
