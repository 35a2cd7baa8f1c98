// The TUI's detail views (tui/): the slot detail, intervals, splice list, problems and help panes,
// drawn into fixed-size frames whose glyphs and styles are compared with golden files in
// tests/tui/golden/views_*.txt. Page lists and splice lists are built with the core, read back
// through a LiveProcessSource on our own pid and decoded as `vmpl inspect` does; damage no core
// writes (broken intervals, invalid sentinels, decoder problems) comes from hand-made snapshots.
//
// Heap addresses (lists, nodes, pages) change from run to run, so golden frames never show them:
// decoded lists get fixed list and node addresses before they are drawn (FixAddresses), page
// slots are checked with substrings, and reference values are fixed ones, not the allocator's
// counter. VMPL_UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_allocator.h>
#include <vmpl/tui/frame.h>
#include <vmpl/tui/help_view.h>
#include <vmpl/tui/intervals_view.h>
#include <vmpl/tui/problems_view.h>
#include <vmpl/tui/slot_detail.h>
#include <vmpl/tui/source.h>
#include <vmpl/tui/splice_view.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "golden.h"

namespace {

using vmpl::testing::Both;
using vmpl::testing::ExpectGolden;

using testing::HasSubstr;
using testing::Not;
using vmpl::inspect::BuiltinDecodeLayout;
using vmpl::inspect::DecodePageList;
using vmpl::inspect::DecodeSpliceList;
using vmpl::inspect::LiveProcessSource;
using vmpl::SlotDirtyState;
using vmpl::Snapshot;
using vmpl::SnapshotList;
using vmpl::SnapshotListKind;
using vmpl::tui::Frame;
using vmpl::tui::IntervalsView;
using vmpl::tui::PageStruct;
using vmpl::tui::ProblemsView;
using vmpl::tui::Style;

constexpr uint64_t kNode = VmPageListNode::kPageFanOut * PAGE_SIZE;

// Raw interval sentinels encoded as docs/semantics.md section 2.2 says, for hand-made snapshots.
constexpr uint64_t kInterval = 0x3;
constexpr uint64_t kSlotSentinel = 0 << 2, kStart = 1 << 2, kEnd = 2 << 2, kBadSentinel = 3 << 2;
constexpr uint64_t kUntracked = 0 << 6, kClean = 1 << 6, kDirtyBits = 2 << 6, kBadDirty = 3 << 6;

// A reference value far above what the allocator's counter reaches in a test, so that it is
// fixed from run to run and never one the allocator handed out.
constexpr uint64_t kFixedReference = uint64_t{0xfeed} << 32;

void ReleaseContent(VmPageOrMarker&& content) {
  if (content.IsPage()) {
    vmpl::PageAllocator::Get().FreePage(content.ReleasePage());
  } else if (content.IsReference()) {
    const uint64_t value = content.ReleaseReference().value();
    if (vmpl::PageAllocator::Get().IsLiveReference(value)) {
      vmpl::PageAllocator::Get().FreeReference(value);
    }
  }
}

// A page list that frees what it holds when the test is done with it.
class TestList {
 public:
  explicit TestList(uint64_t skew_pages = 0) {
    if (skew_pages != 0) {
      list_.InitializeSkew(0, skew_pages * PAGE_SIZE);
    }
  }
  ~TestList() {
    list_.RemoveAllContent([](VmPageOrMarker&& p) { ReleaseContent(std::move(p)); });
  }

  VmPageList& list() { return list_; }

