// The one text view and JSON schema (model/src/text_view.cc, json_view.cc) against the shared
// whole-list vectors, tests/vectors/lists.json: the file gdb/vmpl/text.py is checked against too
// (CTest gdb_text_list_vectors), so `vmpl inspect`, `vmpl demo`, `vmpl trace replay --list`, the
// TUI and gdb's `vmpl dump` print every list with the same lines and the same JSON.

#include <gtest/gtest.h>
#include <stdint.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <vmpl/model/json_view.h>
#include <vmpl/model/snapshot.h>
#include <vmpl/model/text_view.h>

#include "vectors/vector_file.h"

namespace vmpl {
namespace {

using nlohmann::json;

uint64_t Hex(const json& value) { return std::stoull(value.get<std::string>(), nullptr, 16); }

SnapshotNode NodeFrom(const json& j) {
  SnapshotNode node;
  node.address = Hex(j["address"]);
  node.key = Hex(j["key"]);
  node.canary = static_cast<uint32_t>(Hex(j["canary"]));
  for (size_t i = 0; i < node.slots.size(); i++) {
    node.slots[i] = Hex(j["slots"][i]);
  }
  return node;
}

// The vector's input as the model holds it.
SnapshotList ListFrom(const json& j) {
  SnapshotList list;
  list.address = Hex(j["address"]);
  list.registry_id = j["registry_id"].is_null() ? 0 : j["registry_id"].get<uint64_t>();
  list.name = j["name"].is_null() ? "" : j["name"].get<std::string>();
  list.kind = j["kind"] == "splice-list" ? SnapshotListKind::kSpliceList
                                         : SnapshotListKind::kPageList;
  list.skew = Hex(j["skew"]);
  list.tree_count = j["tree_count"].get<uint64_t>();
  list.complete = j["complete"].get<bool>();
  if (list.kind == SnapshotListKind::kSpliceList) {
    list.splice_offset = Hex(j["splice"]["offset"]);
    list.splice_length = Hex(j["splice"]["length"]);
    list.splice_position = Hex(j["splice"]["position"]);
    list.splice_finalized = j["splice"]["finalized"].get<bool>();
  }
  for (const json& node : j["nodes"]) {
    if (node.value("part", "middle") == "head") {
      list.head = NodeFrom(node);
    } else if (node.value("part", "middle") == "tail") {
      list.tail = NodeFrom(node);
    } else {
      list.nodes.push_back(NodeFrom(node));
    }
  }
  for (const auto& [address, page] : j["pages"].items()) {
    list.pages[std::stoull(address, nullptr, 16)] =
        SnapshotPage{Hex(page["paddr"]), page["left_split"].get<bool>(),
                     page["right_split"].get<bool>(), 0};
  }
  for (const json& problem : j["problems"]) {
    list.problems.push_back({Hex(problem["address"]), problem["message"].get<std::string>()});
  }
  return list;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TEST(ListVectors, TextAndJsonOfEveryList) {
  const json doc = test::LoadVectorFile(VMPL_LIST_VECTORS);
  ASSERT_EQ(doc["format"], "vmpl-list-vectors");
  ASSERT_EQ(doc["version"], 1);
  size_t checked = 0;
  for (size_t i = 0; i < doc["vectors"].size(); i++) {
    const json& vector = doc["vectors"][i];
    SCOPED_TRACE("vector " + std::to_string(i) + ": " + vector.value("comment", ""));
    // Every C++ layout has a splice list's finalized flag; a vector of a layout without one is
    // the gdb package's alone.
    if (vector["list"].contains("splice") && vector["list"]["splice"]["finalized"].is_null()) {
      continue;
    }
    const SnapshotList list = ListFrom(vector["list"]);
    EXPECT_EQ(Lines(FormatList(list, /*slots=*/true)),
              vector["text"].get<std::vector<std::string>>());
    EXPECT_EQ(json::parse(DumpJson(ListToJson(list))), vector["json"]);
    checked++;
  }
  EXPECT_GE(checked, 12u) << "the vectors must cover every kind of list";
}

}  // namespace
}  // namespace vmpl
