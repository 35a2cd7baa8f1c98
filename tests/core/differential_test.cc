// Randomized differential test of VmPageList against PageListModel (page_list_model.h).
//
// Each run drives two page lists (each with a random skew) and their models through a long random
// sequence of every mutation the list offers: LookupOrAllocate in all three interval-handling
// modes followed by filling or returning the slot, RemoveContent, RemovePages and
// RemovePagesAndIterateGaps, AddZeroInterval, PopulateSlotsInInterval followed by filling or
// returning the slots, ClipIntervalStart/End, ReplacePageWithZeroInterval, content swaps and split
// bits through LookupMutable, cursors and mutable walks, awaiting-clean lengths, TakePages with
// the splice list popped into a list, splice lists built with Append, MergeFrom, MergeOnto and
// RemoveAllContent. After every step each list that was touched is checked with vmpl::Validate and
// compared slot by slot with its model, and a few random queries (Lookup, IsOffsetInZeroInterval,
// AnyPagesOrIntervalsInRange, the range walks, the cursor) are compared with the model's answer.
//
// Offsets stay mostly in a window of 64 nodes from 0 so that lists stay small and checking after
// every step is cheap; some land just below VmPageList::MAX_SIZE. Runs alternate between epochs in
// which zero intervals are created and epochs without intervals (where NoIntervals lookups and the
// merges, whose preconditions exclude intervals, get their turn).
//
// The seed is derived from --gtest_random_seed and the shard index and printed on failure.
// VMPL_DIFFERENTIAL_SCALE (a float, default 1.0) multiplies the number of operations.

#include <gtest/gtest.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>
#include <vmpl/validate.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "page_list_model.h"

namespace vmpl_test {
namespace {

using IntervalHandling = VmPageList::IntervalHandling;

constexpr uint64_t kMaxSize = VmPageList::MAX_SIZE;
constexpr uint64_t kWindowNodes = 64;
constexpr uint64_t kWindow = kWindowNodes * kNodeSpan;
// Offsets in [kMaxSize - kHighWindow, kMaxSize) exercise the top of the offset space.
constexpr uint64_t kHighWindow = 4 * kNodeSpan;
// Operations per shard at scale 1.0; kShards shards make the normal run's total.
constexpr uint64_t kOpsPerShard = 125'000;
constexpr int kShards = 8;
static_assert(kOpsPerShard * kShards >= 1'000'000);

double ScaleFromEnvironment() {
  const char* text = getenv("VMPL_DIFFERENTIAL_SCALE");
  if (text == nullptr || *text == '\0') {
    return 1.0;
  }
  char* end = nullptr;
  const double scale = strtod(text, &end);
  if (end == text || !std::isfinite(scale) || scale < 0) {
    ADD_FAILURE() << "VMPL_DIFFERENTIAL_SCALE is not a non-negative number: '" << text << "'";
    return 1.0;
  }
  return scale;
}

// Frees the page or reference |p| owns and leaves it Empty; a marker is simply cleared.
void FreeContent(VmPageOrMarker& p) {
  if (p.IsPage()) {
    pmm_free_page(p.ReleasePage());
  } else if (p.IsReference()) {
    vmpl::PageAllocator::Get().FreeReference(p.ReleaseReference().value());
  } else {
    p = VmPageOrMarker::Empty();
  }
}

// The real slot value for model content. A page's split bits live in the vm_page_t, so they are
// written there.
VmPageOrMarker ToReal(const Content& c) {
  switch (c.kind) {
    case Content::Kind::kPage:
      c.page->object.cow_left_split = c.left_split;
      c.page->object.cow_right_split = c.right_split;
      return VmPageOrMarker::Page(c.page);
    case Content::Kind::kReference:
      return VmPageOrMarker::Reference(VmPageOrMarker::ReferenceValue(c.reference), c.left_split,
                                       c.right_split);
    case Content::Kind::kMarker:
      break;
  }
  return VmPageOrMarker::Marker();
}

std::string Violations(const std::vector<vmpl::Violation>& violations) {
  std::string text;
  for (const auto& v : violations) {
    text += "\n  " + v.ToString();
  }
  return text;
}

// One list under test and its model.
struct Subject {
  std::unique_ptr<VmPageList> list;
  PageListModel model;
  bool touched = false;
};

// One event of a range walk: a populated slot or a gap.
struct WalkEvent {
  bool is_gap = false;
  uint64_t offset = 0;
  uint64_t gap_end = 0;  // gaps
  Slot slot;             // slots
  bool take = false;     // slots: the callback removes it
};

// One event of ForEveryPageAndContiguousRunInRange: a per_page_func call or a run.
struct RunEvent {
  bool is_run = false;
  uint64_t start = 0;
  uint64_t end = 0;  // runs
  bool is_interval = false;
  friend bool operator==(const RunEvent& a, const RunEvent& b) = default;
};

std::string ToString(const RunEvent& e) {
  if (!e.is_run) {
    return "page(" + Hex(e.start) + ")";
  }
  return std::string("run[") + Hex(e.start) + ", " + Hex(e.end) +
         (e.is_interval ? ", interval)" : ")");
}

// A compare_func for ForEveryPageAndContiguousRunInRange that only looks at what a single slot
// records, so that it gives the same answer on the list and on the model.
struct ComparePredicate {
  int family = 0;
  uint64_t salt = 0;

  bool operator()(const Slot& slot, uint64_t offset) const {
    const uint64_t h = ((offset >> 12) * 0x9E3779B97F4A7C15ull) ^ salt;
    const uint64_t bits = h >> 29;
    switch (family) {
      case 0:
        return true;
      case 1:
        return bits % 3 != 0;
      case 2:
        return slot.IsContent() && !slot.content.IsReference();
      case 3:
        return slot.IsSentinel() || bits % 2 == 0;
      case 4:
        return !(slot.IsContent() && slot.content.IsMarker()) && bits % 4 != 0;
      default:
        return false;
    }
  }
};

// The calls ForEveryPageAndContiguousRunInRange must make (docs/semantics.md section 6.3), computed
// from the model.
std::vector<RunEvent> ExpectedContiguousRuns(const PageListModel& m, const ComparePredicate& cmp,
                                             uint64_t start, uint64_t end) {
  std::vector<RunEvent> out;
  if (start == end) {
    return out;
  }
  // Populated slots and gaps, in order.
  std::vector<WalkEvent> elements;
  for (auto& [offset, slot] : m.Populated(start, end)) {
    elements.push_back(WalkEvent{false, offset, 0, slot, false});
  }
  for (auto& [a, b] : m.Gaps(start, end)) {
    elements.push_back(WalkEvent{true, a, b, Slot(), false});
  }
  std::sort(elements.begin(), elements.end(),
            [](const WalkEvent& a, const WalkEvent& b) { return a.offset < b.offset; });

  if (elements.empty()) {
    // The whole range lies inside one interval: one run if both its sentinels pass.
    auto it = m.IntervalAt(start);
    const uint64_t first = it->first;
    const uint64_t last = it->second.end - kPage;
    if (cmp(m.At(last), last) && cmp(m.At(first), first)) {
      out.push_back(RunEvent{true, start, end, true});
    }
    return out;
  }

  uint64_t run_start = 0;
  uint64_t run_len = 0;
  auto flush = [&]() {
    if (run_len > 0) {
      out.push_back(RunEvent{true, run_start, run_start + run_len, false});
      run_len = 0;
    }
  };
  bool tracking = false;
  uint64_t track_start = 0;
  bool track_cmp = false;
  for (const WalkEvent& e : elements) {
    if (e.is_gap) {
      flush();
      continue;
    }
    const uint64_t off = e.offset;
    const bool c = cmp(e.slot, off);
    if (e.slot.IsSentinel()) {
      if (e.slot.kind != Slot::Kind::kIntervalEnd) {
        flush();
      }
      if (c) {
        out.push_back(RunEvent{false, off, 0, false});
      }
      if (e.slot.kind == Slot::Kind::kIntervalSlot) {
        if (c) {
          out.push_back(RunEvent{true, off, off + kPage, true});
        }
      } else if (e.slot.kind == Slot::Kind::kIntervalStart) {
        tracking = true;
        track_start = off;
        track_cmp = c;
      } else if (!c) {
        tracking = false;
      } else {
        if (!tracking) {
          // The walk began inside this interval: its Start decides, and the run begins at |start|.
          const uint64_t first = e.slot.interval_start;
          track_cmp = cmp(m.At(first), first);
          track_start = start;
        }
        tracking = false;
        if (track_cmp) {
          out.push_back(RunEvent{true, track_start, off + kPage, true});
        }
      }
      continue;
    }
    if (c) {
      out.push_back(RunEvent{false, off, 0, false});
      if (run_len > 0 && run_start + run_len != off) {
        flush();
      }
      if (run_len == 0) {
        run_start = off;
      }
      run_len += kPage;
    } else {
      flush();
    }
  }
  if (run_len > 0) {
    flush();
  } else if (tracking && track_cmp) {
    auto it = m.IntervalAt(track_start);
    const uint64_t last = it->second.end - kPage;
    if (cmp(m.At(last), last)) {
      out.push_back(RunEvent{true, track_start, end, true});
    }
  }
  return out;
}

class DifferentialRun {
 public:
  explicit DifferentialRun(uint64_t seed) : seed_(seed), rng_(seed) {
    for (Subject& s : subjects_) {
      MakeList(s, RandomSkew(nullptr));
    }
  }

