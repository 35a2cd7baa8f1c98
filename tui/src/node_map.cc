// NodeMap: a row per node, a cell per slot (node_map.h).

#include "vmpl/tui/node_map.h"

#include <algorithm>
#include <string>
#include <unordered_set>

#include "vmpl/model/slot.h"
#include "vmpl/model/text_view.h"

namespace vmpl::tui {
namespace {

using vmpl::DecodedSlot;
using vmpl::DecodeRawSlot;
using vmpl::SlotDirtyState;
using vmpl::SlotKind;
using vmpl::SlotSentinel;

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kSlots = 16;
constexpr uint64_t kNodeBytes = kSlots * kPageSize;

// Interval glyphs by dirty state (untracked, clean, dirty): start, single slot, inside, end.
constexpr char32_t kIntervalGlyphs[3][4] = {
    {U'[', U'|', U'-', U']'},
    {U'(', U':', U'~', U')'},
    {U'{', U'*', U'=', U'}'},
};
enum IntervalGlyph { kStartGlyph, kSlotGlyph, kInsideGlyph, kEndGlyph };

int HexDigits(uint64_t value) {
  int digits = 1;
  while (value >>= 4) {
    digits++;
  }
  return digits;
}

// |value| in hex, zero-padded to |digits|.
void AppendHex(uint64_t value, int digits, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buffer[16];
  int n = 0;
  do {
    buffer[n++] = kHex[value & 0xF];
    value >>= 4;
  } while (value != 0 && n < 16);
  for (int i = n; i < digits; i++) {
    out += '0';
  }
  while (n > 0) {
    out += buffer[--n];
  }
}

// The dirty state as an index into kIntervalGlyphs; -1 for the code no list writes.
int DirtyIndex(SlotDirtyState dirty) {
  switch (dirty) {
    case SlotDirtyState::kUntracked:
      return 0;
    case SlotDirtyState::kClean:
      return 1;
    case SlotDirtyState::kDirty:
      return 2;
    case SlotDirtyState::kInvalid:
      break;
  }
  return -1;
}

// One slot's glyph and style. |open| is the dirty index + 1 of the interval open before this
// slot (0: none); it is updated to what is open after it.
Cell SlotCell(uint64_t raw, int& open) {
  const DecodedSlot slot = DecodeRawSlot(raw);
  switch (slot.kind) {
    case SlotKind::kEmpty:
      if (open > 0) {
        return {kIntervalGlyphs[open - 1][kInsideGlyph], Style::kInsideInterval};
      }
      return {U'.', Style::kEmpty};
    case SlotKind::kPage:
    case SlotKind::kMarker:
    case SlotKind::kReference: {
      // Content inside an open interval is a contradiction; show the content, flag the style.
      const bool bad = open > 0;
      if (slot.kind == SlotKind::kPage) {
        return {U'#', bad ? Style::kProblem : Style::kPage};
      }
      if (slot.kind == SlotKind::kMarker) {
        return {U'o', bad ? Style::kProblem : Style::kMarker};
      }
      const char32_t glyph =
          slot.left_split ? (slot.right_split ? U'B' : U'L') : (slot.right_split ? U'R' : U'c');
      return {glyph, bad ? Style::kProblem : Style::kReference};
    }
    case SlotKind::kInterval:
      break;
  }
  const int dirty = DirtyIndex(slot.dirty);
  if (dirty < 0 || slot.sentinel == SlotSentinel::kInvalid) {
    return {U'?', Style::kProblem};
  }
  switch (slot.sentinel) {
    case SlotSentinel::kStart: {
      const bool bad = open > 0;
      open = dirty + 1;
      return {kIntervalGlyphs[dirty][kStartGlyph], bad ? Style::kProblem : Style::kIntervalStart};
    }
    case SlotSentinel::kEnd: {
      const bool bad = open != dirty + 1;
      open = 0;
      return {kIntervalGlyphs[dirty][kEndGlyph], bad ? Style::kProblem : Style::kIntervalEnd};
    }
    case SlotSentinel::kSlot: {
      const bool bad = open > 0;
      open = 0;
      return {kIntervalGlyphs[dirty][kSlotGlyph], bad ? Style::kProblem : Style::kIntervalSlot};
    }
    case SlotSentinel::kInvalid:
      break;
  }
  return {U'?', Style::kProblem};
}

}  // namespace

NodeMap::NodeMap(const vmpl::SnapshotList& list) : list_(list), digits_(6) {
  std::unordered_set<uint64_t> problem_addresses;
  for (const auto& problem : list.problems) {
    problem_addresses.insert(problem.address);
  }
  state_.resize(list.nodes.size());
  int open = 0;
  uint64_t widest = 0;
  for (size_t n = 0; n < list.nodes.size(); n++) {
    const vmpl::SnapshotNode& node = list.nodes[n];
    state_[n] = static_cast<uint8_t>(open);
    if (!problem_addresses.empty() && problem_addresses.count(node.address) != 0) {
      state_[n] |= kNodeProblem;
    }
    for (uint64_t raw : node.slots) {
      SlotCell(raw, open);
    }
    widest = std::max({widest, node.key, node.key > list.skew ? node.key - list.skew : 0,
                       list.skew > node.key ? list.skew - node.key : 0});
  }
  digits_ = std::max(digits_, HexDigits(widest));
}

void NodeMap::RenderHeader(Region& region) const {
  const int cells = ruler_width();
  std::string ruler = " key";
  ruler.resize(static_cast<size_t>(digits_) + 2, ' ');
  ruler += " vmo";
  region.Put(0, 0, ruler, Style::kHeader);
  region.Put(cells, 0, "0123456789abcdef", Style::kHeader);

  std::string skew = " skew 0x";
  AppendHex(list_.skew, 1, skew);
  region.Put(0, 1, skew, Style::kHeader);
  // VMO offset of slot i is key + i * 4096 - skew with key a multiple of 64 KiB, so the column
  // where it is a multiple of 64 KiB is skew / 4096 (mod 16), when the skew is whole pages.
  if (list_.skew % kPageSize == 0) {
    const int column = static_cast<int>((list_.skew / kPageSize) % kSlots);
    region.PutGlyph(cells + column, 1, U'^', Style::kHeader);
    region.Put(cells + static_cast<int>(kSlots) + 1, 1, "^ vmo offset % 64K == 0", Style::kHeader);
  }
}

char32_t PageGlyph(const PageStruct& page) {
  if (page.left_split || page.right_split) {
    return page.left_split && page.right_split ? U'X' : page.left_split ? U'<' : U'>';
  }
  // vm_page_t's dirty_state: 0 Untracked, 1 Clean, 2 Dirty, 3 AwaitingClean.
  return page.dirty_state == 2 ? U'd' : page.dirty_state == 3 ? U'a' : U'#';
}

void NodeMap::RenderRow(Region& region, int row_y, size_t row, bool selected,
                        const PageLookup& pages) const {
  const vmpl::SnapshotNode& node = list_.nodes[row];
  const uint8_t state = state_[row];
  const bool problem = (state & kNodeProblem) != 0;
  const Style ruler_style = selected ? Style::kSelected : problem ? Style::kProblem : Style::kRuler;

  std::string ruler;
  ruler.reserve(static_cast<size_t>(ruler_width()));
  ruler += selected ? '>' : ' ';
  AppendHex(node.key, digits_, ruler);
  ruler += ' ';
  if (node.key >= list_.skew) {
    ruler += ' ';
    AppendHex(node.key - list_.skew, digits_, ruler);
  } else {
    ruler += '-';
    AppendHex(list_.skew - node.key, digits_, ruler);
  }
  ruler += ' ';
  region.Put(0, row_y, ruler, ruler_style);

  int open = state & kOpenMask;
  const int cells = ruler_width();
  for (size_t i = 0; i < kSlots; i++) {
    Cell cell = SlotCell(node.slots[i], open);
    if (pages && cell.style == Style::kPage) {
      if (const PageStruct* page = pages(node.slots[i])) {
        cell.glyph = PageGlyph(*page);
      }
    }
    region.PutGlyph(cells + static_cast<int>(i), row_y, cell.glyph, cell.style);
  }
  if (problem) {
    region.PutGlyph(cells + static_cast<int>(kSlots) + 1, row_y, U'!', Style::kProblem);
  }
}

void NodeMap::Render(Frame& frame, int x, int y, int width, int height, size_t first_row,
                     size_t selected_row, const PageLookup& pages) const {
  Region region(frame, x, y, width, height);
  RenderHeader(region);
  if (list_.nodes.empty()) {
    region.Put(1, kHeaderRows, "(no nodes)", Style::kDefault);
    return;
  }
  for (int row_y = kHeaderRows; row_y < height; row_y++) {
    const size_t row = first_row + static_cast<size_t>(row_y - kHeaderRows);
    if (row >= list_.nodes.size() || row < first_row) {
      break;
    }
    RenderRow(region, row_y, row, row == selected_row, pages);
  }
}

void NodeMap::ForEachPageCell(size_t first_row, int rows,
                              const std::function<void(uint64_t page_address)>& page) const {
  for (size_t row = first_row; rows > 0 && row < list_.nodes.size(); row++, rows--) {
    const vmpl::SnapshotNode& node = list_.nodes[row];
    int open = state_[row] & kOpenMask;
    for (size_t i = 0; i < kSlots; i++) {
      if (SlotCell(node.slots[i], open).style == Style::kPage) {
        page(node.slots[i]);
      }
    }
  }
}

Cell RawSlotCell(uint64_t raw) {
  int open = 0;
  return SlotCell(raw, open);
}

void RenderNodeMapLegend(Frame& frame, int x, int y, int width, int height) {
  Region region(frame, x, y, width, height);
  struct Entry {
    const char* glyph;
    Style style;
    const char* text;
  };
  // One line each, glyph then what it means; a glyph with no text shares the next one's.
  static constexpr Entry kRows[][12] = {
      {{"#", Style::kPage, "page"},
       {"o", Style::kMarker, "zero marker"},
       {".", Style::kEmpty, "empty"}},
      {{"<", Style::kPage, ""},
       {">", Style::kPage, ""},
       {"X", Style::kPage, "page split left, right, both"},
       {"d", Style::kPage, "dirty"},
       {"a", Style::kPage, "awaiting clean page"}},
      {{"c", Style::kReference, "reference"},
       {"L", Style::kReference, "left split"},
       {"R", Style::kReference, "right split"},
       {"B", Style::kReference, "both"}},
      {{"[", Style::kIntervalStart, "start"},
       {"|", Style::kIntervalSlot, "one slot"},
       {"-", Style::kInsideInterval, "inside"},
       {"]", Style::kIntervalEnd, "end of a zero interval"}},
      {{"[", Style::kIntervalStart, ""},
       {"|", Style::kIntervalSlot, ""},
       {"-", Style::kInsideInterval, ""},
       {"]", Style::kIntervalEnd, "untracked"},
       {"(", Style::kIntervalStart, ""},
       {":", Style::kIntervalSlot, ""},
       {"~", Style::kInsideInterval, ""},
       {")", Style::kIntervalEnd, "clean"},
       {"{", Style::kIntervalStart, ""},
       {"*", Style::kIntervalSlot, ""},
       {"=", Style::kInsideInterval, ""},
       {"}", Style::kIntervalEnd, "dirty"}},
      {{"?", Style::kProblem, "invalid slot"},
       {"!", Style::kProblem, "node problem"},
       {"^", Style::kHeader, "VMO 64K boundary"}},
      {{">", Style::kSelected, "selected node"}},
  };
  int row_y = 0;
  for (const auto& row : kRows) {
    int pen = 0;
    for (const Entry& entry : row) {
      if (entry.glyph == nullptr) {  // the rest of a shorter row
        break;
      }
      pen = region.Put(pen, row_y, entry.glyph, entry.style);
      if (entry.text[0] != '\0') {
        pen = region.Put(pen + 1, row_y, entry.text, Style::kDefault) + 2;
      } else {
        pen++;
      }
    }
    row_y++;
  }
}

}  // namespace vmpl::tui
