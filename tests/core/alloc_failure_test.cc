// Allocation-failure test of VmPageList and VmPageSpliceList.
//
// A fixed workload uses every operation that allocates: LookupOrAllocate in each interval-handling
// mode (including interval splits whose new sentinel lands in an absent neighbour node),
// AddZeroInterval, PopulateSlotsInInterval over several nodes, ClipIntervalStart/End onto a new
// node, ReturnIntervalSlot, MergeFrom, MergeOnto, TakePages (popped into a fresh list) and
// VmPageSpliceList::Append creating middle nodes. The workload is first run as is, counting the
// checked allocations it makes; then, for every n, it is run again with the n-th allocation
// failing, and once more with every allocation from the n-th on failing.
//
// Every operation runs through Attempt(): the operation checks its own documented failure result
// (nullptr / {nullptr, in_interval} / ZX_ERR_NO_MEMORY) and only updates the model when it
// succeeds. After every attempt each list is checked with vmpl::Validate and compared with its
// model, so an operation that fails must leave its list exactly as it was (all or nothing). With a
// single failure the failed operation is retried and must then succeed, so the final state must
// have the same shape as the run without failures. Every page and reference must be back in the
// allocator at the end (and under ASan, LeakSanitizer sees any node that was lost).

#include <gtest/gtest.h>
#include <inttypes.h>
#include <stdint.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/page_allocator.h>
#include <vmpl/validate.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "page_list_model.h"

namespace vmpl_test {
namespace {

using IntervalHandling = VmPageList::IntervalHandling;
using vmpl::AllocFailureInjector;

// Byte offset of page |n|.
constexpr uint64_t Pg(uint64_t n) { return n * kPage; }

void FreeContent(VmPageOrMarker& p) {
  if (p.IsPage()) {
    pmm_free_page(p.ReleasePage());
  } else if (p.IsReference()) {
    vmpl::PageAllocator::Get().FreeReference(p.ReleaseReference().value());
  } else {
    p = VmPageOrMarker::Empty();
  }
}

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

Content NewContent(Content::Kind kind) {
  switch (kind) {
    case Content::Kind::kPage:
      return Content::Page(vmpl::PageAllocator::Get().AllocPage());
    case Content::Kind::kReference:
      return Content::Reference(vmpl::PageAllocator::Get().AllocReference(), true, false);
    case Content::Kind::kMarker:
      break;
  }
  return Content::Marker();
}

// A pointer-free description of a model (skew, content kinds with split bits, intervals with
// their awaiting-clean lengths), to compare runs whose pages and references differ.
std::string Shape(const PageListModel& m) {
  std::string text = "skew " + Hex(m.skew()) + ":";
  for (const auto& [offset, slot] : m.Populated(0, UINT64_MAX)) {
    text += " " + Hex(offset) + "=";
    if (slot.IsContent()) {
      const Content& c = slot.content;
      text += c.IsPage() ? "P" : c.IsReference() ? "R" : "M";
      if (c.IsPageOrRef()) {
        text += std::string(c.left_split ? "L" : ".") + (c.right_split ? "R" : ".");
      }
    } else {
      text += slot.ToString();
    }
  }
  return text;
}

// One list under test and its model.
struct Subject {
  explicit Subject(const char* name, uint64_t skew = 0) : name(name), model(skew) {
    list.InitializeSkew(0, skew);
  }
  const char* name;
  VmPageList list;
  PageListModel model;
};

// Runs the workload, with failures injected by the caller. |sticky| says that once an
// allocation failed every later one fails too, so failed operations are not retried.
class Workload {
 public:
  explicit Workload(bool sticky) : sticky_(sticky) {
    auto& pmm = vmpl::PageAllocator::Get();
    pages_at_start_ = pmm.pages_outstanding();
    refs_at_start_ = pmm.references_outstanding();
  }

  ~Workload() {
    for (Subject* s : subjects_) {
      s->list.RemoveAllContent([](VmPageOrMarker&& p) { FreeContent(p); });
    }
    auto& pmm = vmpl::PageAllocator::Get();
    EXPECT_EQ(pmm.pages_outstanding(), pages_at_start_) << "pages lost";
    EXPECT_EQ(pmm.references_outstanding(), refs_at_start_) << "references lost";
  }