  ~DifferentialRun() {
    for (Subject& s : subjects_) {
      if (s.list) {
        s.list->RemoveAllContent([](VmPageOrMarker&& p) { FreeContent(p); });
      }
    }
  }

  void Run(uint64_t ops) {
    next_epoch_ = 0;
    for (step_ = 0; step_ < ops; ++step_) {
      if (step_ == next_epoch_) {
        StartEpoch();
      }
      DoRandomOp();
      for (size_t i = 0; i < subjects_.size(); i++) {
        if (subjects_[i].touched) {
          subjects_[i].touched = false;
          CheckSubject(i);
        }
      }
      if (::testing::Test::HasFailure()) {
        return;
      }
      op_name_ = "query";
      for (int q = 0; q < 2; q++) {
        RandomQuery();
      }
      if (::testing::Test::HasFailure()) {
        return;
      }
    }
  }

  // One line per operation variant: how often it ran.
  std::string Summary() const {
    std::string text;
    for (const auto& [what, n] : counts_) {
      text += "  " + what + ": " + std::to_string(n) + "\n";
    }
    return text;
  }

  // Frees everything and checks that every page and reference went back to the allocator.
  void FreeAll() {
    op_name_ = "final RemoveAllContent";
    for (size_t i = 0; i < subjects_.size(); i++) {
      FreeSubject(i);
    }
  }

 private:
  enum class Op {
    kLookupOrAllocate,
    kRemoveContent,
    kRemovePages,
    kRemovePagesAndIterateGaps,
    kAddZeroInterval,
    kPopulateSlots,
    kClipStart,
    kClipEnd,
    kReplacePage,
    kLookupMutable,
    kMutableWalk,
    kCursor,
    kTakePages,
    kSpliceAppend,
    kMergeFrom,
    kMergeOnto,
    kReset,
    kCount,
  };

  // ---- Randomness.

  uint64_t Uniform(uint64_t n) {
    return n <= 1 ? 0 : std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p; }
  double Real() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  // A skew for a new list: often 0 or the other list's skew, so that TakePages and MergeOnto have
  // candidates.
  uint64_t RandomSkew(const Subject* other) {
    const uint64_t r = Uniform(10);
    if (r < 3) {
      return 0;
    }
    if (r < 6 && other != nullptr) {
      return other->model.skew();
    }
    return Uniform(VmPageListNode::kPageFanOut) * kPage;
  }

  // Replaces s.list by a new, empty list whose skew is |skew|, set through InitializeSkew with a
  // random parent skew and offset that add up to it.
  void MakeList(Subject& s, uint64_t skew) {
    s.list = std::make_unique<VmPageList>();
    const uint64_t parent_skew = Uniform(VmPageListNode::kPageFanOut) * kPage;
    const uint64_t offset =
        ((skew + kNodeSpan - parent_skew) % kNodeSpan) + Uniform(1 << 20) * kNodeSpan;
    s.list->InitializeSkew(parent_skew, offset);
    EXPECT_EQ(s.list->GetSkew(), skew) << Where();
    s.model = PageListModel(skew);
    s.touched = true;
  }

  // A random populated offset of |m| (content or sentinel); |m| must not be empty.
  uint64_t RandomPopulated(const PageListModel& m) {
    const uint64_t n = m.content.size() + m.intervals.size();
    uint64_t i = Uniform(n);
    if (i < m.content.size()) {
      return std::next(m.content.begin(), static_cast<ptrdiff_t>(i))->first;
    }
    auto it = std::next(m.intervals.begin(), static_cast<ptrdiff_t>(i - m.content.size()));
    return Chance(0.5) ? it->first : it->second.end - kPage;
  }

  uint64_t RandomOffset(const Subject& s) {
    const uint64_t r = Uniform(100);
    if (r < 7) {
      return kMaxSize - kHighWindow + Uniform(kHighWindow / kPage) * kPage;
    }
    if (r < 50 && !s.model.IsEmpty()) {
      const uint64_t base = RandomPopulated(s.model);
      const int64_t delta = static_cast<int64_t>(Uniform(7)) - 3;
      if (delta < 0 && base < static_cast<uint64_t>(-delta) * kPage) {
        return base;
      }
      const uint64_t off = base + delta * static_cast<int64_t>(kPage);
      return off < kMaxSize ? off : base;
    }
    return Uniform(kWindow / kPage) * kPage;
  }

  // A random page-aligned range [start, end) with start < end <= kMaxSize.
  std::pair<uint64_t, uint64_t> RandomRange(const Subject& s) {
    uint64_t start = RandomOffset(s);
    uint64_t len;
    const uint64_t r = Uniform(100);
    if (r < 50) {
      len = (1 + Uniform(16)) * kPage;
    } else if (r < 85) {
      len = (1 + Uniform(4 * VmPageListNode::kPageFanOut)) * kPage;
    } else if (r < 95) {
      len = (1 + Uniform(kWindow / kPage)) * kPage;
    } else {
      return {start, kMaxSize};
    }
    if (start >= kMaxSize - kPage) {
      start = kMaxSize - kPage;
    }
    return {start, start + std::min(len, kMaxSize - start)};
  }

  // Fresh content for a slot: a page, a reference or a marker, with random split bits.
  Content NewContent() {
    const uint64_t r = Uniform(10);
    if (r < 5) {
      vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
      EXPECT_NE(page, nullptr) << Where();
      return Content::Page(page, Chance(0.2), Chance(0.2));
    }
    if (r < 8) {
      return Content::Reference(vmpl::PageAllocator::Get().AllocReference(), Chance(0.2),
                                Chance(0.2));
    }
    return Content::Marker();
  }

  std::string Where() const {
    return "seed " + std::to_string(seed_) + ", step " + std::to_string(step_) + ", op " +
           op_name_ + ", list " + std::to_string(current_);
  }

  // ---- Checks.

  void CheckSubject(size_t index) {
    const Subject& s = subjects_[index];
    const std::string where = Where() + " (checking list " + std::to_string(index) + ")";
    const auto violations = vmpl::Validate(*s.list);
    EXPECT_TRUE(violations.empty()) << where << Violations(violations);
    const auto populated = s.model.Populated(0, UINT64_MAX);
    const std::string diff = CompareListWithPopulated(*s.list, s.model, populated);
    EXPECT_EQ(diff, "") << where;
    EXPECT_EQ(s.list->HeapAllocationBytes(), s.model.NodeCount(populated) * 176) << where;
    EXPECT_EQ(s.list->IsEmpty(), s.model.IsEmpty()) << where;
    EXPECT_EQ(s.list->HasNoPageOrRef(), s.model.HasNoPageOrRef()) << where;
    EXPECT_EQ(s.list->GetSkew(), s.model.skew()) << where;
  }

  void ExpectSlot(const VmPageOrMarker& real, const Slot& expected, uint64_t offset) {
    const std::string mismatch = SlotMismatch(real, expected);
    EXPECT_EQ(mismatch, "") << Where() << " at offset " << Hex(offset);
  }

  // ---- Epochs.

  void StartEpoch() {
    next_epoch_ = step_ + 200 + Uniform(3000);
    intervals_enabled_ = Chance(0.65);
    if (!intervals_enabled_) {
      // Interval-free epoch: clear every interval with a RemovePages walk over everything.
      for (size_t i = 0; i < subjects_.size(); i++) {
        current_ = i;
        op_name_ = "RemovePages (clear intervals)";
        WalkOptions options;
        options.take_content = 0.0;
        options.remove_interval = 1.0;
        options.allow_stop = false;
        DoRemoveWalk(subjects_[i], 0, kMaxSize, options);
      }
    }
  }

  // ---- Operations.

