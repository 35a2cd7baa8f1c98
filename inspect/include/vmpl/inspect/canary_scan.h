// vmpl::inspect canary scan: page lists found with no symbols at all.
//
// Without a registry or a symbol to start from, the only thing a page list leaves in memory that
// says "I am one" is the "PLST" canary of each of its nodes. The scan reads the target's memory
// regions (MemorySource::Regions, or ranges given by the caller) in large overlapping chunks,
// takes every 8-byte-aligned position whose canary field holds the canary as a candidate node,
// and rebuilds the WAVL trees from the candidates' links:
//   - a candidate passes a sanity check first: key a multiple of fanout * page_size and below
//     max_size + span, every link null, 8-byte aligned, or one and the same sentinel (bit 0 set);
//   - a link from a child to its parent counts only if the parent is a candidate that links back
//     to the child (left_ or right_), so copies of nodes (stale heap buffers, the inspector's own
//     read buffers when it scans its own process) never join a tree;
//   - a candidate whose parent_ is a sentinel is a root; its tree header is parent_ & ~1, and the
//     tree is taken only if the header's root_ points back at it;
//   - the owner of a tree header is a VmPageSpliceList if the header sits at splice_middle_offset
//     of an object whose inline head and tail carry the canary with all links null; otherwise a
//     VmPageList at header - list_tree_offset.
// A splice list whose middle tree is empty is found by its inline head and tail instead: two
// canaried nodes with null links, tail_offset - head_offset apart, with an empty tree header
// between them whose sentinels are its own address | 1 (a copy of one never is).
//
// What is not a list. A candidate whose links are all null is outside any tree (a splice list's
// inline head or tail, a node being built), and so is a lone node that no candidate links to and
// that does not reach its claimed parent (a stale copy): both are counted as unattached, not
// problems. A group of linked candidates, or a node that some candidate links to as a child,
// whose parent links end short of a confirmed root is an orphaned subtree: a problem naming its
// top node, how many nodes hang from it and why it is not attached.
//
// Limits, stated because a scan cannot see past them:
//   - an empty VmPageList (no nodes) has nothing to find;
//   - a node whose canary was overwritten is not found; its list still is if the root is intact,
//     and decoding the list reports the bad canary. The nodes below it no longer reach the root:
//     they are reported as orphaned subtrees (a lone leaf among them counts as unattached);
//   - a lone leaf cut off from both its parent and its parent's child link looks like a stale
//     copy and is counted as unattached;
//   - an object that is not a page list but carries the canary at the right place with sane
//     links would be taken for one; the root confirmation through the header makes that unlikely.
// Everything is bounded: bytes read (ScanOptions::max_bytes), candidates kept (max_nodes), and
// the parent chains followed (a chain longer than any WAVL tree can be is a problem, not a loop).
// An unreadable chunk is skipped with a problem naming the range; the scan never aborts.

#ifndef VMPL_INSPECT_CANARY_SCAN_H_
#define VMPL_INSPECT_CANARY_SCAN_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/memory_source.h>
#include <vmpl/model/snapshot.h>

#include <vector>

namespace vmpl::inspect {

struct ScanOptions {
  // Only regions the target can write (where heap objects live); false also reads code and
  // read-only data.
  bool writable_only = true;
  uint64_t max_bytes = uint64_t{64} << 30;  // stop after this many bytes (bytes_scanned)
  size_t max_nodes = size_t{1} << 22;       // candidate nodes kept (about 70 bytes each)
  size_t chunk_bytes = size_t{4} << 20;     // bytes per read: two nodes to 256 MiB
  // The ranges to scan instead of MemorySource::Regions(): for a gdb stub, which lists none, or
  // to restrict a scan (a sanitizer's shadow memory runs to terabytes).
  std::vector<MemoryRegion> ranges;
};

struct FoundList {
  uint64_t address = 0;  // the VmPageList or VmPageSpliceList object
  SnapshotListKind kind = SnapshotListKind::kPageList;
  size_t nodes = 0;  // tree nodes attached to the root (the middle tree of a splice list)
};

struct ScanResult {
  std::vector<FoundList> lists;           // sorted by address
  std::vector<SnapshotProblem> problems;  // orphaned subtrees, unreadable ranges, limits hit
  uint64_t bytes_scanned = 0;             // bytes of the target read (chunk overlaps count once)
  uint64_t regions_scanned = 0;
  size_t candidate_nodes = 0;   // positions with the canary that passed the sanity check
  size_t unattached_nodes = 0;  // candidates outside any tree (see the header comment)
};

// Scans |memory| for page-list nodes and returns the lists whose trees they form.
ScanResult ScanForPageLists(MemorySource& memory, const DecodeLayout& layout,
                            const ScanOptions& options = {});

// Scans, then decodes every list found with DecodePageList or DecodeSpliceList into one
// Snapshot (registry_id 0, empty name, sorted by address); the scan's problems go to
// Snapshot::problems. |result|, if given, receives the scan's own result.
Snapshot ScanSnapshot(MemorySource& memory, const DecodeLayout& layout,
                      const ScanOptions& options = {}, ScanResult* result = nullptr);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_CANARY_SCAN_H_
