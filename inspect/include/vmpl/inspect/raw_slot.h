// A slot's raw encoding (VmPageOrMarker::raw_, docs/semantics.md section 2.2) decoded from the
// value alone: what a reader of another process's memory can say without following the page
// pointer.
//
// Two forms: DescribeRawSlot, one line of text for the CLI, and DecodeRawSlot, the fields one by
// one. The fields are those of the shared test vectors (tests/vectors/slots.json), which the gdb
// package's decoder (gdb/vmpl/decode.py) is checked against as well, so that every reader of a
// slot agrees on what it holds. Both forms accept any 64-bit value: a corrupted list can hold
// sentinel or dirty-state codes no page list writes, and those decode as kInvalid.

#ifndef VMPL_INSPECT_RAW_SLOT_H_
#define VMPL_INSPECT_RAW_SLOT_H_

#include <stdint.h>

#include <string>
#include <string_view>

namespace vmpl::inspect {

// "empty", "page 0x...", "marker", "reference 0x... L R", "interval start dirty awaiting-clean
// 0x3000"...
std::string DescribeRawSlot(uint64_t raw);

// What a slot holds, from its two type bits (raw 0 is Empty, not a page).
enum class SlotKind { kEmpty, kPage, kMarker, kReference, kInterval };

// Bits 2..3 of an interval sentinel (VmPageOrMarker::IntervalSentinel); 3 is never written.
enum class SlotSentinel { kSlot, kStart, kEnd, kInvalid };

// Bits 6..7 of an interval sentinel (VmPageOrMarker::IntervalDirtyState); 3 is never written
// (awaiting clean is a length, not a state).
enum class SlotDirtyState { kUntracked, kClean, kDirty, kInvalid };

// The fields of one raw value. Only the fields of |kind| are meaningful; the others stay zero.
struct DecodedSlot {
  SlotKind kind = SlotKind::kEmpty;
  // kPage: the vm_page_t address (the raw value itself).
  uint64_t page = 0;
  // kReference: the reference value (raw with its low 4 bits clear) and the split bits.
  uint64_t reference = 0;
  bool left_split = false;
  bool right_split = false;
  // kInterval: which sentinel, its dirty state, and the awaiting-clean length in bytes (bits
  // 12..63; meaningful on a start or slot sentinel, decoded whatever the sentinel).
  SlotSentinel sentinel = SlotSentinel::kSlot;
  SlotDirtyState dirty = SlotDirtyState::kUntracked;
  uint64_t awaiting_clean = 0;
};

DecodedSlot DecodeRawSlot(uint64_t raw);

// The names the test vectors use: "empty", "page", "marker", "reference", "interval"; "slot",
// "start", "end", "invalid"; "untracked", "clean", "dirty", "invalid".
std::string_view SlotKindName(SlotKind kind);
std::string_view SlotSentinelName(SlotSentinel sentinel);
std::string_view SlotDirtyStateName(SlotDirtyState dirty);

// Counts by kind (an interval counts each of its sentinels).
struct RawSlotCounts {
  uint64_t pages = 0;
  uint64_t references = 0;
  uint64_t markers = 0;
  uint64_t interval_sentinels = 0;
  uint64_t intervals = 0;  // interval starts and single-slot sentinels: one per interval
  void Add(uint64_t raw);
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_RAW_SLOT_H_
