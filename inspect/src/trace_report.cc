// The trace report (<vmpl/inspect/trace_report.h>): a timeline sink that counts what the pass
// sees, per list, per producer and per time bucket.

#include <vmpl/inspect/trace_report.h>

#include <algorithm>
#include <deque>
#include <iterator>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace vmpl::inspect {

using trace::EventKind;
using trace::FileRecord;
using trace::OpKind;
using trace::TraceReader;

// ================================================================================================
// Rates.

const char* RateCategoryName(RateCategory category) {
  switch (category) {
    case RateCategory::kSlotStores:
      return "slot stores";
    case RateCategory::kNodeChurn:
      return "node alloc/free";
    case RateCategory::kOps:
      return "operations";
    case RateCategory::kIntervals:
      return "interval events";
  }
  return "unknown";
}

double RateHistogram::Rate(size_t index, RateCategory category) const {
  if (index >= buckets.size() || bucket_seconds <= 0) {
    return 0;
  }
  return static_cast<double>(buckets[index][static_cast<size_t>(category)]) / bucket_seconds;
}

double RateHistogram::PeakRate(RateCategory category) const {
  double peak = 0;
  for (size_t i = 0; i < buckets.size(); i++) {
    peak = std::max(peak, Rate(i, category));
  }
  return peak;
}

double RateHistogram::MeanRate(RateCategory category) const {
  if (buckets.empty() || bucket_seconds <= 0) {
    return 0;
  }
  uint64_t total = 0;
  for (const auto& bucket : buckets) {
    total += bucket[static_cast<size_t>(category)];
  }
  return static_cast<double>(total) / (bucket_seconds * static_cast<double>(buckets.size()));
}

// ================================================================================================
// The report: a sink that counts what the timeline pass sees.

namespace {

// The category an event kind counts in, or -1.
constexpr std::array<int8_t, kEventKindCount> MakeRateCategories() {
  std::array<int8_t, kEventKindCount> out{};
  for (auto& c : out) {
    c = -1;
  }
  out[static_cast<size_t>(EventKind::kSlotStore)] = 0;
  out[static_cast<size_t>(EventKind::kNodeAlloc)] = 1;
  out[static_cast<size_t>(EventKind::kNodeFree)] = 1;
  out[static_cast<size_t>(EventKind::kNodeTransfer)] = 1;
  out[static_cast<size_t>(EventKind::kOpBegin)] = 2;
  out[static_cast<size_t>(EventKind::kIntervalAdd)] = 3;
  out[static_cast<size_t>(EventKind::kIntervalSplit)] = 3;
  out[static_cast<size_t>(EventKind::kIntervalClip)] = 3;
  out[static_cast<size_t>(EventKind::kIntervalMerge)] = 3;
  out[static_cast<size_t>(EventKind::kIntervalReplace)] = 3;
  return out;
}
constexpr std::array<int8_t, kEventKindCount> kRateCategories = MakeRateCategories();

class ReportSink final : public TimelineSink {
 public:
  ReportSink(const TraceReader& reader, const ReportOptions& options, TraceReport* report)
      : report_(report), max_buckets_(std::max<size_t>(options.max_buckets, 2)) {
    // The bucket width comes from the first and last stamps in the file (events are stored in
    // the order they happened, so these are close to the extremes); stamps outside that estimate
    // are handled by Bucket().
    const size_t target = std::clamp<size_t>(options.target_buckets, 1, max_buckets_);
    const auto& spans = reader.event_spans();
    if (!spans.empty()) {
      origin_ = spans.front().data[0].event.timestamp;
      const uint64_t last = spans.back().data[spans.back().count - 1].event.timestamp;
      const uint64_t span = last > origin_ ? last - origin_ : 0;
      width_ = std::max<uint64_t>(1, span / target + 1);
    }
  }

