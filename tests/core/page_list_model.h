// PageListModel: a plain reference model of VmPageList, for differential tests.
//
// What it is. The model states what a page list should hold in the simplest terms possible:
//
//   content    std::map from offset to the page, reference (each with its two split bits) or
//              marker stored at that offset;
//   intervals  std::map from the first offset of each zero interval to {end (exclusive), dirty
//              state, awaiting-clean length}. A one-page interval is what the list stores as a Slot
//              sentinel; a longer one is a Start sentinel at its first page and an End sentinel at
//              its last page.
//
// Intervals are kept exactly as the list's sentinels delimit them and are never re-merged behind
// the caller's back: a split the list performs is a split in the model, and a merge the list
// performs is written out as a merge here. Offsets are unskewed byte offsets, as in the public API.
//
// Every mutation is the rule of docs/semantics.md (sections 4 to 9) written with plain loops and
// map operations; there is deliberately nothing clever in here, so that a disagreement between the
// model and the list is a question about the list.
//
// Synopsis:
//   PageListModel model(list.GetSkew());
//   model.content[off] = Content::Page(p);         // after filling a slot of the real list
//   model.AddZeroInterval(start, end, DirtyState::Dirty, 0);
//   model.At(off), model.Populated(start, end), model.Gaps(start, end), model.NodeCount()
//   PageListModel read = ReadList(list, &error);   // the real list, in model form
//   std::optional<std::string> diff = FirstDifference(model, read);

#ifndef VMPL_TESTS_CORE_PAGE_LIST_MODEL_H_
#define VMPL_TESTS_CORE_PAGE_LIST_MODEL_H_

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <vm/vm_page_list.h>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vmpl_test {

inline constexpr uint64_t kPage = PAGE_SIZE;
inline constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * PAGE_SIZE;
using DirtyState = VmPageOrMarker::IntervalDirtyState;

inline std::string Hex(uint64_t value) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%#" PRIx64, value);
  return buf;
}

inline const char* DirtyStateName(DirtyState state) {
  switch (state) {
    case DirtyState::Untracked:
      return "Untracked";
    case DirtyState::Clean:
      return "Clean";
    case DirtyState::Dirty:
      return "Dirty";
    default:
      return "Invalid";
  }
}

// A page, a reference or a marker, as owned by one slot.
struct Content {
  enum class Kind : uint8_t { kPage, kReference, kMarker };
  Kind kind = Kind::kMarker;
  vm_page_t* page = nullptr;  // kPage
  uint64_t reference = 0;     // kReference: the ReferenceValue (low 4 bits clear)
  bool left_split = false;    // kPage (read from the vm_page_t) and kReference
  bool right_split = false;

  static Content Page(vm_page_t* page, bool left_split = false, bool right_split = false) {
    return Content{Kind::kPage, page, 0, left_split, right_split};
  }
  static Content Reference(uint64_t value, bool left_split = false, bool right_split = false) {
    return Content{Kind::kReference, nullptr, value, left_split, right_split};
  }
  static Content Marker() { return Content{}; }

  bool IsPage() const { return kind == Kind::kPage; }
  bool IsReference() const { return kind == Kind::kReference; }
  bool IsMarker() const { return kind == Kind::kMarker; }
  bool IsPageOrRef() const { return kind != Kind::kMarker; }

  friend bool operator==(const Content& a, const Content& b) = default;

  std::string ToString() const {
    const std::string splits = std::string(left_split ? "L" : ".") + (right_split ? "R" : ".");
    switch (kind) {
      case Kind::kPage:
        return "page " + Hex(reinterpret_cast<uintptr_t>(page)) + " (" + splits + ")";
      case Kind::kReference:
        return "reference " + Hex(reference) + " (" + splits + ")";
      case Kind::kMarker:
        return "marker";
    }
    return "?";
  }
};

// A zero interval [start, end) of the model; |start| is the key of PageListModel::intervals.
struct Interval {
  uint64_t end = 0;  // exclusive
  DirtyState dirty_state = DirtyState::Dirty;
  // Lives on the Start (or Slot) sentinel; may exceed the interval's length (docs/semantics.md
  // section 2.5).
  uint64_t awaiting_clean_len = 0;

