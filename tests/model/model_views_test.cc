// The one text view, JSON schema, entry walk and checker of the model (model/), on snapshots
// built by hand: the exact lines docs/snapshot-format.md promises, the counting vocabulary, the
// splice-list rule for head and tail, and the checker's findings on damaged content.

#include <gtest/gtest.h>
#include <stdint.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <vmpl/model/check.h>
#include <vmpl/model/entries.h>
#include <vmpl/model/json_view.h>
#include <vmpl/model/slot.h>
#include <vmpl/model/snapshot.h>
#include <vmpl/model/text_view.h>

namespace vmpl {
namespace {

constexpr uint32_t kPlst = 0x504c5354;
constexpr uint64_t kPage = 0x1000;
// Raw values of the V2 encoding.
constexpr uint64_t kMarker = 1;
uint64_t Reference(uint64_t value, bool left, bool right) {
  return value | (left ? 8 : 0) | (right ? 4 : 0) | 2;
}
// sentinel: 0 slot, 1 start, 2 end; dirty: 0 untracked, 1 clean, 2 dirty.
uint64_t Interval(uint64_t sentinel, uint64_t dirty, uint64_t awaiting = 0) {
  return awaiting | dirty << 6 | sentinel << 2 | 3;
}

SnapshotNode Node(uint64_t address, uint64_t key) {
  SnapshotNode node;
  node.address = address;
  node.key = key;
  node.canary = kPlst;
  return node;
}

// A skewed list with one of each kind, an interval across two nodes and a one-page interval.
SnapshotList SampleList() {
  SnapshotList list;
  list.address = 0x7000;
  list.registry_id = 3;
  list.name = "vmo:3";
  list.skew = kPage;
  list.tree_count = 2;
  SnapshotNode first = Node(0x8000, 0);
  first.slots[1] = 0x55d0c0e40030;  // a page whose vm_page_t was read
  first.slots[2] = Reference(0x12340, false, true);
  first.slots[3] = kMarker;
  first.slots[4] = 0x55d0c0e40060;  // a page whose vm_page_t was not read
  first.slots[15] = Interval(1, 2, 2 * kPage);
  SnapshotNode second = Node(0x9000, 0x10000);
  second.slots[2] = Interval(2, 2);
  second.slots[9] = Interval(0, 2);
  list.nodes = {first, second};
  list.pages[0x55d0c0e40030] = SnapshotPage{0x103000, true, false, 0};
  return list;
}

std::vector<std::string> Messages(const SnapshotList& list) {
  std::vector<std::string> out;
  for (const Violation& v : CheckList(list)) {
    out.push_back(std::string(ViolationKindName(v.kind)) + ": " + v.message);
  }
  return out;
}

TEST(TextView, ListInTheKernelsWording) {
  const SnapshotList list = SampleList();
  EXPECT_EQ(FormatList(list, /*slots=*/true),
            "list 3 'vmo:3' at 0x7000 (page list): skew 0x1000, 2 nodes, 2 pages, 1 reference, "
            "1 marker, 2 intervals (3 interval sentinels)\n"
            "  node 0x8000 key 0x0 offsets [0x0, 0xf000)\n"
            "    [ 1] offset 0x0 page 0x55d0c0e40030 paddr 0x103000(L.)\n"
            "    [ 2] offset 0x1000 reference 0x12340(.R)\n"
            "    [ 3] offset 0x2000 zero page marker\n"
            "    [ 4] offset 0x3000 page 0x55d0c0e40060\n"
            "    [15] offset 0xe000 page interval start dirty awaiting-clean 0x2000\n"
            "  node 0x9000 key 0x10000 offsets [0xf000, 0x1f000)\n"
            "    [ 2] offset 0x11000 page interval end dirty\n"
            "    [ 9] offset 0x18000 page interval slot dirty\n");
  EXPECT_EQ(FormatList(list, /*slots=*/false).find('\n'), FormatList(list, false).size() - 1);
}

TEST(TextView, ValuesNoListWritesStillGetALine) {
  EXPECT_EQ(SlotContentText(0x5), "zero page marker (raw 0x5)");
  EXPECT_EQ(SlotContentText(Interval(3, 3) | 0x10 | 0x300),
            "page interval sentinel3 dirty-state3 (type 1) (stray bits 0x300)");
  EXPECT_EQ(SlotContentText(Interval(1, 0)), "page interval start untracked");
  EXPECT_EQ(SlotContentText(Reference(0x40, true, true)), "reference 0x40(LR)");
  EXPECT_EQ(SlotContentText(0), "empty");
}

TEST(TextView, TitleEscapesNamesAndMarksIncompleteWalks) {
  SnapshotList list;
  list.address = 0x10;
  EXPECT_EQ(ListLine(list).substr(0, 20), "list at 0x10 (page l");
  list.name = "a'b\\c\x01";
  list.complete = false;
  const std::string line = ListLine(list);
  EXPECT_EQ(line.substr(0, 21), "list 'a\\'b\\\\c\\x01' at");
  EXPECT_EQ(line.substr(line.size() - 11), " INCOMPLETE");
  list.problems.push_back({0x20, "name 'x\x1b[2J'"});
  EXPECT_NE(FormatList(list, false).find("  PROBLEM at 0x20: name 'x\\x1b[2J'\n"),
            std::string::npos);
}

// A splice list whose range starts inside a node: the head holds that node's slots, the middle
// the whole nodes, the tail the node of the range's end; slots outside the range are not entries.
SnapshotList SampleSplice() {
  SnapshotList list;
  list.kind = SnapshotListKind::kSpliceList;
  list.address = 0x5000;
  list.splice_offset = 0xe000;
  list.splice_length = 0x25000;  // [0xe000, 0x33000)
  list.splice_position = 0;
  list.splice_finalized = true;
  list.head = Node(0x5100, 0);
  list.head.slots[14] = kMarker;
  list.tail = Node(0x5200, 0);
  list.tail.slots[2] = Reference(0x20, false, false);
  SnapshotNode middle = Node(0x6000, 0x10000);
  middle.slots[0] = 0x77000;
  list.nodes = {middle};
  return list;
}

TEST(Entries, SpliceHeadMiddleTail) {
  SnapshotList list = SampleSplice();
  const std::vector<ListNode> nodes = ListNodes(list);
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].part, NodePart::kHead);
  EXPECT_EQ(nodes[0].base, 0u);
  EXPECT_EQ(nodes[2].part, NodePart::kTail);
  EXPECT_EQ(nodes[2].base, 0x30000u);
  std::vector<uint64_t> offsets;
  for (const ListEntry& entry : ListEntries(list, nodes)) {
    offsets.push_back(entry.offset);
  }
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0xe000, 0x10000, 0x32000}));
  EXPECT_EQ(FormatList(list, true),
            "list at 0x5000 (splice list): offset 0xe000, length 0x25000, position 0x0, "
            "finalized, skew 0x0, 1 node, 1 page, 1 reference, 1 marker, 0 intervals "
            "(0 interval sentinels)\n"
            "  head node 0x5100 key 0x0 offsets [0x0, 0x10000)\n"
            "    [14] offset 0xe000 zero page marker\n"
            "  node 0x6000 key 0x10000 offsets [0x10000, 0x20000)\n"
            "    [ 0] offset 0x10000 page 0x77000\n"
            "  tail node 0x5200 key 0x0 offsets [0x30000, 0x40000)\n"
            "    [ 2] offset 0x32000 reference 0x20(..)\n");
  // A tail slot past the range is shown where it would be (and the checker names it).
  list.tail.slots[3] = kMarker;
  EXPECT_NE(FormatList(list, true).find("    [ 3] offset 0x33000 zero page marker\n"),
            std::string::npos);
  EXPECT_EQ(Messages(list),
            (std::vector<std::string>{
                "splice: entry lies outside the list's range [0xe000, 0x33000)"}));
}

