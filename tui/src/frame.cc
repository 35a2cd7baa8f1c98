// Frame: the off-screen grid of styled cells (frame.h).

#include "vmpl/tui/frame.h"

#include <algorithm>

namespace vmpl::tui {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one code point from |text| at |*pos| and advances |*pos|. A malformed sequence (bad
// lead byte, missing or bad continuation, overlong form, surrogate, beyond U+10FFFF) yields
// U+FFFD and consumes one byte, so a damaged name never swallows the text after it.
char32_t NextCodePoint(std::string_view text, size_t* pos) {
  const auto lead = static_cast<unsigned char>(text[*pos]);
  if (lead < 0x80) {
    ++*pos;
    return lead;
  }
  size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    ++*pos;
    return kReplacement;
  }
  if (*pos + length > text.size()) {
    ++*pos;
    return kReplacement;
  }
  for (size_t i = 1; i < length; i++) {
    const auto c = static_cast<unsigned char>(text[*pos + i]);
    if ((c & 0xC0) != 0x80) {
      ++*pos;
      return kReplacement;
    }
    value = (value << 6) | (c & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    ++*pos;
    return kReplacement;
  }
  *pos += length;
  return value;
}

}  // namespace

char StyleLetter(Style style) {
  switch (style) {
    case Style::kDefault:
      return '-';
    case Style::kPage:
      return 'P';
    case Style::kReference:
      return 'R';
    case Style::kMarker:
      return 'M';
    case Style::kIntervalStart:
      return 'S';
    case Style::kIntervalEnd:
      return 'E';
    case Style::kIntervalSlot:
      return 'I';
    case Style::kInsideInterval:
      return 'N';
    case Style::kEmpty:
      return '_';
    case Style::kRuler:
      return 'U';
    case Style::kHeader:
      return 'H';
    case Style::kProblem:
      return '!';
    case Style::kSelected:
      return '>';
  }
  return '?';
}

void AppendUtf8(char32_t glyph, std::string& out) {
  if (glyph < 0x80) {
    out += static_cast<char>(glyph);
  } else if (glyph < 0x800) {
    out += static_cast<char>(0xC0 | (glyph >> 6));
    out += static_cast<char>(0x80 | (glyph & 0x3F));
  } else if (glyph < 0x10000) {
    out += static_cast<char>(0xE0 | (glyph >> 12));
    out += static_cast<char>(0x80 | ((glyph >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (glyph & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (glyph >> 18));
    out += static_cast<char>(0x80 | ((glyph >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((glyph >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (glyph & 0x3F));
  }
}

Frame::Frame(int width, int height)
    : width_(std::max(width, 0)),
      height_(std::max(height, 0)),
      cells_(static_cast<size_t>(width_) * height_) {}

void Frame::PutGlyph(int x, int y, char32_t glyph, Style style) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) {
    return;
  }
  cells_[static_cast<size_t>(y) * width_ + x] = Cell{glyph, style};
}

int Frame::Put(int x, int y, std::string_view text, Style style) {
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t glyph = NextCodePoint(text, &pos);
    PutGlyph(x, y, glyph, style);
    x++;
  }
  return x;
}

void Region::PutGlyph(int x, int y, char32_t glyph, Style style) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) {
    return;
  }
  frame_.PutGlyph(x_ + x, y_ + y, glyph, style);
}

int Region::Put(int x, int y, std::string_view text, Style style) {
  // Every code point advances the pen, drawn or clipped, as Frame::Put does.
  size_t pos = 0;
  while (pos < text.size()) {
    PutGlyph(x, y, NextCodePoint(text, &pos), style);
    x++;
  }
  return x;
}

int Region::Put(int x, int y, const TextRuns& runs) {
  for (const TextRun& run : runs) {
    x = Put(x, y, run.text, run.style);
  }
  return x;
}

std::string RunsText(const TextRuns& runs) {
  std::string text;
  for (const TextRun& run : runs) {
    text += run.text;
  }
  return text;
}

void Frame::Clear() { std::fill(cells_.begin(), cells_.end(), Cell{}); }

std::string Frame::ToText() const {
  std::string out;
  for (int y = 0; y < height_; y++) {
    int end = width_;
    while (end > 0 && at(end - 1, y).glyph == U' ') {
      end--;
    }
    for (int x = 0; x < end; x++) {
      AppendUtf8(at(x, y).glyph, out);
    }
    out += '\n';
  }
  return out;
}

std::string Frame::ToStyleText() const {
  std::string out;
  for (int y = 0; y < height_; y++) {
    int end = width_;
    while (end > 0 && at(end - 1, y).glyph == U' ' && at(end - 1, y).style == Style::kDefault) {
      end--;
    }
    for (int x = 0; x < end; x++) {
      out += StyleLetter(at(x, y).style);
    }
    out += '\n';
  }
  return out;
}

std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      c = '?';
    }
  }
  return out;
}

}  // namespace vmpl::tui
