// The trace timeline (<vmpl/inspect/trace_timeline.h>): slot counts per list, list labels, the
// timeline pass, and the description of each event it shows.

#include <fmt/format.h>
#include <vmpl/inspect/trace_timeline.h>

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

namespace vmpl::inspect {

using trace::EventKind;
using trace::FileRecord;
using trace::OpKind;
using trace::RecordSpan;
using trace::TraceReader;

// ================================================================================================
// Slots, by the shared decoder. Trace code decodes a raw slot value here and nowhere else.

namespace {

// What one raw slot value adds to its list's counts (0 or 1 in each).
SlotCounts CountsOf(uint64_t raw) {
  SlotCounts counts;
  counts.Add(raw);
  return counts;
}

// The kind of a raw slot value as the decoder names it ("empty", "page", ...). The names are
// string literals: static and null-terminated.
const char* KindName(uint64_t raw) { return SlotKindName(DecodeRawSlot(raw).kind).data(); }

// The counts of a SlotCounts in NodeCounts::counts order.
constexpr uint64_t SlotCounts::*kCountFields[] = {
    &SlotCounts::pages, &SlotCounts::references, &SlotCounts::markers,
    &SlotCounts::interval_sentinels, &SlotCounts::intervals};

}  // namespace

// ================================================================================================
// Slot counts per list.

namespace {

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

bool ListContentTracker::NodeCounts::empty() const {
  return std::all_of(counts.begin(), counts.end(), [](uint16_t count) { return count == 0; });
}

void ListContentTracker::AddSlot(const SlotRef& slot, const SlotCounts& content, int delta) {
  static_assert(std::size(kCountFields) == kCounts);
  if (!slot.valid()) {
    return;
  }
  for (size_t i = 0; i < kCounts; i++) {
    if (content.*kCountFields[i] == 0) {
      continue;
    }
    uint16_t& count = nodes_[slot.node_address].counts[i];
    if ((delta < 0 && count == 0) || (delta > 0 && count == UINT16_MAX)) {
      continue;  // a damaged trace clears what the node never held, or fills more than it has
    }
    count = static_cast<uint16_t>(count + delta);
    AddClamped(&(lists_[slot.list_key].*kCountFields[i]), delta);
  }
}

void ListContentTracker::AddNode(uint64_t list_key, const NodeCounts& node, int sign) {
  if (list_key == 0 || node.empty()) {
    return;
  }
  SlotCounts& list = lists_[list_key];
  for (size_t i = 0; i < kCounts; i++) {
    AddClamped(&(list.*kCountFields[i]), sign * node.counts[i]);
  }
}

void ListContentTracker::Recount(uint64_t list_key, const TraceResolver& resolver) {
  if (list_key == 0) {
    return;
  }
  SlotCounts total;
  const TracedList* list = resolver.FindList(list_key);
  auto add = [this, &total](uint64_t node_address) {
    auto it = nodes_.find(node_address);
    if (it == nodes_.end()) {
      return;
    }
    for (size_t i = 0; i < kCounts; i++) {
      total.*kCountFields[i] += it->second.counts[i];
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
      const SlotCounts before = CountsOf(event.arg[0]);
      const SlotCounts after = CountsOf(event.arg[1]);
      bool changed = false;
      if (resolution.slot.valid() && before != after) {
        AddSlot(resolution.slot, before, -1);
        AddSlot(resolution.slot, after, +1);
        changed = true;
      }
      // The moved-from slot held what the destination now holds, and is empty now.
      if (resolution.moved_from.valid() && after != SlotCounts{}) {
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

SlotCounts ListContentTracker::Find(uint64_t key) const {
  auto it = lists_.find(key);
  return it == lists_.end() ? SlotCounts{} : it->second;
}

// ================================================================================================
// Lists by name.

std::string PrintableListName(const std::string& name) {
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

std::string ListLabel(const TracedList& list) {
  if (list.registry_id != 0) {
    return list.name.empty()
               ? fmt::format("#{}", list.registry_id)
               : fmt::format("{} #{}", PrintableListName(list.name), list.registry_id);
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

bool IsCheckpointKind(EventKind kind) {
  return kind == EventKind::kCheckpoint || kind == EventKind::kSnapshotBegin ||
         kind == EventKind::kSnapshotEnd;
}

namespace {

constexpr uint64_t kProgressEvery = uint64_t{1} << 20;

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
  auto add_text = [&](const char* name, const char* text) {
    if (n < kMaxEventArgs) {
      args[n++] = EventArg{name, EventArgType::kText, 0, text};
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
      add_text("old", KindName(event.arg[0]));
      add_text("new", KindName(event.arg[1]));
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

}  // namespace vmpl::inspect
