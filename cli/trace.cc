// `vmpl trace`: record, replay, report on and export page-list traces (docs/trace-format.md).
// Each verb lives in its own file (cli/trace_command.h); this one only groups them.

#include <stdio.h>

#include <CLI/CLI.hpp>
#include <vector>

#include "command.h"
#include "trace_command.h"

namespace vmpl::cli {
namespace {

constexpr Registrar kTraceVerbs[] = {
    &RegisterTraceRecord,
    &RegisterTraceReplay,
    &RegisterTraceReport,
    &RegisterTraceExport,
    &RegisterTraceLive,
};

constexpr char kTraceFooter[] = R"(EXAMPLES:
  vmpl sim --seed 1 --ops 100000 --trace sim.vmpltrace
                             record a simulator run in process
  vmpl trace record --pid 1234 -o live.vmpltrace --duration 10
                             record a running process from its shared ring (/dev/shm/vmpl.1234)
  vmpl trace replay sim.vmpltrace --check
                             rebuild every list event by event, checking invariants
  vmpl trace report sim.vmpltrace
  vmpl trace export sim.vmpltrace --format chrome -o sim.json
  vmpl trace live -o run.vmpltrace -- vmpl sim --ops 100000
                             trace a program with BPF from its USDT probes, from its start

EXIT STATUS:
  0 fine, 1 the command found problems, 2 usage error, 3 unreadable input)";

}  // namespace

Subcommand RegisterTraceCommand(CLI::App& root, const GlobalOptions& globals) {
  CLI::App* trace = root.add_subcommand("trace", "Record, replay, report on and export traces");
  trace->footer(kTraceFooter);
  trace->require_subcommand(1);
  auto verbs = std::make_shared<std::vector<Subcommand>>();
  for (Registrar registrar : kTraceVerbs) {
    verbs->push_back(registrar(*trace, globals));
  }
  return {trace,
          [verbs, &globals]() {
            for (const Subcommand& verb : *verbs) {
              if (verb.app->parsed()) {
                if (!globals.passthrough.empty() && !verb.takes_passthrough) {
                  fprintf(stderr, "vmpl trace %s: takes nothing after --\n",
                          verb.app->get_name().c_str());
                  return static_cast<int>(kExitUsage);
                }
                return verb.run();
              }
            }
            return static_cast<int>(kExitUsage);
          },
          true};
}

}  // namespace vmpl::cli