  void Set(uint64_t page, VmPageOrMarker content) {
    auto [slot, in_interval] =
        list_.LookupOrAllocate(page * PAGE_SIZE, VmPageList::IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    ASSERT_TRUE(slot->IsEmpty());
    *slot = std::move(content);
  }
  void Page(uint64_t page) {
    Set(page, VmPageOrMarker::Page(vmpl::PageAllocator::Get().AllocPage()));
  }
  void Marker(uint64_t page) { Set(page, VmPageOrMarker::Marker()); }
  // A reference with a fixed value (see kFixedReference), not one from the allocator.
  void Reference(uint64_t page, uint64_t value, bool left, bool right) {
    Set(page, VmPageOrMarker::Reference(VmPageOrMarker::ReferenceValue(value), left, right));
  }
  void Interval(uint64_t first_page, uint64_t end_page) {
    ASSERT_EQ(list_.AddZeroInterval(first_page * PAGE_SIZE, end_page * PAGE_SIZE,
                                    VmPageOrMarker::IntervalDirtyState::Dirty),
              ZX_OK);
  }

  SnapshotList Snapshot() {
    LiveProcessSource memory(getpid());
    SnapshotList s =
        DecodePageList(memory, reinterpret_cast<uintptr_t>(&list_), BuiltinDecodeLayout());
    EXPECT_TRUE(s.problems.empty());
    return s;
  }

 private:
  VmPageList list_;
};

// Fixed list and node addresses in place of the heap's, for golden frames.
void FixAddresses(SnapshotList& s) {
  s.address = 0xa000;
  s.head.address = 0xa100;
  s.tail.address = 0xa200;
  for (size_t i = 0; i < s.nodes.size(); i++) {
    s.nodes[i].address = 0xb0000 + i * 0x100;
  }
}

// Where slot |slot| of |node| sits in memory, in this build's layout.
uint64_t SlotAddress(const vmpl::SnapshotNode& node, int slot) {
  const auto layout = BuiltinDecodeLayout();
  return node.address + layout.node_slots_offset + static_cast<uint64_t>(slot) * layout.slot_size;
}

// The text of line |row| of |frame|, trailing spaces trimmed.
std::string Line(const Frame& frame, int row) {
  std::istringstream lines(frame.ToText());
  std::string line;
  for (int i = 0; i <= row && std::getline(lines, line); i++) {
  }
  return line;
}

// The first |width| cells of |line|, trailing spaces trimmed (as ToText trims them).
std::string Clip(const std::string& line, size_t width) {
  std::string out = line.substr(0, width);
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

// True if some cell of |frame| has |style|.
bool HasStyle(const Frame& frame, Style style) {
  for (int y = 0; y < frame.height(); y++) {
    for (int x = 0; x < frame.width(); x++) {
      if (frame.at(x, y).style == style) {
        return true;
      }
    }
  }
  return false;
}

std::string RenderDetail(const SnapshotList& s, const vmpl::SnapshotNode& node, int slot,
                         int width, int height, const PageStruct* page = nullptr,
                         std::string_view error = "") {
  Frame frame(width, height);
  vmpl::tui::RenderSlotDetail(frame, 0, 0, width, height, s, node, slot, SlotAddress(node, slot),
                              page, error);
  return Both(frame);
}

// ---------------------------------------------------------------------------------------------
// Slot detail

TEST(SlotDetailTest, Marker) {
  TestList list;
  list.Page(0);
  list.Marker(18);
  SnapshotList s = list.Snapshot();
  s.name = "vmo:1/marker";
  FixAddresses(s);
  ASSERT_EQ(s.nodes.size(), 2u);
  ExpectGolden("views_slot_marker", RenderDetail(s, s.nodes[1], 2, 64, 12));
}

TEST(SlotDetailTest, ReferenceWithBothSplitBits) {
  TestList list;
  list.Reference(5, kFixedReference, true, true);
  SnapshotList s = list.Snapshot();
  s.name = "vmo:2/refs";
  FixAddresses(s);
  ExpectGolden("views_slot_reference", RenderDetail(s, s.nodes[0], 5, 64, 13));
}

TEST(SlotDetailTest, DirtyIntervalStartAwaitingClean) {
  TestList list;
  list.Interval(3, 20);
  list.list().LookupMutable(3 * PAGE_SIZE).SetZeroIntervalAwaitingCleanLength(5 * PAGE_SIZE);
  SnapshotList s = list.Snapshot();
  s.name = "vmo:3/zero";
  FixAddresses(s);
  ExpectGolden("views_slot_interval_start", RenderDetail(s, s.nodes[0], 3, 64, 14));
  // The end sentinel, in the next node.
  ASSERT_EQ(s.nodes.size(), 2u);
  ExpectGolden("views_slot_interval_end", RenderDetail(s, s.nodes[1], 3, 64, 14));
}

// In the first node of a list skewed by 3 pages, slots 0..2 come before the VMO's start.
TEST(SlotDetailTest, NegativeVmoOffsetUnderSkew) {
  TestList list(3);
  list.Marker(0);
  SnapshotList s = list.Snapshot();
  s.name = "vmo:4/skewed";
  FixAddresses(s);
  ASSERT_EQ(s.skew, 3 * PAGE_SIZE);
  ExpectGolden("views_slot_skewed", RenderDetail(s, s.nodes[0], 1, 64, 10));
  Frame frame(64, 10);
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 64, 10, s, s.nodes[0], 3, 0, nullptr, "");
  EXPECT_THAT(frame.ToText(), HasSubstr("vmo offset: 0x0\n"));
}

TEST(SlotDetailTest, InvalidSentinelAndDirtyStateAreProblems) {
  SnapshotList s;
  s.name = "damaged";
  s.nodes.resize(1);
  s.nodes[0].address = 0x1000;
  s.nodes[0].slots[0] = kInterval | kBadSentinel | kDirtyBits;
  s.nodes[0].slots[1] = kInterval | kStart | kBadDirty;
  ExpectGolden("views_slot_invalid", RenderDetail(s, s.nodes[0], 0, 64, 12));

  Frame frame(64, 12);
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 64, 12, s, s.nodes[0], 1, 0, nullptr, "");
  EXPECT_THAT(frame.ToText(), HasSubstr("dirty state: 3: invalid"));
  EXPECT_TRUE(HasStyle(frame, Style::kProblem));
}

TEST(SlotDetailTest, EmptySlotAndBadIndex) {
  SnapshotList s;
  s.nodes.resize(1);
  Frame frame(64, 10);
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 64, 10, s, s.nodes[0], 7, 0x1038, nullptr, "");
  EXPECT_THAT(frame.ToText(), HasSubstr("kind: empty"));
  EXPECT_THAT(frame.ToText(), HasSubstr("list: - (page list at 0x0)"));
  frame.Clear();
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 64, 10, s, s.nodes[0], 16, 0, nullptr, "");
  EXPECT_THAT(frame.ToText(), HasSubstr("slot: 16: not a slot index (0..15)"));
  EXPECT_THAT(frame.ToText(), Not(HasSubstr("raw")));
}

