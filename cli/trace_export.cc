// `vmpl trace export FILE --format chrome|fxt -o OUT`: a trace as a timeline for Perfetto
// (ui.perfetto.dev), chrome://tracing or any reader of the Chrome Trace Event Format or the
// Fuchsia Trace Format (vmpl::inspect::ExportChrome / ExportFxt). Written streaming: memory does
// not grow with the trace.
//
// A damaged file is exported as far as it is readable, then the command exits 3.

#include <errno.h>
#include <fmt/format.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vmpl/inspect/trace_export.h>
#include <vmpl/inspect/trace_file.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "command.h"
#include "trace_command.h"

namespace vmpl::cli {
namespace {

struct ExportCommandOptions {
  std::string file;
  std::string format;
  std::string out;
  bool no_slot_stores = false;
  bool quiet = false;
};

constexpr char kExportFooter[] = R"(EXAMPLES:
  vmpl trace export sim.vmpltrace --format fxt -o sim.fxt
                             Fuchsia Trace Format: compact; open it in ui.perfetto.dev
  vmpl trace export sim.vmpltrace --format chrome -o sim.json
                             Chrome trace JSON (Perfetto, chrome://tracing, scripts)
  vmpl trace export big.vmpltrace --format chrome --no-slot-stores -o big.json
                             operations, node, interval and list events only: a smaller file
  vmpl trace export sim.vmpltrace --format chrome -o - | jq '.traceEvents | length'

OUTPUT:
  One process (the recorded one), one thread per ring producer. Operations are duration slices
  (begin/end, properly nested; an operation whose end was lost is closed by the next end of an
  enclosing one or at the end of the trace, marked "unterminated"). Every other event of a list
  is an instant whose arguments name the list ("name #id"), node offset, slot, byte offset, old
  and new content. One counter track per list and value (nodes, pages, references, markers,
  intervals, interval_sentinels), sampled when an operation that changed them ends. Times are the recording
  machine's CLOCK_MONOTONIC.

EXIT STATUS:
  0 exported, 1 the output could not be written, 2 usage error, 3 the trace is unreadable or
  damaged (its readable part is exported first))";

int RunExport(const ExportCommandOptions& options) {
  std::string error;
  std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(options.file, &error);
  if (!reader) {
    fprintf(stderr, "vmpl trace export: %s\n", error.c_str());
    return kExitUnreadable;
  }
  const bool to_stdout = options.out == "-";
  FILE* out = to_stdout ? stdout : fopen(options.out.c_str(), "wb");
  if (out == nullptr) {
    fprintf(stderr, "vmpl trace export: %s: cannot create: %s\n", options.out.c_str(),
            strerror(errno));
    return kExitProblems;
  }
  const std::string out_name = to_stdout ? std::string("standard output") : options.out;
  const inspect::ExportWrite write = [out, &out_name](const char* data, size_t size,
                                                      std::string* write_error) {
    if (fwrite(data, 1, size, out) != size) {
      *write_error = fmt::format("{}: cannot write: {}", out_name, strerror(errno));
      return false;
    }
    return true;
  };

  inspect::ExportOptions export_options;
  export_options.slot_stores = !options.no_slot_stores;
  const bool progress = !options.quiet && isatty(STDERR_FILENO) == 1;
  if (progress) {
    export_options.progress = [](uint64_t done, uint64_t total) {
      fprintf(stderr, "\r\033[Kvmpl trace export: [%3.0f%%] %.1fM of %.1fM events",
              total != 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
              static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
      fflush(stderr);
    };
  }
  const auto start = std::chrono::steady_clock::now();
  inspect::ExportStats stats;
  bool ok = options.format == "fxt"
                ? inspect::ExportFxt(*reader, export_options, write, &stats, &error)
                : inspect::ExportChrome(*reader, export_options, write, &stats, &error);
  if (to_stdout) {
    ok = fflush(stdout) == 0 && ok;
  } else if (fclose(out) != 0 && ok) {
    error = fmt::format("{}: cannot write: {}", out_name, strerror(errno));
    ok = false;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (progress) {
    fputs("\r\033[K", stderr);
  }
  if (!ok) {
    fprintf(stderr, "vmpl trace export: %s\n", error.c_str());
    return kExitProblems;
  }
  if (!options.quiet) {
    const inspect::TimelineStats& t = stats.timeline;
    // The summary goes to stderr when the export itself goes to stdout.
    fprintf(to_stdout ? stderr : stdout,
            "vmpl trace export: %s -> %s (%s, %.1f MiB) in %.2f s\n"
            "  %lu events: %lu operations, %lu instants, %lu counter samples, %lu producers\n"
            "  not shown: %lu of lists with tracing off, %lu of no known list, %lu checkpoints\n"
            "  operations: %lu ends without a begin, %lu closed without their end\n",
            options.file.c_str(), out_name.c_str(), options.format.c_str(),
            static_cast<double>(stats.bytes) / (1 << 20), seconds, t.events, t.ops, t.instants,
            t.counter_samples, t.producers, t.dropped, t.unattributed, t.checkpoints,
            t.unmatched_op_ends, t.closed_ops);
  }
  if (!reader->problem().empty()) {
    fprintf(stderr, "vmpl trace export: %s\n", reader->problem().c_str());
    return kExitUnreadable;
  }
  return kExitOk;
}

}  // namespace

Subcommand RegisterTraceExport(CLI::App& trace, const GlobalOptions& /*globals*/) {
  auto options = std::make_shared<ExportCommandOptions>();
  CLI::App* command = trace.add_subcommand(
      "export", "Write a trace as Chrome trace JSON or Fuchsia Trace Format (Perfetto)");
  command->footer(kExportFooter);
  command->add_option("FILE", options->file, "A trace file")->required()->option_text("FILE");
  command->add_option("--format", options->format, "Output format")
      ->required()
      ->check(CLI::IsMember({"chrome", "fxt"}))
      ->option_text("chrome|fxt");
  command->add_option("-o,--output", options->out, "Output file ('-': standard output)")
      ->required()
      ->option_text("OUT");
  command->add_flag("--no-slot-stores", options->no_slot_stores,
                    "Leave slot stores out (most of a trace): a much smaller file");
  command->add_flag("--quiet", options->quiet, "No progress and no summary");
  return Subcommand{command, [options]() { return RunExport(*options); }};
}

}  // namespace vmpl::cli
