// vmpl::tui::ListsTable: the TUI's table of a snapshot's lists, one row per list.
//
// Columns: name, kind (page or splice), skew, nodes, pages, references, markers, intervals and
// problems. Counts are of slots as the snapshot holds them: a zero interval counts once (its start
// or single-slot sentinel), and a splice list's inline head and tail nodes are counted beside its
// tree's nodes (their slots in the content columns, not in "nodes"). A list whose walk stopped
// early shows its problem count followed by '+': there is more to it than was read.
//
// Names come from the target and are untrusted: control characters are drawn as '?', and a name
// wider than its column is cut at the column's edge. Columns are as wide as their widest value
// (the name column at most kMaxNameWidth).
//
// The counts are computed once, at construction; Render draws only the rows that fit. The
// snapshot is referred to, not copied: it must outlive the table.

#ifndef VMPL_TUI_LISTS_TABLE_H_
#define VMPL_TUI_LISTS_TABLE_H_

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <string>
#include <vector>

#include <vmpl/model/snapshot.h>
#include "vmpl/tui/frame.h"

namespace vmpl::tui {

class ListsTable {
 public:
  static constexpr int kMaxNameWidth = 24;

  explicit ListsTable(const vmpl::Snapshot& snapshot);

  size_t rows() const { return rows_.size(); }

  // Draws the header row and the list rows first_row, first_row + 1, ... that fit in the window
  // (x, y, width, height) of |frame|, clipped to it. Row |selected_row| (if shown) is marked with
  // '>' and the selected style. A snapshot with no lists shows "(no lists)".
  void Render(Frame& frame, int x, int y, int width, int height, size_t first_row,
              size_t selected_row) const;

 private:
  enum Column {
    kName,
    kKind,
    kSkew,
    kNodes,
    kPages,
    kReferences,
    kMarkers,
    kIntervals,
    kProblems,
    kColumns
  };

  struct Row {
    std::array<std::string, kColumns> cells;
    bool problem = false;
  };

  std::vector<Row> rows_;
  std::array<int, kColumns> widths_{};
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_LISTS_TABLE_H_
