// The slot decoder moved one layer down, to <vmpl/model/slot.h> (namespace vmpl), and a slot's
// text to <vmpl/model/text_view.h>. These names keep inspect's callers compiling while they move
// over; new code uses the vmpl:: names.

#ifndef VMPL_INSPECT_RAW_SLOT_H_
#define VMPL_INSPECT_RAW_SLOT_H_

#include <stdint.h>

#include <string>

#include <vmpl/model/slot.h>
#include <vmpl/model/text_view.h>

namespace vmpl::inspect {

using vmpl::DecodedSlot;
using vmpl::DecodeRawSlot;
using vmpl::SlotDirtyState;
using vmpl::SlotDirtyStateName;
using vmpl::SlotKind;
using vmpl::SlotKindName;
using vmpl::SlotSentinel;
using vmpl::SlotSentinelName;
using RawSlotCounts = vmpl::SlotCounts;

// The slot's content in the one text view's wording (vmpl::SlotContentText).
inline std::string DescribeRawSlot(uint64_t raw) { return vmpl::SlotContentText(raw); }

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_RAW_SLOT_H_