  void DoRandomOp() {
    current_ = Uniform(subjects_.size());
    Subject& s = subjects_[current_];
    const size_t populated = s.model.content.size() + s.model.intervals.size();
    Op op;
    if (populated > 350 && Chance(0.3)) {
      op = Op::kRemovePages;  // keep the lists small
    } else {
      op = static_cast<Op>(intervals_enabled_ ? interval_ops_(rng_) : plain_ops_(rng_));
    }
    switch (op) {
      case Op::kLookupOrAllocate:
        op_name_ = "LookupOrAllocate";
        DoLookupOrAllocate(s);
        break;
      case Op::kRemoveContent:
        op_name_ = "RemoveContent";
        DoRemoveContent(s);
        break;
      case Op::kRemovePages:
      case Op::kRemovePagesAndIterateGaps: {
        const bool gaps = op == Op::kRemovePagesAndIterateGaps;
        op_name_ = gaps ? "RemovePagesAndIterateGaps" : "RemovePages";
        auto [start, end] = RandomRange(s);
        WalkOptions options;
        options.take_content = Chance(0.3) ? 1.0 : Real();
        options.remove_interval = Chance(0.5) ? 0.0 : Real();
        options.with_gaps = gaps;
        DoRemoveWalk(s, start, end, options);
        break;
      }
      case Op::kAddZeroInterval:
        op_name_ = "AddZeroInterval";
        DoAddZeroInterval(s);
        break;
      case Op::kPopulateSlots:
        op_name_ = "PopulateSlotsInInterval";
        DoPopulateSlots(s);
        break;
      case Op::kClipStart:
        op_name_ = "ClipIntervalStart";
        DoClip(s, /*start=*/true);
        break;
      case Op::kClipEnd:
        op_name_ = "ClipIntervalEnd";
        DoClip(s, /*start=*/false);
        break;
      case Op::kReplacePage:
        op_name_ = "ReplacePageWithZeroInterval";
        DoReplacePage(s);
        break;
      case Op::kLookupMutable:
        op_name_ = "LookupMutable";
        DoLookupMutable(s);
        break;
      case Op::kMutableWalk:
        op_name_ = "ForEveryPage(InRange)Mutable";
        DoMutableWalk(s);
        break;
      case Op::kCursor:
        op_name_ = "LookupMutableCursor";
        DoCursor(s, /*mutate=*/true);
        break;
      case Op::kTakePages:
        op_name_ = "TakePages";
        DoTakePages();
        break;
      case Op::kSpliceAppend:
        op_name_ = "VmPageSpliceList::Append";
        DoSpliceAppend();
        break;
      case Op::kMergeFrom:
        op_name_ = "MergeFrom";
        DoMergeFrom();
        break;
      case Op::kMergeOnto:
        op_name_ = "MergeOnto";
        DoMergeOnto();
        break;
      case Op::kReset:
        op_name_ = "RemoveAllContent";
        Count("RemoveAllContent + InitializeSkew");
        FreeSubject(current_);
        MakeList(s, RandomSkew(&subjects_[1 - current_]));
        break;
      case Op::kCount:
        break;
    }
  }

  // Frees everything in subject |index| with RemoveAllContent and checks what came back.
  void FreeSubject(size_t index) {
    Subject& s = subjects_[index];
    size_t pages = 0;
    size_t refs = 0;
    for (const auto& [offset, c] : s.model.content) {
      pages += c.IsPage();
      refs += c.IsReference();
    }
    auto& pmm = vmpl::PageAllocator::Get();
    const size_t pages_before = pmm.pages_outstanding();
    const size_t refs_before = pmm.references_outstanding();
    size_t calls = 0;
    s.list->RemoveAllContent([&calls](VmPageOrMarker&& p) {
      calls++;
      FreeContent(p);
    });
    EXPECT_EQ(calls, pages + refs) << Where();
    EXPECT_EQ(pmm.pages_outstanding(), pages_before - pages) << Where();
    EXPECT_EQ(pmm.references_outstanding(), refs_before - refs) << Where();
    EXPECT_TRUE(s.list->IsEmpty()) << Where();
    EXPECT_EQ(s.list->HeapAllocationBytes(), 0u) << Where();
    s.model.content.clear();
    s.model.intervals.clear();
    s.touched = true;
  }

  void DoLookupOrAllocate(Subject& s) {
    PageListModel& m = s.model;
    const uint64_t off = RandomOffset(s);
    IntervalHandling mode;
    if (m.intervals.empty()) {
      mode = static_cast<IntervalHandling>(Uniform(3));
    } else {
      mode = Chance(0.5) ? IntervalHandling::CheckForInterval : IntervalHandling::SplitInterval;
    }
    op_name_ = std::string("LookupOrAllocate(") +
               (mode == IntervalHandling::NoIntervals        ? "NoIntervals"
                : mode == IntervalHandling::CheckForInterval ? "CheckForInterval"
                                                             : "SplitInterval") +
               ") at " + Hex(off);
    const bool in_interval = m.InInterval(off);
    auto [slot, found] = s.list->LookupOrAllocate(off, mode);
    Count(std::string("LookupOrAllocate ") +
          (mode == IntervalHandling::NoIntervals        ? "NoIntervals"
           : mode == IntervalHandling::CheckForInterval ? "CheckForInterval"
                                                        : "SplitInterval") +
          (!m.IsValidOffset(off) ? " beyond MAX_SIZE"
           : in_interval         ? " in interval"
                                 : ""));
    if (!m.IsValidOffset(off)) {
      EXPECT_EQ(slot, nullptr) << Where();
      EXPECT_FALSE(found) << Where();
      return;
    }
    EXPECT_EQ(found, in_interval) << Where();
    if (mode == IntervalHandling::CheckForInterval && in_interval) {
      EXPECT_EQ(slot, nullptr) << Where();
      return;
    }
    if (slot == nullptr) {
      ADD_FAILURE() << Where() << ": no slot returned";
      return;
    }
    s.touched = true;
    if (in_interval) {
      m.SplitInterval(off);
    }
    const Slot before = m.At(off);
    ExpectSlot(*slot, before, off);
    switch (before.kind) {
      case Slot::Kind::kContent:
        if (before.content.IsPageOrRef()) {
          // Occupied slots may not be overwritten; flip a split bit through the slot instead.
          if (Chance(0.3)) {
            const bool value = Chance(0.5);
            slot->SetPageOrRefRightSplit(value);
            m.content[off].right_split = value;
          }
        } else if (Chance(0.5)) {
          const Content c = NewContent();
          *slot = ToReal(c);
          m.content[off] = c;
        }
        return;
      case Slot::Kind::kEmpty:
        if (Chance(0.8)) {
          const Content c = NewContent();
          *slot = ToReal(c);
          m.content[off] = c;
        } else {
          s.list->ReturnEmptySlot(off);
          Count("ReturnEmptySlot");
        }
        return;
      case Slot::Kind::kIntervalSlot:
        if (Chance(0.7)) {
          const Content c = NewContent();
          *slot = ToReal(c);
          m.intervals.erase(off);
          m.content[off] = c;
        } else {
          s.list->ReturnIntervalSlot(off);
          m.ReturnIntervalSlot(off);
          Count("ReturnIntervalSlot after split");
        }
        return;
      default:
        ADD_FAILURE() << Where() << ": model slot " << before.ToString() << " after lookup";
        return;
    }
  }

  void DoRemoveContent(Subject& s) {
    PageListModel& m = s.model;
    const uint64_t off =
        (!m.content.empty() && Chance(0.7))
            ? std::next(m.content.begin(), static_cast<ptrdiff_t>(Uniform(m.content.size())))->first
            : RandomOffset(s);
    const Slot before = m.At(off);
    if (before.IsSentinel()) {
      return;  // removing one sentinel would leave half an interval behind
    }
    op_name_ = "RemoveContent at " + Hex(off);
    VmPageOrMarker got = s.list->RemoveContent(off);
    Count("RemoveContent");
    ExpectSlot(got, before, off);
    FreeContent(got);
    m.content.erase(off);
    s.touched = true;
  }

  struct WalkOptions {
    double take_content = 0.0;     // chance that the callback takes a page, reference or marker
    double remove_interval = 0.0;  // chance that an interval wholly in range is removed
    bool with_gaps = false;        // RemovePagesAndIterateGaps instead of RemovePages
    bool allow_stop = true;        // the callbacks may stop the walk (STOP or an error)
    bool mutate = true;            // RemovePages*; false: the const ForEveryPageAndGapInRange
  };

  // Expected events for a walk over [start, end): populated slots (and gaps if |with_gaps|).
  std::vector<WalkEvent> ExpectedWalk(const PageListModel& m, uint64_t start, uint64_t end,
                                      bool with_gaps) {
    std::vector<WalkEvent> events;
    for (auto& [offset, slot] : m.Populated(start, end)) {
      events.push_back(WalkEvent{false, offset, 0, slot, false});
    }
    if (with_gaps) {
      for (auto& [a, b] : m.Gaps(start, end)) {
        events.push_back(WalkEvent{true, a, b, Slot(), false});
      }
      std::sort(events.begin(), events.end(),
                [](const WalkEvent& a, const WalkEvent& b) { return a.offset < b.offset; });
    }
    return events;
  }

