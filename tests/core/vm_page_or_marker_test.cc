// Unit tests for VmPageOrMarker, VmPageOrMarker::ReferenceValue and VmPageOrMarkerRef.
//
// What is checked: the bit-exact encoding of raw_ for every kind of content (docs/semantics.md
// section 2.2), read through the object's memory as a debugger would; every predicate for every
// kind; split bits on pages (vm_page_t byte 0x29, bits 5 and 6, docs/semantics.md section 12.6) and
// on references (raw bits 3 and 2); the V2 swap semantics that move split bits (section 2.4); move
// construction and assignment; Release*; the awaiting-clean length of zero intervals; and the
// DEBUG_ASSERTs that guard ownership (death tests, skipped when VMPL_DEBUG_ASSERTS is 0).
//
// Interval sentinels can only be minted by VmPageList, so they are produced with AddZeroInterval
// and read back with Lookup.

#include <gtest/gtest.h>
#include <string.h>
#include <vm/page.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/page_allocator.h>
#include <zircon/errors.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

constexpr uint64_t kPage = PAGE_SIZE;
constexpr auto kDirty = VmPageOrMarker::IntervalDirtyState::Dirty;
using RefValue = VmPageOrMarker::ReferenceValue;

static_assert(sizeof(VmPageOrMarker) == 8, "raw_ is the only member (docs/semantics.md 2.2)");
static_assert(RefValue::kAlignBits == 4,
              "references keep 4 low bits for metadata (docs/semantics.md 2.2)");

// The 8 bytes of a slot, as a debugger reads them.
uint64_t RawOf(const VmPageOrMarker& p) {
  uint64_t raw;
  memcpy(&raw, static_cast<const void*>(&p), sizeof(raw));
  return raw;
}

// The bitfield byte of vm_page_t at 0x29: pin_count:5, cow_left_split:1, cow_right_split:1,
// always_need:1 (docs/semantics.md section 12.6).
uint8_t SplitByte(const vm_page_t* page) {
  uint8_t byte;
  memcpy(&byte, reinterpret_cast<const unsigned char*>(page) + 0x29, 1);
  return byte;
}
constexpr uint8_t kLeftSplitBit = 1u << 5;
constexpr uint8_t kRightSplitBit = 1u << 6;

uint64_t Seed() { return ::testing::UnitTest::GetInstance()->random_seed(); }

// Fails the test if pages or references handed out during its lifetime are not all returned.
class LeakCheck {
 public:
  LeakCheck()
      : pages_(vmpl::PageAllocator::Get().pages_outstanding()),
        refs_(vmpl::PageAllocator::Get().references_outstanding()) {}
  ~LeakCheck() {
    EXPECT_EQ(pages_, vmpl::PageAllocator::Get().pages_outstanding()) << "pages leaked";
    EXPECT_EQ(refs_, vmpl::PageAllocator::Get().references_outstanding()) << "references leaked";
  }

 private:
  size_t pages_;
  size_t refs_;
};

vm_page_t* AllocPage() {
  vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
  EXPECT_NE(page, nullptr);
  return page;
}

// Frees everything a list owns so that its destructor's HasNoPageOrRef assert holds.
void FreeAll(VmPageList& list) {
  list.RemoveAllContent([](VmPageOrMarker&& p) {
    if (p.IsPage()) {
      pmm_free_page(p.ReleasePage());
    } else if (p.IsReference()) {
      vmpl::PageAllocator::Get().FreeReference(p.ReleaseReference().value());
    }
  });
}

#define SKIP_WITHOUT_DEBUG_ASSERTS()                                                    \
  do {                                                                                  \
    if (!VMPL_DEBUG_ASSERTS) {                                                          \
      GTEST_SKIP() << "DEBUG_ASSERTs are compiled out (VMPL_DEBUG_ASSERTS=0), nothing " \
                      "to die on";                                                      \
    }                                                                                   \
  } while (0)

