// The TUI's layout (tui/include/vmpl/tui/layout.h) as the pure function it is: terminal sizes,
// content sizes and view states in, rectangles, visible rows and clamped scroll offsets out. No
// source, no frame, no terminal.

#include <gtest/gtest.h>
#include <vmpl/tui/events_view.h>
#include <vmpl/tui/layout.h>
#include <vmpl/tui/node_map.h>

#include <vector>

namespace {

using vmpl::tui::ContentSizes;
using vmpl::tui::DetailMode;
using vmpl::tui::kMinWidth;
using vmpl::tui::kTwoColumns;
using vmpl::tui::LayOut;
using vmpl::tui::Pane;
using vmpl::tui::PaneLayout;
using vmpl::tui::Rect;
using vmpl::tui::ScreenLayout;
using vmpl::tui::ViewState;

// A snapshot of |lists| lists, one selected with |nodes| nodes; with |problems| problem rows
// (and the pane) when not 0.
ContentSizes Content(size_t lists = 5, size_t nodes = 11, size_t problems = 0) {
  ContentSizes sizes;
  sizes.lists = lists;
  sizes.list_selected = lists != 0;
  sizes.nodes = nodes;
  sizes.intervals = 3;
  sizes.problems = problems;
  sizes.problems_pane = problems != 0;
  sizes.events = 100;
  return sizes;
}

const Pane kPanes[] = {Pane::kLists, Pane::kNodes, Pane::kDetail, Pane::kEvents, Pane::kProblems};

bool Inside(const Rect& r, int width, int height) {
  return r.x >= 0 && r.y >= 0 && r.x + r.width <= width && r.y + r.height <= height;
}

bool Overlap(const Rect& a, const Rect& b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

// Every pane inside the screen, between the title and the status line, none over another, each
// showing at least one row of its view.
void ExpectWholeLayout(const ScreenLayout& l, bool problems) {
  SCOPED_TRACE(testing::Message() << l.width << "x" << l.height);
  ASSERT_FALSE(l.too_small);
  EXPECT_EQ(l.title, (Rect{0, 0, l.width, 1}));
  EXPECT_EQ(l.status, (Rect{0, l.height - 1, l.width, 1}));
  std::vector<Rect> rects;
  for (Pane pane : kPanes) {
    const PaneLayout& placed = l.pane(pane);
    if (pane == Pane::kProblems && !problems) {
      EXPECT_EQ(placed.rect.height, 0);
      continue;
    }
    EXPECT_TRUE(Inside(placed.rect, l.width, l.height - 1)) << static_cast<int>(pane);
    EXPECT_GE(placed.rect.y, 1) << static_cast<int>(pane);
    EXPECT_GE(placed.rows, 1) << static_cast<int>(pane);
    for (const Rect& other : rects) {
      EXPECT_FALSE(Overlap(placed.rect, other)) << static_cast<int>(pane);
    }
    rects.push_back(placed.rect);
  }
}

TEST(Layout, TwoColumnsFromOneHundredColumns) {
  const ViewState view;
  const ScreenLayout wide = LayOut(kTwoColumns, 40, Content(), view);
  ExpectWholeLayout(wide, false);
  // Lists over nodes on the left, detail over events on the right, a column between.
  EXPECT_EQ(wide.lists.rect.x, 0);
  EXPECT_EQ(wide.nodes.rect.x, 0);
  EXPECT_EQ(wide.nodes.rect.y, wide.lists.rect.y + wide.lists.rect.height);
  EXPECT_EQ(wide.detail.rect.x, wide.lists.rect.width + 1);
  EXPECT_EQ(wide.events.rect.x, wide.detail.rect.x);
  EXPECT_EQ(wide.detail.rect.x + wide.detail.rect.width, kTwoColumns);

  const ScreenLayout narrow = LayOut(kTwoColumns - 1, 40, Content(), view);
  ExpectWholeLayout(narrow, false);
  // Stacked: every pane full width, one under the other.
  int y = 1;
  for (Pane pane : {Pane::kLists, Pane::kNodes, Pane::kDetail, Pane::kEvents}) {
    const Rect& r = narrow.pane(pane).rect;
    EXPECT_EQ(r.x, 0);
    EXPECT_EQ(r.width, kTwoColumns - 1);
    EXPECT_EQ(r.y, y);
    y += r.height;
  }
  EXPECT_EQ(y, 40 - 1);
}

// The numbers the golden frames were drawn with (120x40 and 80x24, with a problems pane).
TEST(Layout, KnownSizes) {
  struct Known {
    int width, height;
    Rect lists, nodes, detail, events, problems;
  };
  const Known known[] = {
      {120, 40, {0, 1, 80, 7}, {0, 8, 80, 24}, {81, 1, 39, 15}, {81, 16, 39, 16}, {0, 32, 120, 7}},
      {80, 24, {0, 1, 80, 4}, {0, 5, 80, 5}, {0, 10, 80, 4}, {0, 14, 80, 4}, {0, 18, 80, 5}},
  };
  for (const Known& k : known) {
    const ScreenLayout l = LayOut(k.width, k.height, Content(5, 11, 3), ViewState());
    ExpectWholeLayout(l, true);
    EXPECT_EQ(l.lists.rect, k.lists);
    EXPECT_EQ(l.nodes.rect, k.nodes);
    EXPECT_EQ(l.detail.rect, k.detail);
    EXPECT_EQ(l.events.rect, k.events);
    EXPECT_EQ(l.problems.rect, k.problems);
    // Rows of content: below the pane title and the view's own header lines.
    EXPECT_EQ(l.lists.rows, k.lists.height - 2);
    EXPECT_EQ(l.nodes.rows, k.nodes.height - 1 - vmpl::tui::NodeMap::kHeaderRows);
    EXPECT_EQ(l.detail.rows, k.detail.height - 2);
    EXPECT_EQ(l.events.rows, k.events.height - 1 - vmpl::tui::kEventsHeaderLines);
    EXPECT_EQ(l.problems.rows, k.problems.height - 2);
  }
}

TEST(Layout, EverySizeFromTheMinimumUpIsWhole) {
  const ViewState view;
  for (bool problems : {false, true}) {
    for (size_t lists : {size_t{0}, size_t{1}, size_t{5}, size_t{500}}) {
      for (int width : {kMinWidth, 60, 80, kTwoColumns - 1, kTwoColumns, 160, 250}) {
        const ContentSizes sizes = Content(lists, 11, problems ? 3 : 0);
        const ScreenLayout small = LayOut(width, 1, sizes, view);
        ASSERT_TRUE(small.too_small);
        ASSERT_EQ(small.min_width, width);
        // The minimum fits, one row less does not, and nothing taller is too small again.
        EXPECT_TRUE(LayOut(width, small.min_height - 1, sizes, view).too_small);
        for (int height = small.min_height; height <= 120; height++) {
          ExpectWholeLayout(LayOut(width, height, sizes, view), problems);
        }
      }
    }
  }
}

TEST(Layout, TooSmallNamesTheSizeThatFits) {
  const ViewState view;
  // The example: 40x12 shows no row of several panes.
  const ScreenLayout l = LayOut(40, 12, Content(), view);
  EXPECT_TRUE(l.too_small);
  EXPECT_EQ(l.width, 40);
  EXPECT_EQ(l.height, 12);
  EXPECT_EQ(l.min_width, 40);
  EXPECT_EQ(l.min_height, 16);
  // Problems take rows of their own.
  EXPECT_EQ(LayOut(40, 12, Content(5, 11, 3), view).min_height, 20);
  // Too narrow, however tall.
  const ScreenLayout thin = LayOut(kMinWidth - 1, 100, Content(), view);
  EXPECT_TRUE(thin.too_small);
  EXPECT_EQ(thin.min_width, kMinWidth);
  EXPECT_EQ(thin.min_height, 16);
  // No pane is placed: the mouse finds nothing to click.
  for (Pane pane : kPanes) {
    EXPECT_EQ(l.pane(pane).rect, Rect{}) << static_cast<int>(pane);
    EXPECT_EQ(l.pane(pane).rows, 0) << static_cast<int>(pane);
  }
}

TEST(Layout, TinyAndDegenerateSizes) {
  const ViewState view;
  for (int width : {0, 1, 2, 10, 39}) {
    for (int height : {0, 1, 2, 5, 15}) {
      const ScreenLayout l = LayOut(width, height, Content(), view);
      EXPECT_TRUE(l.too_small) << width << "x" << height;
      EXPECT_GE(l.min_width, kMinWidth);
      EXPECT_FALSE(LayOut(l.min_width, l.min_height, Content(), view).too_small);
    }
  }
  // An empty snapshot still lays out.
  ExpectWholeLayout(LayOut(120, 40, Content(0, 0), view), false);
}

TEST(Layout, ScrollsTheSelectionIntoView) {
  ViewState view;
  const ContentSizes sizes = Content(50, 200);
  const ScreenLayout base = LayOut(120, 40, sizes, view);
  const int list_rows = base.lists.rows;
  const int node_rows = base.nodes.rows;
  ASSERT_LT(list_rows, 50);
  ASSERT_LT(node_rows, 200);

  // Below the window: the selection becomes its last row.
  view.lists.row = 30;
  view.nodes.row = 150;
  ScreenLayout l = LayOut(120, 40, sizes, view);
  EXPECT_EQ(l.lists.first, 30u - static_cast<size_t>(list_rows) + 1);
  EXPECT_EQ(l.nodes.first, 150u - static_cast<size_t>(node_rows) + 1);

  // Inside the window: the window stays.
  view.lists.first = 28;
  view.nodes.first = 140;
  l = LayOut(120, 40, sizes, view);
  EXPECT_EQ(l.lists.first, 28u);
  EXPECT_EQ(l.nodes.first, 140u);

  // Above the window: the selection becomes its first row.
  view.lists.row = 3;
  view.nodes.row = 7;
  l = LayOut(120, 40, sizes, view);
  EXPECT_EQ(l.lists.first, 3u);
  EXPECT_EQ(l.nodes.first, 7u);
}

TEST(Layout, NeverScrollsPastTheLastRow) {
  ViewState view;
  // Scrolled to the end of 200 nodes at 120x20, then the terminal grows: more rows show, the
  // last node stays the last row instead of blank rows appearing below it.
  view.nodes.row = 199;
  view.nodes.first = 199;
  const ScreenLayout short_screen = LayOut(120, 20, Content(5, 200), view);
  view.nodes.first = short_screen.nodes.first;
  EXPECT_EQ(view.nodes.first, 200u - static_cast<size_t>(short_screen.nodes.rows));
  const ScreenLayout tall = LayOut(120, 60, Content(5, 200), view);
  EXPECT_EQ(tall.nodes.first, 200u - static_cast<size_t>(tall.nodes.rows));
  // Fewer rows than the window: from the top.
  view.nodes.row = 4;
  view.nodes.first = 3;
  EXPECT_EQ(LayOut(120, 60, Content(5, 5), view).nodes.first, 0u);
}

TEST(Layout, ScrollsOnlyViewsThatAreShown) {
  ViewState view;
  view.detail.interval_row = 40;
  view.detail.interval_first = 2;
  ContentSizes sizes = Content();
  sizes.intervals = 60;
  // The slot view is shown: the intervals' window is left where it was.
  EXPECT_EQ(LayOut(120, 40, sizes, view).detail.first, 2u);
  view.detail.mode = DetailMode::kIntervals;
  const ScreenLayout l = LayOut(120, 40, sizes, view);
  EXPECT_EQ(l.detail.first, 40u - static_cast<size_t>(l.detail.rows) + 1);
  // No list selected: no node map to scroll.
  view.nodes.row = 100;
  view.nodes.first = 9;
  EXPECT_EQ(LayOut(120, 40, Content(0, 0), view).nodes.first, 9u);
  // No problems pane: its window is left alone.
  view.problems.row = 5;
  view.problems.first = 1;
  EXPECT_EQ(LayOut(120, 40, Content(), view).problems.first, 1u);
  EXPECT_EQ(LayOut(120, 40, Content(5, 11, 10), view).problems.first, 1u);
  view.problems.row = 9;
  const ScreenLayout with_problems = LayOut(120, 40, Content(5, 11, 10), view);
  EXPECT_EQ(with_problems.problems.first,
            9u - static_cast<size_t>(with_problems.problems.rows) + 1);
}

TEST(Layout, EventsScrollBackNoFurtherThanTheOldestEvent) {
  ViewState view;
  ContentSizes sizes = Content();
  sizes.events = 100;
  view.events.skip = 1000;
  const ScreenLayout l = LayOut(120, 40, sizes, view);
  EXPECT_EQ(l.events.first, 100u - static_cast<size_t>(l.events.rows));
  view.events.skip = 10;
  EXPECT_EQ(LayOut(120, 40, sizes, view).events.first, 10u);
  sizes.events = 3;  // fewer than the rows: nothing to scroll
  EXPECT_EQ(LayOut(120, 40, sizes, view).events.first, 0u);
}

TEST(Layout, TooSmallKeepsEveryScrollOffset) {
  ViewState view;
  view.lists.row = 40;
  view.lists.first = 30;
  view.nodes.row = 100;
  view.nodes.first = 90;
  view.events.skip = 7;
  view.problems.first = 2;
  view.detail.interval_first = 4;
  const ScreenLayout l = LayOut(40, 12, Content(50, 200, 5), view);
  ASSERT_TRUE(l.too_small);
  EXPECT_EQ(l.lists.first, 30u);
  EXPECT_EQ(l.nodes.first, 90u);
  EXPECT_EQ(l.events.first, 7u);
  EXPECT_EQ(l.problems.first, 2u);
  EXPECT_EQ(l.detail.first, 4u);
}

// Pure: the same input gives the same layout, whatever was laid out before.
TEST(Layout, SameInputSameLayout) {
  ViewState view;
  view.lists.row = 12;
  const ContentSizes sizes = Content(20, 300, 4);
  const ScreenLayout first = LayOut(90, 30, sizes, view);
  LayOut(200, 60, Content(1, 1), ViewState());
  LayOut(10, 3, sizes, view);
  EXPECT_EQ(LayOut(90, 30, sizes, view), first);
}

}  // namespace
