// Layouts: the layout file's format and checks, `vmpl layout`'s libclang extraction on our own
// headers (it must give exactly the built-in layout) and on a header that lays the same types
// out differently (a 32-bit rank first, other field orders, extra members, the tree links in a
// second base class), and the decoder reading a live program built from that header with the
// extracted layout.

#include <gtest/gtest.h>
#include <unistd.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/layout_extract.h>
#include <vmpl/inspect/layout_file.h>
#include <vmpl/inspect/live_process_source.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "layouts/alt_target_process.h"

namespace {

using vmpl::inspect::BuiltinDecodeLayout;
using vmpl::inspect::DecodeLayout;
using vmpl::inspect::ExtractLayout;
using vmpl::inspect::LayoutToJson;
using vmpl::inspect::ParseLayoutJson;
using vmpl::SnapshotList;
using vmpl::SnapshotNode;

std::string Problems(const SnapshotList& list) {
  std::string out;
  for (const auto& p : list.problems) {
    out += p.message + "\n";
  }
  return out;
}

TEST(LayoutFileTest, BuiltinLayoutRoundTrips) {
  const DecodeLayout builtin = BuiltinDecodeLayout();
  EXPECT_EQ(vmpl::inspect::CheckLayout(builtin), "");
  std::string error;
  const std::optional<DecodeLayout> back = ParseLayoutJson(LayoutToJson(builtin, "test"), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, builtin);
}

TEST(LayoutFileTest, BadFilesAreRefusedNamingTheField) {
  const nlohmann::json good = nlohmann::json::parse(LayoutToJson(BuiltinDecodeLayout(), "test"));
  struct Case {
    const char* pointer;  // JSON pointer to change ("" to replace the whole document)
    nlohmann::json value;
    const char* expected;
  };
  const Case cases[] = {
      {"", nlohmann::json::array(), "not a layout file"},
      {"/format", "vmpl-trace", "not a layout file"},
      {"/version", 2, "version 2: this reader knows version 1"},
      {"/node/key", nullptr, "node.key: null is not an unsigned number"},
      {"/node/key", -8, "node.key: -8 is not an unsigned number"},
      {"/node/key", "0x28junk", "node.key: \"0x28junk\" is not an unsigned number"},
      {"/node/key", 176, "node.key: 8 bytes at 176 run past the node's 176 bytes"},
      {"/node/canary_value", "0x1504c5354", "node.canary_value: 0x1504c5354 is wider than 32"},
      {"/node/fanout", 8, "node.fanout: 8 (this reader handles 16)"},
      {"/node/slots", 49, "node.slots: 128 bytes at 49 run past the node's 176 bytes"},
      {"/node/size", 0, "node.size: 0 (from 1 to 65536)"},
      {"/pointer_size", 3, "pointer_size: 3 (4 or 8)"},
      {"/page_size", 4097, "page_size: 4097 (a power of two"},
      {"/tree/count_size", 2, "tree.count_size: 2 (4 or 8)"},
      {"/splice_list/tail", 400, "splice_list.tail: 176 bytes at 400 run past the splice list's"},
      {"/page/dirty_state_bit", 383, "page.dirty_state_bit: bit 383 runs past the page's 384 bits"},
  };
  for (const Case& c : cases) {
    nlohmann::json changed = good;
    if (std::string(c.pointer).empty()) {
      changed = c.value;
    } else {
      changed[nlohmann::json::json_pointer(c.pointer)] = c.value;
    }
    std::string error;
    EXPECT_FALSE(ParseLayoutJson(changed.dump(), &error)) << c.pointer;
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.pointer << ": " << error;
  }
  nlohmann::json missing = good;
  missing["splice_list"].erase("middle");
  std::string error;
  EXPECT_FALSE(ParseLayoutJson(missing.dump(), &error));
  EXPECT_EQ(error, "splice_list.middle: missing");
  EXPECT_FALSE(ParseLayoutJson("{\"format\": ", &error));
  EXPECT_EQ(error, "not JSON");
  // A layout the decoder is handed directly is checked too: no division by a zero pointer size.
  DecodeLayout broken = BuiltinDecodeLayout();
  broken.pointer_size = 0;
  vmpl::inspect::LiveProcessSource self(getpid());
  const SnapshotList list = vmpl::inspect::DecodePageList(self, 0x1000, broken);
  EXPECT_FALSE(list.complete);
  EXPECT_NE(Problems(list).find("unusable layout: pointer_size: 0"), std::string::npos);
}

TEST(LayoutExtractTest, OurHeadersGiveExactlyTheBuiltinLayout) {
  std::string error;
  const std::optional<DecodeLayout> extracted = ExtractLayout(
      {VMPL_CORE_INCLUDE_DIR "/vm/vm_page_list.h"}, {"-I" VMPL_CORE_INCLUDE_DIR}, &error);
  ASSERT_TRUE(extracted) << error;
  EXPECT_EQ(LayoutToJson(*extracted, ""), LayoutToJson(BuiltinDecodeLayout(), ""));
}

TEST(LayoutExtractTest, HeadersThatDoNotCompileOrLackTheTypesSayWhy) {
  std::string error;
  EXPECT_FALSE(ExtractLayout({VMPL_CORE_INCLUDE_DIR "/vm/vm_page_list.h"}, {}, &error));
  EXPECT_NE(error.find("'align.h' file not found"), std::string::npos) << error;
  EXPECT_NE(error.find("the headers do not compile with these arguments"), std::string::npos);

  EXPECT_FALSE(ExtractLayout({VMPL_CORE_INCLUDE_DIR "/vm/page.h"}, {"-I" VMPL_CORE_INCLUDE_DIR},
                             &error));
  EXPECT_NE(error.find("a page-list type is missing: no type named 'VmPageListNode'"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("so these fields could not be found: page_size, max_size, node.size"),
            std::string::npos)
      << error;

  EXPECT_FALSE(ExtractLayout({"no/such/header.h"}, {}, &error));
  EXPECT_EQ(error, "no/such/header.h: No such file or directory");
}

void ExpectNodeIs(const SnapshotNode& node, const nlohmann::json& expected) {
  EXPECT_EQ(node.address, expected["address"].get<uint64_t>());
  EXPECT_EQ(node.key, expected["key"].get<uint64_t>());
  for (size_t i = 0; i < node.slots.size(); i++) {
    EXPECT_EQ(node.slots[i], expected["slots"][i].get<uint64_t>()) << "slot " << i;
  }
}

void ExpectTreeIs(const SnapshotList& list, const nlohmann::json& expected) {
  ASSERT_EQ(list.nodes.size(), expected.size());
  for (size_t i = 0; i < list.nodes.size(); i++) {
    ExpectNodeIs(list.nodes[i], expected[i]);
  }
}

TEST(LayoutExtractTest, AnotherLayoutIsExtractedAndDecodesALiveTargetBuiltWithIt) {
  std::string error;
  const std::optional<DecodeLayout> layout =
      ExtractLayout({VMPL_ALT_LAYOUT_HEADER}, {}, &error);
  ASSERT_TRUE(layout) << error;
  EXPECT_NE(*layout, BuiltinDecodeLayout());
  EXPECT_EQ(layout->node_rank_size, 4u);

  vmpl::testing::AltTargetProcess target;
  const nlohmann::json& report = target.report();
  ASSERT_TRUE(report.is_object()) << "alt_layout_target printed no report";

  // Every offset its compiler (gcc, or whatever built the test) chose, libclang found.
  const nlohmann::json extracted = nlohmann::json::parse(LayoutToJson(*layout, "")).flatten();
  const nlohmann::json compiled = report["layout"].flatten();
  for (auto it = compiled.begin(); it != compiled.end(); ++it) {
    EXPECT_EQ(extracted[it.key()], it.value()) << it.key();
  }

  vmpl::inspect::LiveProcessSource memory(report["pid"].get<pid_t>());
  const nlohmann::json& list = report["list"];
  const SnapshotList decoded =
      vmpl::inspect::DecodePageList(memory, list["address"].get<uint64_t>(), *layout);
  EXPECT_TRUE(decoded.problems.empty()) << Problems(decoded);
  EXPECT_TRUE(decoded.complete);
  EXPECT_EQ(decoded.skew, list["skew"].get<uint64_t>());
  EXPECT_EQ(decoded.tree_count, list["nodes"].size());
  ExpectTreeIs(decoded, list["nodes"]);

  const nlohmann::json& splice = report["splice"];
  const SnapshotList decoded_splice =
      vmpl::inspect::DecodeSpliceList(memory, splice["address"].get<uint64_t>(), *layout);
  EXPECT_TRUE(decoded_splice.problems.empty()) << Problems(decoded_splice);
  EXPECT_EQ(decoded_splice.splice_offset, splice["offset"].get<uint64_t>());
  EXPECT_EQ(decoded_splice.splice_length, splice["length"].get<uint64_t>());
  EXPECT_EQ(decoded_splice.splice_position, splice["position"].get<uint64_t>());
  EXPECT_EQ(decoded_splice.skew, splice["skew"].get<uint64_t>());
  EXPECT_EQ(decoded_splice.splice_finalized, splice["finalized"].get<bool>());
  ExpectNodeIs(decoded_splice.head, splice["head"]);
  ExpectNodeIs(decoded_splice.tail, splice["tail"]);
  ExpectTreeIs(decoded_splice, splice["nodes"]);

  // The layouts really differ: our own layout reads nonsense from the same target, and says so.
  const SnapshotList misread =
      vmpl::inspect::DecodePageList(memory, list["address"].get<uint64_t>(), BuiltinDecodeLayout());
  EXPECT_FALSE(misread.problems.empty());
}

}  // namespace
