// vmpl::tui::App: the TUI without the terminal. It owns the source, the Model (model.h: what the
// source last said, and the views built from it), the ViewState (view_state.h: focus, selections,
// scroll, pause, prompts) and the last ScreenLayout (layout.h). The terminal front end
// (terminal.h) runs its main loop; everything the user can do is testable off-screen, and a
// frame's cost is measurable without a terminal.
//
// The main loop, as htop's ScreenManager runs it, in this order:
//   Tick(now)          the refresh step: the only place the source is read. Applies what inputs
//                      queued (a read, a cursor move, pause, a save), reads the source if a
//                      refresh is due, polls events. Returns kRedraw if anything shown changed.
//   Prepare(w, h)      the rest of the refresh step, before a frame: the selected list's views,
//                      the pure layout (its clamped scroll offsets become the view state's), the
//                      vm_page_t structures that screen shows, then the source may let its target
//                      run (a kernel behind QEMU's stub) until the next refresh.
//   Draw(frame)        paints model, view state and layout into a Frame: no source call, no
//                      file, no clock, no state change.
//   Handle(input)      between frames, for each input: changes the view state only, from the
//                      model and the last layout, and returns Actions for the loop.
// Render(frame) is Prepare and Draw for the frame's size: one frame for a loop that has ticked.
//
// Panes (Tab cycles the focus): Lists, Nodes (the node map of the selected list), Detail (the
// selected slot, the list's intervals, or its splice state: `v` cycles), Events, and Problems
// (shown when there are any). Selections survive refreshes: a list is followed by its address and
// name, a node by its key.
//
// Refreshing. A live source is read again every refresh interval (100 ms, or three times as long
// as the last read took, so a slow target is not hammered) unless paused; events are polled on
// every tick. A recording's state changes only when its time cursor moves.

#ifndef VMPL_TUI_APP_H_
#define VMPL_TUI_APP_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/model/snapshot.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vmpl/tui/event_log.h"
#include "vmpl/tui/frame.h"
#include "vmpl/tui/input.h"
#include "vmpl/tui/layout.h"
#include "vmpl/tui/model.h"
#include "vmpl/tui/source.h"
#include "vmpl/tui/view_state.h"

namespace vmpl::tui {

struct AppOptions {
  // Where `s` writes snapshots ("" = the current directory).
  std::string save_dir;
  uint64_t refresh_interval_ns = 100'000'000;
  size_t event_capacity = 4096;
  // Open the node map of the first list shown at this VMO offset once the first snapshot is in,
  // as `g` would (vmpl tui --offset).
  std::optional<uint64_t> start_offset;
};

class App {
 public:
  App(std::unique_ptr<Source> source, AppOptions options = {});
  ~App();

  // The main loop's steps (see above). |now_ns| is CLOCK_MONOTONIC.
  Actions Tick(uint64_t now_ns);
  void Prepare(int width, int height);
  void Draw(Frame& frame) const;
  Actions Handle(const Input& input);
  // Prepare(frame.width(), frame.height()), then Draw(frame). Any size; small ones are clipped
  // or say they are too small, never an error.
  void Render(Frame& frame);

  const Model& model() const { return model_; }
  const ViewState& view() const { return view_; }
  // The layout of the last Prepare.
  const ScreenLayout& layout() const { return layout_; }

  bool quit() const { return view_.quit; }
  bool monochrome() const { return view_.monochrome; }
  void set_monochrome(bool on) { view_.monochrome = on; }
  bool paused() const { return view_.paused; }
  Pane focus() const { return view_.focus; }
  DetailMode detail_mode() const { return view_.detail.mode; }
  // The status line's message (the last action's result or error).
  const std::string& message() const { return view_.message; }
  const vmpl::Snapshot& snapshot() const { return model_.snapshot; }
  // The selected list (null if none) and node row, slot.
  const vmpl::SnapshotList* selected_list() const { return model_.list(view_.lists.row); }
  size_t selected_node() const { return view_.nodes.row; }
  int selected_slot() const { return view_.nodes.slot; }
  const EventLog& events() const { return model_.events; }
  Source& source() { return *source_; }

 private:
  // The refresh step (app.cc): everything that calls the source.
  void Refresh(uint64_t now_ns);
  void Adopt(vmpl::Snapshot snapshot);
  void ReloadRecordingEvents();
  void Seek(uint64_t position, uint64_t now_ns);
  void Save();
  void BuildListViews();
  ContentSizes Sizes() const;
  void ReadShownPages();
  const PageRead& ReadPage(uint64_t address);

  // Input (app_input.cc): view state only.
  Actions HandleKey(const Input& input);
  Actions HandleChar(char32_t ch);
  Actions HandlePrompt(const Input& input);
  Actions HandleMouse(const Input& input);
  void Move(int rows);
  void MoveToEnd(bool last);
  void Sideways(int delta);
  void CycleFocus(int delta);
  void Enter();
  void Goto(const std::string& text);
  void Search(bool from_next);
  bool SearchLists(bool from_next);
  bool SearchSlots(bool from_next);
  Actions SeekBy(int64_t delta);
  void TogglePause();
  void SelectList(size_t index);
  void SelectNode(size_t row);
  void FollowSelectedList();
  void SelectNodeAtOffset(uint64_t vmo_offset);
  std::vector<Pane> VisiblePanes() const;
  int PageRows(Pane pane) const;
  // The selected list's views, if they are built for it (null until the refresh step has).
  const NodeMap* node_map() const;
  const IntervalsView* intervals() const;

  std::unique_ptr<Source> source_;
  AppOptions options_;
  Model model_;
  ViewState view_;
  ScreenLayout layout_;

  // The node map rows whose vm_page_t structures the last Prepare read: of which snapshot and
  // list, from which row, how many.
  struct ShownRows {
    uint64_t generation = 0;
    size_t list = SIZE_MAX;
    size_t first = 0;
    int rows = 0;
    bool operator==(const ShownRows&) const = default;
  };
  ShownRows pages_read_for_;

  bool read_once_ = false;
  uint64_t last_read_ns_ = 0;
  uint64_t last_read_cost_ns_ = 0;
  bool source_paused_ = false;  // what the source was last told (SetPaused)
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_APP_H_
