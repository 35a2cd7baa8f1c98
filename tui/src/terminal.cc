// RunTerminal (terminal.h): ncurses in, frames out.

#include "vmpl/tui/terminal.h"

#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>

#include <vmpl/trace_clock.h>

namespace vmpl::tui {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

// SIGWINCH: remembered for the main loop, then passed on to ncurses' own handler. A burst of
// resizes can end at the size ncurses already had (no KEY_RESIZE then), while the terminal has
// cut or reflowed what was on it: every SIGWINCH makes the next frame repaint the whole window.
std::atomic<bool> g_winch{false};
struct sigaction g_ncurses_winch {};
void OnWinch(int signal, siginfo_t* info, void* context) {
  g_winch.store(true);
  if ((g_ncurses_winch.sa_flags & SA_SIGINFO) != 0) {
    if (g_ncurses_winch.sa_sigaction != nullptr) {
      g_ncurses_winch.sa_sigaction(signal, info, context);
    }
  } else if (g_ncurses_winch.sa_handler != SIG_DFL && g_ncurses_winch.sa_handler != SIG_IGN &&
             g_ncurses_winch.sa_handler != nullptr) {
    g_ncurses_winch.sa_handler(signal);
  }
}

// Colour pairs, one per style that has a colour (pair numbers are the style's value + 1).
struct StyleLook {
  short foreground;  // -1: the terminal's default
  short background;
  attr_t colour_attrs;
  attr_t mono_attrs;
};

StyleLook LookOf(Style style) {
  switch (style) {
    case Style::kDefault:
      return {-1, -1, A_NORMAL, A_NORMAL};
    case Style::kPage:
      return {COLOR_GREEN, -1, A_NORMAL, A_NORMAL};
    case Style::kReference:
      return {COLOR_CYAN, -1, A_NORMAL, A_NORMAL};
    case Style::kMarker:
      return {COLOR_YELLOW, -1, A_NORMAL, A_NORMAL};
    case Style::kIntervalStart:
    case Style::kIntervalEnd:
    case Style::kIntervalSlot:
      return {COLOR_MAGENTA, -1, A_BOLD, A_BOLD};
    case Style::kInsideInterval:
      return {COLOR_MAGENTA, -1, A_NORMAL, A_NORMAL};
    case Style::kEmpty:
      return {-1, -1, A_DIM, A_DIM};
    case Style::kRuler:
      return {COLOR_BLUE, -1, A_NORMAL, A_DIM};
    case Style::kHeader:
      return {COLOR_WHITE, COLOR_BLUE, A_BOLD, A_BOLD};
    case Style::kProblem:
      return {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE};
    case Style::kSelected:
      return {-1, -1, A_REVERSE, A_REVERSE};
  }
  return {-1, -1, A_NORMAL, A_NORMAL};
}

constexpr int kStyles = static_cast<int>(Style::kSelected) + 1;

Input::Type KeyType(int key, bool* known) {
  *known = true;
  switch (key) {
    case KEY_UP:
      return Input::Type::kUp;
    case KEY_DOWN:
      return Input::Type::kDown;
    case KEY_LEFT:
      return Input::Type::kLeft;
    case KEY_RIGHT:
      return Input::Type::kRight;
    case KEY_PPAGE:
      return Input::Type::kPageUp;
    case KEY_NPAGE:
      return Input::Type::kPageDown;
    case KEY_HOME:
      return Input::Type::kHome;
    case KEY_END:
      return Input::Type::kEnd;
    case KEY_BTAB:
      return Input::Type::kBackTab;
    case KEY_ENTER:
      return Input::Type::kEnter;
    case KEY_BACKSPACE:
      return Input::Type::kBackspace;
    default:
      *known = false;
      return Input::Type::kChar;
  }
}

class Screen {
 public:
  bool Open(const TerminalOptions& options, std::string* error) {
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
      *error = "vmpl tui needs a terminal on stdin and stdout";
      return false;
    }
    setlocale(LC_ALL, "");
    screen_ = newterm(nullptr, stdout, stdin);
    if (screen_ == nullptr) {
      *error = "cannot drive this terminal (is TERM set?)";
      return false;
    }
    set_term(screen_);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    colours_ = has_colors() && !options.monochrome;
    if (colours_) {
      start_color();
      use_default_colors();
      for (int s = 0; s < kStyles; s++) {
        const StyleLook look = LookOf(static_cast<Style>(s));
        init_pair(static_cast<short>(s + 1), look.foreground, look.background);
      }
    }
    if (options.mouse) {
      mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, nullptr);
      mouseinterval(0);
    }
    return true;
  }

  ~Screen() {
    if (screen_ != nullptr) {
      endwin();
      delscreen(screen_);
    }
  }

  bool colours() const { return colours_; }

  // True, with ncurses told, after a SIGWINCH: the terminal's size as it is now (a burst of
  // resizes can leave ncurses with an earlier one), and every cell to be repainted (what is on
  // the screen is not known any more).
  bool Resized() {
    if (!g_winch.exchange(false)) {
      return false;
    }
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row != 0 && size.ws_col != 0 &&
        (size.ws_row != LINES || size.ws_col != COLS)) {
      resizeterm(size.ws_row, size.ws_col);
    }
    clearok(curscr, TRUE);
    return true;
  }

  // Copies |frame| into ncurses' buffer and lets ncurses send what changed.
  void Draw(const Frame& frame, bool monochrome) {
    const bool colour = colours_ && !monochrome;
    for (int y = 0; y < frame.height() && y < LINES; y++) {
      for (int x = 0; x < frame.width() && x < COLS; x++) {
        const Cell& cell = frame.at(x, y);
        const StyleLook look = LookOf(cell.style);
        wchar_t text[2] = {static_cast<wchar_t>(cell.glyph), L'\0'};
        cchar_t cc;
        setcchar(&cc, text, colour ? look.colour_attrs : look.mono_attrs,
                 colour ? static_cast<short>(static_cast<int>(cell.style) + 1) : 0, nullptr);
        mvadd_wch(y, x, &cc);
      }
    }
    refresh();
  }

 private:
  SCREEN* screen_ = nullptr;
  bool colours_ = false;
};

