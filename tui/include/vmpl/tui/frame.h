// vmpl::tui::Frame: a grid of styled cells that the TUI's views draw into, off-screen.
//
// Views never talk to the terminal: they draw into a Frame, and the ncurses front end copies a
// frame to the screen. That keeps every view testable as text (ToText for the glyphs, ToStyleText
// for one letter per cell naming its style, both compared with golden files) and measurable by a
// benchmark without a terminal.
//
// A cell holds one code point and a Style. The style is what the front end turns into a colour;
// views choose glyphs that still tell kinds apart in monochrome, so the style never carries
// meaning alone. Put clips to the frame: drawing outside it is not an error, so a view can be
// given any window and any frame.

#ifndef VMPL_TUI_FRAME_H_
#define VMPL_TUI_FRAME_H_

#include <stddef.h>

#include <string>
#include <string_view>
#include <vector>

namespace vmpl::tui {

enum class Style : unsigned char {
  kDefault,
  kPage,
  kReference,
  kMarker,
  kIntervalStart,
  kIntervalEnd,
  kIntervalSlot,
  kInsideInterval,
  kEmpty,
  kRuler,
  kHeader,
  kProblem,
  kSelected,
};

// The letter ToStyleText writes for |style|: '-' default, 'P' page, 'R' reference, 'M' marker,
// 'S' interval start, 'E' interval end, 'I' interval slot, 'N' inside an interval, '_' empty,
// 'U' ruler, 'H' header, '!' problem, '>' selected.
char StyleLetter(Style style);

struct Cell {
  char32_t glyph = U' ';
  Style style = Style::kDefault;
};

class Frame {
 public:
  // A |width| x |height| frame of blank default cells.
  Frame(int width, int height);

  int width() const { return width_; }
  int height() const { return height_; }

  // Writes the UTF-8 |text| from (x, y) rightwards, one code point per cell, clipped to the
  // frame (negative x or y included). Bytes that are not valid UTF-8 are drawn as U+FFFD.
  // Returns the x just after the text, as if nothing had been clipped.
  int Put(int x, int y, std::string_view text, Style style);
  // One code point; clipped the same way.
  void PutGlyph(int x, int y, char32_t glyph, Style style);
  // Every cell back to a blank default cell.
  void Clear();

  // The cell at (x, y), which must be inside the frame.
  const Cell& at(int x, int y) const { return cells_[static_cast<size_t>(y) * width_ + x]; }

  // One line per row, glyphs in UTF-8, trailing spaces trimmed, each line ending in '\n'.
  std::string ToText() const;
  // One line per row, StyleLetter of each cell, trailing blank default cells trimmed.
  std::string ToStyleText() const;

 private:
  int width_;
  int height_;
  std::vector<Cell> cells_;
};

// A piece of a row of text in one style. Rows are formatted into runs first and painted after
// (Region::Put), so that what a row says is testable without a frame.
struct TextRun {
  std::string text;  // UTF-8
  Style style = Style::kDefault;

  bool operator==(const TextRun&) const = default;
};
using TextRuns = std::vector<TextRun>;

// The text of |runs| joined, styles dropped.
std::string RunsText(const TextRuns& runs);

// A rectangle of a frame that a view draws into: coordinates relative to its top left corner,
// everything clipped to both the rectangle and the frame. Cheap to copy; refers to the frame.
class Region {
 public:
  Region(Frame& frame, int x, int y, int width, int height)
      : frame_(frame), x_(x), y_(y), width_(width), height_(height) {}

  int width() const { return width_; }
  int height() const { return height_; }

  // As Frame::Put and Frame::PutGlyph, relative to the region and clipped to it.
  int Put(int x, int y, std::string_view text, Style style);
  void PutGlyph(int x, int y, char32_t glyph, Style style);
  // Every run of |runs| from (x, y) rightwards, one after the other; returns the x after them.
  int Put(int x, int y, const TextRuns& runs);

 private:
  Frame& frame_;
  int x_;
  int y_;
  int width_;
  int height_;
};

// |text| with control characters replaced by '?': text from a target (list names, messages)
// must not move the cursor or change the terminal's state once a frame is on screen.
std::string Printable(std::string_view text);

// |glyph| appended to |out| in UTF-8.
void AppendUtf8(char32_t glyph, std::string& out);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_FRAME_H_
