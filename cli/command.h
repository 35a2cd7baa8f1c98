// The plumbing every `vmpl` subcommand shares: exit codes, global options, and the registration
// contract between main.cc and the file that implements a subcommand.
//
// Adding a subcommand. Write `cli/<name>.cc` with a function
//   Subcommand Register<Name>Command(CLI::App& root, const GlobalOptions& globals);
// that creates the CLI11 subcommand (options, `--help` text with an EXAMPLES block, validation at
// parse time) and returns the function that runs it; declare it below and add it to the table in
// main.cc. main.cc parses, then runs the one subcommand that was selected and returns its exit
// code. A subcommand never calls exit() and never parses argv itself.

#ifndef VMPL_CLI_COMMAND_H_
#define VMPL_CLI_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace vmpl::cli {

// Exit codes shared by every subcommand (docs/architecture.md, Principles: command line).
enum ExitCode : int {
  kExitOk = 0,          // everything fine
  kExitProblems = 1,    // the command ran and found problems (violations, leaks)
  kExitUsage = 2,       // bad command line
  kExitUnreadable = 3,  // an input could not be read or decoded
};

enum class ColorMode { kAuto, kAlways, kNever };

// Options given before the subcommand name (`vmpl --color=never demo`). Filled in by parsing, so
// subcommands read them only when they run, never while registering.
struct GlobalOptions {
  ColorMode color = ColorMode::kAuto;
  // Everything after the first `--` on the command line, untouched: arguments the subcommand
  // hands to another program (`vmpl layout HEADER -- -Iinclude -std=c++20`). Only subcommands
  // that say so (Subcommand::takes_passthrough) accept any.
  std::vector<std::string> passthrough;
};

// True if output to stdout should carry ANSI colours: `always`, or `auto` when stdout is a
// terminal and NO_COLOR is not set.
bool UseColor(const GlobalOptions& globals);

// A registered subcommand: its CLI11 node, and what to run once parsing succeeded.
struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
  bool takes_passthrough = false;
};

using Registrar = Subcommand (*)(CLI::App& root, const GlobalOptions& globals);

// One per subcommand file.
Subcommand RegisterDemoCommand(CLI::App& root, const GlobalOptions& globals);
Subcommand RegisterSimCommand(CLI::App& root, const GlobalOptions& globals);
Subcommand RegisterTraceCommand(CLI::App& root, const GlobalOptions& globals);
Subcommand RegisterInspectCommand(CLI::App& root, const GlobalOptions& globals);
Subcommand RegisterCheckCommand(CLI::App& root, const GlobalOptions& globals);
Subcommand RegisterLayoutCommand(CLI::App& root, const GlobalOptions& globals);
Subcommand RegisterTuiCommand(CLI::App& root, const GlobalOptions& globals);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_COMMAND_H_