TEST(Entries, IntervalRangesAreHalfOpen) {
  const SnapshotList list = SampleList();
  const std::vector<ListNode> nodes = ListNodes(list);
  const std::vector<ListEntry> entries = ListEntries(list, nodes);
  ASSERT_EQ(entries.size(), 7u);
  EXPECT_TRUE(entries[4].has_range);
  EXPECT_EQ(entries[4].range_start, 0xe000u);
  EXPECT_EQ(entries[4].range_end, 0x12000u);
  EXPECT_EQ(entries[5].range_start, 0xe000u);
  EXPECT_EQ(entries[6].range_start, 0x18000u);
  EXPECT_EQ(entries[6].range_end, 0x19000u);
  EXPECT_FALSE(entries[0].has_range);
}

TEST(Counts, IntervalsAndSentinelsApart) {
  const SlotCounts counts = CountSlots(SampleList());
  EXPECT_EQ(counts.pages, 2u);
  EXPECT_EQ(counts.references, 1u);
  EXPECT_EQ(counts.markers, 1u);
  EXPECT_EQ(counts.intervals, 2u);
  EXPECT_EQ(counts.interval_sentinels, 3u);
}

TEST(JsonView, SchemaVersionOneFields) {
  Snapshot snapshot;
  snapshot.source = "test";
  snapshot.lists = {SampleList(), SampleSplice()};
  snapshot.lists[0].name = std::string("bad \xff utf-8");
  const nlohmann::ordered_json j = SnapshotToJson(snapshot);
  EXPECT_EQ(j["format"], "vmpl-snapshot");
  EXPECT_EQ(j["version"], 1);
  const nlohmann::ordered_json& list = j["lists"][0];
  EXPECT_EQ(list["skew"], "0x1000");
  EXPECT_EQ(list["counts"]["intervals"], 2);
  EXPECT_EQ(list["counts"]["interval_sentinels"], 3);
  const nlohmann::ordered_json& page = list["nodes"][0]["slots"][0];
  EXPECT_EQ(page["slot"], 1);
  EXPECT_EQ(page["offset"], "0x0");
  EXPECT_EQ(page["kind"], "page");
  EXPECT_EQ(page["paddr"], "0x103000");
  EXPECT_EQ(page["left_split"], true);
  EXPECT_EQ(page["text"], "page 0x55d0c0e40030 paddr 0x103000(L.)");
  EXPECT_FALSE(list["nodes"][0]["slots"][3].contains("paddr"));  // vm_page_t not read
  const nlohmann::ordered_json& start = list["nodes"][0]["slots"][4];
  EXPECT_EQ(start["sentinel"], "start");
  EXPECT_EQ(start["awaiting_clean"], "0x2000");
  EXPECT_EQ(start["range"], nlohmann::ordered_json::array({"0xe000", "0x12000"}));
  EXPECT_EQ(j["lists"][1]["kind"], "splice-list");
  EXPECT_EQ(j["lists"][1]["nodes"][0]["part"], "head");
  // Invalid UTF-8 from a target becomes U+FFFD instead of an exception.
  const std::string text = DumpJson(j);
  EXPECT_NE(text.find("bad \xef\xbf\xbd utf-8"), std::string::npos);
}