  // RemovePages / RemovePagesAndIterateGaps / ForEveryPageAndGapInRange over [start, end), with
  // the callbacks checking every call against the model and taking content and whole intervals
  // as |options| says.
  void DoRemoveWalk(Subject& s, uint64_t start, uint64_t end, const WalkOptions& options) {
    PageListModel& m = s.model;
    const bool gaps = options.with_gaps || !options.mutate;
    std::vector<WalkEvent> events = ExpectedWalk(m, start, end, gaps);
    if (options.mutate) {
      std::set<uint64_t> removed_intervals;
      for (const auto& [first, interval] : m.intervals) {
        if (first >= start && interval.end <= end && Chance(options.remove_interval)) {
          removed_intervals.insert(first);
        }
      }
      for (WalkEvent& e : events) {
        if (e.is_gap) {
          continue;
        }
        e.take = e.slot.IsSentinel() ? removed_intervals.count(e.slot.interval_start) != 0
                                     : Chance(options.take_content);
      }
    }
    size_t stop_at = events.size();
    zx_status_t stop_status = ZX_ERR_STOP;
    if (options.allow_stop && !events.empty() && Chance(0.25)) {
      stop_at = Uniform(events.size());
      // Never stop between the Start and the End of an interval being removed.
      if (!events[stop_at].is_gap && events[stop_at].take &&
          events[stop_at].slot.kind == Slot::Kind::kIntervalStart) {
        stop_at++;
      }
      stop_status = Chance(0.5) ? ZX_ERR_STOP : ZX_ERR_BAD_STATE;
    }
    op_name_ += " [" + Hex(start) + ", " + Hex(end) + ")";

    size_t next = 0;
    std::string failure;
    auto page_fn = [&](auto p, uint64_t off) -> zx_status_t {
      if (next >= events.size() || events[next].is_gap || events[next].offset != off) {
        failure =
            "unexpected slot callback at " + Hex(off) + " (event " + std::to_string(next) + ")";
        return ZX_ERR_INTERNAL;
      }
      const std::string mismatch = SlotMismatch(*p, events[next].slot);
      if (!mismatch.empty() && failure.empty()) {
        failure = "at " + Hex(off) + ": " + mismatch;
      }
      if constexpr (std::is_same_v<decltype(p), VmPageOrMarker*>) {
        if (events[next].take) {
          if (p->IsInterval()) {
            *p = VmPageOrMarker::Empty();
          } else {
            FreeContent(*p);
          }
        }
      }
      const size_t index = next++;
      return index == stop_at ? stop_status : ZX_ERR_NEXT;
    };
    auto gap_fn = [&](uint64_t gap_start, uint64_t gap_end) -> zx_status_t {
      if (next >= events.size() || !events[next].is_gap || events[next].offset != gap_start ||
          events[next].gap_end != gap_end) {
        failure = "unexpected gap callback [" + Hex(gap_start) + ", " + Hex(gap_end) + ") (event " +
                  std::to_string(next) + ")";
        return ZX_ERR_INTERNAL;
      }
      const size_t index = next++;
      return index == stop_at ? stop_status : ZX_ERR_NEXT;
    };

    Count(std::string(!options.mutate     ? "ForEveryPageAndGapInRange"
                      : options.with_gaps ? "RemovePagesAndIterateGaps"
                                          : "RemovePages") +
          (stop_at < events.size() ? (stop_status == ZX_ERR_STOP ? " (STOP)" : " (error)") : ""));
    zx_status_t status = ZX_OK;
    if (!options.mutate) {
      status = s.list->ForEveryPageAndGapInRange(
          [&](const VmPageOrMarker* p, uint64_t off) { return page_fn(p, off); }, gap_fn, start,
          end);
    } else if (options.with_gaps) {
      status = s.list->RemovePagesAndIterateGaps(
          [&](VmPageOrMarker* p, uint64_t off) { return page_fn(p, off); }, gap_fn, start, end);
    } else {
      s.list->RemovePages([&](VmPageOrMarker* p, uint64_t off) { return page_fn(p, off); }, start,
                          end);
    }
    EXPECT_EQ(failure, "") << Where();
    const size_t expected_calls = stop_at < events.size() ? stop_at + 1 : events.size();
    EXPECT_EQ(next, expected_calls) << Where() << " (callbacks made)";
    if (gaps) {
      const zx_status_t expected_status =
          stop_at < events.size() && stop_status != ZX_ERR_STOP ? stop_status : ZX_OK;
      EXPECT_EQ(status, expected_status) << Where();
    }
    if (!options.mutate) {
      return;
    }
    s.touched = true;
    for (size_t i = 0; i < std::min(next, events.size()); i++) {
      const WalkEvent& e = events[i];
      if (e.is_gap || !e.take) {
        continue;
      }
      if (e.slot.IsContent()) {
        m.content.erase(e.offset);
      } else if (e.slot.kind != Slot::Kind::kIntervalStart) {
        m.intervals.erase(e.slot.interval_start);
      }
    }
  }

  void DoAddZeroInterval(Subject& s) {
    PageListModel& m = s.model;
    uint64_t start = 0;
    bool found = false;
    for (int attempt = 0; attempt < 8 && !found; attempt++) {
      start = RandomOffset(s);
      found = m.IsValidOffset(start) && m.NextCovered(start) != start;
    }
    if (!found) {
      return;
    }
    // First offset whose node key reaches MAX_SIZE.
    const uint64_t first_invalid = kMaxSize - m.skew();
    const uint64_t limit = std::min(m.NextCovered(start), first_invalid);
    const uint64_t max_pages = (limit - start) / kPage;
    uint64_t pages;
    const uint64_t r = Uniform(100);
    if (r < 50) {
      pages = 1 + Uniform(4);
    } else if (r < 80) {
      pages = 1 + Uniform(3 * VmPageListNode::kPageFanOut);
    } else if (r < 95) {
      pages = 1 + Uniform(std::min(max_pages, kWindow / kPage));
    } else {
      pages = max_pages;
    }
    pages = std::min(pages, max_pages);
    const uint64_t end = start + pages * kPage;
    op_name_ = "AddZeroInterval [" + Hex(start) + ", " + Hex(end) + ")";
    EXPECT_EQ(s.list->AddZeroInterval(start, end, DirtyState::Dirty), ZX_OK) << Where();
    Count("AddZeroInterval");
    m.AddZeroInterval(start, end, DirtyState::Dirty, 0);
    s.touched = true;
  }

  // A random interval of |m| (which must have one).
  PageListModel::IntervalMap::const_iterator RandomInterval(const PageListModel& m) {
    return std::next(m.intervals.begin(), static_cast<ptrdiff_t>(Uniform(m.intervals.size())));
  }

  void DoPopulateSlots(Subject& s) {
    PageListModel& m = s.model;
    if (m.intervals.empty()) {
      return;
    }
    auto it = RandomInterval(m);
    const uint64_t first = it->first;
    const uint64_t pages = (it->second.end - first) / kPage;
    // A sub-range of at most 40 pages, often at either end of the interval.
    uint64_t start_page;
    const uint64_t r = Uniform(3);
    if (r == 0) {
      start_page = 0;
    } else if (r == 1) {
      start_page = pages - 1 - Uniform(std::min<uint64_t>(pages, 40));
    } else {
      start_page = Uniform(std::min<uint64_t>(pages, 4 * VmPageListNode::kPageFanOut));
    }
    const uint64_t count = 1 + Uniform(std::min<uint64_t>(pages - start_page, 40));
    const uint64_t start = first + start_page * kPage;
    const uint64_t end = start + count * kPage;
    op_name_ = "PopulateSlotsInInterval [" + Hex(start) + ", " + Hex(end) + ")";
    EXPECT_EQ(s.list->PopulateSlotsInInterval(start, end), ZX_OK) << Where();
    Count(count > VmPageListNode::kPageFanOut ? "PopulateSlotsInInterval (> 1 node)"
                                              : "PopulateSlotsInInterval");
    m.PopulateSlotsInInterval(start, end);
    s.touched = true;
    // The slots are not maximal intervals yet, so no Validate here; but the contents must agree.
    EXPECT_EQ(CompareListWithModel(*s.list, m), "") << Where() << " (right after populating)";
    if (::testing::Test::HasFailure()) {
      return;
    }
    std::vector<uint64_t> offsets;
    for (uint64_t off = start; off < end; off += kPage) {
      offsets.push_back(off);
    }
    std::shuffle(offsets.begin(), offsets.end(), rng_);
    const double fill = Real();
    for (uint64_t off : offsets) {
      if (Chance(fill)) {
        // Fill: the slot may have been merged into a returned neighbour since; split it again.
        auto [slot, in] = s.list->LookupOrAllocate(off, IntervalHandling::SplitInterval);
        EXPECT_TRUE(in) << Where() << " filling " << Hex(off);
        if (slot == nullptr) {
          ADD_FAILURE() << Where() << ": no slot to fill at " << Hex(off);
          return;
        }
        m.SplitInterval(off);
        ExpectSlot(*slot, m.At(off), off);
        const Content c = NewContent();
        *slot = ToReal(c);
        m.intervals.erase(off);
        m.content[off] = c;
      } else {
        // Give the slot back. If returning a neighbour already merged it into an interval, split
        // it out again first: a return merges only with the sentinels right beside it, so
        // skipping it could leave two touching intervals behind.
        if (m.At(off).kind != Slot::Kind::kIntervalSlot) {
          auto [slot, in] = s.list->LookupOrAllocate(off, IntervalHandling::SplitInterval);
          EXPECT_TRUE(in) << Where() << " re-splitting " << Hex(off);
          if (slot == nullptr) {
            ADD_FAILURE() << Where() << ": no slot to return at " << Hex(off);
            return;
          }
          m.SplitInterval(off);
          ExpectSlot(*slot, m.At(off), off);
          Count("ReturnIntervalSlot after populate (re-split)");
        } else {
          Count("ReturnIntervalSlot after populate");
        }
        s.list->ReturnIntervalSlot(off);
        m.ReturnIntervalSlot(off);
      }
    }
  }