  void OnRecord(const FileRecord& record, const Resolution& resolution, bool snapshot) override {
    const trace::Event& event = record.event;
    const size_t kind = static_cast<size_t>(event.kind);
    if (snapshot) {
      if (event.kind == EventKind::kListCreate && resolution.list_key != 0) {
        if (ListReport* list = List(resolution.list_key)) {
          list->in_snapshot = true;
        }
      }
      return;
    }
    report_->events++;
    CountProducer(record.producer);
    if (kind >= kEventKindCount) {
      report_->unknown_kinds++;
      return;
    }
    report_->kinds[kind]++;
    if (event.kind == EventKind::kOpBegin) {
      if (event.aux < kOpKindCount) {
        report_->ops[event.aux]++;
      } else {
        report_->unknown_ops++;
      }
    }
    if (const int8_t category = kRateCategories[kind]; category >= 0) {
      Bucket(event.timestamp)[static_cast<size_t>(category)]++;
    }
    if (resolution.list_key == 0) {
      // Stores are the resolver's count; markers are about no list by nature.
      if (event.kind != EventKind::kSlotStore && !IsCheckpointKind(event.kind)) {
        report_->unattributed_events++;
      }
      return;
    }
    if (resolution.dropped) {
      report_->dropped_events++;
      return;
    }
    ListReport* list = List(resolution.list_key);
    if (list == nullptr) {
      report_->other_lists_events++;
      return;
    }
    list->events++;
    list->kinds[kind]++;
    switch (event.kind) {
      case EventKind::kOpBegin:
        if (event.aux < kOpKindCount) {
          list->ops[event.aux]++;
        }
        break;
      case EventKind::kNodeAlloc:
        list->node_allocs++;
        break;
      case EventKind::kNodeFree:
        list->node_frees++;
        break;
      case EventKind::kNodeTransfer:
        list->nodes_in++;
        if (resolution.other_list_key != 0) {
          if (ListReport* from = List(resolution.other_list_key)) {
            from->nodes_out++;
          }
        }
        break;
      default:
        break;
    }
  }

  void OnOpBegin(const FileRecord&, uint64_t, const Resolution&, const TracedList*) override {}
  void OnOpEnd(uint32_t, uint64_t, OpKind, bool) override {}
  void OnInstant(const FileRecord&, const Resolution&, const TracedList*) override {}

  void OnCounters(uint64_t, const TracedList& traced, const ListCounters& counters) override {
    if (ListReport* list = List(traced.key)) {
      list->peak_nodes = std::max(list->peak_nodes, counters.nodes);
      list->peak_pages = std::max(list->peak_pages, counters.content.pages);
    }
  }

  void OnEnd(const TraceResolver& resolver, const ListContentTracker& content) override {
    // Lists the resolver knows but no event of the trace named (a snapshot's idle lists).
    std::vector<uint64_t> keys;
    keys.reserve(resolver.lists().size());
    for (const auto& [key, traced] : resolver.lists()) {
      keys.push_back(key);
    }
    std::sort(keys.begin(), keys.end());
    for (uint64_t key : keys) {
      ListReport* list = List(key);
      if (list == nullptr) {
        continue;
      }
      const TracedList& traced = *resolver.FindList(key);
      list->registry_id = traced.registry_id;
      list->name = PrintableListName(traced.name);
      list->label = ListLabel(traced);
      list->kind = traced.kind;
      list->alive_at_end = traced.alive;
      list->nodes_at_end = traced.nodes.size();
      list->content_at_end = content.Find(key);
      list->peak_nodes = std::max(list->peak_nodes, list->nodes_at_end);
      list->peak_pages = std::max(list->peak_pages, list->content_at_end.pages);
    }
    report_->lists.assign(std::make_move_iterator(lists_.begin()),
                          std::make_move_iterator(lists_.end()));
    std::sort(report_->lists.begin(), report_->lists.end(),
              [](const ListReport& a, const ListReport& b) { return a.key < b.key; });
    lists_.clear();
    cached_list_ = nullptr;
    list_index_.clear();

    report_->unattributed_stores = resolver.unattributed_stores();
    report_->inconsistencies = resolver.inconsistencies();
    report_->first_inconsistency = resolver.first_inconsistency();

    std::vector<uint32_t> producers;
    for (const auto& [index, events] : producer_events_) {
      producers.push_back(index);
    }
    std::sort(producers.begin(), producers.end());
    for (uint32_t index : producers) {
      ProducerReport producer;
      producer.index = index;
      producer.events = producer_events_[index];
      if (report_->losses) {
        for (const trace::ProducerLosses& losses : report_->losses->producers) {
          if (losses.index == index) {
            producer.tid = losses.tid;
          }
        }
      }
      report_->producers.push_back(producer);
    }
  }

