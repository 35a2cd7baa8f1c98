// The one JSON schema of a page list (see json_view.h and docs/snapshot-format.md).

#include <fmt/format.h>
#include <vmpl/model/entries.h>
#include <vmpl/model/json_view.h>
#include <vmpl/model/slot.h>
#include <vmpl/model/text_view.h>

namespace vmpl {
namespace {

std::string Hex(uint64_t value) { return fmt::format("{:#x}", value); }

nlohmann::ordered_json ProblemsToJson(const std::vector<SnapshotProblem>& problems) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const SnapshotProblem& p : problems) {
    out.push_back({{"address", Hex(p.address)}, {"message", p.message}});
  }
  return out;
}

nlohmann::ordered_json RangeToJson(const ListEntry& entry) {
  return nlohmann::ordered_json::array({Hex(entry.range_start), Hex(entry.range_end)});
}

}  // namespace

nlohmann::ordered_json SlotToJson(const SnapshotList& list, size_t index, uint64_t offset,
                                  uint64_t raw) {
  const DecodedSlot slot = DecodeRawSlot(raw);
  const SnapshotPage* page = slot.kind == SlotKind::kPage ? list.page(slot.page) : nullptr;
  nlohmann::ordered_json j = {{"slot", index},
                              {"offset", Hex(offset)},
                              {"raw", Hex(raw)},
                              {"kind", SlotKindName(slot.kind)},
                              {"text", SlotContentText(raw, page)}};
  switch (slot.kind) {
    case SlotKind::kEmpty:
    case SlotKind::kMarker:
      break;
    case SlotKind::kPage:
      j["page"] = Hex(slot.page);
      if (page != nullptr) {
        j["paddr"] = Hex(page->paddr);
        j["left_split"] = page->left_split;
        j["right_split"] = page->right_split;
      }
      break;
    case SlotKind::kReference:
      j["reference"] = Hex(slot.reference);
      j["left_split"] = slot.left_split;
      j["right_split"] = slot.right_split;
      break;
    case SlotKind::kInterval:
      j["sentinel"] = SlotSentinelName(slot.sentinel);
      j["dirty"] = SlotDirtyStateName(slot.dirty);
      j["awaiting_clean"] = Hex(slot.awaiting_clean);
      break;
  }
  return j;
}

nlohmann::ordered_json ListToJson(const SnapshotList& list) {
  const std::vector<ListNode> nodes = ListNodes(list);
  const std::vector<ListEntry> entries = ListEntries(list, nodes);
  const SlotCounts counts = CountSlots(entries);
  nlohmann::ordered_json nodes_json = nlohmann::ordered_json::array();
  size_t next = 0;
  for (const ListNode& node : nodes) {
    nlohmann::ordered_json slots = nlohmann::ordered_json::array();
    for (; next < entries.size() && entries[next].node == &node; next++) {
      const ListEntry& entry = entries[next];
      nlohmann::ordered_json slot = SlotToJson(list, entry.index, entry.offset, entry.raw);
      if (entry.has_range) {
        slot["range"] = RangeToJson(entry);
      }
      slots.push_back(std::move(slot));
    }
    nlohmann::ordered_json n = {{"address", Hex(node.node->address)},
                                {"key", Hex(node.node->key)},
                                {"canary", fmt::format("{:#010x}", node.node->canary)},
                                {"first_offset", Hex(node.first_offset())},
                                {"end_offset", Hex(node.end_offset())}};
    if (list.kind == SnapshotListKind::kSpliceList) {
      n["part"] = NodePartName(node.part, list.kind);
    }
    n["slots"] = std::move(slots);
    nodes_json.push_back(std::move(n));
  }
  nlohmann::ordered_json j = {
      {"address", Hex(list.address)},
      // null when the list was not found through the registry / has no name.
      {"registry_id", list.registry_id != 0 ? nlohmann::ordered_json(list.registry_id) : nullptr},
      {"name",
       list.registry_id != 0 || !list.name.empty() ? nlohmann::ordered_json(list.name) : nullptr},
      {"kind", list.kind == SnapshotListKind::kSpliceList ? "splice-list" : "page-list"},
      {"skew", Hex(list.skew)},
      {"tree_count", list.tree_count},
      {"complete", list.complete},
      {"counts",
       {{"nodes", list.nodes.size()},
        {"pages", counts.pages},
        {"references", counts.references},
        {"markers", counts.markers},
        {"intervals", counts.intervals},
        {"interval_sentinels", counts.interval_sentinels}}}};
  if (list.kind == SnapshotListKind::kSpliceList) {
    j["splice"] = {{"offset", Hex(list.splice_offset)},
                   {"length", Hex(list.splice_length)},
                   {"position", Hex(list.splice_position)},
                   {"finalized", list.splice_finalized}};
  }
  j["nodes"] = std::move(nodes_json);
  j["problems"] = ProblemsToJson(list.problems);
  return j;
}

nlohmann::ordered_json SnapshotToJson(const Snapshot& snapshot) {
  nlohmann::ordered_json j;
  j["format"] = kSnapshotJsonFormat;
  j["version"] = kSnapshotJsonVersion;
  j["source"] = snapshot.source;
  nlohmann::ordered_json lists = nlohmann::ordered_json::array();
  for (const SnapshotList& list : snapshot.lists) {
    lists.push_back(ListToJson(list));
  }
  j["lists"] = std::move(lists);
  j["problems"] = ProblemsToJson(snapshot.problems);
  j["problem_count"] = snapshot.problem_count();
  return j;
}

std::string DumpJson(const nlohmann::ordered_json& json) {
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace vmpl