// Every predicate of a slot, so one comparison checks them all and prints which differ.
struct Predicates {
  bool empty, page, marker, reference, page_or_ref, interval, start, end, slot, zero;
  bool operator==(const Predicates&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Predicates& p) {
  return os << "{empty=" << p.empty << " page=" << p.page << " marker=" << p.marker
            << " reference=" << p.reference << " page_or_ref=" << p.page_or_ref
            << " interval=" << p.interval << " start=" << p.start << " end=" << p.end
            << " slot=" << p.slot << " zero=" << p.zero << "}";
}

Predicates PredicatesOf(const VmPageOrMarker& p) {
  return {p.IsEmpty(),        p.IsPage(),        p.IsMarker(),        p.IsReference(),
          p.IsPageOrRef(),    p.IsInterval(),    p.IsIntervalStart(), p.IsIntervalEnd(),
          p.IsIntervalSlot(), p.IsIntervalZero()};
}

// ------------------------------------------------------------------------------------------------
// Encodings and predicates
// ------------------------------------------------------------------------------------------------

TEST(VmPageOrMarker, DefaultConstructedIsEmptyRawZero) {
  VmPageOrMarker p;
  EXPECT_EQ(RawOf(p), 0u);
  EXPECT_EQ(PredicatesOf(p),
            (Predicates{true, false, false, false, false, false, false, false, false, false}));
}

TEST(VmPageOrMarker, EmptyFactoryIsRawZero) {
  VmPageOrMarker p = VmPageOrMarker::Empty();
  EXPECT_EQ(RawOf(p), 0u);
  EXPECT_TRUE(p.IsEmpty());
  EXPECT_FALSE(p.IsPage()) << "a page-type slot with a null pointer is Empty, not a page";
  EXPECT_TRUE(p == VmPageOrMarker());
}

TEST(VmPageOrMarker, MarkerIsRawOne) {
  VmPageOrMarker m = VmPageOrMarker::Marker();
  EXPECT_EQ(RawOf(m), 1u);
  EXPECT_EQ(PredicatesOf(m),
            (Predicates{false, false, true, false, false, false, false, false, false, false}));
}

TEST(VmPageOrMarker, PageIsThePointerItself) {
  LeakCheck leaks;
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  std::vector<vm_page_t*> pages;
  for (int i = 0; i < 32; i++) {
    pages.push_back(AllocPage());
  }
  std::shuffle(pages.begin(), pages.end(), rng);
  for (size_t i = 0; i < pages.size(); i++) {
    vm_page_t* page = pages[i];
    VmPageOrMarker p = VmPageOrMarker::Page(page);
    EXPECT_EQ(RawOf(p), reinterpret_cast<uint64_t>(page)) << "i=" << i;
    EXPECT_EQ(PredicatesOf(p),
              (Predicates{false, true, false, false, true, false, false, false, false, false}))
        << "i=" << i;
    EXPECT_EQ(p.Page(), page) << "i=" << i;
    vm_page_t* released = p.ReleasePage();
    EXPECT_EQ(released, page) << "i=" << i;
    EXPECT_EQ(RawOf(p), 0u) << "ReleasePage leaves Empty, i=" << i;
    EXPECT_TRUE(p.IsEmpty()) << "i=" << i;
    pmm_free_page(released);
  }
}

TEST(VmPageOrMarker, ReferenceWorkedEncodings) {
  // Spec 2.1: value 0x10, left split 0x1A, right split 0x16, both 0x1E.
  struct Case {
    bool left, right;
    uint64_t raw;
  };
  const Case cases[] = {
      {false, false, 0x12}, {true, false, 0x1A}, {false, true, 0x16}, {true, true, 0x1E}};
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "left=" << c.left << " right=" << c.right);
    VmPageOrMarker r = VmPageOrMarker::Reference(RefValue(0x10), c.left, c.right);
    EXPECT_EQ(RawOf(r), c.raw);
    EXPECT_EQ(PredicatesOf(r),
              (Predicates{false, false, false, true, true, false, false, false, false, false}));
    EXPECT_EQ(r.Reference().value(), 0x10u) << "split bits are masked out of the value";
    EXPECT_EQ(r.PageOrRefLeftSplit(), c.left);
    EXPECT_EQ(r.PageOrRefRightSplit(), c.right);
    EXPECT_EQ(r.ReleaseReference().value(), 0x10u);
    EXPECT_EQ(RawOf(r), 0u);
    EXPECT_TRUE(r.IsEmpty());
  }
}

TEST(VmPageOrMarker, ReferenceValueZeroIsLegalAndNotEmpty) {
  VmPageOrMarker r = VmPageOrMarker::Reference(RefValue(0), false, false);
  EXPECT_EQ(RawOf(r), 0x2u);
  EXPECT_FALSE(r.IsEmpty());
  EXPECT_TRUE(r.IsReference());
  EXPECT_TRUE(r.IsPageOrRef());
  EXPECT_EQ(r.Reference().value(), 0u);
  EXPECT_EQ(r.ReleaseReference().value(), 0u);
  EXPECT_TRUE(r.IsEmpty());
}

TEST(VmPageOrMarker, ReferenceRandomValuesRoundTrip) {
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  for (int i = 0; i < 1000; i++) {
    const uint64_t value = rng() & ~uint64_t{0xF};
    const bool left = rng() & 1;
    const bool right = rng() & 1;
    constexpr RefValue kConst(0x100);  // constexpr-constructible
    EXPECT_EQ(kConst.value(), 0x100u);
    RefValue ref(value);
    EXPECT_EQ(ref.value(), value) << "i=" << i;
    VmPageOrMarker r = VmPageOrMarker::Reference(ref, left, right);
    const uint64_t expected = value | (left ? 0x8 : 0) | (right ? 0x4 : 0) | 0x2;
    EXPECT_EQ(RawOf(r), expected) << "i=" << i;
    EXPECT_EQ(r.Reference().value(), value) << "i=" << i;
    EXPECT_EQ(r.PageOrRefLeftSplit(), left) << "i=" << i;
    EXPECT_EQ(r.PageOrRefRightSplit(), right) << "i=" << i;
    EXPECT_EQ(r.ReleaseReference().value(), value) << "i=" << i;
  }
}

