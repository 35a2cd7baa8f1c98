// The one JSON schema of a page list, version 1 (docs/snapshot-format.md, "JSON"): what
// `vmpl inspect --json`, `vmpl demo --json`, `vmpl sim`'s snapshots, `vmpl trace replay --list
// --json` and the TUI's saved snapshots write. Every 64-bit quantity is a "0x..." string; counts
// and slot indices are numbers; each slot carries its text-view content beside its fields.

#ifndef VMPL_MODEL_JSON_VIEW_H_
#define VMPL_MODEL_JSON_VIEW_H_

#include <vmpl/model/snapshot.h>

#include <nlohmann/json.hpp>
#include <string>

namespace vmpl {

inline constexpr const char kSnapshotJsonFormat[] = "vmpl-snapshot";
inline constexpr int kSnapshotJsonVersion = 1;

// {"slot", "offset", "raw", "kind", "text", ...the fields of its kind}.
nlohmann::ordered_json SlotToJson(const SnapshotList& list, size_t index, uint64_t offset,
                                  uint64_t raw);
// One LIST object.
nlohmann::ordered_json ListToJson(const SnapshotList& list);
// The whole document: {"format", "version", "source", "lists", "problems", "problem_count"}.
nlohmann::ordered_json SnapshotToJson(const Snapshot& snapshot);

// |json| as text (2-space indent), bytes that are not valid UTF-8 replaced by U+FFFD: names and
// messages from a target may hold any bytes.
std::string DumpJson(const nlohmann::ordered_json& json);

}  // namespace vmpl

#endif  // VMPL_MODEL_JSON_VIEW_H_
