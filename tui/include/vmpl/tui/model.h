// vmpl::tui::Model: what the TUI shows, as the refresh step last read it from the source.
//
// Everything in here is written between frames by the refresh step (App::Tick and App::Prepare)
// and nowhere else: the snapshot and what the source says about itself, the events, the
// vm_page_t structures read for what is on screen, and the views built from the snapshot (the
// lists table and problems for the whole snapshot; the node map and intervals for the selected
// list). Drawing reads it through a const reference; so do input handlers, which change only the
// ViewState (view_state.h).
//
// Ownership: the views refer to |snapshot| (the lists table and node map keep references into
// it), so they are rebuilt whenever it is replaced, and a Model is neither copied nor moved.

#ifndef VMPL_TUI_MODEL_H_
#define VMPL_TUI_MODEL_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/model/snapshot.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "vmpl/tui/event_log.h"
#include "vmpl/tui/intervals_view.h"
#include "vmpl/tui/lists_table.h"
#include "vmpl/tui/node_map.h"
#include "vmpl/tui/problems_view.h"
#include "vmpl/tui/source.h"

namespace vmpl::tui {

// A vm_page_t as the source read it, or why it could not be read.
struct PageRead {
  std::optional<PageStruct> page;
  std::string error;
};

struct Model {
  explicit Model(size_t event_capacity) : events(event_capacity) {}
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // --- Read from the source.
  std::string source_name;  // Source::Describe
  vmpl::Snapshot snapshot;
  uint64_t generation = 0;            // counts the snapshots adopted: views and pages belong to one
  std::optional<CursorState> cursor;  // a recording's time cursor
  EventLog events;
  std::string events_status;  // why there is no event stream ("" if there is one)
  // The vm_page_t structures of this snapshot's pages that were on screen (the selected slot's
  // and those of the node map's page cells in view), by page address.
  std::unordered_map<uint64_t, PageRead> pages;
  uint64_t selected_slot_address = 0;  // Source::SlotAddress of the selected slot

  // --- Built from the snapshot.
  std::unordered_map<uint64_t, std::string> names;  // list address -> name
  std::unique_ptr<ListsTable> lists_table;
  std::unique_ptr<ProblemsView> problems;
  // The selected list's views, for list |views_list| of snapshot |views_generation|.
  std::unique_ptr<NodeMap> node_map;
  std::unique_ptr<IntervalsView> intervals;
  size_t views_list = SIZE_MAX;
  uint64_t views_generation = 0;

  // List |index| of the snapshot, or null.
  const vmpl::SnapshotList* list(size_t index) const {
    return index < snapshot.lists.size() ? &snapshot.lists[index] : nullptr;
  }
  // True if node_map and intervals are those of list |index| of this snapshot.
  bool ListViewsAreFor(size_t index) const {
    return views_list == index && views_generation == generation;
  }
  // A list's name for the events pane ("-" for no list, its address if it has no name).
  std::string ListName(uint64_t address) const;
  // The vm_page_t read at |address| for this snapshot, or null if it was not read.
  const PageRead* Page(uint64_t address) const {
    const auto it = pages.find(address);
    return it == pages.end() ? nullptr : &it->second;
  }
  // Whether the problems pane is shown.
  bool HasProblemsPane() const {
    return problems && problems->rows() != 0 && snapshot.problem_count() != 0;
  }
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_MODEL_H_