  void DoClip(Subject& s, bool clip_start) {
    PageListModel& m = s.model;
    if (m.intervals.empty()) {
      return;
    }
    auto it = RandomInterval(m);
    const uint64_t first = it->first;
    const uint64_t last = it->second.end - kPage;
    const uint64_t pages = (it->second.end - first) / kPage;
    if (pages < 2) {
      return;
    }
    uint64_t len = 0;
    if (!Chance(0.05)) {
      len = (1 + (Chance(0.7) ? Uniform(std::min<uint64_t>(pages - 1, 20)) : Uniform(pages - 1))) *
            kPage;
    }
    if (clip_start) {
      op_name_ = "ClipIntervalStart(" + Hex(first) + ", " + Hex(len) + ")";
      EXPECT_EQ(s.list->ClipIntervalStart(first, len), ZX_OK) << Where();
      Count("ClipIntervalStart");
      m.ClipIntervalStart(first, len);
    } else {
      op_name_ = "ClipIntervalEnd(" + Hex(last) + ", " + Hex(len) + ")";
      EXPECT_EQ(s.list->ClipIntervalEnd(last, len), ZX_OK) << Where();
      Count("ClipIntervalEnd");
      m.ClipIntervalEnd(last, len);
    }
    s.touched = true;
  }

  void DoReplacePage(Subject& s) {
    PageListModel& m = s.model;
    std::vector<uint64_t> pages;
    for (const auto& [offset, c] : m.content) {
      if (c.IsPage()) {
        pages.push_back(offset);
      }
    }
    if (pages.empty()) {
      return;
    }
    const uint64_t off = pages[Uniform(pages.size())];
    op_name_ = "ReplacePageWithZeroInterval at " + Hex(off);
    vm_page_t* expected = m.content[off].page;
    vm_page_t* got = s.list->ReplacePageWithZeroInterval(off, DirtyState::Dirty);
    Count("ReplacePageWithZeroInterval");
    EXPECT_EQ(got, expected) << Where();
    if (got != nullptr) {
      pmm_free_page(got);
    }
    m.ReplacePageWithZeroInterval(off, DirtyState::Dirty);
    s.touched = true;
  }

  // A random awaiting-clean length for the interval starting at |first|.
  uint64_t RandomAcl(const PageListModel& m, uint64_t first) {
    const uint64_t pages = (m.intervals.at(first).end - first) / kPage;
    const uint64_t r = Uniform(10);
    if (r < 2) {
      return 0;
    }
    if (r < 9) {
      return (1 + Uniform(std::min<uint64_t>(pages, 64) + 2)) * kPage;
    }
    return (1 + Uniform(1000)) * kPage;
  }

  // Mutations the limited VmPageOrMarkerRef interface allows on the slot at |off|.
  void MutateThroughRef(Subject& s, VmPageOrMarkerRef ref, uint64_t off) {
    PageListModel& m = s.model;
    const Slot before = m.At(off);
    auto& pmm = vmpl::PageAllocator::Get();
    if (before.IsContent() && before.content.IsPage()) {
      Content& c = m.content[off];
      switch (Uniform(3)) {
        case 0: {
          const uint64_t value = pmm.AllocReference();
          vm_page_t* old = ref.SwapPageForReference(VmPageOrMarker::ReferenceValue(value));
          Count("SwapPageForReference");
          EXPECT_EQ(old, c.page) << Where();
          if (old != nullptr) {
            EXPECT_EQ(old->object.cow_left_split, 0) << Where() << " split bits not moved";
            EXPECT_EQ(old->object.cow_right_split, 0) << Where() << " split bits not moved";
            pmm_free_page(old);
          }
          c = Content::Reference(value, c.left_split, c.right_split);
          break;
        }
        case 1:
          c.left_split = Chance(0.5);
          ref.SetPageOrRefLeftSplit(c.left_split);
          break;
        default:
          c.right_split = Chance(0.5);
          ref.SetPageOrRefRightSplit(c.right_split);
          break;
      }
    } else if (before.IsContent() && before.content.IsReference()) {
      Content& c = m.content[off];
      switch (Uniform(4)) {
        case 0: {
          vm_page_t* page = pmm.AllocPage();
          const VmPageOrMarker::ReferenceValue old = ref.SwapReferenceForPage(page);
          Count("SwapReferenceForPage");
          EXPECT_EQ(old.value(), c.reference) << Where();
          pmm.FreeReference(old.value());
          c = Content::Page(page, c.left_split, c.right_split);
          break;
        }
        case 1: {
          const uint64_t value = pmm.AllocReference();
          const VmPageOrMarker::ReferenceValue old =
              ref.ChangeReferenceValue(VmPageOrMarker::ReferenceValue(value));
          Count("ChangeReferenceValue");
          EXPECT_EQ(old.value(), c.reference) << Where();
          pmm.FreeReference(old.value());
          c.reference = value;
          break;
        }
        case 2:
          c.left_split = Chance(0.5);
          ref.SetPageOrRefLeftSplit(c.left_split);
          break;
        default:
          c.right_split = Chance(0.5);
          ref.SetPageOrRefRightSplit(c.right_split);
          break;
      }
    } else if (before.CarriesAcl()) {
      const uint64_t acl = RandomAcl(m, before.interval_start);
      ref.SetZeroIntervalAwaitingCleanLength(acl);
      Count("SetZeroIntervalAwaitingCleanLength");
      m.intervals[before.interval_start].awaiting_clean_len = acl;
    }
    s.touched = true;
  }

  void DoLookupMutable(Subject& s) {
    const PageListModel& m = s.model;
    const uint64_t off = (!m.IsEmpty() && Chance(0.8)) ? RandomPopulated(m) : RandomOffset(s);
    op_name_ = "LookupMutable at " + Hex(off);
    VmPageOrMarkerRef ref = s.list->LookupMutable(off);
    EXPECT_EQ(static_cast<bool>(ref), m.HasNode(off)) << Where();
    if (!ref) {
      return;
    }
    ExpectSlot(*ref, m.At(off), off);
    MutateThroughRef(s, ref, off);
  }

  void DoMutableWalk(Subject& s) {
    const bool whole = Chance(0.2);
    auto [start, end] = whole ? std::pair<uint64_t, uint64_t>{0, UINT64_MAX} : RandomRange(s);
    const auto entries = s.model.Populated(start, end);
    size_t next = 0;
    std::string failure;
    auto fn = [&](VmPageOrMarkerRef p, uint64_t off) -> zx_status_t {
      if (next >= entries.size() || entries[next].first != off) {
        failure = "unexpected callback at " + Hex(off);
        return ZX_ERR_INTERNAL;
      }
      const std::string mismatch = SlotMismatch(*p, entries[next].second);
      if (!mismatch.empty() && failure.empty()) {
        failure = "at " + Hex(off) + ": " + mismatch;
      }
      next++;
      if (Chance(0.3)) {
        MutateThroughRef(s, p, off);
      }
      return ZX_ERR_NEXT;
    };
    zx_status_t status;
    Count(whole ? "ForEveryPageMutable" : "ForEveryPageInRangeMutable");
    if (whole) {
      op_name_ = "ForEveryPageMutable";
      status = s.list->ForEveryPageMutable(fn);
    } else {
      op_name_ = "ForEveryPageInRangeMutable [" + Hex(start) + ", " + Hex(end) + ")";
      status = s.list->ForEveryPageInRangeMutable(fn, start, end);
    }
    EXPECT_EQ(status, ZX_OK) << Where();
    EXPECT_EQ(failure, "") << Where();
    EXPECT_EQ(next, entries.size()) << Where();
    s.touched = true;
  }