  void Run();

  std::string Shape() const {
    std::string text;
    for (const Subject* s : subjects_) {
      text += std::string(s->name) + " " + vmpl_test::Shape(s->model) + "\n";
    }
    return text;
  }

  // Steps whose precondition did not hold (only expected after a sticky failure).
  int skipped() const { return skipped_; }
  // Checked allocations made by each attempt, in order (first try only).
  const std::vector<std::pair<std::string, uint64_t>>& allocations() const { return allocations_; }

 private:
  // Runs |op|, which returns true if the page-list call succeeded (and has then updated the
  // models) and false if it reported an allocation failure (having checked the failure result and
  // left the models alone). Checks every list afterwards; retries a failed op unless sticky.
  // Returns whether the operation finally succeeded.
  bool Attempt(const std::string& name, const std::function<bool()>& op) {
    const uint64_t failures_before = AllocFailureInjector::failures();
    const uint64_t count_before = AllocFailureInjector::count();
    bool ok = op();
    const bool injected = AllocFailureInjector::failures() != failures_before;
    allocations_.emplace_back(name, AllocFailureInjector::count() - count_before);
    if (ok) {
      EXPECT_FALSE(injected) << name << ": an allocation failed but the call reported success";
    } else {
      EXPECT_TRUE(injected) << name << ": reported failure without a failed allocation";
    }
    CheckAll(name + (ok ? "" : " (after the failure)"));
    if (!ok && !sticky_) {
      ok = op();
      EXPECT_TRUE(ok) << name << ": the retry failed";
      CheckAll(name + " (retry)");
    }
    return ok;
  }

  void CheckAll(const std::string& name) {
    for (const Subject* s : subjects_) {
      std::string text;
      for (const auto& v : vmpl::Validate(s->list)) {
        // Between PopulateSlotsInInterval and the last fill or return, neighbouring Slots are
        // separate intervals by design; only maximality is waived then.
        if (!(populating_ == s && v.kind == vmpl::Violation::Kind::kMaximal)) {
          text += "\n  " + v.ToString();
        }
      }
      EXPECT_TRUE(text.empty()) << name << ": list " << s->name << text;
      EXPECT_EQ(CompareListWithModel(s->list, s->model), "") << name << ": list " << s->name;
      EXPECT_EQ(s->list.HeapAllocationBytes(), s->model.NodeCount() * 176)
          << name << ": list " << s->name;
    }
  }

  bool Skip(bool precondition_holds, const std::string& name) {
    if (!precondition_holds) {
      skipped_++;
      EXPECT_TRUE(sticky_) << name << ": the workload's precondition does not hold";
    }
    return !precondition_holds;
  }

  // LookupOrAllocate(|offset|, |mode|), then fills the slot with new content of |kind|. The slot
  // must hold no content; inside an interval it is split out first (SplitInterval only).
  void Fill(Subject& s, uint64_t offset, IntervalHandling mode, Content::Kind kind) {
    const std::string name = std::string("fill ") + s.name + " at " + Hex(offset);
    if (Skip(!s.model.At(offset).IsContent(), name)) {
      return;
    }
    const bool in_interval = s.model.InInterval(offset);
    EXPECT_FALSE(mode == IntervalHandling::NoIntervals && !s.model.intervals.empty()) << name;
    EXPECT_FALSE(mode == IntervalHandling::CheckForInterval && in_interval) << name;
    Attempt(name, [&]() {
      auto [slot, found] = s.list.LookupOrAllocate(offset, mode);
      EXPECT_EQ(found, in_interval) << name;
      if (slot == nullptr) {
        return false;
      }
      if (in_interval) {
        s.model.SplitInterval(offset);
      }
      EXPECT_EQ(SlotMismatch(*slot, s.model.At(offset)), "") << name;
      const Content c = NewContent(kind);
      *slot = ToReal(c);
      s.model.intervals.erase(offset);
      s.model.content[offset] = c;
      return true;
    });
  }

