// vmpl: one binary, git/bpftool-style subcommands (docs/architecture.md, Principles: command line).
//
// main() only builds the root command, lets every subcommand file register itself (command.h),
// parses, and runs the selected subcommand. Exit codes: 0 fine, 1 problems found, 2 usage error,
// 3 unreadable input.

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"

namespace vmpl::cli {

bool UseColor(const GlobalOptions& globals) {
  switch (globals.color) {
    case ColorMode::kAlways:
      return true;
    case ColorMode::kNever:
      return false;
    case ColorMode::kAuto:
      break;
  }
  const char* no_color = getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') {
    return false;
  }
  return isatty(STDOUT_FILENO) == 1;
}

namespace {

// Every subcommand, in the order `vmpl --help` lists them.
constexpr Registrar kRegistrars[] = {
    &RegisterDemoCommand,
    &RegisterSimCommand,
    &RegisterTraceCommand,
    &RegisterInspectCommand,
    &RegisterCheckCommand,
    &RegisterLayoutCommand,
    &RegisterTuiCommand,
};

constexpr char kRootFooter[] = R"(EXAMPLES:
  vmpl demo                  run the demo workload and print every page list node by node
  vmpl demo --seed 7 --json  the same data as JSON, for another seed
  vmpl sim --seed 1 --duration 600 --check-every 1000
                             ten minutes of kernel-like VMO traffic, validated every 1000 steps
  vmpl sim --ops 100000 --trace sim.vmpltrace && vmpl trace replay sim.vmpltrace --check
                             record every mutation, rebuild every list from the record
  vmpl demo --help           options of one subcommand

EXIT STATUS:
  0 fine, 1 the command found problems, 2 usage error, 3 unreadable input)";

int Main(int argc, char** argv) {
  CLI::App app{"vmpl: a debugging toolkit for the Zircon kernel's page list (VmPageList)", "vmpl"};
  app.footer(kRootFooter);
  // At most one subcommand; none is reported below, after unknown options have been reported.
  app.require_subcommand(0, 1);
  // Global options may also follow the subcommand: `vmpl demo --color=never`.
  app.fallthrough();

  GlobalOptions globals;
  std::string color = "auto";
  app.add_option("--color", color, "auto (on a terminal unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->option_text("WHEN")
      ->default_str("auto");

  std::vector<Subcommand> subcommands;
  for (Registrar registrar : kRegistrars) {
    subcommands.push_back(registrar(app, globals));
  }

  // CLI11 would take what follows `--` as positionals; it belongs to the subcommand instead.
  int parsed_argc = argc;
  for (int i = 1; i < argc; i++) {
    if (std::string_view(argv[i]) == "--") {
      parsed_argc = i;
      globals.passthrough.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  try {
    app.parse(parsed_argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; everything else is a usage error.
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  globals.color = color == "always"  ? ColorMode::kAlways
                  : color == "never" ? ColorMode::kNever
                                     : ColorMode::kAuto;

  for (const Subcommand& subcommand : subcommands) {
    if (subcommand.app->parsed()) {
      if (!globals.passthrough.empty() && !subcommand.takes_passthrough) {
        fprintf(stderr, "vmpl %s: takes nothing after --\n", subcommand.app->get_name().c_str());
        return kExitUsage;
      }
      return subcommand.run();
    }
  }
  fprintf(stderr, "vmpl: a subcommand is required\n\n%s", app.help().c_str());
  return kExitUsage;
}

}  // namespace
}  // namespace vmpl::cli

int main(int argc, char** argv) { return vmpl::cli::Main(argc, argv); }
