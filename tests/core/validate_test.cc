// Tests of vmpl::Validate, the invariant checker (docs/semantics.md section 11, <vmpl/validate.h>).
//
// Two halves:
//   - valid lists of every shape (empty, skewed, intervals across nodes, near MAX_SIZE, and the
//     states a random workload of real operations leaves behind) must give no violation;
//   - each corruption, written into the raw memory of a live list at the offsets of
//     docs/semantics.md section 12 (the way memory goes bad in a kernel), must give a violation of
//     the right kind that names the right address (node or list) and, for slot-level problems, the
//     right VMO offset. Several corruptions at once must all be reported. A cycle in the tree must
//     not hang the walk.
//
// Every corruption is a Patch that saves the original bytes and restores them when it goes out of
// scope, before the list's destructor runs (which would otherwise abort on a bad canary).

#include <gtest/gtest.h>
#include <stdint.h>
#include <string.h>
#include <vm/page.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>
#include <vmpl/page_list_access.h>
#include <vmpl/validate.h>
#include <zircon/errors.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <initializer_list>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using vmpl::Violation;
using Kind = vmpl::Violation::Kind;

constexpr uint64_t kPage = PAGE_SIZE;
constexpr uint64_t kNodeSpan = 16 * kPage;
constexpr auto kDirty = VmPageOrMarker::IntervalDirtyState::Dirty;

// Raw offsets (docs/semantics.md sections 12.3, 12.4, 12.5).
constexpr size_t kParentOff = 0;
constexpr size_t kLeftOff = 8;
constexpr size_t kRightOff = 16;
constexpr size_t kRankOff = 24;
constexpr size_t kCanaryOff = 32;
constexpr size_t kObjOffsetOff = 40;
constexpr size_t kPagesOff = 48;
constexpr size_t kRootOff = 0;
constexpr size_t kLeftMostOff = 8;
constexpr size_t kCountOff = 24;
constexpr size_t kListSkewOff = 32;

uint64_t Seed() { return ::testing::UnitTest::GetInstance()->random_seed(); }
uintptr_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

template <typename T>
T ReadAt(uintptr_t base, size_t offset) {
  T value;
  memcpy(&value, reinterpret_cast<const void*>(base + offset), sizeof(T));
  return value;
}

// Overwrites sizeof(T) bytes at |address| and puts the original bytes back on destruction.
class Patch {
 public:
  template <typename T>
  Patch(uintptr_t address, T value) : address_(address), size_(sizeof(T)) {
    static_assert(sizeof(T) <= sizeof(saved_));
    memcpy(saved_, reinterpret_cast<const void*>(address), size_);
    memcpy(reinterpret_cast<void*>(address), &value, size_);
  }
  ~Patch() { memcpy(reinterpret_cast<void*>(address_), saved_, size_); }
  Patch(const Patch&) = delete;
  Patch& operator=(const Patch&) = delete;

 private:
  uintptr_t address_;
  size_t size_;
  unsigned char saved_[8];
};

// A set of patches undone in reverse order.
class Patches {
 public:
  template <typename T>
  void Write(uintptr_t address, T value) {
    patches_.push_back(std::make_unique<Patch>(address, value));
  }
  ~Patches() {
    while (!patches_.empty()) {
      patches_.pop_back();
    }
  }

 private:
  std::vector<std::unique_ptr<Patch>> patches_;
};

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

class FreeOnExit {
 public:
  explicit FreeOnExit(VmPageList& list) : list_(list) {}
  ~FreeOnExit() { FreeAll(list_); }
  FreeOnExit(const FreeOnExit&) = delete;
  FreeOnExit& operator=(const FreeOnExit&) = delete;

 private:
  VmPageList& list_;
};

void AddMarker(VmPageList& list, uint64_t offset) {
  auto [slot, in_interval] =
      list.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
  ASSERT_NE(slot, nullptr) << "offset " << offset;
  *slot = VmPageOrMarker::Marker();
}

// Address of the slot for |offset| (the node must exist) and of its node.
uintptr_t SlotAddress(const VmPageList& list, uint64_t offset) {
  const VmPageOrMarker* slot = list.Lookup(offset);
  EXPECT_NE(slot, nullptr) << "no node holds offset " << offset;
  return Addr(slot);
}
uintptr_t NodeAddress(const VmPageList& list, uint64_t offset) {
  const uint64_t index = ((offset + list.GetSkew()) / kPage) % 16;
  return SlotAddress(list, offset) - kPagesOff - 8 * index;
}

std::string Describe(const std::vector<Violation>& violations) {
  std::ostringstream os;
  os << violations.size() << " violation(s):";
  for (const Violation& v : violations) {
    os << "\n  " << v.ToString();
  }
  return os.str();
}

// True if some violation has |kind|, |address| and (when given) |offset|.
bool Has(const std::vector<Violation>& violations, Kind kind, uintptr_t address) {
  return std::any_of(violations.begin(), violations.end(),
                     [&](const Violation& v) { return v.kind == kind && v.address == address; });
}
bool HasAt(const std::vector<Violation>& violations, Kind kind, uintptr_t address,
           uint64_t offset) {
  return std::any_of(violations.begin(), violations.end(), [&](const Violation& v) {
    return v.kind == kind && v.address == address && v.has_offset && v.offset == offset;
  });
}
// True if every violation is of one of |kinds|: a corruption must not be misreported as another.
bool OnlyKinds(const std::vector<Violation>& violations, std::initializer_list<Kind> kinds) {
  return std::all_of(violations.begin(), violations.end(), [&](const Violation& v) {
    return std::find(kinds.begin(), kinds.end(), v.kind) != kinds.end();
  });
}

