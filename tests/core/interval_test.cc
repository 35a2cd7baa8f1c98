// Unit tests of the zero-interval operations of VmPageList: AddZeroInterval,
// IsOffsetInZeroInterval, LookupOrAllocate in the CheckForInterval and SplitInterval modes,
// PopulateSlotsInInterval, ReturnIntervalSlot, ClipIntervalStart/End and
// ReplacePageWithZeroInterval, including the awaiting-clean length (ACL) bookkeeping.
//
// Every expected value below is derived by hand from the kernel's header and docs/semantics.md
// (section 4.4 for splits, section 7 for intervals), never by running the code. Offsets are written
// in pages: Pg(5) is byte offset 5 * PAGE_SIZE; a node covers 16 pages. Layouts are written as
// "page:Kind" with the ACL of a Start or Slot in pages, e.g. "2:Start(acl=5) 8:End". Each test ends
// with vmpl::Validate on its lists, and the fixture checks that every page it allocated went back
// to the allocator.
//
// Note on ReturnIntervalSlot: returning a slot merges it with neighbouring Slot sentinels too
// (docs/semantics.md sections 7.2 and 7.5), so a run of populated slots is only restored to one
// interval when the slots are returned in an order that absorbs them pairwise; the orders used
// below are worked out by hand for each case.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <vm/page.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/page_allocator.h>
#include <vmpl/validate.h>
#include <zircon/errors.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

using IntervalHandling = VmPageList::IntervalHandling;

constexpr uint64_t kPageSize = PAGE_SIZE;
constexpr uint64_t kMaxSize = 0xFFFF'FFFF'FFFE'0000;  // docs/semantics.md section 1.2
constexpr auto kDirty = VmPageOrMarker::IntervalDirtyState::Dirty;

constexpr uint64_t Pg(uint64_t n) { return n * kPageSize; }

