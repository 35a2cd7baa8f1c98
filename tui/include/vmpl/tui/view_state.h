// vmpl::tui::ViewState: what the user chose to look at, one struct per pane.
//
// The TUI's state is a Model (model.h: what the source said) plus this: focus, selections,
// scroll offsets, the detail mode, filters, the prompt, pause, and the work the user queued for
// the refresh step. Input handlers change only this (App::Handle); the refresh step changes it
// only to follow a selection into a new snapshot (a list by its address and name, a node by its
// key); the layout step (layout.h) writes back only the scroll offsets it clamped. Draw reads it.
//
// Rows are indexes into what the model shows: ViewState::lists.row into Snapshot::lists,
// nodes.row into the selected list's nodes, detail.interval_row into its IntervalsView,
// problems.row into the ProblemsView. A |first| is the first row a pane shows.
//
// Plain values, comparable: a test checks that drawing leaves them as they were.

#ifndef VMPL_TUI_VIEW_STATE_H_
#define VMPL_TUI_VIEW_STATE_H_

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <string>

#include "vmpl/tui/event_log.h"

namespace vmpl::tui {

enum class Pane { kLists, kNodes, kDetail, kEvents, kProblems };
enum class DetailMode { kSlot, kIntervals, kSplice };
enum class Prompt { kNone, kGoto, kSearch };

struct ListsPaneState {
  size_t row = 0;  // the selected list
  size_t first = 0;
  // The selected list as the user knows it, followed across refreshes: the same address and
  // name, else the same name, else the same row.
  uint64_t address = 0;
  std::string name;
  bool user_selected = false;  // the user chose a list (until then the biggest is shown)

  bool operator==(const ListsPaneState&) const = default;
};

struct NodesPaneState {
  size_t row = 0;  // the selected node
  size_t first = 0;
  uint64_t key = 0;  // the selected node's key, followed across refreshes
  int slot = 0;      // the selected slot, 0..15

  bool operator==(const NodesPaneState&) const = default;
};

struct DetailPaneState {
  DetailMode mode = DetailMode::kSlot;
  size_t interval_row = 0;  // the selected interval (the intervals view)
  size_t interval_first = 0;

  bool operator==(const DetailPaneState&) const = default;
};

struct EventsPaneState {
  EventFilter filter;
  size_t skip = 0;  // newest matching events scrolled past (0: the newest is the bottom row)

  bool operator==(const EventsPaneState&) const = default;
};

struct ProblemsPaneState {
  size_t row = 0;
  size_t first = 0;

  bool operator==(const ProblemsPaneState&) const = default;
};

struct PromptState {
  Prompt prompt = Prompt::kNone;
  std::string text;    // typed so far
  std::string search;  // the last search, for `n`

  bool operator==(const PromptState&) const = default;
};

// Work an input queued for the refresh step, which alone calls the source (App::Tick).
struct Requests {
  bool read = false;             // `r`: read the source now
  std::optional<uint64_t> seek;  // move the time cursor to this position
  bool save = false;             // `s`: write the snapshot as JSON

  bool operator==(const Requests&) const = default;
};

struct ViewState {
  Pane focus = Pane::kLists;
  bool help = false;
  bool paused = false;
  bool monochrome = false;
  bool quit = false;
  std::string message;  // the status line's: the last action's result or error

  ListsPaneState lists;
  NodesPaneState nodes;
  DetailPaneState detail;
  EventsPaneState events;
  ProblemsPaneState problems;
  PromptState prompt;
  Requests requests;

  bool operator==(const ViewState&) const = default;
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_VIEW_STATE_H_
