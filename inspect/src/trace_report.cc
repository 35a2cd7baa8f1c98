// Trace analysis: slot contents per list, the timeline pass, and the report built on it
// (<vmpl/inspect/trace_report.h>).

#include <fmt/format.h>
#include <vmpl/inspect/rate_plot.h>
#include <vmpl/inspect/trace_report.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <unordered_set>
#include <utility>

namespace vmpl::inspect {

using trace::EventKind;
using trace::FileRecord;
using trace::OpKind;
using trace::RecordSpan;
using trace::TraceReader;

// ================================================================================================
// Slot contents.

SlotContent ClassifySlot(uint64_t raw) {
  if (raw == 0) {
    return SlotContent::kEmpty;
  }
  switch (raw & 0b11) {
    case 0b00:
      return SlotContent::kPage;
    case 0b01:
      return SlotContent::kMarker;
    case 0b10:
      return SlotContent::kReference;
    default:
      return SlotContent::kInterval;
  }
}

const char* SlotContentName(SlotContent content) {
  switch (content) {
    case SlotContent::kEmpty:
      return "empty";
    case SlotContent::kPage:
      return "page";
    case SlotContent::kReference:
      return "reference";
    case SlotContent::kMarker:
      return "marker";
    case SlotContent::kInterval:
      return "interval";
  }
  return "unknown";
}

uint64_t& ContentCounts::at(SlotContent content) {
  switch (content) {
    case SlotContent::kReference:
      return references;
    case SlotContent::kMarker:
      return markers;
    case SlotContent::kInterval:
      return intervals;
    case SlotContent::kPage:
    case SlotContent::kEmpty:
      break;
  }
  return pages;
}

namespace {

// Index into NodeCounts::counts; only for non-empty contents.
size_t ContentIndex(SlotContent content) { return static_cast<size_t>(content) - 1; }

// Subtracts without wrapping: a damaged trace may clear what it never stored.
void AddClamped(uint64_t* value, int delta) {
  if (delta >= 0) {
    *value += static_cast<uint64_t>(delta);
  } else if (*value >= static_cast<uint64_t>(-delta)) {
    *value -= static_cast<uint64_t>(-delta);
  } else {
    *value = 0;
  }
}

}  // namespace

void ListContentTracker::AddSlot(const SlotRef& slot, SlotContent content, int delta) {
  if (content == SlotContent::kEmpty || !slot.valid()) {
    return;
  }
  uint16_t& count = nodes_[slot.node_address].counts[ContentIndex(content)];
  if ((delta < 0 && count == 0) || (delta > 0 && count == UINT16_MAX)) {
    return;  // a damaged trace clears what the node never held, or fills more than it has
  }
  count = static_cast<uint16_t>(count + delta);
  AddClamped(&lists_[slot.list_key].at(content), delta);
}

void ListContentTracker::AddNode(uint64_t list_key, const NodeCounts& node, int sign) {
  if (list_key == 0 || node.empty()) {
    return;
  }
  ContentCounts& list = lists_[list_key];
  for (size_t i = 0; i < 4; i++) {
    AddClamped(&list.at(static_cast<SlotContent>(i + 1)), sign * node.counts[i]);
  }
}

void ListContentTracker::Recount(uint64_t list_key, const TraceResolver& resolver) {
  if (list_key == 0) {
    return;
  }
  ContentCounts total;
  const TracedList* list = resolver.FindList(list_key);
  auto add = [this, &total](uint64_t node_address) {
    auto it = nodes_.find(node_address);
    if (it == nodes_.end()) {
      return;
    }
    for (size_t i = 0; i < 4; i++) {
      total.at(static_cast<SlotContent>(i + 1)) += it->second.counts[i];
    }
  };
  if (list != nullptr && list->alive) {
    for (const auto& [offset, node_address] : list->nodes) {
      add(node_address);
    }
    if (list->kind == trace::ListKind::kSpliceList && list->address != 0) {
      add(list->address + resolver.layout().splice_head_offset);
      add(list->address + resolver.layout().splice_tail_offset);
    }
  }
  lists_[list_key] = total;
}

bool ListContentTracker::Apply(const trace::Event& event, const Resolution& resolution,
                               const TraceResolver& resolver) {
  switch (event.kind) {
    case EventKind::kSlotStore: {
      const SlotContent before = ClassifySlot(event.arg[0]);
      const SlotContent after = ClassifySlot(event.arg[1]);
      bool changed = false;
      if (resolution.slot.valid() && before != after) {
        AddSlot(resolution.slot, before, -1);
        AddSlot(resolution.slot, after, +1);
        changed = true;
      }
      // The moved-from slot held what the destination now holds, and is empty now.
      if (resolution.moved_from.valid() && after != SlotContent::kEmpty) {
        AddSlot(resolution.moved_from, after, -1);
        changed = true;
      }
      return changed;
    }
    case EventKind::kNodeAlloc:
      nodes_.erase(event.arg[0]);  // a new node is empty, whatever a damaged trace said before
      return true;
    case EventKind::kNodeFree: {
      auto it = nodes_.find(event.arg[0]);
      if (it != nodes_.end()) {
        AddNode(resolution.list_key, it->second, -1);
        nodes_.erase(it);
      }
      return true;
    }
    case EventKind::kNodeTransfer: {
      auto it = nodes_.find(event.arg[0]);
      if (it != nodes_.end()) {
        AddNode(resolution.other_list_key, it->second, -1);
        AddNode(resolution.list_key, it->second, +1);
      }
      return true;
    }
    case EventKind::kListCreate:
      if (const TracedList* list = resolver.FindList(resolution.list_key);
          list != nullptr && list->kind == trace::ListKind::kSpliceList) {
        nodes_.erase(event.object + resolver.layout().splice_head_offset);
        nodes_.erase(event.object + resolver.layout().splice_tail_offset);
      }
      Recount(resolution.list_key, resolver);
      return true;
    case EventKind::kListMove:
    case EventKind::kListDestroy:
      Recount(resolution.list_key, resolver);
      Recount(resolution.other_list_key, resolver);
      return true;
    default:
      return false;
  }
}

ContentCounts ListContentTracker::Find(uint64_t key) const {
  auto it = lists_.find(key);
  return it == lists_.end() ? ContentCounts{} : it->second;
}

namespace {

// Names come from an untrusted file and end up on terminals, in JSON, SVG and FXT: keep printable
// ASCII only, and not too much of it.
std::string PrintableName(const std::string& name) {
  constexpr size_t kMaxName = 64;
  std::string out;
  out.reserve(std::min(name.size(), kMaxName));
  for (char c : name) {
    if (out.size() == kMaxName) {
      break;
    }
    out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  }
  return out;
}

}  // namespace

std::string ListLabel(const TracedList& list) {
  if (list.registry_id != 0) {
    return list.name.empty() ? fmt::format("#{}", list.registry_id)
                             : fmt::format("{} #{}", PrintableName(list.name), list.registry_id);
  }
  return list.address != 0 ? fmt::format("list {} @{:#x}", list.key, list.address)
                           : fmt::format("list {}", list.key);
}

const std::string& ListLabelCache::Get(const TraceResolver& resolver, uint64_t key) {
  const TracedList* list = resolver.FindList(key);
  if (list == nullptr) {
    unknown_ = fmt::format("list {}", key);
    return unknown_;
  }
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& entry = it->second;
  if (inserted || entry.registry_id != list->registry_id || entry.name != list->name) {
    entry.registry_id = list->registry_id;
    entry.name = list->name;
    entry.label = ListLabel(*list);
  }
  return entry.label;
}

// ================================================================================================
// The timeline pass.

namespace {

constexpr uint64_t kProgressEvery = uint64_t{1} << 20;

bool IsCheckpointKind(EventKind kind) {
  return kind == EventKind::kCheckpoint || kind == EventKind::kSnapshotBegin ||
         kind == EventKind::kSnapshotEnd;
}

class Timeline {
 public:
  Timeline(const TraceReader& reader, const TimelineOptions& options, TimelineSink* sink)
      : reader_(reader), options_(options), sink_(sink), resolver_(reader.info().layout) {}

