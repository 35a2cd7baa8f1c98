// Unit tests for VmPageSpliceList (docs/semantics.md section 9: the V3 splice list).
//
// What is checked: TakePages over every kind of range (inside one node, starting or ending
// mid-node, spanning several nodes with and without absent middle nodes, node aligned, a single
// page) with pages, references (with split bits), markers and gaps popped back in order; Position,
// IsEmpty, IsProcessed, IsFinalized and PeekReference along the way; the public (offset, length,
// skew) constructor with Append/Finalize/Pop round trips, including allocation failure in Append;
// CreateFromPageList; move construction and move assignment; the destructor freeing what was not
// popped through pmm_free_page / vmpl::FreeReference; and the DEBUG_ASSERTs of the life cycle.
//
// Every content item is modelled next to the list (a plain vector indexed by page) and compared
// after each step; every page and reference allocated is accounted for at the end of each test.

#include <gtest/gtest.h>
#include <stdint.h>
#include <string.h>
#include <vm/page.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/page_allocator.h>
#include <vmpl/validate.h>
#include <zircon/errors.h>
#include <zircon/listnode.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace {

constexpr uint64_t kPage = PAGE_SIZE;
constexpr uint64_t kNodePages = 16;
constexpr uint64_t kNodeSpan = kNodePages * kPage;
using RefValue = VmPageOrMarker::ReferenceValue;

uint64_t Seed() { return ::testing::UnitTest::GetInstance()->random_seed(); }

vmpl::PageAllocator& Pmm() { return vmpl::PageAllocator::Get(); }

#define SKIP_WITHOUT_DEBUG_ASSERTS()                                                    \
  do {                                                                                  \
    if (!VMPL_DEBUG_ASSERTS) {                                                          \
      GTEST_SKIP() << "DEBUG_ASSERTs are compiled out (VMPL_DEBUG_ASSERTS=0), nothing " \
                      "to die on";                                                      \
    }                                                                                   \
  } while (0)

// Fails the test if pages or references handed out during its lifetime are not all returned.
class LeakCheck {
 public:
  LeakCheck() : pages_(Pmm().pages_outstanding()), refs_(Pmm().references_outstanding()) {}
  ~LeakCheck() {
    EXPECT_EQ(pages_, Pmm().pages_outstanding()) << "pages leaked";
    EXPECT_EQ(refs_, Pmm().references_outstanding()) << "references leaked";
  }

 private:
  size_t pages_;
  size_t refs_;
};

// Installs free hooks that record what pmm_free_page / vmpl::FreeReference receive (and then free
// it for real), and restores the default hooks on destruction.
class FreeRecorder {
 public:
  FreeRecorder() {
    Pmm().SetPageFreeHook([this](vm_page_t* page) {
      pages.push_back(page);
      Pmm().FreePage(page);
    });
    Pmm().SetReferenceFreeHook([this](uint64_t value) {
      refs.push_back(value);
      Pmm().FreeReference(value);
    });
  }
  ~FreeRecorder() {
    Pmm().SetPageFreeHook({});
    Pmm().SetReferenceFreeHook({});
  }
  FreeRecorder(const FreeRecorder&) = delete;
  FreeRecorder& operator=(const FreeRecorder&) = delete;

  std::vector<vm_page_t*> pages;
  std::vector<uint64_t> refs;
};

// ---- content model
// -------------------------------------------------------------------------------

enum class Kind { kEmpty, kMarker, kPage, kRef };

struct Item {
  Kind kind = Kind::kEmpty;
  vm_page_t* page = nullptr;
  uint64_t ref = 0;
  bool left = false;
  bool right = false;
};

std::ostream& operator<<(std::ostream& os, const Item& item) {
  switch (item.kind) {
    case Kind::kEmpty:
      return os << "Empty";
    case Kind::kMarker:
      return os << "Marker";
    case Kind::kPage:
      return os << "Page(" << item.page << " L=" << item.left << " R=" << item.right << ")";
    case Kind::kRef:
      return os << "Ref(0x" << std::hex << item.ref << std::dec << " L=" << item.left
                << " R=" << item.right << ")";
  }
  return os;
}

