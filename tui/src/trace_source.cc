// The trace source: a recorded trace replayed up to a time cursor (trace_source.h).

#include "vmpl/tui/trace_source.h"

#include <fmt/format.h>
#include <string.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_replay.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/page_list_access.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace vmpl::tui {
namespace {

using inspect::Resolution;
using vmpl::Snapshot;
using vmpl::SnapshotList;
using vmpl::SnapshotListKind;
using vmpl::SnapshotNode;
using vmpl::SnapshotProblem;
using inspect::TracedList;
using inspect::TraceReplay;
using inspect::TraceResolver;
using trace::Event;
using trace::EventKind;
using trace::ListKind;

// Events kept, resolved as they were applied, behind the cursor: enough for any events pane.
constexpr size_t kRecentEvents = 4096;
// The most events one EventsAround call returns.
constexpr size_t kMaxWindow = size_t{1} << 16;

// Events whose |object| is the list (or splice list) they are about.
bool ObjectIsList(EventKind kind) {
  switch (kind) {
    case EventKind::kNodeAlloc:
    case EventKind::kNodeFree:
    case EventKind::kNodeTransfer:
    case EventKind::kSkewSet:
    case EventKind::kListCreate:
    case EventKind::kListDestroy:
    case EventKind::kListMove:
    case EventKind::kInlineNodeOffset:
    case EventKind::kSplicePosition:
    case EventKind::kSpliceFinalize:
    case EventKind::kOpBegin:
    case EventKind::kOpEnd:
    case EventKind::kIntervalAdd:
    case EventKind::kIntervalSplit:
    case EventKind::kIntervalClip:
    case EventKind::kIntervalMerge:
    case EventKind::kIntervalReplace:
    case EventKind::kListTracing:
      return true;
    default:
      return false;
  }
}

// The list address an event names by itself, whatever the resolver knows: a destroyed list's
// TracedList has address 0, but its destroy event still belongs to the object it names.
uint64_t NamedListAddress(const Event& event) {
  if (ObjectIsList(event.kind)) {
    return event.object;
  }
  if (event.kind == EventKind::kRegister || event.kind == EventKind::kSetAddress) {
    return event.arg[1];
  }
  return 0;
}

Event MakeEvent(EventKind kind, uint64_t object, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                uint64_t a3 = 0, uint32_t aux = 0) {
  Event event{};
  event.object = object;
  event.kind = kind;
  event.cpu = 0xffff;
  event.aux = aux;
  event.arg[0] = a0;
  event.arg[1] = a1;
  event.arg[2] = a2;
  event.arg[3] = a3;
  return event;
}

// What went wrong while replaying up to the cursor, counted from the start of the trace.
struct Tally {
  uint64_t divergences = 0;
  std::string first_divergence;
  uint64_t inconsistencies = 0;
  std::string first_inconsistency;
};

// The state at |position| as records that rebuild it in a fresh TraceReplay.
struct Keyframe {
  std::vector<Event> records;
  Tally tally;
  size_t bytes() const { return records.size() * sizeof(Event); }
};

class TraceSource : public Source {
 public:
  TraceSource(std::string path, std::unique_ptr<trace::TraceReader> reader,
              const TraceSourceOptions& options)
      : path_(std::move(path)), reader_(std::move(reader)), options_(options) {
    const trace::TraceClock& clock = reader_->info().clock;
    clock_.ticks_per_second = clock.ticks_per_second;
    clock_.base_ticks = clock.base_ticks;
    clock_.base_ns = clock.base_monotonic_ns;
    interval_ = options_.keyframe_interval;
    StartOver();
  }

  std::string Describe() const override {
    if (reader_->problem().empty()) {
      return "trace " + path_;
    }
    return fmt::format("trace {} ({})", path_, reader_->problem());
  }

  bool live() const override { return false; }

  Snapshot Read() override;

  std::string EventsStatus() const override { return ""; }

  std::optional<PageStruct> ReadPage(uint64_t address, std::string* error) override {
    (void)address;
    *error = "a trace records slot values, not the vm_page_t structs they point to";
    return std::nullopt;
  }

  std::optional<CursorState> Cursor() const override;
  bool Seek(uint64_t position, std::string* error) override;
  std::vector<StreamEvent> EventsAround(uint64_t first, size_t count) override;