// A real page whose vm_page_t has its split bits set and a dirty state; the PageStruct is filled
// from its bytes as a source would. Page addresses vary, so this checks substrings.
TEST(SlotDetailTest, PageWithItsVmPage) {
  TestList list;
  list.Page(2);
  VmPageOrMarkerRef slot = list.list().LookupMutable(2 * PAGE_SIZE);
  slot.SetPageOrRefLeftSplit(true);
  vm_page_t* page = slot->Page();
  page->object.dirty_state = 2;
  PageStruct info;
  info.address = reinterpret_cast<uintptr_t>(page);
  info.bytes.resize(sizeof(vm_page_t));
  memcpy(info.bytes.data(), page, sizeof(vm_page_t));
  info.left_split = page->object.cow_left_split;
  info.right_split = page->object.cow_right_split;
  info.dirty_state = page->object.dirty_state;

  const SnapshotList s = list.Snapshot();
  Frame frame(80, 24);
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 80, 24, s, s.nodes[0], 2, SlotAddress(s.nodes[0], 2),
                              &info, "");
  const std::string text = frame.ToText();
  char hex[32];
  snprintf(hex, sizeof(hex), "%#lx", static_cast<unsigned long>(info.address));
  EXPECT_THAT(text, HasSubstr("kind: page\n"));
  EXPECT_THAT(text, HasSubstr(std::string("page: ") + hex + "\n"));
  EXPECT_THAT(text, HasSubstr(std::string("vm_page_t: at ") + hex + ", 48 bytes"));
  EXPECT_THAT(text, HasSubstr("left split: yes\n"));
  EXPECT_THAT(text, HasSubstr("right split: no\n"));
  EXPECT_THAT(text, HasSubstr("page dirty: 2 Dirty\n"));
  // Three lines of 16 bytes; the bit-fields sit at 0x29 (split bits) and 0x2a (dirty state).
  EXPECT_THAT(text, HasSubstr("+0x00: "));
  EXPECT_THAT(text, HasSubstr("+0x10: "));
  char expected_row[64];
  snprintf(expected_row, sizeof(expected_row),
           "+0x20: %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x 02", info.bytes[0x20],
           info.bytes[0x21], info.bytes[0x22], info.bytes[0x23], info.bytes[0x24], info.bytes[0x25],
           info.bytes[0x26], info.bytes[0x27], info.bytes[0x28], info.bytes[0x29]);
  EXPECT_THAT(text, HasSubstr(expected_row));
  EXPECT_EQ(info.bytes[0x29] & 0x20, 0x20) << "cow_left_split is bit 5 of byte 0x29";
  EXPECT_THAT(text, Not(HasSubstr("+0x30")));
  EXPECT_FALSE(HasStyle(frame, Style::kProblem));

  // A dirty state no kernel writes, then a page the source could not read.
  info.dirty_state = 7;
  frame.Clear();
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 80, 24, s, s.nodes[0], 2, 0, &info, "");
  EXPECT_THAT(frame.ToText(), HasSubstr("page dirty: 7: invalid"));
  EXPECT_TRUE(HasStyle(frame, Style::kProblem));
  frame.Clear();
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 80, 24, s, s.nodes[0], 2, 0, nullptr,
                              "no target memory to read the vm_page_t from");
  EXPECT_THAT(frame.ToText(),
              HasSubstr("vm_page_t: no target memory to read the vm_page_t from\n"));
  EXPECT_THAT(frame.ToText(), Not(HasSubstr("left split")));
  page->object.dirty_state = 0;
}

