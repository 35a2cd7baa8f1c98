// Unit tests for every public method of VmPageList and VMPLCursor that does not create or
// manipulate zero intervals (those are in interval_test.cc).
//
// Every expected value below is derived by hand from the kernel's header and docs/semantics.md
// (its section numbers are in the comments), never by running the code.
// Offsets are written in pages: Pg(5) is byte offset 5 * PAGE_SIZE. A node covers 16 pages.
// Each test ends by running vmpl::Validate on every list it used and by checking (in the fixture)
// that every page and reference it allocated went back to the allocator.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <lib/fit/function.h>
#include <vm/page.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/page_allocator.h>
#include <vmpl/validate.h>
#include <zircon/errors.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using IntervalHandling = VmPageList::IntervalHandling;

constexpr uint64_t kPageSize = PAGE_SIZE;
constexpr uint64_t kFanOut = VmPageListNode::kPageFanOut;
constexpr uint64_t kNodeSize = kPageSize * kFanOut;   // 0x10000
constexpr uint64_t kMaxSize = 0xFFFF'FFFF'FFFE'0000;  // docs/semantics.md section 1.2
constexpr auto kDirty = VmPageOrMarker::IntervalDirtyState::Dirty;

constexpr uint64_t Pg(uint64_t n) { return n * kPageSize; }

// Converts a byte offset reported by the list back to pages, failing the test if the list ever
// reports an unaligned offset.
uint64_t ToPages(uint64_t offset) {
  EXPECT_EQ(offset % kPageSize, 0u) << "unaligned offset " << offset;
  return offset / kPageSize;
}

// ---------------------------------------------------------------------------------------------
// Content helpers.

void FreeContent(VmPageOrMarker&& content) {
  VmPageOrMarker c = std::move(content);
  if (c.IsPage()) {
    pmm_free_page(c.ReleasePage());
  } else if (c.IsReference()) {
    vmpl::PageAllocator::Get().FreeReference(c.ReleaseReference().value());
  }
}

void FreeAll(VmPageList& pl) {
  pl.RemoveAllContent([](VmPageOrMarker&& c) { FreeContent(std::move(c)); });
}

// Installs a freshly allocated page at |offset| (which must be an empty slot) and returns it.
vm_page_t* AddPage(VmPageList& pl, uint64_t offset) {
  auto [slot, in_interval] = pl.LookupOrAllocate(offset, IntervalHandling::CheckForInterval);
  EXPECT_NE(slot, nullptr) << "offset " << offset;
  EXPECT_FALSE(in_interval) << "offset " << offset;
  if (slot == nullptr) {
    return nullptr;
  }
  EXPECT_TRUE(slot->IsEmpty()) << "offset " << offset;
  vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
  EXPECT_NE(page, nullptr);
  *slot = VmPageOrMarker::Page(page);
  return page;
}

// Installs a fresh reference at |offset| and returns its value.
uint64_t AddRef(VmPageList& pl, uint64_t offset, bool left_split = false,
                bool right_split = false) {
  auto [slot, in_interval] = pl.LookupOrAllocate(offset, IntervalHandling::CheckForInterval);
  EXPECT_NE(slot, nullptr) << "offset " << offset;
  EXPECT_FALSE(in_interval);
  if (slot == nullptr) {
    return 0;
  }
  EXPECT_TRUE(slot->IsEmpty()) << "offset " << offset;
  const uint64_t value = vmpl::PageAllocator::Get().AllocReference();
  *slot = VmPageOrMarker::Reference(VmPageOrMarker::ReferenceValue(value), left_split, right_split);
  return value;
}

void AddMarker(VmPageList& pl, uint64_t offset) {
  auto [slot, in_interval] = pl.LookupOrAllocate(offset, IntervalHandling::CheckForInterval);
  ASSERT_NE(slot, nullptr) << "offset " << offset;
  EXPECT_FALSE(in_interval);
  EXPECT_TRUE(slot->IsEmpty()) << "offset " << offset;
  *slot = VmPageOrMarker::Marker();
}

// The page stored at |offset|, or nullptr if the slot is absent or holds something else (so a
// wrong result fails an expectation instead of tripping an accessor's assert).
const vm_page_t* PageAt(const VmPageList& pl, uint64_t offset) {
  const VmPageOrMarker* slot = pl.Lookup(offset);
  return slot != nullptr && slot->IsPage() ? slot->Page() : nullptr;
}

// The reference value stored at |offset|, or ~0 if there is none.
uint64_t RefAt(const VmPageList& pl, uint64_t offset) {
  const VmPageOrMarker* slot = pl.Lookup(offset);
  return slot != nullptr && slot->IsReference() ? slot->Reference().value() : ~uint64_t{0};
}

// The page in |ref|'s slot, or nullptr if it holds something else.
const vm_page_t* PageOf(VmPageOrMarkerRef ref) {
  return ref && ref->IsPage() ? ref->Page() : nullptr;
}

// The split bits of the page or reference at |offset|; fails the test if there is none.
bool LeftSplitAt(const VmPageList& pl, uint64_t offset) {
  const VmPageOrMarker* slot = pl.Lookup(offset);
  if (slot == nullptr || !slot->IsPageOrRef()) {
    ADD_FAILURE() << "no page or reference at " << offset;
    return false;
  }
  return slot->PageOrRefLeftSplit();
}

bool RightSplitAt(const VmPageList& pl, uint64_t offset) {
  const VmPageOrMarker* slot = pl.Lookup(offset);
  if (slot == nullptr || !slot->IsPageOrRef()) {
    ADD_FAILURE() << "no page or reference at " << offset;
    return false;
  }
  return slot->PageOrRefRightSplit();
}

std::string Describe(const VmPageOrMarker& p) {
  if (p.IsEmpty()) {
    return "Empty";
  }
  if (p.IsPage()) {
    return "Page";
  }
  if (p.IsReference()) {
    return "Ref";
  }
  if (p.IsMarker()) {
    return "Marker";
  }
  std::string s = p.IsIntervalStart()  ? "Start"
                  : p.IsIntervalEnd()  ? "End"
                  : p.IsIntervalSlot() ? "Slot"
                                       : "BadSentinel";
  if (!p.IsIntervalZero()) {
    s += "(nonzero)";
  } else if (!p.IsZeroIntervalDirty()) {
    s += "(notdirty)";
  }
  if (p.IsIntervalStart() || p.IsIntervalSlot()) {
    const uint64_t acl = p.GetZeroIntervalAwaitingCleanLength();
    if (acl != 0) {
      s += "(acl=" + std::to_string(acl / kPageSize) + ")";
    }
  }
  return s;
}

// Every populated slot, in offset order, as "page:Kind" separated by spaces.
std::string Layout(const VmPageList& pl) {
  std::string out;
  zx_status_t status = pl.ForEveryPage([&out](const VmPageOrMarker* p, uint64_t off) {
    if (!out.empty()) {
      out += " ";
    }
    out += std::to_string(ToPages(off)) + ":" + Describe(*p);
    return ZX_ERR_NEXT;
  });
  EXPECT_EQ(status, ZX_OK);
  return out;
}

// Number of nodes, from the documented heap accounting (docs/semantics.md section 5.3).
uint64_t NodeCount(const VmPageList& pl) {
  return pl.HeapAllocationBytes() / sizeof(VmPageListNode);
}

// The number of distinct nodes a set of (unskewed) offsets lands in, from the skew arithmetic of
// docs/semantics.md section 3.3: node key = ROUNDDOWN(offset + skew, 64 KiB).
uint64_t ExpectedNodes(const std::vector<uint64_t>& page_offsets, uint64_t skew) {
  std::set<uint64_t> keys;
  for (uint64_t p : page_offsets) {
    keys.insert((Pg(p) + skew) / kNodeSize);
  }
  return keys.size();
}

template <typename T>
::testing::AssertionResult IsValid(const T& list) {
  std::vector<vmpl::Violation> violations = vmpl::Validate(list);
  if (violations.empty()) {
    return ::testing::AssertionSuccess();
  }
  ::testing::AssertionResult result = ::testing::AssertionFailure();
  result << violations.size() << " violation(s):";
  for (const vmpl::Violation& v : violations) {
    result << "\n  " << v.ToString();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Fixtures. Every test checks that it gave back everything it allocated.

class VmPageListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pages_at_start_ = vmpl::PageAllocator::Get().pages_outstanding();
    refs_at_start_ = vmpl::PageAllocator::Get().references_outstanding();
  }
  void TearDown() override {
    EXPECT_EQ(vmpl::PageAllocator::Get().pages_outstanding(), pages_at_start_)
        << "the test leaked pages";
    EXPECT_EQ(vmpl::PageAllocator::Get().references_outstanding(), refs_at_start_)
        << "the test leaked references";
  }

 private:
  size_t pages_at_start_ = 0;
  size_t refs_at_start_ = 0;
};

// Parameterised by the interval-handling mode, for lists without intervals where every mode must
// behave alike.
class VmPageListModeTest : public VmPageListTest,
                           public ::testing::WithParamInterface<IntervalHandling> {};

std::string ModeName(const ::testing::TestParamInfo<IntervalHandling>& info) {
  switch (info.param) {
    case IntervalHandling::NoIntervals:
      return "NoIntervals";
    case IntervalHandling::CheckForInterval:
      return "CheckForInterval";
    case IntervalHandling::SplitInterval:
      return "SplitInterval";
  }
  return "Unknown";
}

// Parameterised by the list skew; all offsets the test uses are unskewed, so results must not
// depend on the skew.
class VmPageListSkewTest : public VmPageListTest, public ::testing::WithParamInterface<uint64_t> {
 protected:
  uint64_t skew() const { return GetParam(); }
};

std::string SkewName(const ::testing::TestParamInfo<uint64_t>& info) {
  return "Skew" + std::to_string(info.param / kPageSize) + "Pages";
}

// Records of the callbacks of the range walks, in pages.
struct GapWalk {
  std::vector<uint64_t> pages;
  std::vector<std::pair<uint64_t, uint64_t>> gaps;
};

GapWalk WalkPagesAndGaps(const VmPageList& pl, uint64_t start, uint64_t end,
                         zx_status_t* status_out = nullptr) {
  GapWalk walk;
  zx_status_t status = pl.ForEveryPageAndGapInRange(
      [&walk](const VmPageOrMarker*, uint64_t off) -> zx_status_t {
        walk.pages.push_back(ToPages(off));
        return ZX_ERR_NEXT;
      },
      [&walk](uint64_t gap_start, uint64_t gap_end) -> zx_status_t {
        walk.gaps.emplace_back(ToPages(gap_start), ToPages(gap_end));
        return ZX_ERR_NEXT;
      },
      start, end);
  if (status_out) {
    *status_out = status;
  } else {
    EXPECT_EQ(status, ZX_OK);
  }
  return walk;
}

using RunOf = std::tuple<uint64_t, uint64_t, bool>;  // [start, end) in pages, is_interval

struct RunWalk {
  std::vector<uint64_t> pages;
  std::vector<RunOf> runs;
  zx_status_t status = ZX_ERR_INTERNAL;
};

template <typename Compare>
RunWalk WalkRuns(const VmPageList& pl, Compare compare, uint64_t start, uint64_t end) {
  RunWalk walk;
  walk.status = pl.ForEveryPageAndContiguousRunInRange(
      compare,
      [&walk](const VmPageOrMarker*, uint64_t off) -> zx_status_t {
        walk.pages.push_back(ToPages(off));
        return ZX_ERR_NEXT;
      },
      [&walk](uint64_t run_start, uint64_t run_end, bool is_interval) -> zx_status_t {
        walk.runs.emplace_back(ToPages(run_start), ToPages(run_end), is_interval);
        return ZX_ERR_NEXT;
      },
      start, end);
  return walk;
}

bool ComparePage(const VmPageOrMarker* p, uint64_t) { return p->IsPage(); }
bool CompareAll(const VmPageOrMarker*, uint64_t) { return true; }

// ---------------------------------------------------------------------------------------------
// Construction, destruction, skew (docs/semantics.md sections 3.5, 3.2).

TEST_F(VmPageListTest, DefaultConstructedListIsEmpty) {
  VmPageList pl;
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_TRUE(pl.HasNoPageOrRef());
  EXPECT_EQ(pl.GetSkew(), 0u);
  EXPECT_EQ(pl.HeapAllocationBytes(), 0u);
  EXPECT_EQ(pl.Lookup(0), nullptr);
  EXPECT_EQ(Layout(pl), "");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListTest, DestructorAcceptsMarkersAndIntervals) {
  // The destructor only asserts HasNoPageOrRef (docs/semantics.md section 3.5): markers and
  // interval sentinels may remain and are dropped with their nodes.
  {
    VmPageList pl;
    AddMarker(pl, Pg(3));
    AddMarker(pl, Pg(40));
    ASSERT_EQ(pl.AddZeroInterval(Pg(70), Pg(90), kDirty), ZX_OK);
    EXPECT_FALSE(pl.IsEmpty());
    EXPECT_TRUE(pl.HasNoPageOrRef());
    EXPECT_EQ(Layout(pl), "3:Marker 40:Marker 70:Start 89:End");
    EXPECT_TRUE(IsValid(pl));
  }
  VmPageList empty;
  EXPECT_TRUE(IsValid(empty));
}

