// vmpl::tui::RenderHelp: the TUI's key bindings, as a box the app draws over its panes.
//
// The box is drawn with '+', '-' and '|' so that it reads the same on a terminal without line
// drawing characters, titled "vmpl tui — keys" in its top border. It fills the window it is
// given, blanking what was under it, and clips its lines to its inside when the window is smaller
// than HelpWidth() x HelpHeight(), the size that shows every line whole (at most 80 x 24, so it
// fits a classic terminal).

#ifndef VMPL_TUI_HELP_VIEW_H_
#define VMPL_TUI_HELP_VIEW_H_

#include "vmpl/tui/frame.h"

namespace vmpl::tui {

// The size of the box that shows every line whole, borders included.
int HelpWidth();
int HelpHeight();

// Draws the box into |frame|'s window (x, y, width, height): border on the window's edges, the
// key lines inside, everything clipped to the window and the frame.
void RenderHelp(Frame& frame, int x, int y, int width, int height);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_HELP_VIEW_H_
