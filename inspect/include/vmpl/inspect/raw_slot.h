// A slot's raw encoding (VmPageOrMarker::raw_, spec section 2.1) decoded from the value alone:
// what a reader of another process's memory can say without following the page pointer.

#ifndef VMPL_INSPECT_RAW_SLOT_H_
#define VMPL_INSPECT_RAW_SLOT_H_

#include <stdint.h>

#include <string>

namespace vmpl::inspect {

// "empty", "page 0x...", "marker", "reference 0x... L R", "interval start dirty awaiting-clean
// 0x3000"...
std::string DescribeRawSlot(uint64_t raw);

// Counts by kind (an interval counts each of its sentinels).
struct RawSlotCounts {
  uint64_t pages = 0;
  uint64_t references = 0;
  uint64_t markers = 0;
  uint64_t interval_sentinels = 0;
  void Add(uint64_t raw);
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_RAW_SLOT_H_