// Runs Validate on another thread and gives up the whole process if it does not return: a
// validator that hangs on a corrupt list must fail loudly, not stall the test run.
std::vector<Violation> ValidateOrDie(const VmPageList& list, vmpl::ValidateOptions options) {
  auto result =
      std::async(std::launch::async, [&list, options] { return vmpl::Validate(list, options); });
  if (result.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    fprintf(stderr, "vmpl::Validate did not return within 30 s: the walk is not bounded\n");
    fflush(stderr);
    std::_Exit(1);
  }
  return result.get();
}

void ExpectValid(const VmPageList& list) {
  const std::vector<Violation> v = vmpl::Validate(list);
  EXPECT_TRUE(v.empty()) << Describe(v);
}

// ------------------------------------------------------------------------------------------------
// Valid lists
// ------------------------------------------------------------------------------------------------

TEST(Validate, EmptyListIsValid) {
  VmPageList list;
  ExpectValid(list);
  VmPageList skewed;
  skewed.InitializeSkew(0, 15 * kPage);
  ExpectValid(skewed);
}

TEST(Validate, FixedShapesAreValid) {
  for (uint64_t skew_pages = 0; skew_pages < 16; skew_pages++) {
    SCOPED_TRACE(testing::Message() << "skew " << skew_pages << "P");
    VmPageList list;
    FreeOnExit free_list(list);
    list.InitializeSkew(0, skew_pages * kPage);
    // A single marker, a page, a reference.
    AddMarker(list, 0);
    {
      auto [slot, unused] = list.LookupOrAllocate(kPage, VmPageList::IntervalHandling::NoIntervals);
      ASSERT_NE(slot, nullptr);
      *slot = VmPageOrMarker::Page(vmpl::PageAllocator::Get().AllocPage());
      auto [ref_slot, unused2] =
          list.LookupOrAllocate(2 * kPage, VmPageList::IntervalHandling::NoIntervals);
      ASSERT_NE(ref_slot, nullptr);
      *ref_slot = VmPageOrMarker::Reference(
          VmPageOrMarker::ReferenceValue(vmpl::PageAllocator::Get().AllocReference()), true, false);
    }
    ExpectValid(list);
    // An interval inside one node, one across several (absent) nodes, a Slot.
    ASSERT_EQ(list.AddZeroInterval(4 * kPage, 9 * kPage, kDirty), ZX_OK);
    ASSERT_EQ(list.AddZeroInterval(20 * kPage, 200 * kPage, kDirty), ZX_OK);
    ASSERT_EQ(list.AddZeroInterval(202 * kPage, 203 * kPage, kDirty), ZX_OK);
    ExpectValid(list);
    // Split an interval with a page and give a slot an ACL.
    auto [split, in_interval] =
        list.LookupOrAllocate(100 * kPage, VmPageList::IntervalHandling::SplitInterval);
    ASSERT_NE(split, nullptr);
    EXPECT_TRUE(in_interval);
    *split = VmPageOrMarker::Marker();
    list.LookupMutable(20 * kPage).SetZeroIntervalAwaitingCleanLength(500 * kPage);
    ExpectValid(list);
    // Merging a Slot into its neighbour keeps it maximal.
    ASSERT_EQ(list.AddZeroInterval(203 * kPage, 210 * kPage, kDirty), ZX_OK);
    ExpectValid(list);
  }
}

TEST(Validate, NearMaxSizeIsValid) {
  constexpr uint64_t kMax = VmPageList::MAX_SIZE;
  VmPageList list;
  FreeOnExit free_list(list);
  AddMarker(list, kMax - kPage);  // last offset whose node is below MAX_SIZE
  ASSERT_EQ(list.AddZeroInterval(kMax - 100 * kPage, kMax - 2 * kPage, kDirty), ZX_OK);
  ExpectValid(list);

  VmPageList skewed;
  FreeOnExit free_skewed(skewed);
  skewed.InitializeSkew(0, 7 * kPage);
  AddMarker(skewed, kMax - kNodeSpan);
  ASSERT_EQ(skewed.AddZeroInterval(kMax - 3 * kNodeSpan, kMax - 2 * kNodeSpan, kDirty), ZX_OK);
  ExpectValid(skewed);
}

