// vmpl::inspect rate plots: event rates over time, drawn as a self-contained SVG file
// (`vmpl trace report --svg FILE`) or as block characters in a terminal (the text report).
//
// A plot is a stack of panels sharing one time axis, one panel per series, each with its own
// linear rate axis: slot stores run at millions per second while interval events run at
// thousands, so one shared axis would flatten all but the busiest series. Both renderers take the
// same RatePlot and know nothing about traces; RatePlotFromReport builds one from a TraceReport.

#ifndef VMPL_INSPECT_RATE_PLOT_H_
#define VMPL_INSPECT_RATE_PLOT_H_

#include <stddef.h>
#include <vmpl/inspect/trace_report.h>

#include <string>
#include <vector>

namespace vmpl::inspect {

struct RatePlotSeries {
  std::string name;           // "slot stores"
  std::vector<double> rates;  // events per second, one per bucket
};

struct RatePlot {
  std::string title;
  double bucket_seconds = 0;           // width of a bucket; bucket i starts at i * bucket_seconds
  std::vector<RatePlotSeries> series;  // all of the same length
};

// One series per RateCategory, titled with the trace's file name.
RatePlot RatePlotFromReport(const TraceReport& report);

struct SvgPlotOptions {
  int width = 960;         // pixels
  int panel_height = 130;  // pixels per series
};

// An SVG 1.1 document: a legend, one panel per series with rate ticks, time ticks in seconds.
std::string RenderRatePlotSvg(const RatePlot& plot, const SvgPlotOptions& options = {});

struct TerminalPlotOptions {
  int width = 80;  // columns, including the labels
  int rows = 4;    // rows per series (8 levels each)
  bool color = false;
};

// Block-character panels (one per series, its peak rate at the top left), then a time axis.
std::string RenderRatePlotTerminal(const RatePlot& plot, const TerminalPlotOptions& options = {});

// Tick positions for an axis from |lo| to |hi|: multiples of 1, 2 or 5 times a power of ten, about
// |target| of them, all inside [lo, hi]. Empty if hi <= lo.
std::vector<double> NiceTicks(double lo, double hi, int target);
// "950/s", "12.5k/s", "3.20M/s".
std::string FormatRate(double per_second);
// A tick label in seconds with as many decimals as |step| needs: "0", "0.25", "1.5".
std::string FormatSeconds(double seconds, double step);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_RATE_PLOT_H_