  friend bool operator==(const Interval& a, const Interval& b) = default;
};

// What one slot holds. For a sentinel, |interval_start| and |interval| describe the whole interval
// it delimits (when known: a slot read on its own only tells its kind, dirty state and, on a Start
// or Slot, the awaiting-clean length).
struct Slot {
  enum class Kind : uint8_t {
    kEmpty,
    kContent,
    kIntervalStart,
    kIntervalEnd,
    kIntervalSlot,
    kMalformed,  // an interval value that is no valid zero-interval sentinel
  };
  Kind kind = Kind::kEmpty;
  Content content;              // kContent
  uint64_t interval_start = 0;  // sentinels
  Interval interval;            // sentinels

  bool IsEmpty() const { return kind == Kind::kEmpty; }
  bool IsContent() const { return kind == Kind::kContent; }
  bool IsSentinel() const {
    return kind == Kind::kIntervalStart || kind == Kind::kIntervalEnd ||
           kind == Kind::kIntervalSlot;
  }
  // Start and Slot sentinels carry the awaiting-clean length.
  bool CarriesAcl() const { return kind == Kind::kIntervalStart || kind == Kind::kIntervalSlot; }

  static Slot OfContent(const Content& content) {
    Slot slot;
    slot.kind = Kind::kContent;
    slot.content = content;
    return slot;
  }

  friend bool operator==(const Slot& a, const Slot& b) {
    if (a.kind != b.kind) {
      return false;
    }
    if (a.kind == Kind::kContent) {
      return a.content == b.content;
    }
    if (a.IsSentinel()) {
      return a.interval_start == b.interval_start && a.interval == b.interval;
    }
    return true;
  }

  std::string ToString() const {
    switch (kind) {
      case Kind::kEmpty:
        return "empty";
      case Kind::kContent:
        return content.ToString();
      case Kind::kIntervalStart:
      case Kind::kIntervalEnd:
      case Kind::kIntervalSlot: {
        const char* name = kind == Kind::kIntervalStart ? "Start"
                           : kind == Kind::kIntervalEnd ? "End"
                                                        : "Slot";
        return std::string(name) + " of zero interval [" + Hex(interval_start) + ", " +
               Hex(interval.end) + ") " + DirtyStateName(interval.dirty_state) + " acl " +
               Hex(interval.awaiting_clean_len);
      }
      case Kind::kMalformed:
        return "malformed interval sentinel";
    }
    return "?";
  }
};

// Decodes a real slot. Only what the slot itself records is filled in: for a sentinel that is its
// kind, its dirty state and (Start/Slot) its awaiting-clean length, not the interval's extent.
inline Slot DecodeSlot(const VmPageOrMarker& p) {
  Slot slot;
  if (p.IsEmpty()) {
    return slot;
  }
  if (p.IsPage()) {
    return Slot::OfContent(
        Content::Page(p.Page(), p.Page()->object.cow_left_split, p.Page()->object.cow_right_split));
  }
  if (p.IsReference()) {
    return Slot::OfContent(
        Content::Reference(p.Reference().value(), p.PageOrRefLeftSplit(), p.PageOrRefRightSplit()));
  }
  if (p.IsMarker()) {
    return Slot::OfContent(Content::Marker());
  }
  if (!p.IsIntervalZero() || !(p.IsIntervalStart() || p.IsIntervalEnd() || p.IsIntervalSlot())) {
    slot.kind = Slot::Kind::kMalformed;
    return slot;
  }
  slot.kind = p.IsIntervalStart() ? Slot::Kind::kIntervalStart
              : p.IsIntervalEnd() ? Slot::Kind::kIntervalEnd
                                  : Slot::Kind::kIntervalSlot;
  slot.interval.dirty_state = p.GetZeroIntervalDirtyState();
  if (slot.CarriesAcl()) {
    slot.interval.awaiting_clean_len = p.GetZeroIntervalAwaitingCleanLength();
  }
  return slot;
}

