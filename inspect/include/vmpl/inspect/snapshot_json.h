// The JSON view moved one layer down, to <vmpl/model/json_view.h> (namespace vmpl): the one
// schema of docs/snapshot-format.md. This name keeps inspect's callers compiling while they move
// over.

#ifndef VMPL_INSPECT_SNAPSHOT_JSON_H_
#define VMPL_INSPECT_SNAPSHOT_JSON_H_

#include <vmpl/inspect/snapshot.h>
#include <vmpl/model/json_view.h>

namespace vmpl::inspect {

using vmpl::SnapshotToJson;

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_SNAPSHOT_JSON_H_