// A fresh item of |kind| with its own page or reference and random split bits.
Item MakeItem(Kind kind, std::mt19937_64& rng) {
  Item item;
  item.kind = kind;
  if (kind == Kind::kPage || kind == Kind::kRef) {
    item.left = rng() & 1;
    item.right = rng() & 1;
  }
  if (kind == Kind::kPage) {
    item.page = Pmm().AllocPage();
    EXPECT_NE(item.page, nullptr);
  } else if (kind == Kind::kRef) {
    item.ref = Pmm().AllocReference();
  }
  return item;
}

Item RandomItem(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
    case 1:
      return Item{};
    case 2:
      return MakeItem(Kind::kMarker, rng);
    case 3:
      return MakeItem(Kind::kPage, rng);
    default:
      return MakeItem(Kind::kRef, rng);
  }
}

VmPageOrMarker ToContent(const Item& item) {
  switch (item.kind) {
    case Kind::kEmpty:
      return VmPageOrMarker::Empty();
    case Kind::kMarker:
      return VmPageOrMarker::Marker();
    case Kind::kPage: {
      VmPageOrMarker p = VmPageOrMarker::Page(item.page);
      p.SetPageOrRefLeftSplit(item.left);
      p.SetPageOrRefRightSplit(item.right);
      return p;
    }
    case Kind::kRef:
      return VmPageOrMarker::Reference(RefValue(item.ref), item.left, item.right);
  }
  return VmPageOrMarker::Empty();
}

// Frees whatever |p| owns (directly through the allocator, not the hooks).
void FreeContent(VmPageOrMarker& p) {
  if (p.IsPage()) {
    vm_page_t* page = p.ReleasePage();
    Pmm().FreePage(page);
  } else if (p.IsReference()) {
    Pmm().FreeReference(p.ReleaseReference().value());
  }
}

// Compares popped content with the model item, then frees it (whatever it turned out to be, so a
// mismatch does not also abort on an owning VmPageOrMarker's destructor).
void ExpectContent(VmPageOrMarker& got, const Item& want, uint64_t where) {
  SCOPED_TRACE(testing::Message() << "at byte position 0x" << std::hex << where << std::dec
                                  << ", expected " << want);
  EXPECT_FALSE(got.IsInterval());
  switch (want.kind) {
    case Kind::kEmpty:
      EXPECT_TRUE(got.IsEmpty());
      break;
    case Kind::kMarker:
      EXPECT_TRUE(got.IsMarker());
      break;
    case Kind::kPage:
      EXPECT_TRUE(got.IsPage());
      if (got.IsPage()) {
        EXPECT_EQ(got.Page(), want.page);
        EXPECT_EQ(got.PageOrRefLeftSplit(), want.left);
        EXPECT_EQ(got.PageOrRefRightSplit(), want.right);
      }
      break;
    case Kind::kRef:
      EXPECT_TRUE(got.IsReference());
      if (got.IsReference()) {
        EXPECT_EQ(got.Reference().value(), want.ref);
        EXPECT_EQ(got.PageOrRefLeftSplit(), want.left);
        EXPECT_EQ(got.PageOrRefRightSplit(), want.right);
      }
      break;
  }
  FreeContent(got);
}

// Frees everything a list owns so that its destructor's HasNoPageOrRef assert holds.
void FreeAll(VmPageList& list) {
  list.RemoveAllContent([](VmPageOrMarker&& p) { FreeContent(p); });
}

// Frees a list's content when leaving a scope, also when an ASSERT returned early, so that the
// list's destructor never aborts the test binary.
class FreeOnExit {
 public:
  explicit FreeOnExit(VmPageList& list) : list_(list) {}
  ~FreeOnExit() { FreeAll(list_); }
  FreeOnExit(const FreeOnExit&) = delete;
  FreeOnExit& operator=(const FreeOnExit&) = delete;

 private:
  VmPageList& list_;
};

void Put(VmPageList& list, uint64_t offset, const Item& item) {
  if (item.kind == Kind::kEmpty) {
    return;
  }
  auto [slot, in_interval] =
      list.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
  ASSERT_NE(slot, nullptr) << "offset " << offset;
  ASSERT_TRUE(slot->IsEmpty());
  *slot = ToContent(item);
}

void ExpectValid(const VmPageList& list) {
  for (const vmpl::Violation& v : vmpl::Validate(list)) {
    ADD_FAILURE() << "list violation: " << v.ToString();
  }
}
void ExpectValid(const VmPageSpliceList& splice) {
  for (const vmpl::Violation& v : vmpl::Validate(splice)) {
    ADD_FAILURE() << "splice violation: " << v.ToString();
  }
}

