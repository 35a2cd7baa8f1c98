// The TUI's Frame and NodeMap (tui/) on real page lists of this process: lists built with the
// core, read back through a LiveProcessSource on our own pid and decoded as `vmpl inspect` does,
// then drawn into fixed-size frames whose glyphs and styles are compared with golden files in
// tests/tui/golden/. Page addresses never appear in a node map, so the frames are stable from run
// to run. VMPL_UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing).

#include <gtest/gtest.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_allocator.h>
#include <vmpl/tui/frame.h>
#include <vmpl/tui/lists_table.h>
#include <vmpl/tui/node_map.h>
#include <vmpl/tui/source_factory.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "golden.h"

namespace {

using vmpl::testing::Both;
using vmpl::testing::ExpectGolden;

using vmpl::inspect::BuiltinDecodeLayout;
using vmpl::inspect::DecodePageList;
using vmpl::inspect::LiveProcessSource;
using vmpl::Snapshot;
using vmpl::SnapshotList;
using vmpl::tui::Frame;
using vmpl::tui::NodeMap;
using vmpl::tui::Style;

constexpr uint64_t kNode = VmPageListNode::kPageFanOut * PAGE_SIZE;

// A page list that frees what it holds when the test is done with it.
class TestList {
 public:
  explicit TestList(uint64_t skew_pages = 0) {
    if (skew_pages != 0) {
      list_.InitializeSkew(0, skew_pages * PAGE_SIZE);
    }
  }
  ~TestList() {
    list_.RemoveAllContent([](VmPageOrMarker&& p) {
      if (p.IsPage()) {
        vmpl::PageAllocator::Get().FreePage(p.ReleasePage());
      } else if (p.IsReference()) {
        vmpl::PageAllocator::Get().FreeReference(p.ReleaseReference().value());
      }
    });
  }

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
  void Reference(uint64_t page, bool left, bool right) {
    Set(page, VmPageOrMarker::Reference(
                  VmPageOrMarker::ReferenceValue(vmpl::PageAllocator::Get().AllocReference()), left,
                  right));
  }
  void Interval(uint64_t first_page, uint64_t end_page, VmPageOrMarker::IntervalDirtyState dirty) {
    ASSERT_EQ(list_.AddZeroInterval(first_page * PAGE_SIZE, end_page * PAGE_SIZE, dirty), ZX_OK);
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

std::string RenderMap(const SnapshotList& s, int width, int height, size_t first_row,
                      size_t selected_row) {
  const NodeMap map(s);
  Frame frame(width, height);
  map.Render(frame, 0, 0, width, height, first_row, selected_row);
  return Both(frame);
}

TEST(FrameTest, PutClipsAndDecodesUtf8) {
  Frame frame(6, 2);
  EXPECT_EQ(frame.Put(-2, 0, "abcdefghij", Style::kHeader), 8);
  frame.Put(0, 5, "below", Style::kPage);
  frame.Put(3, 1,
            "\xc3\xa9\xff"
            "z",
            Style::kPage);  // e-acute, a stray byte, z
  EXPECT_EQ(frame.ToText(), "cdefgh\n   \xc3\xa9\xef\xbf\xbdz\n");
  EXPECT_EQ(frame.ToStyleText(), "HHHHHH\n---PPP\n");
  frame.Clear();
  EXPECT_EQ(frame.ToText(), "\n\n");
}

TEST(FrameTest, RegionClipsToItsRectangle) {
  Frame frame(8, 3);
  vmpl::tui::Region region(frame, 2, 1, 3, 1);
  EXPECT_EQ(region.Put(-1, 0, "wxyz!", Style::kRuler), 4);
  region.Put(0, 1, "no", Style::kRuler);
  EXPECT_EQ(frame.ToText(), "\n  xyz\n\n");
}

TEST(NodeMapTest, DenseList) {
  TestList list;
  for (uint64_t p = 0; p < 40; p++) {
    list.Page(p);
  }
  ExpectGolden("dense", RenderMap(list.Snapshot(), 60, 6, 0, 1));
}

TEST(NodeMapTest, SkewedByThreePages) {
  TestList list(3);
  for (uint64_t p = 0; p < 20; p++) {
    list.Page(p);
  }
  list.Marker(40);
  ExpectGolden("skewed", RenderMap(list.Snapshot(), 60, 6, 0, 99));
}

TEST(NodeMapTest, ZeroIntervalsAcrossNodes) {
  TestList list;
  list.Page(0);
  list.Interval(2, 40, VmPageOrMarker::IntervalDirtyState::Dirty);
  list.Page(41);
  list.Interval(44, 45, VmPageOrMarker::IntervalDirtyState::Dirty);
  list.Interval(50, 70, VmPageOrMarker::IntervalDirtyState::Dirty);
  list.Interval(80, 84, VmPageOrMarker::IntervalDirtyState::Dirty);
  ExpectGolden("intervals", RenderMap(list.Snapshot(), 70, 8, 0, 2));
}

// The core only writes dirty intervals (as Zircon today), so untracked and clean ones are drawn
// from a synthetic snapshot: raw values encoded as docs/semantics.md section 2.2 says.
TEST(NodeMapTest, UntrackedAndCleanIntervals) {
  constexpr uint64_t kInterval = 0x3;
  constexpr uint64_t kStart = 1 << 2, kEnd = 2 << 2;  // sentinel; 0 is a single slot
  constexpr uint64_t kUntracked = 0 << 6, kClean = 1 << 6;
  SnapshotList s;
  s.nodes.resize(2);
  s.nodes[0].key = 0;
  s.nodes[1].key = kNode;
  s.nodes[0].slots[1] = kInterval | kStart | kUntracked;
  s.nodes[0].slots[4] = kInterval | kEnd | kUntracked;
  s.nodes[0].slots[6] = kInterval | kUntracked;
  s.nodes[0].slots[9] = kInterval | kStart | kClean;
  s.nodes[1].slots[2] = kInterval | kEnd | kClean;
  s.nodes[1].slots[5] = kInterval | kClean;
  ExpectGolden("dirty_states", RenderMap(s, 60, 4, 0, 9));
}

TEST(NodeMapTest, ReferencesAndMarkers) {
  TestList list;
  list.Reference(0, false, false);
  list.Reference(1, true, false);
  list.Reference(2, false, true);
  list.Reference(3, true, true);
  list.Marker(4);
  list.Page(5);
  list.Marker(17);
  ExpectGolden("references", RenderMap(list.Snapshot(), 60, 4, 0, 0));
}

// The interval opened in node 1 is still open at the first row shown (node 3, its end; node 2
// holds nothing and does not exist), so that row's slots before the end are drawn inside it
// without the rows above; the window is shorter than the list.
TEST(NodeMapTest, ScrolledIntoAnInterval) {
  TestList list;
  for (uint64_t page : {0, 64, 80, 96}) {
    list.Marker(page);
  }
  list.Interval(20, 60, VmPageOrMarker::IntervalDirtyState::Dirty);
  ExpectGolden("scrolled", RenderMap(list.Snapshot(), 60, 4, 2, 3));
}

// A window inside a larger frame, narrower than a row: cells past its right edge are not drawn,
// and nothing outside it is touched.
TEST(NodeMapTest, ClippedAtTheWindowAndFrameEdges) {
  TestList list(3);
  for (uint64_t p = 0; p < 40; p += 3) {
    list.Page(p);
  }
  const SnapshotList s = list.Snapshot();
  const NodeMap map(s);
  Frame frame(30, 5);
  frame.Put(0, 0, "##############################", Style::kDefault);
  map.Render(frame, 4, 1, 20, 3, 0, 1);
  map.Render(frame, 26, 1, 40, 10, 0, 1);  // runs off the frame's right and bottom edges
  ExpectGolden("clipped", Both(frame));
}

TEST(NodeMapTest, EmptyList) {
  TestList list;
  ExpectGolden("empty", RenderMap(list.Snapshot(), 40, 4, 0, 0));
}

TEST(NodeMapTest, FirstRowPastTheEndShowsTheHeaderOnly) {
  TestList list;
  list.Marker(0);
  const SnapshotList s = list.Snapshot();
  const NodeMap map(s);
  Frame header(40, NodeMap::kHeaderRows);
  map.Render(header, 0, 0, 40, NodeMap::kHeaderRows, 0, 0);
  Frame frame(40, 4);
  map.Render(frame, 0, 0, 40, 4, 5, 0);
  EXPECT_EQ(frame.ToText(), header.ToText() + "\n\n");
}

// Damage as the decoder reports it (a problem at a node's address) and slot values no list
// writes, on a synthetic snapshot: the key and a '!' take the problem style, bad slots show '?'.
TEST(NodeMapTest, ProblemsAreVisible) {
  SnapshotList s;
  s.nodes.resize(2);
  s.nodes[0].address = 0x1000;
  s.nodes[0].key = 0;
  s.nodes[1].address = 0x2000;
  s.nodes[1].key = kNode;
  s.nodes[0].slots[0] = 0x3 | (3 << 6);             // interval with dirty state 3
  s.nodes[0].slots[1] = 0x3 | (2 << 2) | (2 << 6);  // dirty end with nothing open
  s.nodes[1].slots[0] = 0x3 | (3 << 2);             // sentinel 3
  s.problems.push_back({0x2000, "canary 0x41414141, expected \"PLST\""});
  ExpectGolden("problems", RenderMap(s, 50, 4, 0, 9));
}

// Pages whose vm_page_t has split bits or a dirty state, read back from this process's memory
// the way a source reads them (DecodePageStruct with the built-in layout's bit positions).
TEST(NodeMapTest, PageCellsShowTheirVmPageT) {
  TestList list;
  std::vector<vm_page_t*> pages;
  for (uint64_t p = 0; p < 6; p++) {
    vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
    pages.push_back(page);
    list.Set(p, VmPageOrMarker::Page(page));
  }
  pages[1]->object.cow_left_split = 1;
  pages[2]->object.cow_right_split = 1;
  pages[3]->object.cow_left_split = 1;
  pages[3]->object.cow_right_split = 1;
  pages[4]->object.dirty_state = 2;
  pages[5]->object.dirty_state = 3;
  const SnapshotList snapshot = list.Snapshot();
  NodeMap map(snapshot);
  LiveProcessSource memory(getpid());
  std::vector<vmpl::tui::PageStruct> read;
  read.reserve(pages.size());
  const auto lookup = [&](uint64_t address) -> const vmpl::tui::PageStruct* {
    std::vector<uint8_t> bytes(sizeof(vm_page_t));
    if (!memory.Read(address, bytes.data(), bytes.size()).ok()) {
      return nullptr;
    }
    read.push_back(vmpl::tui::DecodePageStruct(address, bytes, BuiltinDecodeLayout()));
    return &read.back();
  };
  Frame frame(40, 3);
  map.Render(frame, 0, 0, 40, 3, 0, 99, lookup);
  const std::string row = frame.ToText().substr(frame.ToText().rfind('\n', frame.ToText().size() - 2) + 1);
  EXPECT_NE(row.find("#<>Xda.........."), std::string::npos) << frame.ToText();
  // Without a lookup every page is '#'.
  Frame plain(40, 3);
  map.Render(plain, 0, 0, 40, 3, 0, 99);
  EXPECT_NE(plain.ToText().find("######.........."), std::string::npos) << plain.ToText();
  for (vm_page_t* page : pages) {
    page->object.cow_left_split = 0;
    page->object.cow_right_split = 0;
    page->object.dirty_state = 0;
  }
}

TEST(NodeMapTest, Legend) {
  Frame frame(60, 6);
  vmpl::tui::RenderNodeMapLegend(frame, 0, 0, 60, 6);
  ExpectGolden("legend", Both(frame));
}

// Two real lists (one skewed, with references, markers and an interval), a splice list whose
// inline head and tail hold content, and a damaged list with a name full of control characters
// and longer than the name column.
TEST(ListsTableTest, RealAndDamagedLists) {
  TestList dense;
  for (uint64_t p = 0; p < 40; p++) {
    dense.Page(p);
  }
  TestList mixed(3);
  mixed.Reference(0, true, false);
  mixed.Reference(1, false, false);
  mixed.Marker(2);
  mixed.Interval(10, 50, VmPageOrMarker::IntervalDirtyState::Dirty);
  mixed.Interval(60, 61, VmPageOrMarker::IntervalDirtyState::Dirty);
  Snapshot snapshot;
  snapshot.lists.push_back(dense.Snapshot());
  snapshot.lists.back().name = "dense";
  snapshot.lists.push_back(mixed.Snapshot());
  snapshot.lists.back().name = "mixed/skewed";

  SnapshotList splice;
  splice.kind = vmpl::SnapshotListKind::kSpliceList;
  splice.name = "splice";
  splice.head.slots[3] = 0x1;  // a marker
  splice.tail.slots[0] = 0x1;
  snapshot.lists.push_back(splice);

  SnapshotList damaged;
  damaged.name = "\x1b[2Jwiped\nscreen and a name that goes on";
  damaged.nodes.resize(1);
  damaged.problems.push_back({0x1000, "canary 0x41414141, expected \"PLST\""});
  damaged.complete = false;
  snapshot.lists.push_back(damaged);

  const vmpl::tui::ListsTable table(snapshot);
  EXPECT_EQ(table.rows(), 4u);
  Frame frame(100, 6);
  table.Render(frame, 0, 0, 100, 6, 0, 1);
  ExpectGolden("lists", Both(frame));

  // Scrolled by one, in a window narrower than the table.
  Frame narrow(40, 3);
  table.Render(narrow, 0, 0, 40, 3, 1, 1);
  ExpectGolden("lists_narrow", Both(narrow));
}

TEST(ListsTableTest, NoLists) {
  const vmpl::tui::ListsTable table(Snapshot{});
  Frame frame(70, 2);
  table.Render(frame, 0, 0, 70, 2, 0, 0);
  ExpectGolden("lists_empty", Both(frame));
}

}  // namespace
