// vmpl::Validate: the invariant checker for VmPageList and VmPageSpliceList.
//
// What it checks. Every invariant the kernel's header states or its code relies on (the numbered
// invariants of docs/semantics.md section 11), over the live structure, reporting *every* violation
// rather than stopping at the first:
//   tree    WAVL tree shape: in-order keys, parent links, rank rule, count, left/right-most,
//           end-of-tree sentinels (see <vmpl/wavl_check.h>)
//   node    canary is "PLST"; key is a multiple of 64 KiB and below MAX_SIZE; no node is empty
//   skew    list_skew_ < 64 KiB
//   slot    a page slot never holds a null pointer; reference values keep their low bits clear;
//           interval sentinels have a known sentinel kind, the zero type and a legal dirty state
//   interval every Start is followed by its End with nothing populated in between (and every End
//           preceded by its Start); both sentinels have the same dirty state; an awaiting-clean
//           length sits only on a Start or Slot of a Dirty interval
//   maximal no two intervals touch that could be one (same dirty state, adjacent offsets)
//
// How. A list is captured (vmpl::Capture) and its nodes, slots, intervals and splice state are
// judged by vmpl::CheckList (<vmpl/model/check.h>), the same code `vmpl check` runs on lists read
// from another process or a core; what only a live list has is checked here: the WAVL tree's
// links and ranks (CheckWavlTree), the node table, a splice list's raw page list.
//
// Bounded work. The walk visits at most max_nodes nodes, so a corrupted tree (a cycle) yields
// violations, not a hang.
//
// Who calls it: the tests after every step, `vmpl sim --check-every N`, and `vmpl check`.

#ifndef VMPL_VALIDATE_H_
#define VMPL_VALIDATE_H_

#include <stddef.h>
#include <stdint.h>

#include <vector>

#include <vmpl/model/check.h>

class VmPageList;
class VmPageSpliceList;

namespace vmpl {

struct ValidateOptions {
  // Upper bound on the number of nodes walked.
  size_t max_nodes = size_t{1} << 32;
};

// Returns every violation found in |list|; empty means valid.
std::vector<Violation> Validate(const VmPageList& list, const ValidateOptions& options = {});

// Returns every violation found in |splice|.
std::vector<Violation> Validate(const VmPageSpliceList& splice,
                                const ValidateOptions& options = {});

}  // namespace vmpl

#endif  // VMPL_VALIDATE_H_