  TimelineStats Run() {
    sink_->OnStart(resolver_);
    for (const RecordSpan& span : reader_.snapshot_spans()) {
      for (size_t i = 0; i < span.count; i++) {
        const FileRecord& record = span.data[i];
        const Resolution resolution = resolver_.Apply(record.event);
        if (content_.Apply(record.event, resolution, resolver_)) {
          MarkDirty(resolution);
        }
        sink_->OnRecord(record, resolution, /*snapshot=*/true);
        stats_.snapshot_records++;
      }
    }
    const uint64_t total = reader_.event_count();
    for (const RecordSpan& span : reader_.event_spans()) {
      for (size_t i = 0; i < span.count; i++) {
        if (stats_.events % kProgressEvery == 0 && stats_.events != 0 && options_.progress) {
          options_.progress(stats_.events, total);
        }
        Event(span.data[i]);
      }
    }
    // Close what is still open, at the last timestamp, in producer order.
    std::vector<uint32_t> open;
    for (const auto& [index, producer] : producers_) {
      if (!producer.stack.empty()) {
        open.push_back(index);
      }
    }
    std::sort(open.begin(), open.end());
    for (uint32_t index : open) {
      Producer& producer = producers_[index];
      const uint64_t ticks = producer.Stamp(stats_.last_ticks);
      while (!producer.stack.empty()) {
        sink_->OnOpEnd(index, ticks, producer.stack.back(), /*synthesized=*/true);
        producer.stack.pop_back();
        stats_.closed_ops++;
      }
    }
    Flush(stats_.last_ticks);
    sink_->OnEnd(resolver_, content_);
    if (options_.progress) {
      options_.progress(stats_.events, total);
    }
    stats_.producers = producers_.size();
    return stats_;
  }

