// vmpl::inspect::Snapshot: what every source produces and every view renders
// (docs/architecture.md, Principles: sources and views).
//
// A snapshot is plain data copied out of a target: for each list its address, registry id and
// name, skew, and its nodes (address, key, canary, 16 raw slots) in key order; for a splice list
// also its range, position, state and inline head and tail. It holds no pointer into the target
// and nothing is interpreted beyond what the layout says, so it is the same whether it was read
// from a live process, a core file, a gdb stub, or rebuilt by a trace replay.
//
// Problems. A snapshot of damaged memory is still a snapshot: every problem the decoder met (a
// cycle, a bad canary, a wild or misaligned pointer, an absurd count) is recorded with the address
// it was found at, and everything valid that was read is kept.

#ifndef VMPL_INSPECT_SNAPSHOT_H_
#define VMPL_INSPECT_SNAPSHOT_H_

#include <stdint.h>

#include <array>
#include <string>
#include <vector>

namespace vmpl::inspect {

struct SnapshotProblem {
  uint64_t address = 0;  // where it was found (a node, a list, a registry entry)
  std::string message;   // what is wrong, e.g. "canary 0x00000000, expected \"PLST\""
};

struct SnapshotNode {
  uint64_t address = 0;
  uint64_t key = 0;  // obj_offset_: the skewed offset of slot 0
  uint32_t canary = 0;
  std::array<uint64_t, 16> slots{};  // raw values
};

enum class SnapshotListKind { kPageList = 1, kSpliceList = 2 };

struct SnapshotList {
  uint64_t address = 0;
  uint64_t registry_id = 0;  // 0 if not found through the registry
  std::string name;
  SnapshotListKind kind = SnapshotListKind::kPageList;
  uint64_t skew = 0;
  uint64_t tree_count = 0;           // the tree's own count_ (may disagree with nodes.size())
  std::vector<SnapshotNode> nodes;   // tree nodes in key order (the middle tree of a splice)
  // Splice lists only.
  uint64_t splice_offset = 0;
  uint64_t splice_length = 0;
  uint64_t splice_position = 0;
  bool splice_finalized = false;
  SnapshotNode head;
  SnapshotNode tail;
  std::vector<SnapshotProblem> problems;
  bool complete = true;  // false if the walk stopped early (a problem made the rest unreachable)
};

struct Snapshot {
  std::string source;  // MemorySource::Describe()
  std::vector<SnapshotList> lists;
  std::vector<SnapshotProblem> problems;  // problems outside any one list (the registry)
  size_t problem_count() const;
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_SNAPSHOT_H_