// Applies random, precondition-respecting operations and validates after each.
void RandomWorkload(VmPageList& list, uint64_t base, uint64_t span_pages, int steps,
                    std::mt19937_64& rng) {
  auto& pmm = vmpl::PageAllocator::Get();
  for (int step = 0; step < steps; step++) {
    const uint64_t off = base + (rng() % span_pages) * kPage;
    const int op = static_cast<int>(rng() % 5);
    SCOPED_TRACE(testing::Message()
                 << "step " << step << " op " << op << " offset 0x" << std::hex << off);
    switch (op) {
      case 0:
      case 1: {  // content, splitting an interval if needed
        auto [slot, in_interval] =
            list.LookupOrAllocate(off, VmPageList::IntervalHandling::SplitInterval);
        if (slot == nullptr) {
          break;
        }
        if (slot->IsEmpty() || slot->IsIntervalSlot()) {
          switch (rng() % 3) {
            case 0:
              *slot = VmPageOrMarker::Marker();
              break;
            case 1:
              *slot = VmPageOrMarker::Page(pmm.AllocPage());
              break;
            default:
              *slot = VmPageOrMarker::Reference(
                  VmPageOrMarker::ReferenceValue(pmm.AllocReference()), rng() & 1, rng() & 1);
              break;
          }
        }
        break;
      }
      case 2: {  // zero interval over an unpopulated range
        const uint64_t end = off + (1 + rng() % 40) * kPage;
        if (!list.AnyPagesOrIntervalsInRange(off, end)) {
          ASSERT_EQ(list.AddZeroInterval(off, end, kDirty), ZX_OK);
        }
        break;
      }
      case 3: {  // remove non-interval content
        const VmPageOrMarker* p = list.Lookup(off);
        if (p != nullptr && (p->IsPageOrRef() || p->IsMarker())) {
          VmPageOrMarker content = list.RemoveContent(off);
          if (content.IsPage()) {
            pmm_free_page(content.ReleasePage());
          } else if (content.IsReference()) {
            pmm.FreeReference(content.ReleaseReference().value());
          }
        }
        break;
      }
      default: {  // a page becomes a one-page zero interval, merging with neighbours
        const VmPageOrMarker* p = list.Lookup(off);
        if (p != nullptr && p->IsPage()) {
          pmm_free_page(list.ReplacePageWithZeroInterval(off, kDirty));
        }
        break;
      }
    }
    const std::vector<Violation> v = vmpl::Validate(list);
    ASSERT_TRUE(v.empty()) << Describe(v);
  }
}

TEST(Validate, RandomWorkloadsStayValid) {
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  const size_t pages_before = vmpl::PageAllocator::Get().pages_outstanding();
  for (int round = 0; round < 24; round++) {
    const uint64_t skew = (round % 2) ? (rng() % 16) * kPage : 0;
    const bool near_max = round % 3 == 2;
    const uint64_t span = 16 + rng() % 300;
    const uint64_t base = near_max ? VmPageList::MAX_SIZE - 2 * kNodeSpan - ((span + 48) * kPage)
                                   : (rng() % 64) * kPage;
    SCOPED_TRACE(testing::Message() << "round " << round << " skew 0x" << std::hex << skew
                                    << " base 0x" << base << std::dec << " span " << span);
    VmPageList list;
    FreeOnExit free_list(list);
    list.InitializeSkew(0, skew);
    RandomWorkload(list, base, span, 400, rng);
  }
  EXPECT_EQ(vmpl::PageAllocator::Get().pages_outstanding(), pages_before);
}

TEST(Validate, ListsAfterMoveAndTakePagesAreValid) {
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  VmPageList list;
  FreeOnExit free_list(list);
  for (int i = 0; i < 200; i++) {
    AddMarker(list, (rng() % 1000) * kPage);
  }
  VmPageList moved(std::move(list));
  FreeOnExit free_moved(moved);
  ExpectValid(moved);
  ExpectValid(list);  // NOLINT(bugprone-use-after-move): the moved-from list is empty and valid
  VmPageSpliceList taken = moved.TakePages(13 * kPage, 500 * kPage);
  ExpectValid(moved);
  const std::vector<Violation> splice_violations = vmpl::Validate(taken);
  EXPECT_TRUE(splice_violations.empty()) << Describe(splice_violations);
  for (int i = 0; i < 100; i++) {
    VmPageOrMarker p = taken.Pop();
    EXPECT_FALSE(p.IsPageOrRef());
    const std::vector<Violation> v = vmpl::Validate(taken);
    ASSERT_TRUE(v.empty()) << "after pop " << i << ": " << Describe(v);
  }
}

// ------------------------------------------------------------------------------------------------
// Node corruptions
// ------------------------------------------------------------------------------------------------

// Three nodes with keys 0x10000, 0x20000, 0x30000, one marker each at index 1.
class ThreeNodes {
 public:
  ThreeNodes() {
    for (uint64_t key : {kNodeSpan, 2 * kNodeSpan, 3 * kNodeSpan}) {
      AddMarker(list, key + kPage);
    }
  }
  uintptr_t node(int i) const { return NodeAddress(list, (i + 1) * kNodeSpan + kPage); }

  VmPageList list;
};

TEST(Validate, WrongCanary) {
  ThreeNodes t;
  ExpectValid(t.list);
  for (int i = 0; i < 3; i++) {
    SCOPED_TRACE(testing::Message() << "node " << i);
    const uintptr_t node = t.node(i);  // before the corruption: Lookup asserts the canary
    Patch canary(node + kCanaryOff, uint32_t{0xDEADBEEF});
    const std::vector<Violation> v = vmpl::Validate(t.list);
    EXPECT_TRUE(Has(v, Kind::kNode, node)) << Describe(v);
    EXPECT_TRUE(OnlyKinds(v, {Kind::kNode})) << Describe(v);
    EXPECT_EQ(v.size(), 1u) << Describe(v);
  }
  {
    // A freed node reads 0 (docs/semantics.md section 12.1).
    const uintptr_t node = t.node(1);
    Patch canary(node + kCanaryOff, uint32_t{0});
    const std::vector<Violation> v = vmpl::Validate(t.list);
    EXPECT_TRUE(Has(v, Kind::kNode, node)) << Describe(v);
  }
  ExpectValid(t.list);
}

