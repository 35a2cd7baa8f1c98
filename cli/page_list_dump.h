// PageListDump: what a live VmPageList or VmPageSpliceList holds, node by node and slot by slot,
// as plain data that the text view (page_list_text.h) and the JSON view (page_list_json.h) render.
// Both views read only this model, so the text and the JSON of one run always agree.
//
// Building a dump reads the structures the way a debugger does, through vmpl::PageListAccess
// (the read-only friend of the page-list classes): the tree's nodes in key order, each node's 16
// slots and their raw encodings, and the splice list's head, middle and tail. Nothing is changed;
// an empty node (a violation of invariant 1) shows up as a node without slots. Every walk is
// bounded by the tree's count.
//
// Offsets: `offset` fields are VMO offsets (unskewed) as the kernel's dump prints them; `key` is
// the node's tree key, i.e. skewed.

#ifndef VMPL_CLI_PAGE_LIST_DUMP_H_
#define VMPL_CLI_PAGE_LIST_DUMP_H_

#include <stddef.h>
#include <stdint.h>
#include <vm/vm_page_list.h>

#include <functional>
#include <string>
#include <vector>

namespace vmpl::cli {

enum class SlotKind {
  kPage,
  kReference,
  kMarker,
  kIntervalStart,
  kIntervalEnd,
  kIntervalSlot,
};

// "page", "reference", "marker", "interval start", "interval end", "interval slot".
const char* SlotKindName(SlotKind kind);

// One populated slot.
struct SlotDump {
  size_t index = 0;     // slot index in its node, 0..15
  uint64_t offset = 0;  // VMO offset (unskewed)
  SlotKind kind = SlotKind::kMarker;
  uint64_t raw = 0;  // the slot's raw_ encoding (docs/semantics.md section 2.2)

  // kPage
  uintptr_t page = 0;  // vm_page_t address (differs between runs)
  uint64_t paddr = 0;
  // kPage and kReference
  uint64_t reference = 0;  // kReference: the ReferenceValue
  bool left_split = false;
  bool right_split = false;

  // Interval sentinels
  std::string interval_type;           // "zero"
  std::string dirty_state;             // "untracked", "clean" or "dirty"
  uint64_t awaiting_clean_length = 0;  // only on a Start or Slot
  // The range [interval_start, interval_end) the interval covers, when its other sentinel was
  // found where the invariants say it must be.
  bool interval_range_known = false;
  uint64_t interval_start = 0;
  uint64_t interval_end = 0;
};

struct NodeDump {
  uint64_t key = 0;           // tree key (skewed), a multiple of 64 KiB
  uint64_t first_offset = 0;  // VMO offset of slot 0 (unskewed; clamped at 0)
  uint64_t end_offset = 0;    // VMO offset one past slot 15 (unskewed)
  std::vector<SlotDump> slots;
};

struct ContentCounts {
  size_t pages = 0;
  size_t references = 0;
  size_t markers = 0;
  size_t intervals = 0;  // Start or Slot sentinels: one per interval
  size_t interval_sentinels = 0;
  size_t gaps = 0;  // splice lists only: positions that hold nothing

  void Count(const SlotDump& slot);
};

struct ListDump {
  std::string name;
  std::string role;  // one line saying what the list stands for in the demo
  uint64_t skew = 0;
  size_t nodes = 0;        // nodes in the tree (HeapAllocationBytes / sizeof(VmPageListNode))
  size_t empty_nodes = 0;  // nodes with no populated slot (invariant 1 broken)
  uint64_t heap_bytes = 0;
  ContentCounts counts;
  std::vector<NodeDump> node_dumps;
  std::vector<std::string> violations;  // vmpl::Validate, as Violation::ToString()
};

// One of the splice list's three parts (docs/semantics.md section 9.1).
struct SplicePartDump {
  std::string name;  // "head", "middle" or "tail"
  uint64_t start = 0;
  uint64_t end = 0;
  size_t positions = 0;  // pages of the range this part covers
  ContentCounts counts;
  std::vector<SlotDump> items;  // non-empty items, in Pop order
};

struct SpliceDump {
  std::string name;
  std::string role;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t skew = 0;
  uint64_t position = 0;  // Position() when dumped
  bool finalized = false;
  size_t middle_nodes = 0;  // nodes in the middle tree
  size_t raw_pages = 0;     // pages on the raw_pages_ list (CreateFromPageList only)
  ContentCounts counts;
  std::vector<SplicePartDump> parts;    // only the parts that cover at least one position
  std::vector<std::string> violations;  // vmpl::Validate

  // Filled by DrainSpliceList.
  bool drained = false;
  size_t popped = 0;
  bool processed_after_drain = false;
  std::vector<std::string> pop_mismatches;  // items Pop returned that differ from the dump
};

// Describes |list| without changing it, and validates it.
ListDump DumpPageList(const std::string& name, const std::string& role, const VmPageList& list);

// Describes |splice| without changing it, and validates it. |splice| must cover
// [offset, offset + length) (the TakePages arguments: the splice list does not expose its range).
// Positions are attributed to head, middle and tail by the rule Pop follows (docs/semantics.md
// section 9.1).
SpliceDump DumpSpliceList(const std::string& name, const std::string& role,
                          const VmPageSpliceList& splice, uint64_t offset, uint64_t length);

// Pops every item of |splice| (which must be finalized), checks that each is what |dump| said was
// at that position, records the result in |dump|, and hands every page or reference to |take|,
// which must take ownership (ReleasePage or ReleaseReference).
void DrainSpliceList(VmPageSpliceList& splice, SpliceDump& dump,
                     const std::function<void(VmPageOrMarker&&)>& take);

// Describes one slot (not Empty) at VMO offset |offset| in slot |index| of its node.
SlotDump DescribeSlot(const VmPageOrMarker& slot, uint64_t offset, size_t index);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_PAGE_LIST_DUMP_H_
