// vmpl::DecodeRawSlot (model/src/slot.cc), the one C++ slot decoder, against the shared slot vectors,
// tests/vectors/slots.json: the same file gdb/vmpl/decode.py is checked against (slot_vectors.cmake
// runs that check too), so the C++ inspector and the gdb printers decode every raw value alike.
// Also checks that the file itself still covers every kind, split combination, sentinel and dirty
// state, so a vector dropped by an edit fails here rather than silently narrowing both checks.

#include <gtest/gtest.h>
#include <stdint.h>
#include <vmpl/model/slot.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "vectors/vector_file.h"

namespace vmpl {
namespace {

using nlohmann::json;

json LoadVectors() { return test::LoadVectorFile(VMPL_SLOT_VECTORS); }

// "0x..." to a number; ADD_FAILURE (and 0) for anything else.
uint64_t ParseHex(const json& value) {
  if (!value.is_string()) {
    ADD_FAILURE() << "not a hex string: " << value.dump();
    return 0;
  }
  const std::string text = value.get<std::string>();
  if (text.size() < 3 || text.size() > 18 || text.compare(0, 2, "0x") != 0 ||
      text.find_first_not_of("0123456789abcdef", 2) != std::string::npos) {
    ADD_FAILURE() << "not a lower-case 0x hex string of at most 64 bits: " << text;
    return 0;
  }
  return std::stoull(text.substr(2), nullptr, 16);
}

// The keys a vector of |kind| must have: exactly these, so a field decode.py or DecodeRawSlot
// does not produce cannot creep into the file unchecked ("comment" is free text for readers).
std::set<std::string> KeysOf(const std::string& kind) {
  std::set<std::string> keys = {"raw", "kind", "text", "comment"};
  if (kind == "page") {
    keys.insert("page");
  } else if (kind == "reference") {
    keys.insert({"reference", "left_split", "right_split"});
  } else if (kind == "interval") {
    keys.insert({"sentinel", "dirty", "awaiting_clean"});
  }
  return keys;
}

TEST(SlotVectors, FileHeader) {
  const json doc = LoadVectors();
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.value("format", ""), "vmpl-slot-vectors");
  EXPECT_EQ(doc.value("version", 0), 1);
  ASSERT_TRUE(doc.contains("vectors") && doc["vectors"].is_array());
  EXPECT_GE(doc["vectors"].size(), 40u);
}

TEST(SlotVectors, EveryVectorDecodes) {
  const json doc = LoadVectors();
  ASSERT_TRUE(doc.contains("vectors") && doc["vectors"].is_array());
  std::set<uint64_t> seen;
  for (const json& vector : doc["vectors"]) {
    ASSERT_TRUE(vector.is_object());
    SCOPED_TRACE(vector.dump());
    const uint64_t raw = ParseHex(vector["raw"]);
    EXPECT_TRUE(seen.insert(raw).second) << "duplicate vector";
    const std::string kind = vector.value("kind", "");
    std::set<std::string> keys;
    for (const auto& item : vector.items()) {
      keys.insert(item.key());
    }
    EXPECT_EQ(keys, KeysOf(kind));

    const DecodedSlot slot = DecodeRawSlot(raw);
    EXPECT_EQ(SlotKindName(slot.kind), kind);
    if (kind == "page") {
      EXPECT_EQ(slot.page, ParseHex(vector["page"]));
    } else if (kind == "reference") {
      EXPECT_EQ(slot.reference, ParseHex(vector["reference"]));
      EXPECT_EQ(slot.left_split, vector.value("left_split", !slot.left_split));
      EXPECT_EQ(slot.right_split, vector.value("right_split", !slot.right_split));
    } else if (kind == "interval") {
      EXPECT_EQ(SlotSentinelName(slot.sentinel), vector.value("sentinel", ""));
      EXPECT_EQ(SlotDirtyStateName(slot.dirty), vector.value("dirty", ""));
      ASSERT_TRUE(vector["awaiting_clean"].is_number_unsigned());
      EXPECT_EQ(slot.awaiting_clean, vector["awaiting_clean"].get<uint64_t>());
    }
  }
}

// The fields a kind does not have stay zero, whatever the other bits hold.
TEST(SlotVectors, OtherKindsFieldsStayZero) {
  const DecodedSlot page = DecodeRawSlot(0xfffffffffffffffc);
  EXPECT_EQ(page.reference, 0u);
  EXPECT_FALSE(page.left_split || page.right_split);
  EXPECT_EQ(page.awaiting_clean, 0u);
  const DecodedSlot interval = DecodeRawSlot(0xffffffffffffffff);
  EXPECT_EQ(interval.page, 0u);
  EXPECT_EQ(interval.reference, 0u);
  const DecodedSlot marker = DecodeRawSlot(0xfffffffffffffff1);
  EXPECT_EQ(marker.page, 0u);
  EXPECT_EQ(marker.awaiting_clean, 0u);
}

TEST(SlotVectors, FileCoversEveryCase) {
  const json doc = LoadVectors();
  ASSERT_TRUE(doc.contains("vectors") && doc["vectors"].is_array());
  std::set<std::string> kinds;
  std::set<std::string> splits;
  std::set<std::string> interval_states;
  std::set<uint64_t> raws;
  bool awaiting_clean = false;
  for (const json& vector : doc["vectors"]) {
    raws.insert(ParseHex(vector["raw"]));
    const std::string kind = vector.value("kind", "");
    kinds.insert(kind);
    if (kind == "reference") {
      splits.insert(std::string(vector.value("left_split", false) ? "L" : ".") +
                    (vector.value("right_split", false) ? "R" : "."));
    } else if (kind == "interval") {
      interval_states.insert(vector.value("sentinel", "") + "/" + vector.value("dirty", ""));
      awaiting_clean |= vector.value("awaiting_clean", uint64_t{0}) != 0;
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"empty", "page", "marker", "reference", "interval"}));
  EXPECT_EQ(splits, (std::set<std::string>{"..", "L.", ".R", "LR"}));
  EXPECT_EQ(interval_states.size(), 16u) << "every sentinel with every dirty state";
  EXPECT_TRUE(awaiting_clean);
  // The worked encodings of docs/semantics.md section 2.2.
  for (uint64_t worked : {0x87, 0x8B, 0x83, 0x3087, 0x1A, 0x16, 0x1E}) {
    EXPECT_TRUE(raws.count(worked)) << std::hex << "missing worked encoding 0x" << worked;
  }
}

}  // namespace
}  // namespace vmpl