TEST(VmPageOrMarker, ZeroIntervalWorkedEncodings) {
  VmPageList list;
  // [0, 3P): Start at 0, End at 2P. [10P, 11P): a Slot.
  ASSERT_EQ(list.AddZeroInterval(0, 3 * kPage, kDirty), ZX_OK);
  ASSERT_EQ(list.AddZeroInterval(10 * kPage, 11 * kPage, kDirty), ZX_OK);

  const VmPageOrMarker* start = list.Lookup(0);
  const VmPageOrMarker* middle = list.Lookup(kPage);
  const VmPageOrMarker* end = list.Lookup(2 * kPage);
  const VmPageOrMarker* slot = list.Lookup(10 * kPage);
  ASSERT_NE(start, nullptr);
  ASSERT_NE(middle, nullptr);
  ASSERT_NE(end, nullptr);
  ASSERT_NE(slot, nullptr);

  EXPECT_EQ(RawOf(*start), 0x87u);
  EXPECT_EQ(RawOf(*middle), 0u) << "slots inside an interval stay Empty";
  EXPECT_EQ(RawOf(*end), 0x8Bu);
  EXPECT_EQ(RawOf(*slot), 0x83u);

  EXPECT_EQ(PredicatesOf(*start),
            (Predicates{false, false, false, false, false, true, true, false, false, true}));
  EXPECT_EQ(PredicatesOf(*end),
            (Predicates{false, false, false, false, false, true, false, true, false, true}));
  EXPECT_EQ(PredicatesOf(*slot),
            (Predicates{false, false, false, false, false, true, false, false, true, true}));
  for (const VmPageOrMarker* s : {start, end, slot}) {
    EXPECT_TRUE(s->IsZeroIntervalDirty());
    EXPECT_FALSE(s->IsZeroIntervalClean());
    EXPECT_EQ(s->GetZeroIntervalDirtyState(), kDirty);
  }
  EXPECT_EQ(start->GetZeroIntervalAwaitingCleanLength(), 0u);
  EXPECT_EQ(slot->GetZeroIntervalAwaitingCleanLength(), 0u);
  FreeAll(list);
}

TEST(VmPageOrMarker, AwaitingCleanLengthThroughRef) {
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(0, 5 * kPage, kDirty), ZX_OK);
  ASSERT_EQ(list.AddZeroInterval(20 * kPage, 21 * kPage, kDirty), ZX_OK);

  VmPageOrMarkerRef start = list.LookupMutable(0);
  ASSERT_TRUE(start);
  start.SetZeroIntervalAwaitingCleanLength(3 * kPage);
  EXPECT_EQ(RawOf(*start), 0x3087u) << "docs/semantics.md section 2.2 worked value";
  EXPECT_EQ(start->GetZeroIntervalAwaitingCleanLength(), 3 * kPage);
  EXPECT_TRUE(start->IsIntervalStart()) << "ACL does not disturb the sentinel";
  EXPECT_TRUE(start->IsZeroIntervalDirty());

  // Larger than the interval is legal (docs/semantics.md section 2.5) and stored in bits 12..63
  // verbatim.
  start.SetZeroIntervalAwaitingCleanLength(0x12345 * kPage);
  EXPECT_EQ(RawOf(*start), 0x12345087u);
  EXPECT_EQ(start->GetZeroIntervalAwaitingCleanLength(), 0x12345 * kPage);

  // A very large length uses the top bits.
  const uint64_t huge = 0xFFFF'FFFF'FFFF'F000;
  start.SetZeroIntervalAwaitingCleanLength(huge);
  EXPECT_EQ(RawOf(*start), huge | 0x87);
  EXPECT_EQ(start->GetZeroIntervalAwaitingCleanLength(), huge);

  start.SetZeroIntervalAwaitingCleanLength(0);
  EXPECT_EQ(RawOf(*start), 0x87u) << "clearing the ACL restores the plain Dirty Start";

  // The End keeps no ACL and is untouched.
  EXPECT_EQ(RawOf(*list.Lookup(4 * kPage)), 0x8Bu);

  // A Slot may also carry an ACL.
  VmPageOrMarkerRef slot = list.LookupMutable(20 * kPage);
  ASSERT_TRUE(slot);
  slot.SetZeroIntervalAwaitingCleanLength(kPage);
  EXPECT_EQ(RawOf(*slot), 0x1083u);
  EXPECT_EQ(slot->GetZeroIntervalAwaitingCleanLength(), kPage);
  EXPECT_TRUE(slot->IsIntervalSlot());
  FreeAll(list);
}