TEST(CheckList, ValidListHasNoViolation) {
  const SnapshotList list = SampleList();
  EXPECT_TRUE(Messages(list).empty()) << testing::PrintToString(Messages(list));
  EXPECT_TRUE(CheckList(SampleSplice()).empty())
      << testing::PrintToString(Messages(SampleSplice()));
}

TEST(CheckList, FindsDamage) {
  SnapshotList list = SampleList();
  list.nodes[0].slots[0] = kMarker;             // before offset 0 of a list skewed by a page
  list.nodes[1].canary = 0;                     // wrong canary
  list.nodes[1].slots[3] = kMarker;             // content after the End: fine
  list.nodes[1].slots[10] = Interval(0, 2);     // a Slot touching the Slot before it: not maximal
  list.nodes.push_back(Node(0xa000, 0x20000));  // an empty node
  list.nodes.push_back(Node(0xb000, 0x30008));  // a misaligned key ...
  list.nodes.back().slots[0] = Interval(2, 2);  // ... holding an End with no Start
  const std::vector<std::string> messages = Messages(list);
  auto has = [&](const std::string& text) {
    for (const std::string& m : messages) {
      if (m.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has("slot: slot 0 lies before offset 0")) << testing::PrintToString(messages);
  EXPECT_TRUE(has("node: canary is 0x0, expected 0x504c5354"));
  EXPECT_TRUE(has("maximal: interval starting here touches"));
  EXPECT_TRUE(has("node: node at 0x20000 is empty"));
  EXPECT_TRUE(has("node: node offset 0x30008 is not a multiple of 64 KiB"));
  EXPECT_TRUE(has("interval: interval End with no Start before it"));
  EXPECT_EQ(messages.size(), 6u) << testing::PrintToString(messages);
}

TEST(CheckList, OpenIntervalAndContentInside) {
  SnapshotList list = SampleList();
  list.nodes[1].slots[0] = kMarker;  // inside [0xe000, 0x11000]
  list.nodes[1].slots[2] = 0;        // the End is gone
  EXPECT_EQ(Messages(list),
            (std::vector<std::string>{
                "interval: content 0x1 inside the interval that starts at 0xe000",
                "interval: Slot inside the interval that starts at 0xe000"}));
  list.nodes[1].slots[9] = 0;  // nothing closes it now
  EXPECT_EQ(Messages(list),
            (std::vector<std::string>{
                "interval: content 0x1 inside the interval that starts at 0xe000",
                "interval: interval Start with no End after it"}));
}

TEST(CheckList, SpliceEntriesAgainstPosition) {
  SnapshotList list = SampleSplice();
  list.splice_position = 0x3000;  // finalized: entries before 0x11000 must have been popped
  list.nodes[0].slots[5] = Interval(0, 2);
  const std::vector<std::string> messages = Messages(list);
  EXPECT_EQ(messages,
            (std::vector<std::string>{
                "splice: entry before the position 0x3000 was not popped",
                "splice: entry before the position 0x3000 was not popped",
                "splice: splice list holds an interval sentinel"}))
      << testing::PrintToString(messages);
}

TEST(Snapshot, ContentDigestIgnoresAddressesAndPages) {
  SnapshotList a = SampleList();
  SnapshotList b = SampleList();
  b.address = 0x1;
  b.nodes[0].address = 0x2;
  b.pages.clear();
  EXPECT_EQ(ContentDigest({a}), ContentDigest({b}));
  EXPECT_EQ(DescribeFirstDifference({a}, {b}), "");
  b.nodes[1].slots[9] = 0;
  EXPECT_NE(ContentDigest({a}), ContentDigest({b}));
  EXPECT_EQ(DescribeFirstDifference({a}, {b}),
            "list 3 'vmo:3': node 0x10000 slot 9: 0x83 vs 0x0");
}

}  // namespace
}  // namespace vmpl