uint64_t ToPages(uint64_t offset) {
  EXPECT_EQ(offset % kPageSize, 0u) << "unaligned offset " << offset;
  return offset / kPageSize;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

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

void AddMarker(VmPageList& pl, uint64_t offset) {
  auto [slot, in_interval] = pl.LookupOrAllocate(offset, IntervalHandling::CheckForInterval);
  ASSERT_NE(slot, nullptr) << "offset " << offset;
  EXPECT_FALSE(in_interval);
  *slot = VmPageOrMarker::Marker();
}

// Overwrites a slot handed out by a split with a fresh page, as a caller of SplitInterval does.
vm_page_t* FillWithPage(VmPageOrMarker* slot) {
  vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
  EXPECT_NE(page, nullptr);
  *slot = VmPageOrMarker::Page(page);
  return page;
}

void SetAcl(VmPageList& pl, uint64_t page, uint64_t acl_pages) {
  VmPageOrMarkerRef ref = pl.LookupMutable(Pg(page));
  ASSERT_TRUE(ref) << "page " << page;
  ASSERT_TRUE(ref->IsIntervalStart() || ref->IsIntervalSlot()) << "page " << page;
  ref.SetZeroIntervalAwaitingCleanLength(Pg(acl_pages));
}

// The page stored at |offset|, or nullptr if the slot is absent or holds something else (so a
// wrong result fails an expectation instead of tripping an accessor's assert).
const vm_page_t* PageAt(const VmPageList& pl, uint64_t offset) {
  const VmPageOrMarker* slot = pl.Lookup(offset);
  return slot != nullptr && slot->IsPage() ? slot->Page() : nullptr;
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

// "first:Slot first+1:Slot ... last:Slot"
std::string Slots(uint64_t first, uint64_t last) {
  std::string out;
  for (uint64_t p = first; p <= last; p++) {
    if (!out.empty()) {
      out += " ";
    }
    out += std::to_string(p) + ":Slot";
  }
  return out;
}

uint64_t NodeCount(const VmPageList& pl) {
  return pl.HeapAllocationBytes() / sizeof(VmPageListNode);
}

::testing::AssertionResult IsValid(const VmPageList& list) {
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

// Splits the interval around |page| and returns the Slot handed out.
VmPageOrMarker* Split(VmPageList& pl, uint64_t page) {
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(page), IntervalHandling::SplitInterval);
  EXPECT_NE(slot, nullptr) << "page " << page;
  EXPECT_TRUE(in_interval) << "page " << page;
  if (slot != nullptr) {
    EXPECT_TRUE(slot->IsIntervalSlot()) << "page " << page << ": " << Describe(*slot);
    EXPECT_EQ(slot, pl.Lookup(Pg(page)));
  }
  return slot;
}

// Frees the pages written into slots and resets the list.
class VmPageListIntervalTest : public ::testing::Test {
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

uint64_t Allocs() { return vmpl::AllocFailureInjector::count(); }

// ---------------------------------------------------------------------------------------------
// AddZeroInterval (docs/semantics.md section 7.2).

TEST_F(VmPageListIntervalTest, AddZeroIntervalSinglePageIsASlot) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(6), kDirty), ZX_OK);
  EXPECT_EQ(Layout(pl), "5:Slot");
  EXPECT_EQ(NodeCount(pl), 1u);
  const VmPageOrMarker* slot = pl.Lookup(Pg(5));
  ASSERT_NE(slot, nullptr);
  ASSERT_TRUE(slot->IsIntervalSlot());
  EXPECT_TRUE(slot->IsIntervalZero());
  EXPECT_TRUE(slot->IsZeroIntervalDirty());
  EXPECT_EQ(slot->GetZeroIntervalDirtyState(), kDirty);
  EXPECT_EQ(slot->GetZeroIntervalAwaitingCleanLength(), 0u);
  EXPECT_FALSE(pl.IsEmpty());
  EXPECT_TRUE(pl.HasNoPageOrRef());
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalMultiPageHasStartAndEnd) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(6), kDirty), ZX_OK);
  ASSERT_EQ(Layout(pl), "2:Start 5:End");
  EXPECT_TRUE(pl.Lookup(Pg(3))->IsEmpty());
  EXPECT_TRUE(pl.Lookup(Pg(4))->IsEmpty());
  EXPECT_EQ(pl.Lookup(Pg(2))->GetZeroIntervalAwaitingCleanLength(), 0u);
  EXPECT_EQ(pl.Lookup(Pg(5))->GetZeroIntervalDirtyState(), kDirty);
  EXPECT_TRUE(IsValid(pl));

  VmPageList two;
  ASSERT_EQ(two.AddZeroInterval(Pg(2), Pg(4), kDirty), ZX_OK);
  EXPECT_EQ(Layout(two), "2:Start 3:End");
  EXPECT_TRUE(IsValid(two));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalAcrossNodesLeavesIntermediateNodesAbsent) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(50), kDirty), ZX_OK);
  EXPECT_EQ(Layout(pl), "3:Start 49:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(pl.Lookup(Pg(16)), nullptr);
  EXPECT_EQ(pl.Lookup(Pg(32)), nullptr);
  EXPECT_EQ(pl.Lookup(Pg(47)), nullptr);
  EXPECT_NE(pl.Lookup(Pg(48)), nullptr);
  EXPECT_TRUE(IsValid(pl));

  // Sentinels exactly at node boundaries.
  VmPageList aligned;
  ASSERT_EQ(aligned.AddZeroInterval(Pg(16), Pg(48), kDirty), ZX_OK);
  EXPECT_EQ(Layout(aligned), "16:Start 47:End");
  EXPECT_EQ(NodeCount(aligned), 2u);
  EXPECT_TRUE(IsValid(aligned));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalWithSkew) {
  VmPageList pl;
  pl.InitializeSkew(0, Pg(3));
  ASSERT_EQ(pl.AddZeroInterval(Pg(10), Pg(30), kDirty), ZX_OK);
  EXPECT_EQ(Layout(pl), "10:Start 29:End");
  // Start is skewed page 13 (node 0), End skewed page 32 (node 2); node 1 is absent.
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(pl.Lookup(Pg(13)), nullptr);  // skewed 16
  EXPECT_NE(pl.Lookup(Pg(12)), nullptr);  // skewed 15
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(9)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(10)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(20)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(29)));
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(30)));
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalMergesLeft) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(5), kDirty), ZX_OK);
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(8), kDirty), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Start 7:End");
  EXPECT_TRUE(IsValid(pl));

  VmPageList slot_left;
  ASSERT_EQ(slot_left.AddZeroInterval(Pg(2), Pg(3), kDirty), ZX_OK);
  ASSERT_EQ(slot_left.AddZeroInterval(Pg(3), Pg(6), kDirty), ZX_OK);
  EXPECT_EQ(Layout(slot_left), "2:Start 5:End");
  EXPECT_TRUE(IsValid(slot_left));

  // A one-page interval merging into a Slot on its left.
  VmPageList slots;
  ASSERT_EQ(slots.AddZeroInterval(Pg(2), Pg(3), kDirty), ZX_OK);
  ASSERT_EQ(slots.AddZeroInterval(Pg(3), Pg(4), kDirty), ZX_OK);
  EXPECT_EQ(Layout(slots), "2:Start 3:End");
  EXPECT_TRUE(IsValid(slots));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalMergesLeftAcrossNodes) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(10), Pg(16), kDirty), ZX_OK);
  const uint64_t before = Allocs();
  ASSERT_EQ(pl.AddZeroInterval(Pg(16), Pg(40), kDirty), ZX_OK);
  // Only the new End's node (pages 32..47) was allocated; the old End at 15 was cleared.
  EXPECT_EQ(Allocs() - before, 1u);
  EXPECT_EQ(Layout(pl), "10:Start 39:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(pl.Lookup(Pg(16)), nullptr);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalMergesRight) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(8), kDirty), ZX_OK);
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(5), kDirty), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Start 7:End");
  EXPECT_TRUE(IsValid(pl));

  VmPageList slot_right;
  ASSERT_EQ(slot_right.AddZeroInterval(Pg(5), Pg(6), kDirty), ZX_OK);
  ASSERT_EQ(slot_right.AddZeroInterval(Pg(2), Pg(5), kDirty), ZX_OK);
  EXPECT_EQ(Layout(slot_right), "2:Start 5:End");
  EXPECT_TRUE(IsValid(slot_right));

  VmPageList slots;
  ASSERT_EQ(slots.AddZeroInterval(Pg(3), Pg(4), kDirty), ZX_OK);
  ASSERT_EQ(slots.AddZeroInterval(Pg(2), Pg(3), kDirty), ZX_OK);
  EXPECT_EQ(Layout(slots), "2:Start 3:End");
  EXPECT_TRUE(IsValid(slots));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalMergesRightAndFreesTheOldStartNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(40), Pg(50), kDirty), ZX_OK);
  ASSERT_EQ(pl.AddZeroInterval(Pg(10), Pg(40), kDirty), ZX_OK);
  // The old Start at 40 was alone in its node (pages 32..47), which is freed.
  EXPECT_EQ(Layout(pl), "10:Start 49:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(pl.Lookup(Pg(40)), nullptr);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalMergesBothSides) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(4), kDirty), ZX_OK);
  ASSERT_EQ(pl.AddZeroInterval(Pg(6), Pg(9), kDirty), ZX_OK);
  const uint64_t before = Allocs();
  ASSERT_EQ(pl.AddZeroInterval(Pg(4), Pg(6), kDirty), ZX_OK);
  EXPECT_EQ(Allocs(), before);  // merging on both sides needs no new slot
  EXPECT_EQ(Layout(pl), "2:Start 8:End");
  EXPECT_TRUE(IsValid(pl));

  VmPageList slots;
  ASSERT_EQ(slots.AddZeroInterval(Pg(2), Pg(3), kDirty), ZX_OK);
  ASSERT_EQ(slots.AddZeroInterval(Pg(4), Pg(5), kDirty), ZX_OK);
  ASSERT_EQ(slots.AddZeroInterval(Pg(3), Pg(4), kDirty), ZX_OK);
  EXPECT_EQ(Layout(slots), "2:Start 4:End");
  EXPECT_TRUE(IsValid(slots));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalMergesBothSidesAcrossNodes) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(10), Pg(16), kDirty), ZX_OK);
  ASSERT_EQ(pl.AddZeroInterval(Pg(40), Pg(50), kDirty), ZX_OK);
  EXPECT_EQ(NodeCount(pl), 3u);
  ASSERT_EQ(pl.AddZeroInterval(Pg(16), Pg(40), kDirty), ZX_OK);
  EXPECT_EQ(Layout(pl), "10:Start 49:End");
  EXPECT_EQ(NodeCount(pl), 2u);  // the node of the old Start at 40 is freed
  EXPECT_EQ(pl.Lookup(Pg(16)), nullptr);
  EXPECT_EQ(pl.Lookup(Pg(40)), nullptr);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalDoesNotMergeWithPagesOrMarkers) {
  VmPageList pl;
  AddPage(pl, Pg(4));
  AddPage(pl, Pg(7));
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(7), kDirty), ZX_OK);
  EXPECT_EQ(Layout(pl), "4:Page 5:Start 6:End 7:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);

  VmPageList markers;
  AddMarker(markers, Pg(4));
  AddMarker(markers, Pg(6));
  ASSERT_EQ(markers.AddZeroInterval(Pg(5), Pg(6), kDirty), ZX_OK);
  EXPECT_EQ(Layout(markers), "4:Marker 5:Slot 6:Marker");
  EXPECT_TRUE(IsValid(markers));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalDoesNotMergeAcrossAGap) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(4), kDirty), ZX_OK);
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(7), kDirty), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Start 3:End 5:Start 6:End");
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(4)));
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, AddZeroIntervalAllocationFailureLeavesListUnchanged) {
  for (uint64_t n : {1u, 2u}) {
    SCOPED_TRACE(::testing::Message() << "failing allocation " << n);
    VmPageList pl;
    AddPage(pl, Pg(100));
    {
      vmpl::ScopedAllocFailure fail(n);
      EXPECT_EQ(pl.AddZeroInterval(Pg(3), Pg(50), kDirty), ZX_ERR_NO_MEMORY);
    }
    EXPECT_EQ(Layout(pl), "100:Page");
    EXPECT_EQ(NodeCount(pl), 1u);
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
}

// ---------------------------------------------------------------------------------------------
// IsOffsetInZeroInterval (docs/semantics.md section 5.4).

TEST_F(VmPageListIntervalTest, IsOffsetInZeroIntervalAtSentinelsInsideAndJustOutside) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(8), kDirty), ZX_OK);
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(2)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(3)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(4)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(5)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(7)));
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(8)));
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(0));
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(15)));
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(500)));
  EXPECT_TRUE(IsValid(pl));

  VmPageList slot;
  ASSERT_EQ(slot.AddZeroInterval(Pg(5), Pg(6), kDirty), ZX_OK);
  EXPECT_FALSE(slot.IsOffsetInZeroInterval(Pg(4)));
  EXPECT_TRUE(slot.IsOffsetInZeroInterval(Pg(5)));
  EXPECT_FALSE(slot.IsOffsetInZeroInterval(Pg(6)));
  EXPECT_TRUE(IsValid(slot));

  VmPageList empty;
  EXPECT_FALSE(empty.IsOffsetInZeroInterval(0));
  EXPECT_FALSE(empty.IsOffsetInZeroInterval(Pg(100)));
}