  // The histogram in seconds, once the pass is over.
  RateHistogram Rates(double ticks_per_second) const {
    RateHistogram rates;
    rates.bucket_seconds = static_cast<double>(width_) / ticks_per_second;
    rates.buckets = buckets_;
    return rates;
  }

 private:
  ListReport* List(uint64_t key) {
    if (cached_list_ != nullptr && cached_key_ == key) {
      return cached_list_;
    }
    auto it = list_index_.find(key);
    if (it == list_index_.end()) {
      if (lists_.size() >= kMaxReportedLists) {
        if (other_keys_.size() < kMaxReportedLists && other_keys_.insert(key).second) {
          report_->other_lists++;
        }
        return nullptr;
      }
      it = list_index_.emplace(key, lists_.size()).first;
      lists_.emplace_back();
      lists_.back().key = key;
    }
    cached_key_ = key;
    cached_list_ = &lists_[it->second];  // stable: a deque does not move what it holds
    return cached_list_;
  }

  void CountProducer(uint32_t index) {
    if (cached_producer_ != nullptr && cached_producer_index_ == index) {
      ++*cached_producer_;
      return;
    }
    auto it = producer_events_.find(index);
    if (it == producer_events_.end()) {
      if (producer_events_.size() >= kMaxProducers) {
        report_->other_producers_events++;
        return;
      }
      it = producer_events_.emplace(index, 0).first;
    }
    ++it->second;
    cached_producer_index_ = index;
    cached_producer_ = &it->second;
  }

  std::array<uint64_t, kRateCategoryCount>& Bucket(uint64_t ticks) {
    const uint64_t since = ticks > origin_ ? ticks - origin_ : 0;
    uint64_t index = since / width_;
    while (index >= max_buckets_) {
      // Halve the resolution: merge pairs of buckets, double the width.
      const size_t merged = (buckets_.size() + 1) / 2;
      for (size_t i = 0; i < merged; i++) {
        std::array<uint64_t, kRateCategoryCount> sum = buckets_[2 * i];
        if (2 * i + 1 < buckets_.size()) {
          for (size_t c = 0; c < kRateCategoryCount; c++) {
            sum[c] += buckets_[2 * i + 1][c];
          }
        }
        buckets_[i] = sum;
      }
      buckets_.resize(merged);
      if (width_ > std::numeric_limits<uint64_t>::max() / 2) {
        index = max_buckets_ - 1;  // a stamp near 2^64 ticks: a damaged trace
        break;
      }
      width_ *= 2;
      index = since / width_;
    }
    if (index >= buckets_.size()) {
      buckets_.resize(index + 1);
    }
    return buckets_[index];
  }

  TraceReport* report_;
  size_t max_buckets_;
  uint64_t origin_ = 0;
  uint64_t width_ = 1;
  std::vector<std::array<uint64_t, kRateCategoryCount>> buckets_;
  std::deque<ListReport> lists_;  // until OnEnd moves them into the report
  std::unordered_map<uint64_t, size_t> list_index_;
  std::unordered_set<uint64_t> other_keys_;
  uint64_t cached_key_ = 0;
  ListReport* cached_list_ = nullptr;
  std::unordered_map<uint32_t, uint64_t> producer_events_;
  uint32_t cached_producer_index_ = 0;
  uint64_t* cached_producer_ = nullptr;
};

}  // namespace

TraceReport BuildTraceReport(const TraceReader& reader, const ReportOptions& options) {
  TraceReport report;
  report.file = reader.name();
  report.info = reader.info();
  report.complete = reader.complete();
  report.problem = reader.problem();
  report.losses = reader.losses();
  ReportSink sink(reader, options, &report);
  TimelineOptions timeline_options;
  timeline_options.slot_stores = false;  // the report counts them in OnRecord
  timeline_options.progress = options.progress;
  const TimelineStats stats = RunTimeline(reader, timeline_options, &sink);
  report.snapshot_records = stats.snapshot_records;
  report.first_ticks = stats.first_ticks;
  report.last_ticks = stats.last_ticks;
  const double ticks_per_second = reader.info().clock.ticks_per_second;
  report.duration_seconds =
      static_cast<double>(stats.last_ticks - stats.first_ticks) / ticks_per_second;
  report.unmatched_op_ends = stats.unmatched_op_ends;
  report.unterminated_ops = stats.closed_ops;
  report.rates = sink.Rates(ticks_per_second);
  return report;
}

}  // namespace vmpl::inspect
