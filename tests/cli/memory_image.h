// MemoryImage: page lists of this process copied into a flat memory image that QEMU's
// `-device loader` puts at a guest physical address, so that a test reads them back through
// QEMU's gdb stub the way vmpl reads a kernel's lists.
//
// Each list object and each of its nodes is copied byte for byte (skew, canaries, keys, raw
// slots), from the image's base upwards, the nodes in reverse key order so that address order
// and key order differ, as they do in a kernel heap. The pointers are then rebuilt for the
// guest: the tree is laid out again as a balanced binary search tree of the same nodes in key
// order (the decoder sees links and keys, not which valid shape a tree has), with fbl's
// conventions (intrusive_wavl_tree.h): the root's parent and the extreme nodes' outer children
// are the sentinel (the tree header's address with bit 0 set), other missing children are null,
// left_most_, right_most_ and count_ describe the new tree, and each rank parity is that of the
// node's height. Whatever else a list object holds (registry and trace bookkeeping) is copied as
// is and means nothing in the guest.

#ifndef VMPL_TESTS_CLI_MEMORY_IMAGE_H_
#define VMPL_TESTS_CLI_MEMORY_IMAGE_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/model/snapshot.h>

#include <string>
#include <vector>

namespace vmpl::testing {

class MemoryImage {
 public:
  // An empty image whose first byte the guest will see at |base|.
  MemoryImage(uint64_t base, const inspect::DecodeLayout& layout);

  // Where a list landed: its object's guest address and its nodes' guest addresses in key order.
  struct PlacedList {
    uint64_t address = 0;
    std::vector<uint64_t> nodes;
  };

  // Copies the VmPageList that |decoded| describes, which lives in this process: the list object
  // at decoded.address and the nodes at decoded.nodes[i].address (key order, as DecodePageList
  // on this process found them).
  PlacedList AddPageList(const vmpl::SnapshotList& decoded);

  // Overwrites the 4 bytes at guest |address| (damage, for tests of the checker).
  void Write32(uint64_t address, uint32_t value);

  uint64_t base() const { return base_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  // Writes the image as a raw file (what `-device loader,force-raw=on` loads); false on error.
  bool WriteFile(const std::string& path) const;

 private:
  // Appends |size| zero bytes at the next 64-byte boundary; returns their guest address.
  uint64_t Allocate(size_t size);
  uint8_t* At(uint64_t address, size_t size);
  void Write64(uint64_t address, uint64_t value);
  // Links nodes[first, last) (guest addresses, key order) into a balanced subtree under
  // |parent|; returns the subtree's root (0 if empty) and its height in |height|.
  uint64_t Link(const std::vector<uint64_t>& nodes, size_t first, size_t last, uint64_t parent,
                uint64_t sentinel, int* height);

  uint64_t base_;
  inspect::DecodeLayout layout_;
  std::vector<uint8_t> bytes_;
};

}  // namespace vmpl::testing

#endif  // VMPL_TESTS_CLI_MEMORY_IMAGE_H_
