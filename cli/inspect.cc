// `vmpl inspect` and `vmpl check`: the page lists of a target that is not us — a live process, an
// ELF core file, or a gdb remote stub — read from its memory only (vmpl::inspect::MemorySource),
// decoded with this build's layout into a Snapshot and printed. `check` prints only the problems
// and exits 1 when there is one.
//
// Finding the lists: the registry's root symbol `vmpl_registry` is looked up in the target's
// executable (/proc/PID/exe, a file mapped in the core, or --binary) and relocated by the load
// bias (PIE); --registry ADDR skips the lookup, --list ADDR reads one page list at an address.
// With no symbol to start from (a stripped binary, a kernel image without ours), or with --scan,
// the lists are found by scanning memory for their nodes' canaries (canary_scan.h).

#include <stdio.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vmpl/inspect/block_cache_source.h>
#include <vmpl/inspect/canary_scan.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/elf_core_source.h>
#include <vmpl/inspect/elf_symbols.h>
#include <vmpl/inspect/gdb_remote_source.h>
#include <vmpl/inspect/layout_file.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/inspect/raw_slot.h>
#include <vmpl/inspect/snapshot_check.h>

#include "command.h"

namespace vmpl::cli {
namespace {

using inspect::Snapshot;
using inspect::SnapshotList;
using inspect::SnapshotNode;

constexpr char kRegistrySymbol[] = "vmpl_registry";

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

std::optional<uint64_t> ParseAddress(const std::string& text) {
  char* end = nullptr;
  const uint64_t value = strtoull(text.c_str(), &end, 0);
  if (text.empty() || end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  return value;
}

// The address of `vmpl_registry` in |binary| as loaded with |bias|, or an error.
std::optional<uint64_t> RegistryIn(const std::string& binary, std::optional<uint64_t> bias,
                                   std::string* error) {
  std::unique_ptr<inspect::ElfSymbols> symbols = inspect::ElfSymbols::Open(binary, error);
  if (!symbols) {
    return std::nullopt;
  }
  const std::optional<uint64_t> value = symbols->Find(kRegistrySymbol);
  if (!value) {
    *error = fmt::format("{}: no symbol {} (not a vmpl program, or stripped without "
                         "-rdynamic; give --registry ADDR)",
                         binary, kRegistrySymbol);
    return std::nullopt;
  }
  if (!symbols->is_pie()) {
    return *value;
  }
  if (!bias) {
    *error = fmt::format("{} is position-independent and its load address in the target is "
                         "unknown; give --registry ADDR",
                         binary);
    return std::nullopt;
  }
  return *value + *bias;
}

struct Target {
  std::unique_ptr<inspect::MemorySource> stub;    // a gdb stub, read through |memory|
  std::unique_ptr<inspect::MemorySource> memory;  // what the decoder reads
  std::optional<uint64_t> registry;
  std::string registry_error;  // why there is no registry address
};

// Opens the source the options name and looks for the registry (registry_error says why it was
// not found); null memory, and |error| set, if the source itself could not be opened.
Target OpenSource(const InspectOptions& options, std::string* error) {
  Target target;
  std::optional<uint64_t> explicit_registry;
  if (!options.registry.empty()) {
    explicit_registry = ParseAddress(options.registry);
  }
  if (options.pid != 0) {
    target.memory = std::make_unique<inspect::LiveProcessSource>(options.pid);
    if (explicit_registry) {
      target.registry = explicit_registry;
      return target;
    }
    const std::string binary =
        options.binary.empty() ? inspect::ExecutablePath(options.pid) : options.binary;
    std::string maps_error;
    const std::vector<inspect::MappedFile> maps = inspect::ReadProcessMaps(options.pid, &maps_error);
    if (maps.empty()) {
      *error = fmt::format("pid {}: {}", options.pid, maps_error);
      target.memory.reset();
      return target;
    }
    target.registry = RegistryIn(binary, inspect::LoadBias(maps, binary), &target.registry_error);
    return target;
  }
  if (!options.core.empty()) {
    std::unique_ptr<inspect::ElfCoreSource> core = inspect::ElfCoreSource::Open(options.core, error);
    if (!core) {
      return target;
    }
    if (!core->problem().empty()) {
      fprintf(stderr, "vmpl: %s: %s\n", options.core.c_str(), core->problem().c_str());
    }
    if (explicit_registry) {
      target.registry = explicit_registry;
    } else if (!options.binary.empty()) {
      target.registry =
          RegistryIn(options.binary, inspect::LoadBiasFromCore(*core, options.binary),
                     &target.registry_error);
    } else {
      // The executable is one of the files the core maps: the one that defines the registry.
      for (const inspect::CoreMapping& mapping : core->mapped_files()) {
        std::string ignored;
        if (auto symbols = inspect::ElfSymbols::Open(mapping.path, &ignored);
            symbols && symbols->Find(kRegistrySymbol)) {
          target.registry =
              RegistryIn(mapping.path, inspect::LoadBiasFromCore(*core, mapping.path),
                         &target.registry_error);
          break;
        }
      }
      if (!target.registry && target.registry_error.empty()) {
        target.registry_error = fmt::format("{}: no mapped file defines {}; give --binary or --registry",
                             options.core, kRegistrySymbol);
      }
    }
    target.memory = std::move(core);
    return target;
  }
  std::unique_ptr<inspect::GdbRemoteSource> remote =
      inspect::GdbRemoteSource::Connect(options.remote, error);
  if (!remote) {
    return target;
  }
  if (explicit_registry) {
    target.registry = explicit_registry;
  } else if (!options.binary.empty()) {
    // A stub does not map files, but its auxiliary vector says where the program's entry point
    // was loaded; for a PIE that gives the load bias.
    std::optional<uint64_t> bias;
    std::string auxv_error;
    if (auto symbols = inspect::ElfSymbols::Open(options.binary, &auxv_error);
        symbols && symbols->is_pie()) {
      if (std::optional<std::string> auxv = remote->ReadAuxv(&auxv_error)) {
        bias = inspect::LoadBiasFromAuxv(*auxv, *symbols, &auxv_error);
      }
    }
    target.registry = RegistryIn(options.binary, bias, &target.registry_error);
    if (!target.registry && !auxv_error.empty()) {
      target.registry_error += fmt::format(" ({})", auxv_error);
    }
  } else {
    target.registry_error = "a stub names no executable: give --binary or --registry";
  }
  // One round trip per node would dominate: read the stub a page at a time, each page once.
  target.memory = std::make_unique<inspect::BlockCacheSource>(*remote);
  target.stub = std::move(remote);
  return target;
}

nlohmann::ordered_json NodeJson(const SnapshotNode& node) {
  nlohmann::ordered_json slots = nlohmann::ordered_json::array();
  for (size_t i = 0; i < node.slots.size(); i++) {
    if (node.slots[i] != 0) {
      slots.push_back({{"index", i},
                       {"raw", fmt::format("{:#x}", node.slots[i])},
                       {"decoded", inspect::DescribeRawSlot(node.slots[i])}});
    }
  }
  return {{"address", fmt::format("{:#x}", node.address)},
          {"key", node.key},
          {"canary", fmt::format("{:#010x}", node.canary)},
          {"slots", std::move(slots)}};
}

nlohmann::ordered_json ListJson(const SnapshotList& list) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const SnapshotNode& node : list.nodes) {
    nodes.push_back(NodeJson(node));
  }
  nlohmann::ordered_json problems = nlohmann::ordered_json::array();
  for (const auto& p : list.problems) {
    problems.push_back({{"address", fmt::format("{:#x}", p.address)}, {"message", p.message}});
  }
  nlohmann::ordered_json j = {
      {"address", fmt::format("{:#x}", list.address)},
      {"registry_id", list.registry_id},
      {"name", list.name},
      {"kind", list.kind == inspect::SnapshotListKind::kSpliceList ? "splice" : "page-list"},
      {"skew", list.skew},
      {"tree_count", list.tree_count},
      {"complete", list.complete},
      {"nodes", std::move(nodes)},
      {"problems", std::move(problems)}};
  if (list.kind == inspect::SnapshotListKind::kSpliceList) {
    j["splice"] = {{"offset", list.splice_offset},
                   {"length", list.splice_length},
                   {"position", list.splice_position},
                   {"finalized", list.splice_finalized},
                   {"head", NodeJson(list.head)},
                   {"tail", NodeJson(list.tail)}};
  }
  return j;
}

std::string ListText(const SnapshotList& list, bool slots) {
  inspect::RawSlotCounts counts;
  for (const SnapshotNode& node : list.nodes) {
    for (uint64_t raw : node.slots) {
      counts.Add(raw);
    }
  }
  const std::string title = list.registry_id == 0 && list.name.empty()
                                ? "list"
                                : fmt::format("list {} '{}'", list.registry_id, list.name);
  std::string out = fmt::format(
      "{} at {:#x} ({}): skew {:#x}, {} nodes, {} pages, {} references, {} markers, "
      "{} interval sentinels{}\n",
      title, list.address,
      list.kind == inspect::SnapshotListKind::kSpliceList ? "splice list" : "page list", list.skew,
      list.nodes.size(), counts.pages, counts.references, counts.markers,
      counts.interval_sentinels, list.complete ? "" : " (INCOMPLETE)");
  if (slots) {
    for (const SnapshotNode& node : list.nodes) {
      out += fmt::format("  node {:#x} key {:#x}\n", node.address, node.key);
      for (size_t i = 0; i < node.slots.size(); i++) {
        if (node.slots[i] != 0) {
          out += fmt::format("    [{:2}] {:#018x} {}\n", i, node.slots[i],
                             inspect::DescribeRawSlot(node.slots[i]));
        }
      }
    }
  }
  for (const auto& p : list.problems) {
    out += fmt::format("  PROBLEM at {:#x}: {}\n", p.address, p.message);
  }
  return out;
}

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
  Target target = OpenSource(options, &error);
  if (!target.memory) {
    fprintf(stderr, "vmpl %s: %s\n", verb, error.c_str());
    return kExitUnreadable;
  }
  Snapshot snapshot;
  std::optional<inspect::ScanResult> scan;
  const std::optional<uint64_t> list_address =
      options.list.empty() ? std::nullopt : ParseAddress(options.list);
  if (list_address) {
    snapshot.source = target.memory->Describe();
    snapshot.lists.push_back(inspect::DecodePageList(*target.memory, *list_address, layout));
  } else if (options.scan || !target.registry) {
    if (!options.list.empty()) {
      fprintf(stderr, "vmpl %s: --list %s needs the registry (%s)\n", verb, options.list.c_str(),
              options.scan ? "a scan finds lists without names" : target.registry_error.c_str());
      return options.scan ? kExitUsage : kExitUnreadable;
    }
    inspect::ScanOptions scan_options;
    scan_options.ranges = options.scan_ranges;
    if (scan_options.ranges.empty() && target.memory->Regions().empty()) {
      fprintf(stderr, "vmpl %s: %s%s%s lists no memory to scan: give --scan-range START-END\n",
              verb, target.registry_error.c_str(), options.scan ? "" : "; and ",
              target.memory->Describe().c_str());
      return kExitUnreadable;
    }
    if (!options.scan) {
      fprintf(stderr, "vmpl %s: %s; scanning memory for page-list nodes instead\n", verb,
              target.registry_error.c_str());
    }
    scan.emplace();
    snapshot = inspect::ScanSnapshot(*target.memory, layout, scan_options, &*scan);
  } else {
    snapshot = inspect::DecodeRegistry(*target.memory, *target.registry, layout);
    if (!options.list.empty()) {
      std::erase_if(snapshot.lists,
                    [&](const SnapshotList& list) { return list.name != options.list; });
      if (snapshot.lists.empty()) {
        fprintf(stderr, "vmpl %s: no registered list is named '%s'\n", verb,
                options.list.c_str());
        return kExitUsage;
      }
    }
  }
  // The core's own invariants, on the decoded copies.
  inspect::CheckSnapshot(snapshot);
  const size_t problems = snapshot.problem_count();
  if (options.json) {
    nlohmann::ordered_json j;
    j["source"] = snapshot.source;
    j["registry"] = target.registry ? nlohmann::ordered_json(fmt::format("{:#x}", *target.registry))
                                    : nlohmann::ordered_json(nullptr);
    nlohmann::ordered_json lists = nlohmann::ordered_json::array();
    for (const SnapshotList& list : snapshot.lists) {
      lists.push_back(ListJson(list));
    }
    if (scan) {
      j["scan"] = {{"bytes", scan->bytes_scanned},
                   {"regions", scan->regions_scanned},
                   {"candidate_nodes", scan->candidate_nodes},
                   {"unattached_nodes", scan->unattached_nodes}};
    }
    j["lists"] = std::move(lists);
    nlohmann::ordered_json others = nlohmann::ordered_json::array();
    for (const auto& p : snapshot.problems) {
      others.push_back({{"address", fmt::format("{:#x}", p.address)}, {"message", p.message}});
    }
    j["problems"] = std::move(others);
    j["problem_count"] = problems;
    fputs((j.dump(2) + "\n").c_str(), stdout);
  } else {
    std::string out = fmt::format("{}: {} lists, {} problems\n", snapshot.source,
                                  snapshot.lists.size(), problems);
    if (scan) {
      out += fmt::format("found by a scan of {} bytes in {} regions: {} nodes with the canary, "
                         "{} outside any tree\n",
                         scan->bytes_scanned, scan->regions_scanned, scan->candidate_nodes,
                         scan->unattached_nodes);
    }
    for (const auto& p : snapshot.problems) {
      out += fmt::format("PROBLEM at {:#x}: {}\n", p.address, p.message);
    }
    for (const SnapshotList& list : snapshot.lists) {
      if (!options.check_only || !list.problems.empty()) {
        out += ListText(list, !options.check_only && !options.list.empty());
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
