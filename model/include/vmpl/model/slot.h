// The one decoder of a slot's raw value (VmPageOrMarker::raw_, docs/semantics.md), for every
// reader of a page list in C++: the inspector, the checker, the views, the TUI, trace reports.
// (The gdb package's decoder, gdb/vmpl/decode.py, is held to the same vectors,
// tests/vectors/slots.json.)
//
// It decodes from the value alone, what a reader of another process's memory can say without
// following the page pointer, and accepts any 64-bit value: a corrupted list can hold sentinel
// or dirty-state codes no page list writes; those decode as kInvalid, and EncodingProblems says
// what is wrong with them.
//
// The encoding, LSB first:
//   type:2 | (page)      the vm_page_t address (8-aligned, so type 0)
//          | (marker)    nothing: the value is 1
//          | (reference) right_split:1 left_split:1 value:60 (value: raw with bits 0..3 clear)
//          | (interval)  sentinel:2 interval_type:2 dirty_state:2 unused:4 awaiting_clean:52
//                        (awaiting_clean: a byte length, page aligned, so raw bits 12..63)
// Empty is the value 0 (type page, no address).

#ifndef VMPL_MODEL_SLOT_H_
#define VMPL_MODEL_SLOT_H_

#include <stdint.h>

#include <string>
#include <string_view>
#include <vector>

namespace vmpl {

// What a slot holds, from its two type bits (raw 0 is Empty, not a page).
enum class SlotKind { kEmpty, kPage, kMarker, kReference, kInterval };

// Bits 2..3 of an interval sentinel (VmPageOrMarker::IntervalSentinel); 3 is never written.
enum class SlotSentinel { kSlot, kStart, kEnd, kInvalid };

// Bits 6..7 of an interval sentinel (VmPageOrMarker::IntervalDirtyState); 3 is never written
// (awaiting clean is a length, not a state).
enum class SlotDirtyState { kUntracked, kClean, kDirty, kInvalid };

namespace slot_bits {
// The encoding's fields, each shift derived from the field before it.
inline constexpr uint64_t kTypeMask = 0x3;
inline constexpr uint64_t kTypePage = 0, kTypeMarker = 1, kTypeReference = 2, kTypeInterval = 3;
inline constexpr int kReferenceRightShift = 2;
inline constexpr int kReferenceLeftShift = kReferenceRightShift + 1;
inline constexpr uint64_t kReferenceValueMask = ~uint64_t{0xf};
inline constexpr int kSentinelShift = 2;
inline constexpr int kIntervalTypeShift = kSentinelShift + 2;
inline constexpr int kDirtyShift = kIntervalTypeShift + 2;
inline constexpr int kUnusedShift = kDirtyShift + 2;
inline constexpr int kAwaitingCleanShift = kUnusedShift + 4;
inline constexpr uint64_t kUnusedMask = uint64_t{0xf} << kUnusedShift;
inline constexpr uint64_t kAwaitingCleanMask = ~((uint64_t{1} << kAwaitingCleanShift) - 1);
static_assert(kAwaitingCleanShift == 12, "the awaiting-clean length is a page-aligned byte count");
}  // namespace slot_bits

// The fields of one raw value. Only the fields of |kind| are meaningful; the others stay zero.
struct DecodedSlot {
  SlotKind kind = SlotKind::kEmpty;
  uint64_t raw = 0;
  // kPage: the vm_page_t address (the raw value itself).
  uint64_t page = 0;
  // kReference: the reference value (raw with its low 4 bits clear) and the split bits.
  uint64_t reference = 0;
  bool left_split = false;
  bool right_split = false;
  // kInterval: which sentinel, its dirty state, the interval type (0: zero, the only one), and
  // the awaiting-clean length in bytes (meaningful on a Start or Slot; decoded on any sentinel).
  SlotSentinel sentinel = SlotSentinel::kSlot;
  SlotDirtyState dirty = SlotDirtyState::kUntracked;
  uint8_t interval_type = 0;
  uint64_t awaiting_clean = 0;

  bool IsIntervalStart() const {
    return kind == SlotKind::kInterval && sentinel == SlotSentinel::kStart;
  }
  bool IsIntervalEnd() const {
    return kind == SlotKind::kInterval && sentinel == SlotSentinel::kEnd;
  }
  bool IsIntervalSlot() const {
    return kind == SlotKind::kInterval && sentinel == SlotSentinel::kSlot;
  }
};

DecodedSlot DecodeRawSlot(uint64_t raw);

// The names the test vectors and the JSON view use: "empty", "page", "marker", "reference",
// "interval"; "slot", "start", "end", "invalid"; "untracked", "clean", "dirty", "invalid".
std::string_view SlotKindName(SlotKind kind);
std::string_view SlotSentinelName(SlotSentinel sentinel);
std::string_view SlotDirtyStateName(SlotDirtyState dirty);

// What makes |raw| a value no valid page list writes, one sentence each (empty when it is one):
// a misaligned page pointer, a marker with stray bits, an unknown sentinel, interval type or
// dirty state, reserved bits. Sentences name the value, e.g. "marker 0x5 has bits set above the
// type". (Where an awaiting-clean length may sit depends on the interval around it: CheckList.)
std::vector<std::string> SlotEncodingProblems(uint64_t raw);

// The one counting vocabulary (docs/snapshot-format.md, "Words"): slots by kind, and zero
// intervals (one per Start or Slot sentinel) kept apart from interval sentinels.
struct SlotCounts {
  uint64_t pages = 0;
  uint64_t references = 0;
  uint64_t markers = 0;
  uint64_t intervals = 0;
  uint64_t interval_sentinels = 0;
  void Add(uint64_t raw);
  void Add(const SlotCounts& other);
  uint64_t populated() const { return pages + references + markers + interval_sentinels; }
  bool operator==(const SlotCounts&) const = default;
};

}  // namespace vmpl

#endif  // VMPL_MODEL_SLOT_H_