  // LookupOrAllocate(|offset|, |mode|) on a slot that stays empty: ReturnEmptySlot.
  void LookupAndReturn(Subject& s, uint64_t offset, IntervalHandling mode) {
    const std::string name = std::string("lookup and return ") + s.name + " at " + Hex(offset);
    if (Skip(s.model.At(offset).IsEmpty() && !s.model.InInterval(offset), name)) {
      return;
    }
    Attempt(name, [&]() {
      auto [slot, found] = s.list.LookupOrAllocate(offset, mode);
      EXPECT_FALSE(found) << name;
      if (slot == nullptr) {
        return false;
      }
      EXPECT_TRUE(slot->IsEmpty()) << name;
      s.list.ReturnEmptySlot(offset);
      return true;
    });
  }

  // Splits |offset| out of its interval and gives the Slot back.
  void SplitAndReturn(Subject& s, uint64_t offset) {
    const std::string name = std::string("split and return ") + s.name + " at " + Hex(offset);
    if (Skip(s.model.InInterval(offset), name)) {
      return;
    }
    Attempt(name, [&]() {
      auto [slot, found] = s.list.LookupOrAllocate(offset, IntervalHandling::SplitInterval);
      EXPECT_TRUE(found) << name;
      if (slot == nullptr) {
        return false;
      }
      s.model.SplitInterval(offset);
      EXPECT_EQ(SlotMismatch(*slot, s.model.At(offset)), "") << name;
      s.list.ReturnIntervalSlot(offset);
      s.model.ReturnIntervalSlot(offset);
      return true;
    });
  }

  void AddZero(Subject& s, uint64_t start, uint64_t end) {
    const std::string name =
        std::string("AddZeroInterval ") + s.name + " [" + Hex(start) + ", " + Hex(end) + ")";
    if (Skip(!s.model.AnyPagesOrIntervalsInRange(start, end), name)) {
      return;
    }
    Attempt(name, [&]() {
      const zx_status_t status = s.list.AddZeroInterval(start, end, DirtyState::Dirty);
      if (status == ZX_ERR_NO_MEMORY) {
        return false;
      }
      EXPECT_EQ(status, ZX_OK) << name;
      s.model.AddZeroInterval(start, end, DirtyState::Dirty, 0);
      return true;
    });
  }

  void SetAcl(Subject& s, uint64_t interval_start, uint64_t len) {
    const std::string name = std::string("set awaiting-clean length ") + s.name;
    auto it = s.model.intervals.find(interval_start);
    if (Skip(it != s.model.intervals.end(), name)) {
      return;
    }
    Attempt(name, [&]() {
      VmPageOrMarkerRef ref = s.list.LookupMutable(interval_start);
      EXPECT_TRUE(ref) << name;
      if (ref) {
        ref.SetZeroIntervalAwaitingCleanLength(len);
        it->second.awaiting_clean_len = len;
      }
      return true;
    });
  }

  // PopulateSlotsInInterval(start, end), then fills every odd slot and returns every even one
  // (unfilled slots are never adjacent, so each return merges with its neighbours directly).
  void Populate(Subject& s, uint64_t start, uint64_t end) {
    const std::string name = std::string("PopulateSlotsInInterval ") + s.name + " [" + Hex(start) +
                             ", " + Hex(end) + ")";
    auto it = s.model.IntervalAt(start);
    if (Skip(it != s.model.intervals.end() && end <= it->second.end, name)) {
      return;
    }
    const bool ok = Attempt(name, [&]() {
      const zx_status_t status = s.list.PopulateSlotsInInterval(start, end);
      if (status == ZX_ERR_NO_MEMORY) {
        return false;
      }
      EXPECT_EQ(status, ZX_OK) << name;
      s.model.PopulateSlotsInInterval(start, end);
      populating_ = &s;
      return true;
    });
    if (!ok) {
      return;
    }
    for (uint64_t offset = start + kPage; offset < end; offset += 2 * kPage) {
      Fill(s, offset, IntervalHandling::SplitInterval,
           ((offset - start) / kPage) % 4 == 1 ? Content::Kind::kPage : Content::Kind::kMarker);
    }
    for (uint64_t offset = start; offset < end; offset += 2 * kPage) {
      const std::string return_name =
          std::string("ReturnIntervalSlot ") + s.name + " at " + Hex(offset);
      if (Skip(s.model.At(offset).kind == Slot::Kind::kIntervalSlot, return_name)) {
        continue;
      }
      if (offset + 2 * kPage >= end) {
        populating_ = nullptr;  // the last return restores maximal intervals
      }
      Attempt(return_name, [&]() {
        s.list.ReturnIntervalSlot(offset);
        s.model.ReturnIntervalSlot(offset);
        return true;
      });
    }
    populating_ = nullptr;
  }

