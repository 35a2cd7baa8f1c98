// Rate plots as SVG and as terminal block characters (<vmpl/inspect/rate_plot.h>).

#include <fmt/format.h>
#include <vmpl/inspect/rate_plot.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace vmpl::inspect {

std::vector<double> NiceTicks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || target < 1) {
    return ticks;
  }
  const double raw_step = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw_step) {
      break;
    }
  }
  // Multiples of |step| inside [lo, hi], computed from an integer index so they do not drift.
  const double first = std::ceil(lo / step - 1e-9);
  for (double i = first; i * step <= hi * (1 + 1e-12) + 1e-300 && ticks.size() < 1000; i += 1) {
    ticks.push_back(i * step + 0.0);  // + 0.0: no "-0" label
  }
  return ticks;
}

std::string FormatRate(double per_second) {
  if (per_second >= 1e9) {
    return fmt::format("{:.2f}G/s", per_second / 1e9);
  }
  if (per_second >= 1e6) {
    return fmt::format("{:.2f}M/s", per_second / 1e6);
  }
  if (per_second >= 1e4) {
    return fmt::format("{:.1f}k/s", per_second / 1e3);
  }
  if (per_second >= 10 || per_second == 0) {
    return fmt::format("{:.0f}/s", per_second);
  }
  return fmt::format("{:.2f}/s", per_second);
}

std::string FormatSeconds(double seconds, double step) {
  int decimals = 0;
  while (decimals < 9 && step > 0 && step * std::pow(10.0, decimals) < 0.999) {
    decimals++;
  }
  if (std::abs(seconds) < step * 1e-6) {
    seconds = 0;
  }
  return fmt::format("{:.{}f}", seconds, decimals);
}

RatePlot RatePlotFromReport(const TraceReport& report) {
  RatePlot plot;
  plot.title = fmt::format("{}: events per second", report.file);
  plot.bucket_seconds = report.rates.bucket_seconds;
  for (size_t c = 0; c < kRateCategoryCount; c++) {
    const auto category = static_cast<RateCategory>(c);
    RatePlotSeries series;
    series.name = RateCategoryName(category);
    for (size_t i = 0; i < report.rates.buckets.size(); i++) {
      series.rates.push_back(report.rates.Rate(i, category));
    }
    plot.series.push_back(std::move(series));
  }
  return plot;
}

namespace {

// One colour per series, in order; reused after the fourth.
constexpr const char* kSvgColors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                      "#9467bd", "#ff7f0e", "#17becf"};
constexpr const char* kAnsiColors[] = {"\033[32m", "\033[36m", "\033[33m", "\033[35m"};
constexpr const char* kAnsiReset = "\033[0m";

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // Control characters are not allowed in XML 1.0; the rest passes (names are ASCII).
        out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
        break;
    }
  }
  return out;
}

double Peak(const std::vector<double>& values) {
  double peak = 0;
  for (double v : values) {
    if (std::isfinite(v)) {
      peak = std::max(peak, v);
    }
  }
  return peak;
}

size_t Buckets(const RatePlot& plot) {
  size_t n = 0;
  for (const RatePlotSeries& series : plot.series) {
    n = std::max(n, series.rates.size());
  }
  return n;
}

}  // namespace

