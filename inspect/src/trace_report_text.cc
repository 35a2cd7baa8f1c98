// The trace report as text (<vmpl/inspect/trace_report_view.h>): aligned tables for a terminal,
// with the block-character rate plot.

#include <fmt/format.h>
#include <vmpl/inspect/rate_plot.h>
#include <vmpl/inspect/trace_report_view.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vmpl::inspect {

using trace::EventKind;
using trace::OpKind;

namespace {

// Columns of text: the first left-aligned, the others right-aligned (numbers).
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t rows() const { return rows_.size() - 1; }

  std::string Render(std::string_view indent) const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
      widths.resize(std::max(widths.size(), row.size()));
      for (size_t i = 0; i < row.size(); i++) {
        widths[i] = std::max(widths[i], row[i].size());
      }
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line(indent);
      for (size_t i = 0; i < row.size(); i++) {
        if (i == 0) {
          line += fmt::format("{:<{}}", row[i], widths[i]);
        } else {
          line += fmt::format("  {:>{}}", row[i], widths[i]);
        }
      }
      while (!line.empty() && line.back() == ' ') {
        line.pop_back();
      }
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string Num(uint64_t n) { return fmt::format("{}", n); }

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string Seconds(double seconds) {
  if (seconds >= 1) {
    return fmt::format("{:.3f} s", seconds);
  }
  if (seconds >= 1e-3) {
    return fmt::format("{:.3f} ms", seconds * 1e3);
  }
  return fmt::format("{:.3f} us", seconds * 1e6);
}

std::string Frequency(double hz) {
  if (hz >= 1e9) {
    return fmt::format("{:.3f} GHz", hz / 1e9);
  }
  if (hz >= 1e6) {
    return fmt::format("{:.3f} MHz", hz / 1e6);
  }
  return fmt::format("{:.0f} Hz", hz);
}

std::string Losses(const trace::LossCounts& counts) {
  return fmt::format("overwritten {}, dropped {}, abandoned {}, commit failed {}",
                     counts.overwritten, counts.dropped, counts.abandoned, counts.commit_failed);
}

// The lists to show: the |top| with the most events (all if 0), then by key.
std::vector<const ListReport*> TopLists(const TraceReport& report, size_t top) {
  std::vector<const ListReport*> lists;
  for (const ListReport& list : report.lists) {
    lists.push_back(&list);
  }
  std::stable_sort(lists.begin(), lists.end(),
                   [](const ListReport* a, const ListReport* b) { return a->events > b->events; });
  if (top != 0 && lists.size() > top) {
    lists.resize(top);
  }
  return lists;
}

void RenderHeader(const TraceReport& report, std::string* out) {
  const trace::TraceInfo& info = report.info;
  *out += fmt::format("vmpl trace report: {}\n", report.file);
  *out += fmt::format("  recorded by {} {} (pid {}) on {} at {}\n",
                      info.program.empty() ? "?" : info.program, info.program_version, info.pid,
                      info.host.empty() ? "?" : info.host,
                      info.start_time.empty() ? "?" : info.start_time);
  std::string clock =
      fmt::format("  clock {} at {}", info.clock.name, Frequency(info.clock.ticks_per_second));
  if (info.ring) {
    clock += fmt::format("; ring mode {}, {} records", info.ring->mode, info.ring->capacity);
  }
  *out += clock + "\n";
  const double rate = report.duration_seconds > 0
                          ? static_cast<double>(report.events) / report.duration_seconds
                          : 0;
  *out += fmt::format("  {}, {} over {} ({:.2f} M events/s), from {}\n",
                      Plural(report.snapshot_records, "snapshot record", "snapshot records"),
                      Plural(report.events, "event", "events"), Seconds(report.duration_seconds),
                      rate / 1e6, Plural(report.producers.size(), "producer", "producers"));
  if (!report.problem.empty()) {
    *out += fmt::format("  DAMAGED: {}\n  (everything below covers the readable part)\n",
                        report.problem);
  } else if (!report.complete) {
    *out += "  INCOMPLETE: the file has no END chunk (the recorder did not finish)\n";
  } else {
    *out += "  file complete and intact\n";
  }
}

void RenderLosses(const TraceReport& report, std::string* out) {
  if (!report.losses) {
    *out += "\nlosses: the file has no LOSSES chunk (nothing was reported lost)\n";
    return;
  }
  const trace::LossCounts totals = report.losses->Totals();
  if (totals.total() == 0) {
    *out += "\nlosses: none\n";
    return;
  }
  *out += fmt::format("\nlosses: {} ({})\n", Plural(totals.total(), "record", "records"),
                      Losses(totals));
  Table table({"producer", "tid", "overwritten", "dropped", "abandoned", "commit failed"});
  for (const trace::ProducerLosses& producer : report.losses->producers) {
    if (producer.counts.total() == 0) {
      continue;
    }
    table.Add({Num(producer.index), producer.tid != 0 ? Num(producer.tid) : "?",
               Num(producer.counts.overwritten), Num(producer.counts.dropped),
               Num(producer.counts.abandoned), Num(producer.counts.commit_failed)});
  }
  *out += table.Render("  ");
}

void RenderKinds(const TraceReport& report, std::string* out) {
  *out += "\nevents by kind\n";
  Table table({"kind", "count", "share"});
  for (size_t i = 0; i < kEventKindCount; i++) {
    if (report.kinds[i] == 0) {
      continue;
    }
    table.Add({trace::EventKindName(static_cast<EventKind>(i)), Num(report.kinds[i]),
               fmt::format("{:.1f}%", 100.0 * static_cast<double>(report.kinds[i]) /
                                          static_cast<double>(report.events))});
  }
  if (report.unknown_kinds != 0) {
    table.Add({"(unknown kinds)", Num(report.unknown_kinds), ""});
  }
  *out += table.rows() == 0 ? "  (no events)\n" : table.Render("  ");

  *out += "\noperations\n";
  Table ops({"operation", "count"});
  for (size_t i = 0; i < kOpKindCount; i++) {
    if (report.ops[i] != 0) {
      ops.Add({trace::OpKindName(static_cast<OpKind>(i)), Num(report.ops[i])});
    }
  }
  if (report.unknown_ops != 0) {
    ops.Add({"(unknown operations)", Num(report.unknown_ops)});
  }
  *out += ops.rows() == 0 ? "  (no operations)\n" : ops.Render("  ");
}

void RenderLists(const TraceReport& report, const ReportTextOptions& options, std::string* out) {
  size_t registered = 0;
  size_t alive = 0;
  for (const ListReport& list : report.lists) {
    registered += list.registry_id != 0 ? 1 : 0;
    alive += list.alive_at_end ? 1 : 0;
  }
  const std::vector<const ListReport*> shown = TopLists(report, options.top_lists);
  *out += fmt::format("\nlists: {} seen ({} registered), {} alive at the end", report.lists.size(),
                      registered, alive);
  if (shown.size() < report.lists.size()) {
    *out += fmt::format("; the {} with the most events (--top 0 shows all)", shown.size());
  }
  *out += "\n";
  if (shown.empty()) {
    *out += "  (no lists)\n";
    return;
  }
  Table table({"list", "kind", "events", "ops", "stores", "allocs", "frees", "in", "out",
               "peak nodes", "nodes", "peak pages", "pages"});
  uint64_t hidden_events = 0;
  for (const ListReport& list : report.lists) {
    hidden_events += list.events;
  }
  for (const ListReport* list : shown) {
    hidden_events -= list->events;
    uint64_t ops = 0;
    for (uint64_t n : list->ops) {
      ops += n;
    }
    table.Add({list->label + (list->alive_at_end ? "" : " (gone)"),
               list->kind == trace::ListKind::kSpliceList ? "splice" : "page", Num(list->events),
               Num(ops), Num(list->count(EventKind::kSlotStore)), Num(list->node_allocs),
               Num(list->node_frees), Num(list->nodes_in), Num(list->nodes_out),
               Num(list->peak_nodes), Num(list->nodes_at_end), Num(list->peak_pages),
               Num(list->content_at_end.pages)});
  }
  *out += table.Render("  ");
  if (shown.size() < report.lists.size()) {
    *out += fmt::format("  ({} more lists with {} events)\n", report.lists.size() - shown.size(),
                        hidden_events);
  }
  if (report.other_lists != 0) {
    *out += fmt::format("  ({} lists past the report's limit of {}, with {} events)\n",
                        report.other_lists, kMaxReportedLists, report.other_lists_events);
  }

  *out += "\noperations per list\n";
  size_t label_width = 0;
  for (const ListReport* list : shown) {
    label_width = std::max(label_width, list->label.size());
  }
  // "label  Kind n, Kind n, ..." wrapped at the report's width, continuation lines indented.
  const size_t width = static_cast<size_t>(std::max(options.width, 60));
  bool any = false;
  for (const ListReport* list : shown) {
    std::string line = fmt::format("  {:<{}}  ", list->label, label_width);
    const size_t indent = line.size();
    bool first = true;
    for (size_t i = 0; i < kOpKindCount; i++) {
      if (list->ops[i] == 0) {
        continue;
      }
      const std::string item = fmt::format("{}{} {}", first ? "" : ", ",
                                           trace::OpKindName(static_cast<OpKind>(i)), list->ops[i]);
      if (!first && line.size() + item.size() > width) {
        *out += line + ",\n";
        line = std::string(indent, ' ') + item.substr(2);
      } else {
        line += item;
      }
      first = false;
    }
    if (!first) {
      *out += line + "\n";
      any = true;
    }
  }
  if (!any) {
    *out += "  (none)\n";
  }

  Table intervals({"list", "add", "split", "merge", "clip", "replace"});
  for (const ListReport* list : shown) {
    const uint64_t add = list->count(EventKind::kIntervalAdd);
    const uint64_t split = list->count(EventKind::kIntervalSplit);
    const uint64_t merge = list->count(EventKind::kIntervalMerge);
    const uint64_t clip = list->count(EventKind::kIntervalClip);
    const uint64_t replace = list->count(EventKind::kIntervalReplace);
    if (add + split + merge + clip + replace != 0) {
      intervals.Add({list->label, Num(add), Num(split), Num(merge), Num(clip), Num(replace)});
    }
  }
  *out += "\nzero intervals per list\n";
  *out += intervals.rows() == 0 ? "  (no interval events)\n" : intervals.Render("  ");
}

void RenderRates(const TraceReport& report, const ReportTextOptions& options, std::string* out) {
  const RateHistogram& rates = report.rates;
  *out += fmt::format("\nrates over time ({} buckets of {})\n", rates.buckets.size(),
                      Seconds(rates.bucket_seconds));
  Table table({"category", "peak", "mean"});
  for (size_t c = 0; c < kRateCategoryCount; c++) {
    const auto category = static_cast<RateCategory>(c);
    table.Add({RateCategoryName(category), FormatRate(rates.PeakRate(category)),
               FormatRate(rates.MeanRate(category))});
  }
  *out += table.Render("  ");
  if (options.plot && !rates.buckets.empty()) {
    TerminalPlotOptions plot;
    plot.width = options.width;
    plot.color = options.color;
    // Two appends, not "\n" + string: GCC 12 at -O3 reports a false -Wrestrict on the latter.
    *out += '\n';
    *out += RenderRatePlotTerminal(RatePlotFromReport(report), plot);
  }
}

void RenderAttribution(const TraceReport& report, std::string* out) {
  *out += "\nattribution\n";
  *out +=
      fmt::format("  events of lists whose tracing was off (dropped): {}\n", report.dropped_events);
  *out += fmt::format("  slot stores into no known node (temporaries): {}\n",
                      report.unattributed_stores);
  *out += fmt::format("  other events of no known list: {}\n", report.unattributed_events);
  *out += fmt::format("  operation ends without a begin: {}; operations never ended: {}\n",
                      report.unmatched_op_ends, report.unterminated_ops);
  if (report.other_producers_events != 0) {
    *out += fmt::format("  events of producers past the limit of {}: {}\n", kMaxProducers,
                        report.other_producers_events);
  }
  *out += fmt::format("  resolver inconsistencies: {}{}\n", report.inconsistencies,
                      report.inconsistencies != 0 ? "; first: " + report.first_inconsistency : "");
}

}  // namespace

std::string RenderTraceReportText(const TraceReport& report, const ReportTextOptions& options) {
  std::string out;
  RenderHeader(report, &out);
  RenderLosses(report, &out);
  RenderKinds(report, &out);
  RenderLists(report, options, &out);
  RenderRates(report, options, &out);
  RenderAttribution(report, &out);
  return out;
}

}  // namespace vmpl::inspect
