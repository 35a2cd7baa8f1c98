// vmpl::tui::App: the TUI without the terminal. It holds the source, the snapshot and events it
// last read, the panes and what is selected in them; it turns keys and mouse clicks into changes
// of that state and draws the whole screen into a Frame. The terminal front end (terminal.h)
// only feeds it input and time and copies its frames to the screen, so everything the user can do
// is testable off-screen, and a frame's cost is measurable without a terminal.
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

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <vmpl/inspect/snapshot.h>

#include "vmpl/tui/event_log.h"
#include "vmpl/tui/frame.h"
#include "vmpl/tui/intervals_view.h"
#include "vmpl/tui/lists_table.h"
#include "vmpl/tui/node_map.h"
#include "vmpl/tui/problems_view.h"
#include "vmpl/tui/source.h"

namespace vmpl::tui {

// One input, as the front end decodes it.
struct Input {
  enum class Type {
    kChar,  // |ch|: a printable key, or one of the control keys below as its ASCII code
    kUp,
    kDown,
    kLeft,
    kRight,
    kPageUp,
    kPageDown,
    kHome,
    kEnd,
    kTab,
    kBackTab,
    kEnter,
    kEscape,
    kBackspace,
    kClick,      // a mouse button pressed at (x, y)
    kWheelUp,    // at (x, y)
    kWheelDown,  // at (x, y)
  };
  Type type = Type::kChar;
  char32_t ch = 0;
  int x = 0;
  int y = 0;

  static Input Char(char32_t c) { return Input{Type::kChar, c, 0, 0}; }
  static Input Key(Type type) { return Input{type, 0, 0, 0}; }
};

enum class Pane { kLists, kNodes, kDetail, kEvents, kProblems };
enum class DetailMode { kSlot, kIntervals, kSplice };

struct AppOptions {
  // Where `s` writes snapshots ("" = the current directory).
  std::string save_dir;
  uint64_t refresh_interval_ns = 100'000'000;
  size_t event_capacity = 4096;
};

class App {
 public:
  App(std::unique_ptr<Source> source, AppOptions options = {});
  ~App();

  // Reads the source if a refresh is due and polls its events. |now_ns| is CLOCK_MONOTONIC.
  // Returns true if anything shown changed.
  bool Tick(uint64_t now_ns);
  // Handles one input; returns true if anything shown changed.
  bool Handle(const Input& input);
  // Draws everything into |frame| (any size; small ones are clipped, never an error). Then lets a
  // target that reading stops (a kernel behind QEMU's stub) run until the next refresh.
  void Render(Frame& frame);

  bool quit() const { return quit_; }
  bool monochrome() const { return monochrome_; }
  void set_monochrome(bool on) { monochrome_ = on; }
  bool paused() const { return paused_; }
  Pane focus() const { return focus_; }
  DetailMode detail_mode() const { return detail_mode_; }
  // The status line's message (the last action's result or error).
  const std::string& message() const { return message_; }
  const inspect::Snapshot& snapshot() const { return snapshot_; }
  // The selected list (null if none) and node row, slot.
  const inspect::SnapshotList* selected_list() const;
  size_t selected_node() const { return node_row_; }
  int selected_slot() const { return slot_; }
  const EventLog& events() const { return events_; }
  Source& source() { return *source_; }
  // Reads now, whatever the refresh interval says (also what `r` does).
  void Refresh(uint64_t now_ns);

 private:
  struct Rect {
    int x = 0, y = 0, width = 0, height = 0;
    bool Contains(int px, int py) const {
      return px >= x && px < x + width && py >= y && py < y + height;
    }
  };
  struct Layout {
    Rect title, lists, nodes, detail, events, problems, status;
  };
  enum class Prompt { kNone, kGoto, kSearch };

  // Snapshot and the views built from it.
  void Adopt(inspect::Snapshot snapshot);
  void RebuildListViews();
  void ReadSelectedPage();
  // The vm_page_t at |page| (read once per snapshot, for the node map's page glyphs), or null.
  const PageStruct* CachedPage(uint64_t page);
  void ReloadRecordingEvents();

  // Input.
  bool HandlePrompt(const Input& input);
  bool HandleMouse(const Input& input);
  void Move(int rows);
  void MoveToEnd(bool last);
  void Sideways(int delta);
  void CycleFocus(int delta);
  void Enter();
  void Goto(const std::string& text);
  void Search(bool from_next);
  bool SearchLists(bool from_next);
  bool SearchSlots(bool from_next);
  void Save();
  void SeekBy(int64_t delta);
  void TogglePause();
  void SelectList(size_t index);
  void SelectNodeAtOffset(uint64_t vmo_offset);
  std::vector<Pane> VisiblePanes() const;
  int PageRows(Pane pane) const;

  // Drawing.
  Layout ComputeLayout(int width, int height) const;
  void RenderPanes(Frame& frame);
  void RenderTitle(Frame& frame, const Rect& r) const;
  void RenderPaneTitle(Frame& frame, const Rect& r, Pane pane, const std::string& title) const;
  void RenderDetail(Frame& frame, const Rect& r);
  void RenderStatus(Frame& frame, const Rect& r) const;
  std::string ListName(uint64_t address) const;
  static void KeepVisible(size_t selected, int rows, size_t& first);

  std::unique_ptr<Source> source_;
  AppOptions options_;
  inspect::Snapshot snapshot_;
  std::unique_ptr<ListsTable> lists_table_;
  std::unique_ptr<NodeMap> node_map_;
  std::unique_ptr<IntervalsView> intervals_;
  std::unique_ptr<ProblemsView> problems_;
  std::unordered_map<uint64_t, std::string> names_;  // list address -> name
  EventLog events_;
  EventFilter filter_;

  bool read_once_ = false;
  uint64_t last_read_ns_ = 0;
  uint64_t last_read_cost_ns_ = 0;
  uint64_t reads_ = 0;
  bool paused_ = false;
  bool quit_ = false;
  bool monochrome_ = false;
  bool help_ = false;
  Pane focus_ = Pane::kLists;
  DetailMode detail_mode_ = DetailMode::kSlot;

  size_t list_row_ = 0, list_first_ = 0;
  uint64_t list_address_ = 0;  // the selected list, followed across refreshes
  std::string list_name_;
  bool user_selected_ = false;  // the user chose a list (until then the biggest is shown)
  size_t node_row_ = 0, node_first_ = 0;
  uint64_t node_key_ = 0;
  int slot_ = 0;
  size_t interval_row_ = 0, interval_first_ = 0;
  size_t problem_row_ = 0, problem_first_ = 0;
  size_t event_skip_ = 0;

  std::unordered_map<uint64_t, std::optional<PageStruct>> page_cache_;  // this snapshot's
  std::optional<PageStruct> page_;
  std::string page_error_;
  uint64_t page_for_raw_ = 0;  // the raw slot value page_ was read for

  Prompt prompt_ = Prompt::kNone;
  std::string prompt_text_;
  std::string search_;
  std::string message_;
  Layout layout_;  // of the last frame, for the mouse
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_APP_H_
