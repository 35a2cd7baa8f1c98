// App (app.h): state, refreshes and input. Drawing is in app_render.cc.

#include "vmpl/tui/app.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <vmpl/inspect/raw_slot.h>
#include <vmpl/inspect/snapshot_json.h>
#include <vmpl/inspect/target.h>
#include <vmpl/trace_clock.h>

#include "vmpl/tui/events_view.h"

namespace vmpl::tui {
namespace {

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kNodeSpan = 16 * kPageSize;
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
    : source_(std::move(source)), options_(std::move(options)), events_(options_.event_capacity) {}

App::~App() = default;

const inspect::SnapshotList* App::selected_list() const {
  return list_row_ < snapshot_.lists.size() ? &snapshot_.lists[list_row_] : nullptr;
}

bool App::Tick(uint64_t now_ns) {
  bool changed = false;
  const uint64_t interval = std::max(options_.refresh_interval_ns, 3 * last_read_cost_ns_);
  if (!read_once_ || (source_->live() && !paused_ && now_ns - last_read_ns_ >= interval)) {
    Refresh(now_ns);
    changed = true;
  }
  if (!paused_ && !source_->Cursor()) {
    const uint64_t before = events_.total();
    const uint64_t lost = source_->PollEvents(events_);
    if (lost != 0) {
      events_.AddLost(lost);
    }
    changed |= events_.total() != before || lost != 0;
    events_.Tick(now_ns);
  }
  return changed;
}

void App::Refresh(uint64_t now_ns) {
  const uint64_t start = trace::MonotonicNs();
  Adopt(source_->Read());
  last_read_cost_ns_ = trace::MonotonicNs() - start;
  last_read_ns_ = now_ns;
  read_once_ = true;
  reads_++;
  if (source_->Cursor()) {
    ReloadRecordingEvents();
  }
}

void App::Adopt(inspect::Snapshot snapshot) {
  snapshot_ = std::move(snapshot);
  page_cache_.clear();
  names_.clear();
  for (const inspect::SnapshotList& list : snapshot_.lists) {
    names_[list.address] = list.name;
  }
  // Follow the selected list: same address and name, else the same name, else the same row.
  size_t row = snapshot_.lists.size();
  for (size_t i = 0; i < snapshot_.lists.size() && read_once_; i++) {
    const inspect::SnapshotList& list = snapshot_.lists[i];
    if (list.address == list_address_ && list.name == list_name_) {
      row = i;
      break;
    }
    if (row == snapshot_.lists.size() && !list_name_.empty() && list.name == list_name_) {
      row = i;
    }
  }
  const bool empty_choice = row == snapshot_.lists.size() || snapshot_.lists[row].nodes.empty();
  if (!user_selected_ && empty_choice && !snapshot_.lists.empty()) {
    // Until the user picks one, show the list with the most nodes: the one worth looking at.
    row = 0;
    for (size_t i = 1; i < snapshot_.lists.size(); i++) {
      if (snapshot_.lists[i].nodes.size() > snapshot_.lists[row].nodes.size()) {
        row = i;
      }
    }
  } else if (row == snapshot_.lists.size()) {
    row = std::min(list_row_, snapshot_.lists.empty() ? 0 : snapshot_.lists.size() - 1);
  }
  list_row_ = row;
  lists_table_ = std::make_unique<ListsTable>(snapshot_);
  problems_ = std::make_unique<ProblemsView>(snapshot_);
  problem_row_ = std::min(problem_row_, problems_->rows() == 0 ? 0 : problems_->rows() - 1);
  const std::vector<Pane> panes = VisiblePanes();
  if (std::find(panes.begin(), panes.end(), focus_) == panes.end()) {
    focus_ = Pane::kLists;  // the Problems pane went with the last problem
  }
  RebuildListViews();
}

void App::RebuildListViews() {
  const inspect::SnapshotList* list = selected_list();
  if (list == nullptr) {
    node_map_.reset();
    intervals_.reset();
    list_address_ = 0;
    list_name_.clear();
    return;
  }
  const bool same_list = list->address == list_address_ && list->name == list_name_;
  list_address_ = list->address;
  list_name_ = list->name;
  node_map_ = std::make_unique<NodeMap>(*list);
  intervals_ = std::make_unique<IntervalsView>(*list);
  interval_row_ = std::min(interval_row_, intervals_->rows() == 0 ? 0 : intervals_->rows() - 1);
  if (list->nodes.empty()) {
    node_row_ = 0;
  } else if (same_list) {
    // Follow the node by its key: the first node at or after it.
    const auto it = std::lower_bound(
        list->nodes.begin(), list->nodes.end(), node_key_,
        [](const inspect::SnapshotNode& node, uint64_t key) { return node.key < key; });
    node_row_ = std::min(static_cast<size_t>(it - list->nodes.begin()), list->nodes.size() - 1);
  } else {
    node_row_ = 0;
    node_first_ = 0;
    slot_ = 0;
  }
  if (!list->nodes.empty()) {
    node_key_ = list->nodes[node_row_].key;
  }
  page_for_raw_ = 0;
  ReadSelectedPage();
}

void App::ReadSelectedPage() {
  const inspect::SnapshotList* list = selected_list();
  if (list == nullptr || node_row_ >= list->nodes.size()) {
    page_.reset();
    return;
  }
  const uint64_t raw = list->nodes[node_row_].slots[static_cast<size_t>(slot_)];
  if (raw == page_for_raw_ && page_for_raw_ != 0) {
    return;
  }
  page_for_raw_ = raw;
  page_.reset();
  page_error_.clear();
  const inspect::DecodedSlot decoded = inspect::DecodeRawSlot(raw);
  if (decoded.kind == inspect::SlotKind::kPage) {
    page_ = source_->ReadPage(decoded.page, &page_error_);
  }
}

const PageStruct* App::CachedPage(uint64_t page) {
  auto [it, inserted] = page_cache_.try_emplace(page);
  if (inserted) {
    std::string error;  // an unreadable page keeps its plain glyph
    it->second = source_->ReadPage(page, &error);
  }
  return it->second ? &*it->second : nullptr;
}

void App::ReloadRecordingEvents() {
  const std::optional<CursorState> cursor = source_->Cursor();
  events_.Clear();
  event_skip_ = 0;
  const uint64_t first =
      cursor->position > kRecordingEventsBefore ? cursor->position - kRecordingEventsBefore : 0;
  const uint64_t count = cursor->position - first + kRecordingEventsAfter;
  const std::vector<StreamEvent> around = source_->EventsAround(first, count);
  events_.SetTimeOrigin(cursor->start_ns);
  events_.Add(std::span<const StreamEvent>(around));
}

std::string App::ListName(uint64_t address) const {
  const auto it = names_.find(address);
  if (it != names_.end() && !it->second.empty()) {
    return it->second;
  }
  return address == 0 ? "-" : fmt::format("{:#x}", address);
}

// ---------------------------------------------------------------------------------------------
// Input

bool App::Handle(const Input& input) {
  if (prompt_ != Prompt::kNone) {
    return HandlePrompt(input);
  }
  if (help_) {
    // Any key closes the help; q still quits.
    help_ = false;
    if (input.type == Input::Type::kChar && input.ch == U'q') {
      quit_ = true;
    }
    return true;
  }
  switch (input.type) {
    case Input::Type::kUp:
      Move(-1);
      return true;
    case Input::Type::kDown:
      Move(1);
      return true;
    case Input::Type::kLeft:
      Sideways(-1);
      return true;
    case Input::Type::kRight:
      Sideways(1);
      return true;
    case Input::Type::kPageUp:
      Move(-PageRows(focus_));
      return true;
    case Input::Type::kPageDown:
      Move(PageRows(focus_));
      return true;
    case Input::Type::kHome:
      MoveToEnd(false);
      return true;
    case Input::Type::kEnd:
      MoveToEnd(true);
      return true;
    case Input::Type::kTab:
      CycleFocus(1);
      return true;
    case Input::Type::kBackTab:
      CycleFocus(-1);
      return true;
    case Input::Type::kEnter:
      Enter();
      return true;
    case Input::Type::kEscape:
      message_.clear();
      return true;
    case Input::Type::kBackspace:
      return false;
    case Input::Type::kClick:
    case Input::Type::kWheelUp:
    case Input::Type::kWheelDown:
      return HandleMouse(input);
    case Input::Type::kChar:
      break;
  }
  switch (input.ch) {
    case U'q':
      quit_ = true;
      return true;
    case U'k':
      Move(-1);
      return true;
    case U'j':
      Move(1);
      return true;
    case U'h':
      Sideways(-1);
      return true;
    case U'l':
      Sideways(1);
      return true;
    case U'?':
      help_ = true;
      return true;
    case U'g':
      prompt_ = Prompt::kGoto;
      prompt_text_.clear();
      return true;
    case U'/':
      prompt_ = Prompt::kSearch;
      prompt_text_.clear();
      return true;
    case U'n':
      Search(true);
      return true;
    case U'p':
      TogglePause();
      return true;
    case U's':
      Save();
      return true;
    case U'r':
      Refresh(trace::MonotonicNs());
      message_ = fmt::format("read again: {} lists", snapshot_.lists.size());
      return true;
    case U'v':
      detail_mode_ = detail_mode_ == DetailMode::kSlot        ? DetailMode::kIntervals
                     : detail_mode_ == DetailMode::kIntervals ? DetailMode::kSplice
                                                              : DetailMode::kSlot;
      return true;
    case U'f':
      if (filter_.list() != 0) {
        filter_.SetList(0);
      } else if (const inspect::SnapshotList* list = selected_list()) {
        filter_.SetList(list->address);
      }
      event_skip_ = 0;
      return true;
    case U'K':
      filter_.NextKindGroup();
      event_skip_ = 0;
      return true;
    case U'm':
      monochrome_ = !monochrome_;
      return true;
    case U'[':
      SeekBy(-1);
      return true;
    case U']':
      SeekBy(1);
      return true;
    case U'{':
      SeekBy(-1000);
      return true;
    case U'}':
      SeekBy(1000);
      return true;
    case U'<':
    case U'>': {
      const std::optional<CursorState> cursor = source_->Cursor();
      const int64_t step = cursor ? static_cast<int64_t>(std::max<uint64_t>(cursor->size / 10, 1))
                                  : 0;
      SeekBy(input.ch == U'<' ? -step : step);
      return true;
    }
    default:
      return false;
  }
}

bool App::HandlePrompt(const Input& input) {
  switch (input.type) {
    case Input::Type::kEscape:
      prompt_ = Prompt::kNone;
      return true;
    case Input::Type::kBackspace:
      if (!prompt_text_.empty()) {
        prompt_text_.pop_back();
      }
      return true;
    case Input::Type::kEnter: {
      const Prompt prompt = prompt_;
      prompt_ = Prompt::kNone;
      if (prompt == Prompt::kGoto) {
        Goto(prompt_text_);
      } else {
        search_ = prompt_text_;
        Search(false);
      }
      return true;
    }
    case Input::Type::kChar:
      // Printable ASCII only: offsets and names are typed, not pasted binary.
      if (input.ch >= 0x20 && input.ch < 0x7f && prompt_text_.size() < 64) {
        prompt_text_ += static_cast<char>(input.ch);
      }
      return true;
    default:
      return false;
  }
}

bool App::HandleMouse(const Input& input) {
  struct Target {
    Pane pane;
    const Rect* rect;
  };
  const Target targets[] = {{Pane::kLists, &layout_.lists},
                            {Pane::kNodes, &layout_.nodes},
                            {Pane::kDetail, &layout_.detail},
                            {Pane::kEvents, &layout_.events},
                            {Pane::kProblems, &layout_.problems}};
  for (const Target& target : targets) {
    const Rect& r = *target.rect;
    if (r.height <= 0 || !r.Contains(input.x, input.y)) {
      continue;
    }
    focus_ = target.pane;
    if (input.type != Input::Type::kClick) {
      Move(input.type == Input::Type::kWheelUp ? -3 : 3);
      return true;
    }
    // Content starts below the pane's title line and the view's own header rows.
    const int line = input.y - r.y - 1;
    switch (target.pane) {
      case Pane::kLists:
        if (line >= 1 && list_first_ + static_cast<size_t>(line - 1) < snapshot_.lists.size()) {
          SelectList(list_first_ + static_cast<size_t>(line - 1));
        }
        break;
      case Pane::kNodes:
        if (node_map_ && line >= NodeMap::kHeaderRows &&
            node_first_ + static_cast<size_t>(line - NodeMap::kHeaderRows) < node_map_->rows()) {
          node_row_ = node_first_ + static_cast<size_t>(line - NodeMap::kHeaderRows);
          const int column = input.x - r.x - node_map_->ruler_width();
          if (column >= 0 && column < 16) {
            slot_ = column;
          }
          node_key_ = selected_list()->nodes[node_row_].key;
          ReadSelectedPage();
        }
        break;
      case Pane::kProblems:
        // Below the view's count line.
        if (problems_ && line >= 1 &&
            problem_first_ + static_cast<size_t>(line - 1) < problems_->rows()) {
          problem_row_ = problem_first_ + static_cast<size_t>(line - 1);
        }
        break;
      case Pane::kDetail:
        if (detail_mode_ == DetailMode::kIntervals && intervals_ && line >= 1 &&
            interval_first_ + static_cast<size_t>(line - 1) < intervals_->rows()) {
          interval_row_ = interval_first_ + static_cast<size_t>(line - 1);
        }
        break;
      case Pane::kEvents:
        break;
    }
    return true;
  }
  return false;
}

void App::SelectList(size_t index) {
  if (index >= snapshot_.lists.size()) {
    return;
  }
  user_selected_ = true;
  list_row_ = index;
  RebuildListViews();
}

void App::Move(int rows) {
  auto step = [rows](size_t value, size_t count) -> size_t {
    if (count == 0) {
      return 0;
    }
    const int64_t moved = static_cast<int64_t>(value) + rows;
    return static_cast<size_t>(std::clamp<int64_t>(moved, 0, static_cast<int64_t>(count) - 1));
  };
  switch (focus_) {
    case Pane::kLists:
      SelectList(step(list_row_, snapshot_.lists.size()));
      break;
    case Pane::kNodes:
      if (const inspect::SnapshotList* list = selected_list(); list && !list->nodes.empty()) {
        node_row_ = step(node_row_, list->nodes.size());
        node_key_ = list->nodes[node_row_].key;
        ReadSelectedPage();
      }
      break;
    case Pane::kDetail:
      if (detail_mode_ == DetailMode::kIntervals && intervals_) {
        interval_row_ = step(interval_row_, intervals_->rows());
      }
      break;
    case Pane::kEvents: {
      // Up scrolls back in time, at most until the oldest event kept is the top row.
      const size_t matching = events_.Newest(filter_, events_.size()).size();
      const size_t visible =
          static_cast<size_t>(std::max(layout_.events.height - 1 - kEventsHeaderLines, 1));
      const int64_t most = matching > visible ? static_cast<int64_t>(matching - visible) : 0;
      const int64_t skip = static_cast<int64_t>(event_skip_) - rows;
      event_skip_ = static_cast<size_t>(std::clamp<int64_t>(skip, 0, most));
      break;
    }
    case Pane::kProblems:
      if (problems_) {
        problem_row_ = step(problem_row_, problems_->rows());
      }
      break;
  }
}

void App::MoveToEnd(bool last) {
  Move(last ? INT32_MAX / 2 : -(INT32_MAX / 2));
}

void App::Sideways(int delta) {
  if (focus_ == Pane::kLists && delta > 0) {
    focus_ = Pane::kNodes;
    return;
  }
  if (focus_ != Pane::kNodes) {
    return;
  }
  const inspect::SnapshotList* list = selected_list();
  if (list == nullptr || list->nodes.empty()) {
    return;
  }
  // Slots run on from one node into the next.
  int slot = slot_ + delta;
  if (slot < 0 && node_row_ > 0) {
    node_row_--;
    slot = 15;
  } else if (slot > 15 && node_row_ + 1 < list->nodes.size()) {
    node_row_++;
    slot = 0;
  }
  slot_ = std::clamp(slot, 0, 15);
  node_key_ = list->nodes[node_row_].key;
  ReadSelectedPage();
}

std::vector<Pane> App::VisiblePanes() const {
  std::vector<Pane> panes = {Pane::kLists, Pane::kNodes, Pane::kDetail, Pane::kEvents};
  if (problems_ && problems_->rows() != 0 && snapshot_.problem_count() != 0) {
    panes.push_back(Pane::kProblems);
  }
  return panes;
}

void App::CycleFocus(int delta) {
  const std::vector<Pane> panes = VisiblePanes();
  const auto it = std::find(panes.begin(), panes.end(), focus_);
  const int at = it == panes.end() ? 0 : static_cast<int>(it - panes.begin());
  const int n = static_cast<int>(panes.size());
  focus_ = panes[static_cast<size_t>(((at + delta) % n + n) % n)];
}

void App::Enter() {
  switch (focus_) {
    case Pane::kLists:
      focus_ = Pane::kNodes;
      break;
    case Pane::kProblems: {
      if (!problems_ || problem_row_ >= problems_->rows()) {
        break;
      }
      const ProblemRow& problem = problems_->row(problem_row_);
      if (problem.list_index < 0) {
        message_ = "this problem is outside any list";
        break;
      }
      SelectList(static_cast<size_t>(problem.list_index));
      const inspect::SnapshotList* list = selected_list();
      for (size_t i = 0; list && i < list->nodes.size(); i++) {
        if (list->nodes[i].address == problem.address) {
          node_row_ = i;
          node_key_ = list->nodes[i].key;
          ReadSelectedPage();
          break;
        }
      }
      focus_ = Pane::kNodes;
      break;
    }
    case Pane::kDetail:
      if (detail_mode_ == DetailMode::kIntervals && intervals_ &&
          interval_row_ < intervals_->rows()) {
        SelectNodeAtOffset(intervals_->row(interval_row_).start);
        focus_ = Pane::kNodes;
      }
      break;
    case Pane::kEvents:
    case Pane::kNodes:
      break;
  }
}

void App::SelectNodeAtOffset(uint64_t vmo_offset) {
  const inspect::SnapshotList* list = selected_list();
  if (list == nullptr || list->nodes.empty()) {
    message_ = "no nodes to go to";
    return;
  }
  // Tree keys are skewed offsets of slot 0: the node that would hold the offset.
  const uint64_t skewed = vmo_offset + list->skew;
  const uint64_t key = skewed - skewed % kNodeSpan;
  const auto it = std::lower_bound(
      list->nodes.begin(), list->nodes.end(), key,
      [](const inspect::SnapshotNode& node, uint64_t k) { return node.key < k; });
  if (it != list->nodes.end() && it->key == key) {
    node_row_ = static_cast<size_t>(it - list->nodes.begin());
    slot_ = static_cast<int>((skewed % kNodeSpan) / kPageSize);
    message_ = fmt::format("offset {:#x}: node {:#x}, slot {}", vmo_offset, key, slot_);
  } else {
    node_row_ = std::min(static_cast<size_t>(it - list->nodes.begin()), list->nodes.size() - 1);
    slot_ = 0;
    message_ = fmt::format("offset {:#x} is in no node (empty); nearest node after it shown",
                           vmo_offset);
  }
  node_key_ = list->nodes[node_row_].key;
  ReadSelectedPage();
}

void App::Goto(const std::string& text) {
  std::string digits = text;
  if (digits.rfind("0x", 0) != 0 && digits.rfind("0X", 0) != 0) {
    digits = "0x" + digits;  // offsets are typed in hex
  }
  const std::optional<uint64_t> offset = inspect::ParseAddress(digits);
  if (!offset) {
    message_ = fmt::format("'{}' is not a hex offset", text);
    return;
  }
  focus_ = Pane::kNodes;
  SelectNodeAtOffset(*offset);
}

void App::Search(bool from_next) {
  if (search_.empty()) {
    message_ = "nothing to search for: / first";
    return;
  }
  const bool found = focus_ == Pane::kNodes ? SearchSlots(from_next) : SearchLists(from_next);
  if (!found) {
    message_ = fmt::format("'{}' not found", search_);
  }
}

bool App::SearchLists(bool from_next) {
  const size_t n = snapshot_.lists.size();
  for (size_t step = from_next ? 1 : 0; step <= n && n != 0; step++) {
    const size_t i = (list_row_ + step) % n;
    if (snapshot_.lists[i].name.find(search_) != std::string::npos) {
      SelectList(i);
      message_ = fmt::format("list '{}'", snapshot_.lists[i].name);
      return true;
    }
  }
  return false;
}

bool App::SearchSlots(bool from_next) {
  const inspect::SnapshotList* list = selected_list();
  if (list == nullptr || list->nodes.empty()) {
    return false;
  }
  // Slots after the selected one, wrapping: matched against the raw value in hex and the text.
  const size_t total = list->nodes.size() * 16;
  const size_t here = node_row_ * 16 + static_cast<size_t>(slot_);
  for (size_t step = from_next ? 1 : 0; step <= total; step++) {
    const size_t at = (here + step) % total;
    const uint64_t raw = list->nodes[at / 16].slots[at % 16];
    if (raw == 0) {
      continue;
    }
    if (fmt::format("{:#x}", raw).find(search_) != std::string::npos ||
        inspect::DescribeRawSlot(raw).find(search_) != std::string::npos) {
      node_row_ = at / 16;
      slot_ = static_cast<int>(at % 16);
      node_key_ = list->nodes[node_row_].key;
      ReadSelectedPage();
      message_ = fmt::format("slot {} of node {:#x}", slot_, node_key_);
      return true;
    }
  }
  return false;
}

void App::Save() {
  const inspect::SnapshotList* list = selected_list();
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
  std::ofstream out(path);
  out << inspect::SnapshotToJson(snapshot_).dump(2) << "\n";
  out.close();
  message_ = out ? fmt::format("saved {} lists to {}", snapshot_.lists.size(), path)
                 : fmt::format("could not write {}", path);
}

void App::SeekBy(int64_t delta) {
  const std::optional<CursorState> cursor = source_->Cursor();
  if (!cursor) {
    message_ = "only a trace has a time cursor (--trace FILE)";
    return;
  }
  const int64_t target = std::clamp<int64_t>(static_cast<int64_t>(cursor->position) + delta, 0,
                                             static_cast<int64_t>(cursor->size));
  std::string error;
  if (!source_->Seek(static_cast<uint64_t>(target), &error)) {
    message_ = error;
    return;
  }
  Refresh(trace::MonotonicNs());
  message_.clear();
}

void App::TogglePause() {
  paused_ = !paused_;
  source_->SetPaused(paused_);
  message_ = paused_ ? "paused: p resumes" : "resumed";
}

int App::PageRows(Pane pane) const {
  const Rect* r = pane == Pane::kLists    ? &layout_.lists
                  : pane == Pane::kNodes  ? &layout_.nodes
                  : pane == Pane::kDetail ? &layout_.detail
                  : pane == Pane::kEvents ? &layout_.events
                                          : &layout_.problems;
  return std::max(1, r->height - 3);
}

}  // namespace vmpl::tui
