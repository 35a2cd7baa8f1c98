// The key bindings overlay (help_view.h).

#include "vmpl/tui/help_view.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace vmpl::tui {
namespace {

constexpr std::string_view kTitle = " vmpl tui \u2014 keys ";

// One binding: the keys, then what they do.
struct Binding {
  std::string_view keys;
  std::string_view text;
};

// A line of the box holds one or two bindings; a second one starts at kSecondColumn.
struct HelpLine {
  Binding left;
  Binding right;
};

constexpr int kKeyWidth = 17;      // keys, then the text after them
constexpr int kSecondColumn = 40;  // where a line's second binding starts
constexpr int kMargin = 2;         // border and one blank column, each side

constexpr HelpLine kLines[] = {
    {{"Tab / Shift-Tab", "next / previous pane"}, {"arrows, h j k l", "move"}},
    {{"PgUp / PgDn", "page up / down"}, {"Home / End", "first / last"}},
    {{"Enter", "open list (lists pane) / go to problem (problems pane)"}, {}},
    {{"g", "go to offset (hex)"}, {"/", "search names, slots"}},
    {{"n", "next search match"}, {"p", "pause / resume"}},
    {{"s", "save snapshot (JSON)"}, {"r", "reread the source"}},
    {{"f", "events: list / all"}, {"K", "events: next kind"}},
    {{"[ ]  { }  < >", "trace: back / forward 1 event, 1000 events, 10%"}, {}},
    {{"v", "cycle the detail pane: slot, intervals, splice list"}, {}},
    {{"m", "monochrome on / off"}, {"?", "this help"}},
    {{"q", "quit"}, {}},
    {{"mouse", "click selects, wheel scrolls"}, {}},
};
constexpr int kLineCount = static_cast<int>(sizeof(kLines) / sizeof(kLines[0]));

// A line's first binding ends before its second begins (bytes, at least as many as cells).
constexpr bool FirstColumnFits() {
  for (const HelpLine& line : kLines) {
    if (!line.right.keys.empty() &&
        (line.left.keys.size() >= kKeyWidth || kKeyWidth + line.left.text.size() >= kSecondColumn ||
         line.right.keys.size() >= kKeyWidth)) {
      return false;
    }
  }
  return true;
}
static_assert(FirstColumnFits(), "a help line's first binding runs into its second");

// Width of |text| in cells (one per code point).
int Cells(std::string_view text) {
  return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

int LineWidth(const HelpLine& line) {
  if (line.right.keys.empty()) {
    return kKeyWidth + Cells(line.left.text);
  }
  return kSecondColumn + kKeyWidth + Cells(line.right.text);
}

int PutBinding(Region& region, int x, int y, const Binding& binding) {
  region.Put(x, y, binding.keys, Style::kHeader);
  return region.Put(x + kKeyWidth, y, binding.text, Style::kDefault);
}

}  // namespace

int HelpWidth() {
  int widest = Cells(kTitle) + 4;
  for (const HelpLine& line : kLines) {
    widest = std::max(widest, LineWidth(line) + 2 * kMargin);
  }
  return widest;
}

int HelpHeight() { return kLineCount + 2; }

void RenderHelp(Frame& frame, int x, int y, int width, int height) {
  if (width <= 0 || height <= 0) {
    return;
  }
  Region box(frame, x, y, width, height);
  // Blank the inside: the box covers the panes under it.
  const std::string blank(static_cast<size_t>(width), ' ');
  for (int row = 0; row < height; row++) {
    box.Put(0, row, blank, Style::kDefault);
  }
  std::string edge(static_cast<size_t>(width), '-');
  edge.front() = '+';
  edge.back() = '+';
  box.Put(0, 0, edge, Style::kHeader);
  if (height > 1) {
    box.Put(0, height - 1, edge, Style::kHeader);
  }
  for (int row = 1; row < height - 1; row++) {
    box.PutGlyph(0, row, U'|', Style::kHeader);
    box.PutGlyph(width - 1, row, U'|', Style::kHeader);
  }
  // The title centred in the top border, kept off the corners.
  const int title_x = std::max((width - Cells(kTitle)) / 2, 1);
  Region top(frame, x + title_x, y, std::max(width - title_x - 1, 0), 1);
  top.Put(0, 0, kTitle, Style::kHeader);

  Region inside(frame, x + kMargin, y + 1, std::max(width - 2 * kMargin, 0),
                std::max(height - 2, 0));
  for (int row = 0; row < kLineCount; row++) {
    const HelpLine& line = kLines[row];
    PutBinding(inside, 0, row, line.left);
    if (!line.right.keys.empty()) {
      PutBinding(inside, kSecondColumn, row, line.right);
    }
  }
}

}  // namespace vmpl::tui
