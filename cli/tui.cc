// `vmpl tui`: the page lists of a source, live, in the terminal (tui/: App, Terminal, sources).
//
// With no source option it runs the built-in demo: the simulator in this process. When stdout is
// not a terminal (or with --print), it draws one frame as text instead, after letting a live
// source run for --print-after seconds: the same screen, for scripts, logs and bug reports.

#include <stdio.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <vmpl/inspect/layout_file.h>
#include <vmpl/inspect/target.h>
#include <vmpl/tui/app.h>
#include <vmpl/tui/source_factory.h>
#include <vmpl/tui/terminal.h>
#include <vmpl/trace_clock.h>

#include "command.h"

namespace vmpl::cli {
namespace {

struct TuiOptions {
  bool demo = false;
  tui::DemoOptions demo_options;
  int pid = 0;
  std::string core;
  std::string remote;
  std::string trace;
  std::string binary;
  std::string registry;
  std::string list;
  std::string layout;
  bool scan = false;
  bool mono = false;
  bool no_mouse = false;
  std::string save_dir;
  std::string offset;  // --offset: where the node map opens
  bool print = false;
  std::string size = "120x40";
  double print_after = 1.0;
};

// One frame of |app| as text on stdout, after |seconds| of a live source's refreshes.
int PrintFrame(tui::App& app, int width, int height, double seconds) {
  const uint64_t start = trace::MonotonicNs();
  app.Tick(start);
  if (app.source().live()) {
    while (trace::MonotonicNs() - start < static_cast<uint64_t>(seconds * 1e9)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      app.Tick(trace::MonotonicNs());
    }
  }
  tui::Frame frame(width, height);
  app.Render(frame);
  fputs(frame.ToText().c_str(), stdout);
  return kExitOk;
}

int RunTui(const TuiOptions& options, const GlobalOptions& globals) {
  tui::SourceOptions source;
  source.demo = options.demo_options;
  if (options.pid != 0) {
    source.kind = tui::SourceOptions::Kind::kPid;
  } else if (!options.core.empty()) {
    source.kind = tui::SourceOptions::Kind::kCore;
  } else if (!options.remote.empty()) {
    source.kind = tui::SourceOptions::Kind::kRemote;
  } else if (!options.trace.empty()) {
    source.kind = tui::SourceOptions::Kind::kTrace;
    source.trace = options.trace;
  }
  source.target.pid = options.pid;
  source.target.core = options.core;
  source.target.remote = options.remote;
  source.target.binary = options.binary;
  if (!options.registry.empty()) {
    source.target.registry = inspect::ParseAddress(options.registry);
  }
  source.request.list = options.list;
  source.request.scan = options.scan;
  std::string error;
  if (!options.layout.empty()) {
    std::optional<inspect::DecodeLayout> layout = inspect::ReadLayoutFile(options.layout, &error);
    if (!layout) {
      fprintf(stderr, "vmpl tui: %s\n", error.c_str());
      return kExitUnreadable;
    }
    source.layout = *layout;
  }
  std::unique_ptr<tui::Source> opened = tui::OpenSource(source, &error);
  if (!opened) {
    fprintf(stderr, "vmpl tui: %s\n", error.c_str());
    return kExitUnreadable;
  }
  tui::AppOptions app_options;
  app_options.save_dir = options.save_dir;
  if (!options.offset.empty()) {
    app_options.start_offset = inspect::ParseAddress(options.offset);
  }
  tui::App app(std::move(opened), app_options);
  const bool monochrome = options.mono || globals.color == ColorMode::kNever ||
                          (globals.color == ColorMode::kAuto && getenv("NO_COLOR") != nullptr);
  app.set_monochrome(monochrome);

  if (options.print || !isatty(STDOUT_FILENO)) {
    int width = 0;
    int height = 0;
    if (sscanf(options.size.c_str(), "%dx%d", &width, &height) != 2 || width < 1 ||
        height < 1 || width > 1000 || height > 1000) {
      fprintf(stderr, "vmpl tui: --size '%s' is not WIDTHxHEIGHT (at most 1000x1000)\n",
              options.size.c_str());
      return kExitUsage;
    }
    return PrintFrame(app, width, height, options.print_after);
  }
  tui::TerminalOptions terminal;
  terminal.monochrome = monochrome;
  terminal.mouse = !options.no_mouse;
  if (!tui::RunTerminal(app, terminal, &error)) {
    fprintf(stderr, "vmpl tui: %s\n", error.c_str());
    return kExitUnreadable;
  }
  return kExitOk;
}

constexpr char kTuiFooter[] = R"(KEYS (? in the TUI shows them all):
  Tab pane   arrows/hjkl move   PgUp/PgDn   g go to a VMO offset   / search   n next match
  Enter open a list / jump to a problem   v slot, intervals or splice view   f K event filters
  [ ] { } < >  trace: step 1, 1000, 10%   p pause   s save the snapshot (JSON)   r read again
  m monochrome   q quit

EXAMPLES:
  vmpl tui                                   the built-in demo (a simulator in this process)
  vmpl tui --rate 0                          the demo flat out
  vmpl sim --duration 600 --trace-shm &      a live process with a shared event ring
  vmpl tui --pid $!                          ... its lists and events
  vmpl tui --core core.1234                  a core file (gcore)
  vmpl tui --core core.1234 --list vmo:3 --offset 0x3000
                                             vmo:3's node map, at the slot of offset 0x3000
  vmpl tui --remote 127.0.0.1:1234 --binary ./prog
                                             through gdbserver or QEMU's stub
  vmpl sim --ops 20000 --trace run.vmpltrace && vmpl tui --trace run.vmpltrace
                                             a recording, with a time cursor
  vmpl tui --print --size 160x50 | less      one frame as text

EXIT STATUS:
  0 fine, 2 usage error, 3 the source could not be opened (or no terminal))";

}  // namespace