TEST_F(VmPageListIntervalTest, IsOffsetInZeroIntervalWithNoNodeAtTheOffset) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(50), kDirty), ZX_OK);  // nodes 0 and 3 only
  for (uint64_t p : {3, 15, 16, 20, 31, 32, 47, 48, 49}) {
    EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(p))) << "page " << p;
  }
  for (uint64_t p : {0, 2, 50, 63, 64, 100}) {
    EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(p))) << "page " << p;
  }
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, IsOffsetInZeroIntervalBetweenIntervalsAndContent) {
  VmPageList pl;
  AddPage(pl, Pg(1));
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(5), kDirty), ZX_OK);
  AddMarker(pl, Pg(7));
  ASSERT_EQ(pl.AddZeroInterval(Pg(40), Pg(45), kDirty), ZX_OK);
  AddPage(pl, Pg(60));
  struct Case {
    uint64_t page;
    bool expected;
  };
  const Case cases[] = {
      {0, false}, {1, false}, {2, false},  {3, true},   {4, true},   {5, false},
      {6, false}, {7, false}, {8, false},  {20, false}, {39, false}, {40, true},
      {42, true}, {44, true}, {45, false}, {50, false}, {60, false}, {61, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(pl.IsOffsetInZeroInterval(Pg(c.page)), c.expected) << "page " << c.page;
  }
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// LookupOrAllocate in the interval-aware modes (docs/semantics.md section 4.3).

class IntervalModeTest : public VmPageListIntervalTest,
                         public ::testing::WithParamInterface<IntervalHandling> {
 protected:
  bool splits() const { return GetParam() == IntervalHandling::SplitInterval; }
};

std::string ModeName(const ::testing::TestParamInfo<IntervalHandling>& info) {
  return info.param == IntervalHandling::SplitInterval ? "SplitInterval" : "CheckForInterval";
}

TEST_P(IntervalModeTest, LookupOrAllocateInsideInterval) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(5), GetParam());
  EXPECT_TRUE(in_interval);
  if (!splits()) {
    EXPECT_EQ(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Start 8:End");
  } else {
    ASSERT_NE(slot, nullptr);
    ASSERT_TRUE(slot->IsIntervalSlot());
    EXPECT_EQ(slot->GetZeroIntervalDirtyState(), kDirty);
    EXPECT_EQ(slot, pl.Lookup(Pg(5)));
    EXPECT_EQ(Layout(pl), "2:Start 4:End 5:Slot 6:Start 8:End");
    FillWithPage(slot);
    EXPECT_EQ(Layout(pl), "2:Start 4:End 5:Page 6:Start 8:End");
  }
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(IntervalModeTest, LookupOrAllocateAtStartSentinel) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(2), GetParam());
  EXPECT_TRUE(in_interval);
  if (!splits()) {
    EXPECT_EQ(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Start 8:End");
  } else {
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Slot 3:Start 8:End");
    FillWithPage(slot);
  }
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(IntervalModeTest, LookupOrAllocateAtEndSentinel) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(8), GetParam());
  EXPECT_TRUE(in_interval);
  if (!splits()) {
    EXPECT_EQ(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Start 8:End");
  } else {
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Start 7:End 8:Slot");
    FillWithPage(slot);
  }
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(IntervalModeTest, LookupOrAllocateAtSlotSentinel) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(6), kDirty), ZX_OK);
  const uint64_t before = Allocs();
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(5), GetParam());
  EXPECT_TRUE(in_interval);
  EXPECT_EQ(Allocs(), before);
  if (!splits()) {
    EXPECT_EQ(slot, nullptr);
  } else {
    // Already a single-page interval: returned as is, nothing to split.
    EXPECT_EQ(slot, pl.Lookup(Pg(5)));
  }
  EXPECT_EQ(Layout(pl), "5:Slot");
  EXPECT_TRUE(IsValid(pl));
}

TEST_P(IntervalModeTest, LookupOrAllocateInsideIntervalInAbsentNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(50), kDirty), ZX_OK);
  const uint64_t before = Allocs();
  auto [slot, in_interval] = pl.LookupOrAllocate(Pg(20), GetParam());
  EXPECT_TRUE(in_interval);
  if (!splits()) {
    EXPECT_EQ(slot, nullptr);
    EXPECT_EQ(Allocs(), before);  // nothing allocated when the slot cannot be handed out
    EXPECT_EQ(NodeCount(pl), 2u);
    EXPECT_EQ(Layout(pl), "3:Start 49:End");
  } else {
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(Allocs() - before, 1u);
    EXPECT_EQ(NodeCount(pl), 3u);
    EXPECT_EQ(Layout(pl), "3:Start 19:End 20:Slot 21:Start 49:End");
    FillWithPage(slot);
  }
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(IntervalModeTest, LookupOrAllocateOutsideIntervalReturnsSlot) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(8), kDirty), ZX_OK);
  AddPage(pl, Pg(10));
  ASSERT_EQ(pl.AddZeroInterval(Pg(40), Pg(45), kDirty), ZX_OK);
  for (uint64_t p : {0, 2, 8, 9, 11, 15, 20, 39, 45, 60}) {
    SCOPED_TRACE(::testing::Message() << "page " << p);
    const uint64_t nodes = NodeCount(pl);
    auto [slot, in_interval] = pl.LookupOrAllocate(Pg(p), GetParam());
    ASSERT_NE(slot, nullptr);
    EXPECT_FALSE(in_interval);
    EXPECT_TRUE(slot->IsEmpty());
    pl.ReturnEmptySlot(Pg(p));
    EXPECT_EQ(NodeCount(pl), nodes);
  }
  // A page is not an interval.
  auto [page_slot, page_in_interval] = pl.LookupOrAllocate(Pg(10), GetParam());
  ASSERT_NE(page_slot, nullptr);
  EXPECT_FALSE(page_in_interval);
  EXPECT_TRUE(page_slot->IsPage());
  EXPECT_EQ(Layout(pl), "3:Start 7:End 10:Page 40:Start 44:End");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_P(IntervalModeTest, LookupOrAllocateAtMaxSizeFails) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(8), kDirty), ZX_OK);
  for (uint64_t off : {kMaxSize, kMaxSize + kPageSize, 0xFFFF'FFFF'FFFF'F000}) {
    auto [slot, in_interval] = pl.LookupOrAllocate(off, GetParam());
    EXPECT_EQ(slot, nullptr) << std::hex << off;
    EXPECT_FALSE(in_interval) << std::hex << off;
  }
  EXPECT_EQ(Layout(pl), "3:Start 7:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_P(IntervalModeTest, LookupOrAllocateAllocationFailureOutsideInterval) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(8), kDirty), ZX_OK);
  {
    vmpl::ScopedAllocFailure fail(1);
    auto [slot, in_interval] = pl.LookupOrAllocate(Pg(60), GetParam());
    EXPECT_EQ(slot, nullptr);
    EXPECT_FALSE(in_interval);
  }
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_EQ(Layout(pl), "3:Start 7:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_P(IntervalModeTest, LookupOrAllocateAllocationFailureInsideInterval) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(50), kDirty), ZX_OK);
  {
    vmpl::ScopedAllocFailure fail(1, /*sticky=*/true);
    auto [slot, in_interval] = pl.LookupOrAllocate(Pg(20), GetParam());
    EXPECT_EQ(slot, nullptr);
    EXPECT_TRUE(in_interval);
  }
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(Layout(pl), "3:Start 49:End");
  EXPECT_TRUE(IsValid(pl));
}

INSTANTIATE_TEST_SUITE_P(IntervalModes, IntervalModeTest,
                         ::testing::Values(IntervalHandling::CheckForInterval,
                                           IntervalHandling::SplitInterval),
                         ModeName);

// ---------------------------------------------------------------------------------------------
// SplitInterval in detail (docs/semantics.md section 4.4, steps 4-8).

TEST_F(VmPageListIntervalTest, SplitNextToStartTurnsStartIntoSlot) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  VmPageOrMarker* slot = Split(pl, 3);
  ASSERT_NE(slot, nullptr);
  // The new End at 2 found the old Start there and became a Slot.
  EXPECT_EQ(Layout(pl), "2:Slot 3:Slot 4:Start 8:End");
  FillWithPage(slot);
  EXPECT_EQ(Layout(pl), "2:Slot 3:Page 4:Start 8:End");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitNextToEndTurnsEndIntoSlot) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  VmPageOrMarker* slot = Split(pl, 7);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Layout(pl), "2:Start 6:End 7:Slot 8:Slot");
  FillWithPage(slot);
  EXPECT_EQ(Layout(pl), "2:Start 6:End 7:Page 8:Slot");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitTwoPageInterval) {
  for (uint64_t at : {2u, 3u}) {
    SCOPED_TRACE(::testing::Message() << "split at " << at);
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(4), kDirty), ZX_OK);
    VmPageOrMarker* slot = Split(pl, at);
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Slot 3:Slot");
    FillWithPage(slot);
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
}

