// The core's invariant checker (vmpl::Validate) applied to a Snapshot: the decoded lists are
// rebuilt in real VmPageList / VmPageSpliceList objects (raw values copied, never interpreted)
// and validated, and each violation is reported at the address of the node it is about in the
// target. Interval pairing, maximality, empty nodes, slot encodings and splice content are thus
// checked by the very code that checks our own lists, on memory that is not ours.

#ifndef VMPL_INSPECT_SNAPSHOT_CHECK_H_
#define VMPL_INSPECT_SNAPSHOT_CHECK_H_

#include <vmpl/inspect/snapshot.h>

namespace vmpl::inspect {

// Appends the violations of |list| to list.problems (addresses translated to the target's).
// Lists whose walk was incomplete are checked as far as they were read.
void CheckSnapshotList(SnapshotList& list);
// CheckSnapshotList for every list of |snapshot|.
void CheckSnapshot(Snapshot& snapshot);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_SNAPSHOT_CHECK_H_
