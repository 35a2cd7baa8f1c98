// The one slot decoder (see slot.h).

#include <fmt/format.h>
#include <vmpl/model/slot.h>

namespace vmpl {

using namespace slot_bits;

DecodedSlot DecodeRawSlot(uint64_t raw) {
  DecodedSlot slot;
  slot.raw = raw;
  switch (raw & kTypeMask) {
    case kTypePage:
      if (raw != 0) {
        slot.kind = SlotKind::kPage;
        slot.page = raw;
      }
      break;
    case kTypeMarker:
      slot.kind = SlotKind::kMarker;
      break;
    case kTypeReference:
      slot.kind = SlotKind::kReference;
      slot.reference = raw & kReferenceValueMask;
      slot.left_split = ((raw >> kReferenceLeftShift) & 1) != 0;
      slot.right_split = ((raw >> kReferenceRightShift) & 1) != 0;
      break;
    default:
      slot.kind = SlotKind::kInterval;
      // Both fields are two bits wide and their enums list all four values, the fourth being
      // kInvalid, so the casts cover every value a corrupted slot can hold.
      slot.sentinel = static_cast<SlotSentinel>((raw >> kSentinelShift) & 3);
      slot.dirty = static_cast<SlotDirtyState>((raw >> kDirtyShift) & 3);
      slot.interval_type = static_cast<uint8_t>((raw >> kIntervalTypeShift) & 3);
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

std::vector<std::string> SlotEncodingProblems(uint64_t raw) {
  std::vector<std::string> problems;
  const DecodedSlot slot = DecodeRawSlot(raw);
  switch (slot.kind) {
    case SlotKind::kEmpty:
    case SlotKind::kReference:
      break;
    case SlotKind::kPage:
      // vm_page_t is 8-aligned; the type bits already say bits 0..1 are clear.
      if (raw % 8 != 0) {
        problems.push_back(fmt::format("page pointer {:#x} is not aligned to vm_page_t", raw));
      }
      break;
    case SlotKind::kMarker:
      if (raw != kTypeMarker) {
        problems.push_back(fmt::format("marker {:#x} has bits set above the type", raw));
      }
      break;
    case SlotKind::kInterval:
      if (slot.sentinel == SlotSentinel::kInvalid) {
        problems.push_back(
            fmt::format("interval sentinel kind {} is not valid", (raw >> kSentinelShift) & 3));
      }
      if (slot.interval_type != 0) {
        problems.push_back(
            fmt::format("interval type {} is not Zero (the only type)", slot.interval_type));
      }
      if (slot.dirty == SlotDirtyState::kInvalid) {
        problems.push_back(fmt::format("interval dirty state {} is not untracked, clean or dirty",
                                       (raw >> kDirtyShift) & 3));
      }
      if ((raw & kUnusedMask) != 0) {
        problems.push_back(fmt::format("interval {:#x} has reserved bits 8-11 set", raw));
      }
      break;
  }
  return problems;
}

void SlotCounts::Add(uint64_t raw) {
  const DecodedSlot slot = DecodeRawSlot(raw);
  switch (slot.kind) {
    case SlotKind::kEmpty:
      break;
    case SlotKind::kPage:
      pages++;
      break;
    case SlotKind::kMarker:
      markers++;
      break;
    case SlotKind::kReference:
      references++;
      break;
    case SlotKind::kInterval:
      interval_sentinels++;
      if (slot.sentinel == SlotSentinel::kSlot || slot.sentinel == SlotSentinel::kStart) {
        intervals++;
      }
      break;
  }
}

void SlotCounts::Add(const SlotCounts& other) {
  pages += other.pages;
  references += other.references;
  markers += other.markers;
  intervals += other.intervals;
  interval_sentinels += other.interval_sentinels;
}

}  // namespace vmpl