TEST(SlotDetailTest, TinyWindowIsClipped) {
  TestList list;
  list.Marker(1);
  SnapshotList s = list.Snapshot();
  s.name = "vmo:5";
  FixAddresses(s);
  Frame big(64, 12);
  vmpl::tui::RenderSlotDetail(big, 0, 0, 64, 12, s, s.nodes[0], 1, 0x10, nullptr, "");
  // A window 20 cells wide and 2 high, with a frame row above it that must stay untouched.
  Frame frame(24, 5);
  frame.Put(0, 0, "########################", Style::kDefault);
  vmpl::tui::RenderSlotDetail(frame, 2, 1, 20, 2, s, s.nodes[0], 1, 0x10, nullptr, "");
  EXPECT_EQ(frame.ToText(), "########################\n  " + Clip(Line(big, 0), 20) + "\n  " +
                                Clip(Line(big, 1), 20) + "\n\n\n");
  EXPECT_THAT(Line(frame, 1), HasSubstr("list: vmo"));
  Frame none(4, 4);
  vmpl::tui::RenderSlotDetail(none, 0, 0, 0, 0, s, s.nodes[0], 1, 0, nullptr, "");
  EXPECT_EQ(none.ToText(), "\n\n\n\n");
}

// ---------------------------------------------------------------------------------------------
// Intervals

// Dirty intervals as the core writes them: one across three nodes with a missing node between
// (pages 2..39), a single slot (44), one awaiting clean (50..69), with pages around them.
TEST(IntervalsViewTest, RealDirtyIntervals) {
  TestList list;
  list.Page(0);
  list.Interval(2, 40);
  list.Page(41);
  list.Interval(44, 45);
  list.Interval(50, 70);
  list.list().LookupMutable(50 * PAGE_SIZE).SetZeroIntervalAwaitingCleanLength(4 * PAGE_SIZE);
  const SnapshotList s = list.Snapshot();
  const IntervalsView view(s);
  ASSERT_EQ(view.rows(), 3u);
  EXPECT_EQ(view.row(0).start, 2 * PAGE_SIZE);
  EXPECT_EQ(view.row(0).end, 39 * PAGE_SIZE);
  EXPECT_EQ(view.row(0).pages(), 38u);
  EXPECT_EQ(view.row(0).dirty, SlotDirtyState::kDirty);
  EXPECT_EQ(view.row(1).start, view.row(1).end);
  EXPECT_EQ(view.row(2).awaiting_clean, 4 * PAGE_SIZE);
  for (size_t i = 0; i < view.rows(); i++) {
    EXPECT_EQ(view.row(i).problem, "") << i;
  }
  Frame frame(70, 5);
  view.Render(frame, 0, 0, 70, 5, 0, 1);
  ExpectGolden("views_intervals_real", Both(frame));
}

