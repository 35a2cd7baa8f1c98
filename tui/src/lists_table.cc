// ListsTable: one row per list of a snapshot (lists_table.h).

#include "vmpl/tui/lists_table.h"

#include <stdio.h>

#include <algorithm>

#include "vmpl/model/slot.h"
#include "vmpl/model/text_view.h"

namespace vmpl::tui {
namespace {


constexpr const char* kHeaders[] = {"name", "kind",    "skew",      "nodes",   "pages",
                                    "refs", "markers", "intervals", "problems"};

// Adds every slot of |node| to |counts|.
void Add(vmpl::SlotCounts& counts, const vmpl::SnapshotNode& node) {
  for (uint64_t raw : node.slots) {
    counts.Add(raw);
  }
}

// Number of code points in |text| (continuation bytes do not start one).
int CodePoints(const std::string& text) {
  int n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      n++;
    }
  }
  return n;
}

}  // namespace

ListsTable::ListsTable(const vmpl::Snapshot& snapshot) {
  rows_.reserve(snapshot.lists.size());
  for (const vmpl::SnapshotList& list : snapshot.lists) {
    vmpl::SlotCounts counts;
    for (const vmpl::SnapshotNode& node : list.nodes) {
      Add(counts, node);
    }
    const bool splice = list.kind == vmpl::SnapshotListKind::kSpliceList;
    if (splice) {
      Add(counts, list.head);
      Add(counts, list.tail);
    }
    Row row;
    row.cells[kName] = list.name.empty() ? "-" : Printable(list.name);
    row.cells[kKind] = splice ? "splice" : "page";
    char skew[24];
    snprintf(skew, sizeof(skew), "0x%llx", static_cast<unsigned long long>(list.skew));
    row.cells[kSkew] = skew;
    row.cells[kNodes] = std::to_string(list.nodes.size());
    row.cells[kPages] = std::to_string(counts.pages);
    row.cells[kReferences] = std::to_string(counts.references);
    row.cells[kMarkers] = std::to_string(counts.markers);
    row.cells[kIntervals] = std::to_string(counts.intervals);
    row.cells[kProblems] = std::to_string(list.problems.size()) + (list.complete ? "" : "+");
    row.problem = !list.problems.empty() || !list.complete;
    rows_.push_back(std::move(row));
  }
  for (int c = 0; c < kColumns; c++) {
    widths_[c] = CodePoints(kHeaders[c]);
    for (const Row& row : rows_) {
      widths_[c] = std::max(widths_[c], CodePoints(row.cells[c]));
    }
  }
  widths_[kName] = std::min(widths_[kName], kMaxNameWidth);
}

void ListsTable::Render(Frame& frame, int x, int y, int width, int height, size_t first_row,
                        size_t selected_row) const {
  Region region(frame, x, y, width, height);
  // Column c starts at 1 (after the selection mark) plus the widths before it, two apart. The
  // name is left-aligned, everything else right-aligned, as numbers are read.
  std::array<int, kColumns> starts{};
  int pen = 1;
  for (int c = 0; c < kColumns; c++) {
    starts[c] = pen;
    pen += widths_[c] + 2;
  }
  auto put_cell = [&](int c, int row_y, const std::string& text, Style style) {
    const int left = c == kName ? starts[c] : starts[c] + widths_[c] - CodePoints(text);
    // A sub-region cuts a long name at its column.
    Region cell(frame, x + left, y + row_y, std::min(widths_[c], width - left),
                std::min(1, height - row_y));
    cell.Put(0, 0, text, style);
  };
  for (int c = 0; c < kColumns; c++) {
    put_cell(c, 0, kHeaders[c], Style::kHeader);
  }
  if (rows_.empty()) {
    region.Put(1, 1, "(no lists)", Style::kDefault);
    return;
  }
  for (int row_y = 1; row_y < height; row_y++) {
    const size_t index = first_row + static_cast<size_t>(row_y - 1);
    if (index >= rows_.size() || index < first_row) {
      break;
    }
    const Row& row = rows_[index];
    const bool selected = index == selected_row;
    if (selected) {
      region.PutGlyph(0, row_y, U'>', Style::kSelected);
    }
    for (int c = 0; c < kColumns; c++) {
      Style style = selected ? Style::kSelected : Style::kDefault;
      if (c == kProblems && row.problem) {
        style = Style::kProblem;
      }
      put_cell(c, row_y, row.cells[c], style);
    }
  }
}

}  // namespace vmpl::tui