TEST_F(VmPageListIntervalTest, SplitAtIndexZeroUsesExistingPreviousNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(10), Pg(41), kDirty), ZX_OK);
  const uint64_t before = Allocs();
  VmPageOrMarker* slot = Split(pl, 16);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Allocs() - before, 1u);  // only the node holding 16
  EXPECT_EQ(Layout(pl), "10:Start 15:End 16:Slot 17:Start 40:End");
  EXPECT_EQ(NodeCount(pl), 3u);
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitAtIndexZeroAllocatesPreviousNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(41), kDirty), ZX_OK);  // nodes 0 and 2
  const uint64_t before = Allocs();
  VmPageOrMarker* slot = Split(pl, 32);  // index 0 of node 2; node 1 is absent
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Allocs() - before, 1u);
  EXPECT_EQ(Layout(pl), "5:Start 31:End 32:Slot 33:Start 40:End");
  EXPECT_EQ(NodeCount(pl), 3u);
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitAtIndexFifteenAllocatesNextNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(41), kDirty), ZX_OK);
  const uint64_t before = Allocs();
  VmPageOrMarker* slot = Split(pl, 15);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Allocs() - before, 1u);
  EXPECT_EQ(Layout(pl), "5:Start 14:End 15:Slot 16:Start 40:End");
  EXPECT_EQ(NodeCount(pl), 3u);
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitAtIndexFifteenOfAbsentNodeAllocatesTwoNodes) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(61), kDirty), ZX_OK);  // nodes 0 and 3
  const uint64_t before = Allocs();
  VmPageOrMarker* slot = Split(pl, 31);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Allocs() - before, 2u);  // node 1 for the slot, node 2 for the new Start
  EXPECT_EQ(Layout(pl), "5:Start 30:End 31:Slot 32:Start 60:End");
  EXPECT_EQ(NodeCount(pl), 4u);
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitStartAtIndexFifteenAllocatesNextNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(15), Pg(41), kDirty), ZX_OK);
  VmPageOrMarker* slot = Split(pl, 15);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Layout(pl), "15:Slot 16:Start 40:End");
  EXPECT_EQ(NodeCount(pl), 3u);
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitEndAtIndexZeroAllocatesPreviousNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(33), kDirty), ZX_OK);
  VmPageOrMarker* slot = Split(pl, 32);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Layout(pl), "5:Start 31:End 32:Slot");
  EXPECT_EQ(NodeCount(pl), 3u);
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitWithSkewUsesSkewedNodeBoundaries) {
  VmPageList pl;
  pl.InitializeSkew(0, Pg(5));
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(41), kDirty), ZX_OK);  // skewed 10 .. 45: nodes 0, 2
  EXPECT_EQ(NodeCount(pl), 2u);
  const uint64_t before = Allocs();
  VmPageOrMarker* slot = Split(pl, 11);  // skewed 16: index 0 of absent node 1
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Allocs() - before, 1u);
  EXPECT_EQ(Layout(pl), "5:Start 10:End 11:Slot 12:Start 40:End");
  EXPECT_EQ(NodeCount(pl), 3u);
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitAllocationFailureLeavesIntervalIntact) {
  // Splitting at 31 of [5, 60] needs node 1 (the slot) then node 2 (the new Start).
  for (uint64_t n : {1u, 2u}) {
    SCOPED_TRACE(::testing::Message() << "failing allocation " << n);
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(61), kDirty), ZX_OK);
    {
      vmpl::ScopedAllocFailure fail(n);
      auto [slot, in_interval] = pl.LookupOrAllocate(Pg(31), IntervalHandling::SplitInterval);
      EXPECT_EQ(slot, nullptr);
      EXPECT_TRUE(in_interval);
    }
    EXPECT_EQ(Layout(pl), "5:Start 60:End");
    EXPECT_EQ(NodeCount(pl), 2u);
    EXPECT_TRUE(IsValid(pl));
  }
  // Failing to allocate the previous node for a split at index 0 of an existing node.
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(41), kDirty), ZX_OK);
  {
    vmpl::ScopedAllocFailure fail(1);
    auto [slot, in_interval] = pl.LookupOrAllocate(Pg(32), IntervalHandling::SplitInterval);
    EXPECT_EQ(slot, nullptr);
    EXPECT_TRUE(in_interval);
  }
  EXPECT_EQ(Layout(pl), "5:Start 40:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, SplitAtStartMovesAclBeyondOnePageToNewStart) {
  // Spec 4.4 step 8: the slot keeps exactly P, the new Start at off+P gets ACL - P.
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  SetAcl(pl, 2, 5);
  VmPageOrMarker* slot = Split(pl, 2);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Layout(pl), "2:Slot(acl=1) 3:Start(acl=4) 8:End");
  if (slot->IsIntervalSlot()) {
    EXPECT_EQ(slot->GetZeroIntervalAwaitingCleanLength(), kPageSize);
  }
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitAtStartWithAclOfOnePageKeepsItOnTheSlot) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  SetAcl(pl, 2, 1);
  VmPageOrMarker* slot = Split(pl, 2);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Layout(pl), "2:Slot(acl=1) 3:Start 8:End");
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitAtStartOfTwoPageIntervalMovesAclToTheOtherSlot) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(4), kDirty), ZX_OK);
  SetAcl(pl, 2, 5);
  VmPageOrMarker* slot = Split(pl, 2);
  ASSERT_NE(slot, nullptr);
  // The End at 3 became a Slot and received the remainder.
  EXPECT_EQ(Layout(pl), "2:Slot(acl=1) 3:Slot(acl=4)");
  FillWithPage(slot);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, SplitInMiddleOrAtEndLeavesAclOnStart) {
  {
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
    SetAcl(pl, 2, 5);
    VmPageOrMarker* slot = Split(pl, 5);
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Start(acl=5) 4:End 5:Slot 6:Start 8:End");
    FillWithPage(slot);
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
  {
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
    SetAcl(pl, 2, 3);
    VmPageOrMarker* slot = Split(pl, 8);
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Start(acl=3) 7:End 8:Slot");
    FillWithPage(slot);
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
  {
    // Next to the Start: the Start becomes a Slot keeping its ACL.
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
    SetAcl(pl, 2, 3);
    VmPageOrMarker* slot = Split(pl, 3);
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(Layout(pl), "2:Slot(acl=3) 3:Slot 4:Start 8:End");
    FillWithPage(slot);
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
}

TEST_F(VmPageListIntervalTest, SplitSlotFilledWithPageIsNoLongerInAnInterval) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  VmPageOrMarker* slot = Split(pl, 5);
  ASSERT_NE(slot, nullptr);
  vm_page_t* page = FillWithPage(slot);
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(5)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(4)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(6)));
  auto [again, in_interval] = pl.LookupOrAllocate(Pg(5), IntervalHandling::CheckForInterval);
  EXPECT_EQ(again, slot);
  EXPECT_FALSE(in_interval);
  EXPECT_EQ(PageAt(pl, Pg(5)), page);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// ReturnIntervalSlot undoes a split (docs/semantics.md section 7.5).

struct SplitCase {
  uint64_t start;  // interval [start, end) in pages
  uint64_t end;
  uint64_t split;
  uint64_t allocs;  // node allocations the split needs
  const char* split_layout;
};

class ReturnSplitSlotTest : public VmPageListIntervalTest,
                            public ::testing::WithParamInterface<SplitCase> {};

TEST_P(ReturnSplitSlotTest, ReturningTheSlotRestoresTheInterval) {
  const SplitCase& c = GetParam();
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(c.start), Pg(c.end), kDirty), ZX_OK);
  const std::string original = Layout(pl);
  EXPECT_EQ(original, std::to_string(c.start) + ":Start " + std::to_string(c.end - 1) + ":End");
  const uint64_t nodes = NodeCount(pl);
  const uint64_t before = Allocs();
  ASSERT_NE(Split(pl, c.split), nullptr);
  EXPECT_EQ(Allocs() - before, c.allocs);
  EXPECT_EQ(NodeCount(pl), nodes + c.allocs);
  EXPECT_EQ(Layout(pl), c.split_layout);
  pl.ReturnIntervalSlot(Pg(c.split));
  EXPECT_EQ(Layout(pl), original);
  EXPECT_EQ(NodeCount(pl), nodes);
  EXPECT_TRUE(IsValid(pl));
}