 private:
  struct Producer {
    std::vector<OpKind> stack;
    uint64_t floor = 0;  // the latest begin or end shown: later ones are not stamped earlier

    uint64_t Stamp(uint64_t ticks) {
      floor = std::max(floor, ticks);
      return floor;
    }
  };
  struct CounterState {
    ListCounters last;
    bool emitted = false;
    bool dirty = false;
  };

  void Event(const FileRecord& record) {
    const trace::Event& event = record.event;
    if (stats_.events++ == 0) {
      stats_.first_ticks = event.timestamp;
      stats_.last_ticks = event.timestamp;
      Flush(event.timestamp);  // the state the snapshot built
    }
    stats_.last_ticks = std::max(stats_.last_ticks, event.timestamp);
    const Resolution resolution = resolver_.Apply(event);
    if (content_.Apply(event, resolution, resolver_)) {
      MarkDirty(resolution);
    }
    sink_->OnRecord(record, resolution, /*snapshot=*/false);

    const EventKind kind = event.kind;
    if (static_cast<size_t>(kind) >= kEventKindCount || kind == EventKind::kInvalid) {
      stats_.unknown_kinds++;
      return;
    }
    if (IsCheckpointKind(kind)) {
      stats_.checkpoints++;
      return;
    }
    if (resolution.dropped) {
      stats_.dropped++;
      return;
    }
    Producer* producer = FindProducer(record.producer);
    const TracedList* list =
        resolution.list_key != 0 ? resolver_.FindList(resolution.list_key) : nullptr;
    if (kind == EventKind::kOpBegin && producer != nullptr &&
        producer->stack.size() < kMaxOpDepth) {
      producer->stack.push_back(static_cast<OpKind>(event.aux));
      sink_->OnOpBegin(record, producer->Stamp(event.timestamp), resolution, list);
      stats_.ops++;
    } else if (kind == EventKind::kOpEnd && producer != nullptr) {
      End(record, producer);
    } else if (kind == EventKind::kOpEnd) {
      stats_.unmatched_op_ends++;
    } else if (kind == EventKind::kOpBegin || list != nullptr) {
      if (kind == EventKind::kOpBegin) {
        stats_.too_deep_ops += producer != nullptr ? 1 : 0;
      }
      if (kind != EventKind::kSlotStore || options_.slot_stores) {
        sink_->OnInstant(record, resolution, list);
        stats_.instants++;
      }
    } else {
      stats_.unattributed++;
    }
    if (producer == nullptr || producer->stack.empty()) {
      Flush(event.timestamp);
    }
  }

  // Closes the innermost open operation of the same kind, and every operation opened inside it
  // whose end was lost.
  void End(const FileRecord& record, Producer* producer) {
    const OpKind op = static_cast<OpKind>(record.event.aux);
    auto it = std::find(producer->stack.rbegin(), producer->stack.rend(), op);
    if (it == producer->stack.rend()) {
      stats_.unmatched_op_ends++;
      return;
    }
    const size_t depth = static_cast<size_t>(producer->stack.rend() - it) - 1;
    const uint64_t ticks = producer->Stamp(record.event.timestamp);
    while (producer->stack.size() > depth + 1) {
      sink_->OnOpEnd(record.producer, ticks, producer->stack.back(), /*synthesized=*/true);
      producer->stack.pop_back();
      stats_.closed_ops++;
    }
    sink_->OnOpEnd(record.producer, ticks, op, /*synthesized=*/false);
    producer->stack.pop_back();
  }

