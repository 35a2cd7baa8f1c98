// `vmpl trace report FILE [--json] [--svg OUT] [--plot|--no-plot] [--top N]`: what happened in a
// trace, list by list (vmpl::inspect::BuildTraceReport): operations per list and kind, node churn,
// zero-interval events, slot contents, rates over time (as a block-character plot on a terminal
// and optionally as an SVG file), the ring's losses, and what could not be attributed.
//
// A damaged file is reported as far as it is readable, then the command exits 3.

#include <errno.h>
#include <fmt/format.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vmpl/inspect/rate_plot.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_report.h>
#include <vmpl/inspect/trace_report_view.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "command.h"
#include "trace_command.h"

namespace vmpl::cli {
namespace {

struct ReportCommandOptions {
  std::string file;
  bool json = false;
  std::string svg;
  std::optional<bool> plot;  // default: on when stdout is a terminal
  size_t top = 20;
  int width = 0;  // default: COLUMNS, or 80
};

// The terminal's width as the shell exports it, or 80.
int TerminalWidth() {
  if (const char* columns = getenv("COLUMNS"); columns != nullptr) {
    char* end = nullptr;
    const long value = strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && value >= 40 && value <= 1000) {
      return static_cast<int>(value);
    }
  }
  return 80;
}

// "[ 42%] 4.2M of 10.0M events" on stderr, overwritten in place.
void ShowProgress(const char* verb, uint64_t done, uint64_t total) {
  fprintf(stderr, "\r\033[K%s: [%3.0f%%] %.1fM of %.1fM events", verb,
          total != 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
          static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
  fflush(stderr);
}

bool WriteFile(const std::string& path, const std::string& content, std::string* error) {
  FILE* file = fopen(path.c_str(), "wb");
  if (file == nullptr) {
    *error = fmt::format("{}: cannot create: {}", path, strerror(errno));
    return false;
  }
  const bool written = fwrite(content.data(), 1, content.size(), file) == content.size();
  const bool closed = fclose(file) == 0;
  if (!written || !closed) {
    *error = fmt::format("{}: cannot write: {}", path, strerror(errno));
    return false;
  }
  return true;
}

constexpr char kReportFooter[] = R"(EXAMPLES:
  vmpl trace report sim.vmpltrace            tables and a rate plot for a terminal
  vmpl trace report sim.vmpltrace --top 0    every list, not only the 20 busiest
  vmpl trace report sim.vmpltrace --svg rates.svg
                                             also draw the rates over time as an SVG file
  vmpl trace report sim.vmpltrace --json | jq '.lists[] | {label, operations, nodes}'

OUTPUT:
  The recording (program, pid, clock, ring), events by kind, operations by kind, then per list
  (name #registry-id, or "list N @address" for one never registered): events, operations,
  slot stores, node allocations, frees and transfers in/out, peak and final nodes and pages,
  operations by kind, zero-interval add/split/merge/clip/replace; rates over time per category
  (slot stores, node alloc/free, operations, interval events) with peaks and means; losses per
  producer; and what could not be attributed to a list. Peaks are sampled between operations.

EXIT STATUS:
  0 reported, 1 the SVG could not be written, 2 usage error, 3 the file is unreadable or
  damaged (the readable part is reported first))";

int RunReport(const ReportCommandOptions& options, const GlobalOptions& globals) {
  std::string error;
  std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(options.file, &error);
  if (!reader) {
    fprintf(stderr, "vmpl trace report: %s\n", error.c_str());
    return kExitUnreadable;
  }
  inspect::ReportOptions report_options;
  const bool progress = isatty(STDERR_FILENO) == 1 && reader->event_count() >= (1u << 22);
  if (progress) {
    report_options.progress = [](uint64_t done, uint64_t total) {
      ShowProgress("vmpl trace report", done, total);
    };
  }
  const auto start = std::chrono::steady_clock::now();
  const inspect::TraceReport report = inspect::BuildTraceReport(*reader, report_options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (progress) {
    fputs("\r\033[K", stderr);
  }

  if (options.json) {
    nlohmann::ordered_json j = inspect::TraceReportToJson(report);
    j["analysis_s"] = seconds;
    fputs((j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n").c_str(),
          stdout);
  } else {
    inspect::ReportTextOptions text;
    text.top_lists = options.top;
    text.plot = options.plot.value_or(isatty(STDOUT_FILENO) == 1);
    text.width = options.width != 0 ? options.width : TerminalWidth();
    text.color = UseColor(globals);
    std::string out = inspect::RenderTraceReportText(report, text);
    out += fmt::format("\n(analysed in {:.3f} s, {:.1f} M events/s)\n", seconds,
                       seconds > 0 ? static_cast<double>(report.events) / seconds / 1e6 : 0.0);
    fputs(out.c_str(), stdout);
  }
  fflush(stdout);

  int status = kExitOk;
  if (!options.svg.empty()) {
    const std::string svg = inspect::RenderRatePlotSvg(inspect::RatePlotFromReport(report));
    if (!WriteFile(options.svg, svg, &error)) {
      fprintf(stderr, "vmpl trace report: %s\n", error.c_str());
      status = kExitProblems;
    }
  }
  if (!reader->problem().empty()) {
    fprintf(stderr, "vmpl trace report: %s\n", reader->problem().c_str());
    return kExitUnreadable;
  }
  return status;
}

}  // namespace

Subcommand RegisterTraceReport(CLI::App& trace, const GlobalOptions& globals) {
  auto options = std::make_shared<ReportCommandOptions>();
  CLI::App* report = trace.add_subcommand(
      "report", "What happened in a trace: operations, node churn, intervals, rates, losses");
  report->footer(kReportFooter);
  report->add_option("FILE", options->file, "A trace file")->required()->option_text("FILE");
  report->add_flag("--json", options->json, "Print the report as JSON");
  report->add_option("--svg", options->svg, "Also draw the rates over time into this SVG file")
      ->option_text("OUT");
  report->add_flag_function(
      "--plot,!--no-plot", [options](int64_t count) { options->plot = count > 0; },
      "Draw the rates in the terminal (default: when stdout is a terminal)");
  report->add_option("--top", options->top, "Lists shown in the tables, busiest first (0: all)")
      ->option_text("N")
      ->default_str("20");
  report->add_option("--width", options->width, "Width of the plot (default: COLUMNS, or 80)")
      ->check(CLI::Range(40, 1000))
      ->option_text("COLUMNS");
  const GlobalOptions* global_options = &globals;
  return Subcommand{report,
                    [options, global_options]() { return RunReport(*options, *global_options); }};
}

}  // namespace vmpl::cli