  void Clip(Subject& s, bool clip_start, uint64_t sentinel, uint64_t len) {
    const std::string name = std::string(clip_start ? "ClipIntervalStart " : "ClipIntervalEnd ") +
                             s.name + "(" + Hex(sentinel) + ", " + Hex(len) + ")";
    const Slot slot = s.model.At(sentinel);
    const bool holds = clip_start ? slot.kind == Slot::Kind::kIntervalStart &&
                                        slot.interval.end - slot.interval_start > len
                                  : slot.kind == Slot::Kind::kIntervalEnd &&
                                        slot.interval.end - slot.interval_start > len;
    if (Skip(holds, name)) {
      return;
    }
    Attempt(name, [&]() {
      const zx_status_t status = clip_start ? s.list.ClipIntervalStart(sentinel, len)
                                            : s.list.ClipIntervalEnd(sentinel, len);
      if (status == ZX_ERR_NO_MEMORY) {
        return false;
      }
      EXPECT_EQ(status, ZX_OK) << name;
      if (clip_start) {
        s.model.ClipIntervalStart(sentinel, len);
      } else {
        s.model.ClipIntervalEnd(sentinel, len);
      }
      return true;
    });
  }

  void ReplacePage(Subject& s, uint64_t offset) {
    const std::string name = std::string("ReplacePageWithZeroInterval ") + s.name;
    auto it = s.model.content.find(offset);
    if (Skip(it != s.model.content.end() && it->second.IsPage(), name)) {
      return;
    }
    Attempt(name, [&]() {
      vm_page_t* page = s.list.ReplacePageWithZeroInterval(offset, DirtyState::Dirty);
      EXPECT_EQ(page, it->second.page) << name;
      if (page != nullptr) {
        pmm_free_page(page);
      }
      s.model.ReplacePageWithZeroInterval(offset, DirtyState::Dirty);
      return true;
    });
  }

  // this.MergeFrom(other, offset, end): other holds no intervals; releases are freed; every page
  // or reference that migrates is kept.
  void MergeFrom(Subject& dst, Subject& src, uint64_t offset, uint64_t end) {
    const std::string name = std::string("MergeFrom ") + src.name + " into " + dst.name;
    Attempt(name, [&]() {
      struct Released {
        std::vector<uint64_t> offsets;
      } released;
      dst.list.MergeFrom(
          src.list, offset, end,
          [r = &released](VmPageOrMarker&& p, uint64_t o) {
            r->offsets.push_back(o);
            FreeContent(p);
          },
          [](VmPageOrMarker*, uint64_t) {});
      size_t expected_releases = 0;
      for (const auto& [o, c] : src.model.content) {
        if (o < offset || o >= end || dst.model.content.count(o - offset) != 0) {
          expected_releases++;
        } else {
          dst.model.content[o - offset] = c;
        }
      }
      EXPECT_EQ(released.offsets.size(), expected_releases) << name;
      src.model.content.clear();
      return true;
    });
  }

  void MergeOnto(Subject& from, Subject& onto) {
    const std::string name = std::string("MergeOnto ") + from.name + " onto " + onto.name;
    Attempt(name, [&]() {
      size_t releases = 0;
      from.list.MergeOnto(onto.list, [r = &releases](VmPageOrMarker&& p) {
        (*r)++;
        FreeContent(p);
      });
      // On a conflict the item of |from| wins and |onto|'s is released (docs/semantics.md
      // section 8.2).
      size_t expected_releases = 0;
      for (const auto& [o, c] : from.model.content) {
        expected_releases += onto.model.content.count(o);
        onto.model.content[o] = c;
      }
      EXPECT_EQ(releases, expected_releases) << name;
      from.model.content.clear();
      return true;
    });
  }

