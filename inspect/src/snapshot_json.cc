// Snapshot -> JSON (snapshot_json.h).

#include "vmpl/inspect/snapshot_json.h"

#include <fmt/format.h>

#include "vmpl/inspect/raw_slot.h"

namespace vmpl::inspect {
namespace {

nlohmann::ordered_json ProblemsToJson(const std::vector<SnapshotProblem>& problems) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const SnapshotProblem& p : problems) {
    out.push_back({{"address", fmt::format("{:#x}", p.address)}, {"message", p.message}});
  }
  return out;
}

}  // namespace

nlohmann::ordered_json SnapshotNodeToJson(const SnapshotNode& node) {
  nlohmann::ordered_json slots = nlohmann::ordered_json::array();
  for (size_t i = 0; i < node.slots.size(); i++) {
    if (node.slots[i] != 0) {
      slots.push_back({{"index", i},
                       {"raw", fmt::format("{:#x}", node.slots[i])},
                       {"decoded", DescribeRawSlot(node.slots[i])}});
    }
  }
  return {{"address", fmt::format("{:#x}", node.address)},
          {"key", node.key},
          {"canary", fmt::format("{:#010x}", node.canary)},
          {"slots", std::move(slots)}};
}

nlohmann::ordered_json SnapshotListToJson(const SnapshotList& list) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const SnapshotNode& node : list.nodes) {
    nodes.push_back(SnapshotNodeToJson(node));
  }
  nlohmann::ordered_json j = {
      {"address", fmt::format("{:#x}", list.address)},
      {"registry_id", list.registry_id},
      {"name", list.name},
      {"kind", list.kind == SnapshotListKind::kSpliceList ? "splice" : "page-list"},
      {"skew", list.skew},
      {"tree_count", list.tree_count},
      {"complete", list.complete},
      {"nodes", std::move(nodes)},
      {"problems", ProblemsToJson(list.problems)}};
  if (list.kind == SnapshotListKind::kSpliceList) {
    j["splice"] = {{"offset", list.splice_offset},
                   {"length", list.splice_length},
                   {"position", list.splice_position},
                   {"finalized", list.splice_finalized},
                   {"head", SnapshotNodeToJson(list.head)},
                   {"tail", SnapshotNodeToJson(list.tail)}};
  }
  return j;
}

nlohmann::ordered_json SnapshotToJson(const Snapshot& snapshot) {
  nlohmann::ordered_json j;
  j["source"] = snapshot.source;
  nlohmann::ordered_json lists = nlohmann::ordered_json::array();
  for (const SnapshotList& list : snapshot.lists) {
    lists.push_back(SnapshotListToJson(list));
  }
  j["lists"] = std::move(lists);
  j["problems"] = ProblemsToJson(snapshot.problems);
  j["problem_count"] = snapshot.problem_count();
  return j;
}

}  // namespace vmpl::inspect