  // LookupMutableCursor at a random offset: steps or ForEveryContiguous, checking each slot and,
  // if |mutate|, changing some through the cursor.
  void DoCursor(Subject& s, bool mutate) {
    const PageListModel& m = s.model;
    const uint64_t off = (!m.IsEmpty() && Chance(0.6)) ? RandomPopulated(m) : RandomOffset(s);
    op_name_ = std::string(mutate ? "LookupMutableCursor" : "cursor query") + " at " + Hex(off);
    VMPLCursor cursor = s.list->LookupMutableCursor(off);
    Count(mutate ? "LookupMutableCursor (mutating)" : "LookupMutableCursor");
    // Number of slots the cursor can visit from |off|, capped.
    const uint64_t cap = 1 + Uniform(80);
    uint64_t reachable = 0;
    while (reachable < cap) {
      const uint64_t o = off + reachable * kPage;
      const bool same_node = reachable > 0 && m.NodeKey(o) == m.NodeKey(o - kPage);
      if (!same_node && !m.HasNode(o)) {
        break;
      }
      reachable++;
    }
    EXPECT_EQ(static_cast<bool>(cursor.current()), reachable > 0) << Where();
    if (Chance(0.5)) {
      for (uint64_t i = 0; i < cap; i++) {
        const uint64_t o = off + i * kPage;
        VmPageOrMarkerRef cur = cursor.current();
        EXPECT_EQ(static_cast<bool>(cur), i < reachable) << Where() << " step " << i;
        if (!cur || i >= reachable) {
          break;
        }
        ExpectSlot(*cur, m.At(o), o);
        if (mutate && Chance(0.2)) {
          MutateThroughRef(s, cur, o);
        }
        cursor.step();
      }
    } else {
      const uint64_t stop_at = Uniform(cap);
      uint64_t calls = 0;
      std::string failure;
      const zx_status_t status = cursor.ForEveryContiguous([&](VmPageOrMarkerRef cur) {
        const uint64_t o = off + calls * kPage;
        const std::string mismatch = SlotMismatch(*cur, m.At(o));
        if (!mismatch.empty() && failure.empty()) {
          failure = "at " + Hex(o) + ": " + mismatch;
        }
        if (mutate && Chance(0.2)) {
          MutateThroughRef(s, cur, o);
        }
        return calls++ == stop_at ? ZX_ERR_STOP : ZX_ERR_NEXT;
      });
      EXPECT_EQ(status, ZX_OK) << Where();
      EXPECT_EQ(failure, "") << Where();
      if (stop_at < reachable) {
        EXPECT_EQ(calls, stop_at + 1) << Where();
        // STOP leaves the cursor on the entry that stopped.
        VmPageOrMarkerRef cur = cursor.current();
        EXPECT_TRUE(cur) << Where();
        if (cur) {
          ExpectSlot(*cur, m.At(off + stop_at * kPage), off + stop_at * kPage);
        }
      } else {
        // The walk ran out of contiguous slots before reaching stop_at.
        EXPECT_EQ(calls, reachable) << Where();
      }
    }
  }

  // Pops every entry of |splice| (expected to hold |expected|, one slot per page) up to |pops|,
  // checking PeekReference and Pop against it and placing what comes out in |dest| at
  // |dest_base| + index when that slot is free, else freeing it. Then destroys the splice list
  // and checks that it freed exactly what was left in it.
  void PopSplice(VmPageSpliceList splice, const std::vector<Slot>& expected, size_t pops,
                 Subject& dest, uint64_t dest_base) {
    PageListModel& dm = dest.model;
    EXPECT_TRUE(splice.IsFinalized()) << Where();
    EXPECT_EQ(splice.Position(), 0u) << Where();
    const auto violations = vmpl::Validate(splice);
    EXPECT_TRUE(violations.empty()) << Where() << Violations(violations);
    for (size_t i = 0; i < pops; i++) {
      EXPECT_EQ(splice.Position(), i * kPage) << Where() << " pop " << i;
      EXPECT_FALSE(splice.IsProcessed()) << Where() << " pop " << i;
      VmPageOrMarkerRef peek = splice.PeekReference();
      const Slot& want = expected[i];
      const bool is_ref = want.IsContent() && want.content.IsReference();
      EXPECT_EQ(static_cast<bool>(peek), is_ref) << Where() << " peek " << i;
      if (peek && is_ref) {
        EXPECT_EQ(peek->Reference().value(), want.content.reference) << Where() << " peek " << i;
      }
      VmPageOrMarker item = splice.Pop();
      ExpectSlot(item, want, i);
      const uint64_t target = dest_base + i * kPage;
      if (!item.IsEmpty() && dm.IsValidOffset(target) && dm.At(target).IsEmpty() &&
          !dm.InInterval(target)) {
        auto [slot, in] = dest.list->LookupOrAllocate(
            target, dm.intervals.empty() ? IntervalHandling::NoIntervals
                                         : IntervalHandling::CheckForInterval);
        EXPECT_FALSE(in) << Where();
        if (slot == nullptr) {
          ADD_FAILURE() << Where() << ": no slot at " << Hex(target);
          FreeContent(item);
          continue;
        }
        EXPECT_TRUE(slot->IsEmpty()) << Where();
        dm.content[target] = DecodeSlot(item).content;
        *slot = std::move(item);
        dest.touched = true;
      } else {
        FreeContent(item);
      }
    }
    if (pops == expected.size()) {
      EXPECT_TRUE(splice.IsProcessed()) << Where();
    }
    size_t pages_left = 0;
    size_t refs_left = 0;
    for (size_t i = pops; i < expected.size(); i++) {
      pages_left += expected[i].IsContent() && expected[i].content.IsPage();
      refs_left += expected[i].IsContent() && expected[i].content.IsReference();
    }
    auto& pmm = vmpl::PageAllocator::Get();
    const size_t pages_before = pmm.pages_outstanding();
    const size_t refs_before = pmm.references_outstanding();
    { VmPageSpliceList doomed = std::move(splice); }
    EXPECT_EQ(pmm.pages_outstanding(), pages_before - pages_left) << Where() << " after destroy";
    EXPECT_EQ(pmm.references_outstanding(), refs_before - refs_left) << Where() << " after destroy";
  }

  void DoTakePages() {
    // TakePages requires a list with skew 0.
    std::vector<size_t> candidates;
    for (size_t i = 0; i < subjects_.size(); i++) {
      if (subjects_[i].model.skew() == 0) {
        candidates.push_back(i);
      }
    }
    if (candidates.empty()) {
      Subject& other = subjects_[1 - current_];
      if (other.model.IsEmpty()) {
        MakeList(other, 0);
        candidates.push_back(1 - current_);
      } else {
        return;
      }
    }
    current_ = candidates[Uniform(candidates.size())];
    Subject& s = subjects_[current_];
    PageListModel& m = s.model;
    uint64_t start = 0;
    uint64_t end = 0;
    bool found = false;
    for (int attempt = 0; attempt < 8 && !found; attempt++) {
      start = RandomOffset(s);
      if (m.InInterval(start)) {
        continue;
      }
      const uint64_t pages = Chance(0.6) ? 1 + Uniform(2 * VmPageListNode::kPageFanOut)
                                         : 1 + Uniform(24 * VmPageListNode::kPageFanOut);
      end = start + std::min(pages * kPage, kMaxSize - start);
      // No interval may overlap the range: stop before the first one.
      auto next = m.intervals.lower_bound(start);
      if (next != m.intervals.end()) {
        end = std::min(end, next->first);
      }
      found = end > start;
    }
    if (!found) {
      return;
    }
    op_name_ = "TakePages [" + Hex(start) + ", " + Hex(end) + ")";
    std::vector<Slot> expected;
    bool any = false;
    for (uint64_t off = start; off < end; off += kPage) {
      expected.push_back(m.At(off));
      any = any || !expected.back().IsEmpty();
    }
    VmPageSpliceList splice = s.list->TakePages(start, end - start);
    Count("TakePages");
    for (uint64_t off = start; off < end; off += kPage) {
      m.content.erase(off);
    }
    s.touched = true;
    EXPECT_EQ(splice.IsEmpty(), !any) << Where();
    const size_t pops = Chance(0.8) ? expected.size() : Uniform(expected.size() + 1);
    Subject& dest = subjects_[Uniform(subjects_.size())];
    const uint64_t dest_base = Chance(0.3) ? start : Uniform(kWindow / kPage) * kPage;
    PopSplice(std::move(splice), expected, pops, dest, dest_base);
  }