  // TakePages from |src| (skew 0), then every item popped goes to the same offset of |dst|.
  void TakeAndPop(Subject& src, Subject& dst, uint64_t offset, uint64_t length) {
    const std::string name = std::string("TakePages ") + src.name;
    std::vector<Slot> expected;
    for (uint64_t o = offset; o < offset + length; o += kPage) {
      expected.push_back(src.model.At(o));
    }
    VmPageSpliceList splice;
    Attempt(name, [&]() {
      splice = src.list.TakePages(offset, length);
      for (uint64_t o = offset; o < offset + length; o += kPage) {
        src.model.content.erase(o);
      }
      return true;
    });
    const auto violations = vmpl::Validate(splice);
    EXPECT_TRUE(violations.empty()) << name << ": splice list";
    for (size_t i = 0; i < expected.size(); i++) {
      VmPageOrMarker item = splice.Pop();
      EXPECT_EQ(SlotMismatch(item, expected[i]), "") << name << " pop " << i;
      if (item.IsEmpty()) {
        continue;
      }
      const uint64_t target = offset + i * kPage;
      const std::string insert =
          std::string("insert popped item into ") + dst.name + " at " + Hex(target);
      const bool ok = Attempt(insert, [&]() {
        auto [slot, found] = dst.list.LookupOrAllocate(target, IntervalHandling::NoIntervals);
        EXPECT_FALSE(found) << insert;
        if (slot == nullptr) {
          return false;
        }
        EXPECT_TRUE(slot->IsEmpty()) << insert;
        dst.model.content[target] = DecodeSlot(item).content;
        *slot = std::move(item);
        return true;
      });
      if (!ok) {
        FreeContent(item);
      }
    }
    EXPECT_TRUE(splice.IsProcessed()) << name;
  }

  // A splice list over [offset, offset + pages) built with Append (non-empty items, so every
  // middle node must be allocated), finalized and popped back.
  void AppendAndPop(uint64_t offset, uint64_t pages) {
    VmPageSpliceList splice(offset, pages * kPage, 0);
    std::vector<Slot> appended;
    for (uint64_t i = 0; i < pages; i++) {
      const std::string name = "VmPageSpliceList::Append item " + std::to_string(i);
      const Content::Kind kind = i % 3 == 0   ? Content::Kind::kPage
                                 : i % 3 == 1 ? Content::Kind::kReference
                                              : Content::Kind::kMarker;
      Attempt(name, [&]() {
        auto& pmm = vmpl::PageAllocator::Get();
        const Content c = NewContent(kind);
        const size_t pages_before = pmm.pages_outstanding();
        const size_t refs_before = pmm.references_outstanding();
        const zx_status_t status = splice.Append(ToReal(c));
        EXPECT_EQ(splice.Position(), (appended.size() + (status == ZX_OK)) * kPage) << name;
        if (status == ZX_ERR_NO_MEMORY) {
          // The splice list owned the content and must have freed it.
          EXPECT_EQ(pmm.pages_outstanding(), pages_before - c.IsPage()) << name;
          EXPECT_EQ(pmm.references_outstanding(), refs_before - c.IsReference()) << name;
          return false;
        }
        EXPECT_EQ(status, ZX_OK) << name;
        appended.push_back(Slot::OfContent(c));
        return true;
      });
    }
    splice.Finalize();
    const auto violations = vmpl::Validate(splice);
    EXPECT_TRUE(violations.empty()) << "appended splice list";
    for (uint64_t i = 0; i < pages; i++) {
      VmPageOrMarker item = splice.Pop();
      const Slot expected = i < appended.size() ? appended[i] : Slot();
      EXPECT_EQ(SlotMismatch(item, expected), "") << "appended splice list pop " << i;
      FreeContent(item);
    }
  }

  const bool sticky_;
  size_t pages_at_start_ = 0;
  size_t refs_at_start_ = 0;
  int skipped_ = 0;
  // The list being filled after PopulateSlotsInInterval, if any.
  const Subject* populating_ = nullptr;
  std::vector<std::pair<std::string, uint64_t>> allocations_;

