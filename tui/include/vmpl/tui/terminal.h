// vmpl::tui::RunTerminal: the TUI's main loop, and the one place that talks to the terminal
// (ncurses). Each turn runs the App's refresh step (App::Tick), lays out and draws a frame when
// something changed (App::Prepare, App::Draw) and copies it to the screen, then hands the App the
// keys, mouse events and resizes that came meanwhile (App::Handle), whose Actions say what the
// next turn does.
//
// No flicker: the screen is never cleared between frames; every cell of the new frame is
// written into ncurses' buffer and ncurses sends the terminal only the cells that changed. The
// loop wakes at least every 20 ms for input and ticks, and draws whenever the App says something
// changed (a live source: every refresh, 10 a second by default).
//
// Colours come from the cell styles (frame.h). Monochrome (no colours in the terminal, NO_COLOR,
// `--color=never`, or `m` at run time) uses bold, dim, underline and reverse video instead; the
// glyphs alone already tell every slot kind apart.

#ifndef VMPL_TUI_TERMINAL_H_
#define VMPL_TUI_TERMINAL_H_

#include <string>

#include "vmpl/tui/app.h"

namespace vmpl::tui {

struct TerminalOptions {
  bool monochrome = false;
  bool mouse = true;
};

// Runs |app| until the user quits (or SIGINT/SIGTERM/SIGHUP). Returns false, with |*error| set,
// if stdin and stdout are not a terminal ncurses can drive; the terminal is restored in every
// case.
bool RunTerminal(App& app, const TerminalOptions& options, std::string* error);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_TERMINAL_H_