// Returns "" if the real slot |p| holds what |expected| says, else a description of both. Interval
// extents are not checked (a single slot does not record them); kind, dirty state and the
// awaiting-clean length of a Start or Slot are.
inline std::string SlotMismatch(const VmPageOrMarker& p, const Slot& expected) {
  const Slot got = DecodeSlot(p);
  bool same = got.kind == expected.kind;
  if (same && got.IsContent()) {
    same = got.content == expected.content;
  }
  if (same && got.IsSentinel()) {
    same = got.interval.dirty_state == expected.interval.dirty_state;
    if (got.CarriesAcl()) {
      same = same && got.interval.awaiting_clean_len == expected.interval.awaiting_clean_len;
    }
  }
  if (same) {
    return "";
  }
  std::string got_text = got.ToString();
  if (got.IsSentinel()) {
    // The extent printed by ToString is unknown for a decoded slot; say only what is known.
    got_text = std::string(got.kind == Slot::Kind::kIntervalStart ? "Start"
                           : got.kind == Slot::Kind::kIntervalEnd ? "End"
                                                                  : "Slot") +
               " sentinel " + DirtyStateName(got.interval.dirty_state) + " acl " +
               Hex(got.interval.awaiting_clean_len);
  }
  return "list slot holds " + got_text + ", model expects " + expected.ToString();
}

class PageListModel {
 public:
  using IntervalMap = std::map<uint64_t, Interval>;

  PageListModel() = default;
  explicit PageListModel(uint64_t skew) : skew_(skew) {}

  uint64_t skew() const { return skew_; }
  void set_skew(uint64_t skew) { skew_ = skew; }

  std::map<uint64_t, Content> content;
  IntervalMap intervals;

  // ---- Node arithmetic (docs/semantics.md section 3.3).

  // The tree key of the node that holds |offset|.
  uint64_t NodeKey(uint64_t offset) const { return ROUNDDOWN(offset + skew_, kNodeSpan); }
  // True if a slot for |offset| can exist at all (its node key is below MAX_SIZE).
  bool IsValidOffset(uint64_t offset) const { return NodeKey(offset) < VmPageList::MAX_SIZE; }
  // The first unskewed offset of the node holding |offset| (0 for the partial first node).
  uint64_t NodeFirstOffset(uint64_t offset) const {
    const uint64_t key = NodeKey(offset);
    return key >= skew_ ? key - skew_ : 0;
  }
  // One past the last unskewed offset of the node holding |offset|.
  uint64_t NodeEndOffset(uint64_t offset) const { return NodeKey(offset) + kNodeSpan - skew_; }

  // ---- Queries.

  // The interval that covers |offset|, or intervals.end().
  IntervalMap::const_iterator IntervalAt(uint64_t offset) const {
    auto it = intervals.upper_bound(offset);
    if (it == intervals.begin()) {
      return intervals.end();
    }
    --it;
    return offset < it->second.end ? it : intervals.end();
  }
  IntervalMap::iterator IntervalAt(uint64_t offset) {
    auto it = intervals.upper_bound(offset);
    if (it == intervals.begin()) {
      return intervals.end();
    }
    --it;
    return offset < it->second.end ? it : intervals.end();
  }
  bool InInterval(uint64_t offset) const { return IntervalAt(offset) != intervals.end(); }

  // What the slot at |offset| holds (Empty inside an interval's interior).
  Slot At(uint64_t offset) const {
    auto c = content.find(offset);
    if (c != content.end()) {
      return Slot::OfContent(c->second);
    }
    auto it = IntervalAt(offset);
    if (it == intervals.end()) {
      return Slot();
    }
    return SentinelAt(it, offset);
  }

