// vmpl::tui::RenderSpliceView: the TUI's detail pane for a VmPageSpliceList.
//
// A splice list holds the content TakePages removed from a range [offset, offset + length) of a
// list, consumed front to back by Pop (docs/semantics.md section 9). It keeps it in three places:
// the slots of the range's first node, when the range does not start on a node boundary, in the
// inline head node; whole nodes in between in the middle tree under their original keys (an absent
// node reads as all empty); the slots of the last, partial node in the inline tail node. The head
// and tail keep key 0 in memory; the pane shows the key of the node they stand for.
//
// The pane shows, a line each: the range, the position (bytes popped, or appended before the list
// is finalized, and as pages of the total), whether it is finalized and processed (position >=
// length, as IsProcessed), where the next Pop reads, then the head's 16 cells, the middle tree
// (node count, its slots counted by kind, and as many of its first nodes as fit, key and 16
// cells), and the tail's cells last. Cells use the node map's glyphs (RawSlotCell). The cell the
// next Pop would return is drawn in the selected style; when that slot lies in a middle node that
// does not exist (a gap) or is not shown, the "next Pop" line says so. A finalized list with
// nothing left to pop marks no cell; neither does one not yet finalized (Pop is not allowed).
//
// Interval sentinels never belong in a splice list (TakePages asserts so): the node map's glyphs
// draw them, and the middle's count of them takes the problem style when it is not zero.

#ifndef VMPL_TUI_SPLICE_VIEW_H_
#define VMPL_TUI_SPLICE_VIEW_H_

#include <vmpl/model/snapshot.h>
#include "vmpl/tui/frame.h"

namespace vmpl::tui {

// Draws |list| into |frame|'s window (x, y, width, height), clipped to it. A page list gets one
// line saying it is not a splice list.
void RenderSpliceView(Frame& frame, int x, int y, int width, int height,
                      const vmpl::SnapshotList& list);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_SPLICE_VIEW_H_