TEST(VmPageOrMarker, AwaitingCleanLengthRandomRoundTrip) {
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(kPage, 9 * kPage, kDirty), ZX_OK);
  VmPageOrMarkerRef start = list.LookupMutable(kPage);
  ASSERT_TRUE(start);
  for (int i = 0; i < 500; i++) {
    const uint64_t len = rng() & ~(kPage - 1);
    start.SetZeroIntervalAwaitingCleanLength(len);
    EXPECT_EQ(RawOf(*start), len | 0x87) << "i=" << i << " len=" << len;
    EXPECT_EQ(start->GetZeroIntervalAwaitingCleanLength(), len) << "i=" << i;
  }
  start.SetZeroIntervalAwaitingCleanLength(0);
  FreeAll(list);
}

TEST(VmPageOrMarker, EqualityComparesRawExactly) {
  EXPECT_TRUE(VmPageOrMarker::Marker() == VmPageOrMarker::Marker());
  EXPECT_FALSE(VmPageOrMarker::Marker() != VmPageOrMarker::Marker());
  EXPECT_TRUE(VmPageOrMarker::Empty() != VmPageOrMarker::Marker());
  EXPECT_TRUE(VmPageOrMarker::Empty() == VmPageOrMarker());

  VmPageOrMarker a = VmPageOrMarker::Reference(RefValue(0x40), true, false);
  VmPageOrMarker b = VmPageOrMarker::Reference(RefValue(0x40), true, false);
  VmPageOrMarker c = VmPageOrMarker::Reference(RefValue(0x40), false, false);
  VmPageOrMarker d = VmPageOrMarker::Reference(RefValue(0x50), true, false);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a != b);
  EXPECT_TRUE(a != c) << "split bits take part in equality";
  EXPECT_TRUE(a != d);

  alignas(8) vm_page_t page1{};
  alignas(8) vm_page_t page2{};
  VmPageOrMarker p1 = VmPageOrMarker::Page(&page1);
  VmPageOrMarker p1b = VmPageOrMarker::Page(&page1);
  VmPageOrMarker p2 = VmPageOrMarker::Page(&page2);
  EXPECT_TRUE(p1 == p1b);
  EXPECT_TRUE(p1 != p2);

  for (VmPageOrMarker* r : {&a, &b, &c, &d}) {
    (void)r->ReleaseReference();
  }
  for (VmPageOrMarker* p : {&p1, &p1b, &p2}) {
    (void)p->ReleasePage();
  }
}

// ------------------------------------------------------------------------------------------------
// Split bits
// ------------------------------------------------------------------------------------------------

TEST(VmPageOrMarker, PageSplitBitsLiveInVmPageByte0x29) {
  LeakCheck leaks;
  vm_page_t* page = AllocPage();
  ASSERT_NE(page, nullptr);
  // Neighbouring bitfields must survive: pin_count (bits 0-4) and always_need (bit 7).
  page->object.pin_count = 0x15;
  page->object.always_need = 1;
  const uint8_t other_bits = SplitByte(page);
  ASSERT_EQ(other_bits, 0x95) << "pin_count 0x15 and always_need at bit 7";

  VmPageOrMarker p = VmPageOrMarker::Page(page);
  EXPECT_FALSE(p.PageOrRefLeftSplit());
  EXPECT_FALSE(p.PageOrRefRightSplit());

  p.SetPageOrRefLeftSplit(true);
  EXPECT_EQ(SplitByte(page), other_bits | kLeftSplitBit);
  EXPECT_TRUE(p.PageOrRefLeftSplit());
  EXPECT_FALSE(p.PageOrRefRightSplit());
  EXPECT_EQ(RawOf(p), reinterpret_cast<uint64_t>(page)) << "page split bits are not in raw_";

  p.SetPageOrRefRightSplit(true);
  EXPECT_EQ(SplitByte(page), other_bits | kLeftSplitBit | kRightSplitBit);
  EXPECT_TRUE(p.PageOrRefRightSplit());

  p.SetPageOrRefLeftSplit(false);
  EXPECT_EQ(SplitByte(page), other_bits | kRightSplitBit);
  EXPECT_FALSE(p.PageOrRefLeftSplit());
  EXPECT_TRUE(p.PageOrRefRightSplit());

  p.SetPageOrRefRightSplit(false);
  EXPECT_EQ(SplitByte(page), other_bits);
  EXPECT_EQ(RawOf(p), reinterpret_cast<uint64_t>(page));

  page->object.pin_count = 0;
  page->object.always_need = 0;
  pmm_free_page(p.ReleasePage());
}