std::string RenderRatePlotSvg(const RatePlot& plot, const SvgPlotOptions& options) {
  constexpr int kLeft = 90;
  constexpr int kRight = 20;
  constexpr int kTop = 56;  // title and legend
  constexpr int kGap = 22;  // between panels (room for the panel's name)
  constexpr int kBottom = 48;
  const int width = std::max(options.width, kLeft + kRight + 100);
  const int panel_height = std::max(options.panel_height, 40);
  const int plot_width = width - kLeft - kRight;
  const int panels = static_cast<int>(plot.series.size());
  const int height = kTop + panels * (panel_height + kGap) + kBottom;
  const size_t buckets = Buckets(plot);
  const double total_seconds = static_cast<double>(buckets) * plot.bucket_seconds;

  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"11\">\n",
      width, height);
  out += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n", width,
                     height);
  out += fmt::format("<text x=\"{}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
                     kLeft, XmlEscape(plot.title));
  // Legend.
  int legend_x = kLeft;
  for (int i = 0; i < panels; i++) {
    const char* color = kSvgColors[i % std::size(kSvgColors)];
    out += fmt::format(
        "<rect x=\"{}\" y=\"30\" width=\"14\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"39\">{}</text>\n",
        legend_x, color, legend_x + 18, XmlEscape(plot.series[i].name));
    legend_x += 30 + 7 * static_cast<int>(plot.series[i].name.size());
  }

  const std::vector<double> time_ticks = NiceTicks(0, total_seconds, 8);
  const double time_step = time_ticks.size() > 1 ? time_ticks[1] - time_ticks[0] : total_seconds;
  auto x_of = [&](double seconds) {
    return kLeft + (total_seconds > 0 ? seconds / total_seconds * plot_width : 0.0);
  };

  for (int p = 0; p < panels; p++) {
    const RatePlotSeries& series = plot.series[p];
    const char* color = kSvgColors[p % std::size(kSvgColors)];
    const int top = kTop + p * (panel_height + kGap) + kGap;
    const int bottom = top + panel_height;
    const double peak = Peak(series.rates);
    std::vector<double> rate_ticks = NiceTicks(0, peak, 4);
    // The axis goes to the first tick at or above the peak, so the curve never touches the top.
    double axis_max = peak > 0 ? peak : 1;
    if (!rate_ticks.empty()) {
      const double step = rate_ticks.size() > 1 ? rate_ticks[1] - rate_ticks[0] : peak;
      if (rate_ticks.back() < peak) {
        rate_ticks.push_back(rate_ticks.back() + step);
      }
      axis_max = std::max(rate_ticks.back(), axis_max);
    } else {
      rate_ticks = {0, axis_max};
    }
    auto y_of = [&](double rate) { return bottom - rate / axis_max * panel_height; };

    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-weight=\"bold\" fill=\"{}\">{} "
        "(peak {})</text>\n",
        kLeft, top - 6, color, XmlEscape(series.name), FormatRate(peak));
    // Grid and rate ticks.
    for (double tick : rate_ticks) {
      const double y = y_of(tick);
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#e0e0e0\"/>"
          "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
          kLeft, y, kLeft + plot_width, y, kLeft - 6, y + 4, FormatRate(tick));
    }
    for (double tick : time_ticks) {
      const double x = x_of(tick);
      out += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" "
          "stroke=\"#f0f0f0\"/>\n",
          x, top, x, bottom);
    }
    // The series as steps: one flat segment per bucket.
    if (!series.rates.empty()) {
      std::string points = fmt::format("{},{}", kLeft, bottom);
      for (size_t i = 0; i < series.rates.size(); i++) {
        const double rate = std::isfinite(series.rates[i]) ? series.rates[i] : 0;
        const double x0 = x_of(static_cast<double>(i) * plot.bucket_seconds);
        const double x1 = x_of(static_cast<double>(i + 1) * plot.bucket_seconds);
        const double y = y_of(rate);
        points += fmt::format(" {:.1f},{:.1f} {:.1f},{:.1f}", x0, y, x1, y);
      }
      points += fmt::format(" {:.1f},{}", x_of(total_seconds), bottom);
      out += fmt::format(
          "<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.25\" "
          "stroke=\"{}\" stroke-width=\"1.2\"/>\n",
          points, color, color);
    }
    // Axes.
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>"
        "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"black\"/>\n",
        kLeft, top, bottom, kLeft + plot_width);
  }

  // The time axis, under the last panel.
  const int axis_y = kTop + panels * (panel_height + kGap);
  for (double tick : time_ticks) {
    const double x = x_of(tick);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"black\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        x, axis_y, axis_y + 5, axis_y + 18, FormatSeconds(tick, time_step));
  }
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds since the first event "
      "(buckets of {} s)</text>\n",
      kLeft + plot_width / 2, axis_y + 38, fmt::format("{:.6g}", plot.bucket_seconds));
  out += fmt::format(
      "<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 {0})\" text-anchor=\"middle\">"
      "events per second</text>\n",
      kTop + panels * (panel_height + kGap) / 2);
  out += "</svg>\n";
  return out;
}

