// vmpl::tui::NodeMap: the TUI's view of one page list, a row per node and a cell per slot.
//
// Each row shows a node's key (the skewed offset of slot 0, as the tree sorts it), the VMO offset
// of slot 0 (key - skew, docs/semantics.md section 3.3; negative for the slots before the VMO's
// start in the first node of a skewed list), then its 16 slots by kind. Over the cells a header
// gives the slot indexes and marks the column at which VMO offsets are multiples of 64 KiB: with a
// skew of s pages, slot s of every node starts a 64 KiB block of the VMO, not slot 0.
//
// Glyphs tell every kind apart without colour (the style is the colour):
//   #  page        o  zero marker      .  empty
//   < > X  a page whose vm_page_t has the left, right or both split bits;  d a  a Dirty or
//          AwaitingClean page (only when the caller reads the vm_page_t: see Render)
//   c  reference   L  left split       R  right split      B  both split bits
//   [ | - ]   zero interval, untracked: start, single-slot, inside (an empty slot), end
//   ( : ~ )   the same, clean;   { * = }   the same, dirty
//   ?  a slot no page list writes (invalid sentinel or dirty state), in the problem style
// An interval sentinel that contradicts the one before it (a start inside an open interval, an end
// with none open) keeps its glyph and takes the problem style; so does the key of a node the
// decoder recorded a problem at, with a '!' after its cells.
//
// Cost. Construction walks the list once, keeping for each node whether a zero interval is open
// at its first slot (and its dirty state), so Render draws a window anywhere in the list from the
// rows it shows alone: a frame costs the same at row 0 and at row 60,000.
//
// The list is referred to, not copied: it must outlive the map.

#ifndef VMPL_TUI_NODE_MAP_H_
#define VMPL_TUI_NODE_MAP_H_

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <vector>

#include <vmpl/model/snapshot.h>
#include "vmpl/tui/frame.h"
#include "vmpl/tui/source.h"

namespace vmpl::tui {

class NodeMap {
 public:
  // Rows of header above the first node row.
  static constexpr int kHeaderRows = 2;

  explicit NodeMap(const vmpl::SnapshotList& list);

  size_t rows() const { return list_.nodes.size(); }

  // Draws the header and the node rows first_row, first_row + 1, ... that fit in the window
  // (x, y, width, height) of |frame|, everything clipped to the window and the frame. Row
  // |selected_row| (if shown) is marked with '>' and the selected style. A first_row past the end
  // shows the header only; an empty list shows "(no nodes)".
  //
  // With |pages|, a page's cell also shows what its vm_page_t says (PageGlyph): the caller has
  // read the structures beforehand (ForEachPageCell says which) and answers null where it has
  // none. Render itself reads nothing.
  using PageLookup = std::function<const PageStruct*(uint64_t page_address)>;
  void Render(Frame& frame, int x, int y, int width, int height, size_t first_row,
              size_t selected_row, const PageLookup& pages = nullptr) const;

  // Calls |page| with the address of every page cell of rows first_row .. first_row + rows - 1
  // that Render would look up: the vm_page_t structures a caller reads before drawing them.
  void ForEachPageCell(size_t first_row, int rows,
                       const std::function<void(uint64_t page_address)>& page) const;

  // Width of the ruler (selection mark, key and VMO offset) left of the 16 cells.
  int ruler_width() const { return 2 * digits_ + 4; }

 private:
  // Per node: bits 0..1 the dirty state + 1 of the interval open at its slot 0 (0: none open),
  // bit 2 set if the decoder recorded a problem at the node's address.
  static constexpr uint8_t kOpenMask = 0x3;
  static constexpr uint8_t kNodeProblem = 0x4;

  void RenderHeader(Region& region) const;
  void RenderRow(Region& region, int row_y, size_t row, bool selected,
                 const PageLookup& pages) const;

  const vmpl::SnapshotList& list_;
  std::vector<uint8_t> state_;
  int digits_;  // hex digits of the key and VMO offset columns
};

// The glyph and style the map draws raw slot value |raw| with when no zero interval is open
// before it: for views that draw single slots the way the map does (the splice view's head and
// tail). An interval end has nothing open before it, so it takes the problem style.
Cell RawSlotCell(uint64_t raw);

// A page cell's glyph from its vm_page_t: '<', '>' or 'X' for the left, right or both
// copy-on-write split bits (hidden nodes of a clone tree), else 'd' for a Dirty and 'a' for an
// AwaitingClean page (pager-backed VMOs), else '#'.
char32_t PageGlyph(const PageStruct& page);

// The glyph key above, as rows of text in |frame|'s window (x, y, width, height), each glyph in
// the style the map draws it with.
void RenderNodeMapLegend(Frame& frame, int x, int y, int width, int height);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_NODE_MAP_H_