// Pops every remaining item of |splice| and compares it with |want| starting at index |first|,
// checking Position, PeekReference and IsProcessed on the way.
void PopAndCompare(VmPageSpliceList& splice, const std::vector<Item>& want, size_t first = 0) {
  for (size_t i = first; i < want.size(); i++) {
    SCOPED_TRACE(testing::Message() << "pop " << i);
    EXPECT_FALSE(splice.IsProcessed());
    EXPECT_EQ(splice.Position(), i * kPage);
    VmPageOrMarkerRef peek = splice.PeekReference();
    if (want[i].kind == Kind::kRef) {
      ASSERT_TRUE(peek) << "PeekReference must see the reference at the head";
      EXPECT_TRUE(peek->IsReference());
      EXPECT_EQ(peek->Reference().value(), want[i].ref);
    } else {
      EXPECT_FALSE(peek) << "PeekReference is null unless the head is a reference";
    }
    VmPageOrMarker got = splice.Pop();
    ExpectContent(got, want[i], i * kPage);
    EXPECT_EQ(splice.Position(), (i + 1) * kPage);
  }
  EXPECT_TRUE(splice.IsProcessed());
  EXPECT_TRUE(splice.IsEmpty()) << "nothing left once every item was popped";
}

// ---- TakePages
// -----------------------------------------------------------------------------------

struct TakeCase {
  const char* name;
  uint64_t offset_pages;
  uint64_t length_pages;
};

// Fills [0, |total_pages|) with random content (leaving some whole nodes absent), takes
// [offset, offset + length) and checks the splice list and what remains in the list.
void RunTakeCase(const TakeCase& c, uint64_t total_pages, std::mt19937_64& rng) {
  SCOPED_TRACE(testing::Message() << "case " << c.name << " offset " << c.offset_pages
                                  << "P length " << c.length_pages << "P");
  VmPageList list;
  FreeOnExit free_list(list);
  std::vector<Item> model(total_pages);
  for (uint64_t node = 0; node * kNodePages < total_pages; node++) {
    const bool absent = rng() % 4 == 0;  // a whole node missing: a gap in middle_
    for (uint64_t i = node * kNodePages; i < std::min(total_pages, (node + 1) * kNodePages); i++) {
      if (!absent) {
        model[i] = RandomItem(rng);
        Put(list, i * kPage, model[i]);
      }
    }
  }
  ExpectValid(list);

  bool any_content = false;
  for (uint64_t i = c.offset_pages; i < c.offset_pages + c.length_pages; i++) {
    any_content |= model[i].kind != Kind::kEmpty;
  }

  VmPageSpliceList splice = list.TakePages(c.offset_pages * kPage, c.length_pages * kPage);
  EXPECT_TRUE(splice.IsFinalized());
  EXPECT_EQ(splice.Position(), 0u);
  EXPECT_FALSE(splice.IsProcessed());
  EXPECT_EQ(splice.IsEmpty(), !any_content);
  ExpectValid(list);
  ExpectValid(splice);

  // What is left in the list: everything outside the range, nothing inside.
  for (uint64_t i = 0; i < total_pages; i++) {
    const VmPageOrMarker* slot = list.Lookup(i * kPage);
    const bool inside = i >= c.offset_pages && i < c.offset_pages + c.length_pages;
    if (inside || model[i].kind == Kind::kEmpty) {
      EXPECT_TRUE(slot == nullptr || slot->IsEmpty()) << "page " << i;
      continue;
    }
    ASSERT_NE(slot, nullptr) << "page " << i;
    switch (model[i].kind) {
      case Kind::kMarker:
        EXPECT_TRUE(slot->IsMarker()) << "page " << i;
        break;
      case Kind::kPage:
        EXPECT_TRUE(slot->IsPage() && slot->Page() == model[i].page) << "page " << i;
        break;
      case Kind::kRef:
        EXPECT_TRUE(slot->IsReference() && slot->Reference().value() == model[i].ref)
            << "page " << i;
        break;
      case Kind::kEmpty:
        break;
    }
  }

  std::vector<Item> want(model.begin() + static_cast<ptrdiff_t>(c.offset_pages),
                         model.begin() + static_cast<ptrdiff_t>(c.offset_pages + c.length_pages));
  PopAndCompare(splice, want);
  ExpectValid(splice);
  FreeAll(list);
}

