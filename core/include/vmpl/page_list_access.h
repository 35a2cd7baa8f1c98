// vmpl::PageListAccess: read access to the private state of the page-list classes.
//
// The kernel's classes keep their fields private. The validator, the built-in layout description
// and white-box tests need to see them, the way a debugger does, without changing the classes'
// layout or public interface. Each class names PageListAccess as a friend; everything here is a
// read-only view (the tests that corrupt memory on purpose do it through raw addresses).

#ifndef VMPL_PAGE_LIST_ACCESS_H_
#define VMPL_PAGE_LIST_ACCESS_H_

#include <stdint.h>
#include <vm/vm_page_list.h>

namespace vmpl {

class PageListAccess {
 public:
  using NodeTree = fbl::WAVLTree<uint64_t, ktl::unique_ptr<VmPageListNode>>;

  // VmPageList
  static const NodeTree& nodes(const VmPageList& list) { return list.list_; }
  static uint64_t skew(const VmPageList& list) { return list.list_skew_; }

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
};

}  // namespace vmpl

#endif  // VMPL_PAGE_LIST_ACCESS_H_