std::string RenderRatePlotTerminal(const RatePlot& plot, const TerminalPlotOptions& options) {
  // Eighths of a cell, from empty to full.
  static constexpr std::string_view kLevels[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  constexpr int kLabel = 10;  // "  12.5k/s " on the left
  const int columns = std::max(options.width - kLabel - 1, 10);
  const int rows = std::clamp(options.rows, 1, 16);
  const size_t buckets = Buckets(plot);
  if (buckets == 0) {
    return "";
  }
  const double total_seconds = static_cast<double>(buckets) * plot.bucket_seconds;

  std::string out;
  for (size_t s = 0; s < plot.series.size(); s++) {
    const RatePlotSeries& series = plot.series[s];
    const double peak = Peak(series.rates);
    // Column c shows the mean rate of the buckets it covers (or repeats one when buckets are
    // fewer than columns).
    std::vector<double> values(columns, 0);
    for (int c = 0; c < columns; c++) {
      size_t from = static_cast<size_t>(c) * buckets / columns;
      size_t to = static_cast<size_t>(c + 1) * buckets / columns;
      to = std::max(to, from + 1);
      double sum = 0;
      for (size_t i = from; i < to && i < series.rates.size(); i++) {
        sum += std::isfinite(series.rates[i]) ? series.rates[i] : 0;
      }
      values[c] = sum / static_cast<double>(to - from);
    }
    const char* color = options.color ? kAnsiColors[s % std::size(kAnsiColors)] : "";
    const char* reset = options.color ? kAnsiReset : "";
    out += fmt::format("{:>{}} {}{}{}\n", "", kLabel - 1, color, series.name, reset);
    for (int r = 0; r < rows; r++) {
      std::string label;
      if (r == 0) {
        label = FormatRate(peak);
      } else if (r == rows - 1 && rows > 1) {
        label = "0";
      }
      out += fmt::format("{:>{}} │{}", label, kLabel - 1, color);
      for (int c = 0; c < columns; c++) {
        int level = 0;
        if (peak > 0 && values[c] > 0) {
          level = std::max(1, static_cast<int>(std::lround(values[c] / peak * rows * 8)));
        }
        const int fill = std::clamp(level - (rows - 1 - r) * 8, 0, 8);
        out += kLevels[fill];
      }
      out += fmt::format("{}\n", reset);
    }
  }
  // The time axis: a tick mark above each label, labels in seconds.
  const std::vector<double> ticks = NiceTicks(0, total_seconds, std::max(columns / 12, 2));
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : total_seconds;
  std::vector<std::string_view> axis(static_cast<size_t>(columns), "─");
  std::string labels(static_cast<size_t>(columns), ' ');
  for (double tick : ticks) {
    const int column = std::min(
        columns - 1, static_cast<int>(total_seconds > 0 ? tick / total_seconds * columns : 0));
    axis[column] = "┬";
    const std::string text = FormatSeconds(tick, step);
    // Skip a label that would touch the previous one.
    bool free = column == 0 || labels[column - 1] == ' ';
    for (size_t i = column; i < column + text.size() + 1 && i < labels.size(); i++) {
      free = free && labels[i] == ' ';
    }
    if (free && column + text.size() <= labels.size()) {
      labels.replace(column, text.size(), text);
    }
  }
  while (!labels.empty() && labels.back() == ' ') {
    labels.pop_back();
  }
  out += fmt::format("{:>{}} └", "", kLabel - 1);
  for (std::string_view cell : axis) {
    out += cell;
  }
  out += fmt::format("\n{:>{}}  {}\n", "seconds", kLabel - 1, labels);
  return out;
}

}  // namespace vmpl::inspect