 private:
  uint64_t size() const { return reader_->event_count(); }
  uint64_t TimeOf(uint64_t index) const {
    const trace::FileRecord* record = reader_->EventAt(index);
    return record != nullptr ? clock_.ToNs(record->event.timestamp) : 0;
  }

  // A fresh replay at position 0: the snapshot records applied.
  void StartOver();
  // A fresh replay at the keyframe's position.
  void Restore(uint64_t position, const Keyframe& keyframe);
  // Applies the events from the cursor up to |target| (> position_).
  void Advance(uint64_t target);
  // Folds the replay's and resolver's new complaints into tally_ after an event.
  void Count(uint64_t index);
  // Keyframes: taken at multiples of interval_, within the budget.
  void MaybeKeyframe();
  Keyframe Capture() const;
  uint64_t NextKeyframe() const {
    return interval_ == 0 ? UINT64_MAX : (position_ / interval_ + 1) * interval_;
  }

  StreamEvent Finish(StreamEvent event) const {
    if (event.list_address == 0) {
      event.list_address = NamedListAddress(event.event);
    }
    return event;
  }
  StreamEvent ResolveWithoutApplying(const Event& event, uint64_t index) const;

  std::string path_;
  std::unique_ptr<trace::TraceReader> reader_;
  TraceSourceOptions options_;
  EventClock clock_;

  std::unique_ptr<TraceReplay> replay_;
  uint64_t position_ = 0;
  Tally tally_;
  // The replay's and its resolver's counts already folded into tally_.
  uint64_t seen_divergences_ = 0;
  uint64_t seen_inconsistencies_ = 0;
  // Events [position_ - recent_.size(), position_), as resolved when applied.
  std::deque<StreamEvent> recent_;

