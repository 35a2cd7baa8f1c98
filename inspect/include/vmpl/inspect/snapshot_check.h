// The checker of a snapshot moved one layer down, to <vmpl/model/check.h> (namespace vmpl): the
// same code vmpl::Validate runs on our own lists. These names keep inspect's callers compiling
// while they move over.

#ifndef VMPL_INSPECT_SNAPSHOT_CHECK_H_
#define VMPL_INSPECT_SNAPSHOT_CHECK_H_

#include <vmpl/inspect/snapshot.h>
#include <vmpl/model/check.h>

namespace vmpl::inspect {

using vmpl::CheckSnapshot;
using vmpl::CheckSnapshotList;

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_SNAPSHOT_CHECK_H_
