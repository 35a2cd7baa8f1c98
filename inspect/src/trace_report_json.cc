// The trace report as JSON (<vmpl/inspect/trace_report_view.h>); docs/user-guide.md, "Reports and
// exports", lists the fields.

#include <vmpl/inspect/trace_report_view.h>

#include <utility>

namespace vmpl::inspect {

using trace::EventKind;
using trace::OpKind;

namespace {

// In the words and order of docs/snapshot-format.md's "counts".
nlohmann::ordered_json Content(const SlotCounts& counts) {
  return {{"pages", counts.pages},
          {"references", counts.references},
          {"markers", counts.markers},
          {"intervals", counts.intervals},
          {"interval_sentinels", counts.interval_sentinels}};
}

}  // namespace

nlohmann::ordered_json TraceReportToJson(const TraceReport& report) {
  using nlohmann::ordered_json;
  const trace::TraceInfo& info = report.info;
  ordered_json j;
  j["file"] = report.file;
  j["program"] = info.program;
  j["program_version"] = info.program_version;
  j["pid"] = info.pid;
  j["host"] = info.host;
  j["start_time"] = info.start_time;
  j["clock"] = {{"name", info.clock.name}, {"ticks_per_second", info.clock.ticks_per_second}};
  j["complete"] = report.complete;
  j["problem"] = report.problem.empty() ? ordered_json(nullptr) : ordered_json(report.problem);
  j["snapshot_records"] = report.snapshot_records;
  j["events"] = report.events;
  j["first_timestamp"] = report.first_ticks;
  j["last_timestamp"] = report.last_ticks;
  j["duration_s"] = report.duration_seconds;
  j["events_per_s"] = report.duration_seconds > 0
                          ? static_cast<double>(report.events) / report.duration_seconds
                          : 0.0;

  ordered_json kinds = ordered_json::object();
  for (size_t i = 0; i < kEventKindCount; i++) {
    kinds[trace::EventKindName(static_cast<EventKind>(i))] = report.kinds[i];
  }
  j["event_kinds"] = std::move(kinds);
  j["unknown_kinds"] = report.unknown_kinds;
  ordered_json ops = ordered_json::object();
  for (size_t i = 0; i < kOpKindCount; i++) {
    ops[trace::OpKindName(static_cast<OpKind>(i))] = report.ops[i];
  }
  j["operations"] = std::move(ops);
  j["unknown_operations"] = report.unknown_ops;

  ordered_json lists = ordered_json::array();
  for (const ListReport& list : report.lists) {
    ordered_json l;
    l["key"] = list.key;
    l["registry_id"] = list.registry_id;
    l["name"] = list.name;
    l["label"] = list.label;
    l["kind"] = list.kind == trace::ListKind::kSpliceList ? "splice" : "page";
    l["alive_at_end"] = list.alive_at_end;
    l["in_snapshot"] = list.in_snapshot;
    l["events"] = list.events;
    ordered_json list_kinds = ordered_json::object();
    for (size_t i = 0; i < kEventKindCount; i++) {
      if (list.kinds[i] != 0) {
        list_kinds[trace::EventKindName(static_cast<EventKind>(i))] = list.kinds[i];
      }
    }
    l["event_kinds"] = std::move(list_kinds);
    ordered_json list_ops = ordered_json::object();
    for (size_t i = 0; i < kOpKindCount; i++) {
      if (list.ops[i] != 0) {
        list_ops[trace::OpKindName(static_cast<OpKind>(i))] = list.ops[i];
      }
    }
    l["operations"] = std::move(list_ops);
    l["nodes"] = {{"allocs", list.node_allocs},    {"frees", list.node_frees},
                  {"transfers_in", list.nodes_in}, {"transfers_out", list.nodes_out},
                  {"peak", list.peak_nodes},       {"at_end", list.nodes_at_end}};
    l["intervals"] = {{"add", list.count(EventKind::kIntervalAdd)},
                      {"split", list.count(EventKind::kIntervalSplit)},
                      {"merge", list.count(EventKind::kIntervalMerge)},
                      {"clip", list.count(EventKind::kIntervalClip)},
                      {"replace", list.count(EventKind::kIntervalReplace)}};
    l["peak_pages"] = list.peak_pages;
    l["content_at_end"] = Content(list.content_at_end);
    lists.push_back(std::move(l));
  }
  j["lists"] = std::move(lists);
  j["other_lists"] = {{"lists", report.other_lists}, {"events", report.other_lists_events}};

  ordered_json producers = ordered_json::array();
  for (const ProducerReport& producer : report.producers) {
    producers.push_back(
        {{"index", producer.index}, {"tid", producer.tid}, {"events", producer.events}});
  }
  j["producers"] = std::move(producers);
  j["other_producers_events"] = report.other_producers_events;

  j["dropped_events"] = report.dropped_events;
  j["unattributed"] = {{"stores", report.unattributed_stores},
                       {"events", report.unattributed_events}};
  j["inconsistencies"] = {
      {"count", report.inconsistencies},
      {"first", report.first_inconsistency.empty() ? ordered_json(nullptr)
                                                   : ordered_json(report.first_inconsistency)}};
  j["unmatched_op_ends"] = report.unmatched_op_ends;
  j["unterminated_ops"] = report.unterminated_ops;
  j["losses"] = report.losses ? ordered_json(report.losses->ToJson()) : ordered_json(nullptr);

  ordered_json series = ordered_json::object();
  for (size_t c = 0; c < kRateCategoryCount; c++) {
    ordered_json values = ordered_json::array();
    for (size_t i = 0; i < report.rates.buckets.size(); i++) {
      values.push_back(report.rates.Rate(i, static_cast<RateCategory>(c)));
    }
    series[RateCategoryName(static_cast<RateCategory>(c))] = std::move(values);
  }
  j["rates"] = {{"bucket_s", report.rates.bucket_seconds},
                {"buckets", report.rates.buckets.size()},
                {"events_per_s", std::move(series)}};
  return j;
}

}  // namespace vmpl::inspect