TEST(Validate, NodeKeyNotNodeAligned) {
  ThreeNodes t;
  const uintptr_t nodes[3] = {t.node(0), t.node(1), t.node(2)};
  // 0x20000 -> 0x21000 keeps the in-order key sequence, so only the alignment is wrong.
  for (uint64_t bad : {2 * kNodeSpan + kPage, 2 * kNodeSpan + 0x800, 2 * kNodeSpan + 1}) {
    SCOPED_TRACE(testing::Message() << "key 0x" << std::hex << bad);
    Patch key(nodes[1] + kObjOffsetOff, bad);
    const std::vector<Violation> v = vmpl::Validate(t.list);
    EXPECT_TRUE(Has(v, Kind::kNode, nodes[1])) << Describe(v);
    EXPECT_FALSE(Has(v, Kind::kNode, nodes[0])) << Describe(v);
    EXPECT_FALSE(Has(v, Kind::kNode, nodes[2])) << Describe(v);
  }
  ExpectValid(t.list);
}

TEST(Validate, NodeKeyAtOrAboveMaxSize) {
  ThreeNodes t;
  const uintptr_t node = t.node(2);
  Patch key(node + kObjOffsetOff, uint64_t{VmPageList::MAX_SIZE});
  const std::vector<Violation> v = vmpl::Validate(t.list);
  EXPECT_TRUE(Has(v, Kind::kNode, node)) << Describe(v);
  EXPECT_TRUE(OnlyKinds(v, {Kind::kNode})) << Describe(v);
}

TEST(Validate, EmptyNode) {
  ThreeNodes t;
  for (int i = 0; i < 3; i++) {
    SCOPED_TRACE(testing::Message() << "node " << i);
    const uintptr_t node = t.node(i);
    Patch slot(node + kPagesOff + 8 * 1, uint64_t{0});
    const std::vector<Violation> v = vmpl::Validate(t.list);
    EXPECT_TRUE(Has(v, Kind::kNode, node)) << Describe(v);
    EXPECT_TRUE(OnlyKinds(v, {Kind::kNode})) << Describe(v);
    EXPECT_EQ(v.size(), 1u) << Describe(v);
  }
  ExpectValid(t.list);
}

// ------------------------------------------------------------------------------------------------
// Slot and interval corruptions
// ------------------------------------------------------------------------------------------------

TEST(Validate, StartWithoutEnd) {
  // Marker at 0, interval [2P, 6P): Start 2P, End 5P, all in node 0.
  VmPageList list;
  AddMarker(list, 0);
  ASSERT_EQ(list.AddZeroInterval(2 * kPage, 6 * kPage, kDirty), ZX_OK);
  ExpectValid(list);
  const uintptr_t node = NodeAddress(list, 0);
  Patch end(SlotAddress(list, 5 * kPage), uint64_t{0});
  const std::vector<Violation> v = vmpl::Validate(list);
  // The missing End is a problem of the list as a whole or of the Start's node: either address
  // names it (the header says "node (or list)"); the offset must be the Start's.
  EXPECT_TRUE(HasAt(v, Kind::kInterval, node, 2 * kPage) ||
              HasAt(v, Kind::kInterval, Addr(&list), 2 * kPage))
      << Describe(v);
  EXPECT_TRUE(OnlyKinds(v, {Kind::kInterval})) << Describe(v);
}

TEST(Validate, EndWithoutStart) {
  VmPageList list;
  AddMarker(list, 0);
  ASSERT_EQ(list.AddZeroInterval(2 * kPage, 6 * kPage, kDirty), ZX_OK);
  Patch start(SlotAddress(list, 2 * kPage), uint64_t{0});
  const std::vector<Violation> v = vmpl::Validate(list);
  EXPECT_TRUE(HasAt(v, Kind::kInterval, NodeAddress(list, 0), 5 * kPage)) << Describe(v);
  EXPECT_TRUE(OnlyKinds(v, {Kind::kInterval})) << Describe(v);
}

TEST(Validate, EndWithoutStartAcrossNodes) {
  // Interval [3P, 40P): Start in node 0, End in node 2, node 1 absent. Remove the Start but keep
  // node 0 alive with a marker.
  VmPageList list;
  AddMarker(list, 0);
  ASSERT_EQ(list.AddZeroInterval(3 * kPage, 40 * kPage, kDirty), ZX_OK);
  ExpectValid(list);
  EXPECT_EQ(list.Lookup(20 * kPage), nullptr) << "no node strictly inside the interval";
  Patch start(SlotAddress(list, 3 * kPage), uint64_t{0});
  const std::vector<Violation> v = vmpl::Validate(list);
  EXPECT_TRUE(HasAt(v, Kind::kInterval, NodeAddress(list, 39 * kPage), 39 * kPage)) << Describe(v);
  EXPECT_TRUE(OnlyKinds(v, {Kind::kInterval})) << Describe(v);
}

TEST(Validate, ContentInsideInterval) {
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(kPage, 10 * kPage, kDirty), ZX_OK);
  const uintptr_t node = NodeAddress(list, kPage);
  // A marker, a reference and a (fake, aligned) page pointer inside the interval.
  const uint64_t contents[] = {0x1, 0x1230 | 0x2, 0x7f0000001000};
  for (uint64_t raw : contents) {
    SCOPED_TRACE(testing::Message() << "raw 0x" << std::hex << raw);
    Patch inside(SlotAddress(list, 5 * kPage), raw);
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(HasAt(v, Kind::kInterval, node, 5 * kPage)) << Describe(v);
    EXPECT_TRUE(OnlyKinds(v, {Kind::kInterval})) << Describe(v);
  }
  {
    // A Start nested inside another interval.
    Patch nested(SlotAddress(list, 4 * kPage), uint64_t{0x87});
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(HasAt(v, Kind::kInterval, node, 4 * kPage)) << Describe(v);
  }
  ExpectValid(list);
}