Subcommand RegisterTuiCommand(CLI::App& root, const GlobalOptions& globals) {
  auto options = std::make_shared<TuiOptions>();
  CLI::App* app = root.add_subcommand(
      "tui", "Watch page lists live in the terminal: the demo, a process, a core, a stub, a trace");
  app->footer(kTuiFooter);
  auto* demo = app->add_flag("--demo", options->demo, "The built-in demo (the default)");
  auto* pid = app->add_option("--pid", options->pid, "A running process")->option_text("PID");
  auto* core = app->add_option("--core", options->core, "An ELF core file")->option_text("FILE");
  auto* remote = app->add_option("--remote", options->remote, "A gdb remote stub")
                     ->option_text("HOST:PORT");
  auto* trace = app->add_option("--trace", options->trace, "A trace file, replayed with a cursor")
                    ->option_text("FILE");
  for (CLI::Option* a : {demo, pid, core, remote, trace}) {
    for (CLI::Option* b : {demo, pid, core, remote, trace}) {
      if (a != b) {
        a->excludes(b);
      }
    }
  }
  app->add_option("--binary", options->binary, "The target's executable (for its symbols)")
      ->option_text("ELF");
  app->add_option("--registry", options->registry, "Address of vmpl_registry in the target")
      ->option_text("ADDR");
  app->add_option("--list", options->list, "Only this list: a registry name or an address")
      ->option_text("ADDR|NAME");
  app->add_option("--layout", options->layout, "The target build's layout (`vmpl layout`)")
      ->option_text("FILE");
  app->add_flag("--scan", options->scan, "Find the lists by their nodes' canaries");
  app->add_option("--seed", options->demo_options.seed, "Demo: the simulator's seed")
      ->capture_default_str();
  app->add_option("--rate", options->demo_options.rate, "Demo: steps per second (0: flat out)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--vmos", options->demo_options.vmos, "Demo: root VMOs")
      ->capture_default_str();
  app->add_option("--page-budget", options->demo_options.page_budget,
                  "Demo: pages and references alive at most")
      ->capture_default_str();
  app->add_flag("--mono", options->mono, "No colours (also NO_COLOR, --color=never, m)");
  app->add_flag("--no-mouse", options->no_mouse, "Leave the mouse to the terminal");
  app->add_option("--save-dir", options->save_dir, "Where s writes snapshots")
      ->option_text("DIR");
  app->add_option("--offset", options->offset,
                  "Open the node map of the (first, or --list) list at this VMO offset, as g does")
      ->option_text("OFFSET")
      ->check([](const std::string& text) {
        return inspect::ParseAddress(text) ? std::string() : "'" + text + "' is not an offset";
      });
  app->add_flag("--print", options->print,
                "Print one frame as text and exit (implied when stdout is not a terminal)");
  app->add_option("--size", options->size, "--print: the frame's size")
      ->option_text("WxH")
      ->capture_default_str();
  app->add_option("--print-after", options->print_after,
                  "--print: seconds a live source runs before the frame is taken")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app->callback([options, app] {
    if (!options->remote.empty() && options->binary.empty() && options->registry.empty() &&
        options->list.empty() && !options->scan) {
      throw CLI::ValidationError("--remote", "needs --binary, --registry, --list or --scan");
    }
    if (!options->registry.empty() && !inspect::ParseAddress(options->registry)) {
      throw CLI::ValidationError("--registry", "'" + options->registry + "' is not an address");
    }
    (void)app;
  });
  return Subcommand{app, [options, &globals]() { return RunTui(*options, globals); }};
}

}  // namespace vmpl::cli