  Producer* FindProducer(uint32_t index) {
    if (cached_producer_ != nullptr && cached_producer_index_ == index) {
      return cached_producer_;
    }
    auto it = producers_.find(index);
    if (it == producers_.end()) {
      if (producers_.size() >= kMaxProducers) {
        stats_.producers_over_limit++;
        return nullptr;
      }
      it = producers_.emplace(index, Producer{}).first;
      sink_->OnProducer(index);
    }
    cached_producer_index_ = index;
    cached_producer_ = &it->second;  // stable: unordered_map nodes do not move
    return cached_producer_;
  }

  void MarkDirty(const Resolution& resolution) {
    for (uint64_t key : {resolution.list_key, resolution.other_list_key}) {
      if (key == 0) {
        continue;
      }
      CounterState& state = counters_[key];
      if (!state.dirty) {
        state.dirty = true;
        dirty_.push_back(key);
      }
    }
  }

  void Flush(uint64_t ticks) {
    for (uint64_t key : dirty_) {
      CounterState& state = counters_[key];
      state.dirty = false;
      const TracedList* list = resolver_.FindList(key);
      if (list == nullptr) {
        continue;
      }
      const ListCounters now{list->nodes.size(), content_.Find(key)};
      if (state.emitted ? now == state.last : now == ListCounters{}) {
        continue;
      }
      state.last = now;
      state.emitted = true;
      sink_->OnCounters(ticks, *list, now);
      stats_.counter_samples++;
    }
    dirty_.clear();
  }

