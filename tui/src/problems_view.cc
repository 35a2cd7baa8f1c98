// ProblemsView: every problem of a snapshot, one row each (problems_view.h).

#include "vmpl/tui/problems_view.h"

#include <fmt/format.h>

namespace vmpl::tui {
namespace {

}  // namespace

ProblemsView::ProblemsView(const vmpl::Snapshot& snapshot) {
  for (const vmpl::SnapshotProblem& problem : snapshot.problems) {
    rows_.push_back({-1, problem.address,
                     Printable(fmt::format("{:#x}: {}", problem.address, problem.message))});
  }
  for (size_t i = 0; i < snapshot.lists.size(); i++) {
    const vmpl::SnapshotList& list = snapshot.lists[i];
    const std::string name =
        list.name.empty() ? fmt::format("list at {:#x}", list.address) : list.name;
    const int index = static_cast<int>(i);
    for (const vmpl::SnapshotProblem& problem : list.problems) {
      rows_.push_back(
          {index, problem.address,
           Printable(fmt::format("{}: {:#x}: {}", name, problem.address, problem.message))});
    }
    if (!list.complete) {
      rows_.push_back({index, list.address,
                       Printable(fmt::format("{}: walk stopped early: {} nodes read", name,
                                             list.nodes.size()))});
    }
  }
}

void ProblemsView::Render(Frame& frame, int x, int y, int width, int height, size_t first_row,
                          size_t selected_row) const {
  Region region(frame, x, y, width, height);
  region.Put(1, 0, rows_.size() == 1 ? "1 problem" : fmt::format("{} problems", rows_.size()),
             Style::kHeader);
  if (rows_.empty()) {
    region.Put(1, 1, "(no problems)", Style::kDefault);
    return;
  }
  for (int row_y = 1; row_y < height; row_y++) {
    const size_t index = first_row + static_cast<size_t>(row_y - 1);
    if (index >= rows_.size() || index < first_row) {
      break;
    }
    const bool selected = index == selected_row;
    if (selected) {
      region.PutGlyph(0, row_y, U'>', Style::kSelected);
    }
    region.Put(1, row_y, rows_[index].text, selected ? Style::kSelected : Style::kProblem);
  }
}

}  // namespace vmpl::tui
