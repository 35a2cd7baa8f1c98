// App (app.h): the screen's layout and drawing.
//
//   title: source, counts, PAUSED, the time cursor
//   Lists            | Detail (slot, intervals or splice list)
//   Nodes            | Events
//   Problems (only when there are any, full width)
//   status: prompt, the last message, or key hints
//
// Narrower than kTwoColumns, the panes are stacked in one column.

#include <algorithm>

#include <fmt/format.h>

#include "vmpl/tui/app.h"
#include "vmpl/tui/events_view.h"
#include "vmpl/tui/help_view.h"
#include "vmpl/tui/slot_detail.h"
#include "vmpl/tui/splice_view.h"

namespace vmpl::tui {
namespace {

constexpr int kTwoColumns = 100;
constexpr char kHints[] =
    "Tab pane  arrows/hjkl move  g offset  / search  v detail  p pause  s save  ? help  q quit";

}  // namespace

void App::KeepVisible(size_t selected, int rows, size_t& first) {
  const size_t visible = static_cast<size_t>(std::max(rows, 1));
  if (selected < first) {
    first = selected;
  } else if (selected >= first + visible) {
    first = selected - visible + 1;
  }
}

App::Layout App::ComputeLayout(int width, int height) const {
  Layout l;
  l.title = {0, 0, width, 1};
  l.status = {0, height - 1, width, 1};
  int body_y = 1;
  int body_h = std::max(0, height - 2);
  if (VisiblePanes().size() > 4) {
    const int h = std::min(7, std::max(2, body_h / 4));
    l.problems = {0, body_y + body_h - h, width, h};
    body_h -= h;
  }
  const int list_rows = static_cast<int>(snapshot_.lists.size()) + 2;  // title and header
  if (width >= kTwoColumns) {
    const int left_w = std::clamp(std::max(width * 3 / 5, 96), 48, width - 40);
    const int lists_max = std::max(body_h * 2 / 5, 1);
    const int lists_h = std::clamp(list_rows, std::min({5, body_h, lists_max}), lists_max);
    l.lists = {0, body_y, left_w, lists_h};
    l.nodes = {0, body_y + lists_h, left_w, body_h - lists_h};
    const int right_x = left_w + 1;
    const int right_w = width - right_x;
    const int detail_h = body_h / 2;
    l.detail = {right_x, body_y, right_w, detail_h};
    l.events = {right_x, body_y + detail_h, right_w, body_h - detail_h};
  } else {
    const int lists_max = std::max(body_h / 4, 1);
    const int lists_h = std::clamp(list_rows, std::min({4, body_h, lists_max}), lists_max);
    const int nodes_h = (body_h - lists_h) * 2 / 5;
    const int detail_h = (body_h - lists_h - nodes_h) / 2;
    l.lists = {0, body_y, width, lists_h};
    l.nodes = {0, body_y + lists_h, width, nodes_h};
    l.detail = {0, body_y + lists_h + nodes_h, width, detail_h};
    l.events = {0, body_y + lists_h + nodes_h + detail_h, width,
                body_h - lists_h - nodes_h - detail_h};
  }
  return l;
}

void App::Render(Frame& frame) {
  RenderPanes(frame);  // may read vm_page_t structs through the source
  source_->LetTargetRun();
}

void App::RenderPanes(Frame& frame) {
  frame.Clear();
  layout_ = ComputeLayout(frame.width(), frame.height());
  const Layout& l = layout_;
  RenderTitle(frame, l.title);

  // Lists.
  RenderPaneTitle(frame, l.lists, Pane::kLists, fmt::format("Lists ({})", snapshot_.lists.size()));
  if (lists_table_) {
    KeepVisible(list_row_, l.lists.height - 2, list_first_);
    lists_table_->Render(frame, l.lists.x, l.lists.y + 1, l.lists.width, l.lists.height - 1,
                         list_first_, list_row_);
  }

  // Nodes of the selected list, with the selected slot's cell marked.
  const inspect::SnapshotList* list = selected_list();
  std::string nodes_title = "Nodes";
  if (list != nullptr) {
    nodes_title = fmt::format("Nodes of {} (skew {:#x}, {} nodes{})",
                              list->name.empty() ? fmt::format("{:#x}", list->address) : Printable(list->name),
                              list->skew, list->nodes.size(),
                              list->kind == inspect::SnapshotListKind::kSpliceList
                                  ? ", middle tree of a splice list"
                                  : "");
  }
  RenderPaneTitle(frame, l.nodes, Pane::kNodes, nodes_title);
  if (node_map_) {
    const int rows = l.nodes.height - 1 - NodeMap::kHeaderRows;
    KeepVisible(node_row_, rows, node_first_);
    node_map_->Render(frame, l.nodes.x, l.nodes.y + 1, l.nodes.width, l.nodes.height - 1,
                      node_first_, node_row_,
                      [this](uint64_t page) { return CachedPage(page); });
    const int cell_x = l.nodes.x + node_map_->ruler_width() + slot_;
    const int cell_y = l.nodes.y + 1 + NodeMap::kHeaderRows + static_cast<int>(node_row_ - node_first_);
    if (!list->nodes.empty() && cell_x < l.nodes.x + l.nodes.width && cell_x < frame.width() &&
        cell_y < l.nodes.y + l.nodes.height && cell_y < frame.height()) {
      frame.PutGlyph(cell_x, cell_y, frame.at(cell_x, cell_y).glyph, Style::kSelected);
    }
  }

  RenderDetail(frame, l.detail);

  // Events.
  const std::optional<CursorState> cursor = source_->Cursor();
  RenderPaneTitle(frame, l.events, Pane::kEvents,
                  cursor ? fmt::format("Events around the cursor (event {} of {})",
                                       cursor->position, cursor->size)
                         : std::string("Events"));
  std::optional<uint64_t> highlight;
  if (cursor && cursor->position > 0) {
    highlight = cursor->position - 1;
  }
  const std::string status =
      events_.total() == 0 && events_.lost() == 0 && !cursor ? source_->EventsStatus() : "";
  RenderEvents(frame, l.events.x, l.events.y + 1, l.events.width, l.events.height - 1, events_,
               filter_, [this](uint64_t address) { return ListName(address); }, event_skip_,
               status, highlight);

  // Problems.
  if (l.problems.height > 0 && problems_) {
    RenderPaneTitle(frame, l.problems, Pane::kProblems,
                    fmt::format("Problems ({})", snapshot_.problem_count()));
    // The pane's title and the view's count line are above the rows.
    KeepVisible(problem_row_, l.problems.height - 2, problem_first_);
    problems_->Render(frame, l.problems.x, l.problems.y + 1, l.problems.width,
                      l.problems.height - 1, problem_first_, problem_row_);
  }

  // The column between the two sides.
  if (l.detail.x > 0) {
    for (int y = l.detail.y; y < l.events.y + l.events.height; y++) {
      frame.PutGlyph(l.detail.x - 1, y, U'|', Style::kRuler);
    }
  }
  RenderStatus(frame, l.status);
  if (help_) {
    const int w = std::min(HelpWidth(), frame.width());
    const int h = std::min(HelpHeight(), frame.height());
    // The glyph key below the keys, where there is room.
    const int legend_h = 8;
    const int top = std::max(0, (frame.height() - h - legend_h) / 2);
    const int left = (frame.width() - w) / 2;
    RenderHelp(frame, left, top, w, h);
    if (top + h + legend_h <= frame.height()) {
      for (int y = top + h; y < top + h + legend_h; y++) {
        for (int x = left; x < left + w; x++) {
          frame.PutGlyph(x, y, x == left || x == left + w - 1 ? U'|' : U' ', Style::kDefault);
        }
      }
      for (int x = left; x < left + w; x++) {
        frame.PutGlyph(x, top + h + legend_h - 1, x == left || x == left + w - 1 ? U'+' : U'-',
                       Style::kDefault);
      }
      RenderNodeMapLegend(frame, left + 2, top + h, w - 4, legend_h - 1);
    }
  }
}

void App::RenderTitle(Frame& frame, const Rect& r) const {
  Region region(frame, r.x, r.y, r.width, r.height);
  for (int x = 0; x < r.width; x++) {
    region.PutGlyph(x, 0, U' ', Style::kHeader);
  }
  int x = region.Put(0, 0, "vmpl tui  ", Style::kHeader);
  if (paused_) {
    x = region.Put(x, 0, "PAUSED", Style::kProblem);
    x = region.Put(x, 0, "  ", Style::kHeader);
  }
  x = region.Put(x, 0, Printable(snapshot_.source.empty() ? source_->Describe() : snapshot_.source),
                 Style::kHeader);
  const size_t problems = snapshot_.problem_count();
  x = region.Put(x, 0, fmt::format("  lists {}  ", snapshot_.lists.size()), Style::kHeader);
  x = region.Put(x, 0, fmt::format("problems {}", problems),
                 problems == 0 ? Style::kHeader : Style::kProblem);
  if (const std::optional<CursorState> cursor = source_->Cursor()) {
    const double at = static_cast<double>(cursor->time_ns - cursor->start_ns) / 1e9;
    const double span = static_cast<double>(cursor->end_ns - cursor->start_ns) / 1e9;
    region.Put(x, 0,
               fmt::format("  cursor {}/{}  t+{:.6f}s of {:.6f}s", cursor->position,
                           cursor->size, at, span),
               Style::kHeader);
  }
}

void App::RenderPaneTitle(Frame& frame, const Rect& r, Pane pane, const std::string& title) const {
  if (r.height <= 0) {
    return;
  }
  Region region(frame, r.x, r.y, r.width, 1);
  const bool focused = focus_ == pane;
  const Style style = focused ? Style::kSelected : Style::kRuler;
  for (int x = 0; x < r.width; x++) {
    region.PutGlyph(x, 0, U'-', Style::kRuler);
  }
  region.Put(0, 0, focused ? "[*] " + title + " " : "[ ] " + title + " ", style);
}

void App::RenderDetail(Frame& frame, const Rect& r) {
  const char* names[] = {"Slot", "Intervals", "Splice list"};
  const std::string title =
      detail_mode_ == DetailMode::kIntervals && intervals_
          ? fmt::format("Intervals ({})  v: next view", intervals_->rows())
          : fmt::format("{}  v: next view", names[static_cast<int>(detail_mode_)]);
  RenderPaneTitle(frame, r, Pane::kDetail, title);
  const inspect::SnapshotList* list = selected_list();
  const int y = r.y + 1;
  const int h = r.height - 1;
  if (list == nullptr || h <= 0) {
    Region(frame, r.x, y, r.width, std::max(h, 0)).Put(1, 0, "(no list)", Style::kDefault);
    return;
  }
  switch (detail_mode_) {
    case DetailMode::kSlot:
      if (node_row_ < list->nodes.size()) {
        const inspect::SnapshotNode& node = list->nodes[node_row_];
        RenderSlotDetail(frame, r.x, y, r.width, h, *list, node, slot_,
                         source_->SlotAddress(node, slot_), page_ ? &*page_ : nullptr,
                         page_error_);
      } else {
        Region(frame, r.x, y, r.width, h).Put(1, 0, "(no nodes)", Style::kDefault);
      }
      break;
    case DetailMode::kIntervals:
      KeepVisible(interval_row_, h - 1, interval_first_);
      intervals_->Render(frame, r.x, y, r.width, h, interval_first_, interval_row_);
      break;
    case DetailMode::kSplice:
      RenderSpliceView(frame, r.x, y, r.width, h, *list);
      break;
  }
}

void App::RenderStatus(Frame& frame, const Rect& r) const {
  Region region(frame, r.x, r.y, r.width, r.height);
  switch (prompt_) {
    case Prompt::kGoto:
      region.Put(region.Put(0, 0, "go to VMO offset (hex): ", Style::kHeader), 0,
                 prompt_text_ + "_", Style::kDefault);
      return;
    case Prompt::kSearch:
      region.Put(region.Put(0, 0, focus_ == Pane::kNodes ? "search slots: " : "search lists: ",
                            Style::kHeader),
                 0, prompt_text_ + "_", Style::kDefault);
      return;
    case Prompt::kNone:
      break;
  }
  region.Put(0, 0, message_.empty() ? std::string(kHints) : Printable(message_),
             message_.empty() ? Style::kRuler : Style::kDefault);
}

}  // namespace vmpl::tui