// The core only writes dirty intervals, so untracked and clean ones (and their single slots) are
// hand-made, in a skewed list whose first interval starts before the VMO's start.
TEST(IntervalsViewTest, UntrackedAndCleanIntervals) {
  SnapshotList s;
  s.skew = 2 * PAGE_SIZE;
  s.nodes.resize(3);
  s.nodes[0].key = 0;
  s.nodes[1].key = kNode;
  s.nodes[2].key = 5 * kNode;
  s.nodes[0].slots[0] = kInterval | kStart | kUntracked;
  s.nodes[0].slots[4] = kInterval | kEnd | kUntracked;
  s.nodes[0].slots[6] = kInterval | kSlotSentinel | kClean;
  s.nodes[0].slots[9] = kInterval | kStart | kClean | (3 * PAGE_SIZE);
  s.nodes[1].slots[2] = kInterval | kEnd | kClean;
  s.nodes[1].slots[5] = kInterval | kSlotSentinel | kUntracked;
  s.nodes[1].slots[15] = kInterval | kStart | kDirtyBits;
  s.nodes[2].slots[0] = kInterval | kEnd | kDirtyBits;
  const IntervalsView view(s);
  ASSERT_EQ(view.rows(), 5u);
  EXPECT_EQ(view.row(0).start, uint64_t{0} - 2 * PAGE_SIZE);
  EXPECT_EQ(view.row(0).pages(), 5u);  // -0x2000 to 0x2000
  EXPECT_EQ(view.row(0).dirty, SlotDirtyState::kUntracked);
  EXPECT_EQ(view.row(2).dirty, SlotDirtyState::kClean);
  EXPECT_EQ(view.row(2).awaiting_clean, 3 * PAGE_SIZE);
  EXPECT_EQ(view.row(4).pages(), 3u * 16 + 2);  // from slot 15 of node 1 to slot 0 of node 5
  Frame frame(70, 7);
  view.Render(frame, 0, 0, 70, 7, 0, 99);
  ExpectGolden("views_intervals_states", Both(frame));
}

TEST(IntervalsViewTest, BrokenIntervals) {
  SnapshotList s;
  s.nodes.resize(3);
  s.nodes[0].key = 0;
  s.nodes[1].key = kNode;
  s.nodes[2].key = 2 * kNode;
  s.nodes[0].slots[0] = kInterval | kEnd | kDirtyBits;     // end with no start
  s.nodes[0].slots[2] = kInterval | kStart | kDirtyBits;   // start with no end: ...
  s.nodes[0].slots[5] = kInterval | kStart | kDirtyBits;   // ...another start inside it
  s.nodes[0].slots[8] = kInterval | kEnd | kClean;         // which ends in another state
  s.nodes[0].slots[10] = kInterval | kStart | kDirtyBits;  // holds a marker
  s.nodes[0].slots[11] = 0x1;
  s.nodes[0].slots[12] = kInterval | kEnd | kDirtyBits;
  s.nodes[1].slots[0] = kInterval | kBadSentinel | kDirtyBits;
  s.nodes[1].slots[1] = kInterval | kStart | kBadDirty;
  s.nodes[1].slots[3] = kInterval | kStart | kUntracked;  // open: a single slot inside it
  s.nodes[1].slots[4] = kInterval | kSlotSentinel | kUntracked;
  s.nodes[2].slots[7] = kInterval | kStart | kClean;  // never ends
  const IntervalsView view(s);
  std::vector<std::string> problems;
  for (size_t i = 0; i < view.rows(); i++) {
    problems.push_back(view.row(i).problem);
  }
  EXPECT_THAT(problems,
              testing::ElementsAre("end with no start", "start with no end",
                                   "start inside an open interval; dirty state differs: start "
                                   "dirty, end clean",
                                   "holds a marker at 0xb000", "invalid sentinel 3",
                                   "invalid dirty state 3", "start with no end",
                                   "single slot inside an open interval", "start with no end"))
      << testing::PrintToString(problems);
  EXPECT_FALSE(view.row(0).start_known);
  EXPECT_FALSE(view.row(1).end_known);
  EXPECT_EQ(view.row(1).end, 4 * PAGE_SIZE);
  EXPECT_EQ(view.row(3).start, 10 * PAGE_SIZE);
  EXPECT_EQ(view.row(3).end, 12 * PAGE_SIZE);
  Frame frame(100, 11);
  view.Render(frame, 0, 0, 100, 11, 0, 3);
  ExpectGolden("views_intervals_broken", Both(frame));
}

TEST(IntervalsViewTest, NoIntervalsAndScrolling) {
  TestList empty;
  empty.Page(3);
  const SnapshotList none = empty.Snapshot();
  Frame frame(50, 3);
  IntervalsView(none).Render(frame, 0, 0, 50, 3, 0, 0);
  ExpectGolden("views_intervals_none", Both(frame));

  TestList list;
  for (uint64_t page = 0; page < 20 * 4; page += 4) {
    list.Interval(page, page + 2);
  }
  const SnapshotList s = list.Snapshot();
  const IntervalsView view(s);
  ASSERT_EQ(view.rows(), 20u);
  Frame scrolled(60, 4);
  view.Render(scrolled, 0, 0, 60, 4, 17, 18);
  ExpectGolden("views_intervals_scrolled", Both(scrolled));
  // Past the end: the header only.
  Frame past(60, 4);
  view.Render(past, 0, 0, 60, 4, 25, 0);
  EXPECT_EQ(Line(past, 1), "");
  EXPECT_THAT(Line(past, 0), HasSubstr("start"));
}

