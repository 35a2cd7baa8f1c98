// A Snapshot as JSON: what `vmpl inspect --json` prints and what `vmpl tui` saves with `s`.
// Addresses and raw slot values are hex strings (JSON numbers lose 64-bit precision in many
// readers); every non-empty slot carries its DescribeRawSlot text beside its raw value.

#ifndef VMPL_INSPECT_SNAPSHOT_JSON_H_
#define VMPL_INSPECT_SNAPSHOT_JSON_H_

#include <nlohmann/json.hpp>

#include <vmpl/inspect/snapshot.h>

namespace vmpl::inspect {

nlohmann::ordered_json SnapshotNodeToJson(const SnapshotNode& node);
nlohmann::ordered_json SnapshotListToJson(const SnapshotList& list);
// {"source", "lists": [...], "problems": [...], "problem_count"}.
nlohmann::ordered_json SnapshotToJson(const Snapshot& snapshot);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_SNAPSHOT_JSON_H_