TEST(VmPageOrMarker, ReferenceSplitBitsAreRawBits3And2) {
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  for (int i = 0; i < 200; i++) {
    const uint64_t value = rng() & ~uint64_t{0xF};
    VmPageOrMarker r = VmPageOrMarker::Reference(RefValue(value), false, false);
    EXPECT_EQ(RawOf(r), value | 0x2) << "i=" << i;
    r.SetPageOrRefLeftSplit(true);
    EXPECT_EQ(RawOf(r), value | 0xA) << "i=" << i;
    EXPECT_TRUE(r.PageOrRefLeftSplit()) << "i=" << i;
    EXPECT_FALSE(r.PageOrRefRightSplit()) << "i=" << i;
    r.SetPageOrRefRightSplit(true);
    EXPECT_EQ(RawOf(r), value | 0xE) << "i=" << i;
    r.SetPageOrRefLeftSplit(true);  // idempotent
    EXPECT_EQ(RawOf(r), value | 0xE) << "i=" << i;
    r.SetPageOrRefLeftSplit(false);
    EXPECT_EQ(RawOf(r), value | 0x6) << "i=" << i;
    EXPECT_FALSE(r.PageOrRefLeftSplit()) << "i=" << i;
    EXPECT_TRUE(r.PageOrRefRightSplit()) << "i=" << i;
    r.SetPageOrRefRightSplit(false);
    EXPECT_EQ(RawOf(r), value | 0x2) << "i=" << i;
    EXPECT_EQ(r.Reference().value(), value) << "i=" << i;
    (void)r.ReleaseReference();
  }
}

// ------------------------------------------------------------------------------------------------
// Swaps (docs/semantics.md section 2.4: split bits are moved)
// ------------------------------------------------------------------------------------------------

TEST(VmPageOrMarker, SwapReferenceForPageMovesSplitBitsIntoPage) {
  LeakCheck leaks;
  for (int bits = 0; bits < 4; bits++) {
    const bool left = bits & 1;
    const bool right = bits & 2;
    SCOPED_TRACE(testing::Message() << "left=" << left << " right=" << right);
    const uint64_t ref_value = vmpl::PageAllocator::Get().AllocReference();
    vm_page_t* page = AllocPage();
    ASSERT_NE(page, nullptr);
    VmPageOrMarker slot = VmPageOrMarker::Reference(RefValue(ref_value), left, right);
    RefValue old = slot.SwapReferenceForPage(page);
    EXPECT_EQ(old.value(), ref_value) << "returned value has no split bits";
    EXPECT_TRUE(slot.IsPage());
    EXPECT_EQ(slot.Page(), page);
    EXPECT_EQ(RawOf(slot), reinterpret_cast<uint64_t>(page));
    EXPECT_EQ(SplitByte(page), (left ? kLeftSplitBit : 0) | (right ? kRightSplitBit : 0));
    EXPECT_EQ(slot.PageOrRefLeftSplit(), left);
    EXPECT_EQ(slot.PageOrRefRightSplit(), right);
    vmpl::PageAllocator::Get().FreeReference(old.value());
    vm_page_t* released = slot.ReleasePage();
    released->object.cow_left_split = 0;
    released->object.cow_right_split = 0;
    pmm_free_page(released);
  }
}

TEST(VmPageOrMarker, SwapPageForReferenceMovesSplitBitsAndClearsPage) {
  LeakCheck leaks;
  for (int bits = 0; bits < 4; bits++) {
    const bool left = bits & 1;
    const bool right = bits & 2;
    SCOPED_TRACE(testing::Message() << "left=" << left << " right=" << right);
    vm_page_t* page = AllocPage();
    ASSERT_NE(page, nullptr);
    page->object.pin_count = 3;  // must survive the clearing of the split bits
    VmPageOrMarker slot = VmPageOrMarker::Page(page);
    slot.SetPageOrRefLeftSplit(left);
    slot.SetPageOrRefRightSplit(right);
    const uint64_t ref_value = vmpl::PageAllocator::Get().AllocReference();
    vm_page_t* old = slot.SwapPageForReference(RefValue(ref_value));
    EXPECT_EQ(old, page);
    EXPECT_EQ(SplitByte(page), 3) << "split bits cleared in the returned page, pin_count kept";
    EXPECT_TRUE(slot.IsReference());
    EXPECT_EQ(RawOf(slot), ref_value | (left ? 0x8 : 0) | (right ? 0x4 : 0) | 0x2);
    EXPECT_EQ(slot.Reference().value(), ref_value);
    EXPECT_EQ(slot.PageOrRefLeftSplit(), left);
    EXPECT_EQ(slot.PageOrRefRightSplit(), right);
    page->object.pin_count = 0;
    pmm_free_page(old);
    vmpl::PageAllocator::Get().FreeReference(slot.ReleaseReference().value());
  }
}

TEST(VmPageOrMarker, ChangeReferenceValueKeepsSplitBits) {
  for (int bits = 0; bits < 4; bits++) {
    const bool left = bits & 1;
    const bool right = bits & 2;
    SCOPED_TRACE(testing::Message() << "left=" << left << " right=" << right);
    VmPageOrMarker slot = VmPageOrMarker::Reference(RefValue(0x10), left, right);
    RefValue old = slot.ChangeReferenceValue(RefValue(0x20));
    EXPECT_EQ(old.value(), 0x10u);
    EXPECT_EQ(RawOf(slot), 0x20u | (left ? 0x8 : 0) | (right ? 0x4 : 0) | 0x2);
    EXPECT_EQ(slot.Reference().value(), 0x20u);
    EXPECT_EQ(slot.PageOrRefLeftSplit(), left);
    EXPECT_EQ(slot.PageOrRefRightSplit(), right);
    (void)slot.ReleaseReference();
  }
}

