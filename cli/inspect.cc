// `vmpl inspect` and `vmpl check`: the page lists of a target that is not us — a live process, an
// ELF core file, or a gdb remote stub — read from its memory only (vmpl::inspect::MemorySource),
// decoded with this build's layout into a Snapshot and printed. `check` prints only the problems
// and exits 1 when there is one.
//
// Opening the target and finding its lists (the registry through the executable's symbols, one
// list by --list, or a canary scan when there is no symbol or with --scan) is
// vmpl::inspect::Target's job (target.h), shared with `vmpl tui`.

#include <stdio.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vmpl/inspect/canary_scan.h>
#include <vmpl/inspect/layout_file.h>
#include <vmpl/inspect/target.h>
#include <vmpl/model/json_view.h>
#include <vmpl/model/text_view.h>

#include "command.h"

namespace vmpl::cli {
namespace {

using vmpl::Snapshot;
using vmpl::SnapshotList;

struct InspectOptions {
  int pid = 0;
  std::string core;
  std::string remote;
  std::string binary;
  std::string registry;
  std::string list;
  std::string layout;  // a layout file; empty for the built-in layout
  bool scan = false;   // find lists by their nodes' canaries instead of the registry
  std::vector<inspect::MemoryRegion> scan_ranges;
  bool json = false;
  bool check_only = false;
};

using inspect::ParseAddress;

int RunInspect(const InspectOptions& options) {
  const char* verb = options.check_only ? "check" : "inspect";
  std::string error;
  inspect::DecodeLayout layout = inspect::BuiltinDecodeLayout();
  if (!options.layout.empty()) {
    std::optional<inspect::DecodeLayout> from_file = inspect::ReadLayoutFile(options.layout, &error);
    if (!from_file) {
      fprintf(stderr, "vmpl %s: %s\n", verb, error.c_str());
      return kExitUnreadable;
    }
    layout = *from_file;
  }
  inspect::TargetOptions target_options;
  target_options.pid = options.pid;
  target_options.core = options.core;
  target_options.remote = options.remote;
  target_options.binary = options.binary;
  if (!options.registry.empty()) {
    target_options.registry = ParseAddress(options.registry);
  }
  std::unique_ptr<inspect::Target> target = inspect::Target::Open(target_options, &error);
  if (!target) {
    fprintf(stderr, "vmpl %s: %s\n", verb, error.c_str());
    return kExitUnreadable;
  }
  if (!target->warning().empty()) {
    fprintf(stderr, "vmpl: %s\n", target->warning().c_str());
  }
  inspect::SnapshotRequest request;
  request.list = options.list;
  request.scan = options.scan;
  request.scan_ranges = options.scan_ranges;
  // Pages are shown only where slots are: one list, or JSON.
  request.read_pages = !options.check_only && (options.json || !options.list.empty());
  inspect::TargetSnapshot read = inspect::ReadTargetSnapshot(*target, layout, request);
  if (!read.notice.empty()) {
    fprintf(stderr, "vmpl %s: %s\n", verb, read.notice.c_str());
  }
  if (!read.snapshot) {
    fprintf(stderr, "vmpl %s: %s\n", verb, read.error.c_str());
    return read.usage_error ? kExitUsage : kExitUnreadable;
  }
  const Snapshot& snapshot = *read.snapshot;
  const std::optional<inspect::ScanResult>& scan = read.scan;
  const size_t problems = snapshot.problem_count();
  if (options.json) {
    // The one schema (docs/snapshot-format.md), and where the lists were found.
    nlohmann::ordered_json j = SnapshotToJson(snapshot);
    j["registry"] = target->registry()
                        ? nlohmann::ordered_json(fmt::format("{:#x}", *target->registry()))
                        : nlohmann::ordered_json(nullptr);
    if (scan) {
      j["scan"] = {{"bytes", scan->bytes_scanned},
                   {"regions", scan->regions_scanned},
                   {"candidate_nodes", scan->candidate_nodes},
                   {"unattached_nodes", scan->unattached_nodes}};
    }
    fputs((DumpJson(j) + "\n").c_str(), stdout);
  } else {
    std::string out = fmt::format("{}: {} lists, {} problems\n", EscapeText(snapshot.source, false),
                                  snapshot.lists.size(), problems);
    if (scan) {
      out += fmt::format("found by a scan of {} bytes in {} regions: {} nodes with the canary, "
                         "{} outside any tree\n",
                         scan->bytes_scanned, scan->regions_scanned, scan->candidate_nodes,
                         scan->unattached_nodes);
    }
    for (const auto& p : snapshot.problems) {
      out += fmt::format("PROBLEM at {:#x}: {}\n", p.address, EscapeText(p.message, false));
    }
    for (const SnapshotList& list : snapshot.lists) {
      if (!options.check_only || !list.problems.empty()) {
        out += FormatList(list, !options.check_only && !options.list.empty());
      }
    }
    fputs(out.c_str(), stdout);
  }
  return options.check_only && problems != 0 ? kExitProblems : kExitOk;
}

constexpr char kInspectFooter[] = R"(EXAMPLES:
  vmpl inspect --pid 1234                    every registered list of a running process
  vmpl inspect --pid 1234 --list vmo:3/pager one list, node by node and slot by slot
  vmpl inspect --core core.1234 --json       the same from a core file (gcore)
  vmpl inspect --remote 127.0.0.1:1234 --binary ./prog
                                             through gdbserver (PIE: relocated through the
                                             stub's auxiliary vector)
  vmpl inspect --remote 127.0.0.1:1234 --list 0xffffffff80201000
                                             one list through QEMU's stub
  vmpl check --pid 1234                      only the problems; exit 1 if there is one
  vmpl inspect --pid 1234 --scan             find the lists without symbols (node canaries)
  vmpl inspect --remote :1234 --scan --scan-range 0x100000-0x4000000
                                             the same through a stub, over a range
  vmpl inspect --core vmcore --layout kernel.json
                                             a target built with another layout (vmpl layout)

EXIT STATUS:
  0 fine, 1 (check) problems found, 2 usage error, 3 the target could not be read)";

CLI::App* AddInspectOptions(CLI::App* app, InspectOptions& options) {
  app->footer(kInspectFooter);
  auto* pid = app->add_option("--pid", options.pid, "A running process")->option_text("PID");
  auto* core = app->add_option("--core", options.core, "An ELF core file")->option_text("FILE");
  auto* remote = app->add_option("--remote", options.remote, "A gdb remote stub")
                     ->option_text("HOST:PORT");
  pid->excludes(core)->excludes(remote);
  core->excludes(remote);
  app->add_option("--binary", options.binary, "The target's executable (for its symbols)")
      ->option_text("ELF");
  app->add_option("--registry", options.registry, "Address of vmpl_registry in the target")
      ->option_text("ADDR");
  app->add_option("--list", options.list, "One list: its registry name, or a page list's address")
      ->option_text("ADDR|NAME");
  app->add_option("--layout", options.layout,
                  "Where the target's build put the fields (a file from `vmpl layout`)")
      ->option_text("FILE");
  app->add_flag("--scan", options.scan,
                "Find the lists by scanning memory for node canaries, without symbols");
  app->add_option_function<std::vector<std::string>>(
         "--scan-range",
         [&options](const std::vector<std::string>& ranges) {
           for (const std::string& text : ranges) {
             const size_t dash = text.find('-');
             const std::optional<uint64_t> start = ParseAddress(text.substr(0, dash));
             const std::optional<uint64_t> end =
                 dash == std::string::npos ? std::nullopt : ParseAddress(text.substr(dash + 1));
             if (!start || !end || *end <= *start) {
               throw CLI::ValidationError("--scan-range", "'" + text + "' is not START-END");
             }
             options.scan_ranges.push_back(inspect::MemoryRegion{*start, *end, true, ""});
           }
         },
         "Scan only this range (a gdb stub lists none); repeatable")
      ->option_text("START-END");
  app->add_flag("--json", options.json, "Print the snapshot as JSON");
  app->callback([&options, app] {
    if (options.pid == 0 && options.core.empty() && options.remote.empty()) {
      throw CLI::ValidationError(app->get_name(), "one of --pid, --core, --remote is required");
    }
    if (!options.remote.empty() && options.binary.empty() && options.registry.empty() &&
        options.list.empty() && !options.scan) {
      throw CLI::ValidationError("--remote", "needs --binary, --registry, --list or --scan");
    }
    if (!options.registry.empty() && !ParseAddress(options.registry)) {
      throw CLI::ValidationError("--registry", "'" + options.registry + "' is not an address");
    }
    if (!options.scan_ranges.empty() && !options.scan) {
      throw CLI::ValidationError("--scan-range", "goes with --scan");
    }
  });
  return app;
}

}  // namespace

Subcommand RegisterInspectCommand(CLI::App& root, const GlobalOptions& /*globals*/) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* app = root.add_subcommand(
      "inspect", "Show the page lists of a live process, a core file or a gdb stub");
  AddInspectOptions(app, *options);
  return Subcommand{app, [options]() { return RunInspect(*options); }};
}

Subcommand RegisterCheckCommand(CLI::App& root, const GlobalOptions& /*globals*/) {
  auto options = std::make_shared<InspectOptions>();
  options->check_only = true;
  CLI::App* app = root.add_subcommand(
      "check", "Check the page lists of a live process, a core file or a gdb stub");
  AddInspectOptions(app, *options);
  return Subcommand{app, [options]() { return RunInspect(*options); }};
}

}  // namespace vmpl::cli
