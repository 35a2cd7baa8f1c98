// vmpl::inspect decoder: page lists out of untrusted memory, into a Snapshot.
//
// The decoder reads a target only through a MemorySource and a DecodeLayout (where each field
// lives), so the same code reads our own processes, their core files, and a stub in front of a
// kernel whose build laid the types out differently. It trusts nothing it reads:
//   - every pointer is checked for alignment and for the tree's sentinel (the tree's own address
//     with bit 0 set) before it is followed, and read through the source, never dereferenced;
//   - the walk is bounded (DecodeOptions::max_nodes) and remembers every node it visited, so a
//     cycle ends the walk with a problem instead of a loop;
//   - each node's canary, key alignment and range, key order and parent link are checked;
//   - counts (the tree's count_) are compared with limits before use.
// A tree is read a level at a time, each level as a batch (MemorySource::ReadMany), so a live
// process costs one system call per batch and a stub coalesces nearby nodes into one packet.
// Each problem is recorded with its address, and everything valid read so far is kept.

#ifndef VMPL_INSPECT_DECODER_H_
#define VMPL_INSPECT_DECODER_H_

#include <stddef.h>
#include <stdint.h>

#include <vmpl/inspect/memory_source.h>
#include <vmpl/inspect/registry_reader.h>
#include <vmpl/model/snapshot.h>

namespace vmpl::inspect {

// Byte offsets and sizes of the page-list types in the target: built in for our own core
// (BuiltinDecodeLayout), or extracted from any build's headers by `vmpl layout` and read back
// from a layout file (layout_file.h, docs/layout-format.md). Pointers and the tree's count are
// pointer_size / tree_count_size bytes wide; keys, skews and slots are 8 bytes everywhere.
struct DecodeLayout {
  // A field a layout may leave out (files of an older revision of the format).
  static constexpr uint64_t kNoField = ~uint64_t{0};
  uint64_t pointer_size = 8;
  // VmPageListNode
  uint64_t node_size = 0;
  uint64_t node_parent_offset = 0;  // WAVL links (fbl::WAVLTreeNodeState)
  uint64_t node_left_offset = 0;
  uint64_t node_right_offset = 0;
  uint64_t node_rank_offset = 0;
  uint64_t node_rank_size = 1;
  uint64_t node_canary_offset = 0;
  uint64_t node_key_offset = 0;
  uint64_t node_slots_offset = 0;
  uint64_t slot_size = 8;
  uint64_t fanout = 16;
  uint32_t node_canary = 0;  // fbl::magic("PLST")
  // fbl::WAVLTree
  uint64_t tree_size = 0;
  uint64_t tree_root_offset = 0;
  uint64_t tree_count_offset = 0;
  uint64_t tree_count_size = 8;
  // VmPageList
  uint64_t list_size = 0;
  uint64_t list_tree_offset = 0;
  uint64_t list_skew_offset = 0;
  // VmPageSpliceList
  uint64_t splice_size = 0;
  uint64_t splice_offset_offset = 0;
  uint64_t splice_length_offset = 0;
  uint64_t splice_position_offset = 0;
  uint64_t splice_skew_offset = 0;
  uint64_t splice_finalized_offset = 0;
  uint64_t splice_head_offset = 0;
  uint64_t splice_middle_offset = 0;
  uint64_t splice_tail_offset = 0;
  // vm_page_t: bit positions from the start of the structure (the split bits and the dirty state
  // are bit-fields of its `object` member).
  uint64_t page_struct_size = 0;
  // Byte offset of paddr_priv (the physical address); kNoField when the layout does not say.
  uint64_t page_paddr_offset = kNoField;
  uint64_t page_left_split_bit = 0;
  uint64_t page_right_split_bit = 0;
  uint64_t page_dirty_state_bit = 0;
  uint64_t page_dirty_state_bits = 0;
  // Limits of the kernel's arithmetic.
  uint64_t page_size = 4096;
  uint64_t max_size = 0;  // VmPageList::MAX_SIZE

  bool operator==(const DecodeLayout&) const = default;
};

// The layout of this build's core.
DecodeLayout BuiltinDecodeLayout();

struct DecodeOptions {
  size_t max_nodes = size_t{1} << 22;  // per tree
};

// Reads the VmPageList at |address|.
SnapshotList DecodePageList(MemorySource& memory, uint64_t address, const DecodeLayout& layout,
                            const DecodeOptions& options = {});
// The fields of one vm_page_t whose |size| bytes are at |bytes|, where |layout| puts them (paddr
// is 0 when the layout does not say where it is).
SnapshotPage DecodePageFields(const uint8_t* bytes, size_t size, const DecodeLayout& layout);

// Reads the vm_page_t (paddr, split bits, dirty state) of |list|'s page slots, at most
// |max_pages| of them, into list.pages: one read per page, so only for views that show pages. A
// page that cannot be read is left out; the views then show the slot without its paddr. Nothing
// is read if the layout does not say where paddr is.
void DecodePages(MemorySource& memory, const DecodeLayout& layout, SnapshotList& list,
                 size_t max_pages = size_t{1} << 22);
// Reads the VmPageSpliceList at |address|.
SnapshotList DecodeSpliceList(MemorySource& memory, uint64_t address, const DecodeLayout& layout,
                              const DecodeOptions& options = {});

// Reads the registry whose `vmpl_registry` header is at |registry_address| with ReadRegistry
// (registry_reader.h: its problems, a torn copy included, become the snapshot's) and every list
// it names, in id order. An entry of an unknown kind is left out.
Snapshot DecodeRegistry(MemorySource& memory, uint64_t registry_address, const DecodeLayout& layout,
                        const DecodeOptions& options = {},
                        const RegistryReadOptions& registry_options = {});

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_DECODER_H_