TEST(IntervalsViewTest, TinyWindowIsClipped) {
  TestList list;
  list.Interval(1, 30);
  const SnapshotList s = list.Snapshot();
  const IntervalsView view(s);
  Frame frame(10, 4);
  frame.Put(0, 3, "##########", Style::kDefault);
  view.Render(frame, 1, 1, 6, 2, 0, 0);
  EXPECT_EQ(frame.ToText(), "\n   star\n >0x100\n##########\n");
  Frame none(3, 3);
  view.Render(none, 0, 0, 0, 0, 0, 0);
  view.Render(none, 5, 5, 10, 10, 0, 0);
  EXPECT_EQ(none.ToText(), "\n\n\n");
}

// ---------------------------------------------------------------------------------------------
// Splice lists

// A page list with pages in 3..31, nothing in node 2 (pages 32..47), then pages, a marker and a
// reference in 48..70; TakePages of [5, 65) pages puts slots 5..15 of node 0 in the head, nodes
// 1 and 3 in the middle (2 is a gap) and slot 0 of node 4 in the tail.
class SpliceTest : public testing::Test {
 protected:
  void SetUp() override {
    for (uint64_t page = 3; page < 32; page++) {
      source_.Page(page);
    }
    for (uint64_t page = 48; page < 71; page++) {
      if (page == 50) {
        source_.Marker(page);
      } else if (page == 52) {
        source_.Reference(page, kFixedReference, true, false);
      } else {
        source_.Page(page);
      }
    }
  }
  void TearDown() override {
    for (VmPageSpliceList* splice : {&taken_, &appended_}) {
      if (splice->IsFinalized()) {
        while (!splice->IsProcessed()) {
          ReleaseContent(splice->Pop());
        }
      }
    }
  }

  SnapshotList Decode(VmPageSpliceList& splice, const char* name) {
    LiveProcessSource memory(getpid());
    SnapshotList s =
        DecodeSpliceList(memory, reinterpret_cast<uintptr_t>(&splice), BuiltinDecodeLayout());
    EXPECT_TRUE(s.problems.empty());
    s.name = name;
    FixAddresses(s);
    return s;
  }

  std::string Render(const SnapshotList& s, int width, int height) {
    Frame frame(width, height);
    vmpl::tui::RenderSpliceView(frame, 0, 0, width, height, s);
    return Both(frame);
  }

  TestList source_;
  VmPageSpliceList taken_;
  VmPageSpliceList appended_;
};

TEST_F(SpliceTest, TakenThenPopped) {
  taken_ = source_.list().TakePages(5 * PAGE_SIZE, 60 * PAGE_SIZE);
  SnapshotList s = Decode(taken_, "splice:1");
  ASSERT_EQ(s.nodes.size(), 2u);
  ExpectGolden("views_splice_taken", Render(s, 72, 14));

  ReleaseContent(taken_.Pop());
  ReleaseContent(taken_.Pop());
  s = Decode(taken_, "splice:1");
  EXPECT_EQ(s.splice_position, 2 * PAGE_SIZE);
  ExpectGolden("views_splice_popped", Render(s, 72, 14));

  // The rest of the head (9 slots) and node 1 (16): the next Pop reads the gap at node 2.
  for (int i = 0; i < 9 + 16; i++) {
    ReleaseContent(taken_.Pop());
  }
  s = Decode(taken_, "splice:1");
  EXPECT_EQ(s.nodes.size(), 1u) << "the middle node is freed once popped";
  Frame frame(100, 14);
  vmpl::tui::RenderSpliceView(frame, 0, 0, 100, 14, s);
  EXPECT_THAT(frame.ToText(),
              HasSubstr("next Pop  offset 0x20000: middle node 0x20000, slot 0 (no node: a gap"));
  EXPECT_FALSE(HasStyle(frame, Style::kSelected));

  // Everything popped: processed, nothing marked.
  while (!taken_.IsProcessed()) {
    ReleaseContent(taken_.Pop());
  }
  s = Decode(taken_, "splice:1");
  frame.Clear();
  vmpl::tui::RenderSpliceView(frame, 0, 0, 100, 14, s);
  EXPECT_THAT(frame.ToText(), HasSubstr("state     finalized yes, processed yes"));
  EXPECT_THAT(frame.ToText(), HasSubstr("next Pop  none: processed"));
  EXPECT_FALSE(HasStyle(frame, Style::kSelected));
}