TEST(VmPageSpliceList, TakePagesRangeShapes) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  const TakeCase cases[] = {
      {"inside one node", 3, 6},
      {"single page at node start", 16, 1},
      {"single page mid node", 21, 1},
      {"single page at node end", 31, 1},
      {"single page at offset 0", 0, 1},
      {"exactly one node", 16, 16},
      {"node aligned, several nodes", 16, 48},
      {"start mid node, end mid node, several nodes", 5, 3 * 16 + 7 - 5},
      {"start mid node, end node aligned", 20, 44},
      {"start node aligned, end mid node", 32, 20},
      {"start mid node, end in next node", 14, 4},
      {"whole list", 0, 96},
      {"many nodes", 9, 80},
  };
  for (int repeat = 0; repeat < 8; repeat++) {
    for (const TakeCase& c : cases) {
      SCOPED_TRACE(testing::Message() << "repeat " << repeat);
      RunTakeCase(c, 96, rng);
    }
  }
}

TEST(VmPageSpliceList, TakePagesRandomRanges) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  for (int i = 0; i < 200; i++) {
    SCOPED_TRACE(testing::Message() << "iteration " << i);
    const uint64_t total = 1 + rng() % 160;
    const uint64_t offset = rng() % total;
    const uint64_t length = 1 + rng() % (total - offset);
    RunTakeCase({"random", offset, length}, total, rng);
  }
}

TEST(VmPageSpliceList, TakePagesOfAnEmptyRangeGivesGaps) {
  VmPageList list;
  FreeOnExit free_list(list);
  VmPageSpliceList splice = list.TakePages(5 * kPage, 40 * kPage);
  EXPECT_TRUE(splice.IsEmpty());
  EXPECT_TRUE(splice.IsFinalized());
  std::vector<Item> want(40);
  PopAndCompare(splice, want);
}

TEST(VmPageSpliceList, TakePagesKeepsOrderOfMarkersAndReferences) {
  // A fixed pattern across three nodes, so the order is easy to read in a failure.
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  VmPageList list;
  FreeOnExit free_list(list);
  std::vector<Item> model(48);
  const Kind pattern[] = {Kind::kRef, Kind::kMarker, Kind::kEmpty, Kind::kPage,
                          Kind::kRef, Kind::kRef,    Kind::kMarker};
  for (size_t i = 0; i < model.size(); i++) {
    model[i] = MakeItem(pattern[i % std::size(pattern)], rng);
    Put(list, i * kPage, model[i]);
  }
  VmPageSpliceList splice = list.TakePages(7 * kPage, 35 * kPage);
  std::vector<Item> want(model.begin() + 7, model.begin() + 42);
  PopAndCompare(splice, want);
  for (size_t i = 0; i < model.size(); i++) {
    if (i < 7 || i >= 42) {
      ASSERT_NE(list.Lookup(i * kPage), nullptr) << "i=" << i;
    }
  }
  FreeAll(list);
}

// ---- Append / Finalize / Pop
// ---------------------------------------------------------------------

TEST(VmPageSpliceList, AppendFinalizePopRoundTrip) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  for (int iter = 0; iter < 100; iter++) {
    SCOPED_TRACE(testing::Message() << "iteration " << iter);
    const uint64_t offset = (rng() % 200) * kPage;
    const uint64_t length = (1 + rng() % 100) * kPage;
    const uint64_t skew = (rng() % 16) * kPage;
    SCOPED_TRACE(testing::Message() << "offset 0x" << std::hex << offset << " length 0x" << length
                                    << " skew 0x" << skew);
    VmPageSpliceList splice(offset, length, skew);
    EXPECT_FALSE(splice.IsFinalized());
    EXPECT_TRUE(splice.IsEmpty());
    EXPECT_EQ(splice.Position(), 0u);
    std::vector<Item> want;
    bool any_content = false;
    for (uint64_t pos = 0; pos < length; pos += kPage) {
      Item item = RandomItem(rng);
      any_content |= item.kind != Kind::kEmpty;
      want.push_back(item);
      ASSERT_EQ(splice.Append(ToContent(item)), ZX_OK) << "pos " << pos;
      EXPECT_EQ(splice.Position(), pos + kPage);
      EXPECT_EQ(splice.IsEmpty(), !any_content) << "pos " << pos;
    }
    EXPECT_FALSE(splice.IsFinalized());
    splice.Finalize();
    EXPECT_TRUE(splice.IsFinalized());
    EXPECT_EQ(splice.Position(), 0u) << "Finalize rewinds";
    ExpectValid(splice);
    PopAndCompare(splice, want);
  }
}

