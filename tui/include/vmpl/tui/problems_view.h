// vmpl::tui::ProblemsView: the TUI's list of every problem in a snapshot, one row per problem.
//
// A snapshot of damaged memory is still drawn (docs/architecture.md, Principles: bad input); this
// pane is where its damage is read. Rows come in a fixed order: the snapshot's own problems
// (outside any list: the registry), then each list's problems in list order, and after a list's
// problems, if its walk stopped early, a row "walk stopped early: N nodes read". Each row keeps the
// index of its list and the address the problem was found at, so that the app can jump to the list
// and the node.
//
// The text names the list (its name, or its address if it has none), the address and the message:
// "vmo:3: 0x7f0012340000: canary 0x0, expected "PLST"". Names and messages come from the target:
// control characters become '?'. Long rows are cut at the window's edge.
//
// Rows are built once, at construction; Render draws only the rows that fit. The snapshot is not
// referred to after construction.

#ifndef VMPL_TUI_PROBLEMS_VIEW_H_
#define VMPL_TUI_PROBLEMS_VIEW_H_

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include <vmpl/model/snapshot.h>
#include "vmpl/tui/frame.h"

namespace vmpl::tui {

struct ProblemRow {
  int list_index = -1;   // index in Snapshot::lists, -1 for a problem outside any list
  uint64_t address = 0;  // where it was found
  std::string text;      // "vmo:3: 0x7f..: canary 0x0, expected "PLST"" (sanitized)
};

class ProblemsView {
 public:
  explicit ProblemsView(const vmpl::Snapshot& snapshot);

  size_t rows() const { return rows_.size(); }
  const ProblemRow& row(size_t index) const { return rows_[index]; }

  // Draws a header line ("N problems") and the rows first_row, first_row + 1, ... that fit in
  // the window (x, y, width, height) of |frame|, clipped to it. Row |selected_row| (if shown) is
  // marked with '>' and the selected style. A snapshot with none shows "(no problems)".
  void Render(Frame& frame, int x, int y, int width, int height, size_t first_row,
              size_t selected_row) const;

 private:
  std::vector<ProblemRow> rows_;
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_PROBLEMS_VIEW_H_
