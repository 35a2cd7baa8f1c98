// Decoding a slot's raw value without dereferencing it (see raw_slot.h).

#include <fmt/format.h>
#include <vmpl/inspect/raw_slot.h>

namespace vmpl::inspect {
namespace {

// The V2 encoding, LSB first: type:2 | (reference) right:1 left:1 value:60
//                                     | (interval) sentinel:2 interval-type:2 dirty:2 unused:4
//                                                  awaiting-clean:52 (a byte length, page aligned)
constexpr uint64_t kTypeMask = 0x3;
constexpr uint64_t kReferenceRightSplit = uint64_t{1} << 2;
constexpr uint64_t kReferenceLeftSplit = uint64_t{1} << 3;
constexpr uint64_t kReferenceValueMask = ~uint64_t{0xf};
constexpr int kSentinelShift = 2;
constexpr int kDirtyShift = kSentinelShift + 2 + 2;
constexpr int kAwaitingCleanShift = 12;
constexpr uint64_t kAwaitingCleanMask = ~((uint64_t{1} << kAwaitingCleanShift) - 1);

}  // namespace

std::string DescribeRawSlot(uint64_t raw) {
  switch (raw & 3) {
    case 0:
      return raw == 0 ? "empty" : fmt::format("page {:#x}", raw);
    case 1:
      return "marker";
    case 2:
      return fmt::format("reference {:#x}{}{}", raw & ~uint64_t{0xf}, (raw & 8) ? " L" : "",
                         (raw & 4) ? " R" : "");
    default: {
      static constexpr const char* kSentinels[] = {"slot", "start", "end", "(bad sentinel)"};
      static constexpr const char* kDirty[] = {"untracked", "clean", "dirty", "(bad state)"};
      const uint64_t awaiting = raw >> 12 << 12;
      return fmt::format("interval {} {}{}", kSentinels[(raw >> 2) & 3], kDirty[(raw >> 6) & 3],
                         awaiting != 0 ? fmt::format(" awaiting-clean {:#x}", awaiting) : "");
    }
  }
}

DecodedSlot DecodeRawSlot(uint64_t raw) {
  DecodedSlot slot;
  switch (raw & kTypeMask) {
    case 0:
      if (raw != 0) {
        slot.kind = SlotKind::kPage;
        slot.page = raw;
      }
      break;
    case 1:
      slot.kind = SlotKind::kMarker;
      break;
    case 2:
      slot.kind = SlotKind::kReference;
      slot.reference = raw & kReferenceValueMask;
      slot.left_split = (raw & kReferenceLeftSplit) != 0;
      slot.right_split = (raw & kReferenceRightSplit) != 0;
      break;
    default:
      slot.kind = SlotKind::kInterval;
      // Both fields are two bits wide and their enums list all four values, the fourth being
      // kInvalid, so the casts cover every value a corrupted slot can hold.
      slot.sentinel = static_cast<SlotSentinel>((raw >> kSentinelShift) & 3);
      slot.dirty = static_cast<SlotDirtyState>((raw >> kDirtyShift) & 3);
      slot.awaiting_clean = raw & kAwaitingCleanMask;
      break;
  }
  return slot;
}

std::string_view SlotKindName(SlotKind kind) {
  switch (kind) {
    case SlotKind::kEmpty:
      return "empty";
    case SlotKind::kPage:
      return "page";
    case SlotKind::kMarker:
      return "marker";
    case SlotKind::kReference:
      return "reference";
    case SlotKind::kInterval:
      return "interval";
  }
  return "invalid";
}

std::string_view SlotSentinelName(SlotSentinel sentinel) {
  switch (sentinel) {
    case SlotSentinel::kSlot:
      return "slot";
    case SlotSentinel::kStart:
      return "start";
    case SlotSentinel::kEnd:
      return "end";
    case SlotSentinel::kInvalid:
      return "invalid";
  }
  return "invalid";
}

std::string_view SlotDirtyStateName(SlotDirtyState dirty) {
  switch (dirty) {
    case SlotDirtyState::kUntracked:
      return "untracked";
    case SlotDirtyState::kClean:
      return "clean";
    case SlotDirtyState::kDirty:
      return "dirty";
    case SlotDirtyState::kInvalid:
      return "invalid";
  }
  return "invalid";
}

void RawSlotCounts::Add(uint64_t raw) {
  if (raw == 0) {
    return;
  }
  switch (raw & 3) {
    case 0:
      pages++;
      break;
    case 1:
      markers++;
      break;
    case 2:
      references++;
      break;
    default: {
      interval_sentinels++;
      const uint64_t sentinel = (raw >> 2) & 3;
      if (sentinel == 0 || sentinel == 1) {  // Slot or Start
        intervals++;
      }
      break;
    }
  }
}

}  // namespace vmpl::inspect