// The slot detail of a head slot gives the key of the node the head stands for.
TEST_F(SpliceTest, SlotDetailOfTheHead) {
  taken_ = source_.list().TakePages(5 * PAGE_SIZE, 60 * PAGE_SIZE);
  const SnapshotList s = Decode(taken_, "splice:1");
  Frame frame(80, 10);
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 80, 10, s, s.tail, 0, 0, nullptr, "");
  EXPECT_THAT(frame.ToText(), HasSubstr("node: splice tail, key 0x40000 at 0xa200"));
  EXPECT_THAT(frame.ToText(), HasSubstr("vmo offset: 0x40000"));
  frame.Clear();
  vmpl::tui::RenderSlotDetail(frame, 0, 0, 80, 10, s, s.head, 6, 0, nullptr, "");
  EXPECT_THAT(frame.ToText(), HasSubstr("node: splice head, key 0x0 at 0xa100"));
  EXPECT_THAT(frame.ToText(), HasSubstr("vmo offset: 0x6000"));
}

// Appended to before it is finalized: no Pop yet, so no cell marked; finalizing rewinds the
// position and marks the first slot. The middle does not fit the window: a count of the rest.
TEST_F(SpliceTest, AppendedThenFinalized) {
  appended_ = VmPageSpliceList(3 * kNode + 14 * PAGE_SIZE, 60 * PAGE_SIZE, 0);
  for (int i = 0; i < 40; i++) {
    ASSERT_EQ(appended_.Append(i % 3 == 0 ? VmPageOrMarker::Marker() : VmPageOrMarker::Empty()),
              ZX_OK);
  }
  SnapshotList s = Decode(appended_, "splice:2");
  EXPECT_FALSE(s.splice_finalized);
  ExpectGolden("views_splice_unfinalized", Render(s, 72, 12));

  appended_.Finalize();
  s = Decode(appended_, "splice:2");
  ExpectGolden("views_splice_finalized", Render(s, 72, 11));
}

TEST_F(SpliceTest, PageListAndTinyWindows) {
  SnapshotList page_list = source_.Snapshot();
  page_list.name = "vmo:\x1b[1m";
  Frame frame(60, 2);
  vmpl::tui::RenderSpliceView(frame, 0, 0, 60, 2, page_list);
  EXPECT_EQ(frame.ToText(), "vmo:?[1m is a page list, not a splice list\n\n");

  taken_ = source_.list().TakePages(5 * PAGE_SIZE, 60 * PAGE_SIZE);
  const SnapshotList s = Decode(taken_, "splice:1");
  Frame big(72, 14);
  vmpl::tui::RenderSpliceView(big, 0, 0, 72, 14, s);
  Frame tiny(12, 4);
  vmpl::tui::RenderSpliceView(tiny, 1, 1, 9, 2, s);
  EXPECT_EQ(tiny.ToText(), "\n " + Clip(Line(big, 0), 9) + "\n " + Clip(Line(big, 1), 9) + "\n\n");
  // Too short for any middle row: the tail still comes right after the summary.
  Frame short_frame(72, 9);
  vmpl::tui::RenderSpliceView(short_frame, 0, 0, 72, 9, s);
  EXPECT_THAT(Line(short_frame, 7), HasSubstr("middle"));
  EXPECT_THAT(Line(short_frame, 8), HasSubstr("tail"));
  Frame none(2, 2);
  vmpl::tui::RenderSpliceView(none, 0, 0, 0, 0, s);
  EXPECT_EQ(none.ToText(), "\n\n");
}

// ---------------------------------------------------------------------------------------------
// Problems

Snapshot DamagedSnapshot() {
  Snapshot snapshot;
  snapshot.problems.push_back({0x601000, "registry entry 3 ('vmo:9'): unknown kind 7"});
  SnapshotList fine;
  fine.name = "vmo:1";
  snapshot.lists.push_back(fine);
  SnapshotList bad;
  bad.name = "vmo:2\x07/bell";
  bad.address = 0x7000;
  bad.nodes.resize(3);
  bad.problems.push_back({0x7f0012340000, "canary 0x0, expected \"PLST\""});
  bad.problems.push_back({0x7f0012341000, "key 0x1234 is not a multiple of 0x10000\n(line 2)"});
  bad.complete = false;
  snapshot.lists.push_back(bad);
  SnapshotList unnamed;
  unnamed.address = 0x9000;
  unnamed.problems.push_back({0x9000, "interval start at 0x0 has no end"});
  snapshot.lists.push_back(unnamed);
  return snapshot;
}