INSTANTIATE_TEST_SUITE_P(
    Positions, ReturnSplitSlotTest,
    ::testing::Values(SplitCase{2, 9, 2, 0, "2:Slot 3:Start 8:End"},
                      SplitCase{2, 9, 3, 0, "2:Slot 3:Slot 4:Start 8:End"},
                      SplitCase{2, 9, 5, 0, "2:Start 4:End 5:Slot 6:Start 8:End"},
                      SplitCase{2, 9, 7, 0, "2:Start 6:End 7:Slot 8:Slot"},
                      SplitCase{2, 9, 8, 0, "2:Start 7:End 8:Slot"},
                      SplitCase{2, 4, 2, 0, "2:Slot 3:Slot"},
                      SplitCase{2, 4, 3, 0, "2:Slot 3:Slot"},
                      SplitCase{10, 41, 16, 1, "10:Start 15:End 16:Slot 17:Start 40:End"},
                      SplitCase{5, 41, 32, 1, "5:Start 31:End 32:Slot 33:Start 40:End"},
                      SplitCase{5, 41, 15, 1, "5:Start 14:End 15:Slot 16:Start 40:End"},
                      SplitCase{5, 61, 31, 2, "5:Start 30:End 31:Slot 32:Start 60:End"},
                      SplitCase{5, 61, 16, 1, "5:Start 15:End 16:Slot 17:Start 60:End"},
                      SplitCase{15, 41, 15, 1, "15:Slot 16:Start 40:End"},
                      SplitCase{5, 33, 32, 1, "5:Start 31:End 32:Slot"}),
    [](const ::testing::TestParamInfo<SplitCase>& info) {
      return "Interval" + std::to_string(info.param.start) + "To" + std::to_string(info.param.end) +
             "At" + std::to_string(info.param.split);
    });

TEST_F(VmPageListIntervalTest, ReturnIntervalSlotOfIsolatedSlotKeepsIt) {
  VmPageList pl;
  AddPage(pl, Pg(4));
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(6), kDirty), ZX_OK);
  AddMarker(pl, Pg(6));
  pl.ReturnIntervalSlot(Pg(5));
  EXPECT_EQ(Layout(pl), "4:Page 5:Slot 6:Marker");
  EXPECT_EQ(NodeCount(pl), 1u);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

// ---------------------------------------------------------------------------------------------
// Awaiting-clean length merge rules of AddZeroIntervalInternal, reached through
// ReturnIntervalSlot (docs/semantics.md section 7.3).

struct AclCase {
  uint64_t a;  // ACL of the left interval's start sentinel (pages)
  uint64_t b;  // ACL of the slot being returned
  uint64_t c;  // ACL of the right interval's start sentinel
  uint64_t expected;
};

std::string AclName(const ::testing::TestParamInfo<AclCase>& info) {
  return "Left" + std::to_string(info.param.a) + "Slot" + std::to_string(info.param.b) + "Right" +
         std::to_string(info.param.c);
}

std::string StartWithAcl(uint64_t page, uint64_t acl) {
  std::string s = std::to_string(page) + ":Start";
  if (acl != 0) {
    s += "(acl=" + std::to_string(acl) + ")";
  }
  return s;
}

// "2:Start(a) 4:End 5:Slot(b) 6:Start(c) 8:End", return 5.
class AclMergeBothSidesTest : public VmPageListIntervalTest,
                              public ::testing::WithParamInterface<AclCase> {};

TEST_P(AclMergeBothSidesTest, ReturnIntervalSlot) {
  const AclCase& c = GetParam();
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  ASSERT_NE(Split(pl, 5), nullptr);
  ASSERT_EQ(Layout(pl), "2:Start 4:End 5:Slot 6:Start 8:End");
  SetAcl(pl, 2, c.a);
  SetAcl(pl, 5, c.b);
  SetAcl(pl, 6, c.c);
  pl.ReturnIntervalSlot(Pg(5));
  EXPECT_EQ(Layout(pl), StartWithAcl(2, c.expected) + " 8:End");
  EXPECT_TRUE(IsValid(pl));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, AclMergeBothSidesTest,
    ::testing::Values(
        // Left ACL reaches the slot (2 + a >= 5): extended to max(2 + a, 5 + b) - 2.
        AclCase{3, 1, 0, 4}, AclCase{3, 3, 0, 6}, AclCase{6, 1, 0, 6},
        // Left ACL does not reach the slot: the slot's ACL is lost.
        AclCase{2, 1, 0, 2}, AclCase{0, 1, 0, 0},
        // Right ACL merged when the (updated) left ACL reaches 6: max(2 + acl, 6 + c) - 2.
        AclCase{3, 1, 3, 7}, AclCase{3, 2, 1, 5}, AclCase{4, 1, 1, 5}, AclCase{6, 1, 1, 6},
        // Right ACL dropped when the left ACL does not reach it.
        AclCase{2, 1, 3, 2}, AclCase{0, 1, 2, 0},
        // A slot without ACL never merges ACLs: the right one is dropped.
        AclCase{0, 0, 3, 0}, AclCase{5, 0, 2, 5}),
    AclName);

// "4:Page 5:Slot(b) 6:Start(c) 8:End", return 5: no left merge, the slot becomes the Start.
class AclNoLeftMergeTest : public VmPageListIntervalTest,
                           public ::testing::WithParamInterface<AclCase> {};

TEST_P(AclNoLeftMergeTest, ReturnIntervalSlot) {
  const AclCase& c = GetParam();
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(9), kDirty), ZX_OK);
  ASSERT_NE(Split(pl, 5), nullptr);
  AddPage(pl, Pg(4));
  ASSERT_EQ(Layout(pl), "4:Page 5:Slot 6:Start 8:End");
  SetAcl(pl, 5, c.b);
  SetAcl(pl, 6, c.c);
  pl.ReturnIntervalSlot(Pg(5));
  EXPECT_EQ(Layout(pl), "4:Page " + StartWithAcl(5, c.expected) + " 8:End");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