  void DoSpliceAppend() {
    const uint64_t offset = Uniform(kWindow / kPage) * kPage;
    const uint64_t pages = 1 + Uniform(3 * VmPageListNode::kPageFanOut);
    const uint64_t skew = Uniform(VmPageListNode::kPageFanOut) * kPage;
    op_name_ = "VmPageSpliceList(" + Hex(offset) + ", " + Hex(pages * kPage) + ", " + Hex(skew) +
               ")::Append";
    VmPageSpliceList splice(offset, pages * kPage, skew);
    EXPECT_FALSE(splice.IsFinalized()) << Where();
    std::vector<Slot> expected;
    bool any = false;
    for (uint64_t i = 0; i < pages; i++) {
      if (Chance(0.3)) {
        EXPECT_EQ(splice.Append(VmPageOrMarker::Empty()), ZX_OK) << Where() << " item " << i;
        expected.push_back(Slot());
      } else {
        const Content c = NewContent();
        EXPECT_EQ(splice.Append(ToReal(c)), ZX_OK) << Where() << " item " << i;
        expected.push_back(Slot::OfContent(c));
        any = true;
      }
    }
    if (any) {
      EXPECT_FALSE(splice.IsEmpty()) << Where();
    }
    splice.Finalize();
    Count("VmPageSpliceList::Append");
    const size_t pops = Chance(0.8) ? expected.size() : Uniform(expected.size() + 1);
    current_ = Uniform(subjects_.size());
    PopSplice(std::move(splice), expected, pops, subjects_[current_],
              Uniform(kWindow / kPage) * kPage);
  }

  // State shared with MergeFrom's callbacks (which may capture only a pointer).
  struct MergeContext {
    DifferentialRun* run;
    const PageListModel* other;
    std::map<uint64_t, Content> released;
    std::map<uint64_t, int> migrate_decision;  // 0 keep, 1 take, 2 flip the left split bit
    std::set<uint64_t> migrated;
    std::string failure;
  };

  void DoMergeFrom() {
    Subject& dst = subjects_[current_];
    Subject& src_subject = subjects_[1 - current_];
    const bool fresh = !src_subject.model.intervals.empty() || Chance(0.5);
    // |offset| maps to 0 in dst: (src.skew + offset) % span must equal dst.skew.
    uint64_t offset;
    Subject temp;
    Subject* src;
    if (fresh) {
      offset = Uniform(kWindowNodes * VmPageListNode::kPageFanOut) * kPage;
      MakeList(temp, (dst.model.skew() + kNodeSpan - offset % kNodeSpan) % kNodeSpan);
      src = &temp;
    } else {
      src = &src_subject;
      offset = Uniform(kWindowNodes) * kNodeSpan +
               (dst.model.skew() + kNodeSpan - src->model.skew()) % kNodeSpan;
    }
    const uint64_t pages =
        Chance(0.6) ? 1 + Uniform(3 * VmPageListNode::kPageFanOut) : 1 + Uniform(kWindow / kPage);
    const uint64_t end = offset + pages * kPage;
    op_name_ = std::string(fresh ? "MergeFrom(fresh list" : "MergeFrom(other list") + ", " +
               Hex(offset) + ", " + Hex(end) + ")";
    if (fresh) {
      // Random content around the range, inside and outside it.
      const uint64_t lo = offset > 2 * kNodeSpan ? offset - 2 * kNodeSpan : 0;
      const uint64_t span_pages = (end + 2 * kNodeSpan - lo) / kPage;
      const uint64_t count = Uniform(48);
      for (uint64_t i = 0; i < count; i++) {
        const uint64_t off = lo + Uniform(span_pages) * kPage;
        if (!temp.model.At(off).IsEmpty()) {
          continue;
        }
        auto [slot, in] = temp.list->LookupOrAllocate(off, IntervalHandling::NoIntervals);
        if (slot == nullptr) {
          ADD_FAILURE() << Where() << ": no slot at " << Hex(off) << " in the fresh list";
          return;
        }
        const Content c = NewContent();
        *slot = ToReal(c);
        temp.model.content[off] = c;
      }
      const auto violations = vmpl::Validate(*temp.list);
      EXPECT_TRUE(violations.empty()) << Where() << Violations(violations);
    }
    // Preconditions (docs/semantics.md section 8): no intervals in the source; none in the nodes of
    // dst that receive content.
    const uint64_t dst_node_end =
        ROUNDUP(dst.model.skew() + pages * kPage, kNodeSpan) - dst.model.skew();
    const bool dst_ok =
        dst.model.intervals.empty() || dst.model.intervals.begin()->first >= dst_node_end;
    if (!src->model.intervals.empty() || !dst_ok) {
      if (fresh) {
        temp.list->RemoveAllContent([](VmPageOrMarker&& p) { FreeContent(p); });
      }
      return;
    }
    MergeContext ctx{this, &src->model, {}, {}, {}, ""};
    std::map<uint64_t, Content> expected_release;
    for (const auto& [o, c] : src->model.content) {
      if (o < offset || o >= end || dst.model.content.count(o - offset) != 0) {
        expected_release[o] = c;
      } else if (c.IsPageOrRef()) {
        ctx.migrate_decision[o] = static_cast<int>(Uniform(3));
      }
    }
    Count(fresh ? "MergeFrom (fresh list)" : "MergeFrom (other list)");
    dst.list->MergeFrom(
        *src->list, offset, end,
        [c = &ctx](VmPageOrMarker&& p, uint64_t o) {
          if (c->released.count(o) != 0) {
            c->failure = "released twice at " + Hex(o);
          }
          c->released[o] = DecodeSlot(p).content;
          FreeContent(p);
        },
        [c = &ctx](VmPageOrMarker* p, uint64_t o) {
          auto it = c->migrate_decision.find(o);
          if (it == c->migrate_decision.end() || c->migrated.count(o) != 0) {
            c->failure = "unexpected migrate_fn call at " + Hex(o);
            return;
          }
          c->migrated.insert(o);
          const std::string mismatch = SlotMismatch(*p, c->other->At(o));
          if (!mismatch.empty()) {
            c->failure = "migrate_fn at " + Hex(o) + ": " + mismatch;
          }
          if (it->second == 1) {
            FreeContent(*p);
          } else if (it->second == 2) {
            p->SetPageOrRefLeftSplit(!p->PageOrRefLeftSplit());
          }
        });
    EXPECT_EQ(ctx.failure, "") << Where();
    EXPECT_EQ(ctx.released.size(), expected_release.size()) << Where();
    for (const auto& [o, c] : expected_release) {
      auto it = ctx.released.find(o);
      if (it == ctx.released.end()) {
        ADD_FAILURE() << Where() << ": " << c.ToString() << " at " << Hex(o) << " not released";
        break;
      }
      EXPECT_EQ(it->second, c) << Where() << " released at " << Hex(o);
    }
    EXPECT_EQ(ctx.migrated.size(), ctx.migrate_decision.size()) << Where();
    EXPECT_TRUE(src->list->IsEmpty()) << Where() << " (source not empty after MergeFrom)";
    EXPECT_EQ(src->list->HeapAllocationBytes(), 0u) << Where();
    // Model: whatever was not released moves to offset - |offset|, minus what migrate_fn took.
    for (const auto& [o, c] : src->model.content) {
      if (expected_release.count(o) != 0) {
        continue;
      }
      Content moved = c;
      auto d = ctx.migrate_decision.find(o);
      if (d != ctx.migrate_decision.end()) {
        if (d->second == 1) {
          continue;
        }
        if (d->second == 2) {
          moved.left_split = !moved.left_split;
        }
      }
      dst.model.content[o - offset] = moved;
    }
    src->model.content.clear();
    dst.touched = true;
    src->touched = !fresh;
    if (fresh) {
      const auto violations = vmpl::Validate(*temp.list);
      EXPECT_TRUE(violations.empty()) << Where() << Violations(violations);
    } else if (Chance(0.5)) {
      MakeList(*src, RandomSkew(&dst));
    }
  }

  void DoMergeOnto() {
    Subject& from = subjects_[current_];
    Subject& onto = subjects_[1 - current_];
    if (!from.model.intervals.empty() || !onto.model.intervals.empty()) {
      return;
    }
    if (from.model.skew() != onto.model.skew()) {
      if (!onto.model.IsEmpty()) {
        return;
      }
      MakeList(onto, from.model.skew());
    }
    op_name_ = "MergeOnto";
    std::multiset<std::pair<int, uint64_t>> expected_release;
    auto key = [](const Content& c) {
      return std::pair<int, uint64_t>(
          static_cast<int>(c.kind), c.IsPage() ? reinterpret_cast<uintptr_t>(c.page) : c.reference);
    };
    // On a conflict the item of |this| takes the slot and what |other| held is released
    // (docs/semantics.md section 8.2, as in the kernel's code; the header's note at MergeOnto
    // explains the stale comment).
    for (const auto& [o, c] : from.model.content) {
      auto it = onto.model.content.find(o);
      if (it != onto.model.content.end()) {
        expected_release.insert(key(it->second));
      }
    }
    std::multiset<std::pair<int, uint64_t>> released;
    struct Ctx {
      std::multiset<std::pair<int, uint64_t>>* released;
    } ctx{&released};
    Count("MergeOnto");
    from.list->MergeOnto(*onto.list, [c = &ctx](VmPageOrMarker&& p) {
      const Slot slot = DecodeSlot(p);
      const Content& content = slot.content;
      c->released->insert(std::pair<int, uint64_t>(
          static_cast<int>(content.kind),
          content.IsPage() ? reinterpret_cast<uintptr_t>(content.page) : content.reference));
      FreeContent(p);
    });
    EXPECT_TRUE(released == expected_release) << Where() << " released " << released.size()
                                              << " items, expected " << expected_release.size();
    EXPECT_TRUE(from.list->IsEmpty()) << Where();
    for (const auto& [o, c] : from.model.content) {
      onto.model.content[o] = c;
    }
    from.model.content.clear();
    from.touched = true;
    onto.touched = true;
    if (Chance(0.5)) {
      MakeList(from, RandomSkew(&onto));
    }
  }