TEST(VmPageOrMarker, SwapRoundTripPageReferencePage) {
  // Page(L) -> Reference(L) -> Page(L) -> Reference with changed value: bits travel with content.
  LeakCheck leaks;
  vm_page_t* page = AllocPage();
  ASSERT_NE(page, nullptr);
  VmPageOrMarker slot = VmPageOrMarker::Page(page);
  slot.SetPageOrRefLeftSplit(true);
  vm_page_t* out = slot.SwapPageForReference(RefValue(0x100));
  EXPECT_EQ(SplitByte(out) & (kLeftSplitBit | kRightSplitBit), 0);
  EXPECT_EQ(RawOf(slot), 0x10Au);
  RefValue r = slot.SwapReferenceForPage(out);
  EXPECT_EQ(r.value(), 0x100u);
  EXPECT_EQ(SplitByte(out) & (kLeftSplitBit | kRightSplitBit), kLeftSplitBit);
  out = slot.SwapPageForReference(RefValue(0x200));
  EXPECT_EQ(RawOf(slot), 0x20Au);
  RefValue r2 = slot.ChangeReferenceValue(RefValue(0x300));
  EXPECT_EQ(r2.value(), 0x200u);
  EXPECT_EQ(RawOf(slot), 0x30Au);
  (void)slot.ReleaseReference();
  pmm_free_page(out);
}

// ------------------------------------------------------------------------------------------------
// Ownership: move, release
// ------------------------------------------------------------------------------------------------

TEST(VmPageOrMarker, MoveConstructionStealsAndEmptiesSource) {
  alignas(8) vm_page_t page{};
  VmPageOrMarker src = VmPageOrMarker::Page(&page);
  VmPageOrMarker dst(std::move(src));
  EXPECT_EQ(RawOf(src), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_TRUE(src.IsEmpty());
  EXPECT_EQ(RawOf(dst), reinterpret_cast<uint64_t>(&page));

  VmPageOrMarker rsrc = VmPageOrMarker::Reference(RefValue(0x70), true, true);
  VmPageOrMarker rdst(std::move(rsrc));
  EXPECT_EQ(RawOf(rsrc), 0u);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(RawOf(rdst), 0x7Eu);

  VmPageOrMarker msrc = VmPageOrMarker::Marker();
  VmPageOrMarker mdst(std::move(msrc));
  EXPECT_EQ(RawOf(msrc), 0u);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(RawOf(mdst), 1u);

  (void)dst.ReleasePage();
  (void)rdst.ReleaseReference();
}

TEST(VmPageOrMarker, MoveAssignmentOverEmptyMarkerAndSentinelIsAllowed) {
  alignas(8) vm_page_t page{};

  // Over Empty.
  VmPageOrMarker dst;
  dst = VmPageOrMarker::Page(&page);
  EXPECT_EQ(RawOf(dst), reinterpret_cast<uint64_t>(&page));
  (void)dst.ReleasePage();

  // Over a marker.
  VmPageOrMarker mdst = VmPageOrMarker::Marker();
  VmPageOrMarker rsrc = VmPageOrMarker::Reference(RefValue(0x30), false, true);
  mdst = std::move(rsrc);
  EXPECT_EQ(RawOf(mdst), 0x36u);
  EXPECT_EQ(RawOf(rsrc), 0u);  // NOLINT(bugprone-use-after-move)
  (void)mdst.ReleaseReference();

  // Over an interval sentinel: the list's slot after a split-free lookup of a Slot sentinel. Take a
  // standalone sentinel out with RemoveContent (it works on any type, docs/semantics.md section
  // 5.1).
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(7 * kPage, 8 * kPage, kDirty), ZX_OK);
  VmPageOrMarker sentinel = list.RemoveContent(7 * kPage);
  EXPECT_EQ(RawOf(sentinel), 0x83u);
  EXPECT_TRUE(list.IsEmpty()) << "the node held only the Slot and is erased";
  sentinel = VmPageOrMarker::Page(&page);
  EXPECT_EQ(RawOf(sentinel), reinterpret_cast<uint64_t>(&page));
  (void)sentinel.ReleasePage();

  // Moving Empty over a marker clears it.
  VmPageOrMarker m = VmPageOrMarker::Marker();
  m = VmPageOrMarker::Empty();
  EXPECT_EQ(RawOf(m), 0u);
}