INSTANTIATE_TEST_SUITE_P(Rules, AclNoLeftMergeTest,
                         ::testing::Values(
                             // 5 + b >= 6 whenever b > 0: max(5 + b, 6 + c) - 5.
                             AclCase{0, 1, 2, 3}, AclCase{0, 1, 5, 6}, AclCase{0, 3, 1, 3},
                             AclCase{0, 2, 0, 2}, AclCase{0, 1, 0, 1},
                             // No ACL on the slot: the right ACL is dropped.
                             AclCase{0, 0, 2, 0}),
                         AclName);

// "3:Slot(a) 4:Slot(b) 5:Start(c) 8:End", return 4: the left neighbour is a Slot, which becomes
// the Start of the merged interval.
class AclLeftSlotMergeTest : public VmPageListIntervalTest,
                             public ::testing::WithParamInterface<AclCase> {};

TEST_P(AclLeftSlotMergeTest, ReturnIntervalSlot) {
  const AclCase& c = GetParam();
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(3), Pg(9), kDirty), ZX_OK);
  ASSERT_NE(Split(pl, 4), nullptr);
  ASSERT_EQ(Layout(pl), "3:Slot 4:Slot 5:Start 8:End");
  SetAcl(pl, 3, c.a);
  SetAcl(pl, 4, c.b);
  SetAcl(pl, 5, c.c);
  pl.ReturnIntervalSlot(Pg(4));
  EXPECT_EQ(Layout(pl), StartWithAcl(3, c.expected) + " 8:End");
  EXPECT_TRUE(IsValid(pl));
}

INSTANTIATE_TEST_SUITE_P(Rules, AclLeftSlotMergeTest,
                         ::testing::Values(
                             // 3 + a >= 4: max(3 + a, 4 + b) - 3; then 3 + acl >= 5 for c.
                             AclCase{1, 1, 2, 4}, AclCase{2, 1, 0, 2}, AclCase{1, 2, 1, 3},
                             // a = 0 does not reach the slot; nothing merges.
                             AclCase{0, 1, 2, 0},
                             // b = 0: the Slot keeps its own ACL as the new Start.
                             AclCase{1, 0, 2, 1}),
                         AclName);

// "2:Start(a) 4:End 5:Slot(b) 6:Slot(c)", return 5: the right neighbour is a Slot, which
// becomes the End (losing its own ACL, possibly merged into the Start).
class AclRightSlotMergeTest : public VmPageListIntervalTest,
                              public ::testing::WithParamInterface<AclCase> {};

TEST_P(AclRightSlotMergeTest, ReturnIntervalSlot) {
  const AclCase& c = GetParam();
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(7), kDirty), ZX_OK);
  ASSERT_NE(Split(pl, 5), nullptr);
  ASSERT_EQ(Layout(pl), "2:Start 4:End 5:Slot 6:Slot");
  SetAcl(pl, 2, c.a);
  SetAcl(pl, 5, c.b);
  SetAcl(pl, 6, c.c);
  pl.ReturnIntervalSlot(Pg(5));
  EXPECT_EQ(Layout(pl), StartWithAcl(2, c.expected) + " 6:End");
  EXPECT_TRUE(IsValid(pl));
}

INSTANTIATE_TEST_SUITE_P(Rules, AclRightSlotMergeTest,
                         ::testing::Values(AclCase{3, 1, 1, 5}, AclCase{4, 1, 4, 8},
                                           AclCase{3, 0, 1, 3}, AclCase{0, 1, 1, 0}),
                         AclName);

// ---------------------------------------------------------------------------------------------
// PopulateSlotsInInterval (docs/semantics.md section 7.4).

TEST_F(VmPageListIntervalTest, PopulateWholeIntervalThenReturnAscending) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(2), Pg(9)), ZX_OK);
  EXPECT_EQ(Layout(pl), Slots(2, 8));
  // Each return also absorbs the Slot to its right: 2 takes 3, 4 takes 5, 6 takes 7, 8 ends it.
  for (uint64_t p : {2, 4, 6, 8}) {
    ASSERT_TRUE(pl.Lookup(Pg(p))->IsIntervalSlot()) << "page " << p;
    pl.ReturnIntervalSlot(Pg(p));
  }
  EXPECT_EQ(Layout(pl), "2:Start 8:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateWholeIntervalThenReturnDescending) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(2), Pg(9)), ZX_OK);
  EXPECT_EQ(Layout(pl), Slots(2, 8));
  pl.ReturnIntervalSlot(Pg(8));
  EXPECT_EQ(Layout(pl), Slots(2, 6) + " 7:Start 8:End");
  for (uint64_t p : {6, 4, 2}) {
    pl.ReturnIntervalSlot(Pg(p));
  }
  EXPECT_EQ(Layout(pl), "2:Start 8:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateMiddleOfInterval) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(4), Pg(7)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Start 3:End 4:Slot 5:Slot 6:Slot 7:Start 8:End");
  // Every populated slot can be overwritten independently.
  for (uint64_t p : {4, 5, 6}) {
    auto [slot, in_interval] = pl.LookupOrAllocate(Pg(p), IntervalHandling::SplitInterval);
    ASSERT_NE(slot, nullptr);
    EXPECT_TRUE(in_interval);
    EXPECT_EQ(slot, pl.Lookup(Pg(p)));
    FillWithPage(slot);
  }
  EXPECT_EQ(Layout(pl), "2:Start 3:End 4:Page 5:Page 6:Page 7:Start 8:End");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, PopulateMiddleOfIntervalThenReturn) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(4), Pg(7)), ZX_OK);
  pl.ReturnIntervalSlot(Pg(4));
  EXPECT_EQ(Layout(pl), "2:Start 5:End 6:Slot 7:Start 8:End");
  pl.ReturnIntervalSlot(Pg(6));
  EXPECT_EQ(Layout(pl), "2:Start 8:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateOneAndTwoSlots) {
  {
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
    ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(5), Pg(6)), ZX_OK);
    EXPECT_EQ(Layout(pl), "2:Start 4:End 5:Slot 6:Start 8:End");
    pl.ReturnIntervalSlot(Pg(5));
    EXPECT_EQ(Layout(pl), "2:Start 8:End");
    EXPECT_TRUE(IsValid(pl));
  }
  {
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
    ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(4), Pg(6)), ZX_OK);
    EXPECT_EQ(Layout(pl), "2:Start 3:End 4:Slot 5:Slot 6:Start 8:End");
    // A populated Slot is handed out as is by a split lookup.
    for (uint64_t p : {4, 5}) {
      VmPageOrMarker* slot = Split(pl, p);
      ASSERT_NE(slot, nullptr);
      FillWithPage(slot);
    }
    EXPECT_EQ(Layout(pl), "2:Start 3:End 4:Page 5:Page 6:Start 8:End");
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
}

