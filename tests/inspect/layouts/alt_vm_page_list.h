// The page-list types with Zircon's names, laid out unlike our core: the layout test's other
// build. Field order differs in every type, the WAVL rank is 32 bits wide and comes first, each
// type carries a member ours lacks, the node's tree links sit in its second base class, and the
// vm_page_t bit-fields are in another order. Only the names `vmpl layout` looks for are kept.
//
// Self-contained on purpose (only <stddef.h>/<stdint.h>): it stands for a kernel's headers, and
// is compiled into a separate program (alt_layout_target.cc), never next to the real core.

#ifndef VMPL_TESTS_ALT_VM_PAGE_LIST_H_
#define VMPL_TESTS_ALT_VM_PAGE_LIST_H_

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096

namespace fbl {

constexpr uint32_t magic(const char (&text)[5]) {
  uint32_t value = 0;
  for (int i = 0; i < 4; i++) {
    value = (value << 8) | static_cast<uint8_t>(text[i]);
  }
  return value;
}

template <uint32_t kMagic>
class Canary {
 public:
  uint32_t value() const { return magic_; }
  void set(uint32_t value) { magic_ = value; }

 private:
  volatile uint32_t magic_ = kMagic;
};

template <typename T>
struct WAVLTreeNodeState {
  uint32_t rank_ = 0;
  T* right_ = nullptr;
  T* parent_ = nullptr;
  T* left_ = nullptr;
};

template <typename T>
struct WAVLTreeContainable {
  WAVLTreeNodeState<T> wavl_node_state_;
};

template <typename Key, typename T>
class WAVLTree {
 public:
  size_t count_ = 0;
  uint64_t modifications_ = 0;
  T* right_most_ = nullptr;
  T* root_ = nullptr;
  T* left_most_ = nullptr;
};

}  // namespace fbl

class VmPageOrMarker {
 public:
  uint64_t raw_ = 0;
};

// A base before the tree links, so that they do not start the node.
struct NodeDebugInfo {
  uint64_t allocation_site = 0;
};

class VmPageListNode : public NodeDebugInfo, public fbl::WAVLTreeContainable<VmPageListNode> {
 public:
  static const size_t kPageFanOut = 16;

  uint64_t obj_offset_ = 0;
  uint32_t generation_ = 0;
  fbl::Canary<fbl::magic("PLST")> canary_;
  VmPageOrMarker pages_[kPageFanOut];
};

class VmPageList {
 public:
  static constexpr uint64_t MAX_SIZE =
      UINT64_MAX - UINT64_MAX % (2 * VmPageListNode::kPageFanOut * PAGE_SIZE);

  uint64_t list_skew_ = 0;
  uint32_t flags_ = 0;
  fbl::WAVLTree<uint64_t, VmPageListNode> list_;
};

class VmPageSpliceList {
 public:
  VmPageListNode tail_;
  bool finalized_ = false;
  uint64_t pos_ = 0;
  fbl::WAVLTree<uint64_t, VmPageListNode> middle_;
  uint64_t length_ = 0;
  uint64_t list_skew_ = 0;
  VmPageListNode head_;
  uint64_t offset_ = 0;
};

typedef struct vm_page {
  uint64_t paddr_priv;
  uint32_t flags;
  struct {
    uint8_t dirty_state : 2;
    uint8_t cow_right_split : 1;
    uint8_t always_need : 1;
    uint8_t cow_left_split : 1;
    uint8_t pin_count : 3;
    uint64_t page_offset_priv;
  } object;
  uint8_t state_priv;
} vm_page_t;

#endif  // VMPL_TESTS_ALT_VM_PAGE_LIST_H_
