// vmpl::tui::IntervalsView: the TUI's table of one list's zero intervals, one row per interval.
//
// A zero interval is a run of VMO pages that read as zero without holding anything
// (docs/semantics.md section 7.1): a start sentinel, the empty slots after it, then an end
// sentinel, possibly many nodes later and across stretches of the VMO with no node at all; or a
// single-slot sentinel for a one-page interval. The node map shows them cell by cell; this table
// shows each as one row: first and last page (VMO byte offsets), length in pages, dirty state, and
// the awaiting-clean length the start (or single-slot) sentinel carries.
//
// Broken intervals are rows too, in the problem style, with what is wrong: a start with no end, an
// end with no start, a start (or single slot) inside an open interval, an end whose dirty state is
// not its start's, content (a page, marker or reference) between a start and its end, and
// sentinel or dirty-state codes no page list writes. A row whose start or end is unknown shows '?'
// there. An offset before the VMO's start (the first node of a skewed list) is shown negative.
//
// The rows are found once, at construction, by walking the nodes in key order; Render formats
// and draws only the rows that fit. The list is not referred to after construction.

#ifndef VMPL_TUI_INTERVALS_VIEW_H_
#define VMPL_TUI_INTERVALS_VIEW_H_

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <string>
#include <vector>

#include "vmpl/model/slot.h"
#include "vmpl/model/text_view.h"
#include <vmpl/model/snapshot.h>
#include "vmpl/tui/frame.h"

namespace vmpl::tui {

struct IntervalRow {
  uint64_t start = 0;  // VMO byte offset of the first page of the interval (two's complement if
                       // before the VMO's start)
  uint64_t end = 0;    // VMO byte offset of its last page (the view shows end + a page: ranges
                       // are half-open everywhere)
  vmpl::SlotDirtyState dirty = vmpl::SlotDirtyState::kUntracked;
  uint64_t awaiting_clean = 0;  // bytes, from the start (or single-slot) sentinel
  std::string problem;          // "" if well formed; else e.g. "start with no end"
  bool start_known = true;      // false for an end with no start (start == end then)
  bool end_known = true;        // false for a start with no end (end: the last offset walked)

  // Pages from start to end inclusive; 0 if either is unknown.
  uint64_t pages() const;
};

class IntervalsView {
 public:
  explicit IntervalsView(const vmpl::SnapshotList& list);

  size_t rows() const { return rows_.size(); }
  const IntervalRow& row(size_t index) const { return rows_[index]; }

  // Draws the header row and the rows first_row, first_row + 1, ... that fit in the window (x, y,
  // width, height) of |frame|, clipped to it. Row |selected_row| (if shown) is marked with '>'
  // and the selected style. A list with no intervals shows "(no intervals)".
  void Render(Frame& frame, int x, int y, int width, int height, size_t first_row,
              size_t selected_row) const;

 private:
  enum Column { kStart, kEnd, kPages, kDirty, kAwaitingClean, kProblem, kColumns };

  static std::array<std::string, kColumns> Cells(const IntervalRow& row);

  std::vector<IntervalRow> rows_;
  std::array<int, kColumns> widths_{};
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_INTERVALS_VIEW_H_
