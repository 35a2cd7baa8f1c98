// App (app.h): input. Every handler changes the view state only, reading the model and the last
// layout, and answers Actions; what needs the source (a read, a cursor move, pause, a save) is
// queued in ViewState::requests for the refresh step.

#include <fmt/format.h>
#include <vmpl/model/slot.h>
#include <vmpl/model/text_view.h>
#include <vmpl/inspect/target.h>

#include <algorithm>

#include "vmpl/tui/app.h"

namespace vmpl::tui {
namespace {

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kNodeSpan = 16 * kPageSize;

}  // namespace

const NodeMap* App::node_map() const {
  return model_.ListViewsAreFor(view_.lists.row) ? model_.node_map.get() : nullptr;
}

const IntervalsView* App::intervals() const {
  return model_.ListViewsAreFor(view_.lists.row) ? model_.intervals.get() : nullptr;
}

Actions App::Handle(const Input& input) {
  if (input.type == Input::Type::kResize) {
    return Action::kResize | Action::kRedraw;
  }
  if (view_.prompt.prompt != Prompt::kNone) {
    return HandlePrompt(input);
  }
  if (view_.help) {
    // Any key closes the help; q still quits.
    view_.help = false;
    if (input.type == Input::Type::kChar && input.ch == U'q') {
      view_.quit = true;
      return Action::kQuit;
    }
    return Action::kRedraw;
  }
  return input.type == Input::Type::kChar ? HandleChar(input.ch) : HandleKey(input);
}

Actions App::HandleKey(const Input& input) {
  switch (input.type) {
    case Input::Type::kUp:
      Move(-1);
      break;
    case Input::Type::kDown:
      Move(1);
      break;
    case Input::Type::kLeft:
      Sideways(-1);
      break;
    case Input::Type::kRight:
      Sideways(1);
      break;
    case Input::Type::kPageUp:
      Move(-PageRows(view_.focus));
      break;
    case Input::Type::kPageDown:
      Move(PageRows(view_.focus));
      break;
    case Input::Type::kHome:
      MoveToEnd(false);
      break;
    case Input::Type::kEnd:
      MoveToEnd(true);
      break;
    case Input::Type::kTab:
      CycleFocus(1);
      break;
    case Input::Type::kBackTab:
      CycleFocus(-1);
      break;
    case Input::Type::kEnter:
      Enter();
      break;
    case Input::Type::kEscape:
      view_.message.clear();
      break;
    case Input::Type::kClick:
    case Input::Type::kWheelUp:
    case Input::Type::kWheelDown:
      return HandleMouse(input);
    case Input::Type::kBackspace:
    case Input::Type::kChar:
    case Input::Type::kResize:
      return {};
  }
  return Action::kRedraw;
}

Actions App::HandleChar(char32_t ch) {
  switch (ch) {
    case U'q':
      view_.quit = true;
      return Action::kQuit;
    case U'k':
      Move(-1);
      break;
    case U'j':
      Move(1);
      break;
    case U'h':
      Sideways(-1);
      break;
    case U'l':
      Sideways(1);
      break;
    case U'?':
      view_.help = true;
      break;
    case U'g':
    case U'/':
      view_.prompt.prompt = ch == U'g' ? Prompt::kGoto : Prompt::kSearch;
      view_.prompt.text.clear();
      break;
    case U'n':
      Search(true);
      break;
    case U'p':
      TogglePause();
      return Action::kRedraw | Action::kRefresh;
    case U's':
      view_.requests.save = true;
      return Action::kRedraw | Action::kRefresh;
    case U'r':
      view_.requests.read = true;
      return Action::kRedraw | Action::kRefresh;
    case U'v': {
      DetailMode& mode = view_.detail.mode;
      mode = mode == DetailMode::kSlot        ? DetailMode::kIntervals
             : mode == DetailMode::kIntervals ? DetailMode::kSplice
                                              : DetailMode::kSlot;
      break;
    }
    case U'f': {
      EventFilter& filter = view_.events.filter;
      if (filter.list() != 0) {
        filter.SetList(0);
      } else if (const vmpl::SnapshotList* list = selected_list()) {
        filter.SetList(list->address);
      }
      view_.events.skip = 0;
      break;
    }
    case U'K':
      view_.events.filter.NextKindGroup();
      view_.events.skip = 0;
      break;
    case U'm':
      view_.monochrome = !view_.monochrome;
      break;
    case U'[':
      return SeekBy(-1);
    case U']':
      return SeekBy(1);
    case U'{':
      return SeekBy(-1000);
    case U'}':
      return SeekBy(1000);
    case U'<':
    case U'>': {
      const std::optional<CursorState>& cursor = model_.cursor;
      const int64_t step =
          cursor ? static_cast<int64_t>(std::max<uint64_t>(cursor->size / 10, 1)) : 0;
      return SeekBy(ch == U'<' ? -step : step);
    }
    default:
      return {};
  }
  return Action::kRedraw;
}

Actions App::HandlePrompt(const Input& input) {
  PromptState& prompt = view_.prompt;
  switch (input.type) {
    case Input::Type::kEscape:
      prompt.prompt = Prompt::kNone;
      break;
    case Input::Type::kBackspace:
      if (!prompt.text.empty()) {
        prompt.text.pop_back();
      }
      break;
    case Input::Type::kEnter: {
      const Prompt which = prompt.prompt;
      prompt.prompt = Prompt::kNone;
      if (which == Prompt::kGoto) {
        Goto(prompt.text);
      } else {
        prompt.search = prompt.text;
        Search(false);
      }
      break;
    }
    case Input::Type::kChar:
      // Printable ASCII only: offsets and names are typed, not pasted binary.
      if (input.ch >= 0x20 && input.ch < 0x7f && prompt.text.size() < 64) {
        prompt.text += static_cast<char>(input.ch);
      }
      break;
    default:
      return {};
  }
  return Action::kRedraw;
}

// Clicks and the wheel, on the panes where the last layout put them.
Actions App::HandleMouse(const Input& input) {
  static constexpr Pane kPanes[] = {Pane::kLists, Pane::kNodes, Pane::kDetail, Pane::kEvents,
                                    Pane::kProblems};
  for (Pane pane : kPanes) {
    const PaneLayout& placed = layout_.pane(pane);
    const Rect& r = placed.rect;
    if (r.height <= 0 || !r.Contains(input.x, input.y)) {
      continue;
    }
    view_.focus = pane;
    if (input.type != Input::Type::kClick) {
      Move(input.type == Input::Type::kWheelUp ? -3 : 3);
      return Action::kRedraw;
    }
    // Content starts below the pane's title line and the view's own header rows.
    const int line = input.y - r.y - 1;
    switch (pane) {
      case Pane::kLists:
        if (line >= 1 && placed.first + static_cast<size_t>(line - 1) < snapshot().lists.size()) {
          SelectList(placed.first + static_cast<size_t>(line - 1));
        }
        break;
      case Pane::kNodes:
        if (const NodeMap* map = node_map();
            map != nullptr && line >= NodeMap::kHeaderRows &&
            placed.first + static_cast<size_t>(line - NodeMap::kHeaderRows) < map->rows()) {
          const int column = input.x - r.x - map->ruler_width();
          if (column >= 0 && column < 16) {
            view_.nodes.slot = column;
          }
          SelectNode(placed.first + static_cast<size_t>(line - NodeMap::kHeaderRows));
        }
        break;
      case Pane::kProblems:
        // Below the view's count line.
        if (model_.problems && line >= 1 &&
            placed.first + static_cast<size_t>(line - 1) < model_.problems->rows()) {
          view_.problems.row = placed.first + static_cast<size_t>(line - 1);
        }
        break;
      case Pane::kDetail:
        if (const IntervalsView* rows = intervals();
            view_.detail.mode == DetailMode::kIntervals && rows != nullptr && line >= 1 &&
            placed.first + static_cast<size_t>(line - 1) < rows->rows()) {
          view_.detail.interval_row = placed.first + static_cast<size_t>(line - 1);
        }
        break;
      case Pane::kEvents:
        break;
    }
    return Action::kRedraw;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Selections

void App::SelectList(size_t index) {
  if (index >= snapshot().lists.size()) {
    return;
  }
  view_.lists.user_selected = true;
  view_.lists.row = index;
  FollowSelectedList();
}

void App::FollowSelectedList() {
  ListsPaneState& lists = view_.lists;
  const vmpl::SnapshotList* list = selected_list();
  if (list == nullptr) {
    lists.address = 0;
    lists.name.clear();
    return;
  }
  const bool same_list = list->address == lists.address && list->name == lists.name;
  lists.address = list->address;
  lists.name = list->name;
  NodesPaneState& nodes = view_.nodes;
  if (list->nodes.empty()) {
    nodes.row = 0;
    return;
  }
  if (same_list) {
    // Follow the node by its key: the first node at or after it.
    const auto it = std::lower_bound(
        list->nodes.begin(), list->nodes.end(), nodes.key,
        [](const vmpl::SnapshotNode& node, uint64_t key) { return node.key < key; });
    nodes.row = std::min(static_cast<size_t>(it - list->nodes.begin()), list->nodes.size() - 1);
  } else {
    nodes = NodesPaneState{};
  }
  nodes.key = list->nodes[nodes.row].key;
}

void App::SelectNode(size_t row) {
  const vmpl::SnapshotList* list = selected_list();
  if (list != nullptr && row < list->nodes.size()) {
    view_.nodes.row = row;
    view_.nodes.key = list->nodes[row].key;
  }
}

void App::Move(int rows) {
  auto step = [rows](size_t value, size_t count) -> size_t {
    if (count == 0) {
      return 0;
    }
    const int64_t moved = static_cast<int64_t>(value) + rows;
    return static_cast<size_t>(std::clamp<int64_t>(moved, 0, static_cast<int64_t>(count) - 1));
  };
  switch (view_.focus) {
    case Pane::kLists:
      SelectList(step(view_.lists.row, snapshot().lists.size()));
      break;
    case Pane::kNodes:
      if (const vmpl::SnapshotList* list = selected_list(); list && !list->nodes.empty()) {
        SelectNode(step(view_.nodes.row, list->nodes.size()));
      }
      break;
    case Pane::kDetail:
      if (const IntervalsView* rows = intervals();
          view_.detail.mode == DetailMode::kIntervals && rows != nullptr) {
        view_.detail.interval_row = step(view_.detail.interval_row, rows->rows());
      }
      break;
    case Pane::kEvents: {
      // Up scrolls back in time, at most until the oldest event kept is the top row.
      const size_t matching = model_.events.CountMatching(view_.events.filter);
      const size_t visible = static_cast<size_t>(std::max(layout_.events.rows, 1));
      const int64_t most = matching > visible ? static_cast<int64_t>(matching - visible) : 0;
      const int64_t skip = static_cast<int64_t>(view_.events.skip) - rows;
      view_.events.skip = static_cast<size_t>(std::clamp<int64_t>(skip, 0, most));
      break;
    }
    case Pane::kProblems:
      if (model_.problems) {
        view_.problems.row = step(view_.problems.row, model_.problems->rows());
      }
      break;
  }
}

void App::MoveToEnd(bool last) { Move(last ? INT32_MAX / 2 : -(INT32_MAX / 2)); }

void App::Sideways(int delta) {
  if (view_.focus == Pane::kLists && delta > 0) {
    view_.focus = Pane::kNodes;
    return;
  }
  if (view_.focus != Pane::kNodes) {
    return;
  }
  const vmpl::SnapshotList* list = selected_list();
  if (list == nullptr || list->nodes.empty()) {
    return;
  }
  // Slots run on from one node into the next.
  size_t row = view_.nodes.row;
  int slot = view_.nodes.slot + delta;
  if (slot < 0 && row > 0) {
    row--;
    slot = 15;
  } else if (slot > 15 && row + 1 < list->nodes.size()) {
    row++;
    slot = 0;
  }
  view_.nodes.slot = std::clamp(slot, 0, 15);
  SelectNode(row);
}

std::vector<Pane> App::VisiblePanes() const {
  std::vector<Pane> panes = {Pane::kLists, Pane::kNodes, Pane::kDetail, Pane::kEvents};
  if (model_.HasProblemsPane()) {
    panes.push_back(Pane::kProblems);
  }
  return panes;
}

void App::CycleFocus(int delta) {
  const std::vector<Pane> panes = VisiblePanes();
  const auto it = std::find(panes.begin(), panes.end(), view_.focus);
  const int at = it == panes.end() ? 0 : static_cast<int>(it - panes.begin());
  const int n = static_cast<int>(panes.size());
  view_.focus = panes[static_cast<size_t>(((at + delta) % n + n) % n)];
}

void App::Enter() {
  switch (view_.focus) {
    case Pane::kLists:
      view_.focus = Pane::kNodes;
      break;
    case Pane::kProblems: {
      if (!model_.problems || view_.problems.row >= model_.problems->rows()) {
        break;
      }
      const ProblemRow& problem = model_.problems->row(view_.problems.row);
      if (problem.list_index < 0) {
        view_.message = "this problem is outside any list";
        break;
      }
      SelectList(static_cast<size_t>(problem.list_index));
      const vmpl::SnapshotList* list = selected_list();
      for (size_t i = 0; list && i < list->nodes.size(); i++) {
        if (list->nodes[i].address == problem.address) {
          SelectNode(i);
          break;
        }
      }
      view_.focus = Pane::kNodes;
      break;
    }
    case Pane::kDetail:
      if (const IntervalsView* rows = intervals(); view_.detail.mode == DetailMode::kIntervals &&
                                                   rows != nullptr &&
                                                   view_.detail.interval_row < rows->rows()) {
        SelectNodeAtOffset(rows->row(view_.detail.interval_row).start);
        view_.focus = Pane::kNodes;
      }
      break;
    case Pane::kEvents:
    case Pane::kNodes:
      break;
  }
}

void App::SelectNodeAtOffset(uint64_t vmo_offset) {
  const vmpl::SnapshotList* list = selected_list();
  if (list == nullptr || list->nodes.empty()) {
    view_.message = "no nodes to go to";
    return;
  }
  // Tree keys are skewed offsets of slot 0: the node that would hold the offset.
  const uint64_t skewed = vmo_offset + list->skew;
  const uint64_t key = skewed - skewed % kNodeSpan;
  const auto it =
      std::lower_bound(list->nodes.begin(), list->nodes.end(), key,
                       [](const vmpl::SnapshotNode& node, uint64_t k) { return node.key < k; });
  if (it != list->nodes.end() && it->key == key) {
    view_.nodes.slot = static_cast<int>((skewed % kNodeSpan) / kPageSize);
    SelectNode(static_cast<size_t>(it - list->nodes.begin()));
    view_.message =
        fmt::format("offset {:#x}: node {:#x}, slot {}", vmo_offset, key, view_.nodes.slot);
  } else {
    view_.nodes.slot = 0;
    SelectNode(std::min(static_cast<size_t>(it - list->nodes.begin()), list->nodes.size() - 1));
    view_.message =
        fmt::format("offset {:#x} is in no node (empty); nearest node after it shown", vmo_offset);
  }
}

void App::Goto(const std::string& text) {
  std::string digits = text;
  if (digits.rfind("0x", 0) != 0 && digits.rfind("0X", 0) != 0) {
    digits = "0x" + digits;  // offsets are typed in hex
  }
  const std::optional<uint64_t> offset = inspect::ParseAddress(digits);
  if (!offset) {
    view_.message = fmt::format("'{}' is not a hex offset", text);
    return;
  }
  view_.focus = Pane::kNodes;
  SelectNodeAtOffset(*offset);
}

void App::Search(bool from_next) {
  if (view_.prompt.search.empty()) {
    view_.message = "nothing to search for: / first";
    return;
  }
  const bool found = view_.focus == Pane::kNodes ? SearchSlots(from_next) : SearchLists(from_next);
  if (!found) {
    view_.message = fmt::format("'{}' not found", view_.prompt.search);
  }
}

bool App::SearchLists(bool from_next) {
  const std::vector<vmpl::SnapshotList>& lists = snapshot().lists;
  const size_t n = lists.size();
  for (size_t step = from_next ? 1 : 0; step <= n && n != 0; step++) {
    const size_t i = (view_.lists.row + step) % n;
    if (lists[i].name.find(view_.prompt.search) != std::string::npos) {
      SelectList(i);
      view_.message = fmt::format("list '{}'", lists[i].name);
      return true;
    }
  }
  return false;
}

bool App::SearchSlots(bool from_next) {
  const vmpl::SnapshotList* list = selected_list();
  if (list == nullptr || list->nodes.empty()) {
    return false;
  }
  // Slots after the selected one, wrapping: matched against the raw value in hex and the text.
  const std::string& search = view_.prompt.search;
  const size_t total = list->nodes.size() * 16;
  const size_t here = view_.nodes.row * 16 + static_cast<size_t>(view_.nodes.slot);
  for (size_t step = from_next ? 1 : 0; step <= total; step++) {
    const size_t at = (here + step) % total;
    const uint64_t raw = list->nodes[at / 16].slots[at % 16];
    if (raw == 0) {
      continue;
    }
    if (fmt::format("{:#x}", raw).find(search) != std::string::npos ||
        vmpl::SlotContentText(raw).find(search) != std::string::npos) {
      view_.nodes.slot = static_cast<int>(at % 16);
      SelectNode(at / 16);
      view_.message = fmt::format("slot {} of node {:#x}", view_.nodes.slot, view_.nodes.key);
      return true;
    }
  }
  return false;
}

// Moves the time cursor by |delta| events from where it is (or from where an earlier key, not
// yet applied, moves it), clamped to the recording.
Actions App::SeekBy(int64_t delta) {
  const std::optional<CursorState>& cursor = model_.cursor;
  if (!cursor) {
    view_.message = "only a trace has a time cursor (--trace FILE)";
    return Action::kRedraw;
  }
  const uint64_t from = view_.requests.seek.value_or(cursor->position);
  view_.requests.seek = static_cast<uint64_t>(std::clamp<int64_t>(
      static_cast<int64_t>(from) + delta, 0, static_cast<int64_t>(cursor->size)));
  return Action::kRedraw | Action::kRefresh;
}

void App::TogglePause() {
  view_.paused = !view_.paused;
  view_.message = view_.paused ? "paused: p resumes" : "resumed";
}

int App::PageRows(Pane pane) const { return std::max(1, layout_.pane(pane).rect.height - 3); }

}  // namespace vmpl::tui
