// `vmpl trace <verb>`: one file per verb, combined by cli/trace.cc into the `trace` subcommand.
//
// Adding a verb. Write `cli/trace_<verb>.cc` with a function
//   Subcommand RegisterTrace<Verb>(CLI::App& trace, const GlobalOptions& globals);
// that adds the verb under |trace| (options, `--help` with an EXAMPLES block) and returns what to
// run once it was parsed; declare it here and list it in kTraceVerbs (cli/trace.cc).

#ifndef VMPL_CLI_TRACE_COMMAND_H_
#define VMPL_CLI_TRACE_COMMAND_H_

#include "command.h"

namespace vmpl::cli {

Subcommand RegisterTraceRecord(CLI::App& trace, const GlobalOptions& globals);
Subcommand RegisterTraceReplay(CLI::App& trace, const GlobalOptions& globals);
Subcommand RegisterTraceReport(CLI::App& trace, const GlobalOptions& globals);
Subcommand RegisterTraceExport(CLI::App& trace, const GlobalOptions& globals);
Subcommand RegisterTraceLive(CLI::App& trace, const GlobalOptions& globals);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_TRACE_COMMAND_H_