  // Every populated slot (content and sentinels) with an offset in [start, end), in order.
  std::vector<std::pair<uint64_t, Slot>> Populated(uint64_t start, uint64_t end) const {
    std::vector<std::pair<uint64_t, Slot>> out;
    for (auto it = content.lower_bound(start); it != content.end() && it->first < end; ++it) {
      out.emplace_back(it->first, Slot::OfContent(it->second));
    }
    const auto content_end = static_cast<std::ptrdiff_t>(out.size());
    auto it = intervals.lower_bound(start);
    if (it != intervals.begin()) {
      --it;  // its End may lie in range
    }
    for (; it != intervals.end() && it->first < end; ++it) {
      const uint64_t first = it->first;
      const uint64_t last = it->second.end - kPage;
      if (first >= start) {
        out.emplace_back(first, SentinelAt(it, first));
      }
      if (last != first && last >= start && last < end) {
        out.emplace_back(last, SentinelAt(it, last));
      }
    }
    // Both halves are sorted by offset already.
    std::inplace_merge(out.begin(), out.begin() + content_end, out.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  // The maximal runs of [start, end) that hold no content and are not inside any interval, in
  // order: the gaps ForEveryPageAndGapInRange reports.
  std::vector<std::pair<uint64_t, uint64_t>> Gaps(uint64_t start, uint64_t end) const {
    std::vector<std::pair<uint64_t, uint64_t>> covered;
    for (auto it = content.lower_bound(start); it != content.end() && it->first < end; ++it) {
      covered.emplace_back(it->first, it->first + kPage);
    }
    for (const auto& [first, interval] : intervals) {
      if (first < end && interval.end > start) {
        covered.emplace_back(std::max(first, start), std::min(interval.end, end));
      }
    }
    std::sort(covered.begin(), covered.end());
    std::vector<std::pair<uint64_t, uint64_t>> gaps;
    uint64_t pos = start;
    for (const auto& [a, b] : covered) {
      if (a > pos) {
        gaps.emplace_back(pos, a);
      }
      pos = std::max(pos, b);
    }
    if (pos < end) {
      gaps.emplace_back(pos, end);
    }
    return gaps;
  }

  bool AnyPagesOrIntervalsInRange(uint64_t start, uint64_t end) const {
    auto c = content.lower_bound(start);
    if (c != content.end() && c->first < end) {
      return true;
    }
    for (const auto& [first, interval] : intervals) {
      if (first < end && interval.end > start) {
        return true;
      }
    }
    return false;
  }

  // True if the list must have a node holding |offset| (some slot of that node is populated).
  bool HasNode(uint64_t offset) const {
    return !Populated(NodeFirstOffset(offset), NodeEndOffset(offset)).empty();
  }

  // The number of nodes the list must have: one per node key holding a populated slot.
  size_t NodeCount() const { return NodeCount(Populated(0, UINT64_MAX)); }
  // The same, from Populated(0, UINT64_MAX) computed by the caller.
  size_t NodeCount(const std::vector<std::pair<uint64_t, Slot>>& populated) const {
    size_t count = 0;
    uint64_t last_key = 0;
    for (const auto& [offset, slot] : populated) {
      const uint64_t key = NodeKey(offset);
      if (count == 0 || key != last_key) {
        count++;
        last_key = key;
      }
    }
    return count;
  }

  bool IsEmpty() const { return content.empty() && intervals.empty(); }

  bool HasNoPageOrRef() const {
    for (const auto& [offset, c] : content) {
      if (c.IsPageOrRef()) {
        return false;
      }
    }
    return true;
  }

  // The first offset >= |offset| that holds content or lies in an interval, or UINT64_MAX.
  uint64_t NextCovered(uint64_t offset) const {
    uint64_t next = UINT64_MAX;
    auto c = content.lower_bound(offset);
    if (c != content.end()) {
      next = c->first;
    }
    if (InInterval(offset)) {
      return offset;
    }
    auto it = intervals.lower_bound(offset);
    if (it != intervals.end()) {
      next = std::min(next, it->first);
    }
    return next;
  }

  // ---- Mutations (docs/semantics.md sections 4 to 9). Each states its precondition as a comment;
  // the tests only call them when the precondition holds.

  // LookupOrAllocateCheckForInterval(offset, split=true) on an offset inside an interval (4.4):
  // [start, end) becomes [start, offset) [offset] [offset + P, end). The left part keeps the
  // awaiting-clean length; if |offset| was the Start, the Slot keeps at most one page of it and the
  // rest moves to the new Start at offset + P.
  void SplitInterval(uint64_t offset) {
    auto it = IntervalAt(offset);
    const uint64_t first = it->first;
    const Interval old = it->second;
    if (old.end - first == kPage) {
      return;  // already a Slot
    }
    intervals.erase(it);
    uint64_t slot_acl = 0;
    uint64_t right_acl = 0;
    if (first < offset) {
      intervals[first] = Interval{offset, old.dirty_state, old.awaiting_clean_len};
    } else if (old.awaiting_clean_len > kPage) {
      slot_acl = kPage;
      right_acl = old.awaiting_clean_len - kPage;
    } else {
      slot_acl = old.awaiting_clean_len;
    }
    intervals[offset] = Interval{offset + kPage, old.dirty_state, slot_acl};
    if (offset + kPage < old.end) {
      intervals[offset + kPage] = Interval{old.end, old.dirty_state, right_acl};
    }
  }

  // AddZeroIntervalInternal(start, end, state, acl) (4.8): [start, end) must hold no content and
  // lie in no interval. Merges with an interval ending at |start| and one beginning at |end| of
  // the same dirty state. The merged interval's awaiting-clean length is the left interval's (or
  // |acl| if there is none), extended by |acl| and then by the right interval's length only where
  // the lengths are contiguous; otherwise the right interval's length is dropped.
  void AddZeroInterval(uint64_t start, uint64_t end, DirtyState state, uint64_t acl) {
    auto left = intervals.end();
    auto after = intervals.lower_bound(start);
    if (after != intervals.begin()) {
      auto prev = std::prev(after);
      if (prev->second.end == start && prev->second.dirty_state == state) {
        left = prev;
      }
    }
    auto right = intervals.find(end);
    if (right != intervals.end() && right->second.dirty_state != state) {
      right = intervals.end();
    }
    const bool merge_left = left != intervals.end();
    const bool merge_right = right != intervals.end();

    const uint64_t new_start = merge_left ? left->first : start;
    uint64_t new_acl = merge_left ? left->second.awaiting_clean_len : acl;
    if (merge_left && acl > 0 && new_start + new_acl >= start) {
      new_acl = std::max(new_start + new_acl, start + acl) - new_start;
    }
    if (merge_right && acl > 0 && right->second.awaiting_clean_len > 0 &&
        new_start + new_acl >= end) {
      new_acl = std::max(new_start + new_acl, end + right->second.awaiting_clean_len) - new_start;
    }
    const uint64_t new_end = merge_right ? right->second.end : end;
    if (merge_left) {
      intervals.erase(left);
    }
    if (merge_right) {
      intervals.erase(right);
    }
    intervals[new_start] = Interval{new_end, state, new_acl};
  }

  // ReturnIntervalSlot(offset) (4.8): |offset| must be a one-page interval. It is re-added with its
  // own dirty state and awaiting-clean length, merging with its neighbours.
  void ReturnIntervalSlot(uint64_t offset) {
    auto it = intervals.find(offset);
    const Interval slot = it->second;
    intervals.erase(it);
    AddZeroInterval(offset, offset + kPage, slot.dirty_state, slot.awaiting_clean_len);
  }

  // PopulateSlotsInInterval(start, end) (4.8): [start, end) must lie in one interval. Every offset
  // becomes a one-page interval; the awaiting-clean length found after the first split is handed
  // out one page per slot from start + P on, then to |last|, and what is left goes to the interval
  // that remains after |last| if its length is smaller.
  void PopulateSlotsInInterval(uint64_t start, uint64_t end) {
    const uint64_t last = end - kPage;
    SplitInterval(start);
    if (start == last) {
      return;
    }
    SplitInterval(last);
    if (last == start + kPage) {
      return;
    }
    auto middle = intervals.find(start + kPage);
    const DirtyState state = middle->second.dirty_state;
    uint64_t acl = middle->second.awaiting_clean_len;
    intervals.erase(middle);
    for (uint64_t offset = start + kPage; offset < last; offset += kPage) {
      uint64_t slot_acl = 0;
      if (acl > 0) {
        slot_acl = kPage;
        acl -= kPage;
      }
      intervals[offset] = Interval{offset + kPage, state, slot_acl};
    }
    if (acl > 0) {
      intervals[last].awaiting_clean_len = kPage;
      acl -= kPage;
      auto next = intervals.find(last + kPage);
      if (acl > 0 && next != intervals.end()) {
        next->second.awaiting_clean_len = std::max(next->second.awaiting_clean_len, acl);
      }
    }
  }

  // ClipIntervalStart(interval_start, len) (4.8): the interval starting at |interval_start| must be
  // longer than |len|. Its awaiting-clean length shrinks by |len| (to 0 if not larger).
  void ClipIntervalStart(uint64_t interval_start, uint64_t len) {
    if (len == 0) {
      return;
    }
    auto it = intervals.find(interval_start);
    const Interval old = it->second;
    intervals.erase(it);
    const uint64_t acl = old.awaiting_clean_len > len ? old.awaiting_clean_len - len : 0;
    intervals[interval_start + len] = Interval{old.end, old.dirty_state, acl};
  }

  // ClipIntervalEnd(interval_end, len) (4.8): |interval_end| is the last page of an interval longer
  // than |len|. The awaiting-clean length (on the start) is untouched.
  void ClipIntervalEnd(uint64_t interval_end, uint64_t len) {
    if (len == 0) {
      return;
    }
    IntervalAt(interval_end)->second.end -= len;
  }

  // ReplacePageWithZeroInterval(offset, state) (4.8): |offset| must hold a page.
  void ReplacePageWithZeroInterval(uint64_t offset, DirtyState state) {
    content.erase(offset);
    AddZeroInterval(offset, offset + kPage, state, 0);
  }

 private:
  // The sentinel at |offset| of the interval |it|, which must be its first or last page.
  Slot SentinelAt(IntervalMap::const_iterator it, uint64_t offset) const {
    Slot slot;
    const uint64_t first = it->first;
    const uint64_t last = it->second.end - kPage;
    if (first == last) {
      slot.kind = Slot::Kind::kIntervalSlot;
    } else if (offset == first) {
      slot.kind = Slot::Kind::kIntervalStart;
    } else if (offset == last) {
      slot.kind = Slot::Kind::kIntervalEnd;
    } else {
      return slot;  // interior: Empty
    }
    slot.interval_start = first;
    slot.interval = it->second;
    return slot;
  }

  uint64_t skew_ = 0;
};

// Reads a real list into model form: ForEveryPage, with intervals rebuilt from their sentinels.
// Structural problems the model cannot represent (an End without a Start, content inside an
// interval, a malformed sentinel, mismatched dirty states) are described in *error.
inline PageListModel ReadList(const VmPageList& list, std::string* error) {
  PageListModel model(list.GetSkew());
  std::string problem;
  bool open = false;
  uint64_t open_start = 0;
  Interval open_interval;
  list.ForEveryPage([&](const VmPageOrMarker* p, uint64_t offset) -> zx_status_t {
    Slot slot = DecodeSlot(*p);
    const std::string where = "offset " + Hex(offset) + ": ";
    switch (slot.kind) {
      case Slot::Kind::kEmpty:
        problem = where + "ForEveryPage visited an empty slot";
        break;
      case Slot::Kind::kMalformed:
        problem = where + "malformed interval sentinel";
        break;
      case Slot::Kind::kContent:
        if (open) {
          problem = where + slot.content.ToString() + " inside the interval starting at " +
                    Hex(open_start);
        }
        model.content[offset] = slot.content;
        break;
      case Slot::Kind::kIntervalStart:
        if (open) {
          problem = where + "Start inside the interval starting at " + Hex(open_start);
        }
        open = true;
        open_start = offset;
        open_interval = slot.interval;
        break;
      case Slot::Kind::kIntervalEnd:
        if (!open) {
          problem = where + "End without a Start";
        } else if (slot.interval.dirty_state != open_interval.dirty_state) {
          problem = where + "End's dirty state differs from its Start's";
        }
        open = false;
        open_interval.end = offset + kPage;
        model.intervals[open_start] = open_interval;
        break;
      case Slot::Kind::kIntervalSlot:
        if (open) {
          problem = where + "Slot inside the interval starting at " + Hex(open_start);
        }
        slot.interval.end = offset + kPage;
        model.intervals[offset] = slot.interval;
        break;
    }
    return problem.empty() ? ZX_ERR_NEXT : ZX_ERR_STOP;
  });
  if (problem.empty() && open) {
    problem = "interval starting at " + Hex(open_start) + " has no End";
  }
  if (error) {
    *error = problem;
  }
  return model;
}

// Returns a description of the first difference between two models (skew, then the first offset
// at which their populated slots differ), or nullopt if they are equal.
inline std::optional<std::string> FirstDifference(const PageListModel& expected,
                                                  const PageListModel& actual) {
  if (expected.skew() != actual.skew()) {
    return "skew: expected " + Hex(expected.skew()) + ", list has " + Hex(actual.skew());
  }
  const auto e = expected.Populated(0, UINT64_MAX);
  const auto a = actual.Populated(0, UINT64_MAX);
  size_t i = 0;
  size_t j = 0;
  while (i < e.size() || j < a.size()) {
    if (j == a.size() || (i < e.size() && e[i].first < a[j].first)) {
      return "offset " + Hex(e[i].first) + ": expected " + e[i].second.ToString() +
             ", list slot is empty";
    }
    if (i == e.size() || a[j].first < e[i].first) {
      return "offset " + Hex(a[j].first) + ": expected empty, list has " + a[j].second.ToString();
    }
    if (!(e[i].second == a[j].second)) {
      return "offset " + Hex(e[i].first) + ": expected " + e[i].second.ToString() + ", list has " +
             a[j].second.ToString();
    }
    i++;
    j++;
  }
  return std::nullopt;
}

// Reads |list| and compares it with |model|: "" if they agree, else what differs first.
inline std::string CompareListWithModel(const VmPageList& list, const PageListModel& model);

// The same comparison done in one walk of |list| against |populated| (model.Populated(0,
// UINT64_MAX)), without building a second model: matching every populated offset and the kind of
// each slot there also matches interval extents, since a sentinel sits at each end of each
// interval. On a difference, the full comparison above describes it.
inline std::string CompareListWithPopulated(
    const VmPageList& list, const PageListModel& model,
    const std::vector<std::pair<uint64_t, Slot>>& populated) {
  std::string diff;
  if (list.GetSkew() != model.skew()) {
    diff = "skew: expected " + Hex(model.skew()) + ", list has " + Hex(list.GetSkew());
  }
  size_t i = 0;
  if (diff.empty()) {
    list.ForEveryPage([&](const VmPageOrMarker* p, uint64_t offset) -> zx_status_t {
      if (i == populated.size() || offset < populated[i].first) {
        diff = "offset " + Hex(offset) + ": expected empty, list has " + DecodeSlot(*p).ToString();
      } else if (offset > populated[i].first) {
        diff = "offset " + Hex(populated[i].first) + ": expected " +
               populated[i].second.ToString() + ", list slot is empty";
      } else {
        const std::string mismatch = SlotMismatch(*p, populated[i].second);
        if (!mismatch.empty()) {
          diff = "offset " + Hex(offset) + ": " + mismatch;
        }
      }
      i++;
      return diff.empty() ? ZX_ERR_NEXT : ZX_ERR_STOP;
    });
  }
  if (diff.empty() && i < populated.size()) {
    diff = "offset " + Hex(populated[i].first) + ": expected " + populated[i].second.ToString() +
           ", list slot is empty";
  }
  if (diff.empty()) {
    return diff;
  }
  const std::string full = CompareListWithModel(list, model);
  return full.empty() ? diff : full;
}

inline std::string CompareListWithModel(const VmPageList& list, const PageListModel& model) {
  std::string error;
  const PageListModel read = ReadList(list, &error);
  if (!error.empty()) {
    return "list is not readable as a model: " + error;
  }
  std::optional<std::string> diff = FirstDifference(model, read);
  return diff ? *diff : "";
}

}  // namespace vmpl_test

#endif  // VMPL_TESTS_CORE_PAGE_LIST_MODEL_H_