TEST_F(VmPageListIntervalTest, PopulateSpanningManyNodes) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(81), kDirty), ZX_OK);  // nodes 0 and 5
  EXPECT_EQ(NodeCount(pl), 2u);
  const uint64_t before = Allocs();
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(10), Pg(71)), ZX_OK);
  // Node 4 for the split at 70, then nodes 1, 2 and 3.
  EXPECT_EQ(Allocs() - before, 4u);
  EXPECT_EQ(NodeCount(pl), 6u);
  EXPECT_EQ(Layout(pl), "5:Start 9:End " + Slots(10, 70) + " 71:Start 80:End");
  // 61 slots between two intervals: returning every other one from the left re-merges all.
  for (uint64_t p = 10; p <= 70; p += 2) {
    ASSERT_TRUE(pl.Lookup(Pg(p))->IsIntervalSlot()) << "page " << p;
    pl.ReturnIntervalSlot(Pg(p));
  }
  EXPECT_EQ(Layout(pl), "5:Start 80:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateSpanningManyNodesThenFill) {
  VmPageList pl;
  pl.InitializeSkew(0, Pg(9));
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(81), kDirty), ZX_OK);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(6), Pg(80)), ZX_OK);
  EXPECT_EQ(Layout(pl), "5:Slot " + Slots(6, 79) + " 80:Slot");
  for (uint64_t p = 6; p < 80; p++) {
    VmPageOrMarker* slot = Split(pl, p);
    ASSERT_NE(slot, nullptr) << "page " << p;
    FillWithPage(slot);
  }
  std::string expected = "5:Slot";
  for (uint64_t p = 6; p < 80; p++) {
    expected += " " + std::to_string(p) + ":Page";
  }
  expected += " 80:Slot";
  EXPECT_EQ(Layout(pl), expected);
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, PopulateAllocationFailureRollsBack) {
  // Populating [10, 71) of [5, 80] allocates node 4 (split at 70), then nodes 1, 2 and 3.
  for (uint64_t n = 1; n <= 4; n++) {
    SCOPED_TRACE(::testing::Message() << "failing allocation " << n);
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(81), kDirty), ZX_OK);
    {
      vmpl::ScopedAllocFailure fail(n);
      EXPECT_EQ(pl.PopulateSlotsInInterval(Pg(10), Pg(71)), ZX_ERR_NO_MEMORY);
    }
    EXPECT_EQ(Layout(pl), "5:Start 80:End");
    EXPECT_EQ(NodeCount(pl), 2u);
    EXPECT_TRUE(IsValid(pl));
  }
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(81), kDirty), ZX_OK);
  {
    vmpl::ScopedAllocFailure fail(5);
    EXPECT_EQ(pl.PopulateSlotsInInterval(Pg(10), Pg(71)), ZX_OK);
  }
  EXPECT_EQ(NodeCount(pl), 6u);
  for (uint64_t p = 10; p <= 70; p += 2) {
    pl.ReturnIntervalSlot(Pg(p));
  }
  EXPECT_EQ(Layout(pl), "5:Start 80:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateAtStartRedistributesAclOfFivePages) {
  // Spec 4.8: three slots at an interval start whose ACL is 5 pages get [1, 1, 1] and the rest of
  // the interval keeps 2 pages.
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(13), kDirty), ZX_OK);
  SetAcl(pl, 2, 5);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(2), Pg(5)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Slot(acl=1) 3:Slot(acl=1) 4:Slot(acl=1) 5:Start(acl=2) 12:End");
  // Returning the slots merges the ACLs back into the original 5 pages.
  pl.ReturnIntervalSlot(Pg(2));
  EXPECT_EQ(Layout(pl), "2:Start(acl=2) 3:End 4:Slot(acl=1) 5:Start(acl=2) 12:End");
  pl.ReturnIntervalSlot(Pg(4));
  EXPECT_EQ(Layout(pl), "2:Start(acl=5) 12:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateAtStartRedistributesAclOfFivePagesReturnedDescending) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(13), kDirty), ZX_OK);
  SetAcl(pl, 2, 5);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(2), Pg(5)), ZX_OK);
  pl.ReturnIntervalSlot(Pg(4));
  EXPECT_EQ(Layout(pl), "2:Slot(acl=1) 3:Start(acl=4) 12:End");
  pl.ReturnIntervalSlot(Pg(2));
  EXPECT_EQ(Layout(pl), "2:Start(acl=5) 12:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateAtStartRedistributesAclOfTwoPages) {
  // Spec 4.8: with an ACL of 2 pages: [1, 1, 0] and 0 on the rest of the interval.
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(13), kDirty), ZX_OK);
  SetAcl(pl, 2, 2);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(2), Pg(5)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Slot(acl=1) 3:Slot(acl=1) 4:Slot 5:Start 12:End");
  pl.ReturnIntervalSlot(Pg(2));
  pl.ReturnIntervalSlot(Pg(4));
  EXPECT_EQ(Layout(pl), "2:Start(acl=2) 12:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateTwoSlotsAtStartRedistributesAcl) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(13), kDirty), ZX_OK);
  SetAcl(pl, 2, 5);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(2), Pg(4)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Slot(acl=1) 3:Slot(acl=1) 4:Start(acl=3) 12:End");
  pl.ReturnIntervalSlot(Pg(3));
  EXPECT_EQ(Layout(pl), "2:Start(acl=5) 12:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, PopulateCarriesRemainingAclOntoFollowingSlot) {
  // [2, 5] with ACL 5, populating [2, 5): the End at 5 becomes a Slot and receives the 2 pages
  // left after giving one to each populated slot.
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(6), kDirty), ZX_OK);
  SetAcl(pl, 2, 5);
  ASSERT_EQ(pl.PopulateSlotsInInterval(Pg(2), Pg(5)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Slot(acl=1) 3:Slot(acl=1) 4:Slot(acl=1) 5:Slot(acl=2)");
  pl.ReturnIntervalSlot(Pg(2));
  pl.ReturnIntervalSlot(Pg(4));
  EXPECT_EQ(Layout(pl), "2:Start(acl=5) 5:End");
  EXPECT_TRUE(IsValid(pl));
}

// ---------------------------------------------------------------------------------------------
// ClipIntervalStart / ClipIntervalEnd (docs/semantics.md section 7.6).

TEST_F(VmPageListIntervalTest, ClipIntervalStart) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  EXPECT_EQ(pl.ClipIntervalStart(Pg(2), Pg(3)), ZX_OK);
  EXPECT_EQ(Layout(pl), "5:Start 8:End");
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(4)));
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(5)));
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalStartByZeroDoesNothing) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  SetAcl(pl, 2, 3);
  EXPECT_EQ(pl.ClipIntervalStart(Pg(2), 0), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Start(acl=3) 8:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalStartToSinglePageLeavesSlot) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  EXPECT_EQ(pl.ClipIntervalStart(Pg(2), Pg(6)), ZX_OK);
  EXPECT_EQ(Layout(pl), "8:Slot");
  EXPECT_TRUE(IsValid(pl));

  VmPageList acl;
  ASSERT_EQ(acl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  SetAcl(acl, 2, 8);
  EXPECT_EQ(acl.ClipIntervalStart(Pg(2), Pg(6)), ZX_OK);
  EXPECT_EQ(Layout(acl), "8:Slot(acl=2)");
  EXPECT_TRUE(IsValid(acl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalStartCarriesAclMinusLen) {
  struct Case {
    uint64_t acl;
    uint64_t expected;
  };
  // Clipping by 2 pages: an ACL above 2 keeps ACL - 2, otherwise none is carried.
  for (const Case& c : {Case{5, 3}, Case{3, 1}, Case{2, 0}, Case{1, 0}, Case{0, 0}}) {
    SCOPED_TRACE(::testing::Message() << "acl " << c.acl);
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
    SetAcl(pl, 2, c.acl);
    EXPECT_EQ(pl.ClipIntervalStart(Pg(2), Pg(2)), ZX_OK);
    EXPECT_EQ(Layout(pl), StartWithAcl(4, c.expected) + " 8:End");
    EXPECT_TRUE(IsValid(pl));
  }
}

TEST_F(VmPageListIntervalTest, ClipIntervalStartIntoAbsentNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(41), kDirty), ZX_OK);  // nodes 0 and 2
  const uint64_t before = Allocs();
  EXPECT_EQ(pl.ClipIntervalStart(Pg(5), Pg(20)), ZX_OK);
  EXPECT_EQ(Allocs() - before, 1u);
  EXPECT_EQ(Layout(pl), "25:Start 40:End");
  // Node 1 was allocated for the new Start; node 0 lost its only sentinel and was freed.
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(pl.Lookup(Pg(5)), nullptr);
  EXPECT_NE(pl.Lookup(Pg(25)), nullptr);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalStartAllocationFailure) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(41), kDirty), ZX_OK);
  SetAcl(pl, 5, 30);
  {
    vmpl::ScopedAllocFailure fail(1);
    EXPECT_EQ(pl.ClipIntervalStart(Pg(5), Pg(20)), ZX_ERR_NO_MEMORY);
  }
  EXPECT_EQ(Layout(pl), "5:Start(acl=30) 40:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalStartWithSkew) {
  VmPageList pl;
  pl.InitializeSkew(0, Pg(3));
  ASSERT_EQ(pl.AddZeroInterval(Pg(10), Pg(30), kDirty), ZX_OK);  // skewed 13 and 32
  EXPECT_EQ(pl.ClipIntervalStart(Pg(10), Pg(5)), ZX_OK);         // new Start skewed 18
  EXPECT_EQ(Layout(pl), "15:Start 29:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(pl.Lookup(Pg(10)), nullptr);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalEnd) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  EXPECT_EQ(pl.ClipIntervalEnd(Pg(8), Pg(3)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Start 5:End");
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(5)));
  EXPECT_FALSE(pl.IsOffsetInZeroInterval(Pg(6)));
  EXPECT_EQ(pl.ClipIntervalEnd(Pg(5), 0), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Start 5:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalEndToSinglePageLeavesSlot) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  EXPECT_EQ(pl.ClipIntervalEnd(Pg(8), Pg(6)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Slot");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalEndLeavesAclOnStart) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(9), kDirty), ZX_OK);
  SetAcl(pl, 2, 5);
  EXPECT_EQ(pl.ClipIntervalEnd(Pg(8), Pg(3)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Start(acl=5) 5:End");
  // Down to a single page: the Start becomes a Slot that keeps the ACL.
  EXPECT_EQ(pl.ClipIntervalEnd(Pg(5), Pg(3)), ZX_OK);
  EXPECT_EQ(Layout(pl), "2:Slot(acl=5)");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalEndIntoAbsentNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(41), kDirty), ZX_OK);
  const uint64_t before = Allocs();
  EXPECT_EQ(pl.ClipIntervalEnd(Pg(40), Pg(20)), ZX_OK);
  EXPECT_EQ(Allocs() - before, 1u);
  EXPECT_EQ(Layout(pl), "5:Start 20:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(pl.Lookup(Pg(40)), nullptr);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ClipIntervalEndAllocationFailure) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(5), Pg(41), kDirty), ZX_OK);
  {
    vmpl::ScopedAllocFailure fail(1);
    EXPECT_EQ(pl.ClipIntervalEnd(Pg(40), Pg(20)), ZX_ERR_NO_MEMORY);
  }
  EXPECT_EQ(Layout(pl), "5:Start 40:End");
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_TRUE(IsValid(pl));
}

// ---------------------------------------------------------------------------------------------
// ReplacePageWithZeroInterval (docs/semantics.md section 7.7).

TEST_F(VmPageListIntervalTest, ReplaceIsolatedPageWithSlot) {
  VmPageList pl;
  vm_page_t* page = AddPage(pl, Pg(5));
  vm_page_t* returned = pl.ReplacePageWithZeroInterval(Pg(5), kDirty);
  EXPECT_EQ(returned, page);
  EXPECT_EQ(Layout(pl), "5:Slot");
  EXPECT_TRUE(pl.HasNoPageOrRef());
  EXPECT_TRUE(pl.IsOffsetInZeroInterval(Pg(5)));
  pmm_free_page(returned);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ReplacePageMergesWithIntervalsOnBothSides) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(5), kDirty), ZX_OK);
  vm_page_t* page = AddPage(pl, Pg(5));
  ASSERT_EQ(pl.AddZeroInterval(Pg(6), Pg(9), kDirty), ZX_OK);
  vm_page_t* returned = pl.ReplacePageWithZeroInterval(Pg(5), kDirty);
  EXPECT_EQ(returned, page);
  EXPECT_EQ(Layout(pl), "2:Start 8:End");
  pmm_free_page(returned);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ReplacePageMergesWithOneSide) {
  {
    VmPageList pl;
    ASSERT_EQ(pl.AddZeroInterval(Pg(2), Pg(5), kDirty), ZX_OK);
    vm_page_t* page = AddPage(pl, Pg(5));
    AddPage(pl, Pg(6));
    EXPECT_EQ(pl.ReplacePageWithZeroInterval(Pg(5), kDirty), page);
    pmm_free_page(page);
    EXPECT_EQ(Layout(pl), "2:Start 5:End 6:Page");
    EXPECT_TRUE(IsValid(pl));
    FreeAll(pl);
  }
  {
    VmPageList pl;
    AddMarker(pl, Pg(4));
    vm_page_t* page = AddPage(pl, Pg(5));
    ASSERT_EQ(pl.AddZeroInterval(Pg(6), Pg(9), kDirty), ZX_OK);
    EXPECT_EQ(pl.ReplacePageWithZeroInterval(Pg(5), kDirty), page);
    pmm_free_page(page);
    EXPECT_EQ(Layout(pl), "4:Marker 5:Start 8:End");
    EXPECT_TRUE(IsValid(pl));
  }
}

