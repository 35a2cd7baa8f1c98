// EventLog and EventFilter: the kept events, the counts and the rates of a source's event stream
// (event_log.h).

#include "vmpl/tui/event_log.h"

#include <algorithm>

namespace vmpl::tui {

using trace::EventKind;

bool InKindGroup(EventKindGroup group, EventKind kind) {
  switch (group) {
    case EventKindGroup::kAll:
      return true;
    case EventKindGroup::kSlotStores:
      return kind == EventKind::kSlotStore;
    case EventKindGroup::kNodes:
      return kind == EventKind::kNodeAlloc || kind == EventKind::kNodeFree ||
             kind == EventKind::kNodeTransfer;
    case EventKindGroup::kOperations:
      return kind == EventKind::kOpBegin || kind == EventKind::kOpEnd ||
             kind == EventKind::kCheckpoint;
    case EventKindGroup::kIntervals:
      return kind == EventKind::kIntervalAdd || kind == EventKind::kIntervalSplit ||
             kind == EventKind::kIntervalClip || kind == EventKind::kIntervalMerge ||
             kind == EventKind::kIntervalReplace;
    case EventKindGroup::kLists:
      switch (kind) {
        case EventKind::kSkewSet:
        case EventKind::kListCreate:
        case EventKind::kListDestroy:
        case EventKind::kListMove:
        case EventKind::kInlineNodeOffset:
        case EventKind::kRegister:
        case EventKind::kUnregister:
        case EventKind::kSetAddress:
        case EventKind::kName:
        case EventKind::kSplicePosition:
        case EventKind::kSpliceFinalize:
        case EventKind::kListTracing:
          return true;
        default:
          return false;
      }
  }
  return false;
}

std::string_view EventKindGroupName(EventKindGroup group) {
  switch (group) {
    case EventKindGroup::kAll:
      return "all";
    case EventKindGroup::kSlotStores:
      return "slot stores";
    case EventKindGroup::kNodes:
      return "nodes";
    case EventKindGroup::kOperations:
      return "operations";
    case EventKindGroup::kIntervals:
      return "intervals";
    case EventKindGroup::kLists:
      return "lists";
  }
  return "all";
}

void EventFilter::NextKindGroup() {
  group_ = static_cast<EventKindGroup>((static_cast<int>(group_) + 1) % kEventKindGroupCount);
}

std::string EventFilter::Describe(const ListNamer& name) const {
  std::string out;
  if (list_ != 0) {
    out = "list " + (name ? name(list_) : std::string());
  }
  if (group_ != EventKindGroup::kAll) {
    if (!out.empty()) {
      out += ", ";
    }
    out += "kinds: ";
    out += kind_group_name();
  }
  return out.empty() ? "all" : out;
}

EventLog::EventLog(size_t capacity) : capacity_(capacity) {}

void EventLog::Count(const StreamEvent& event) { Count(event.event.kind, event.time_ns); }

void EventLog::Count(trace::EventKind kind, uint64_t time_ns) {
  if (!first_time_ns_) {
    first_time_ns_ = time_ns;
  }
  total_++;
  totals_[Bucket(kind)]++;
}

void EventLog::Keep(const StreamEvent& event) {
  if (capacity_ == 0) {
    return;
  }
  // The vector grows as events arrive, so a large capacity costs memory only once it is used.
  if (events_.size() < capacity_) {
    events_.push_back(event);
    return;
  }
  events_[next_] = event;
  next_ = next_ + 1 == capacity_ ? 0 : next_ + 1;
}

void EventLog::Add(const StreamEvent& event) {
  Count(event);
  Keep(event);
}

void EventLog::Add(std::span<const StreamEvent> events) {
  for (const StreamEvent& event : events) {
    Count(event);
  }
  // Only the last |capacity_| of a long batch would survive: copy only those.
  const size_t keep = std::min(events.size(), capacity_);
  for (const StreamEvent& event : events.last(keep)) {
    Keep(event);
  }
}

void EventLog::AddLost(uint64_t count) { lost_ += count; }

void EventLog::Clear() {
  events_.clear();
  next_ = 0;
  total_ = 0;
  totals_.fill(0);
  lost_ = 0;
  first_time_ns_.reset();
  samples_.clear();
  rate_ = 0;
  rates_.fill(0);
}

void EventLog::Tick(uint64_t now_ns) {
  if (!samples_.empty() && now_ns < samples_.back().time_ns) {
    // A replay scrubbed backwards, or a clock that jumped: the old samples say nothing about now.
    samples_.clear();
  }
  Sample now;
  now.time_ns = now_ns;
  now.total = total_;
  now.totals = totals_;
  samples_.push_back(now);
  // Keep, as the oldest sample, the newest one that is at least a second old: the window is then
  // between one second and one second plus a refresh.
  constexpr uint64_t kWindowNs = 1'000'000'000;
  while (samples_.size() >= 2 && now_ns - samples_[1].time_ns >= kWindowNs) {
    samples_.pop_front();
  }
  while (samples_.size() > kMaxSamples) {
    samples_.pop_front();
  }
  const Sample& base = samples_.front();
  if (base.time_ns == now_ns) {
    rate_ = 0;
    rates_.fill(0);
    return;
  }
  const double seconds = static_cast<double>(now_ns - base.time_ns) / 1e9;
  rate_ = static_cast<double>(total_ - base.total) / seconds;
  for (size_t b = 0; b < kBuckets; b++) {
    rates_[b] = static_cast<double>(totals_[b] - base.totals[b]) / seconds;
  }
}

const StreamEvent& EventLog::at(size_t index) const {
  // Until the ring is full |next_| is 0 and the vector is in order.
  const size_t slot = next_ + index;
  return events_[slot < events_.size() ? slot : slot - events_.size()];
}

const StreamEvent& EventLog::FromNewest(size_t index) const {
  return at(events_.size() - 1 - index);
}

std::vector<const StreamEvent*> EventLog::Newest(const EventFilter& filter, size_t max,
                                                 size_t skip) const {
  std::vector<const StreamEvent*> out;
  if (max == 0) {
    return out;
  }
  out.reserve(std::min(max, events_.size()));
  size_t passed = 0;
  for (size_t i = 0; i < events_.size() && out.size() < max; i++) {
    const StreamEvent& event = FromNewest(i);
    if (!filter.Matches(event)) {
      continue;
    }
    if (passed++ >= skip) {
      out.push_back(&event);
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

size_t EventLog::CountMatching(const EventFilter& filter) const {
  if (filter == EventFilter()) {
    return events_.size();  // the default filter passes everything
  }
  size_t count = 0;
  for (const StreamEvent& event : events_) {
    count += filter.Matches(event) ? 1 : 0;
  }
  return count;
}

std::optional<size_t> EventLog::NewerThan(const EventFilter& filter, uint64_t stream_index) const {
  size_t newer = 0;
  for (size_t i = 0; i < events_.size(); i++) {
    const StreamEvent& event = FromNewest(i);
    if (!filter.Matches(event)) {
      continue;
    }
    if (event.index == stream_index) {
      return newer;
    }
    newer++;
  }
  return std::nullopt;
}

}  // namespace vmpl::tui