TEST_F(VmPageListTest, InitializeSkewTakesModuloOfNodeSize) {
  struct Case {
    uint64_t parent_skew;
    uint64_t offset;
    uint64_t expected;
  };
  const Case cases[] = {
      {0, 0, 0},
      {0, Pg(5), Pg(5)},
      {0x3000, 0x15000, 0x8000},
      {0xF000, 0x2000, 0x1000},
      {0, 0x70000, 0},
      {0x4000, 0x1'2345'6000, 0xA000},
      {0xF000, 0xF000, 0xE000},
  };
  for (size_t i = 0; i < std::size(cases); i++) {
    SCOPED_TRACE(::testing::Message() << "case " << i);
    VmPageList pl;
    pl.InitializeSkew(cases[i].parent_skew, cases[i].offset);
    EXPECT_EQ(pl.GetSkew(), cases[i].expected);
    EXPECT_TRUE(pl.IsEmpty());
    EXPECT_TRUE(IsValid(pl));
  }
}

TEST_F(VmPageListTest, SkewOnePagePlacesOffsetZeroAtIndexOne) {
  // Spec 4.2: skew = P puts offset 0 at node key 0 index 1 and offset 15P at node key 0x10000
  // index 0.
  VmPageList pl;
  pl.InitializeSkew(0, Pg(1));
  ASSERT_EQ(pl.GetSkew(), Pg(1));

  vm_page_t* p0 = AddPage(pl, 0);
  EXPECT_EQ(NodeCount(pl), 1u);
  // Offsets 0..14P share node 0; 15P is the first slot of the next node.
  ASSERT_NE(pl.Lookup(Pg(14)), nullptr);
  EXPECT_TRUE(pl.Lookup(Pg(14))->IsEmpty());
  EXPECT_EQ(pl.Lookup(Pg(15)), nullptr);

  vm_page_t* p15 = AddPage(pl, Pg(15));
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(PageAt(pl, 0), p0);
  EXPECT_EQ(PageAt(pl, Pg(15)), p15);

  // A cursor at offset 0 (index 1) needs exactly 15 steps to reach index 0 of the next node.
  VMPLCursor cursor = pl.LookupMutableCursor(0);
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(&*cursor.current(), pl.Lookup(0));
  for (int i = 0; i < 14; i++) {
    cursor.step();
    ASSERT_TRUE(cursor.current()) << "step " << i;
    EXPECT_TRUE(cursor.current()->IsEmpty()) << "step " << i;
  }
  cursor.step();
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(&*cursor.current(), pl.Lookup(Pg(15)));
  EXPECT_TRUE(cursor.current()->IsPage());

  // Callbacks receive unskewed offsets.
  std::vector<uint64_t> seen;
  EXPECT_EQ(pl.ForEveryPage([&seen](const VmPageOrMarker*, uint64_t off) {
    seen.push_back(off);
    return ZX_ERR_NEXT;
  }),
            ZX_OK);
  EXPECT_THAT(seen, ElementsAre(0u, Pg(15)));

  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, SkewedListReportsUnskewedOffsetsAndGroupsNodesBySkewedOffset) {
  VmPageList pl;
  pl.InitializeSkew(0, Pg(7));
  const std::vector<uint64_t> pages = {0, 8, 9, 25, 100};
  for (uint64_t p : pages) {
    AddPage(pl, Pg(p));
  }
  // Skewed page numbers 7, 15 | 16 | 32 | 107: four nodes.
  EXPECT_EQ(NodeCount(pl), 4u);
  EXPECT_EQ(NodeCount(pl), ExpectedNodes(pages, Pg(7)));
  EXPECT_EQ(Layout(pl), "0:Page 8:Page 9:Page 25:Page 100:Page");
  // 8 (skewed 15) and 9 (skewed 16) are in different nodes.
  ASSERT_NE(pl.Lookup(Pg(10)), nullptr);  // skewed 17: node of 9
  EXPECT_TRUE(pl.Lookup(Pg(10))->IsEmpty());
  EXPECT_NE(pl.Lookup(Pg(24)), nullptr);  // skewed 31: node of 9
  EXPECT_NE(pl.Lookup(Pg(40)), nullptr);  // skewed 47: node of 25 (skewed 32)
  EXPECT_EQ(pl.Lookup(Pg(41)), nullptr);  // skewed 48: no node
  EXPECT_NE(pl.Lookup(Pg(89)), nullptr);  // skewed 96: node of 100 (skewed 107)
  EXPECT_EQ(pl.Lookup(Pg(88)), nullptr);  // skewed 95: no node
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// Lookup family (docs/semantics.md section 4.1).

TEST_F(VmPageListTest, LookupOnAbsentNodeReturnsNull) {
  VmPageList pl;
  EXPECT_EQ(pl.Lookup(Pg(5)), nullptr);
  EXPECT_FALSE(pl.LookupMutable(Pg(5)));
  EXPECT_FALSE(pl.LookupMutableCursor(Pg(5)).current());

  AddPage(pl, Pg(3));
  // Node 0 exists; node 1 (pages 16..31) and node 2 do not.
  EXPECT_EQ(pl.Lookup(Pg(16)), nullptr);
  EXPECT_FALSE(pl.LookupMutable(Pg(31)));
  EXPECT_FALSE(pl.LookupMutableCursor(Pg(20)).current());
  EXPECT_EQ(pl.Lookup(Pg(1000)), nullptr);
  // Lookups never allocate.
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, LookupOnPresentNodeEmptySlotReturnsEmptySlot) {
  VmPageList pl;
  AddPage(pl, Pg(3));
  const VmPageOrMarker* slot = pl.Lookup(Pg(5));
  ASSERT_NE(slot, nullptr);
  EXPECT_TRUE(slot->IsEmpty());
  VmPageOrMarkerRef ref = pl.LookupMutable(Pg(5));
  ASSERT_TRUE(ref);
  EXPECT_TRUE(ref->IsEmpty());
  EXPECT_EQ(&*ref, slot);
  VMPLCursor cursor = pl.LookupMutableCursor(Pg(5));
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(&*cursor.current(), slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, LookupReturnsStoredContent) {
  VmPageList pl;
  vm_page_t* page = AddPage(pl, Pg(3));
  const uint64_t ref = AddRef(pl, Pg(4));
  AddMarker(pl, Pg(5));

  const VmPageList& cpl = pl;
  ASSERT_NE(cpl.Lookup(Pg(3)), nullptr);
  EXPECT_TRUE(cpl.Lookup(Pg(3))->IsPage());
  EXPECT_EQ(PageAt(cpl, Pg(3)), page);
  EXPECT_TRUE(cpl.Lookup(Pg(4))->IsReference());
  EXPECT_EQ(RefAt(cpl, Pg(4)), ref);
  EXPECT_TRUE(cpl.Lookup(Pg(5))->IsMarker());

  EXPECT_EQ(&*pl.LookupMutable(Pg(3)), cpl.Lookup(Pg(3)));
  EXPECT_EQ(&*pl.LookupMutable(Pg(4)), cpl.Lookup(Pg(4)));
  EXPECT_EQ(&*pl.LookupMutableCursor(Pg(5)).current(), cpl.Lookup(Pg(5)));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, LookupMutableAllowsLimitedMutation) {
  VmPageList pl;
  const uint64_t ref = AddRef(pl, Pg(9));
  VmPageOrMarkerRef slot = pl.LookupMutable(Pg(9));
  ASSERT_TRUE(slot);
  EXPECT_FALSE(slot->PageOrRefLeftSplit());
  slot.SetPageOrRefLeftSplit(true);
  EXPECT_TRUE(LeftSplitAt(pl, Pg(9)));
  EXPECT_FALSE(RightSplitAt(pl, Pg(9)));

  // Reference -> page: the split bits move into the page (docs/semantics.md section 2.4).
  vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
  ASSERT_NE(page, nullptr);
  VmPageOrMarker::ReferenceValue old = pl.LookupMutable(Pg(9)).SwapReferenceForPage(page);
  EXPECT_EQ(old.value(), ref);
  vmpl::PageAllocator::Get().FreeReference(old.value());
  ASSERT_TRUE(pl.Lookup(Pg(9))->IsPage());
  EXPECT_EQ(PageAt(pl, Pg(9)), page);
  EXPECT_EQ(static_cast<int>(page->object.cow_left_split), 1);
  EXPECT_EQ(static_cast<int>(page->object.cow_right_split), 0);

  // Page -> reference: the split bits move back and the page comes out with them cleared.
  const uint64_t ref2 = vmpl::PageAllocator::Get().AllocReference();
  vm_page_t* back =
      pl.LookupMutable(Pg(9)).SwapPageForReference(VmPageOrMarker::ReferenceValue(ref2));
  EXPECT_EQ(back, page);
  EXPECT_EQ(static_cast<int>(back->object.cow_left_split), 0);
  pmm_free_page(back);
  ASSERT_TRUE(pl.Lookup(Pg(9))->IsReference());
  EXPECT_EQ(RefAt(pl, Pg(9)), ref2);
  EXPECT_TRUE(LeftSplitAt(pl, Pg(9)));

  const uint64_t ref3 = vmpl::PageAllocator::Get().AllocReference();
  VmPageOrMarker::ReferenceValue old2 =
      pl.LookupMutable(Pg(9)).ChangeReferenceValue(VmPageOrMarker::ReferenceValue(ref3));
  EXPECT_EQ(old2.value(), ref2);
  vmpl::PageAllocator::Get().FreeReference(old2.value());
  EXPECT_EQ(RefAt(pl, Pg(9)), ref3);
  EXPECT_TRUE(LeftSplitAt(pl, Pg(9)));

  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// LookupOrAllocate without intervals, in every mode (docs/semantics.md sections 4.2, 4.3).

TEST_P(VmPageListModeTest, LookupOrAllocateAllocatesNodeOnce) {
  VmPageList pl;
  const uint64_t allocs_before = vmpl::AllocFailureInjector::count();
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(5), GetParam());
  ASSERT_NE(slot, nullptr);
  EXPECT_FALSE(in_interval);
  EXPECT_TRUE(slot->IsEmpty());
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_EQ(vmpl::AllocFailureInjector::count() - allocs_before, 1u);

  // Same slot again, and another slot of the same node: no new allocation.
  auto [again, again_in_interval] = pl.LookupOrAllocate(Pg(5), GetParam());
  EXPECT_EQ(again, slot);
  EXPECT_FALSE(again_in_interval);
  auto [other, other_in_interval] = pl.LookupOrAllocate(Pg(15), GetParam());
  ASSERT_NE(other, nullptr);
  EXPECT_FALSE(other_in_interval);
  EXPECT_NE(other, slot);
  EXPECT_EQ(vmpl::AllocFailureInjector::count() - allocs_before, 1u);
  EXPECT_EQ(NodeCount(pl), 1u);

  vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
  *slot = VmPageOrMarker::Page(page);
  pl.ReturnEmptySlot(Pg(15));
  EXPECT_EQ(pl.Lookup(Pg(5)), slot);
  EXPECT_EQ(Layout(pl), "5:Page");

  // A slot that already holds content is returned as is.
  auto [full, full_in_interval] = pl.LookupOrAllocate(Pg(5), GetParam());
  EXPECT_EQ(full, slot);
  EXPECT_FALSE(full_in_interval);
  ASSERT_TRUE(full->IsPage());
  EXPECT_EQ(full->Page(), page);

  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(VmPageListModeTest, ReturnEmptySlotFreesTheNodeItAllocated) {
  VmPageList pl;
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(20), GetParam());
  ASSERT_NE(slot, nullptr);
  EXPECT_FALSE(in_interval);
  EXPECT_EQ(NodeCount(pl), 1u);
  pl.ReturnEmptySlot(Pg(20));
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_EQ(pl.HeapAllocationBytes(), 0u);
  EXPECT_EQ(pl.Lookup(Pg(20)), nullptr);
  EXPECT_TRUE(IsValid(pl));
}

TEST_P(VmPageListModeTest, ReturnEmptySlotKeepsNodeWithOtherContent) {
  VmPageList pl;
  vm_page_t* page = AddPage(pl, Pg(17));
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(20), GetParam());
  ASSERT_NE(slot, nullptr);
  EXPECT_FALSE(in_interval);
  EXPECT_EQ(NodeCount(pl), 1u);
  pl.ReturnEmptySlot(Pg(20));
  EXPECT_EQ(NodeCount(pl), 1u);
  ASSERT_NE(pl.Lookup(Pg(17)), nullptr);
  EXPECT_EQ(PageAt(pl, Pg(17)), page);
  EXPECT_EQ(Layout(pl), "17:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(VmPageListModeTest, LookupOrAllocateFailsCleanlyWhenNodeAllocationFails) {
  VmPageList pl;
  AddPage(pl, Pg(2));
  {
    vmpl::ScopedAllocFailure fail(1);
    auto [slot, in_interval] = pl.LookupOrAllocate(Pg(40), GetParam());
    EXPECT_EQ(slot, nullptr);
    EXPECT_FALSE(in_interval);
  }
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_EQ(pl.Lookup(Pg(40)), nullptr);
  {
    // A slot of an existing node needs no allocation, so it cannot fail.
    vmpl::ScopedAllocFailure fail(1, /*sticky=*/true);
    auto [slot, in_interval] = pl.LookupOrAllocate(Pg(3), GetParam());
    EXPECT_NE(slot, nullptr);
    EXPECT_FALSE(in_interval);
  }
  pl.ReturnEmptySlot(Pg(3));
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(40), GetParam());
  EXPECT_NE(slot, nullptr);
  EXPECT_FALSE(in_interval);
  pl.ReturnEmptySlot(Pg(40));
  EXPECT_EQ(Layout(pl), "2:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(VmPageListModeTest, LookupOrAllocateAtAndBeyondMaxSizeFails) {
  // Spec 4.4: node offset >= MAX_SIZE -> nullptr. With skew 0 the first refused offset is
  // MAX_SIZE itself.
  ASSERT_EQ(VmPageList::MAX_SIZE, kMaxSize);
  VmPageList pl;
  const uint64_t refused[] = {kMaxSize, kMaxSize + kPageSize, kMaxSize + kNodeSize,
                              kMaxSize + kNodeSize + Pg(15), 0xFFFF'FFFF'FFFF'F000};
  for (size_t i = 0; i < std::size(refused); i++) {
    auto [slot, in_interval] = pl.LookupOrAllocate(refused[i], GetParam());
    EXPECT_EQ(slot, nullptr) << "case " << i;
    EXPECT_FALSE(in_interval) << "case " << i;
  }
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_TRUE(IsValid(pl));
}

TEST_P(VmPageListModeTest, LookupOrAllocateJustBelowMaxSizeSucceeds) {
  VmPageList pl;
  const uint64_t last = kMaxSize - kPageSize;
  auto [slot, in_interval] = pl.LookupOrAllocate(last, GetParam());
  ASSERT_NE(slot, nullptr);
  EXPECT_FALSE(in_interval);
  vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
  *slot = VmPageOrMarker::Page(page);
  // The first offset of the last node also works.
  auto [first, first_in_interval] = pl.LookupOrAllocate(kMaxSize - kNodeSize, GetParam());
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(first_in_interval);
  pl.ReturnEmptySlot(kMaxSize - kNodeSize);
  EXPECT_EQ(NodeCount(pl), 1u);

  std::vector<uint64_t> seen;
  EXPECT_EQ(pl.ForEveryPage([&seen](const VmPageOrMarker*, uint64_t off) {
    seen.push_back(off);
    return ZX_ERR_NEXT;
  }),
            ZX_OK);
  EXPECT_THAT(seen, ElementsAre(last));
  EXPECT_TRUE(IsValid(pl));

  VmPageOrMarker removed = pl.RemoveContent(last);
  ASSERT_TRUE(removed.IsPage());
  EXPECT_EQ(removed.Page(), page);
  FreeContent(std::move(removed));
  EXPECT_TRUE(pl.IsEmpty());
}

TEST_P(VmPageListModeTest, LookupOrAllocateNearMaxSizeAccountsForSkew) {
  // The node offset is ROUNDDOWN(offset + skew, 64 KiB) and must be < MAX_SIZE, so the last
  // usable offset is MAX_SIZE - skew - P.
  const uint64_t skews[] = {Pg(1), 0x8000, 0xF000};
  for (uint64_t skew : skews) {
    SCOPED_TRACE(::testing::Message() << "skew " << std::hex << skew);
    VmPageList pl;
    pl.InitializeSkew(0, skew);
    const uint64_t last = kMaxSize - skew - kPageSize;
    auto [slot, in_interval] = pl.LookupOrAllocate(last, GetParam());
    ASSERT_NE(slot, nullptr);
    EXPECT_FALSE(in_interval);
    vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
    *slot = VmPageOrMarker::Page(page);

    for (uint64_t off : {kMaxSize - skew, kMaxSize - kPageSize, kMaxSize}) {
      auto [refused, refused_in_interval] = pl.LookupOrAllocate(off, GetParam());
      EXPECT_EQ(refused, nullptr) << std::hex << off;
      EXPECT_FALSE(refused_in_interval);
    }
    EXPECT_EQ(NodeCount(pl), 1u);

    std::vector<uint64_t> seen;
    EXPECT_EQ(pl.ForEveryPage([&seen](const VmPageOrMarker*, uint64_t off) {
      seen.push_back(off);
      return ZX_ERR_NEXT;
    }),
              ZX_OK);
    EXPECT_THAT(seen, ElementsAre(last));
    ASSERT_NE(pl.Lookup(last), nullptr);
    EXPECT_EQ(PageAt(pl, last), page);
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModes, VmPageListModeTest,
                         ::testing::Values(IntervalHandling::NoIntervals,
                                           IntervalHandling::CheckForInterval,
                                           IntervalHandling::SplitInterval),
                         ModeName);

// ---------------------------------------------------------------------------------------------
// Removal (docs/semantics.md sections 5.1, 5.2).

TEST_F(VmPageListTest, RemoveContentReturnsPageAndErasesEmptiedNode) {
  VmPageList pl;
  vm_page_t* page = AddPage(pl, Pg(20));
  VmPageOrMarker content = pl.RemoveContent(Pg(20));
  ASSERT_TRUE(content.IsPage());
  EXPECT_EQ(content.Page(), page);
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_EQ(pl.Lookup(Pg(20)), nullptr);
  FreeContent(std::move(content));
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListTest, RemoveContentKeepsNodeWithOtherContent) {
  VmPageList pl;
  AddPage(pl, Pg(20));
  vm_page_t* p21 = AddPage(pl, Pg(21));
  VmPageOrMarker content = pl.RemoveContent(Pg(20));
  EXPECT_TRUE(content.IsPage());
  FreeContent(std::move(content));
  EXPECT_EQ(NodeCount(pl), 1u);
  ASSERT_NE(pl.Lookup(Pg(20)), nullptr);
  EXPECT_TRUE(pl.Lookup(Pg(20))->IsEmpty());
  EXPECT_EQ(PageAt(pl, Pg(21)), p21);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, RemoveContentOfAbsentOffsetReturnsEmpty) {
  VmPageList pl;
  EXPECT_TRUE(pl.RemoveContent(Pg(7)).IsEmpty());
  AddPage(pl, Pg(3));
  // Absent node.
  EXPECT_TRUE(pl.RemoveContent(Pg(40)).IsEmpty());
  // Present node, empty slot: the node is kept.
  EXPECT_TRUE(pl.RemoveContent(Pg(4)).IsEmpty());
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_EQ(Layout(pl), "3:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, RemoveContentReturnsMarkersAndReferences) {
  VmPageList pl;
  AddMarker(pl, Pg(1));
  const uint64_t ref = AddRef(pl, Pg(33), /*left_split=*/false, /*right_split=*/true);
  VmPageOrMarker marker = pl.RemoveContent(Pg(1));
  EXPECT_TRUE(marker.IsMarker());
  EXPECT_EQ(NodeCount(pl), 1u);
  VmPageOrMarker reference = pl.RemoveContent(Pg(33));
  ASSERT_TRUE(reference.IsReference());
  EXPECT_EQ(reference.Reference().value(), ref);
  EXPECT_TRUE(reference.PageOrRefRightSplit());
  EXPECT_TRUE(pl.IsEmpty());
  FreeContent(std::move(reference));
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListTest, RemoveAllContentHandsOverPagesAndReferencesOnly) {
  VmPageList pl;
  std::set<vm_page_t*> pages = {AddPage(pl, 0), AddPage(pl, Pg(20))};
  const uint64_t ref = AddRef(pl, Pg(21));
  AddMarker(pl, Pg(40));
  ASSERT_EQ(pl.AddZeroInterval(Pg(50), Pg(70), kDirty), ZX_OK);
  EXPECT_EQ(NodeCount(pl), 5u);  // nodes 0, 1, 2, 3 (Start 50), 4 (End 69)

  std::set<vm_page_t*> freed_pages;
  std::vector<uint64_t> freed_refs;
  int calls = 0;
  pl.RemoveAllContent([&](VmPageOrMarker&& c) {
    calls++;
    VmPageOrMarker content = std::move(c);
    if (content.IsPage()) {
      freed_pages.insert(content.Page());
    } else if (content.IsReference()) {
      freed_refs.push_back(content.Reference().value());
    } else {
      ADD_FAILURE() << "RemoveAllContent handed over " << Describe(content);
    }
    FreeContent(std::move(content));
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(freed_pages, pages);
  EXPECT_THAT(freed_refs, ElementsAre(ref));
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_EQ(pl.HeapAllocationBytes(), 0u);
  EXPECT_TRUE(IsValid(pl));
}

TEST_P(VmPageListSkewTest, RemovePagesOverRangeStartingAndEndingMidNode) {
  VmPageList pl;
  pl.InitializeSkew(0, skew());
  const std::vector<uint64_t> all = {10, 15, 16, 20, 31, 32, 40, 47, 50};
  for (uint64_t p : all) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> visited;
  pl.RemovePages(
      [&visited](VmPageOrMarker* p, uint64_t off) {
        visited.push_back(ToPages(off));
        FreeContent(std::move(*p));
        return ZX_ERR_NEXT;
      },
      Pg(12), Pg(45));
  EXPECT_THAT(visited, ElementsAre(15u, 16u, 20u, 31u, 32u, 40u));
  EXPECT_EQ(Layout(pl), "10:Page 47:Page 50:Page");
  // Nodes emptied by the walk are erased.
  EXPECT_EQ(NodeCount(pl), ExpectedNodes({10, 47, 50}, skew()));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(VmPageListSkewTest, RemovePagesErasesEmptiedPartialFirstAndLastNodes) {
  VmPageList pl;
  pl.InitializeSkew(0, skew());
  for (uint64_t p : {14, 15, 16, 17, 18, 33, 34}) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> visited;
  pl.RemovePages(
      [&visited](VmPageOrMarker* p, uint64_t off) {
        visited.push_back(ToPages(off));
        FreeContent(std::move(*p));
        return ZX_ERR_NEXT;
      },
      Pg(14), Pg(35));
  EXPECT_THAT(visited, ElementsAre(14u, 15u, 16u, 17u, 18u, 33u, 34u));
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_EQ(pl.HeapAllocationBytes(), 0u);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListTest, RemovePagesKeepsWhatTheCallbackLeaves) {
  VmPageList pl;
  for (uint64_t p = 10; p < 40; p++) {
    AddPage(pl, Pg(p));
  }
  AddMarker(pl, Pg(40));
  // Take the even pages of [12, 41), leave the odd ones and the marker.
  pl.RemovePages(
      [](VmPageOrMarker* p, uint64_t off) {
        if (ToPages(off) % 2 == 0 && p->IsPage()) {
          FreeContent(std::move(*p));
        }
        return ZX_ERR_NEXT;
      },
      Pg(12), Pg(41));
  std::string expected = "10:Page 11:Page";
  for (uint64_t p = 13; p < 40; p += 2) {
    expected += " " + std::to_string(p) + ":Page";
  }
  expected += " 40:Marker";
  EXPECT_EQ(Layout(pl), expected);
  EXPECT_EQ(NodeCount(pl), 3u);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, RemovePagesStopEndsWalkAfterCleaningVisitedNodes) {
  VmPageList pl;
  for (uint64_t p : {1, 17, 33}) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> visited;
  pl.RemovePages(
      [&visited](VmPageOrMarker* p, uint64_t off) {
        visited.push_back(ToPages(off));
        FreeContent(std::move(*p));
        return ToPages(off) == 17 ? ZX_ERR_STOP : ZX_ERR_NEXT;
      },
      0, Pg(48));
  EXPECT_THAT(visited, ElementsAre(1u, 17u));
  // Node 0 and node 1 were emptied (node 1 by the call that stopped) and are gone.
  EXPECT_EQ(Layout(pl), "33:Page");
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, RemovePagesAndIterateGapsReportsGapsAndCleansNodes) {
  VmPageList pl;
  for (uint64_t p : {2, 5, 20}) {
    AddPage(pl, Pg(p));
  }
  GapWalk walk;
  zx_status_t status = pl.RemovePagesAndIterateGaps(
      [&walk](VmPageOrMarker* p, uint64_t off) -> zx_status_t {
        walk.pages.push_back(ToPages(off));
        FreeContent(std::move(*p));
        return ZX_ERR_NEXT;
      },
      [&walk](uint64_t start, uint64_t end) -> zx_status_t {
        walk.gaps.emplace_back(ToPages(start), ToPages(end));
        return ZX_ERR_NEXT;
      },
      0, Pg(24));
  EXPECT_EQ(status, ZX_OK);
  EXPECT_THAT(walk.pages, ElementsAre(2u, 5u, 20u));
  EXPECT_THAT(
      walk.gaps,
      ElementsAre(std::pair<uint64_t, uint64_t>{0, 2}, std::pair<uint64_t, uint64_t>{3, 5},
                  std::pair<uint64_t, uint64_t>{6, 20}, std::pair<uint64_t, uint64_t>{21, 24}));
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_EQ(pl.HeapAllocationBytes(), 0u);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListTest, RemovePagesAndIterateGapsSkipsIntervalInteriors) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(7), kDirty), ZX_OK);
  AddPage(pl, Pg(9));
  GapWalk walk;
  zx_status_t status = pl.RemovePagesAndIterateGaps(
      [&walk](VmPageOrMarker* p, uint64_t off) -> zx_status_t {
        walk.pages.push_back(ToPages(off));
        if (p->IsPage()) {
          FreeContent(std::move(*p));
        }
        return ZX_ERR_NEXT;
      },
      [&walk](uint64_t start, uint64_t end) -> zx_status_t {
        walk.gaps.emplace_back(ToPages(start), ToPages(end));
        return ZX_ERR_NEXT;
      },
      0, Pg(12));
  EXPECT_EQ(status, ZX_OK);
  EXPECT_THAT(walk.pages, ElementsAre(3u, 6u, 9u));
  EXPECT_THAT(walk.gaps,
              ElementsAre(std::pair<uint64_t, uint64_t>{0, 3}, std::pair<uint64_t, uint64_t>{7, 9},
                          std::pair<uint64_t, uint64_t>{10, 12}));
  EXPECT_EQ(Layout(pl), "3:Start 6:End");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, RemovePagesAndIterateGapsPropagatesErrors) {
  VmPageList pl;
  AddPage(pl, Pg(2));
  AddPage(pl, Pg(4));
  int page_calls = 0;
  zx_status_t status = pl.RemovePagesAndIterateGaps(
      [&page_calls](VmPageOrMarker*, uint64_t) -> zx_status_t {
        page_calls++;
        return ZX_ERR_NEXT;
      },
      [](uint64_t start, uint64_t) -> zx_status_t {
        return start == Pg(3) ? ZX_ERR_BAD_STATE : ZX_ERR_NEXT;
      },
      0, Pg(8));
  EXPECT_EQ(status, ZX_ERR_BAD_STATE);
  EXPECT_EQ(page_calls, 1);  // page 2 only; the gap before page 4 failed
  EXPECT_EQ(Layout(pl), "2:Page 4:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// Queries (docs/semantics.md section 5.3).

TEST_F(VmPageListTest, IsEmptyAndHasNoPageOrRefDistinguishContentKinds) {
  {
    VmPageList pl;
    EXPECT_TRUE(pl.IsEmpty());
    EXPECT_TRUE(pl.HasNoPageOrRef());
  }
  {
    VmPageList pl;
    AddMarker(pl, Pg(4));
    EXPECT_FALSE(pl.IsEmpty());
    EXPECT_TRUE(pl.HasNoPageOrRef());
    EXPECT_TRUE(IsValid(pl));
  }
  {
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(4), Pg(40), kDirty), ZX_OK);
    EXPECT_FALSE(pl.IsEmpty());
    EXPECT_TRUE(pl.HasNoPageOrRef());
    EXPECT_TRUE(IsValid(pl));
  }
  {
    VmPageList pl;
    AddMarker(pl, Pg(4));
    AddPage(pl, Pg(100));
    EXPECT_FALSE(pl.IsEmpty());
    EXPECT_FALSE(pl.HasNoPageOrRef());
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
    EXPECT_TRUE(pl.IsEmpty());
    EXPECT_TRUE(pl.HasNoPageOrRef());
  }
  {
    VmPageList pl;
    AddRef(pl, Pg(70));
    EXPECT_FALSE(pl.IsEmpty());
    EXPECT_FALSE(pl.HasNoPageOrRef());
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
  {
    // An allocated but still empty slot is not content.
    VmPageList pl;
    auto [slot, in_interval] = pl.LookupOrAllocate(Pg(1), IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    EXPECT_TRUE(pl.HasNoPageOrRef());
    pl.ReturnEmptySlot(Pg(1));
    EXPECT_TRUE(pl.IsEmpty());
  }
}

TEST_F(VmPageListTest, HeapAllocationBytesIs176PerNode) {
  ASSERT_EQ(sizeof(VmPageListNode), 176u);  // docs/semantics.md section 12.4
  VmPageList pl;
  EXPECT_EQ(pl.HeapAllocationBytes(), 0u);
  AddPage(pl, 0);
  AddPage(pl, Pg(1));
  EXPECT_EQ(pl.HeapAllocationBytes(), 176u);
  AddPage(pl, Pg(16));
  EXPECT_EQ(pl.HeapAllocationBytes(), 352u);
  AddMarker(pl, Pg(1000));
  EXPECT_EQ(pl.HeapAllocationBytes(), 528u);
  FreeContent(pl.RemoveContent(Pg(16)));
  EXPECT_EQ(pl.HeapAllocationBytes(), 352u);
  // An interval spanning many nodes only costs the nodes of its two sentinels.
  ASSERT_EQ(pl.AddZeroInterval(Pg(2000), Pg(3000), kDirty), ZX_OK);
  EXPECT_EQ(pl.HeapAllocationBytes(), 4 * 176u);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
  EXPECT_EQ(pl.HeapAllocationBytes(), 0u);
}

TEST_F(VmPageListTest, AnyPagesOrIntervalsInRange) {
  VmPageList pl;
  EXPECT_FALSE(pl.AnyPagesOrIntervalsInRange(0, Pg(100)));
  AddPage(pl, Pg(5));
  AddMarker(pl, Pg(60));
  ASSERT_EQ(pl.AddZeroInterval(Pg(20), Pg(50), kDirty), ZX_OK);  // Start 20, End 49
  struct Case {
    uint64_t start, end;
    bool expected;
  };
  const Case cases[] = {
      {0, 5, false},    {0, 6, true},   {5, 6, true},    {6, 10, false}, {6, 20, false},
      {19, 20, false},  {19, 21, true}, {20, 21, true},  {30, 40, true}, {33, 34, true},
      {48, 49, true},   {49, 50, true}, {50, 60, false}, {50, 61, true}, {60, 61, true},
      {61, 200, false}, {0, 200, true}, {25, 70, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(pl.AnyPagesOrIntervalsInRange(Pg(c.start), Pg(c.end)), c.expected)
        << "[" << c.start << ", " << c.end << ")";
  }
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// Iteration (docs/semantics.md section 6).

TEST_F(VmPageListTest, ForEveryPageVisitsEverySlotInOffsetOrder) {
  VmPageList pl;
  AddPage(pl, Pg(40));
  AddPage(pl, Pg(3));
  AddPage(pl, Pg(17));
  AddMarker(pl, Pg(5));
  AddRef(pl, Pg(60));
  EXPECT_EQ(Layout(pl), "3:Page 5:Marker 17:Page 40:Page 60:Ref");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ForEveryPageStopEndsEarlyWithOk) {
  VmPageList pl;
  for (uint64_t p : {1, 2, 3, 30}) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> seen;
  zx_status_t status = pl.ForEveryPage([&seen](const VmPageOrMarker*, uint64_t off) {
    seen.push_back(ToPages(off));
    return ToPages(off) == 2 ? ZX_ERR_STOP : ZX_ERR_NEXT;
  });
  EXPECT_EQ(status, ZX_OK);
  EXPECT_THAT(seen, ElementsAre(1u, 2u));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ForEveryPagePropagatesErrors) {
  VmPageList pl;
  for (uint64_t p : {1, 2, 3, 30}) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> seen;
  zx_status_t status = pl.ForEveryPage([&seen](const VmPageOrMarker*, uint64_t off) {
    seen.push_back(ToPages(off));
    return ToPages(off) == 3 ? ZX_ERR_BAD_STATE : ZX_ERR_NEXT;
  });
  EXPECT_EQ(status, ZX_ERR_BAD_STATE);
  EXPECT_THAT(seen, ElementsAre(1u, 2u, 3u));
  // An error in a later node too.
  seen.clear();
  status = pl.ForEveryPage([&seen](const VmPageOrMarker*, uint64_t off) {
    seen.push_back(ToPages(off));
    return ToPages(off) == 30 ? ZX_ERR_NO_MEMORY : ZX_ERR_NEXT;
  });
  EXPECT_EQ(status, ZX_ERR_NO_MEMORY);
  EXPECT_THAT(seen, ElementsAre(1u, 2u, 3u, 30u));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ForEveryPageMutableAllowsContentSwaps) {
  VmPageList pl;
  std::vector<vm_page_t*> pages = {AddPage(pl, Pg(1)), AddPage(pl, Pg(20)), AddPage(pl, Pg(21))};
  AddMarker(pl, Pg(22));
  std::vector<vm_page_t*> swapped_out;
  zx_status_t status = pl.ForEveryPageMutable([&](VmPageOrMarkerRef p, uint64_t off) {
    if (p->IsPage()) {
      p.SetPageOrRefRightSplit(ToPages(off) == 20);
      swapped_out.push_back(p.SwapPageForReference(
          VmPageOrMarker::ReferenceValue(vmpl::PageAllocator::Get().AllocReference())));
    }
    return ZX_ERR_NEXT;
  });
  EXPECT_EQ(status, ZX_OK);
  EXPECT_EQ(swapped_out, pages);
  for (vm_page_t* p : swapped_out) {
    EXPECT_EQ(static_cast<int>(p->object.cow_right_split), 0);
    pmm_free_page(p);
  }
  EXPECT_EQ(Layout(pl), "1:Ref 20:Ref 21:Ref 22:Marker");
  EXPECT_FALSE(RightSplitAt(pl, Pg(1)));
  EXPECT_TRUE(RightSplitAt(pl, Pg(20)));
  EXPECT_FALSE(RightSplitAt(pl, Pg(21)));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ForEveryPageMutableStopAndError) {
  VmPageList pl;
  for (uint64_t p : {1, 17, 33}) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> seen;
  EXPECT_EQ(pl.ForEveryPageMutable([&seen](VmPageOrMarkerRef p, uint64_t off) {
    seen.push_back(ToPages(off));
    p.SetPageOrRefLeftSplit(true);
    return ToPages(off) == 17 ? ZX_ERR_STOP : ZX_ERR_NEXT;
  }),
            ZX_OK);
  EXPECT_THAT(seen, ElementsAre(1u, 17u));
  EXPECT_TRUE(LeftSplitAt(pl, Pg(17)));
  EXPECT_FALSE(LeftSplitAt(pl, Pg(33)));
  seen.clear();
  EXPECT_EQ(pl.ForEveryPageMutable([&seen](VmPageOrMarkerRef, uint64_t off) {
    seen.push_back(ToPages(off));
    return ZX_ERR_INVALID_ARGS;
  }),
            ZX_ERR_INVALID_ARGS);
  EXPECT_THAT(seen, ElementsAre(1u));
  for (uint64_t p : {1, 17}) {
    pl.LookupMutable(Pg(p)).SetPageOrRefLeftSplit(false);
  }
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

std::vector<uint64_t> PagesInRange(const VmPageList& pl, uint64_t start, uint64_t end) {
  std::vector<uint64_t> seen;
  EXPECT_EQ(pl.ForEveryPageInRange(
                [&seen](const VmPageOrMarker*, uint64_t off) {
                  seen.push_back(ToPages(off));
                  return ZX_ERR_NEXT;
                },
                Pg(start), Pg(end)),
            ZX_OK);
  return seen;
}

TEST_P(VmPageListSkewTest, ForEveryPageInRangeHandlesPartialFirstAndLastNodes) {
  VmPageList pl;
  pl.InitializeSkew(0, skew());
  for (uint64_t p : {5, 15, 16, 31, 32, 47, 48, 50}) {
    AddPage(pl, Pg(p));
  }
  EXPECT_THAT(PagesInRange(pl, 15, 49), ElementsAre(15u, 16u, 31u, 32u, 47u, 48u));
  EXPECT_THAT(PagesInRange(pl, 16, 48), ElementsAre(16u, 31u, 32u, 47u));
  EXPECT_THAT(PagesInRange(pl, 0, 64), ElementsAre(5u, 15u, 16u, 31u, 32u, 47u, 48u, 50u));
  EXPECT_THAT(PagesInRange(pl, 5, 6), ElementsAre(5u));
  EXPECT_THAT(PagesInRange(pl, 6, 15), IsEmpty());
  EXPECT_THAT(PagesInRange(pl, 17, 31), IsEmpty());
  EXPECT_THAT(PagesInRange(pl, 49, 100), ElementsAre(50u));
  EXPECT_THAT(PagesInRange(pl, 51, 1000), IsEmpty());
  EXPECT_THAT(PagesInRange(pl, 30, 33), ElementsAre(31u, 32u));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(VmPageListSkewTest, ForEveryPageInRangeStopAndError) {
  VmPageList pl;
  pl.InitializeSkew(0, skew());
  for (uint64_t p : {5, 15, 16, 31, 32, 47, 48, 50}) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> seen;
  EXPECT_EQ(pl.ForEveryPageInRange(
                [&seen](const VmPageOrMarker*, uint64_t off) {
                  seen.push_back(ToPages(off));
                  return ToPages(off) == 16 ? ZX_ERR_STOP : ZX_ERR_NEXT;
                },
                Pg(15), Pg(49)),
            ZX_OK);
  EXPECT_THAT(seen, ElementsAre(15u, 16u));
  seen.clear();
  EXPECT_EQ(pl.ForEveryPageInRange(
                [&seen](const VmPageOrMarker*, uint64_t off) {
                  seen.push_back(ToPages(off));
                  return ToPages(off) == 31 ? ZX_ERR_BAD_STATE : ZX_ERR_NEXT;
                },
                Pg(15), Pg(49)),
            ZX_ERR_BAD_STATE);
  EXPECT_THAT(seen, ElementsAre(15u, 16u, 31u));
  // Stopping and failing in the last, partial node.
  seen.clear();
  EXPECT_EQ(pl.ForEveryPageInRange(
                [&seen](const VmPageOrMarker*, uint64_t off) {
                  seen.push_back(ToPages(off));
                  return ToPages(off) == 48 ? ZX_ERR_STOP : ZX_ERR_NEXT;
                },
                Pg(40), Pg(52)),
            ZX_OK);
  EXPECT_THAT(seen, ElementsAre(47u, 48u));
  EXPECT_EQ(pl.ForEveryPageInRange(
                [](const VmPageOrMarker*, uint64_t off) {
                  return ToPages(off) == 50 ? ZX_ERR_OUT_OF_RANGE : ZX_ERR_NEXT;
                },
                Pg(40), Pg(52)),
            ZX_ERR_OUT_OF_RANGE);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(VmPageListSkewTest, ForEveryPageInRangeMutableOnlyTouchesTheRange) {
  VmPageList pl;
  pl.InitializeSkew(0, skew());
  for (uint64_t p : {5, 15, 16, 31, 32, 47}) {
    AddPage(pl, Pg(p));
  }
  EXPECT_EQ(pl.ForEveryPageInRangeMutable(
                [](VmPageOrMarkerRef p, uint64_t) {
                  p.SetPageOrRefLeftSplit(true);
                  return ZX_ERR_NEXT;
                },
                Pg(15), Pg(33)),
            ZX_OK);
  std::vector<uint64_t> split;
  EXPECT_EQ(pl.ForEveryPage([&split](const VmPageOrMarker* p, uint64_t off) {
    if (p->PageOrRefLeftSplit()) {
      split.push_back(ToPages(off));
    }
    return ZX_ERR_NEXT;
  }),
            ZX_OK);
  EXPECT_THAT(split, ElementsAre(15u, 16u, 31u, 32u));
  EXPECT_EQ(pl.ForEveryPageInRangeMutable(
                [](VmPageOrMarkerRef p, uint64_t) {
                  p.SetPageOrRefLeftSplit(false);
                  return ZX_ERR_NEXT;
                },
                0, Pg(64)),
            ZX_OK);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(VmPageListSkewTest, ForEveryPageAndGapInRangeReportsGapsExactly) {
  VmPageList pl;
  pl.InitializeSkew(0, skew());
  for (uint64_t p : {2, 3, 7, 14, 17, 40}) {
    AddPage(pl, Pg(p));
  }
  using G = std::pair<uint64_t, uint64_t>;
  GapWalk w = WalkPagesAndGaps(pl, 0, Pg(10));
  EXPECT_THAT(w.pages, ElementsAre(2u, 3u, 7u));
  EXPECT_THAT(w.gaps, ElementsAre(G{0, 2}, G{4, 7}, G{8, 10}));

  // Starting and ending on populated slots: no leading or trailing gap.
  w = WalkPagesAndGaps(pl, Pg(2), Pg(8));
  EXPECT_THAT(w.pages, ElementsAre(2u, 3u, 7u));
  EXPECT_THAT(w.gaps, ElementsAre(G{4, 7}));

  // Across nodes.
  w = WalkPagesAndGaps(pl, Pg(10), Pg(50));
  EXPECT_THAT(w.pages, ElementsAre(14u, 17u, 40u));
  EXPECT_THAT(w.gaps, ElementsAre(G{10, 14}, G{15, 17}, G{18, 40}, G{41, 50}));

  // Entirely a gap, inside a node and beyond every node.
  w = WalkPagesAndGaps(pl, Pg(4), Pg(7));
  EXPECT_THAT(w.pages, IsEmpty());
  EXPECT_THAT(w.gaps, ElementsAre(G{4, 7}));
  w = WalkPagesAndGaps(pl, Pg(100), Pg(300));
  EXPECT_THAT(w.pages, IsEmpty());
  EXPECT_THAT(w.gaps, ElementsAre(G{100, 300}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ForEveryPageAndGapInRangeOnEmptyListIsOneGap) {
  VmPageList pl;
  GapWalk w = WalkPagesAndGaps(pl, Pg(3), Pg(5));
  EXPECT_THAT(w.pages, IsEmpty());
  EXPECT_THAT(w.gaps, ElementsAre(std::pair<uint64_t, uint64_t>{3, 5}));
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListTest, ForEveryPageAndGapInRangeReportsIntervalSentinelsButNotInteriors) {
  VmPageList pl;
  using G = std::pair<uint64_t, uint64_t>;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(7), kDirty), ZX_OK);
  AddPage(pl, Pg(9));
  ASSERT_EQ(pl.AddZeroInterval(Pg(20), Pg(60), kDirty), ZX_OK);
  ASSERT_EQ(pl.AddZeroInterval(Pg(62), Pg(63), kDirty), ZX_OK);

  GapWalk w = WalkPagesAndGaps(pl, 0, Pg(12));
  EXPECT_THAT(w.pages, ElementsAre(3u, 6u, 9u));
  EXPECT_THAT(w.gaps, ElementsAre(G{0, 3}, G{7, 9}, G{10, 12}));

  // Starting inside an interval: no gap before its End.
  w = WalkPagesAndGaps(pl, Pg(4), Pg(10));
  EXPECT_THAT(w.pages, ElementsAre(6u, 9u));
  EXPECT_THAT(w.gaps, ElementsAre(G{7, 9}));

  // Ending inside an interval: no trailing gap.
  w = WalkPagesAndGaps(pl, Pg(10), Pg(30));
  EXPECT_THAT(w.pages, ElementsAre(20u));
  EXPECT_THAT(w.gaps, ElementsAre(G{10, 20}));

  // Wholly inside an interval spanning absent nodes: nothing at all.
  w = WalkPagesAndGaps(pl, Pg(25), Pg(50));
  EXPECT_THAT(w.pages, IsEmpty());
  EXPECT_THAT(w.gaps, IsEmpty());

  // A single-slot interval is a populated slot.
  w = WalkPagesAndGaps(pl, Pg(55), Pg(64));
  EXPECT_THAT(w.pages, ElementsAre(59u, 62u));
  EXPECT_THAT(w.gaps, ElementsAre(G{60, 62}, G{63, 64}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ForEveryPageAndGapInRangeStopSuppressesTrailingGap) {
  VmPageList pl;
  AddPage(pl, Pg(2));
  AddPage(pl, Pg(4));
  using G = std::pair<uint64_t, uint64_t>;
  std::vector<uint64_t> pages;
  std::vector<G> gaps;
  // STOP from the page callback.
  zx_status_t status = pl.ForEveryPageAndGapInRange(
      [&pages](const VmPageOrMarker*, uint64_t off) -> zx_status_t {
        pages.push_back(ToPages(off));
        return ToPages(off) == 4 ? ZX_ERR_STOP : ZX_ERR_NEXT;
      },
      [&gaps](uint64_t s, uint64_t e) -> zx_status_t {
        gaps.emplace_back(ToPages(s), ToPages(e));
        return ZX_ERR_NEXT;
      },
      0, Pg(10));
  EXPECT_EQ(status, ZX_OK);
  EXPECT_THAT(pages, ElementsAre(2u, 4u));
  EXPECT_THAT(gaps, ElementsAre(G{0, 2}, G{3, 4}));

  // STOP from the gap callback: the page after the gap is not visited, no trailing gap.
  pages.clear();
  gaps.clear();
  status = pl.ForEveryPageAndGapInRange(
      [&pages](const VmPageOrMarker*, uint64_t off) -> zx_status_t {
        pages.push_back(ToPages(off));
        return ZX_ERR_NEXT;
      },
      [&gaps](uint64_t s, uint64_t e) -> zx_status_t {
        gaps.emplace_back(ToPages(s), ToPages(e));
        return ToPages(s) == 3 ? ZX_ERR_STOP : ZX_ERR_NEXT;
      },
      0, Pg(10));
  EXPECT_EQ(status, ZX_OK);
  EXPECT_THAT(pages, ElementsAre(2u));
  EXPECT_THAT(gaps, ElementsAre(G{0, 2}, G{3, 4}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ForEveryPageAndGapInRangePropagatesErrors) {
  VmPageList pl;
  AddPage(pl, Pg(2));
  AddPage(pl, Pg(4));
  auto next_page = [](const VmPageOrMarker*, uint64_t) -> zx_status_t { return ZX_ERR_NEXT; };
  auto next_gap = [](uint64_t, uint64_t) -> zx_status_t { return ZX_ERR_NEXT; };
  // From the page callback.
  EXPECT_EQ(pl.ForEveryPageAndGapInRange(
                [](const VmPageOrMarker*, uint64_t off) -> zx_status_t {
                  return ToPages(off) == 4 ? ZX_ERR_BAD_STATE : ZX_ERR_NEXT;
                },
                next_gap, 0, Pg(10)),
            ZX_ERR_BAD_STATE);
  // From a gap callback in the middle.
  EXPECT_EQ(pl.ForEveryPageAndGapInRange(
                next_page,
                [](uint64_t s, uint64_t) -> zx_status_t {
                  return ToPages(s) == 3 ? ZX_ERR_NO_MEMORY : ZX_ERR_NEXT;
                },
                0, Pg(10)),
            ZX_ERR_NO_MEMORY);
  // From the trailing gap callback.
  int trailing_calls = 0;
  EXPECT_EQ(pl.ForEveryPageAndGapInRange(
                next_page,
                [&trailing_calls](uint64_t s, uint64_t e) -> zx_status_t {
                  if (ToPages(s) == 5 && ToPages(e) == 10) {
                    trailing_calls++;
                    return ZX_ERR_INVALID_ARGS;
                  }
                  return ZX_ERR_NEXT;
                },
                0, Pg(10)),
            ZX_ERR_INVALID_ARGS);
  EXPECT_EQ(trailing_calls, 1);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ForEveryPageAndGapInRangeMatchesModel) {
  const uint32_t seed = ::testing::UnitTest::GetInstance()->random_seed();
  SCOPED_TRACE(::testing::Message() << "random seed " << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 20; round++) {
    SCOPED_TRACE(::testing::Message() << "round " << round);
    VmPageList pl;
    pl.InitializeSkew(0, Pg(rng() % kFanOut));
    std::set<uint64_t> model;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; i++) {
      const uint64_t p = rng() % 160;
      if (model.insert(p).second) {
        if (rng() % 2) {
          AddPage(pl, Pg(p));
        } else {
          AddMarker(pl, Pg(p));
        }
      }
    }
    for (int q = 0; q < 10; q++) {
      uint64_t a = rng() % 170;
      uint64_t b = rng() % 170;
      if (a > b) {
        std::swap(a, b);
      }
      if (a == b) {
        b++;
      }
      SCOPED_TRACE(::testing::Message() << "range [" << a << ", " << b << ")");
      std::vector<uint64_t> expected_pages;
      std::vector<std::pair<uint64_t, uint64_t>> expected_gaps;
      uint64_t next = a;
      for (auto it = model.lower_bound(a); it != model.end() && *it < b; ++it) {
        if (*it != next) {
          expected_gaps.emplace_back(next, *it);
        }
        expected_pages.push_back(*it);
        next = *it + 1;
      }
      if (next != b) {
        expected_gaps.emplace_back(next, b);
      }
      GapWalk w = WalkPagesAndGaps(pl, Pg(a), Pg(b));
      EXPECT_EQ(w.pages, expected_pages);
      EXPECT_EQ(w.gaps, expected_gaps);
      EXPECT_EQ(PagesInRange(pl, a, b), expected_pages);
      EXPECT_EQ(pl.AnyPagesOrIntervalsInRange(Pg(a), Pg(b)), !expected_pages.empty());
    }
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
}

// ForEveryPageAndContiguousRunInRange.

TEST_F(VmPageListTest, ContiguousRunsOfPagesAreBrokenByCompareAndGaps) {
  VmPageList pl;
  for (uint64_t p : {1, 2, 3}) {
    AddPage(pl, Pg(p));
  }
  AddMarker(pl, Pg(4));
  for (uint64_t p : {5, 6, 8}) {
    AddPage(pl, Pg(p));
  }
  RunWalk w = WalkRuns(pl, ComparePage, 0, Pg(16));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(1u, 2u, 3u, 5u, 6u, 8u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{1, 4, false}, RunOf{5, 7, false}, RunOf{8, 9, false}));

  // With a compare that accepts markers the marker joins the run.
  w = WalkRuns(pl, CompareAll, 0, Pg(16));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(1u, 2u, 3u, 4u, 5u, 6u, 8u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{1, 7, false}, RunOf{8, 9, false}));

  // A run crossing a node boundary, and a range clipping runs.
  for (uint64_t p : {14, 15, 16, 17}) {
    AddPage(pl, Pg(p));
  }
  w = WalkRuns(pl, ComparePage, Pg(2), Pg(17));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(2u, 3u, 5u, 6u, 8u, 14u, 15u, 16u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{2, 4, false}, RunOf{5, 7, false}, RunOf{8, 9, false},
                                  RunOf{14, 17, false}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunStartAndEndEqualDoesNothing) {
  VmPageList pl;
  AddPage(pl, Pg(1));
  RunWalk w = WalkRuns(pl, CompareAll, Pg(1), Pg(1));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, IsEmpty());
  EXPECT_THAT(w.runs, IsEmpty());
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunTreatsIntervalsAsSeparateRuns) {
  VmPageList pl;
  AddPage(pl, Pg(1));
  AddPage(pl, Pg(2));
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(6), kDirty), ZX_OK);  // Start 3, End 5
  AddPage(pl, Pg(6));
  AddPage(pl, Pg(7));
  RunWalk w = WalkRuns(pl, CompareAll, 0, Pg(8));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(1u, 2u, 3u, 5u, 6u, 7u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{1, 3, false}, RunOf{3, 6, true}, RunOf{6, 8, false}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunReportsIntervalOnlyIfStartAndEndPassCompare) {
  VmPageList pl;
  AddPage(pl, Pg(1));
  AddPage(pl, Pg(2));
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(6), kDirty), ZX_OK);  // Start 3, End 5
  AddPage(pl, Pg(6));
  AddPage(pl, Pg(7));

  // End fails: the Start is passed to the page callback, no interval run.
  RunWalk w = WalkRuns(
      pl, [](const VmPageOrMarker*, uint64_t off) { return off != Pg(5); }, 0, Pg(8));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(1u, 2u, 3u, 6u, 7u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{1, 3, false}, RunOf{6, 8, false}));

  // Start fails: the End is passed to the page callback, still no interval run.
  w = WalkRuns(
      pl, [](const VmPageOrMarker*, uint64_t off) { return off != Pg(3); }, 0, Pg(8));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(1u, 2u, 5u, 6u, 7u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{1, 3, false}, RunOf{6, 8, false}));

  // Only intervals pass: the pages form no runs.
  w = WalkRuns(
      pl, [](const VmPageOrMarker* p, uint64_t) { return p->IsInterval(); }, 0, Pg(8));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(3u, 5u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{3, 6, true}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunSingleSlotIntervalIsOnePageRun) {
  VmPageList pl;
  AddPage(pl, Pg(2));
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(4), kDirty), ZX_OK);  // Slot 3
  AddPage(pl, Pg(4));
  RunWalk w = WalkRuns(pl, CompareAll, 0, Pg(5));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(2u, 3u, 4u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{2, 3, false}, RunOf{3, 4, true}, RunOf{4, 5, false}));
  w = WalkRuns(pl, ComparePage, 0, Pg(5));
  EXPECT_THAT(w.pages, ElementsAre(2u, 4u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{2, 3, false}, RunOf{4, 5, false}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunWalkStartingInsideAnInterval) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(11), kDirty), ZX_OK);  // Start 3, End 10
  AddPage(pl, Pg(11));
  // The run is clipped to begin at the walk's start.
  RunWalk w = WalkRuns(pl, CompareAll, Pg(5), Pg(12));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(10u, 11u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{5, 11, true}, RunOf{11, 12, false}));

  // The Start (outside the range) still has to pass compare.
  w = WalkRuns(
      pl, [](const VmPageOrMarker*, uint64_t off) { return off != Pg(3); }, Pg(5), Pg(12));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(10u, 11u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{11, 12, false}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunWalkEndingInsideAnInterval) {
  VmPageList pl;
  AddPage(pl, Pg(2));
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(21), kDirty), ZX_OK);  // Start 5, End 20
  RunWalk w = WalkRuns(pl, CompareAll, 0, Pg(10));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(2u, 5u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{2, 3, false}, RunOf{5, 10, true}));

  // The End (outside the range) still has to pass compare.
  w = WalkRuns(
      pl, [](const VmPageOrMarker*, uint64_t off) { return off != Pg(20); }, 0, Pg(10));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, ElementsAre(2u, 5u));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{2, 3, false}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunRangeWhollyInsideAnInterval) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(41), kDirty), ZX_OK);  // Start 3, End 40
  RunWalk w = WalkRuns(pl, CompareAll, Pg(20), Pg(30));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.pages, IsEmpty());
  EXPECT_THAT(w.runs, ElementsAre(RunOf{20, 30, true}));

  // Inside the node of the Start too.
  w = WalkRuns(pl, CompareAll, Pg(4), Pg(6));
  EXPECT_THAT(w.runs, ElementsAre(RunOf{4, 6, true}));

  w = WalkRuns(
      pl, [](const VmPageOrMarker*, uint64_t off) { return off != Pg(3); }, Pg(20), Pg(30));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.runs, IsEmpty());
  w = WalkRuns(
      pl, [](const VmPageOrMarker*, uint64_t off) { return off != Pg(40); }, Pg(20), Pg(30));
  EXPECT_EQ(w.status, ZX_OK);
  EXPECT_THAT(w.runs, IsEmpty());
  EXPECT_THAT(w.pages, IsEmpty());
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunPageStopIncludesThePageInTheRun) {
  VmPageList pl;
  for (uint64_t p = 1; p <= 5; p++) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> pages;
  std::vector<RunOf> runs;
  zx_status_t status = pl.ForEveryPageAndContiguousRunInRange(
      ComparePage,
      [&pages](const VmPageOrMarker*, uint64_t off) -> zx_status_t {
        pages.push_back(ToPages(off));
        return ToPages(off) == 3 ? ZX_ERR_STOP : ZX_ERR_NEXT;
      },
      [&runs](uint64_t s, uint64_t e, bool iv) -> zx_status_t {
        runs.emplace_back(ToPages(s), ToPages(e), iv);
        return ZX_ERR_NEXT;
      },
      0, Pg(8));
  EXPECT_EQ(status, ZX_OK);
  EXPECT_THAT(pages, ElementsAre(1u, 2u, 3u));
  EXPECT_THAT(runs, ElementsAre(RunOf{1, 4, false}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunPageErrorFlushesPendingRunFirst) {
  VmPageList pl;
  for (uint64_t p = 1; p <= 5; p++) {
    AddPage(pl, Pg(p));
  }
  std::vector<uint64_t> pages;
  std::vector<RunOf> runs;
  zx_status_t status = pl.ForEveryPageAndContiguousRunInRange(
      ComparePage,
      [&pages](const VmPageOrMarker*, uint64_t off) -> zx_status_t {
        pages.push_back(ToPages(off));
        return ToPages(off) == 3 ? ZX_ERR_BAD_STATE : ZX_ERR_NEXT;
      },
      [&runs](uint64_t s, uint64_t e, bool iv) -> zx_status_t {
        runs.emplace_back(ToPages(s), ToPages(e), iv);
        return ZX_ERR_NEXT;
      },
      0, Pg(8));
  EXPECT_EQ(status, ZX_ERR_BAD_STATE);
  EXPECT_THAT(pages, ElementsAre(1u, 2u, 3u));
  EXPECT_THAT(runs, ElementsAre(RunOf{1, 3, false}));

  // If that flush fails too, its error wins.
  runs.clear();
  status = pl.ForEveryPageAndContiguousRunInRange(
      ComparePage,
      [](const VmPageOrMarker*, uint64_t off) -> zx_status_t {
        return ToPages(off) == 3 ? ZX_ERR_BAD_STATE : ZX_ERR_NEXT;
      },
      [&runs](uint64_t s, uint64_t e, bool iv) -> zx_status_t {
        runs.emplace_back(ToPages(s), ToPages(e), iv);
        return ZX_ERR_NO_RESOURCES;
      },
      0, Pg(8));
  EXPECT_EQ(status, ZX_ERR_NO_RESOURCES);
  EXPECT_THAT(runs, ElementsAre(RunOf{1, 3, false}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, ContiguousRunCallbackErrorsPropagate) {
  VmPageList pl;
  AddPage(pl, Pg(1));
  AddPage(pl, Pg(2));
  AddMarker(pl, Pg(3));
  AddPage(pl, Pg(4));
  std::vector<RunOf> runs;
  zx_status_t status = pl.ForEveryPageAndContiguousRunInRange(
      ComparePage, [](const VmPageOrMarker*, uint64_t) -> zx_status_t { return ZX_ERR_NEXT; },
      [&runs](uint64_t s, uint64_t e, bool iv) -> zx_status_t {
        runs.emplace_back(ToPages(s), ToPages(e), iv);
        return ZX_ERR_INTERNAL;
      },
      0, Pg(8));
  EXPECT_EQ(status, ZX_ERR_INTERNAL);
  EXPECT_THAT(runs, ElementsAre(RunOf{1, 3, false}));

  // The final flush's error is returned too.
  runs.clear();
  status = pl.ForEveryPageAndContiguousRunInRange(
      ComparePage, [](const VmPageOrMarker*, uint64_t) -> zx_status_t { return ZX_ERR_NEXT; },
      [&runs](uint64_t s, uint64_t e, bool iv) -> zx_status_t {
        runs.emplace_back(ToPages(s), ToPages(e), iv);
        return ToPages(s) == 4 ? ZX_ERR_INTERNAL : ZX_ERR_NEXT;
      },
      0, Pg(5));
  EXPECT_EQ(status, ZX_ERR_INTERNAL);
  EXPECT_THAT(runs, ElementsAre(RunOf{1, 3, false}, RunOf{4, 5, false}));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// Move construction and assignment (docs/semantics.md section 3.5).

TEST_F(VmPageListTest, MoveConstructionTransfersContentsAndSkew) {
  VmPageList src;
  src.InitializeSkew(0, Pg(5));
  vm_page_t* p0 = AddPage(src, 0);
  vm_page_t* p30 = AddPage(src, Pg(30));
  ASSERT_EQ(src.AddZeroInterval(Pg(40), Pg(80), kDirty), ZX_OK);
  VmPageList dst(std::move(src));
  EXPECT_EQ(dst.GetSkew(), Pg(5));
  EXPECT_EQ(Layout(dst), "0:Page 30:Page 40:Start 79:End");
  EXPECT_EQ(PageAt(dst, 0), p0);
  EXPECT_EQ(PageAt(dst, Pg(30)), p30);
  EXPECT_TRUE(dst.IsOffsetInZeroInterval(Pg(60)));
  EXPECT_TRUE(src.IsEmpty());  // NOLINT(bugprone-use-after-move): the source is left empty
  EXPECT_EQ(src.HeapAllocationBytes(), 0u);
  EXPECT_TRUE(IsValid(dst));
  EXPECT_TRUE(IsValid(src));
  FreeAll(dst);
}

TEST_F(VmPageListTest, MoveAssignmentTransfersContentsAndSkew) {
  VmPageList src;
  src.InitializeSkew(Pg(3), Pg(20));  // (3 + 20) % 16 = 7 pages
  vm_page_t* p9 = AddPage(src, Pg(9));
  AddMarker(src, Pg(100));
  VmPageList dst;
  dst = std::move(src);
  EXPECT_EQ(dst.GetSkew(), Pg(7));
  EXPECT_EQ(Layout(dst), "9:Page 100:Marker");
  EXPECT_EQ(PageAt(dst, Pg(9)), p9);
  EXPECT_EQ(NodeCount(dst), 2u);
  EXPECT_TRUE(src.IsEmpty());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(IsValid(dst));
  EXPECT_TRUE(IsValid(src));
  // The moved-to list keeps working: its skew decides the slots.
  vm_page_t* p8 = AddPage(dst, Pg(8));
  EXPECT_EQ(NodeCount(dst), 3u);  // 8 is skewed 15, a new node; 9 is skewed 16
  EXPECT_EQ(PageAt(dst, Pg(8)), p8);
  FreeAll(dst);
}

// ---------------------------------------------------------------------------------------------
// VMPLCursor (docs/semantics.md section 10).

TEST_F(VmPageListTest, DefaultCursorIsInvalid) {
  VMPLCursor cursor;
  EXPECT_FALSE(cursor.current());
  cursor.step();
  EXPECT_FALSE(cursor.current());
  int calls = 0;
  EXPECT_EQ(cursor.ForEveryContiguous([&calls](VmPageOrMarkerRef) {
    calls++;
    return ZX_ERR_NEXT;
  }),
            ZX_OK);
  EXPECT_EQ(calls, 0);
}

TEST_F(VmPageListTest, CursorStepsThroughEmptySlotsAndStopsAtEndOfLastNode) {
  VmPageList pl;
  vm_page_t* p2 = AddPage(pl, Pg(2));
  vm_page_t* p3 = AddPage(pl, Pg(3));
  VMPLCursor cursor = pl.LookupMutableCursor(Pg(2));
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(PageOf(cursor.current()), p2);
  cursor.step();
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(PageOf(cursor.current()), p3);
  // Indices 4..15 are empty slots, still valid.
  for (uint64_t index = 4; index < kFanOut; index++) {
    cursor.step();
    ASSERT_TRUE(cursor.current()) << "index " << index;
    EXPECT_TRUE(cursor.current()->IsEmpty()) << "index " << index;
    EXPECT_EQ(&*cursor.current(), pl.Lookup(Pg(index))) << "index " << index;
  }
  // There is no next node.
  cursor.step();
  EXPECT_FALSE(cursor.current());
  cursor.step();
  EXPECT_FALSE(cursor.current());
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, CursorCrossesContiguousNodesAndStopsAtAGapNode) {
  VmPageList pl;
  AddPage(pl, Pg(15));
  vm_page_t* p16 = AddPage(pl, Pg(16));
  AddPage(pl, Pg(50));  // node 3; node 2 (pages 32..47) is absent
  VMPLCursor cursor = pl.LookupMutableCursor(Pg(15));
  ASSERT_TRUE(cursor.current());
  cursor.step();
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(PageOf(cursor.current()), p16);
  EXPECT_EQ(&*cursor.current(), pl.Lookup(Pg(16)));
  for (uint64_t p = 17; p < 32; p++) {
    cursor.step();
    ASSERT_TRUE(cursor.current()) << "page " << p;
    EXPECT_EQ(&*cursor.current(), pl.Lookup(Pg(p))) << "page " << p;
  }
  cursor.step();
  EXPECT_FALSE(cursor.current());
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, CursorWithSkewCrossesAtTheSkewedBoundary) {
  VmPageList pl;
  pl.InitializeSkew(0, Pg(1));
  AddPage(pl, Pg(14));
  vm_page_t* p15 = AddPage(pl, Pg(15));
  VMPLCursor cursor = pl.LookupMutableCursor(Pg(14));
  ASSERT_TRUE(cursor.current());
  cursor.step();
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(PageOf(cursor.current()), p15);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, CursorForEveryContiguousVisitsAllContiguousSlots) {
  VmPageList pl;
  AddPage(pl, Pg(15));
  AddPage(pl, Pg(16));
  AddPage(pl, Pg(50));
  VMPLCursor cursor = pl.LookupMutableCursor(Pg(15));
  std::vector<const VmPageOrMarker*> visited;
  EXPECT_EQ(cursor.ForEveryContiguous([&visited](VmPageOrMarkerRef r) {
    visited.push_back(&*r);
    return ZX_ERR_NEXT;
  }),
            ZX_OK);
  // Slot 15 of node 0 and the 16 slots of node 1.
  ASSERT_EQ(visited.size(), 17u);
  for (uint64_t i = 0; i < visited.size(); i++) {
    EXPECT_EQ(visited[i], pl.Lookup(Pg(15 + i))) << "i " << i;
  }
  EXPECT_FALSE(cursor.current());
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, CursorForEveryContiguousStopLeavesCursorOnStoppingEntry) {
  VmPageList pl;
  AddPage(pl, Pg(15));
  vm_page_t* p16 = AddPage(pl, Pg(16));
  AddPage(pl, Pg(17));
  VMPLCursor cursor = pl.LookupMutableCursor(Pg(15));
  int calls = 0;
  EXPECT_EQ(cursor.ForEveryContiguous([&calls, p16](VmPageOrMarkerRef r) {
    calls++;
    return r->IsPage() && r->Page() == p16 ? ZX_ERR_STOP : ZX_ERR_NEXT;
  }),
            ZX_OK);
  EXPECT_EQ(calls, 2);
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(&*cursor.current(), pl.Lookup(Pg(16)));
  // Iteration resumes from the same entry.
  cursor.step();
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(&*cursor.current(), pl.Lookup(Pg(17)));

  // Stopping on the very first entry leaves the cursor where it started.
  VMPLCursor first = pl.LookupMutableCursor(Pg(15));
  EXPECT_EQ(first.ForEveryContiguous([](VmPageOrMarkerRef) { return ZX_ERR_STOP; }), ZX_OK);
  EXPECT_EQ(&*first.current(), pl.Lookup(Pg(15)));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, CursorForEveryContiguousPropagatesErrors) {
  VmPageList pl;
  AddPage(pl, Pg(4));
  VMPLCursor cursor = pl.LookupMutableCursor(Pg(4));
  int calls = 0;
  EXPECT_EQ(cursor.ForEveryContiguous([&calls](VmPageOrMarkerRef) {
    calls++;
    return calls == 3 ? ZX_ERR_BAD_STATE : ZX_ERR_NEXT;
  }),
            ZX_ERR_BAD_STATE);
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, CursorAllowsLimitedMutationAndSurvivesInsertion) {
  VmPageList pl;
  AddPage(pl, Pg(4));
  VMPLCursor cursor = pl.LookupMutableCursor(Pg(4));
  cursor.current().SetPageOrRefLeftSplit(true);
  EXPECT_TRUE(LeftSplitAt(pl, Pg(4)));
  cursor.current().SetPageOrRefLeftSplit(false);
  // Inserting new entries is allowed while a cursor exists (docs/semantics.md section 10).
  AddPage(pl, Pg(5));
  AddPage(pl, Pg(16));
  cursor.step();
  ASSERT_TRUE(cursor.current());
  EXPECT_TRUE(cursor.current()->IsPage());
  EXPECT_EQ(&*cursor.current(), pl.Lookup(Pg(5)));
  for (int i = 0; i < 11; i++) {
    cursor.step();
  }
  ASSERT_TRUE(cursor.current());
  EXPECT_EQ(&*cursor.current(), pl.Lookup(Pg(16)));
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// MergeFrom (docs/semantics.md section 8.1).

struct MergeLog {
  std::vector<std::pair<uint64_t, std::string>> released;  // (page in other, kind)
  std::vector<std::pair<uint64_t, std::string>> migrated;
  std::set<uint64_t> take_on_migrate;  // pages whose content migrate_fn keeps for itself
};

void DoMergeFrom(VmPageList& dst, VmPageList& src, uint64_t offset, uint64_t end_offset,
                 MergeLog* log) {
  dst.MergeFrom(
      src, offset, end_offset,
      [log](VmPageOrMarker&& c, uint64_t off) {
        log->released.emplace_back(ToPages(off), Describe(c));
        FreeContent(std::move(c));
      },
      [log](VmPageOrMarker* c, uint64_t off) {
        log->migrated.emplace_back(ToPages(off), Describe(*c));
        if (log->take_on_migrate.count(ToPages(off))) {
          FreeContent(std::move(*c));
        }
      });
  std::sort(log->released.begin(), log->released.end());
  std::sort(log->migrated.begin(), log->migrated.end());
}

using Logged = std::pair<uint64_t, std::string>;

TEST_F(VmPageListTest, MergeFromMovesRangeReleasesConflictsAndOutOfRange) {
  VmPageList other;
  AddPage(other, Pg(5));  // before the range
  vm_page_t* pa = AddPage(other, Pg(33));
  AddMarker(other, Pg(34));
  AddPage(other, Pg(50));  // conflicts with this's marker at 18
  const uint64_t ra = AddRef(other, Pg(51));
  AddMarker(other, Pg(52));  // conflicts with this's page at 20
  AddPage(other, Pg(64));    // migrated, then taken by migrate_fn
  AddPage(other, Pg(72));    // at end_offset: out of range
  AddPage(other, Pg(100));

  VmPageList pl;
  AddMarker(pl, Pg(18));
  vm_page_t* pd = AddPage(pl, Pg(20));

  MergeLog log;
  log.take_on_migrate = {64};
  DoMergeFrom(pl, other, Pg(32), Pg(72), &log);

  EXPECT_THAT(log.released, ElementsAre(Logged{5, "Page"}, Logged{50, "Page"}, Logged{52, "Marker"},
                                        Logged{72, "Page"}, Logged{100, "Page"}));
  EXPECT_THAT(log.migrated, ElementsAre(Logged{33, "Page"}, Logged{51, "Ref"}, Logged{64, "Page"}));
  EXPECT_EQ(Layout(pl), "1:Page 2:Marker 18:Marker 19:Ref 20:Page");
  EXPECT_EQ(PageAt(pl, Pg(1)), pa);
  EXPECT_EQ(RefAt(pl, Pg(19)), ra);
  EXPECT_EQ(PageAt(pl, Pg(20)), pd);
  // The node that received only the page taken by migrate_fn was erased again.
  EXPECT_EQ(pl.Lookup(Pg(32)), nullptr);
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_TRUE(other.IsEmpty());
  EXPECT_EQ(other.HeapAllocationBytes(), 0u);
  EXPECT_TRUE(IsValid(pl));
  EXPECT_TRUE(IsValid(other));
  FreeAll(pl);
}

TEST_F(VmPageListTest, MergeFromKeepsNodeHoldingOnlyAMarker) {
  VmPageList other;
  AddMarker(other, Pg(3));
  AddPage(other, Pg(4));
  VmPageList pl;
  MergeLog log;
  log.take_on_migrate = {4};
  DoMergeFrom(pl, other, 0, Pg(16), &log);
  EXPECT_THAT(log.released, IsEmpty());
  EXPECT_THAT(log.migrated, ElementsAre(Logged{4, "Page"}));
  EXPECT_EQ(Layout(pl), "3:Marker");
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_TRUE(other.IsEmpty());
  EXPECT_TRUE(IsValid(pl));
  EXPECT_TRUE(IsValid(other));
}

TEST_F(VmPageListTest, MergeFromWholeListAtOffsetZero) {
  VmPageList other;
  vm_page_t* p0 = AddPage(other, 0);
  vm_page_t* p20 = AddPage(other, Pg(20));
  AddMarker(other, Pg(21));
  VmPageList pl;
  MergeLog log;
  DoMergeFrom(pl, other, 0, Pg(64), &log);
  EXPECT_THAT(log.released, IsEmpty());
  EXPECT_THAT(log.migrated, ElementsAre(Logged{0, "Page"}, Logged{20, "Page"}));
  EXPECT_EQ(Layout(pl), "0:Page 20:Page 21:Marker");
  EXPECT_EQ(PageAt(pl, 0), p0);
  EXPECT_EQ(PageAt(pl, Pg(20)), p20);
  EXPECT_TRUE(other.IsEmpty());
  EXPECT_TRUE(IsValid(pl));
  EXPECT_TRUE(IsValid(other));
  FreeAll(pl);
}

TEST_F(VmPageListTest, MergeFromIntoSkewedList) {
  // (other.skew + offset) % 64 KiB == this.skew: other skew 0, offset 19 pages -> skew 3 pages.
  VmPageList other;
  AddPage(other, Pg(18));  // before the range
  vm_page_t* pa = AddPage(other, Pg(19));
  AddPage(other, Pg(34));  // conflicts with this's page at 15
  AddMarker(other, Pg(35));
  vm_page_t* pc = AddPage(other, Pg(48));
  AddPage(other, Pg(49));  // at end_offset

  VmPageList pl;
  pl.InitializeSkew(0, Pg(19));
  ASSERT_EQ(pl.GetSkew(), Pg(3));
  vm_page_t* pd = AddPage(pl, Pg(15));

  MergeLog log;
  DoMergeFrom(pl, other, Pg(19), Pg(49), &log);
  EXPECT_THAT(log.released,
              ElementsAre(Logged{18, "Page"}, Logged{34, "Page"}, Logged{49, "Page"}));
  EXPECT_THAT(log.migrated, ElementsAre(Logged{19, "Page"}, Logged{48, "Page"}));
  EXPECT_EQ(Layout(pl), "0:Page 15:Page 16:Marker 29:Page");
  EXPECT_EQ(PageAt(pl, 0), pa);
  EXPECT_EQ(PageAt(pl, Pg(15)), pd);
  EXPECT_EQ(PageAt(pl, Pg(29)), pc);
  EXPECT_EQ(pl.GetSkew(), Pg(3));
  EXPECT_EQ(NodeCount(pl), 3u);
  EXPECT_TRUE(other.IsEmpty());
  EXPECT_TRUE(IsValid(pl));
  EXPECT_TRUE(IsValid(other));
  FreeAll(pl);
}

TEST_F(VmPageListTest, MergeFromSkewedListIntoUnskewedList) {
  // other skew 5 pages, offset 11 pages: (5 + 11) % 16 == 0 == this skew.
  VmPageList other;
  other.InitializeSkew(0, Pg(5));
  AddPage(other, Pg(10));
  vm_page_t* pa = AddPage(other, Pg(11));
  AddMarker(other, Pg(12));
  const uint64_t ref = AddRef(other, Pg(30));
  AddPage(other, Pg(40));

  VmPageList pl;
  MergeLog log;
  DoMergeFrom(pl, other, Pg(11), Pg(40), &log);
  EXPECT_THAT(log.released, ElementsAre(Logged{10, "Page"}, Logged{40, "Page"}));
  EXPECT_THAT(log.migrated, ElementsAre(Logged{11, "Page"}, Logged{30, "Ref"}));
  EXPECT_EQ(Layout(pl), "0:Page 1:Marker 19:Ref");
  EXPECT_EQ(PageAt(pl, 0), pa);
  EXPECT_EQ(RefAt(pl, Pg(19)), ref);
  EXPECT_TRUE(other.IsEmpty());
  EXPECT_TRUE(IsValid(pl));
  EXPECT_TRUE(IsValid(other));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// MergeOnto (docs/semantics.md section 8.2).

TEST_P(VmPageListSkewTest, MergeOntoThisWinsConflicts) {
  VmPageList pl;
  VmPageList other;
  pl.InitializeSkew(0, skew());
  other.InitializeSkew(0, skew());
  vm_page_t* pa = AddPage(pl, Pg(1));
  AddMarker(pl, Pg(2));
  vm_page_t* pb = AddPage(pl, Pg(20));
  const uint64_t ra = AddRef(pl, Pg(21));
  vm_page_t* pc = AddPage(other, Pg(2));
  AddMarker(other, Pg(20));
  vm_page_t* pd = AddPage(other, Pg(40));

  std::vector<std::string> released;
  std::vector<vm_page_t*> released_pages;
  pl.MergeOnto(other, [&released, &released_pages](VmPageOrMarker&& c) {
    VmPageOrMarker content = std::move(c);
    released.push_back(Describe(content));
    if (content.IsPage()) {
      released_pages.push_back(content.Page());
    }
    FreeContent(std::move(content));
  });
  std::sort(released.begin(), released.end());
  EXPECT_THAT(released, ElementsAre("Marker", "Page"));
  EXPECT_THAT(released_pages, ElementsAre(pc));
  EXPECT_EQ(Layout(other), "1:Page 2:Marker 20:Page 21:Ref 40:Page");
  EXPECT_EQ(PageAt(other, Pg(1)), pa);
  EXPECT_EQ(PageAt(other, Pg(20)), pb);
  EXPECT_EQ(RefAt(other, Pg(21)), ra);
  EXPECT_EQ(PageAt(other, Pg(40)), pd);
  EXPECT_EQ(NodeCount(other), ExpectedNodes({1, 2, 20, 21, 40}, skew()));
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_TRUE(IsValid(pl));
  EXPECT_TRUE(IsValid(other));
  FreeAll(other);
}

TEST_P(VmPageListSkewTest, MergeOntoEmptyListMovesEverything) {
  VmPageList pl;
  VmPageList other;
  pl.InitializeSkew(0, skew());
  other.InitializeSkew(0, skew());
  vm_page_t* pa = AddPage(pl, Pg(7));
  AddMarker(pl, Pg(70));
  int released = 0;
  pl.MergeOnto(other, [&released](VmPageOrMarker&& c) {
    released++;
    FreeContent(std::move(c));
  });
  EXPECT_EQ(released, 0);
  EXPECT_EQ(Layout(other), "7:Page 70:Marker");
  EXPECT_EQ(PageAt(other, Pg(7)), pa);
  EXPECT_TRUE(pl.IsEmpty());
  EXPECT_TRUE(IsValid(pl));
  EXPECT_TRUE(IsValid(other));
  FreeAll(other);
}

INSTANTIATE_TEST_SUITE_P(Skews, VmPageListSkewTest,
                         ::testing::Values(uint64_t{0}, Pg(1), Pg(7), Pg(15)), SkewName);

// ---------------------------------------------------------------------------------------------
// TakePages (docs/semantics.md sections 8.3, 9).

// Pops every entry of |splice| and returns them as "index:Kind" for the non-empty ones, freeing
// pages and references.
std::string PopAll(VmPageSpliceList& splice, uint64_t expected_entries) {
  std::string out;
  for (uint64_t i = 0; i < expected_entries; i++) {
    EXPECT_FALSE(splice.IsProcessed()) << "entry " << i;
    EXPECT_EQ(splice.Position(), Pg(i)) << "entry " << i;
    VmPageOrMarker content = splice.Pop();
    if (!content.IsEmpty()) {
      if (!out.empty()) {
        out += " ";
      }
      out += std::to_string(i) + ":" + Describe(content);
    }
    FreeContent(std::move(content));
  }
  EXPECT_TRUE(splice.IsProcessed());
  return out;
}

TEST_F(VmPageListTest, TakePagesStartingAndEndingMidNode) {
  VmPageList pl;
  AddPage(pl, Pg(3));
  AddPage(pl, Pg(10));
  AddMarker(pl, Pg(12));
  AddPage(pl, Pg(17));
  AddRef(pl, Pg(40));
  AddPage(pl, Pg(70));
  AddPage(pl, Pg(80));
  // [10, 72): head = node 0 slots 10..15, middle = nodes 1..3, tail = node 4 slots 64..71.
  VmPageSpliceList splice = pl.TakePages(Pg(10), Pg(62));
  EXPECT_TRUE(splice.IsFinalized());
  EXPECT_EQ(splice.Position(), 0u);
  EXPECT_TRUE(IsValid(splice));
  EXPECT_EQ(Layout(pl), "3:Page 80:Page");
  EXPECT_EQ(NodeCount(pl), 2u);  // node 4 was emptied by the tail and erased
  EXPECT_TRUE(IsValid(pl));
  // Entries are relative to the start of the range: 10 -> 0, 12 -> 2, 17 -> 7, 40 -> 30, 70 -> 60.
  EXPECT_EQ(PopAll(splice, 62), "0:Page 2:Marker 7:Page 30:Ref 60:Page");
  FreeAll(pl);
}

TEST_F(VmPageListTest, TakePagesOfWholeNodes) {
  VmPageList pl;
  AddPage(pl, Pg(2));
  AddPage(pl, Pg(16));
  AddPage(pl, Pg(31));
  AddPage(pl, Pg(40));
  AddPage(pl, Pg(48));
  VmPageSpliceList splice = pl.TakePages(Pg(16), Pg(32));
  EXPECT_TRUE(IsValid(splice));
  EXPECT_EQ(Layout(pl), "2:Page 48:Page");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(PopAll(splice, 32), "0:Page 15:Page 24:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, TakePagesWithinOneNode) {
  VmPageList pl;
  AddPage(pl, Pg(2));
  AddPage(pl, Pg(3));
  AddPage(pl, Pg(5));
  VmPageSpliceList splice = pl.TakePages(Pg(3), Pg(2));
  EXPECT_TRUE(IsValid(splice));
  EXPECT_EQ(Layout(pl), "2:Page 5:Page");
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_EQ(PopAll(splice, 2), "0:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, TakePagesFromANodeStartAndToANodeEnd) {
  VmPageList pl;
  for (uint64_t p : {10, 15, 16, 17, 18}) {
    AddPage(pl, Pg(p));
  }
  // Starting at a node boundary and ending inside the node: tail only.
  VmPageSpliceList tail_only = pl.TakePages(Pg(16), Pg(2));
  EXPECT_TRUE(IsValid(tail_only));
  EXPECT_EQ(Layout(pl), "10:Page 15:Page 18:Page");
  EXPECT_EQ(PopAll(tail_only, 2), "0:Page 1:Page");
  // Ending at a node boundary: head only.
  VmPageSpliceList head_only = pl.TakePages(Pg(10), Pg(6));
  EXPECT_TRUE(IsValid(head_only));
  EXPECT_EQ(Layout(pl), "18:Page");
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_EQ(PopAll(head_only, 6), "0:Page 5:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, TakePagesOfAnEmptyRangeYieldsOnlyGaps) {
  VmPageList pl;
  AddPage(pl, Pg(1));
  VmPageSpliceList splice = pl.TakePages(Pg(5), Pg(40));
  EXPECT_TRUE(IsValid(splice));
  EXPECT_EQ(PopAll(splice, 40), "");
  EXPECT_EQ(Layout(pl), "1:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListTest, TakePagesSpliceListFreesUnpoppedContentOnDestruction) {
  const size_t pages_before = vmpl::PageAllocator::Get().pages_outstanding();
  const size_t refs_before = vmpl::PageAllocator::Get().references_outstanding();
  VmPageList pl;
  for (uint64_t p : {0, 1, 20, 33}) {
    AddPage(pl, Pg(p));
  }
  AddRef(pl, Pg(34));
  AddMarker(pl, Pg(35));
  {
    VmPageSpliceList splice = pl.TakePages(0, Pg(40));
    EXPECT_TRUE(IsValid(splice));
    EXPECT_TRUE(pl.IsEmpty());
    VmPageOrMarker first = splice.Pop();
    EXPECT_TRUE(first.IsPage());
    FreeContent(std::move(first));
  }
  EXPECT_EQ(vmpl::PageAllocator::Get().pages_outstanding(), pages_before);
  EXPECT_EQ(vmpl::PageAllocator::Get().references_outstanding(), refs_before);
  EXPECT_TRUE(IsValid(pl));
}

// ---------------------------------------------------------------------------------------------
// Preconditions that are DEBUG_ASSERTs (docs/semantics.md section 11.3).

class VmPageListDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!VMPL_DEBUG_ASSERTS) {
      GTEST_SKIP() << "DEBUG_ASSERTs are compiled out (VMPL_DEBUG_ASSERTS=0)";
    }
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

TEST_F(VmPageListDeathTest, DestroyingAListThatOwnsAPageAsserts) {
  EXPECT_DEATH(
      {
        VmPageList pl;
        AddPage(pl, Pg(3));
      },
      "HasNoPageOrRef");
}

TEST_F(VmPageListDeathTest, InitializeSkewTwiceAsserts) {
  EXPECT_DEATH(
      {
        VmPageList pl;
        pl.InitializeSkew(0, Pg(1));
        pl.InitializeSkew(0, Pg(2));
      },
      "ASSERT FAILED");
}

TEST_F(VmPageListDeathTest, InitializeSkewOfNonEmptyListAsserts) {
  EXPECT_DEATH(
      {
        VmPageList pl;
        AddMarker(pl, Pg(1));
        pl.InitializeSkew(0, Pg(2));
      },
      "ASSERT FAILED");
}

TEST_F(VmPageListDeathTest, ReturnEmptySlotOfFilledSlotAsserts) {
  EXPECT_DEATH(
      {
        VmPageList pl;
        AddMarker(pl, Pg(1));
        pl.ReturnEmptySlot(Pg(1));
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageList pl;
        pl.ReturnEmptySlot(Pg(1));  // no node at all
      },
      "ASSERT FAILED");
}

TEST_F(VmPageListDeathTest, MergeFromWithIncongruentSkewAsserts) {
  EXPECT_DEATH(
      {
        VmPageList other;
        VmPageList pl;
        // (0 + 1 page) % 64 KiB != 0.
        pl.MergeFrom(
            other, Pg(1), Pg(20), [](VmPageOrMarker&&, uint64_t) {},
            [](VmPageOrMarker*, uint64_t) {});
      },
      "ASSERT FAILED");
}

TEST_F(VmPageListDeathTest, MergeOntoWithDifferentSkewsAsserts) {
  EXPECT_DEATH(
      {
        VmPageList pl;
        VmPageList other;
        other.InitializeSkew(0, Pg(1));
        pl.MergeOnto(other, [](VmPageOrMarker&&) {});
      },
      "ASSERT FAILED");
}

TEST_F(VmPageListDeathTest, TakePagesFromSkewedListAsserts) {
  EXPECT_DEATH(
      {
        VmPageList pl;
        pl.InitializeSkew(0, Pg(1));
        VmPageSpliceList splice = pl.TakePages(0, Pg(4));
      },
      "ASSERT FAILED");
}

}  // namespace