TEST(Validate, ContentInsideIntervalSpanningNodes) {
  // Interval [3P, 40P); a marker written into node 0 at 12P, inside it.
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(3 * kPage, 40 * kPage, kDirty), ZX_OK);
  Patch inside(NodeAddress(list, 3 * kPage) + kPagesOff + 8 * 12, uint64_t{1});
  const std::vector<Violation> v = vmpl::Validate(list);
  EXPECT_TRUE(HasAt(v, Kind::kInterval, NodeAddress(list, 3 * kPage), 12 * kPage)) << Describe(v);
  EXPECT_TRUE(OnlyKinds(v, {Kind::kInterval})) << Describe(v);
}

TEST(Validate, StartEndDirtyStateMismatch) {
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(2 * kPage, 6 * kPage, kDirty), ZX_OK);
  const uintptr_t node = NodeAddress(list, 2 * kPage);
  // End becomes Untracked (0x0B) or Clean (0x4B); the Start stays Dirty (0x87).
  for (uint64_t raw : {uint64_t{0x0B}, uint64_t{0x4B}}) {
    SCOPED_TRACE(testing::Message() << "End raw 0x" << std::hex << raw);
    Patch end(SlotAddress(list, 5 * kPage), raw);
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(HasAt(v, Kind::kInterval, node, 5 * kPage) ||
                HasAt(v, Kind::kInterval, node, 2 * kPage))
        << Describe(v);
    // In V2 only Dirty intervals can be created, so the End may also be reported as a malformed
    // slot; nothing else may be reported.
    EXPECT_TRUE(OnlyKinds(v, {Kind::kInterval, Kind::kSlot})) << Describe(v);
  }
}

TEST(Validate, AwaitingCleanLengthOnEnd) {
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(2 * kPage, 6 * kPage, kDirty), ZX_OK);
  const uintptr_t node = NodeAddress(list, 2 * kPage);
  Patch end(SlotAddress(list, 5 * kPage), uint64_t{0x1000 | 0x8B});
  const std::vector<Violation> v = vmpl::Validate(list);
  EXPECT_TRUE(HasAt(v, Kind::kInterval, node, 5 * kPage)) << Describe(v);
  EXPECT_TRUE(OnlyKinds(v, {Kind::kInterval})) << Describe(v);
}

TEST(Validate, AwaitingCleanLengthOnStartIsFine) {
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(2 * kPage, 6 * kPage, kDirty), ZX_OK);
  Patch start(SlotAddress(list, 2 * kPage), uint64_t{0x3000 | 0x87});
  ExpectValid(list);
}

TEST(Validate, AdjacentIntervalsNotMerged) {
  struct Case {
    const char* name;
    uint64_t first_end;     // offset of the left interval's End (or Slot)
    uint64_t first_raw;     // its raw value
    uint64_t second_start;  // offset of the right interval's Start (or Slot)
    uint64_t second_raw;
  };
  // One interval [P, 30P) is cut in two by writing an End and a Start next to each other.
  const Case cases[] = {
      {"End|Start in one node", 3 * kPage, 0x8B, 4 * kPage, 0x87},
      {"End|Start across nodes", 15 * kPage, 0x8B, 16 * kPage, 0x87},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    VmPageList list;
    ASSERT_EQ(list.AddZeroInterval(kPage, 30 * kPage, kDirty), ZX_OK);
    // Both nodes 0 and 1 exist (Start at P, End at 29P).
    Patches patches;
    patches.Write(NodeAddress(list, kPage) + kPagesOff + 8 * (c.first_end / kPage % 16),
                  c.first_raw);
    const uintptr_t second_node =
        c.second_start < kNodeSpan ? NodeAddress(list, kPage) : NodeAddress(list, 29 * kPage);
    patches.Write(second_node + kPagesOff + 8 * (c.second_start / kPage % 16), c.second_raw);
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(HasAt(v, Kind::kMaximal, second_node, c.second_start) ||
                HasAt(v, Kind::kMaximal, NodeAddress(list, kPage), c.first_end))
        << Describe(v);
    EXPECT_TRUE(OnlyKinds(v, {Kind::kMaximal})) << Describe(v);
  }
  {
    SCOPED_TRACE("Slot|Slot");
    VmPageList list;
    ASSERT_EQ(list.AddZeroInterval(2 * kPage, 3 * kPage, kDirty), ZX_OK);
    const uintptr_t node = NodeAddress(list, 2 * kPage);
    Patch slot(SlotAddress(list, 3 * kPage), uint64_t{0x83});
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(HasAt(v, Kind::kMaximal, node, 3 * kPage) ||
                HasAt(v, Kind::kMaximal, node, 2 * kPage))
        << Describe(v);
    EXPECT_TRUE(OnlyKinds(v, {Kind::kMaximal})) << Describe(v);
  }
  {
    // A gap of one empty page between two intervals is fine.
    VmPageList list;
    ASSERT_EQ(list.AddZeroInterval(2 * kPage, 3 * kPage, kDirty), ZX_OK);
    Patch slot(SlotAddress(list, 4 * kPage), uint64_t{0x83});
    ExpectValid(list);
  }
}