TEST(VmPageOrMarker, MoveAssignmentIntoListSlotOverSentinel) {
  // The common kernel pattern: split an interval, then overwrite the Slot with a page.
  LeakCheck leaks;
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(0, 4 * kPage, kDirty), ZX_OK);
  auto [slot, in_interval] =
      list.LookupOrAllocate(2 * kPage, VmPageList::IntervalHandling::SplitInterval);
  ASSERT_NE(slot, nullptr);
  EXPECT_TRUE(in_interval);
  EXPECT_EQ(RawOf(*slot), 0x83u);
  vm_page_t* page = AllocPage();
  *slot = VmPageOrMarker::Page(page);
  EXPECT_EQ(RawOf(*list.Lookup(2 * kPage)), reinterpret_cast<uint64_t>(page));
  EXPECT_EQ(RawOf(*list.Lookup(0)), 0x87u);
  EXPECT_EQ(RawOf(*list.Lookup(kPage)), 0x8Bu);
  EXPECT_EQ(RawOf(*list.Lookup(3 * kPage)), 0x83u);
  FreeAll(list);
}

// ------------------------------------------------------------------------------------------------
// VmPageOrMarkerRef
// ------------------------------------------------------------------------------------------------

TEST(VmPageOrMarkerRef, NullAndNonNull) {
  VmPageOrMarkerRef null_ref;
  EXPECT_FALSE(null_ref);
  VmPageOrMarkerRef explicit_null(nullptr);
  EXPECT_FALSE(explicit_null);

  VmPageOrMarker m = VmPageOrMarker::Marker();
  VmPageOrMarkerRef ref(&m);
  EXPECT_TRUE(ref);
  EXPECT_EQ(&*ref, &m);
  EXPECT_EQ(ref.operator->(), &m);
  EXPECT_TRUE(ref->IsMarker());
  EXPECT_TRUE((*ref).IsMarker());
  static_assert(!std::is_convertible_v<VmPageOrMarkerRef, bool>, "operator bool is explicit");
  static_assert(!std::is_convertible_v<VmPageOrMarker*, VmPageOrMarkerRef>,
                "construction from a pointer is explicit");
  static_assert(std::is_same_v<decltype(*ref), const VmPageOrMarker&>, "const access only");
}

TEST(VmPageOrMarkerRef, ForwardsSplitBitsAndSwaps) {
  LeakCheck leaks;
  vm_page_t* page = AllocPage();
  ASSERT_NE(page, nullptr);
  VmPageOrMarker slot = VmPageOrMarker::Reference(RefValue(0x40), false, false);
  VmPageOrMarkerRef ref(&slot);

  ref.SetPageOrRefLeftSplit(true);
  EXPECT_EQ(RawOf(slot), 0x4Au);
  ref.SetPageOrRefRightSplit(true);
  EXPECT_EQ(RawOf(slot), 0x4Eu);
  ref.SetPageOrRefLeftSplit(false);
  EXPECT_EQ(RawOf(slot), 0x46u);

  RefValue old = ref.ChangeReferenceValue(RefValue(0x50));
  EXPECT_EQ(old.value(), 0x40u);
  EXPECT_EQ(RawOf(slot), 0x56u);

  old = ref.SwapReferenceForPage(page);
  EXPECT_EQ(old.value(), 0x50u);
  EXPECT_EQ(RawOf(slot), reinterpret_cast<uint64_t>(page));
  EXPECT_EQ(SplitByte(page), kRightSplitBit);

  ref.SetPageOrRefLeftSplit(true);
  EXPECT_EQ(SplitByte(page), kRightSplitBit | kLeftSplitBit);

  vm_page_t* back = ref.SwapPageForReference(RefValue(0x60));
  EXPECT_EQ(back, page);
  EXPECT_EQ(SplitByte(page), 0);
  EXPECT_EQ(RawOf(slot), 0x6Eu);

  (void)slot.ReleaseReference();
  pmm_free_page(back);
}

TEST(VmPageOrMarkerRef, MutatesListSlotsInPlace) {
  // LookupMutable hands out refs to the list's own memory.
  LeakCheck leaks;
  VmPageList list;
  auto [slot, in_interval] =
      list.LookupOrAllocate(5 * kPage, VmPageList::IntervalHandling::NoIntervals);
  ASSERT_NE(slot, nullptr);
  EXPECT_FALSE(in_interval);
  const uint64_t ref_value = vmpl::PageAllocator::Get().AllocReference();
  *slot = VmPageOrMarker::Reference(RefValue(ref_value), false, false);
  VmPageOrMarkerRef ref = list.LookupMutable(5 * kPage);
  ASSERT_TRUE(ref);
  EXPECT_EQ(&*ref, list.Lookup(5 * kPage));
  ref.SetPageOrRefLeftSplit(true);
  EXPECT_EQ(RawOf(*list.Lookup(5 * kPage)), ref_value | 0xA);
  EXPECT_FALSE(list.LookupMutable(100 * kPage)) << "no node there: null ref";
  FreeAll(list);
}

// ------------------------------------------------------------------------------------------------
// Death tests
// ------------------------------------------------------------------------------------------------

TEST(VmPageOrMarkerDeathTest, DestroyingWrapperThatOwnsPage) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  alignas(8) static vm_page_t page{};
  EXPECT_DEATH({ VmPageOrMarker p = VmPageOrMarker::Page(&page); }, "ASSERT FAILED");
}

