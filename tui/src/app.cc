// App (app.h): the refresh step, the one place the App calls its source. Input is in
// app_input.cc, drawing in app_draw.cc.

#include "vmpl/tui/app.h"

#include <fmt/format.h>
#include <time.h>
#include <vmpl/model/slot.h>
#include <vmpl/model/text_view.h>
#include <vmpl/model/json_view.h>
#include <vmpl/trace_clock.h>

#include <algorithm>
#include <fstream>
#include <utility>

#include "vmpl/tui/draw.h"

namespace vmpl::tui {
namespace {

// Events fetched around a recording's cursor for the events pane.
constexpr uint64_t kRecordingEventsBefore = 512;
constexpr uint64_t kRecordingEventsAfter = 8;

// "vmo:3/pager" as a file-name part: anything but letters, digits, '-' and '.' becomes '_'.
std::string FileNamePart(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 40)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.';
    out += keep ? c : '_';
  }
  return out;
}

}  // namespace

App::App(std::unique_ptr<Source> source, AppOptions options)
    : source_(std::move(source)), options_(std::move(options)), model_(options_.event_capacity) {}

App::~App() = default;

std::string Model::ListName(uint64_t address) const {
  const auto it = names.find(address);
  if (it != names.end() && !it->second.empty()) {
    return it->second;
  }
  return address == 0 ? "-" : fmt::format("{:#x}", address);
}

// ---------------------------------------------------------------------------------------------
// The main loop's steps

Actions App::Tick(uint64_t now_ns) {
  Actions changed;
  if (view_.paused != source_paused_) {
    source_->SetPaused(view_.paused);
    source_paused_ = view_.paused;
  }
  const Requests requests = std::exchange(view_.requests, Requests{});
  bool read = false;
  if (requests.seek) {
    Seek(*requests.seek, now_ns);
    read = true;
    changed |= Action::kRedraw;
  }
  const uint64_t interval = std::max(options_.refresh_interval_ns, 3 * last_read_cost_ns_);
  const bool due =
      !read_once_ || (source_->live() && !view_.paused && now_ns - last_read_ns_ >= interval);
  if ((requests.read && !read) || due) {
    Refresh(now_ns);
    changed |= Action::kRedraw;
  }
  if (requests.read) {
    view_.message = fmt::format("read again: {} lists", model_.snapshot.lists.size());
  }
  if (!view_.paused && !model_.cursor) {
    const uint64_t before = model_.events.total();
    const uint64_t lost = source_->PollEvents(model_.events);
    if (lost != 0) {
      model_.events.AddLost(lost);
    }
    if (model_.events.total() != before || lost != 0) {
      changed |= Action::kRedraw;
    }
    model_.events.Tick(now_ns);
  }
  model_.events_status = source_->EventsStatus();
  if (requests.save) {
    Save();
    changed |= Action::kRedraw;
  }
  BuildListViews();
  return changed;
}

void App::Prepare(int width, int height) {
  BuildListViews();
  layout_ = LayOut(width, height, Sizes(), view_);
  // The scroll offsets the layout clamped are the view's from now on.
  view_.lists.first = layout_.lists.first;
  view_.nodes.first = layout_.nodes.first;
  view_.detail.interval_first = layout_.detail.first;
  view_.events.skip = layout_.events.first;
  view_.problems.first = layout_.problems.first;
  ReadShownPages();
  // Nothing more is read until the next refresh.
  source_->LetTargetRun();
}

void App::Draw(Frame& frame) const { DrawScreen(frame, model_, view_, layout_); }

void App::Render(Frame& frame) {
  Prepare(frame.width(), frame.height());
  Draw(frame);
}

// ---------------------------------------------------------------------------------------------
// Reading the source

void App::Refresh(uint64_t now_ns) {
  const uint64_t start = trace::MonotonicNs();
  Adopt(source_->Read());
  last_read_cost_ns_ = trace::MonotonicNs() - start;
  last_read_ns_ = now_ns;
  const bool first = !read_once_;
  read_once_ = true;
  if (first && options_.start_offset) {
    view_.focus = Pane::kNodes;
    SelectNodeAtOffset(*options_.start_offset);
  }
  model_.source_name = source_->Describe();
  model_.cursor = source_->Cursor();
  if (model_.cursor) {
    ReloadRecordingEvents();
  }
}

void App::Adopt(vmpl::Snapshot snapshot) {
  model_.snapshot = std::move(snapshot);
  model_.generation++;
  model_.pages.clear();
  model_.names.clear();
  const std::vector<vmpl::SnapshotList>& lists = model_.snapshot.lists;
  for (const vmpl::SnapshotList& list : lists) {
    model_.names[list.address] = list.name;
  }
  // Follow the selected list: same address and name, else the same name, else the same row.
  ListsPaneState& selected = view_.lists;
  size_t row = lists.size();
  for (size_t i = 0; i < lists.size() && read_once_; i++) {
    if (lists[i].address == selected.address && lists[i].name == selected.name) {
      row = i;
      break;
    }
    if (row == lists.size() && !selected.name.empty() && lists[i].name == selected.name) {
      row = i;
    }
  }
  const bool empty_choice = row == lists.size() || lists[row].nodes.empty();
  if (!selected.user_selected && empty_choice && !lists.empty()) {
    // Until the user picks one, show the list with the most nodes: the one worth looking at.
    row = 0;
    for (size_t i = 1; i < lists.size(); i++) {
      if (lists[i].nodes.size() > lists[row].nodes.size()) {
        row = i;
      }
    }
  } else if (row == lists.size()) {
    row = std::min(selected.row, lists.empty() ? 0 : lists.size() - 1);
  }
  selected.row = row;
  model_.lists_table = std::make_unique<ListsTable>(model_.snapshot);
  model_.problems = std::make_unique<ProblemsView>(model_.snapshot);
  const size_t problems = model_.problems->rows();
  view_.problems.row = std::min(view_.problems.row, problems == 0 ? 0 : problems - 1);
  const std::vector<Pane> panes = VisiblePanes();
  if (std::find(panes.begin(), panes.end(), view_.focus) == panes.end()) {
    view_.focus = Pane::kLists;  // the Problems pane went with the last problem
  }
  FollowSelectedList();
  BuildListViews();
}