TEST(Validate, SkewOutOfRange) {
  VmPageList list;
  // Content only at keys >= 0x20000 so that the larger skew leaves every offset non-negative.
  AddMarker(list, 2 * kNodeSpan + 3 * kPage);
  AddMarker(list, 3 * kNodeSpan);
  for (uint64_t skew : {kNodeSpan, kNodeSpan + kPage, uint64_t{1} << 40}) {
    SCOPED_TRACE(testing::Message() << "skew 0x" << std::hex << skew);
    Patch bad_skew(Addr(&list) + kListSkewOff, skew);
    EXPECT_EQ(list.GetSkew(), skew) << "list_skew_ is at +32";
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(Has(v, Kind::kSkew, Addr(&list))) << Describe(v);
    if (skew <= 2 * kNodeSpan) {
      EXPECT_TRUE(OnlyKinds(v, {Kind::kSkew})) << Describe(v);
    }
  }
  ExpectValid(list);
}

// ------------------------------------------------------------------------------------------------
// Tree corruptions
// ------------------------------------------------------------------------------------------------

// A list of |n| nodes (keys 0, 0x10000, ...), one marker each.
void FillNodes(VmPageList& list, int n) {
  for (int i = 0; i < n; i++) {
    AddMarker(list, static_cast<uint64_t>(i) * kNodeSpan + 7 * kPage);
  }
}
uintptr_t Root(const VmPageList& list) { return ReadAt<uintptr_t>(Addr(&list), kRootOff); }
bool IsLink(uintptr_t p) { return p != 0 && (p & 1) == 0; }

// Every node address of the list, through Lookup.
std::vector<uintptr_t> AllNodes(const VmPageList& list, int n) {
  std::vector<uintptr_t> out;
  for (int i = 0; i < n; i++) {
    out.push_back(NodeAddress(list, static_cast<uint64_t>(i) * kNodeSpan + 7 * kPage));
  }
  return out;
}

TEST(Validate, CorruptedParentLink) {
  VmPageList list;
  FillNodes(list, 20);
  ExpectValid(list);
  int checked = 0;
  for (uintptr_t node : AllNodes(list, 20)) {
    for (size_t side : {kLeftOff, kRightOff}) {
      const uintptr_t child = ReadAt<uintptr_t>(node, side);
      if (!IsLink(child)) {
        continue;
      }
      SCOPED_TRACE(testing::Message() << "child 0x" << std::hex << child << " of 0x" << node);
      for (uintptr_t bad : {child, uintptr_t{0}, Root(list) == node ? child : Root(list)}) {
        if (bad == node) {
          continue;
        }
        Patch parent(child + kParentOff, bad);
        const std::vector<Violation> v = vmpl::Validate(list);
        EXPECT_TRUE(Has(v, Kind::kTree, child) || Has(v, Kind::kTree, node)) << Describe(v);
        EXPECT_TRUE(OnlyKinds(v, {Kind::kTree})) << Describe(v);
        checked++;
      }
    }
  }
  EXPECT_GT(checked, 0);
  {
    // The root's parent must be the sentinel.
    Patch parent(Root(list) + kParentOff, uintptr_t{0});
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(Has(v, Kind::kTree, Root(list))) << Describe(v);
  }
  ExpectValid(list);
}

TEST(Validate, CorruptedCount) {
  VmPageList list;
  FillNodes(list, 5);
  for (uint64_t count : {uint64_t{4}, uint64_t{6}, uint64_t{0}, uint64_t{1} << 40}) {
    SCOPED_TRACE(testing::Message() << "count " << count);
    Patch bad_count(Addr(&list) + kCountOff, count);
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(Has(v, Kind::kTree, Addr(&list))) << Describe(v);
    EXPECT_TRUE(OnlyKinds(v, {Kind::kTree})) << Describe(v);
  }
  ExpectValid(list);
}

TEST(Validate, CorruptedLeftMost) {
  VmPageList list;
  FillNodes(list, 5);
  Patch left_most(Addr(&list) + kLeftMostOff, Root(list));
  const std::vector<Violation> v = vmpl::Validate(list);
  EXPECT_TRUE(Has(v, Kind::kTree, Addr(&list))) << Describe(v);
  EXPECT_TRUE(OnlyKinds(v, {Kind::kTree})) << Describe(v);
}

TEST(Validate, CorruptedRankParityOfALeaf) {
  VmPageList list;
  FillNodes(list, 30);
  int leaves = 0;
  for (uintptr_t node : AllNodes(list, 30)) {
    if (IsLink(ReadAt<uintptr_t>(node, kLeftOff)) || IsLink(ReadAt<uintptr_t>(node, kRightOff))) {
      continue;
    }
    leaves++;
    SCOPED_TRACE(testing::Message() << "leaf 0x" << std::hex << node);
    ASSERT_EQ(ReadAt<uint8_t>(node, kRankOff), 0u) << "a valid leaf has rank 0";
    Patch rank(node + kRankOff, uint8_t{1});
    const std::vector<Violation> v = vmpl::Validate(list);
    EXPECT_TRUE(Has(v, Kind::kTree, node)) << Describe(v);
    EXPECT_TRUE(OnlyKinds(v, {Kind::kTree})) << Describe(v);
  }
  EXPECT_GT(leaves, 0);
  ExpectValid(list);
}

