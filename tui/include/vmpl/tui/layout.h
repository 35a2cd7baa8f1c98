// vmpl::tui::LayOut: where the TUI's panes go and which rows they show, as a pure function.
//
//   title: source, counts, PAUSED, the time cursor
//   Lists            | Detail (slot, intervals or splice list)
//   Nodes            | Events
//   Problems (only when there are any, full width)
//   status: prompt, the last message, or key hints
//
// From kTwoColumns columns the panes sit in two columns; narrower, they are stacked in one. The
// layout takes the terminal's size, how many rows each view has (ContentSizes, from the model)
// and the view state, and answers every pane's rectangle, the rows of content it shows, and its
// first row with the selection scrolled into view (htop clamps scroll offsets while drawing; we
// do it here, so that drawing changes nothing). The app keeps the clamped offsets as its view
// state's, and its mouse and paging keys read the last layout.
//
// A terminal too small for every pane to show one row of content (or narrower than kMinWidth)
// gets no panes at all: ScreenLayout::too_small, with the smallest size that fits, and the app
// draws a message saying so instead of bare headers.
//
// Nothing here reads a source or a clock: every case is testable with numbers alone.

#ifndef VMPL_TUI_LAYOUT_H_
#define VMPL_TUI_LAYOUT_H_

#include <stddef.h>

#include "vmpl/tui/view_state.h"

namespace vmpl::tui {

// From this width the panes sit in two columns.
inline constexpr int kTwoColumns = 100;
// Narrower than this, the screen says it is too small (the node map's ruler and 16 cells fit).
inline constexpr int kMinWidth = 40;

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;

  bool Contains(int px, int py) const {
    return px >= x && px < x + width && py >= y && py < y + height;
  }
  bool operator==(const Rect&) const = default;
};

// One pane: its rectangle (title line included), the rows of its view's content it shows below
// the title and the view's own header lines (0 if none), and the first of them, clamped so that
// the selection is in view. For the events pane |first| is the number of newest matching events
// scrolled past (EventsPaneState::skip), clamped so that the oldest kept event is at most the
// top row.
struct PaneLayout {
  Rect rect;
  int rows = 0;
  size_t first = 0;

  bool operator==(const PaneLayout&) const = default;
};

// How many rows each view has, from the model.
struct ContentSizes {
  size_t lists = 0;            // lists in the snapshot
  bool list_selected = false;  // a list is selected (the node map and intervals exist)
  size_t nodes = 0;            // of the selected list
  size_t intervals = 0;        // rows of the selected list's intervals view
  size_t problems = 0;         // rows of the problems view
  bool problems_pane = false;  // the problems pane is shown (there are problems)
  size_t events = 0;           // kept events that pass the events pane's filter
};

struct ScreenLayout {
  int width = 0;
  int height = 0;
  // Too small for the panes: they are all empty, and min_width x min_height is the smallest
  // size that fits them (with the content the layout was given).
  bool too_small = false;
  int min_width = 0;
  int min_height = 0;

  Rect title;
  Rect status;
  PaneLayout lists;
  PaneLayout nodes;
  PaneLayout detail;  // rows and first: of the intervals view
  PaneLayout events;
  PaneLayout problems;  // empty when there are none

  const PaneLayout& pane(Pane which) const;
  bool operator==(const ScreenLayout&) const = default;
};

// The layout of a |width| x |height| screen showing |sizes| in the state |view|.
ScreenLayout LayOut(int width, int height, const ContentSizes& sizes, const ViewState& view);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_LAYOUT_H_
