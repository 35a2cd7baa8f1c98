// vmpl::tui::Input and Actions: the TUI's one input vocabulary, and what handling an input asks
// of the main loop.
//
// The terminal (terminal.h) decodes keys, mouse events and resizes into Input values; tests and
// benchmarks make them by hand. App::Handle turns each into a change of view state and answers
// with Actions, bit flags as htop's HandlerResult: whether to draw again, to run the refresh step
// now (a read, a cursor move, a pause or a save was asked for), to resize the frame, to quit. The
// main loop decides what to do about them; a handler never draws and never calls a source.

#ifndef VMPL_TUI_INPUT_H_
#define VMPL_TUI_INPUT_H_

namespace vmpl::tui {

// One input, as the front end decodes it.
struct Input {
  enum class Type {
    kChar,  // |ch|: a printable key, or one of the control keys below as its ASCII code
    kUp,
    kDown,
    kLeft,
    kRight,
    kPageUp,
    kPageDown,
    kHome,
    kEnd,
    kTab,
    kBackTab,
    kEnter,
    kEscape,
    kBackspace,
    kClick,      // a mouse button pressed at (x, y)
    kWheelUp,    // at (x, y)
    kWheelDown,  // at (x, y)
    kResize,     // the terminal changed size (the front end knows the new one)
  };
  Type type = Type::kChar;
  char32_t ch = 0;
  int x = 0;
  int y = 0;

  static Input Char(char32_t c) { return Input{Type::kChar, c, 0, 0}; }
  static Input Key(Type type) { return Input{type, 0, 0, 0}; }
};

// One thing an input (or a refresh) asks of the main loop.
enum class Action : unsigned {
  kRedraw = 1u << 0,   // something shown changed: lay out and draw a frame
  kRefresh = 1u << 1,  // run the refresh step before the next frame (it has work queued)
  kResize = 1u << 2,   // the terminal's size changed: a new frame
  kQuit = 1u << 3,     // leave the loop
};

// A set of Actions; empty means the input was not for us (nothing changed).
class Actions {
 public:
  constexpr Actions() = default;
  constexpr Actions(Action action)
      : bits_(static_cast<unsigned>(action)) {}  // NOLINT: a set of one

  constexpr bool Has(Action action) const { return (bits_ & static_cast<unsigned>(action)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  // True if anything was asked for.
  constexpr explicit operator bool() const { return !empty(); }

  constexpr Actions& operator|=(Actions other) {
    bits_ |= other.bits_;
    return *this;
  }
  friend constexpr Actions operator|(Actions a, Actions b) { return a |= b; }
  friend constexpr bool operator==(const Actions&, const Actions&) = default;

 private:
  unsigned bits_ = 0;
};

constexpr Actions operator|(Action a, Action b) { return Actions(a) | Actions(b); }

}  // namespace vmpl::tui

#endif  // VMPL_TUI_INPUT_H_
