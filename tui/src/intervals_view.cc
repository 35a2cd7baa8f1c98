// IntervalsView: one row per zero interval of a list (intervals_view.h).

#include "vmpl/tui/intervals_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace vmpl::tui {
namespace {

using vmpl::DecodedSlot;
using vmpl::SlotDirtyState;
using vmpl::SlotKind;
using vmpl::SlotSentinel;

constexpr uint64_t kPageSize = 4096;

constexpr const char* kHeaders[] = {"start", "end", "pages", "dirty", "awaiting-clean", "problem"};

// A VMO offset, negative ones (before the start of a skewed VMO) with a sign.
std::string Offset(uint64_t offset) {
  if (static_cast<int64_t>(offset) < 0) {
    return fmt::format("-{:#x}", uint64_t{0} - offset);
  }
  return fmt::format("{:#x}", offset);
}

// Adds |problem| to what |row| already says is wrong with it.
void AddProblem(IntervalRow& row, std::string_view problem) {
  row.problem += row.problem.empty() ? "" : "; ";
  row.problem += problem;
}

// Finds the intervals by following the sentinels in VMO order, as the node map does: |open_| is
// the interval whose start has been seen and whose end has not.
class IntervalWalker {
 public:
  explicit IntervalWalker(std::vector<IntervalRow>& rows) : rows_(rows) {}

  void Slot(uint64_t offset, uint64_t raw) {
    if (raw == 0) {
      return;
    }
    last_ = offset;
    const DecodedSlot slot = vmpl::DecodeRawSlot(raw);
    if (slot.kind != SlotKind::kInterval) {
      // Content between a start and its end: the interval claims pages that are not zero. The
      // first is named; a row does not grow with every page of a damaged node.
      if (open_ && !open_holds_content_) {
        open_holds_content_ = true;
        AddProblem(*open_, fmt::format("holds a {} at {}", vmpl::SlotKindName(slot.kind),
                                       Offset(offset)));
      }
      return;
    }
    IntervalRow row;
    row.start = offset;
    row.end = offset;
    row.dirty = slot.dirty;
    if (slot.sentinel == SlotSentinel::kInvalid || slot.dirty == SlotDirtyState::kInvalid) {
      // Not a sentinel any list writes: shown on its own, the open interval left as it is.
      row.problem =
          slot.sentinel == SlotSentinel::kInvalid ? "invalid sentinel 3" : "invalid dirty state 3";
      rows_.push_back(std::move(row));
      return;
    }
    switch (slot.sentinel) {
      case SlotSentinel::kStart:
        row.awaiting_clean = slot.awaiting_clean;
        if (open_) {
          CloseUnterminated(offset);
          row.problem = "start inside an open interval";
        }
        open_ = std::move(row);
        open_holds_content_ = false;
        return;
      case SlotSentinel::kSlot:
        row.awaiting_clean = slot.awaiting_clean;
        if (open_) {
          CloseUnterminated(offset);
          row.problem = "single slot inside an open interval";
        }
        rows_.push_back(std::move(row));
        return;
      case SlotSentinel::kEnd:
        if (!open_) {
          row.start_known = false;
          row.problem = "end with no start";
          rows_.push_back(std::move(row));
          return;
        }
        open_->end = offset;
        if (open_->dirty != slot.dirty) {
          AddProblem(*open_, fmt::format("dirty state differs: start {}, end {}",
                                         vmpl::SlotDirtyStateName(open_->dirty),
                                         vmpl::SlotDirtyStateName(slot.dirty)));
        }
        rows_.push_back(std::move(*open_));
        open_.reset();
        return;
      case SlotSentinel::kInvalid:
        return;
    }
  }

  // The walk is over: an interval still open never ended.
  void Finish() {
    if (open_) {
      CloseUnterminated(last_ + kPageSize);
    }
  }

 private:
  // Ends the open interval as broken just before |next| (where something else began).
  void CloseUnterminated(uint64_t next) {
    open_->end = std::max(open_->start, next - kPageSize);
    open_->end_known = false;
    open_->problem = "start with no end" + (open_->problem.empty() ? "" : "; " + open_->problem);
    rows_.push_back(std::move(*open_));
    open_.reset();
  }