  uint64_t interval_ = 0;
  uint64_t next_keyframe_ = UINT64_MAX;
  std::map<uint64_t, Keyframe> keyframes_;  // position -> keyframe
  size_t keyframe_bytes_ = 0;
};

void TraceSource::StartOver() {
  replay_ = std::make_unique<TraceReplay>(reader_->info().layout);
  tally_ = Tally{};
  seen_divergences_ = 0;
  seen_inconsistencies_ = 0;
  recent_.clear();
  uint64_t index = 0;
  for (const trace::FileRecord& record : reader_->snapshot()) {
    replay_->Apply(record.event, index);
    Count(index++);
  }
  position_ = 0;
  next_keyframe_ = NextKeyframe();
}

void TraceSource::Restore(uint64_t position, const Keyframe& keyframe) {
  replay_ = std::make_unique<TraceReplay>(reader_->info().layout);
  for (const Event& event : keyframe.records) {
    replay_->Apply(event, position);
  }
  // The synthetic records contradict nothing; should they, that is no news about the trace.
  tally_ = keyframe.tally;
  seen_divergences_ = replay_->divergences();
  seen_inconsistencies_ = replay_->resolver().inconsistencies();
  recent_.clear();
  position_ = position;
  next_keyframe_ = NextKeyframe();
}

void TraceSource::Count(uint64_t index) {
  if (replay_->divergences() != seen_divergences_) {
    if (tally_.divergences == 0 && seen_divergences_ == 0) {
      tally_.first_divergence = replay_->first_divergence();
    }
    tally_.divergences += replay_->divergences() - seen_divergences_;
    seen_divergences_ = replay_->divergences();
  }
  const TraceResolver& resolver = replay_->resolver();
  if (resolver.inconsistencies() != seen_inconsistencies_) {
    if (tally_.inconsistencies == 0 && seen_inconsistencies_ == 0) {
      // The resolver numbers the records it was given (a keyframe's among them); name the event
      // by the trace's numbering instead.
      std::string what = resolver.first_inconsistency();
      if (what.rfind("event ", 0) == 0) {
        const size_t space = what.find(' ', 6);
        what = space == std::string::npos ? what : what.substr(space + 1);
      }
      tally_.first_inconsistency = fmt::format("event {} {}", index, what);
    }
    tally_.inconsistencies += resolver.inconsistencies() - seen_inconsistencies_;
    seen_inconsistencies_ = resolver.inconsistencies();
  }
}

void TraceSource::Advance(uint64_t target) {
  const std::vector<trace::RecordSpan>& spans = reader_->event_spans();
  if (target - position_ >= kRecentEvents) {
    recent_.clear();  // none of what it holds would stay contiguous with the new events
  }
  const uint64_t recent_from = target > kRecentEvents ? target - kRecentEvents : 0;
  // The span holding event position_: the last one starting at or before it.
  size_t s =
      static_cast<size_t>(std::upper_bound(spans.begin(), spans.end(), position_,
                                           [](uint64_t index, const trace::RecordSpan& span) {
                                             return index < span.first_index;
                                           }) -
                          spans.begin());
  s = s == 0 ? 0 : s - 1;
  for (; s < spans.size() && position_ < target; s++) {
    const trace::RecordSpan& span = spans[s];
    const uint64_t end = std::min<uint64_t>(span.count, target - span.first_index);
    for (uint64_t i = position_ - span.first_index; i < end; i++) {
      if (position_ == next_keyframe_) {
        MaybeKeyframe();
      }
      const Event& event = span.data[i].event;
      const Resolution resolution = replay_->Apply(event, position_);
      Count(position_);
      if (position_ >= recent_from) {
        recent_.push_back(
            Finish(MakeStreamEvent(replay_->resolver(), resolution, event, position_, clock_)));
        if (recent_.size() > kRecentEvents) {
          recent_.pop_front();
        }
      }
      position_++;
    }
  }
  if (position_ == next_keyframe_) {
    MaybeKeyframe();
  }
}

void TraceSource::MaybeKeyframe() {
  const uint64_t at = position_;
  next_keyframe_ = interval_ == 0 ? UINT64_MAX : at + interval_;
  if (interval_ == 0 || keyframes_.count(at) != 0) {
    return;
  }
  // An upper bound of the records a keyframe takes, so that a state too big for the budget is
  // never copied.
  uint64_t records = 0;
  for (const auto& [key, list] : replay_->resolver().lists()) {
    if (list.alive) {
      records += 8 + list.name.size() / 32 + 2 * 17 + 17 * list.nodes.size();
    }
  }
  if (records * sizeof(Event) > options_.keyframe_budget_bytes) {
    return;
  }
  Keyframe keyframe = Capture();
  keyframe_bytes_ += keyframe.bytes();
  keyframes_.emplace(at, std::move(keyframe));
  while (keyframe_bytes_ > options_.keyframe_budget_bytes && interval_ <= UINT64_MAX / 4) {
    // Over budget: keep every other keyframe, so that they stay evenly spread.
    interval_ *= 2;
    for (auto it = keyframes_.begin(); it != keyframes_.end();) {
      if (it->first % interval_ != 0) {
        keyframe_bytes_ -= it->second.bytes();
        it = keyframes_.erase(it);
      } else {
        ++it;
      }
    }
  }
  next_keyframe_ = NextKeyframe();
}

Keyframe TraceSource::Capture() const {
  Keyframe keyframe;
  keyframe.tally = tally_;
  const TraceResolver& resolver = replay_->resolver();
  const inspect::TraceLayout& layout = resolver.layout();
  std::vector<const TracedList*> lists;
  for (const auto& [key, list] : resolver.lists()) {
    if (list.alive && list.address != 0) {
      lists.push_back(&list);
    }
  }
  // Registrations that ended first: their ids may have been given to lists registered now.
  std::sort(lists.begin(), lists.end(), [](const TracedList* a, const TracedList* b) {
    return std::make_pair(a->registered, a->key) < std::make_pair(b->registered, b->key);
  });
  std::vector<Event>& out = keyframe.records;
  auto stores = [&](uint64_t node_address, const VmPageListNode& node) {
    for (size_t i = 0; i < layout.fanout && i < VmPageListNode::kPageFanOut; i++) {
      const uint64_t raw = PageListAccess::raw(PageListAccess::slot(node, i));
      if (raw != 0) {
        out.push_back(MakeEvent(EventKind::kSlotStore,
                                node_address + layout.node_slots_offset + i * layout.slot_size, 0,
                                raw));
      }
    }
  };
  for (const TracedList* list : lists) {
    const uint64_t address = list->address;
    const bool splice = list->kind == ListKind::kSpliceList;
    out.push_back(MakeEvent(EventKind::kListCreate, address, static_cast<uint64_t>(list->kind),
                            splice ? list->splice_offset : 0, splice ? list->splice_length : 0,
                            splice ? list->skew : 0));
    if (list->registry_id != 0) {
      out.push_back(MakeEvent(EventKind::kRegister, 0, list->registry_id, address,
                              static_cast<uint64_t>(list->kind)));
      for (size_t at = 0; at < list->name.size(); at += sizeof(Event::arg)) {
        Event name = MakeEvent(EventKind::kName, list->registry_id);
        name.aux = static_cast<uint32_t>(at);
        memcpy(name.arg, list->name.data() + at,
               std::min(sizeof(name.arg), list->name.size() - at));
        out.push_back(name);
      }
      if (!list->registered) {
        out.push_back(MakeEvent(EventKind::kUnregister, 0, list->registry_id));
      }
    }
    const VmPageList* page_list = replay_->PageList(list->key);
    const VmPageSpliceList* splice_list = replay_->SpliceList(list->key);
    if (!splice && list->skew != 0) {
      out.push_back(MakeEvent(EventKind::kSkewSet, address, list->skew));
    }
    if (splice && list->splice_finalized) {
      out.push_back(MakeEvent(EventKind::kSpliceFinalize, address));
    }
    if (splice && list->splice_position != 0) {
      out.push_back(MakeEvent(EventKind::kSplicePosition, address, list->splice_position));
    }
    // Nodes as the replay holds them, at the addresses the resolver knows them by (a node the
    // resolver has no address for exists only in a diverged replay and is left out).
    const PageListAccess::NodeTree* tree = page_list != nullptr ? &PageListAccess::nodes(*page_list)
                                           : splice_list != nullptr
                                               ? &PageListAccess::middle(*splice_list)
                                               : nullptr;
    if (tree != nullptr) {
      for (const VmPageListNode& node : *tree) {
        auto found = list->nodes.find(node.offset());
        if (found == list->nodes.end()) {
          continue;
        }
        out.push_back(MakeEvent(EventKind::kNodeAlloc, address, found->second, node.offset()));
        stores(found->second, node);
      }
    }
    if (splice_list != nullptr) {
      stores(address + layout.splice_head_offset, PageListAccess::head(*splice_list));
      stores(address + layout.splice_tail_offset, PageListAccess::tail(*splice_list));
    }
    if (!list->traced) {
      out.push_back(MakeEvent(EventKind::kListTracing, address, 0));
    }
  }
  out.shrink_to_fit();
  return keyframe;
}

bool TraceSource::Seek(uint64_t position, std::string* error) {
  (void)error;  // every position of the readable prefix can be replayed
  position = std::min(position, size());
  if (position == position_) {
    return true;
  }
  // The latest keyframe at or before |position|; worth restoring if it saves more events than
  // it has records.
  auto it = keyframes_.upper_bound(position);
  const bool have_keyframe = it != keyframes_.begin();
  if (have_keyframe) {
    --it;
  }
  if (position < position_) {
    if (have_keyframe) {
      Restore(it->first, it->second);
    } else {
      StartOver();
    }
  } else if (have_keyframe && it->first > position_ &&
             it->first - position_ > it->second.records.size()) {
    Restore(it->first, it->second);
  }
  if (position > position_) {
    Advance(position);
  }
  return true;
}

std::optional<CursorState> TraceSource::Cursor() const {
  CursorState cursor;
  cursor.position = position_;
  cursor.size = size();
  if (cursor.size != 0) {
    cursor.time_ns = TimeOf(position_ == 0 ? 0 : position_ - 1);
    cursor.start_ns = TimeOf(0);
    cursor.end_ns = TimeOf(cursor.size - 1);
  }
  return cursor;
}

StreamEvent TraceSource::ResolveWithoutApplying(const Event& event, uint64_t index) const {
  const TraceResolver& resolver = replay_->resolver();
  Resolution resolution;
  auto key_of = [](const TracedList* list) { return list != nullptr ? list->key : 0; };
  switch (event.kind) {
    case EventKind::kSlotStore:
      resolution.slot = resolver.ResolveSlot(event.object);
      if (event.arg[2] != 0) {
        resolution.moved_from = resolver.ResolveSlot(event.arg[2]);
      }
      resolution.list_key = resolution.slot.valid()         ? resolution.slot.list_key
                            : resolution.moved_from.valid() ? resolution.moved_from.list_key
                                                            : 0;
      break;
    case EventKind::kUnregister:
      resolution.list_key = key_of(resolver.ListWithRegistryId(event.arg[0]));
      break;
    case EventKind::kName:
      resolution.list_key = key_of(resolver.ListWithRegistryId(event.object));
      break;
    default:
      if (const uint64_t address = NamedListAddress(event); address != 0) {
        resolution.list_key = key_of(resolver.ListAt(address));
      }
      break;
  }
  return Finish(MakeStreamEvent(resolver, resolution, event, index, clock_));
}

std::vector<StreamEvent> TraceSource::EventsAround(uint64_t first, size_t count) {
  std::vector<StreamEvent> out;
  if (first >= size()) {
    return out;
  }
  count = static_cast<size_t>(std::min<uint64_t>({count, size() - first, kMaxWindow}));
  out.reserve(count);
  const uint64_t recent_first = position_ - recent_.size();
  for (uint64_t index = first; index < first + count; index++) {
    if (index >= recent_first && index < position_) {
      out.push_back(recent_[index - recent_first]);
    } else if (const trace::FileRecord* record = reader_->EventAt(index)) {
      out.push_back(ResolveWithoutApplying(record->event, index));
    }
  }
  return out;
}

Snapshot TraceSource::Read() {
  Snapshot snapshot;
  snapshot.source = fmt::format("trace {} @ event {} of {}", path_, position_, size());
  // Every live list at the cursor, as the replay captures it (the recording's addresses).
  snapshot.lists = replay_->Lists(/*registered_only=*/false);
  // Registered lists by id (as a live registry lists them), then the others by address.
  std::sort(snapshot.lists.begin(), snapshot.lists.end(),
            [](const SnapshotList& a, const SnapshotList& b) {
              return std::make_tuple(a.registry_id == 0, a.registry_id, a.address) <
                     std::make_tuple(b.registry_id == 0, b.registry_id, b.address);
            });

  if (!reader_->problem().empty()) {
    snapshot.problems.push_back(SnapshotProblem{0, reader_->problem()});
  }
  if (const auto& losses = reader_->losses(); losses && losses->Totals().total() != 0) {
    snapshot.problems.push_back(SnapshotProblem{
        0, fmt::format("the recorder's ring lost {} events: the replay may not match what the "
                       "process did",
                       losses->Totals().total())});
  }
  if (tally_.divergences != 0) {
    snapshot.problems.push_back(SnapshotProblem{
        0, fmt::format("{} events up to the cursor contradict the replayed state (lost or "
                       "damaged events); first: {}",
                       tally_.divergences, tally_.first_divergence)});
  }
  if (tally_.inconsistencies != 0) {
    snapshot.problems.push_back(SnapshotProblem{
        0, fmt::format("{} events up to the cursor make no sense to the resolver; first: {}",
                       tally_.inconsistencies, tally_.first_inconsistency)});
  }
  return snapshot;
}

}  // namespace

std::unique_ptr<Source> OpenTraceSource(const std::string& path, const TraceSourceOptions& options,
                                        std::string* error) {
  std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(path, error);
  if (!reader) {
    return nullptr;
  }
  // The replay rebuilds the lists in this build's objects, whose nodes have kPageFanOut slots: a
  // trace of nodes with more slots names slot indices those nodes do not have.
  constexpr uint64_t kFanOut = VmPageListNode::kPageFanOut;
  if (reader->info().layout.fanout > kFanOut) {
    *error = fmt::format(
        "{}: recorded with {} slots per node; this build's page lists have {}, "
        "so it cannot be replayed here",
        path, reader->info().layout.fanout, kFanOut);
    return nullptr;
  }
  return std::make_unique<TraceSource>(path, std::move(reader), options);
}

std::unique_ptr<Source> OpenTraceSource(const std::string& path, std::string* error) {
  return OpenTraceSource(path, TraceSourceOptions{}, error);
}

}  // namespace vmpl::tui
