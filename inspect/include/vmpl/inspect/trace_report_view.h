// vmpl::inspect trace report views: a TraceReport (trace_report.h) as aligned text tables for a
// terminal, and as JSON.

#ifndef VMPL_INSPECT_TRACE_REPORT_VIEW_H_
#define VMPL_INSPECT_TRACE_REPORT_VIEW_H_

#include <stddef.h>
#include <vmpl/inspect/trace_report.h>

#include <nlohmann/json.hpp>
#include <string>

namespace vmpl::inspect {

struct ReportTextOptions {
  size_t top_lists = 20;  // lists shown in the tables (most events first); 0 = all
  bool plot = true;       // the block-character rate plot
  int width = 80;         // of the plot and of wrapped lines, in columns
  bool color = false;     // ANSI colours
};

// The report as aligned text tables for a terminal.
std::string RenderTraceReportText(const TraceReport& report, const ReportTextOptions& options = {});
// The report as JSON (docs/user-guide.md, "Reports and exports", lists the fields).
nlohmann::ordered_json TraceReportToJson(const TraceReport& report);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TRACE_REPORT_VIEW_H_