TEST(Validate, CycleIsBoundedAndReported) {
  VmPageList list;
  FillNodes(list, 40);
  const uintptr_t root = Root(list);
  int cycles = 0;
  for (uintptr_t node : AllNodes(list, 40)) {
    for (size_t side : {kLeftOff, kRightOff}) {
      const uintptr_t child = ReadAt<uintptr_t>(node, side);
      if (IsLink(child) || node == root) {
        continue;
      }
      // A missing child (or the end sentinel) now points back at the root.
      SCOPED_TRACE(testing::Message() << "node 0x" << std::hex << node << " side " << side);
      Patch cycle(node + side, root);
      for (size_t max_nodes : {size_t{10}, size_t{1000}, vmpl::ValidateOptions{}.max_nodes}) {
        SCOPED_TRACE(testing::Message() << "max_nodes " << max_nodes);
        vmpl::ValidateOptions options;
        options.max_nodes = max_nodes;
        const std::vector<Violation> v = ValidateOrDie(list, options);
        EXPECT_FALSE(v.empty());
        EXPECT_TRUE(OnlyKinds(v, {Kind::kTree})) << Describe(v);
        if (max_nodes >= 40) {
          // The walk reaches the back link: the report names the node holding it (or the root
          // it leads to). With a smaller limit the walk may stop before it.
          EXPECT_TRUE(Has(v, Kind::kTree, node) || Has(v, Kind::kTree, root)) << Describe(v);
        }
        EXPECT_LT(v.size(), 1000u) << "a bounded walk reports a bounded number of problems";
      }
      cycles++;
    }
  }
  EXPECT_GT(cycles, 0);
  ExpectValid(list);
}

TEST(Validate, MaxNodesBoundsTheWalk) {
  VmPageList list;
  FillNodes(list, 50);
  vmpl::ValidateOptions exact;
  exact.max_nodes = 50;
  const std::vector<Violation> at_limit = vmpl::Validate(list, exact);
  EXPECT_TRUE(at_limit.empty()) << "a limit equal to the node count is enough: "
                                << Describe(at_limit);
  for (size_t limit : {size_t{1}, size_t{7}, size_t{49}}) {
    SCOPED_TRACE(testing::Message() << "max_nodes " << limit);
    vmpl::ValidateOptions options;
    options.max_nodes = limit;
    const std::vector<Violation> v = ValidateOrDie(list, options);
    EXPECT_TRUE(Has(v, Kind::kTree, Addr(&list)))
        << "hitting the limit is reported: " << Describe(v);
  }
}

// ------------------------------------------------------------------------------------------------
// Several at once
// ------------------------------------------------------------------------------------------------

TEST(Validate, ReportsEverySimultaneousCorruption) {
  // Nodes: A = key 0 (markers), B = key 0x10000 (one marker), C = key 0x20000 (interval
  // [0x21000, 0x26000) and a marker), D = key 0x40000 (markers), and more for the tree.
  VmPageList list;
  AddMarker(list, 0);
  AddMarker(list, 5 * kPage);
  AddMarker(list, kNodeSpan + 2 * kPage);
  ASSERT_EQ(list.AddZeroInterval(2 * kNodeSpan + kPage, 2 * kNodeSpan + 6 * kPage, kDirty), ZX_OK);
  AddMarker(list, 2 * kNodeSpan + 10 * kPage);
  ASSERT_EQ(list.AddZeroInterval(2 * kNodeSpan + 12 * kPage, 2 * kNodeSpan + 13 * kPage, kDirty),
            ZX_OK);
  for (int i = 4; i < 12; i++) {
    AddMarker(list, static_cast<uint64_t>(i) * kNodeSpan);
  }
  ExpectValid(list);
  const uintptr_t a = NodeAddress(list, 0);
  const uintptr_t b = NodeAddress(list, kNodeSpan + 2 * kPage);
  const uintptr_t c = NodeAddress(list, 2 * kNodeSpan + kPage);
  auto slot_of = [](uintptr_t node, uint64_t index) { return node + kPagesOff + 8 * index; };

  Patches patches;
  patches.Write(a + kCanaryOff, uint32_t{0x12345678});   // wrong canary in A
  patches.Write(slot_of(b, 2), uint64_t{0});             // B becomes empty
  patches.Write(slot_of(c, 3), uint64_t{1});             // marker inside an interval
  patches.Write(slot_of(c, 5), uint64_t{0x208B});        // ACL on an End
  patches.Write(slot_of(c, 11), uint64_t{0x83});         // a Slot touching the Slot at 12
  patches.Write(Addr(&list) + kCountOff, uint64_t{99});  // count
  const std::vector<Violation> v = vmpl::Validate(list);
  SCOPED_TRACE(Describe(v));
  EXPECT_TRUE(Has(v, Kind::kNode, a)) << "canary";
  EXPECT_TRUE(Has(v, Kind::kNode, b)) << "empty node";
  EXPECT_TRUE(HasAt(v, Kind::kInterval, c, 2 * kNodeSpan + 3 * kPage)) << "content in interval";
  EXPECT_TRUE(HasAt(v, Kind::kInterval, c, 2 * kNodeSpan + 5 * kPage)) << "ACL on End";
  EXPECT_TRUE(HasAt(v, Kind::kMaximal, c, 2 * kNodeSpan + 12 * kPage) ||
              HasAt(v, Kind::kMaximal, c, 2 * kNodeSpan + 11 * kPage))
      << "unmerged intervals";
  EXPECT_TRUE(Has(v, Kind::kTree, Addr(&list))) << "count";
}