TEST(VmPageSpliceList, AppendFillsMiddleNodes) {
  // offset 0x3000, 5 nodes long: head, 4 middle nodes, tail; every slot a page.
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  const uint64_t offset = 3 * kPage;
  const uint64_t length = 5 * kNodeSpan;
  VmPageSpliceList splice(offset, length, 0);
  std::vector<Item> want;
  const uint64_t allocs_before = vmpl::AllocFailureInjector::count();
  for (uint64_t pos = 0; pos < length; pos += kPage) {
    want.push_back(MakeItem(Kind::kPage, rng));
    ASSERT_EQ(splice.Append(ToContent(want.back())), ZX_OK) << "pos " << pos;
  }
  EXPECT_EQ(vmpl::AllocFailureInjector::count() - allocs_before, 4u)
      << "one checked allocation per middle node";
  splice.Finalize();
  ExpectValid(splice);
  PopAndCompare(splice, want);
}

TEST(VmPageSpliceList, AppendAllocationFailureFreesContent) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  FreeRecorder recorder;
  // Node aligned offset: the first Append lands in a middle node that does not exist yet.
  VmPageSpliceList splice(0, 3 * kNodeSpan, 0);

  Item page = MakeItem(Kind::kPage, rng);
  {
    vmpl::ScopedAllocFailure fail(1);
    const uint64_t before = vmpl::AllocFailureInjector::failures();
    EXPECT_EQ(splice.Append(ToContent(page)), ZX_ERR_NO_MEMORY);
    EXPECT_EQ(vmpl::AllocFailureInjector::failures() - before, 1u);
  }
  ASSERT_EQ(recorder.pages.size(), 1u) << "the page went to pmm_free_page";
  EXPECT_EQ(recorder.pages[0], page.page);
  EXPECT_FALSE(Pmm().IsAllocatedPage(page.page));
  EXPECT_EQ(splice.Position(), 0u) << "a failed Append does not advance";
  EXPECT_TRUE(splice.IsEmpty());

  Item ref = MakeItem(Kind::kRef, rng);
  {
    vmpl::ScopedAllocFailure fail(1);
    EXPECT_EQ(splice.Append(ToContent(ref)), ZX_ERR_NO_MEMORY);
  }
  ASSERT_EQ(recorder.refs.size(), 1u) << "the reference went to vmpl::FreeReference";
  EXPECT_EQ(recorder.refs[0], ref.ref) << "freed without its split bits";
  EXPECT_FALSE(Pmm().IsLiveReference(ref.ref));
  EXPECT_EQ(splice.Position(), 0u);

  // Without failure injection the same Append succeeds and the list is usable to the end.
  std::vector<Item> want;
  for (uint64_t pos = 0; pos < 3 * kNodeSpan; pos += kPage) {
    want.push_back(RandomItem(rng));
    ASSERT_EQ(splice.Append(ToContent(want.back())), ZX_OK) << "pos " << pos;
  }
  splice.Finalize();
  PopAndCompare(splice, want);
  EXPECT_EQ(recorder.pages.size(), 1u);
  EXPECT_EQ(recorder.refs.size(), 1u);
}

TEST(VmPageSpliceList, AppendFailureInEveryMiddleNode) {
  // Fail the k-th allocation for each k: every middle node's first Append can fail, and the
  // list stays consistent and fully usable after each failure.
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  for (uint64_t k = 1; k <= 3; k++) {
    SCOPED_TRACE(testing::Message() << "failing allocation " << k);
    FreeRecorder recorder;
    VmPageSpliceList splice(5 * kPage, 4 * kNodeSpan, 0);  // middle nodes 1, 2, 3
    std::vector<Item> want;
    vmpl::ScopedAllocFailure fail(k);
    size_t failures = 0;
    for (uint64_t pos = 0; pos < 4 * kNodeSpan; pos += kPage) {
      Item item = MakeItem(Kind::kPage, rng);
      zx_status_t status = splice.Append(ToContent(item));
      if (status == ZX_ERR_NO_MEMORY) {
        failures++;
        ASSERT_EQ(recorder.pages.size(), failures);
        EXPECT_EQ(recorder.pages.back(), item.page);
        status = splice.Append(ToContent(MakeItem(Kind::kMarker, rng)));
        item = Item{Kind::kMarker};
      }
      ASSERT_EQ(status, ZX_OK) << "pos " << pos;
      want.push_back(item);
    }
    EXPECT_EQ(failures, 1u);
    splice.Finalize();
    PopAndCompare(splice, want);
  }
}