  std::vector<IntervalRow>& rows_;
  std::optional<IntervalRow> open_;
  bool open_holds_content_ = false;  // a content slot of the open interval has been named
  uint64_t last_ = 0;
};

}  // namespace

uint64_t IntervalRow::pages() const {
  // Offsets before the VMO's start are stored wrapped, so the distance is taken modulo 2^64.
  const uint64_t distance = end - start;
  if (!start_known || !end_known || static_cast<int64_t>(distance) < 0) {
    return 0;
  }
  return distance / kPageSize + 1;
}

IntervalsView::IntervalsView(const vmpl::SnapshotList& list) {
  IntervalWalker walker(rows_);
  for (const vmpl::SnapshotNode& node : list.nodes) {
    for (size_t i = 0; i < node.slots.size(); i++) {
      // Unsigned arithmetic: the first node of a skewed list wraps below zero, as Offset shows.
      walker.Slot(node.key + i * kPageSize - list.skew, node.slots[i]);
    }
  }
  walker.Finish();
  for (int c = 0; c < kColumns; c++) {
    widths_[c] = static_cast<int>(std::string_view(kHeaders[c]).size());
  }
  for (const IntervalRow& row : rows_) {
    const auto cells = Cells(row);
    for (int c = 0; c < kColumns; c++) {
      widths_[c] = std::max(widths_[c], static_cast<int>(cells[c].size()));
    }
  }
}

std::array<std::string, IntervalsView::kColumns> IntervalsView::Cells(const IntervalRow& row) {
  std::array<std::string, kColumns> cells;
  cells[kStart] = row.start_known ? Offset(row.start) : "?";
  // Half-open, as every view gives a range (docs/snapshot-format.md, "Words"): one past the last
  // page.
  cells[kEnd] = row.end_known ? Offset(row.end + kPageSize) : "?";
  cells[kPages] = row.pages() != 0 ? std::to_string(row.pages()) : "?";
  cells[kDirty] = vmpl::SlotDirtyStateName(row.dirty);
  cells[kAwaitingClean] = row.awaiting_clean != 0 ? fmt::format("{:#x}", row.awaiting_clean) : "-";
  cells[kProblem] = row.problem;
  return cells;
}

void IntervalsView::Render(Frame& frame, int x, int y, int width, int height, size_t first_row,
                           size_t selected_row) const {
  Region region(frame, x, y, width, height);
  // Column c starts at 1 (after the selection mark) plus the widths before it, two apart. Offsets
  // and counts are right-aligned, words left-aligned. The problem column is last and runs on.
  std::array<int, kColumns> starts{};
  int pen = 1;
  for (int c = 0; c < kColumns; c++) {
    starts[c] = pen;
    pen += widths_[c] + 2;
  }
  auto put_cell = [&](int c, int row_y, const std::string& text, Style style) {
    const bool left = c == kDirty || c == kProblem;
    const int at = left ? starts[c] : starts[c] + widths_[c] - static_cast<int>(text.size());
    region.Put(at, row_y, text, style);
  };
  for (int c = 0; c < kColumns; c++) {
    put_cell(c, 0, kHeaders[c], Style::kHeader);
  }
  if (rows_.empty()) {
    region.Put(1, 1, "(no intervals)", Style::kDefault);
    return;
  }
  for (int row_y = 1; row_y < height; row_y++) {
    const size_t index = first_row + static_cast<size_t>(row_y - 1);
    if (index >= rows_.size() || index < first_row) {
      break;
    }
    const IntervalRow& row = rows_[index];
    const bool selected = index == selected_row;
    const bool problem = !row.problem.empty();
    if (selected) {
      region.PutGlyph(0, row_y, U'>', Style::kSelected);
    }
    const auto cells = Cells(row);
    for (int c = 0; c < kColumns; c++) {
      Style style = selected ? Style::kSelected : Style::kDefault;
      if (problem && (!selected || c == kProblem)) {
        style = Style::kProblem;
      }
      put_cell(c, row_y, cells[c], style);
    }
  }
}

}  // namespace vmpl::tui