TEST(ProblemsViewTest, EveryProblemInOrder) {
  const ProblemsView view(DamagedSnapshot());
  ASSERT_EQ(view.rows(), 5u);
  EXPECT_EQ(view.row(0).list_index, -1);
  EXPECT_EQ(view.row(0).address, 0x601000u);
  EXPECT_EQ(view.row(1).list_index, 1);
  EXPECT_EQ(view.row(1).text, "vmo:2?/bell: 0x7f0012340000: canary 0x0, expected \"PLST\"");
  EXPECT_EQ(view.row(2).text,
            "vmo:2?/bell: 0x7f0012341000: key 0x1234 is not a multiple of 0x10000?(line 2)");
  EXPECT_EQ(view.row(3).text, "vmo:2?/bell: walk stopped early: 3 nodes read");
  EXPECT_EQ(view.row(3).address, 0x7000u);
  EXPECT_EQ(view.row(4).list_index, 2);
  EXPECT_EQ(view.row(4).text, "list at 0x9000: 0x9000: interval start at 0x0 has no end");
  Frame frame(80, 7);
  view.Render(frame, 0, 0, 80, 7, 0, 2);
  ExpectGolden("views_problems", Both(frame));
}

TEST(ProblemsViewTest, ScrolledNarrowAndNone) {
  const ProblemsView view(DamagedSnapshot());
  Frame frame(30, 3);
  view.Render(frame, 0, 0, 30, 3, 3, 4);
  ExpectGolden("views_problems_scrolled", Both(frame));

  const ProblemsView none(Snapshot{});
  EXPECT_EQ(none.rows(), 0u);
  Frame empty(30, 3);
  none.Render(empty, 0, 0, 30, 3, 0, 0);
  EXPECT_EQ(empty.ToText(), " 0 problems\n (no problems)\n\n");

  Frame tiny(5, 2);
  view.Render(tiny, 1, 1, 3, 1, 0, 0);
  EXPECT_EQ(tiny.ToText(), "\n  5\n");
  view.Render(tiny, 0, 0, 0, 0, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// Help

TEST(HelpViewTest, FullSizeOverPanes) {
  EXPECT_LE(vmpl::tui::HelpWidth(), 80);
  EXPECT_LE(vmpl::tui::HelpHeight(), 24);
  const int width = vmpl::tui::HelpWidth() + 4;
  const int height = vmpl::tui::HelpHeight() + 2;
  Frame frame(width, height);
  for (int row = 0; row < height; row++) {
    frame.Put(0, row, std::string(static_cast<size_t>(width), '#'), Style::kPage);
  }
  vmpl::tui::RenderHelp(frame, 2, 1, vmpl::tui::HelpWidth(), vmpl::tui::HelpHeight());
  ExpectGolden("views_help", Both(frame));
  const std::string text = frame.ToText();
  EXPECT_THAT(text, HasSubstr("- vmpl tui \xe2\x80\x94 keys -"));
  for (const char* keys : {"Tab / Shift-Tab", "arrows, h j k l", "PgUp / PgDn", "Home / End",
                           "Enter", "[ ]  { }  < >", "mouse"}) {
    EXPECT_THAT(text, HasSubstr(keys)) << keys;
  }
}

TEST(HelpViewTest, ClippedToASmallWindow) {
  Frame frame(34, 8);
  vmpl::tui::RenderHelp(frame, 1, 1, 30, 6);
  ExpectGolden("views_help_clipped", Both(frame));
  // Running off the frame, and windows too small for a border.
  Frame edge(10, 3);
  vmpl::tui::RenderHelp(edge, 5, 1, 40, 10);
  EXPECT_EQ(edge.ToText(), "\n     +----\n     | Tab\n");
  Frame one(3, 3);
  vmpl::tui::RenderHelp(one, 1, 1, 1, 1);
  vmpl::tui::RenderHelp(one, 0, 0, 0, 0);
  vmpl::tui::RenderHelp(one, 0, 0, -4, 2);
  EXPECT_EQ(one.ToText(), "\n +\n\n");
}

}  // namespace