TEST(VmPageSpliceList, PeekReferenceOnlyForReferences) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  VmPageSpliceList splice(0, 6 * kPage, 0);
  std::vector<Item> want = {MakeItem(Kind::kRef, rng),    MakeItem(Kind::kPage, rng),
                            MakeItem(Kind::kMarker, rng), Item{},
                            MakeItem(Kind::kRef, rng),    MakeItem(Kind::kRef, rng)};
  for (const Item& item : want) {
    ASSERT_EQ(splice.Append(ToContent(item)), ZX_OK);
  }
  splice.Finalize();
  // Peeking does not consume and gives a ref into the list whose split bits can be changed.
  VmPageOrMarkerRef peek = splice.PeekReference();
  ASSERT_TRUE(peek);
  EXPECT_EQ(splice.Position(), 0u);
  EXPECT_EQ(&*splice.PeekReference(), &*peek) << "peek twice, same slot";
  peek.SetPageOrRefLeftSplit(!want[0].left);
  want[0].left = !want[0].left;
  // A reference can be swapped for a page in place, as the kernel does when decompressing.
  vm_page_t* page = Pmm().AllocPage();
  RefValue old = peek.SwapReferenceForPage(page);
  EXPECT_EQ(old.value(), want[0].ref);
  Pmm().FreeReference(old.value());
  want[0] = Item{Kind::kPage, page, 0, want[0].left, want[0].right};
  EXPECT_FALSE(splice.PeekReference()) << "now a page";
  PopAndCompare(splice, want);
}

// ---- CreateFromPageList
// --------------------------------------------------------------------------

TEST(VmPageSpliceList, CreateFromPageListPopsPagesInListOrder) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  for (int iter = 0; iter < 20; iter++) {
    SCOPED_TRACE(testing::Message() << "iteration " << iter);
    const uint64_t count = 1 + rng() % 40;
    list_node pages = LIST_INITIAL_VALUE(pages);
    std::vector<Item> want;
    for (uint64_t i = 0; i < count; i++) {
      Item item = MakeItem(Kind::kPage, rng);
      item.left = item.right = false;
      want.push_back(item);
      list_add_tail(&pages, &item.page->queue_node);
    }
    const uint64_t offset = (rng() % 100) * kPage;
    VmPageSpliceList splice = VmPageSpliceList::CreateFromPageList(offset, count * kPage, &pages);
    EXPECT_TRUE(list_is_empty(&pages)) << "the pages moved into the splice list";
    EXPECT_TRUE(splice.IsFinalized());
    EXPECT_FALSE(splice.IsEmpty());
    EXPECT_EQ(splice.Position(), 0u);
    if (iter % 2 == 0) {
      PopAndCompare(splice, want);
    } else {
      // Pop some, let the destructor free the rest through pmm_free_page.
      const size_t popped = rng() % count;
      for (size_t i = 0; i < popped; i++) {
        VmPageOrMarker got = splice.Pop();
        ExpectContent(got, want[i], i * kPage);
      }
      FreeRecorder recorder;
      { VmPageSpliceList doomed(std::move(splice)); }
      std::vector<vm_page_t*> expected;
      for (size_t i = popped; i < count; i++) {
        expected.push_back(want[i].page);
      }
      EXPECT_EQ(recorder.pages, expected);
    }
  }
}

// ---- moves
// ---------------------------------------------------------------------------------------

