// vmpl::tui::DrawScreen: the TUI's whole screen painted into a Frame, from state alone.
//
// Drawing reads the Model (model.h), the ViewState (view_state.h) and the ScreenLayout
// (layout.h) through const references and writes the Frame, nothing more: no source, file or
// clock, no state to change (the layout has already clamped every scroll offset, the refresh step
// has already read every vm_page_t it shows). So the same state draws the same frame every time,
// which tests check.
//
// The lines the App draws itself (the title, each pane's title, the status line) are formatted
// into TextRuns by the functions below before they are painted, so tests read what they say.

#ifndef VMPL_TUI_DRAW_H_
#define VMPL_TUI_DRAW_H_

#include <string>
#include <vector>

#include "vmpl/tui/frame.h"
#include "vmpl/tui/layout.h"
#include "vmpl/tui/model.h"
#include "vmpl/tui/view_state.h"

namespace vmpl::tui {

// Clears |frame| and paints the screen |layout| places (which should be of the frame's size).
void DrawScreen(Frame& frame, const Model& model, const ViewState& view,
                const ScreenLayout& layout);

// "vmpl tui  [PAUSED  ]SOURCE  lists N  problems N[  cursor P/N  t+S of S]".
TextRuns TitleLine(const Model& model, const ViewState& view);
// "[*] TITLE " for the focused pane, "[ ] TITLE " for the others.
TextRuns PaneTitleLine(const ViewState& view, Pane pane, const std::string& title);
// The open prompt, else the last message, else the key hints.
TextRuns StatusLine(const ViewState& view);
// "terminal too small (40x12, needs at least 40x20)" in lines no wider than the layout's width:
// broken after the comma, and between words where a half is still too wide.
std::vector<std::string> TooSmallLines(const ScreenLayout& layout);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_DRAW_H_
