// Stable names of event and operation kinds: they appear in reports, exports and JSON, so they
// change only with the trace format's version.

#include <vmpl/trace_event.h>

namespace vmpl::trace {

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kInvalid: return "invalid";
    case EventKind::kSlotStore: return "slot-store";
    case EventKind::kNodeAlloc: return "node-alloc";
    case EventKind::kNodeFree: return "node-free";
    case EventKind::kNodeTransfer: return "node-transfer";
    case EventKind::kSkewSet: return "skew-set";
    case EventKind::kListCreate: return "list-create";
    case EventKind::kListDestroy: return "list-destroy";
    case EventKind::kListMove: return "list-move";
    case EventKind::kInlineNodeOffset: return "inline-node-offset";
    case EventKind::kRegister: return "register";
    case EventKind::kUnregister: return "unregister";
    case EventKind::kSetAddress: return "set-address";
    case EventKind::kName: return "name";
    case EventKind::kSplicePosition: return "splice-position";
    case EventKind::kSpliceFinalize: return "splice-finalize";
    case EventKind::kOpBegin: return "op-begin";
    case EventKind::kOpEnd: return "op-end";
    case EventKind::kIntervalAdd: return "interval-add";
    case EventKind::kIntervalSplit: return "interval-split";
    case EventKind::kIntervalClip: return "interval-clip";
    case EventKind::kIntervalMerge: return "interval-merge";
    case EventKind::kIntervalReplace: return "interval-replace";
    case EventKind::kSnapshotBegin: return "snapshot-begin";
    case EventKind::kSnapshotEnd: return "snapshot-end";
    case EventKind::kListTracing: return "list-tracing";
    case EventKind::kCheckpoint: return "checkpoint";
    case EventKind::kKindCount: break;
  }
  return "unknown";
}

const char* OpKindName(OpKind op) {
  switch (op) {
    case OpKind::kNone: return "none";
    case OpKind::kLookupOrAllocate: return "LookupOrAllocate";
    case OpKind::kReturnEmptySlot: return "ReturnEmptySlot";
    case OpKind::kRemovePages: return "RemovePages";
    case OpKind::kRemoveAllContent: return "RemoveAllContent";
    case OpKind::kMergeFrom: return "MergeFrom";
    case OpKind::kMergeOnto: return "MergeOnto";
    case OpKind::kTakePages: return "TakePages";
    case OpKind::kAddZeroInterval: return "AddZeroInterval";
    case OpKind::kPopulateSlotsInInterval: return "PopulateSlotsInInterval";
    case OpKind::kReturnIntervalSlot: return "ReturnIntervalSlot";
    case OpKind::kClipIntervalStart: return "ClipIntervalStart";
    case OpKind::kClipIntervalEnd: return "ClipIntervalEnd";
    case OpKind::kReplacePageWithZeroInterval: return "ReplacePageWithZeroInterval";
    case OpKind::kOverwriteZeroInterval: return "OverwriteZeroInterval";
    case OpKind::kSpliceAppend: return "SpliceAppend";
    case OpKind::kSplicePop: return "SplicePop";
    case OpKind::kSpliceFinalize: return "SpliceFinalize";
    case OpKind::kInitializeSkew: return "InitializeSkew";
    case OpKind::kOpKindCount: break;
  }
  return "unknown";
}

}  // namespace vmpl::trace
