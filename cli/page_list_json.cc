// JSON rendering of PageListDump models (see page_list_json.h).

#include "page_list_json.h"

namespace vmpl::cli {
namespace {

void AddCounts(nlohmann::ordered_json& j, const ContentCounts& counts) {
  j["pages"] = counts.pages;
  j["references"] = counts.references;
  j["markers"] = counts.markers;
  j["intervals"] = counts.intervals;
  j["interval_sentinels"] = counts.interval_sentinels;
}

}  // namespace

nlohmann::ordered_json SlotToJson(const SlotDump& slot) {
  nlohmann::ordered_json j;
  j["index"] = slot.index;
  j["offset"] = slot.offset;
  j["kind"] = SlotKindName(slot.kind);
  j["raw"] = slot.raw;
  switch (slot.kind) {
    case SlotKind::kPage:
      j["page"] = slot.page;
      j["paddr"] = slot.paddr;
      j["left_split"] = slot.left_split;
      j["right_split"] = slot.right_split;
      break;
    case SlotKind::kReference:
      j["reference"] = slot.reference;
      j["left_split"] = slot.left_split;
      j["right_split"] = slot.right_split;
      break;
    case SlotKind::kMarker:
      break;
    case SlotKind::kIntervalStart:
    case SlotKind::kIntervalEnd:
    case SlotKind::kIntervalSlot:
      j["interval_type"] = slot.interval_type;
      j["dirty_state"] = slot.dirty_state;
      if (slot.kind != SlotKind::kIntervalEnd) {
        j["awaiting_clean_length"] = slot.awaiting_clean_length;
      }
      if (slot.interval_range_known) {
        j["interval_start"] = slot.interval_start;
        j["interval_end"] = slot.interval_end;
      }
      break;
  }
  return j;
}

nlohmann::ordered_json ListToJson(const ListDump& list) {
  nlohmann::ordered_json j;
  j["name"] = list.name;
  j["role"] = list.role;
  j["skew"] = list.skew;
  j["nodes"] = list.nodes;
  j["empty_nodes"] = list.empty_nodes;
  j["heap_bytes"] = list.heap_bytes;
  AddCounts(j, list.counts);
  j["valid"] = list.violations.empty();
  j["violations"] = list.violations;
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const NodeDump& node : list.node_dumps) {
    nlohmann::ordered_json n;
    n["key"] = node.key;
    n["first_offset"] = node.first_offset;
    n["end_offset"] = node.end_offset;
    nlohmann::ordered_json slots = nlohmann::ordered_json::array();
    for (const SlotDump& slot : node.slots) {
      slots.push_back(SlotToJson(slot));
    }
    n["slots"] = std::move(slots);
    nodes.push_back(std::move(n));
  }
  j["node_list"] = std::move(nodes);
  return j;
}

nlohmann::ordered_json SpliceToJson(const SpliceDump& splice) {
  nlohmann::ordered_json j;
  j["name"] = splice.name;
  j["role"] = splice.role;
  j["offset"] = splice.offset;
  j["length"] = splice.length;
  j["skew"] = splice.skew;
  j["position"] = splice.position;
  j["finalized"] = splice.finalized;
  j["middle_nodes"] = splice.middle_nodes;
  j["raw_pages"] = splice.raw_pages;
  AddCounts(j, splice.counts);
  j["gaps"] = splice.counts.gaps;
  j["valid"] = splice.violations.empty();
  j["violations"] = splice.violations;
  if (splice.drained) {
    j["drain"] = {{"popped", splice.popped},
                  {"processed", splice.processed_after_drain},
                  {"mismatches", splice.pop_mismatches}};
  }
  nlohmann::ordered_json parts = nlohmann::ordered_json::array();
  for (const SplicePartDump& part : splice.parts) {
    nlohmann::ordered_json p;
    p["name"] = part.name;
    p["start"] = part.start;
    p["end"] = part.end;
    p["positions"] = part.positions;
    AddCounts(p, part.counts);
    p["gaps"] = part.counts.gaps;
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const SlotDump& item : part.items) {
      items.push_back(SlotToJson(item));
    }
    p["items"] = std::move(items);
    parts.push_back(std::move(p));
  }
  j["parts"] = std::move(parts);
  return j;
}

}  // namespace vmpl::cli