// The next input, if any arrives within |timeout_ms|.
std::optional<Input> ReadInput(int timeout_ms) {
  timeout(timeout_ms);
  wint_t ch = 0;
  const int kind = get_wch(&ch);
  if (kind == ERR) {
    return std::nullopt;
  }
  if (kind == KEY_CODE_YES) {
    if (ch == KEY_RESIZE) {
      return Input::Key(Input::Type::kResize);
    }
    if (ch == KEY_MOUSE) {
      MEVENT event;
      if (getmouse(&event) != OK) {
        return std::nullopt;
      }
      Input input;
      input.x = event.x;
      input.y = event.y;
      if (event.bstate & BUTTON4_PRESSED) {
        input.type = Input::Type::kWheelUp;
      } else if (event.bstate & BUTTON5_PRESSED) {
        input.type = Input::Type::kWheelDown;
      } else if (event.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) {
        input.type = Input::Type::kClick;
      } else {
        return std::nullopt;
      }
      return input;
    }
    bool known = false;
    const Input::Type type = KeyType(static_cast<int>(ch), &known);
    return known ? std::optional<Input>(Input::Key(type)) : std::nullopt;
  }
  switch (ch) {
    case L'\t':
      return Input::Key(Input::Type::kTab);
    case L'\r':
    case L'\n':
      return Input::Key(Input::Type::kEnter);
    case 27:
      return Input::Key(Input::Type::kEscape);
    case 127:
    case 8:
      return Input::Key(Input::Type::kBackspace);
    default:
      return Input::Char(static_cast<char32_t>(ch));
  }
}

}  // namespace

bool RunTerminal(App& app, const TerminalOptions& options, std::string* error) {
  Screen screen;
  if (!screen.Open(options, error)) {
    return false;
  }
  if (!screen.colours()) {
    app.set_monochrome(true);
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int, old_term, old_hup;
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  sigaction(SIGHUP, &action, &old_hup);
  struct sigaction winch {};
  winch.sa_sigaction = OnWinch;
  sigemptyset(&winch.sa_mask);
  winch.sa_flags = SA_RESTART | SA_SIGINFO;
  sigaction(SIGWINCH, &winch, &g_ncurses_winch);

  // htop's order of work: the refresh step (every source call), then a frame if anything
  // changed (and once a second, for clocks and rates), then the input typed meanwhile, whose
  // Actions say what the next turn must do.
  Frame frame(COLS, LINES);
  Actions pending = Action::kRedraw;
  uint64_t last_draw = 0;
  while (!app.quit() && !g_stop.load()) {
    const uint64_t now = trace::MonotonicNs();
    pending |= app.Tick(now);
    if (screen.Resized()) {
      pending |= Action::kResize;
      pending |= Action::kRedraw;
    }
    if (pending.Has(Action::kResize)) {
      frame = Frame(COLS, LINES);
    }
    if (pending.Has(Action::kRedraw) || now - last_draw >= 1'000'000'000) {
      app.Prepare(frame.width(), frame.height());
      app.Draw(frame);
      screen.Draw(frame, app.monochrome());
      last_draw = now;
    }
    // Wait for input up to the next tick, then take everything already typed.
    pending = Actions();
    int wait_ms = 20;
    while (std::optional<Input> input = ReadInput(wait_ms)) {
      pending |= app.Handle(*input);
      wait_ms = 0;
      if (pending.Has(Action::kQuit)) {
        break;
      }
    }
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  sigaction(SIGWINCH, &g_ncurses_winch, nullptr);
  g_stop.store(false);
  return true;
}

}  // namespace vmpl::tui
