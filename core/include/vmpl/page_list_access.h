// vmpl::PageListAccess: read access to the private state of the page-list classes.
//
// The kernel's classes keep their fields private. The validator, the built-in layout description
// and white-box tests need to see them, the way a debugger does, without changing the classes'
// layout or public interface. Each class names PageListAccess as a friend. Everything but the
// last section is a read-only view (the tests that corrupt memory on purpose do it through raw
// addresses). The last section, "Replay", writes state directly, bypassing the classes' own rules
// and the trace hooks: it is for rebuilding a recorded state (inspect's TraceReplay), where the
// recorded values (page pointers of another process) must never be interpreted.

#ifndef VMPL_PAGE_LIST_ACCESS_H_
#define VMPL_PAGE_LIST_ACCESS_H_

#include <stddef.h>
#include <stdint.h>
#include <vm/vm_page_list.h>

namespace vmpl {

class PageListAccess {
 public:
  using NodeTree = fbl::WAVLTree<uint64_t, ktl::unique_ptr<VmPageListNode>>;

  // VmPageList
  static const NodeTree& nodes(const VmPageList& list) { return list.list_; }
  static uint64_t skew(const VmPageList& list) { return list.list_skew_; }
  // The list's node-offset cache (vmpl/node_table.h), for checks and tests.
  static const NodeTable& node_table(const VmPageList& list) { return list.node_table_; }

  // VmPageListNode
  static uint32_t canary(const VmPageListNode& node) { return node.canary_.value(); }
  static constexpr uint32_t kNodeCanary = fbl::magic("PLST");
  // Slot |index| without the canary assertion of VmPageListNode::Lookup.
  static const VmPageOrMarker& slot(const VmPageListNode& node, size_t index) {
    return node.pages_[index];
  }

  // VmPageOrMarker
  static uint64_t raw(const VmPageOrMarker& slot) { return slot.raw_; }

  // VmPageSpliceList
  static const VmPageListNode& head(const VmPageSpliceList& splice) { return splice.head_; }
  static const NodeTree& middle(const VmPageSpliceList& splice) { return splice.middle_; }
  static const VmPageListNode& tail(const VmPageSpliceList& splice) { return splice.tail_; }
  static const list_node& raw_pages(const VmPageSpliceList& splice) { return splice.raw_pages_; }
  static uint64_t skew(const VmPageSpliceList& splice) { return splice.list_skew_; }
  static uint64_t position(const VmPageSpliceList& splice) { return splice.pos_; }
  static bool finalized(const VmPageSpliceList& splice) { return splice.finalized_; }

  // Byte offsets of private members, for layout descriptions (trace files, decoders). The
  // classes are not standard-layout, so offsetof is only conditionally supported; GCC and Clang
  // compute it exactly for classes without virtual bases, which these are.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
  static constexpr size_t kNodeCanaryOffset = offsetof(VmPageListNode, canary_);
  static constexpr size_t kNodeOffsetOffset = offsetof(VmPageListNode, obj_offset_);
  static constexpr size_t kNodeSlotsOffset = offsetof(VmPageListNode, pages_);
  static constexpr size_t kSpliceHeadOffset = offsetof(VmPageSpliceList, head_);
  static constexpr size_t kSpliceTailOffset = offsetof(VmPageSpliceList, tail_);
  static constexpr size_t kListTreeOffset = offsetof(VmPageList, list_);
  static constexpr size_t kListSkewOffset = offsetof(VmPageList, list_skew_);
  static constexpr size_t kSpliceOffsetOffset = offsetof(VmPageSpliceList, offset_);
  static constexpr size_t kSpliceLengthOffset = offsetof(VmPageSpliceList, length_);
  static constexpr size_t kSplicePositionOffset = offsetof(VmPageSpliceList, pos_);
  static constexpr size_t kSpliceSkewOffset = offsetof(VmPageSpliceList, list_skew_);
  static constexpr size_t kSpliceFinalizedOffset = offsetof(VmPageSpliceList, finalized_);
  static constexpr size_t kSpliceMiddleOffset = offsetof(VmPageSpliceList, middle_);
#pragma GCC diagnostic pop

  // Replay. None of these checks invariants or calls a trace hook.
  // Drops the list's node table: it could not follow changes made to the tree from here.
  static NodeTree& mutable_nodes(VmPageList& list) {
    list.node_table_.Drop();
    return list.list_;
  }
  static NodeTree& mutable_middle(VmPageSpliceList& splice) { return splice.middle_; }
  static VmPageListNode& mutable_head(VmPageSpliceList& splice) { return splice.head_; }
  static VmPageListNode& mutable_tail(VmPageSpliceList& splice) { return splice.tail_; }
  static VmPageOrMarker& mutable_slot(VmPageListNode& node, size_t index) {
    return node.pages_[index];
  }
  static void set_raw(VmPageOrMarker& slot, uint64_t raw) { slot.raw_ = raw; }
  // Sets every slot of |node| to raw 0 (Empty), so that destroying a rebuilt node neither asserts
  // nor frees what its recorded values point to.
  static void clear_slots(VmPageListNode& node) {
    for (VmPageOrMarker& slot : node.pages_) {
      slot.raw_ = 0;
    }
  }
  static void set_skew(VmPageList& list, uint64_t skew) { list.list_skew_ = skew; }
  static void set_splice_state(VmPageSpliceList& splice, uint64_t offset, uint64_t length,
                               uint64_t position, uint64_t skew, bool finalized) {
    splice.offset_ = offset;
    splice.length_ = length;
    splice.pos_ = position;
    splice.list_skew_ = skew;
    splice.finalized_ = finalized;
  }
  static void set_node_offset(VmPageListNode& node, uint64_t offset) { node.obj_offset_ = offset; }
};

}  // namespace vmpl

#endif  // VMPL_PAGE_LIST_ACCESS_H_
