// Decoding a slot's raw value without dereferencing it (see raw_slot.h).

#include <vmpl/inspect/raw_slot.h>

#include <fmt/format.h>

namespace vmpl::inspect {

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
    default:
      interval_sentinels++;
      break;
  }
}

}  // namespace vmpl::inspect
