// LayOut: pane rectangles, visible rows and clamped scroll offsets (layout.h).

#include "vmpl/tui/layout.h"

#include <algorithm>

#include "vmpl/tui/events_view.h"
#include "vmpl/tui/node_map.h"

namespace vmpl::tui {
namespace {

// The smallest pane that shows one row of its view: the pane's title line, the view's own header
// lines, one row.
constexpr int kMinListsHeight = 1 + 1 + 1;                     // the table's column header
constexpr int kMinNodesHeight = 1 + NodeMap::kHeaderRows + 1;  // the slot ruler and skew line
constexpr int kMinDetailHeight = 1 + 1;
constexpr int kMinEventsHeight = 1 + kEventsHeaderLines + 1;  // counts and busiest kinds
constexpr int kMinProblemsHeight = 1 + 1 + 1;                 // the "N problems" line
// Heights tried when looking for the smallest that fits.
constexpr int kMaxHeight = 1000;

// The first of |rows| rows shown of |count|: |first| moved as little as possible for row
// |selected| to be shown, then for no row past the last to be (a pane grown taller, a view grown
// shorter, shows more of it rather than blank rows).
size_t Scroll(size_t selected, size_t count, int rows, size_t first) {
  const size_t visible = static_cast<size_t>(std::max(rows, 1));
  if (selected < first) {
    first = selected;
  } else if (selected >= first + visible) {
    first = selected - visible + 1;
  }
  return std::min(first, count > visible ? count - visible : 0);
}

// The rectangles alone.
ScreenLayout PlacePanes(int width, int height, size_t lists, bool problems_pane) {
  ScreenLayout l;
  l.width = width;
  l.height = height;
  l.title = {0, 0, width, 1};
  l.status = {0, height - 1, width, 1};
  const int body_y = 1;
  int body_h = std::max(0, height - 2);
  if (problems_pane) {
    const int h = std::min(7, std::max(2, body_h / 4));
    l.problems.rect = {0, body_y + body_h - h, width, h};
    body_h -= h;
  }
  // The lists pane is as tall as its table (title and header), within bounds.
  const int list_rows = static_cast<int>(std::min<size_t>(lists, kMaxHeight)) + 2;
  if (width >= kTwoColumns) {
    const int left_w = std::clamp(std::max(width * 3 / 5, 96), 48, width - 40);
    const int lists_max = std::max(body_h * 2 / 5, 1);
    const int lists_h = std::clamp(list_rows, std::min({5, body_h, lists_max}), lists_max);
    l.lists.rect = {0, body_y, left_w, lists_h};
    l.nodes.rect = {0, body_y + lists_h, left_w, body_h - lists_h};
    const int right_x = left_w + 1;
    const int right_w = width - right_x;
    const int detail_h = body_h / 2;
    l.detail.rect = {right_x, body_y, right_w, detail_h};
    l.events.rect = {right_x, body_y + detail_h, right_w, body_h - detail_h};
  } else {
    const int lists_max = std::max(body_h / 4, 1);
    const int lists_h = std::clamp(list_rows, std::min({4, body_h, lists_max}), lists_max);
    const int nodes_h = (body_h - lists_h) * 2 / 5;
    const int detail_h = (body_h - lists_h - nodes_h) / 2;
    l.lists.rect = {0, body_y, width, lists_h};
    l.nodes.rect = {0, body_y + lists_h, width, nodes_h};
    l.detail.rect = {0, body_y + lists_h + nodes_h, width, detail_h};
    l.events.rect = {0, body_y + lists_h + nodes_h + detail_h, width,
                     body_h - lists_h - nodes_h - detail_h};
  }
  return l;
}

bool Fits(const ScreenLayout& l, bool problems_pane) {
  return l.width >= kMinWidth && l.lists.rect.height >= kMinListsHeight &&
         l.nodes.rect.height >= kMinNodesHeight && l.detail.rect.height >= kMinDetailHeight &&
         l.events.rect.height >= kMinEventsHeight &&
         (!problems_pane || l.problems.rect.height >= kMinProblemsHeight);
}

}  // namespace

const PaneLayout& ScreenLayout::pane(Pane which) const {
  switch (which) {
    case Pane::kLists:
      return lists;
    case Pane::kNodes:
      return nodes;
    case Pane::kDetail:
      return detail;
    case Pane::kEvents:
      return events;
    case Pane::kProblems:
      break;
  }
  return problems;
}

ScreenLayout LayOut(int width, int height, const ContentSizes& sizes, const ViewState& view) {
  ScreenLayout l = PlacePanes(width, height, sizes.lists, sizes.problems_pane);
  // Until they are clamped, every pane shows from where the view state says.
  l.lists.first = view.lists.first;
  l.nodes.first = view.nodes.first;
  l.detail.first = view.detail.interval_first;
  l.events.first = view.events.skip;
  l.problems.first = view.problems.first;
  if (!Fits(l, sizes.problems_pane)) {
    ScreenLayout empty;
    empty.width = width;
    empty.height = height;
    empty.too_small = true;
    empty.min_width = std::max(width, kMinWidth);
    empty.min_height = kMaxHeight;
    for (int h = 1; h < kMaxHeight; h++) {
      if (Fits(PlacePanes(empty.min_width, h, sizes.lists, sizes.problems_pane),
               sizes.problems_pane)) {
        empty.min_height = h;
        break;
      }
    }
    empty.lists.first = l.lists.first;
    empty.nodes.first = l.nodes.first;
    empty.detail.first = l.detail.first;
    empty.events.first = l.events.first;
    empty.problems.first = l.problems.first;
    return empty;
  }

  // Below each pane's title line: the view's header lines, then its rows.
  l.lists.rows = l.lists.rect.height - 2;
  l.lists.first = Scroll(view.lists.row, sizes.lists, l.lists.rows, l.lists.first);

  l.nodes.rows = l.nodes.rect.height - 1 - NodeMap::kHeaderRows;
  if (sizes.list_selected) {
    l.nodes.first = Scroll(view.nodes.row, sizes.nodes, l.nodes.rows, l.nodes.first);
  }

  l.detail.rows = l.detail.rect.height - 2;  // the intervals view's column header
  if (sizes.list_selected && view.detail.mode == DetailMode::kIntervals) {
    l.detail.first =
        Scroll(view.detail.interval_row, sizes.intervals, l.detail.rows, l.detail.first);
  }

  // Scrolled back at most until the oldest event kept is the top row.
  l.events.rows = l.events.rect.height - 1 - kEventsHeaderLines;
  const size_t visible = static_cast<size_t>(std::max(l.events.rows, 1));
  l.events.first = std::min(l.events.first, sizes.events > visible ? sizes.events - visible : 0);

  if (sizes.problems_pane) {
    l.problems.rows = l.problems.rect.height - 2;  // the view's count line
    l.problems.first = Scroll(view.problems.row, sizes.problems, l.problems.rows, l.problems.first);
  }
  return l;
}

}  // namespace vmpl::tui