TEST(VmPageSpliceList, MoveConstructionTransfersEverything) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  VmPageList list;
  FreeOnExit free_list(list);
  std::vector<Item> model(64);
  for (size_t i = 0; i < model.size(); i++) {
    model[i] = RandomItem(rng);
    Put(list, i * kPage, model[i]);
  }
  VmPageSpliceList source = list.TakePages(3 * kPage, 58 * kPage);
  std::vector<Item> want(model.begin() + 3, model.begin() + 61);
  // Pop a few first so that pos_ is carried too.
  for (size_t i = 0; i < 5; i++) {
    VmPageOrMarker got = source.Pop();
    ExpectContent(got, want[i], i * kPage);
  }
  VmPageSpliceList moved(std::move(source));
  EXPECT_TRUE(source.IsEmpty());      // NOLINT(bugprone-use-after-move): specified moved-from state
  EXPECT_TRUE(source.IsProcessed());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(source.Position(), 0u);   // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.IsFinalized());
  EXPECT_EQ(moved.Position(), 5 * kPage);
  ExpectValid(moved);
  PopAndCompare(moved, want, 5);
  FreeAll(list);
}

TEST(VmPageSpliceList, MoveAssignmentOverNonEmptyFreesOldContent) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  VmPageList list;
  FreeOnExit free_list(list);
  std::vector<Item> model(80);
  for (size_t i = 0; i < model.size(); i++) {
    model[i] = MakeItem(i % 3 == 0 ? Kind::kRef : (i % 3 == 1 ? Kind::kPage : Kind::kMarker), rng);
    Put(list, i * kPage, model[i]);
  }
  VmPageSpliceList dst = list.TakePages(0, 40 * kPage);
  VmPageSpliceList src = list.TakePages(40 * kPage, 40 * kPage);
  // Pop a couple from dst: only the rest may be freed.
  for (size_t i = 0; i < 2; i++) {
    VmPageOrMarker got = dst.Pop();
    ExpectContent(got, model[i], i * kPage);
  }
  std::set<vm_page_t*> expected_pages;
  std::set<uint64_t> expected_refs;
  for (size_t i = 2; i < 40; i++) {
    if (model[i].kind == Kind::kPage) {
      expected_pages.insert(model[i].page);
    } else if (model[i].kind == Kind::kRef) {
      expected_refs.insert(model[i].ref);
    }
  }
  {
    FreeRecorder recorder;
    dst = std::move(src);
    EXPECT_EQ(std::set<vm_page_t*>(recorder.pages.begin(), recorder.pages.end()), expected_pages);
    EXPECT_EQ(recorder.pages.size(), expected_pages.size()) << "each page freed once";
    EXPECT_EQ(std::set<uint64_t>(recorder.refs.begin(), recorder.refs.end()), expected_refs);
    EXPECT_EQ(recorder.refs.size(), expected_refs.size()) << "each reference freed once";
  }
  EXPECT_TRUE(src.IsEmpty());      // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(src.IsProcessed());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(dst.IsFinalized());
  std::vector<Item> want(model.begin() + 40, model.end());
  PopAndCompare(dst, want);
  EXPECT_TRUE(list.IsEmpty());
}

TEST(VmPageSpliceList, MoveAssignmentOverUnfinalizedListFreesItsContent) {
  // Spec 6.2: move assignment finalizes the destination, then frees what it holds.
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  VmPageSpliceList dst(0, 4 * kPage, 0);
  Item page = MakeItem(Kind::kPage, rng);
  Item ref = MakeItem(Kind::kRef, rng);
  ASSERT_EQ(dst.Append(ToContent(page)), ZX_OK);
  ASSERT_EQ(dst.Append(ToContent(ref)), ZX_OK);
  VmPageSpliceList src(0, kPage, 0);
  ASSERT_EQ(src.Append(VmPageOrMarker::Marker()), ZX_OK);
  src.Finalize();
  {
    FreeRecorder recorder;
    dst = std::move(src);
    EXPECT_EQ(recorder.pages, std::vector<vm_page_t*>{page.page});
    EXPECT_EQ(recorder.refs, std::vector<uint64_t>{ref.ref});
  }
  PopAndCompare(dst, {Item{Kind::kMarker}});
}

// ---- destruction
// ---------------------------------------------------------------------------------

