// vmpl::tui::RenderSlotDetail: the TUI's detail pane for one slot, everything its raw value says.
//
// The node map shows a slot as one glyph; this pane spells it out, one field per line: where the
// slot is (list, node key and address, slot index, the VMO offset it maps and its own address),
// its raw value in hex, SlotContentText's one-line reading, then each field DecodeRawSlot finds
// (kind; page address; reference value and split bits; interval sentinel, dirty state and
// awaiting-clean length). For a page it also shows the vm_page_t the slot points at, as the
// source read it (the split bits and dirty state the layout locates, then the structure's bytes
// in hex), or why it could not be read.
//
// The VMO offset is node.key + slot * 4096 - list.skew (docs/semantics.md section 3.3). In the
// first node of a skewed list the slots before the VMO's start have a negative offset; the pane
// says so rather than printing a wrapped 64-bit number. A splice list's inline head and tail nodes
// keep key 0 in memory (docs/semantics.md section 12.5): passed one of them (by reference to
// list.head or list.tail), the pane uses the key of the node of the VMO they stand for.
//
// Values that no page list writes (an interval sentinel or dirty state of 3, a vm_page_t dirty
// state above 3) are drawn in the problem style. Names from the target are drawn with control
// characters as '?'. Everything is clipped to the window: a short window shows the first lines.

#ifndef VMPL_TUI_SLOT_DETAIL_H_
#define VMPL_TUI_SLOT_DETAIL_H_

#include <stdint.h>

#include <string>
#include <string_view>
#include <vector>

#include <vmpl/model/snapshot.h>
#include "vmpl/tui/frame.h"
#include "vmpl/tui/source.h"

namespace vmpl::tui {

// One line of the pane: "label: value", labels right-aligned so the values line up in one column
// (kDetailLabelWidth), the value in |style|.
struct DetailLine {
  std::string label;
  std::string value;
  Style style = Style::kDefault;

  bool operator==(const DetailLine&) const = default;
};
inline constexpr int kDetailLabelWidth = 14;

// The pane's text for slot |slot| (0..15) of |node|, a node of |list|: every line, in order. The
// one place the detail's wording is decided (drawing only paints these lines). |slot_address| is
// the slot's address in the target. For a page slot, |page| is the vm_page_t the source read at
// the page's address, or null with |page_error| saying why not.
std::vector<DetailLine> FormatSlotDetail(const vmpl::SnapshotList& list,
                                         const vmpl::SnapshotNode& node, int slot,
                                         uint64_t slot_address, const PageStruct* page,
                                         std::string_view page_error);

// Paints |lines| into |frame|'s window (x, y, width, height): as many as fit, clipped.
void RenderDetailLines(Frame& frame, int x, int y, int width, int height,
                       const std::vector<DetailLine>& lines);

// FormatSlotDetail's lines painted into |frame|'s window (x, y, width, height).
void RenderSlotDetail(Frame& frame, int x, int y, int width, int height,
                      const vmpl::SnapshotList& list, const vmpl::SnapshotNode& node,
                      int slot, uint64_t slot_address, const PageStruct* page,
                      std::string_view page_error);

// The name of a vm_page_t dirty state (the raw bit-field value): "Untracked", "Clean", "Dirty",
// "AwaitingClean", or "" for a value no kernel writes.
std::string_view PageDirtyStateName(unsigned dirty_state);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_SLOT_DETAIL_H_
