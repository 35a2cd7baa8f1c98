// DrawScreen (draw.h): the whole screen from model, view state and layout. The panes' places
// are decided in layout.cc; this file only paints.

#include <fmt/format.h>
#include <vmpl/model/slot.h>
#include <vmpl/model/text_view.h>

#include <algorithm>
#include <sstream>

#include "vmpl/tui/draw.h"
#include "vmpl/tui/events_view.h"
#include "vmpl/tui/help_view.h"
#include "vmpl/tui/slot_detail.h"
#include "vmpl/tui/splice_view.h"

namespace vmpl::tui {
namespace {

constexpr char kHints[] =
    "Tab pane  arrows/hjkl move  g offset  / search  v detail  p pause  s save  ? help  q quit";
// Rows of the glyph key drawn below the help box, where there is room.
constexpr int kLegendHeight = 8;

// |runs| on row |r| of |frame|, then |fill| in |fill_style| to the row's end.
void PaintLine(Frame& frame, const Rect& r, const TextRuns& runs, char32_t fill, Style fill_style) {
  Region region(frame, r.x, r.y, r.width, std::min(r.height, 1));
  for (int x = region.Put(0, 0, runs); x < r.width; x++) {
    region.PutGlyph(x, 0, fill, fill_style);
  }
}

void DrawPaneTitle(Frame& frame, const Rect& r, const ViewState& view, Pane pane,
                   const std::string& title) {
  if (r.height > 0) {
    PaintLine(frame, r, PaneTitleLine(view, pane, title), U'-', Style::kRuler);
  }
}

// The selected list's views, if they were built for it.
const NodeMap* NodeMapOf(const Model& model, const ViewState& view) {
  return model.ListViewsAreFor(view.lists.row) ? model.node_map.get() : nullptr;
}
const IntervalsView* IntervalsOf(const Model& model, const ViewState& view) {
  return model.ListViewsAreFor(view.lists.row) ? model.intervals.get() : nullptr;
}

void DrawLists(Frame& frame, const Model& model, const ViewState& view, const PaneLayout& pane) {
  const Rect& r = pane.rect;
  DrawPaneTitle(frame, r, view, Pane::kLists,
                fmt::format("Lists ({})", model.snapshot.lists.size()));
  if (model.lists_table) {
    model.lists_table->Render(frame, r.x, r.y + 1, r.width, r.height - 1, pane.first,
                              view.lists.row);
  }
}

// The node map of the selected list, with the selected slot's cell marked.
void DrawNodes(Frame& frame, const Model& model, const ViewState& view, const PaneLayout& pane) {
  const Rect& r = pane.rect;
  const vmpl::SnapshotList* list = model.list(view.lists.row);
  std::string title = "Nodes";
  if (list != nullptr) {
    title = fmt::format(
        "Nodes of {} (skew {:#x}, {} nodes{})",
        list->name.empty() ? fmt::format("{:#x}", list->address) : Printable(list->name),
        list->skew, list->nodes.size(),
        list->kind == vmpl::SnapshotListKind::kSpliceList ? ", middle tree of a splice list"
                                                             : "");
  }
  DrawPaneTitle(frame, r, view, Pane::kNodes, title);
  const NodeMap* map = NodeMapOf(model, view);
  if (map == nullptr) {
    return;
  }
  map->Render(frame, r.x, r.y + 1, r.width, r.height - 1, pane.first, view.nodes.row,
              [&model](uint64_t page) -> const PageStruct* {
                const PageRead* read = model.Page(page);
                return read != nullptr && read->page ? &*read->page : nullptr;
              });
  const int cell_x = r.x + map->ruler_width() + view.nodes.slot;
  const int cell_y = r.y + 1 + NodeMap::kHeaderRows + static_cast<int>(view.nodes.row - pane.first);
  if (!list->nodes.empty() && view.nodes.row >= pane.first && cell_x < r.x + r.width &&
      cell_x < frame.width() && cell_y < r.y + r.height && cell_y < frame.height()) {
    frame.PutGlyph(cell_x, cell_y, frame.at(cell_x, cell_y).glyph, Style::kSelected);
  }
}

void DrawSlot(Frame& frame, const Model& model, const ViewState& view, const Rect& window,
              const vmpl::SnapshotList& list) {
  if (view.nodes.row >= list.nodes.size()) {
    Region(frame, window.x, window.y, window.width, window.height)
        .Put(1, 0, "(no nodes)", Style::kDefault);
    return;
  }
  const vmpl::SnapshotNode& node = list.nodes[view.nodes.row];
  const vmpl::DecodedSlot decoded =
      vmpl::DecodeRawSlot(node.slots[static_cast<size_t>(view.nodes.slot)]);
  const PageRead* read =
      decoded.kind == vmpl::SlotKind::kPage ? model.Page(decoded.page) : nullptr;
  RenderSlotDetail(frame, window.x, window.y, window.width, window.height, list, node,
                   view.nodes.slot, model.selected_slot_address,
                   read != nullptr && read->page ? &*read->page : nullptr,
                   read != nullptr ? read->error : "");
}

void DrawDetail(Frame& frame, const Model& model, const ViewState& view, const PaneLayout& pane) {
  const Rect& r = pane.rect;
  const IntervalsView* intervals = IntervalsOf(model, view);
  static const char* const kNames[] = {"Slot", "Intervals", "Splice list"};
  const std::string title =
      view.detail.mode == DetailMode::kIntervals && intervals != nullptr
          ? fmt::format("Intervals ({})  v: next view", intervals->rows())
          : fmt::format("{}  v: next view", kNames[static_cast<int>(view.detail.mode)]);
  DrawPaneTitle(frame, r, view, Pane::kDetail, title);
  const vmpl::SnapshotList* list = model.list(view.lists.row);
  const Rect window{r.x, r.y + 1, r.width, std::max(r.height - 1, 0)};
  if (list == nullptr || window.height <= 0) {
    Region(frame, window.x, window.y, window.width, window.height)
        .Put(1, 0, "(no list)", Style::kDefault);
    return;
  }
  switch (view.detail.mode) {
    case DetailMode::kSlot:
      DrawSlot(frame, model, view, window, *list);
      break;
    case DetailMode::kIntervals:
      if (intervals != nullptr) {
        intervals->Render(frame, window.x, window.y, window.width, window.height, pane.first,
                          view.detail.interval_row);
      }
      break;
    case DetailMode::kSplice:
      RenderSpliceView(frame, window.x, window.y, window.width, window.height, *list);
      break;
  }
}

void DrawEvents(Frame& frame, const Model& model, const ViewState& view, const PaneLayout& pane) {
  const Rect& r = pane.rect;
  const std::optional<CursorState>& cursor = model.cursor;
  DrawPaneTitle(frame, r, view, Pane::kEvents,
                cursor ? fmt::format("Events around the cursor (event {} of {})", cursor->position,
                                     cursor->size)
                       : std::string("Events"));
  std::optional<uint64_t> highlight;
  if (cursor && cursor->position > 0) {
    highlight = cursor->position - 1;
  }
  const EventLog& events = model.events;
  const bool none = events.total() == 0 && events.lost() == 0 && !cursor;
  RenderEvents(
      frame, r.x, r.y + 1, r.width, r.height - 1, events, view.events.filter,
      [&model](uint64_t address) { return model.ListName(address); }, pane.first,
      none ? model.events_status : "", highlight);
}

void DrawProblems(Frame& frame, const Model& model, const ViewState& view, const PaneLayout& pane) {
  const Rect& r = pane.rect;
  if (r.height <= 0 || !model.problems) {
    return;
  }
  DrawPaneTitle(frame, r, view, Pane::kProblems,
                fmt::format("Problems ({})", model.snapshot.problem_count()));
  model.problems->Render(frame, r.x, r.y + 1, r.width, r.height - 1, pane.first, view.problems.row);
}

// The key bindings over the panes, centred, and the glyph key below them where there is room.
void DrawHelp(Frame& frame) {
  const int w = std::min(HelpWidth(), frame.width());
  const int h = std::min(HelpHeight(), frame.height());
  const int top = std::max(0, (frame.height() - h - kLegendHeight) / 2);
  const int left = (frame.width() - w) / 2;
  RenderHelp(frame, left, top, w, h);
  if (top + h + kLegendHeight > frame.height()) {
    return;
  }
  for (int y = top + h; y < top + h + kLegendHeight; y++) {
    for (int x = left; x < left + w; x++) {
      frame.PutGlyph(x, y, x == left || x == left + w - 1 ? U'|' : U' ', Style::kDefault);
    }
  }
  for (int x = left; x < left + w; x++) {
    frame.PutGlyph(x, top + h + kLegendHeight - 1, x == left || x == left + w - 1 ? U'+' : U'-',
                   Style::kDefault);
  }
  RenderNodeMapLegend(frame, left + 2, top + h, w - 4, kLegendHeight - 1);
}

void DrawTooSmall(Frame& frame, const ScreenLayout& layout) {
  const std::vector<std::string> lines = TooSmallLines(layout);
  const int top = std::max(0, (frame.height() - static_cast<int>(lines.size())) / 2);
  for (size_t i = 0; i < lines.size(); i++) {
    const int left = std::max(0, (frame.width() - static_cast<int>(lines[i].size())) / 2);
    frame.Put(left, top + static_cast<int>(i), lines[i], Style::kProblem);
  }
}

// |text|'s words in lines of at most |width| characters (a longer word on a line of its own).
void WrapWords(const std::string& text, int width, std::vector<std::string>& lines) {
  std::istringstream words(text);
  std::string line;
  for (std::string word; words >> word;) {
    if (!line.empty() && static_cast<int>(line.size() + 1 + word.size()) > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) {
    lines.push_back(line);
  }
}

}  // namespace

TextRuns TitleLine(const Model& model, const ViewState& view) {
  TextRuns runs = {{"vmpl tui  ", Style::kHeader}};
  if (view.paused) {
    runs.push_back({"PAUSED", Style::kProblem});
    runs.push_back({"  ", Style::kHeader});
  }
  const vmpl::Snapshot& snapshot = model.snapshot;
  runs.push_back(
      {Printable(snapshot.source.empty() ? model.source_name : snapshot.source), Style::kHeader});
  const size_t problems = snapshot.problem_count();
  runs.push_back({fmt::format("  lists {}  ", snapshot.lists.size()), Style::kHeader});
  runs.push_back(
      {fmt::format("problems {}", problems), problems == 0 ? Style::kHeader : Style::kProblem});
  if (const std::optional<CursorState>& cursor = model.cursor) {
    const double at = static_cast<double>(cursor->time_ns - cursor->start_ns) / 1e9;
    const double span = static_cast<double>(cursor->end_ns - cursor->start_ns) / 1e9;
    runs.push_back({fmt::format("  cursor {}/{}  t+{:.6f}s of {:.6f}s", cursor->position,
                                cursor->size, at, span),
                    Style::kHeader});
  }
  return runs;
}

TextRuns PaneTitleLine(const ViewState& view, Pane pane, const std::string& title) {
  const bool focused = view.focus == pane;
  return {{(focused ? "[*] " : "[ ] ") + title + " ", focused ? Style::kSelected : Style::kRuler}};
}

TextRuns StatusLine(const ViewState& view) {
  const PromptState& prompt = view.prompt;
  switch (prompt.prompt) {
    case Prompt::kGoto:
      return {{"go to VMO offset (hex): ", Style::kHeader}, {prompt.text + "_", Style::kDefault}};
    case Prompt::kSearch:
      return {{view.focus == Pane::kNodes ? "search slots: " : "search lists: ", Style::kHeader},
              {prompt.text + "_", Style::kDefault}};
    case Prompt::kNone:
      break;
  }
  if (view.message.empty()) {
    return {{kHints, Style::kRuler}};
  }
  return {{Printable(view.message), Style::kDefault}};
}

std::vector<std::string> TooSmallLines(const ScreenLayout& layout) {
  const std::string halves[] = {
      fmt::format("terminal too small ({}x{},", layout.width, layout.height),
      fmt::format("needs at least {}x{})", layout.min_width, layout.min_height)};
  const std::string whole = halves[0] + " " + halves[1];
  if (static_cast<int>(whole.size()) <= layout.width) {
    return {whole};
  }
  std::vector<std::string> lines;
  for (const std::string& half : halves) {
    WrapWords(half, layout.width, lines);
  }
  return lines;
}

void DrawScreen(Frame& frame, const Model& model, const ViewState& view,
                const ScreenLayout& layout) {
  frame.Clear();
  if (layout.too_small) {
    DrawTooSmall(frame, layout);
    return;
  }
  PaintLine(frame, layout.title, TitleLine(model, view), U' ', Style::kHeader);
  DrawLists(frame, model, view, layout.lists);
  DrawNodes(frame, model, view, layout.nodes);
  DrawDetail(frame, model, view, layout.detail);
  DrawEvents(frame, model, view, layout.events);
  DrawProblems(frame, model, view, layout.problems);
  // The column between the two sides.
  const Rect& detail = layout.detail.rect;
  const Rect& events = layout.events.rect;
  if (detail.x > 0) {
    for (int y = detail.y; y < events.y + events.height; y++) {
      frame.PutGlyph(detail.x - 1, y, U'|', Style::kRuler);
    }
  }
  const Rect& status = layout.status;
  Region(frame, status.x, status.y, status.width, status.height).Put(0, 0, StatusLine(view));
  if (view.help) {
    DrawHelp(frame);
  }
}

}  // namespace vmpl::tui
