// The snapshot model moved one layer down, to <vmpl/model/snapshot.h> (namespace vmpl). These
// names keep inspect's callers compiling while they move over; new code uses the vmpl:: names.

#ifndef VMPL_INSPECT_SNAPSHOT_H_
#define VMPL_INSPECT_SNAPSHOT_H_

#include <vmpl/model/snapshot.h>

namespace vmpl::inspect {

using vmpl::Snapshot;
using vmpl::SnapshotList;
using vmpl::SnapshotListKind;
using vmpl::SnapshotNode;
using vmpl::SnapshotPage;
using vmpl::SnapshotProblem;

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_SNAPSHOT_H_