TEST(VmPageSpliceList, DestroyingUnprocessedListFreesTheRest) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  for (int iter = 0; iter < 30; iter++) {
    SCOPED_TRACE(testing::Message() << "iteration " << iter);
    VmPageList list;
    FreeOnExit free_list(list);
    const uint64_t total = 1 + rng() % 100;
    std::vector<Item> model(total);
    for (uint64_t i = 0; i < total; i++) {
      model[i] = RandomItem(rng);
      Put(list, i * kPage, model[i]);
    }
    const uint64_t popped = rng() % (total + 1);
    std::vector<vm_page_t*> expected_pages;
    std::vector<uint64_t> expected_refs;
    for (uint64_t i = popped; i < total; i++) {
      if (model[i].kind == Kind::kPage) {
        expected_pages.push_back(model[i].page);
      } else if (model[i].kind == Kind::kRef) {
        expected_refs.push_back(model[i].ref);
      }
    }
    {
      VmPageSpliceList splice = list.TakePages(0, total * kPage);
      for (uint64_t i = 0; i < popped; i++) {
        VmPageOrMarker got = splice.Pop();
        ExpectContent(got, model[i], i * kPage);
      }
      FreeRecorder recorder;
      { VmPageSpliceList doomed(std::move(splice)); }
      EXPECT_EQ(recorder.pages, expected_pages) << "freed in offset order";
      EXPECT_EQ(recorder.refs, expected_refs) << "freed in offset order, without split bits";
    }
    EXPECT_TRUE(list.IsEmpty());
  }
}

TEST(VmPageSpliceList, DefaultMovedFromAndEmptyListsDestroyQuietly) {
  FreeRecorder recorder;
  {
    VmPageSpliceList splice(0, 0, 0);
    EXPECT_TRUE(splice.IsProcessed());
    EXPECT_TRUE(splice.IsEmpty());
  }
  {
    VmPageList list;
    FreeOnExit free_list(list);
    VmPageSpliceList splice = list.TakePages(0, 10 * kPage);
  }
  EXPECT_TRUE(recorder.pages.empty());
  EXPECT_TRUE(recorder.refs.empty());
}

// ---- death tests
// ---------------------------------------------------------------------------------

TEST(VmPageSpliceListDeathTest, PopBeforeFinalize) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        auto& splice = *new VmPageSpliceList(0, 2 * kPage, 0);
        (void)splice.Append(VmPageOrMarker::Marker());
        VmPageOrMarker p = splice.Pop();
      },
      "ASSERT FAILED");
}

TEST(VmPageSpliceListDeathTest, AppendAfterFinalize) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        auto& splice = *new VmPageSpliceList(0, 2 * kPage, 0);
        splice.Finalize();
        (void)splice.Append(VmPageOrMarker::Marker());
      },
      "ASSERT FAILED");
}

TEST(VmPageSpliceListDeathTest, FinalizeTwice) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        auto& splice = *new VmPageSpliceList(0, 2 * kPage, 0);
        splice.Finalize();
        splice.Finalize();
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageList list;
        VmPageSpliceList splice = list.TakePages(0, kPage);
        splice.Finalize();  // TakePages already finalized it
      },
      "ASSERT FAILED");
}

TEST(VmPageSpliceListDeathTest, PopPastTheEnd) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        VmPageList list;
        VmPageSpliceList splice = list.TakePages(0, kPage);
        VmPageOrMarker first = splice.Pop();
        VmPageOrMarker second = splice.Pop();
      },
      "Popped from empty splice list");
}

TEST(VmPageSpliceListDeathTest, AppendPastTheEnd) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        auto& splice = *new VmPageSpliceList(0, kPage, 0);
        (void)splice.Append(VmPageOrMarker::Marker());
        (void)splice.Append(VmPageOrMarker::Marker());
      },
      "ASSERT FAILED");
}

TEST(VmPageSpliceListDeathTest, AppendIntervalSentinel) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        VmPageList list;
        (void)list.AddZeroInterval(0, kPage, VmPageOrMarker::IntervalDirtyState::Dirty);
        VmPageOrMarker sentinel = list.RemoveContent(0);
        auto& splice = *new VmPageSpliceList(0, kPage, 0);
        (void)splice.Append(std::move(sentinel));
      },
      "ASSERT FAILED");
}

TEST(VmPageSpliceListDeathTest, PeekReferenceBeforeFinalize) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        auto& splice = *new VmPageSpliceList(0, kPage, 0);
        (void)splice.Append(VmPageOrMarker::Reference(RefValue(0x10), false, false));
        (void)splice.PeekReference();
      },
      "ASSERT FAILED");
}

}  // namespace