TEST_F(VmPageListIntervalTest, ReplacePageMergesWithNeighbouringSlots) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(4), Pg(5), kDirty), ZX_OK);
  vm_page_t* page = AddPage(pl, Pg(5));
  ASSERT_EQ(pl.AddZeroInterval(Pg(6), Pg(7), kDirty), ZX_OK);
  EXPECT_EQ(pl.ReplacePageWithZeroInterval(Pg(5), kDirty), page);
  pmm_free_page(page);
  EXPECT_EQ(Layout(pl), "4:Start 6:End");
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ReplacePageMergesAcrossNodeBoundaryAndFreesEmptiedNode) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(10), Pg(16), kDirty), ZX_OK);
  vm_page_t* page = AddPage(pl, Pg(16));
  ASSERT_EQ(pl.AddZeroInterval(Pg(17), Pg(40), kDirty), ZX_OK);
  EXPECT_EQ(NodeCount(pl), 3u);
  EXPECT_EQ(pl.ReplacePageWithZeroInterval(Pg(16), kDirty), page);
  pmm_free_page(page);
  EXPECT_EQ(Layout(pl), "10:Start 39:End");
  // Node 1 held only the page and the old Start at 17.
  EXPECT_EQ(NodeCount(pl), 2u);
  EXPECT_EQ(pl.Lookup(Pg(16)), nullptr);
  EXPECT_TRUE(IsValid(pl));
}

TEST_F(VmPageListIntervalTest, ReplacePageDoesNotMergeWithPagesOrMarkers) {
  VmPageList pl;
  AddMarker(pl, Pg(4));
  vm_page_t* page = AddPage(pl, Pg(5));
  AddPage(pl, Pg(6));
  EXPECT_EQ(pl.ReplacePageWithZeroInterval(Pg(5), kDirty), page);
  pmm_free_page(page);
  EXPECT_EQ(Layout(pl), "4:Marker 5:Slot 6:Page");
  EXPECT_TRUE(IsValid(pl));
  FreeAll(pl);
}

TEST_F(VmPageListIntervalTest, ReplacePageNeverAllocates) {
  VmPageList pl;
  ASSERT_EQ(pl.AddZeroInterval(Pg(10), Pg(16), kDirty), ZX_OK);
  vm_page_t* p16 = AddPage(pl, Pg(16));
  vm_page_t* p20 = AddPage(pl, Pg(20));
  {
    vmpl::ScopedAllocFailure fail(1, /*sticky=*/true);
    EXPECT_EQ(pl.ReplacePageWithZeroInterval(Pg(16), kDirty), p16);
    EXPECT_EQ(pl.ReplacePageWithZeroInterval(Pg(20), kDirty), p20);
  }
  pmm_free_page(p16);
  pmm_free_page(p20);
  EXPECT_EQ(Layout(pl), "10:Start 16:End 20:Slot");
  EXPECT_TRUE(IsValid(pl));
}

}  // namespace