void App::ReloadRecordingEvents() {
  const CursorState& cursor = *model_.cursor;
  model_.events.Clear();
  view_.events.skip = 0;
  const uint64_t first =
      cursor.position > kRecordingEventsBefore ? cursor.position - kRecordingEventsBefore : 0;
  const uint64_t count = cursor.position - first + kRecordingEventsAfter;
  const std::vector<StreamEvent> around = source_->EventsAround(first, count);
  model_.events.SetTimeOrigin(cursor.start_ns);
  model_.events.Add(std::span<const StreamEvent>(around));
}

void App::Seek(uint64_t position, uint64_t now_ns) {
  std::string error;
  if (!source_->Seek(position, &error)) {
    view_.message = error;
    return;
  }
  Refresh(now_ns);
  view_.message.clear();
}

void App::Save() {
  const vmpl::SnapshotList* list = selected_list();
  const time_t now = time(nullptr);
  tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  std::string path = options_.save_dir.empty() ? "" : options_.save_dir + "/";
  path += fmt::format("vmpl-snapshot-{}-{}.json", stamp,
                      list ? FileNamePart(list->name.empty() ? "lists" : list->name) : "empty");
  // Two saves in the same second get distinct names.
  for (int n = 2; std::ifstream(path).good() && n < 100; n++) {
    path = path.substr(0, path.rfind('.')) + fmt::format("-{}.json", n);
  }
  // What `vmpl inspect --json` writes: the one schema, with the vm_page_t of every page.
  vmpl::Snapshot saved = model_.snapshot;
  for (vmpl::SnapshotList& each : saved.lists) {
    source_->ReadPages(each);
  }
  std::ofstream out(path);
  out << vmpl::DumpJson(vmpl::SnapshotToJson(saved)) << "\n";
  out.close();
  view_.message = out ? fmt::format("saved {} lists to {}", model_.snapshot.lists.size(), path)
                      : fmt::format("could not write {}", path);
}

// ---------------------------------------------------------------------------------------------
// Between the snapshot and the screen

void App::BuildListViews() {
  const size_t index = view_.lists.row;
  if (model_.ListViewsAreFor(index)) {
    return;
  }
  model_.views_list = index;
  model_.views_generation = model_.generation;
  const vmpl::SnapshotList* list = model_.list(index);
  if (list == nullptr) {
    model_.node_map.reset();
    model_.intervals.reset();
    return;
  }
  model_.node_map = std::make_unique<NodeMap>(*list);
  model_.intervals = std::make_unique<IntervalsView>(*list);
  const size_t rows = model_.intervals->rows();
  view_.detail.interval_row = std::min(view_.detail.interval_row, rows == 0 ? 0 : rows - 1);
}

ContentSizes App::Sizes() const {
  ContentSizes sizes;
  sizes.lists = model_.snapshot.lists.size();
  if (const vmpl::SnapshotList* list = selected_list()) {
    sizes.list_selected = true;
    sizes.nodes = list->nodes.size();
  }
  sizes.intervals = model_.intervals ? model_.intervals->rows() : 0;
  sizes.problems = model_.problems ? model_.problems->rows() : 0;
  sizes.problems_pane = model_.HasProblemsPane();
  sizes.events = model_.events.CountMatching(view_.events.filter);
  return sizes;
}

const PageRead& App::ReadPage(uint64_t address) {
  auto [it, inserted] = model_.pages.try_emplace(address);
  if (inserted) {
    it->second.page = source_->ReadPage(address, &it->second.error);
  }
  return it->second;
}

void App::ReadShownPages() {
  model_.selected_slot_address = 0;
  const vmpl::SnapshotList* list = selected_list();
  if (list == nullptr || view_.nodes.row >= list->nodes.size()) {
    return;
  }
  // The selected slot's, for the detail pane.
  const vmpl::SnapshotNode& node = list->nodes[view_.nodes.row];
  const int slot = view_.nodes.slot;
  model_.selected_slot_address = source_->SlotAddress(node, slot);
  const vmpl::DecodedSlot decoded =
      vmpl::DecodeRawSlot(node.slots[static_cast<size_t>(slot)]);
  if (decoded.kind == vmpl::SlotKind::kPage) {
    ReadPage(decoded.page);
  }
  // Those of the node map's page cells in view, for their glyphs (once per snapshot each). The
  // same rows of the same snapshot were read by the last frame already: not even looked up.
  const ShownRows shown{model_.generation, model_.views_list, layout_.nodes.first,
                        layout_.nodes.rows};
  if (!layout_.too_small && model_.node_map && shown != pages_read_for_) {
    model_.node_map->ForEachPageCell(layout_.nodes.first, layout_.nodes.rows,
                                     [this](uint64_t page) { ReadPage(page); });
    pages_read_for_ = shown;
  }
}

}  // namespace vmpl::tui