  Subject a_{"A"};
  Subject b_{"B", Pg(3)};
  Subject c_{"C", Pg(7)};
  Subject d_{"D", Pg(7)};
  Subject e_{"E"};
  Subject f_{"F", Pg(5)};
  std::vector<Subject*> subjects_{&a_, &b_, &c_, &d_, &e_, &f_};
};

// Page numbers below; 16 pages per node, so with skew 0 page p is slot p % 16 of node p / 16.
void Workload::Run() {
  // LookupOrAllocate in each mode on absent nodes, before A has intervals.
  Fill(a_, Pg(5), IntervalHandling::NoIntervals, Content::Kind::kPage);
  Fill(a_, Pg(40), IntervalHandling::CheckForInterval, Content::Kind::kReference);
  Fill(a_, Pg(70), IntervalHandling::SplitInterval, Content::Kind::kMarker);
  LookupAndReturn(a_, Pg(6), IntervalHandling::NoIntervals);
  LookupAndReturn(a_, Pg(20), IntervalHandling::CheckForInterval);

  // Intervals: a new one, merges to the left, a new one, a merge on both sides.
  AddZero(a_, Pg(100), Pg(180));
  AddZero(a_, Pg(180), Pg(190));
  AddZero(a_, Pg(200), Pg(230));
  AddZero(a_, Pg(190), Pg(200));
  SetAcl(a_, Pg(100), Pg(20));

  // Splits whose new End (page 127, node 7) or new Start (page 160, node 10) is in an absent
  // neighbour node, and one at the interval's Start.
  Fill(a_, Pg(128), IntervalHandling::SplitInterval, Content::Kind::kPage);
  Fill(a_, Pg(159), IntervalHandling::SplitInterval, Content::Kind::kReference);
  SplitAndReturn(a_, Pg(100));

  // A Start in slot 15 split off (its new Start is slot 0 of an absent node), and an End in
  // slot 0 split off (its new End is slot 15 of an absent node).
  AddZero(a_, Pg(255), Pg(300));
  SplitAndReturn(a_, Pg(255));
  AddZero(a_, Pg(310), Pg(353));
  Fill(a_, Pg(352), IntervalHandling::SplitInterval, Content::Kind::kMarker);

  // PopulateSlotsInInterval over five nodes, with an awaiting-clean length to hand out.
  AddZero(a_, Pg(400), Pg(520));
  SetAcl(a_, Pg(400), Pg(30));
  Populate(a_, Pg(405), Pg(470));

  // Clips onto absent nodes.
  AddZero(a_, Pg(600), Pg(700));
  Clip(a_, /*clip_start=*/true, Pg(600), Pg(20));
  Clip(a_, /*clip_start=*/false, Pg(699), Pg(30));

  // The page at 128 goes back into the interval around it.
  ReplacePage(a_, Pg(128));

  // MergeFrom: B (skew 3 pages) merged into A's [0, 80 pages) from B's page 13.
  for (uint64_t p : {2, 17, 18, 33, 50, 90}) {
    Fill(b_, Pg(p), IntervalHandling::NoIntervals,
         p % 2 == 0 ? Content::Kind::kPage : Content::Kind::kReference);
  }
  MergeFrom(a_, b_, Pg(13), Pg(93));

  // MergeOnto between two lists with skew 7 pages.
  for (uint64_t p : {3, 30, 31}) {
    Fill(c_, Pg(p), IntervalHandling::NoIntervals, Content::Kind::kPage);
  }
  for (uint64_t p : {30, 64}) {
    Fill(d_, Pg(p), IntervalHandling::CheckForInterval, Content::Kind::kMarker);
  }
  MergeOnto(c_, d_);

  // TakePages over [3, 83) pages of A (head, four middle nodes, tail), popped into E.
  TakeAndPop(a_, e_, Pg(3), Pg(80));

  // A splice list whose middle nodes are created by Append.
  AppendAndPop(Pg(3), 60);

  // A list with skew 5 pages (page p is slot (p + 5) % 16 of node (p + 5) / 16): a split at slot 0
  // of an absent node whose new End is slot 15 of another absent node, then a populate whose last
  // slot and two middle nodes are absent.
  AddZero(f_, Pg(10), Pg(100));
  Fill(f_, Pg(27), IntervalHandling::SplitInterval, Content::Kind::kPage);
  Populate(f_, Pg(30), Pg(90));
}

// Runs the workload without failures: its allocation count, per-attempt allocations and shape.
struct Reference {
  uint64_t allocations = 0;
  std::string shape;
  std::vector<std::pair<std::string, uint64_t>> per_attempt;
};

Reference RunReference() {
  Reference ref;
  Workload w(/*sticky=*/false);
  const uint64_t before = AllocFailureInjector::count();
  w.Run();
  ref.allocations = AllocFailureInjector::count() - before;
  ref.shape = w.Shape();
  ref.per_attempt = w.allocations();
  EXPECT_EQ(w.skipped(), 0) << "every step of the workload runs without failures";
  return ref;
}

uint64_t AllocationsOf(const Reference& ref, const std::string& prefix) {
  uint64_t n = 0;
  for (const auto& [name, count] : ref.per_attempt) {
    if (name.rfind(prefix, 0) == 0) {
      n += count;
    }
  }
  return n;
}

TEST(VmPageListAllocFailure, WorkloadAllocates) {
  const Reference ref = RunReference();
  // The steps meant to allocate do: a node each for new nodes, neighbours for splits, middle nodes
  // for PopulateSlotsInInterval and Append (docs/semantics.md sections 4.4, 7.4, 9.2).
  EXPECT_GE(AllocationsOf(ref, "fill A at " + Hex(Pg(5))), 1u);
  EXPECT_GE(AllocationsOf(ref, "AddZeroInterval A [" + Hex(Pg(100))), 2u);
  EXPECT_GE(AllocationsOf(ref, "fill A at " + Hex(Pg(128))), 2u);
  EXPECT_GE(AllocationsOf(ref, "fill A at " + Hex(Pg(159))), 2u);
  EXPECT_GE(AllocationsOf(ref, "split and return A at " + Hex(Pg(255))), 1u);
  EXPECT_GE(AllocationsOf(ref, "fill A at " + Hex(Pg(352))), 1u);
  EXPECT_GE(AllocationsOf(ref, "PopulateSlotsInInterval A"), 4u);
  EXPECT_GE(AllocationsOf(ref, "ClipIntervalStart A"), 1u);
  EXPECT_GE(AllocationsOf(ref, "ClipIntervalEnd A"), 1u);
  EXPECT_GE(AllocationsOf(ref, "insert popped item into E"), 4u);
  EXPECT_GE(AllocationsOf(ref, "VmPageSpliceList::Append"), 2u);
  EXPECT_GE(AllocationsOf(ref, "fill F at " + Hex(Pg(27))), 2u);
  EXPECT_GE(AllocationsOf(ref, "PopulateSlotsInInterval F"), 3u);
  EXPECT_GE(ref.allocations, 40u);
  std::string table;
  for (const auto& [name, count] : ref.per_attempt) {
    if (count > 0) {
      table += "  " + name + ": " + std::to_string(count) + "\n";
    }
  }
  printf("%" PRIu64 " checked allocations; by step:\n%s", ref.allocations, table.c_str());
}

TEST(VmPageListAllocFailure, EachSingleFailureLosesNothing) {
  const Reference ref = RunReference();
  ASSERT_GT(ref.allocations, 0u);
  for (uint64_t n = 1; n <= ref.allocations; n++) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(ref.allocations) +
                 " fails");
    Workload w(/*sticky=*/false);
    const uint64_t failures_before = AllocFailureInjector::failures();
    {
      vmpl::ScopedAllocFailure fail(n);
      w.Run();
    }
    EXPECT_EQ(AllocFailureInjector::failures() - failures_before, 1u);
    EXPECT_EQ(w.skipped(), 0);
    EXPECT_EQ(w.Shape(), ref.shape) << "the final state differs from the run without failures";
    if (::testing::Test::HasFailure()) {
      break;
    }
  }
}

TEST(VmPageListAllocFailure, StickyFailureFromEachPointLosesNothing) {
  const Reference ref = RunReference();
  ASSERT_GT(ref.allocations, 0u);
  for (uint64_t n = 1; n <= ref.allocations; n++) {
    SCOPED_TRACE("every allocation from " + std::to_string(n) + " on fails");
    Workload w(/*sticky=*/true);
    const uint64_t failures_before = AllocFailureInjector::failures();
    {
      vmpl::ScopedAllocFailure fail(n, /*sticky=*/true);
      w.Run();
    }
    EXPECT_GE(AllocFailureInjector::failures() - failures_before, 1u);
    if (::testing::Test::HasFailure()) {
      break;
    }
  }
}

}  // namespace
}  // namespace vmpl_test