  // ---- Queries (no mutation).

  void RandomQuery() {
    const size_t index = Uniform(subjects_.size());
    current_ = index;
    Subject& s = subjects_[index];
    const PageListModel& m = s.model;
    switch (Uniform(8)) {
      case 0: {
        const uint64_t off = RandomOffset(s);
        op_name_ = "Lookup at " + Hex(off);
        const VmPageOrMarker* p = s.list->Lookup(off);
        Count("Lookup");
        EXPECT_EQ(p != nullptr, m.HasNode(off)) << Where();
        if (p != nullptr) {
          ExpectSlot(*p, m.At(off), off);
        }
        break;
      }
      case 1: {
        const uint64_t off = RandomOffset(s);
        op_name_ = "IsOffsetInZeroInterval at " + Hex(off);
        EXPECT_EQ(s.list->IsOffsetInZeroInterval(off), m.InInterval(off)) << Where();
        Count(m.InInterval(off) ? "IsOffsetInZeroInterval (true)" : "IsOffsetInZeroInterval");
        break;
      }
      case 2: {
        auto [start, end] = RandomRange(s);
        op_name_ = "AnyPagesOrIntervalsInRange [" + Hex(start) + ", " + Hex(end) + ")";
        Count("AnyPagesOrIntervalsInRange");
        EXPECT_EQ(s.list->AnyPagesOrIntervalsInRange(start, end),
                  m.AnyPagesOrIntervalsInRange(start, end))
            << Where();
        break;
      }
      case 3:
        QueryForEveryPageInRange(s);
        break;
      case 4: {
        auto [start, end] = RandomRange(s);
        op_name_ = "ForEveryPageAndGapInRange";
        WalkOptions options;
        options.mutate = false;
        DoRemoveWalk(s, start, end, options);
        break;
      }
      case 5:
        QueryContiguousRuns(s);
        break;
      case 6:
        DoCursor(s, /*mutate=*/false);
        break;
      default: {
        const uint64_t off = RandomOffset(s);
        op_name_ = "LookupMutable (query) at " + Hex(off);
        VmPageOrMarkerRef ref = s.list->LookupMutable(off);
        EXPECT_EQ(static_cast<bool>(ref), m.HasNode(off)) << Where();
        if (ref) {
          ExpectSlot(*ref, m.At(off), off);
        }
        break;
      }
    }
  }

  void QueryForEveryPageInRange(const Subject& s) {
    auto [start, end] = RandomRange(s);
    op_name_ = "ForEveryPageInRange [" + Hex(start) + ", " + Hex(end) + ")";
    const auto entries = s.model.Populated(start, end);
    size_t stop_at = entries.size();
    zx_status_t stop_status = ZX_ERR_STOP;
    if (!entries.empty() && Chance(0.3)) {
      stop_at = Uniform(entries.size());
      stop_status = Chance(0.5) ? ZX_ERR_STOP : ZX_ERR_NOT_FOUND;
    }
    size_t next = 0;
    std::string failure;
    Count("ForEveryPageInRange");
    const zx_status_t status = s.list->ForEveryPageInRange(
        [&](const VmPageOrMarker* p, uint64_t off) -> zx_status_t {
          if (next >= entries.size() || entries[next].first != off) {
            failure = "unexpected callback at " + Hex(off);
            return ZX_ERR_INTERNAL;
          }
          const std::string mismatch = SlotMismatch(*p, entries[next].second);
          if (!mismatch.empty() && failure.empty()) {
            failure = "at " + Hex(off) + ": " + mismatch;
          }
          return next++ == stop_at ? stop_status : ZX_ERR_NEXT;
        },
        start, end);
    EXPECT_EQ(failure, "") << Where();
    EXPECT_EQ(next, stop_at < entries.size() ? stop_at + 1 : entries.size()) << Where();
    EXPECT_EQ(status, stop_at < entries.size() && stop_status != ZX_ERR_STOP ? stop_status : ZX_OK)
        << Where();
  }

  void QueryContiguousRuns(const Subject& s) {
    auto [start, end] = RandomRange(s);
    const ComparePredicate cmp{static_cast<int>(Uniform(5)), rng_()};
    op_name_ = "ForEveryPageAndContiguousRunInRange [" + Hex(start) + ", " + Hex(end) +
               ") predicate " + std::to_string(cmp.family);
    const std::vector<RunEvent> expected = ExpectedContiguousRuns(s.model, cmp, start, end);
    std::vector<RunEvent> got;
    std::string failure;
    Count("ForEveryPageAndContiguousRunInRange");
    const zx_status_t status = s.list->ForEveryPageAndContiguousRunInRange(
        [&](const VmPageOrMarker* p, uint64_t off) { return cmp(DecodeSlot(*p), off); },
        [&](const VmPageOrMarker* p, uint64_t off) {
          const std::string mismatch = SlotMismatch(*p, s.model.At(off));
          if (!mismatch.empty() && failure.empty()) {
            failure = "per_page_func at " + Hex(off) + ": " + mismatch;
          }
          got.push_back(RunEvent{false, off, 0, false});
          return ZX_ERR_NEXT;
        },
        [&](uint64_t run_start, uint64_t run_end, bool is_interval) {
          got.push_back(RunEvent{true, run_start, run_end, is_interval});
          return ZX_ERR_NEXT;
        },
        start, end);
    EXPECT_EQ(status, ZX_OK) << Where();
    EXPECT_EQ(failure, "") << Where();
    if (got != expected) {
      size_t i = 0;
      while (i < got.size() && i < expected.size() && got[i] == expected[i]) {
        i++;
      }
      ADD_FAILURE() << Where() << ": event " << i << " is "
                    << (i < got.size() ? ToString(got[i]) : "missing") << ", expected "
                    << (i < expected.size() ? ToString(expected[i]) : "none") << " (" << got.size()
                    << " events, expected " << expected.size() << ")";
    }
  }

  void Count(const std::string& what) { counts_[what]++; }

  const uint64_t seed_;
  std::mt19937_64 rng_;
  // How often each operation (and interesting variant) really ran; printed after the run.
  std::map<std::string, uint64_t> counts_;
  std::array<Subject, 2> subjects_;
  uint64_t step_ = 0;
  uint64_t next_epoch_ = 0;
  bool intervals_enabled_ = true;
  size_t current_ = 0;
  std::string op_name_ = "setup";
  // Operation weights, in the order of Op: epochs with and without zero intervals.
  std::discrete_distribution<int> interval_ops_{30, 6, 3, 3, 10, 4, 3, 3,  4,
                                                8,  2, 2, 2, 1,  3, 1, 0.1};
  std::discrete_distribution<int> plain_ops_{30, 6, 3, 3, 0, 0, 0, 0, 0, 8, 2, 2, 3, 1, 4, 3, 0.1};
};

class VmPageListDifferential : public ::testing::TestWithParam<int> {};

TEST_P(VmPageListDifferential, RandomOperationsMatchModel) {
  const uint64_t seed =
      static_cast<uint64_t>(::testing::UnitTest::GetInstance()->random_seed()) * 1000003u +
      static_cast<uint64_t>(GetParam());
  SCOPED_TRACE("seed " + std::to_string(seed) + " (shard " + std::to_string(GetParam()) +
               "; rerun with --gtest_random_seed=" +
               std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ")");
  const uint64_t ops = static_cast<uint64_t>(std::llround(kOpsPerShard * ScaleFromEnvironment()));
  auto& pmm = vmpl::PageAllocator::Get();
  const size_t pages_before = pmm.pages_outstanding();
  const size_t refs_before = pmm.references_outstanding();
  {
    DifferentialRun run(seed);
    run.Run(ops);
    run.FreeAll();
    printf("shard %d: %" PRIu64 " operations; operations run:\n%s", GetParam(), ops,
           run.Summary().c_str());
  }
  EXPECT_EQ(pmm.pages_outstanding(), pages_before);
  EXPECT_EQ(pmm.references_outstanding(), refs_before);
}

INSTANTIATE_TEST_SUITE_P(Shards, VmPageListDifferential, ::testing::Range(0, kShards));

}  // namespace
}  // namespace vmpl_test
