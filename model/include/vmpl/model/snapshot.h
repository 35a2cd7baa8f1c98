// vmpl::Snapshot: the one model of page lists that every source produces and every view renders
// (DESIGN.md, "Data flow"; docs/snapshot-format.md).
//
// A snapshot is plain data copied out of a target or captured from live lists: for each list its
// address, registry id and name, skew, and its nodes (address, key, canary, 16 raw slots) in key
// order; for a splice list also its range, position, state and inline head and tail; and, where
// the source could read them, the vm_page_t fields of the pages its slots point at. It holds no
// pointer into the target and interprets nothing, so it is the same whether it was read from a
// live process, a core file, a gdb stub, captured in process (vmpl::Capture) or rebuilt by a
// trace replay.
//
// Synopsis:
//   struct SnapshotProblem;  // address + message: something wrong found while reading or checking
//   struct SnapshotPage;     // the vm_page_t fields of one page: paddr, split bits, dirty state
//   struct SnapshotNode;     // one VmPageListNode: address, key, canary, raw slots
//   struct SnapshotList;     // one VmPageList or VmPageSpliceList
//   struct Snapshot;         // every list of a source, and problems outside any list
//   ContentDigest(lists);    // a 64-bit digest of the lists' content
//   DescribeFirstDifference(a, b);  // "" if two states hold the same content, else where not
//
// Problems. A snapshot of damaged memory is still a snapshot: every problem the reader met (a
// cycle, a bad canary, a wild or misaligned pointer, an absurd count) is recorded with the address
// it was found at, and everything valid that was read is kept.

#ifndef VMPL_MODEL_SNAPSHOT_H_
#define VMPL_MODEL_SNAPSHOT_H_

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

namespace vmpl {

// Slots per node and bytes per page: the kernel's kPageFanOut and PAGE_SIZE (pinned against the
// core's own constants where the core is compiled: core/src/capture.cc).
inline constexpr size_t kSnapshotFanOut = 16;
inline constexpr uint64_t kSnapshotPageSize = 4096;
inline constexpr uint64_t kSnapshotNodeSpan = kSnapshotFanOut * kSnapshotPageSize;

struct SnapshotProblem {
  uint64_t address = 0;  // where it was found (a node, a list, a registry entry)
  std::string message;   // what is wrong, e.g. "canary 0x00000000, expected \"PLST\""
};

// The vm_page_t fields a kernel engineer looks for first, read from the page a slot points at.
struct SnapshotPage {
  uint64_t paddr = 0;
  bool left_split = false;   // object.cow_left_split
  bool right_split = false;  // object.cow_right_split
  uint8_t dirty_state = 0;   // object.dirty_state, the raw bit-field value
  bool operator==(const SnapshotPage&) const = default;
};

struct SnapshotNode {
  uint64_t address = 0;
  uint64_t key = 0;  // obj_offset_: the skewed offset of slot 0
  uint32_t canary = 0;
  std::array<uint64_t, kSnapshotFanOut> slots{};  // raw values
};

enum class SnapshotListKind { kPageList = 1, kSpliceList = 2 };

struct SnapshotList {
  uint64_t address = 0;
  uint64_t registry_id = 0;  // 0 if not found through the registry
  std::string name;
  SnapshotListKind kind = SnapshotListKind::kPageList;
  uint64_t skew = 0;
  uint64_t tree_count = 0;          // the tree's own count_ (may disagree with nodes.size())
  std::vector<SnapshotNode> nodes;  // tree nodes in key order (the middle tree of a splice)
  // Splice lists only.
  uint64_t splice_offset = 0;
  uint64_t splice_length = 0;
  uint64_t splice_position = 0;
  bool splice_finalized = false;
  SnapshotNode head;
  SnapshotNode tail;
  // The vm_page_t of page slots, by the page's address, for the pages the source could read.
  std::unordered_map<uint64_t, SnapshotPage> pages;
  std::vector<SnapshotProblem> problems;
  bool complete = true;  // false if the walk stopped early (a problem made the rest unreachable)

  // The vm_page_t read for the page at |address|, or null.
  const SnapshotPage* page(uint64_t address) const {
    auto it = pages.find(address);
    return it == pages.end() ? nullptr : &it->second;
  }
};

struct Snapshot {
  std::string source;  // where it came from, e.g. "core file core.1234"
  std::vector<SnapshotList> lists;
  std::vector<SnapshotProblem> problems;  // problems outside any one list (the registry)
  // Every problem: the snapshot's own and every list's.
  size_t problem_count() const;
};

// Content, for comparing two states of the same lists: identity (registry id, name, kind), skew,
// node keys and raw slots, and the splice state (its head and tail slots included). Addresses,
// canaries, vm_page_t fields and problems are not content: a trace replay and the process it was
// recorded from hold the same content at different addresses.

// A 64-bit FNV-1a digest of the content of |lists|, in order: two states with the same digest
// are, for any practical purpose, the same. `vmpl sim` prints it for its final state and
// `vmpl trace replay` for the state it rebuilt (and trace files store it: its value for a given
// state never changes).
uint64_t ContentDigest(const std::vector<SnapshotList>& lists);

// "" if |a| and |b| (lists by registry id) hold the same content; otherwise the first
// difference, e.g. "list 17 'vmo:3': node 0x40000 slot 5: 0x7f... vs 0x0".
std::string DescribeFirstDifference(const std::vector<SnapshotList>& a,
                                    const std::vector<SnapshotList>& b);

}  // namespace vmpl

#endif  // VMPL_MODEL_SNAPSHOT_H_
