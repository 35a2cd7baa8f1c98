// vmpl::CheckList: the invariants of a page list or splice list, checked on a snapshot
// (docs/semantics.md, "Invariants"). The same code judges our own lists (vmpl::Validate captures
// a live list and calls it), lists read from another process, a core file or a gdb stub
// (`vmpl check`), and lists rebuilt by a trace replay: an outside check and an inside check are
// one code path.
//
// What it checks, reporting every violation rather than stopping at the first:
//   node     canary is "PLST"; key is a multiple of 64 KiB and below MAX_SIZE; keys rise; no node
//            of a page list is empty
//   skew     the skew is a page multiple below 64 KiB
//   slot     each slot's encoding (SlotEncodingProblems), and no slot before offset 0; zero
//            intervals are Dirty (the only state this generation creates)
//   interval every Start is followed by its End with nothing populated in between (and every End
//            preceded by its Start); both sentinels have the same dirty state
//   maximal  no two intervals touch that could be one (same dirty state, adjacent offsets)
//   splice   range aligned, position within it, entries inside the range and on the right side
//            of the position, no interval sentinels, inline head and tail used as the range says
// The tree's own shape (links, ranks, count) is the reader's business: a decoder checks what it
// walks, and vmpl::Validate checks a live tree with CheckWavlTree.

#ifndef VMPL_MODEL_CHECK_H_
#define VMPL_MODEL_CHECK_H_

#include <stdint.h>
#include <vmpl/model/snapshot.h>

#include <string>
#include <vector>

namespace vmpl {

struct Violation {
  enum class Kind {
    kTree,      // WAVL tree links, ranks, count, sentinels
    kNode,      // canary, key alignment or range, empty node
    kSkew,      // list_skew_ out of range
    kSlot,      // an individual slot value is malformed
    kInterval,  // sentinel pairing, content inside an interval, dirty-state mismatch, ACL placement
    kMaximal,   // two intervals that should have been merged
    kSplice,    // splice-list position, length or content
  };
  Kind kind;
  // Address of the node (or list) the problem is in.
  uintptr_t address = 0;
  // The unskewed VMO offset concerned, when there is one.
  uint64_t offset = 0;
  bool has_offset = false;
  std::string message;

  // "interval: at 0x... offset 0x...: message"
  std::string ToString() const;
};

const char* ViolationKindName(Violation::Kind kind);

// VmPageList::MAX_SIZE: no node key reaches it (pinned against the core in core/src/capture.cc).
inline constexpr uint64_t kSnapshotMaxSize =
    ~uint64_t{0} - (~uint64_t{0} % (2 * kSnapshotNodeSpan));

struct CheckOptions {
  // Check each node's canary against "PLST". A decoder that read the list with a layout checks
  // canaries against that layout's value as it reads, and turns this off.
  bool canaries = true;
};

// Every violation found in |list|; empty means valid.
std::vector<Violation> CheckList(const SnapshotList& list, const CheckOptions& options = {});

// |violation| as a snapshot problem: "<kind>: node 0x...[ offset 0x...]: <message>" at the
// address of the node (or list) it is about.
SnapshotProblem ProblemOf(const Violation& violation);

// Appends CheckList's violations to list.problems, as "<kind>: ..." messages at the address of
// the node they are about.
void CheckSnapshotList(SnapshotList& list, const CheckOptions& options = {});
// CheckSnapshotList for every list of |snapshot|.
void CheckSnapshot(Snapshot& snapshot, const CheckOptions& options = {});

}  // namespace vmpl

#endif  // VMPL_MODEL_CHECK_H_