TEST(VmPageOrMarkerDeathTest, DestroyingWrapperThatOwnsReference) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH({ VmPageOrMarker r = VmPageOrMarker::Reference(RefValue(0x10), false, false); },
               "ASSERT FAILED");
}

TEST(VmPageOrMarkerDeathTest, MoveAssigningOverPage) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  alignas(8) static vm_page_t page{};
  EXPECT_DEATH(
      {
        VmPageOrMarker dst = VmPageOrMarker::Page(&page);
        dst = VmPageOrMarker::Marker();
      },
      "ASSERT FAILED");
}

TEST(VmPageOrMarkerDeathTest, MoveAssigningOverReference) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        VmPageOrMarker dst = VmPageOrMarker::Reference(RefValue(0x10), false, false);
        dst = VmPageOrMarker::Empty();
      },
      "ASSERT FAILED");
}

TEST(VmPageOrMarkerDeathTest, ReferenceValueWithLowBitsSet) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  for (uint64_t low = 1; low < 16; low++) {
    SCOPED_TRACE(testing::Message() << "low bits " << low);
    volatile uint64_t raw = 0x100 | low;  // volatile: construct at run time, not constant-folded
    EXPECT_DEATH(
        {
          RefValue r(raw);
          (void)r.value();
        },
        "ASSERT FAILED");
  }
}

TEST(VmPageOrMarkerDeathTest, PageOfNullptr) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH({ VmPageOrMarker p = VmPageOrMarker::Page(nullptr); }, "ASSERT FAILED");
}

TEST(VmPageOrMarkerDeathTest, PageWithTypeBitsSetInPointer) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  alignas(8) static unsigned char storage[2 * sizeof(vm_page_t)];
  for (uintptr_t low = 1; low < 4; low++) {
    SCOPED_TRACE(testing::Message() << "pointer low bits " << low);
    vm_page_t* bad = reinterpret_cast<vm_page_t*>(reinterpret_cast<uintptr_t>(storage) + low);
    // Leaked on purpose: if Page() does not assert, no destructor may die in its place.
    EXPECT_DEATH({ (void)new VmPageOrMarker(VmPageOrMarker::Page(bad)); }, "ASSERT FAILED");
  }
}

TEST(VmPageOrMarkerDeathTest, SwapReferenceForPageWithSplitBitsAlreadySet) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  alignas(8) static vm_page_t left{};
  alignas(8) static vm_page_t right{};
  left.object.cow_left_split = 1;
  right.object.cow_right_split = 1;
  for (vm_page_t* page : {&left, &right}) {
    EXPECT_DEATH(
        {
          VmPageOrMarker r = VmPageOrMarker::Reference(RefValue(0x10), false, false);
          (void)r.SwapReferenceForPage(page);
          (void)r.ReleasePage();
        },
        "ASSERT FAILED");
  }
}

TEST(VmPageOrMarkerDeathTest, AccessorsOfTheWrongKind) {
  // Spec 2.4 / 7: Page()/ReleasePage assert IsPage, Reference()/ReleaseReference assert
  // IsReference, split accessors assert IsPageOrRef.
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        VmPageOrMarker m = VmPageOrMarker::Marker();
        (void)m.Page();
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageOrMarker m = VmPageOrMarker::Marker();
        (void)m.ReleasePage();
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageOrMarker m = VmPageOrMarker::Marker();
        (void)m.Reference();
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageOrMarker m;
        (void)m.ReleaseReference();
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageOrMarker m = VmPageOrMarker::Marker();
        (void)m.PageOrRefLeftSplit();
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageOrMarker m = VmPageOrMarker::Marker();
        m.SetPageOrRefRightSplit(true);
      },
      "ASSERT FAILED");
}

TEST(VmPageOrMarkerDeathTest, AwaitingCleanLengthOnEndOrUnaligned) {
  // Spec 2.5: ACL get/set only on Start or Slot; set requires a page-aligned length.
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        VmPageList list;
        (void)list.AddZeroInterval(0, 3 * kPage, kDirty);
        (void)list.Lookup(2 * kPage)->GetZeroIntervalAwaitingCleanLength();
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageList list;
        (void)list.AddZeroInterval(0, 3 * kPage, kDirty);
        list.LookupMutable(2 * kPage).SetZeroIntervalAwaitingCleanLength(kPage);
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageList list;
        (void)list.AddZeroInterval(0, 3 * kPage, kDirty);
        list.LookupMutable(0).SetZeroIntervalAwaitingCleanLength(kPage + 8);
      },
      "ASSERT FAILED");
}

TEST(VmPageOrMarkerRefDeathTest, DereferencingNull) {
  SKIP_WITHOUT_DEBUG_ASSERTS();
  EXPECT_DEATH(
      {
        VmPageOrMarkerRef ref;
        (void)ref->IsEmpty();
      },
      "ASSERT FAILED");
  EXPECT_DEATH(
      {
        VmPageOrMarkerRef ref;
        (void)(*ref).IsEmpty();
      },
      "ASSERT FAILED");
}

}  // namespace