TEST(Validate, ReportsSkewAndTreeAndSlotTogether) {
  VmPageList list;
  FillNodes(list, 10);  // keys 0 .. 0x90000, marker at index 7
  for (int i = 1; i < 10; i++) {
    AddMarker(list, static_cast<uint64_t>(i) * kNodeSpan + 9 * kPage);
  }
  const std::vector<uintptr_t> nodes = AllNodes(list, 10);
  uintptr_t leaf = 0;
  for (uintptr_t node : nodes) {
    if (!IsLink(ReadAt<uintptr_t>(node, kLeftOff)) && !IsLink(ReadAt<uintptr_t>(node, kRightOff))) {
      leaf = node;
    }
  }
  ASSERT_NE(leaf, 0u);
  Patches patches;
  patches.Write(Addr(&list) + kListSkewOff, uint64_t{kNodeSpan});
  patches.Write(leaf + kRankOff, uint8_t{1});
  patches.Write(nodes[3] + kObjOffsetOff, uint64_t{3 * kNodeSpan + kPage});
  const std::vector<Violation> v = vmpl::Validate(list);
  SCOPED_TRACE(Describe(v));
  EXPECT_TRUE(Has(v, Kind::kSkew, Addr(&list)));
  EXPECT_TRUE(Has(v, Kind::kTree, leaf));
  EXPECT_TRUE(Has(v, Kind::kNode, nodes[3]));
}

// ------------------------------------------------------------------------------------------------
// Splice lists
// ------------------------------------------------------------------------------------------------

TEST(Validate, SpliceListCorruptions) {
  VmPageList list;
  for (uint64_t i = 0; i < 64; i++) {
    AddMarker(list, i * kPage);
  }
  // [3P, 61P): head node 0 (3..15), middle nodes 1 and 2, tail node 3 (0..12).
  VmPageSpliceList splice = list.TakePages(3 * kPage, 58 * kPage);
  EXPECT_TRUE(vmpl::Validate(splice).empty()) << Describe(vmpl::Validate(splice));
  const uintptr_t head = Addr(&vmpl::PageListAccess::head(splice));
  const uintptr_t tail = Addr(&vmpl::PageListAccess::tail(splice));
  {
    // An interval sentinel in the tail.
    Patch sentinel(tail + kPagesOff + 8 * 4, uint64_t{0x83});
    const std::vector<Violation> v = vmpl::Validate(splice);
    EXPECT_TRUE(HasAt(v, Kind::kSplice, tail, 3 * kNodeSpan + 4 * kPage)) << Describe(v);
  }
  {
    // Content in the head before the list's offset.
    Patch outside(head + kPagesOff + 8 * 1, uint64_t{1});
    const std::vector<Violation> v = vmpl::Validate(splice);
    EXPECT_TRUE(HasAt(v, Kind::kSplice, head, kPage)) << Describe(v);
  }
  {
    Patch canary(head + kCanaryOff, uint32_t{0});
    const std::vector<Violation> v = vmpl::Validate(splice);
    EXPECT_TRUE(Has(v, Kind::kNode, head)) << Describe(v);
  }
  // Pop two; an entry written back at a popped position is reported.
  for (int i = 0; i < 2; i++) {
    VmPageOrMarker p = splice.Pop();
    EXPECT_TRUE(p.IsMarker());
  }
  EXPECT_TRUE(vmpl::Validate(splice).empty()) << Describe(vmpl::Validate(splice));
  {
    Patch popped(head + kPagesOff + 8 * 3, uint64_t{1});
    const std::vector<Violation> v = vmpl::Validate(splice);
    EXPECT_TRUE(HasAt(v, Kind::kSplice, head, 3 * kPage)) << Describe(v);
  }
  EXPECT_TRUE(vmpl::Validate(splice).empty());
}

// ------------------------------------------------------------------------------------------------
// Reporting
// ------------------------------------------------------------------------------------------------

TEST(Validate, KindNamesAndToString) {
  std::set<std::string> names;
  for (Kind kind : {Kind::kTree, Kind::kNode, Kind::kSkew, Kind::kSlot, Kind::kInterval,
                    Kind::kMaximal, Kind::kSplice}) {
    const std::string name = vmpl::ViolationKindName(kind);
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 7u) << "names are distinct";

  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(2 * kPage, 6 * kPage, kDirty), ZX_OK);
  Patch end(SlotAddress(list, 5 * kPage), uint64_t{0x108B});
  const std::vector<Violation> v = vmpl::Validate(list);
  ASSERT_FALSE(v.empty());
  for (const Violation& violation : v) {
    const std::string text = violation.ToString();
    EXPECT_EQ(text.rfind(vmpl::ViolationKindName(violation.kind), 0), 0u) << text;
    char address[32];
    snprintf(address, sizeof(address), "%#lx", static_cast<unsigned long>(violation.address));
    EXPECT_NE(text.find(address), std::string::npos) << text << " should name " << address;
    if (violation.has_offset) {
      char offset[32];
      snprintf(offset, sizeof(offset), "%#lx", static_cast<unsigned long>(violation.offset));
      EXPECT_NE(text.find(offset), std::string::npos) << text << " should name " << offset;
    }
    EXPECT_NE(text.find(violation.message), std::string::npos) << text;
    EXPECT_FALSE(violation.message.empty());
  }
}

}  // namespace