  const TraceReader& reader_;
  const TimelineOptions& options_;
  TimelineSink* sink_;
  TraceResolver resolver_;
  ListContentTracker content_;
  std::unordered_map<uint32_t, Producer> producers_;
  uint32_t cached_producer_index_ = 0;
  Producer* cached_producer_ = nullptr;
  std::unordered_map<uint64_t, CounterState> counters_;
  std::vector<uint64_t> dirty_;
  TimelineStats stats_;
};

}  // namespace

const char* EventCategory(EventKind kind) {
  switch (kind) {
    case EventKind::kSlotStore:
      return "slot";
    case EventKind::kNodeAlloc:
    case EventKind::kNodeFree:
    case EventKind::kNodeTransfer:
    case EventKind::kInlineNodeOffset:
      return "node";
    case EventKind::kSkewSet:
    case EventKind::kListCreate:
    case EventKind::kListDestroy:
    case EventKind::kListMove:
    case EventKind::kListTracing:
      return "list";
    case EventKind::kRegister:
    case EventKind::kUnregister:
    case EventKind::kSetAddress:
    case EventKind::kName:
      return "registry";
    case EventKind::kSplicePosition:
    case EventKind::kSpliceFinalize:
      return "splice";
    case EventKind::kOpBegin:
    case EventKind::kOpEnd:
      return "op";
    case EventKind::kIntervalAdd:
    case EventKind::kIntervalSplit:
    case EventKind::kIntervalClip:
    case EventKind::kIntervalMerge:
    case EventKind::kIntervalReplace:
      return "interval";
    default:
      return "trace";
  }
}

namespace {

// The VMO offset of a slot: its node's key plus the slot's pages, less its list's skew (a slot
// below the skew has no VMO offset; its key offset is given instead).
uint64_t SlotOffset(const SlotRef& slot, const TraceResolver& resolver) {
  const uint64_t page_size = resolver.layout().page_size != 0 ? resolver.layout().page_size : 4096;
  const uint64_t key_offset =
      static_cast<uint64_t>(slot.node_offset) + static_cast<uint64_t>(slot.index) * page_size;
  const TracedList* list = resolver.FindList(slot.list_key);
  const uint64_t skew = list != nullptr ? list->skew : 0;
  return key_offset >= skew ? key_offset - skew : key_offset;
}

}  // namespace

size_t DescribeEvent(const trace::Event& event, const Resolution& resolution,
                     const TraceResolver& resolver, EventArg (&args)[kMaxEventArgs]) {
  size_t n = 0;
  auto add = [&](const char* name, EventArgType type, uint64_t value) {
    if (n < kMaxEventArgs) {
      args[n++] = EventArg{name, type, value};
    }
  };
  if (resolution.list_key != 0) {
    add("list", EventArgType::kList, resolution.list_key);
  }
  switch (event.kind) {
    case EventKind::kSlotStore: {
      const SlotRef& slot = resolution.slot;
      if (slot.valid()) {
        add("offset", EventArgType::kHex, SlotOffset(slot, resolver));
        add("node_key", EventArgType::kHex, static_cast<uint64_t>(slot.node_offset));
        add("slot", EventArgType::kUint, static_cast<uint64_t>(slot.index));
      } else {
        add("slot_address", EventArgType::kHex, event.object);  // a temporary
      }
      add("old", EventArgType::kContent, static_cast<uint64_t>(ClassifySlot(event.arg[0])));
      add("new", EventArgType::kContent, static_cast<uint64_t>(ClassifySlot(event.arg[1])));
      add("new_raw", EventArgType::kHex, event.arg[1]);
      if (resolution.moved_from.valid()) {
        const SlotRef& from = resolution.moved_from;
        if (from.list_key != resolution.list_key) {
          add("from_list", EventArgType::kList, from.list_key);
        }
        add("from_offset", EventArgType::kHex, SlotOffset(from, resolver));
      }
      break;
    }
    case EventKind::kNodeAlloc:
    case EventKind::kNodeFree:
    case EventKind::kInlineNodeOffset:
      add("node_key", EventArgType::kHex, event.arg[1]);
      add("node", EventArgType::kHex, event.arg[0]);
      break;
    case EventKind::kNodeTransfer:
      add("node_key", EventArgType::kHex, event.arg[1]);
      add("node", EventArgType::kHex, event.arg[0]);
      if (resolution.other_list_key != 0) {
        add("from_list", EventArgType::kList, resolution.other_list_key);
      }
      break;
    case EventKind::kSkewSet:
      add("skew", EventArgType::kHex, event.arg[0]);
      break;
    case EventKind::kListCreate:
      add("address", EventArgType::kHex, event.object);
      if (event.arg[0] == static_cast<uint64_t>(trace::ListKind::kSpliceList)) {
        add("splice_offset", EventArgType::kHex, event.arg[1]);
        add("splice_length", EventArgType::kHex, event.arg[2]);
      }
      break;
    case EventKind::kListDestroy:
      add("address", EventArgType::kHex, event.object);
      break;
    case EventKind::kListMove:
      add("from_address", EventArgType::kHex, event.arg[0]);
      if (resolution.other_list_key != 0) {
        add("from_list", EventArgType::kList, resolution.other_list_key);
      }
      break;
    case EventKind::kRegister:
    case EventKind::kUnregister:
    case EventKind::kSetAddress:
      add("id", EventArgType::kUint, event.arg[0]);
      if (event.kind != EventKind::kUnregister) {
        add("address", EventArgType::kHex, event.arg[1]);
      }
      break;
    case EventKind::kName:
      add("id", EventArgType::kUint, event.object);
      add("chunk_offset", EventArgType::kUint, event.aux);
      break;
    case EventKind::kSplicePosition:
      add("position", EventArgType::kHex, event.arg[0]);
      break;
    case EventKind::kOpBegin:
      add("offset", EventArgType::kHex, event.arg[0]);
      add("end_or_length", EventArgType::kHex, event.arg[1]);
      if (resolution.other_list_key != 0) {
        add("other_list", EventArgType::kList, resolution.other_list_key);
      } else if (event.arg[2] != 0) {
        add("other_address", EventArgType::kHex, event.arg[2]);
      }
      break;
    case EventKind::kIntervalAdd:
    case EventKind::kIntervalMerge:
      add("start", EventArgType::kHex, event.arg[0]);
      add("end", EventArgType::kHex, event.arg[1]);
      break;
    case EventKind::kIntervalSplit:
    case EventKind::kIntervalReplace:
      add("offset", EventArgType::kHex, event.arg[0]);
      break;
    case EventKind::kIntervalClip:
      add(event.aux == 0 ? "old_start" : "old_end", EventArgType::kHex, event.arg[0]);
      add(event.aux == 0 ? "new_start" : "new_end", EventArgType::kHex, event.arg[1]);
      break;
    case EventKind::kListTracing:
      add("on", EventArgType::kUint, event.arg[0] != 0 ? 1 : 0);
      break;
    default:
      break;
  }
  return n;
}

TimelineStats RunTimeline(const TraceReader& reader, const TimelineOptions& options,
                          TimelineSink* sink) {
  Timeline timeline(reader, options, sink);
  return timeline.Run();
}

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
      list->name = PrintableName(traced.name);
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

// ================================================================================================
// Text.

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

// ================================================================================================
// JSON.

namespace {

nlohmann::ordered_json Content(const ContentCounts& counts) {
  return {{"pages", counts.pages},
          {"references", counts.references},
          {"markers", counts.markers},
          {"interval_slots", counts.intervals}};
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
