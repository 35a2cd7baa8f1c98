// vmpl::tui::EventLog and EventFilter: the TUI's memory of a source's event stream.
//
// A demo at full speed produces millions of events per second and the TUI refreshes about ten
// times a second, so the log keeps only the newest |capacity| events (a ring, for the events pane)
// while counting every event it was given, overall and per kind, and turning the counts into rates
// at each refresh. Events the source lost on the way (an overflowing ring) are counted apart:
// the pane shows them, because a gap in the stream changes what the rows mean.
//
// For a trace replay the app builds a log from Source::EventsAround and ticks it with the events'
// own clock, so that rates are those of the recording, not of the user's scrubbing.
//
// Synopsis
//   enum class EventKindGroup { kAll, kSlotStores, kNodes, kOperations, kIntervals, kLists };
//   bool InKindGroup(EventKindGroup group, trace::EventKind kind);
//   using ListNamer = std::function<std::string(uint64_t list_address)>;
//   class EventFilter { Matches; SetList; list; NextKindGroup; SetKindGroup; kind_group;
//                       kind_group_name; Describe; operator== };
//   class EventLog { Add (one or a batch); AddLost; Clear; Tick; rate; total; lost; size; at;
//                    first_time_ns; Newest; CountMatching; NewerThan };
//
// Cost. Add is O(1) (a batch copies at most |capacity| events however long it is), Tick is
// O(number of kinds), Newest, CountMatching and NewerThan walk the kept events: at most
// |capacity| steps (CountMatching none for the default filter).
//
// Threads: one, the TUI's.

#ifndef VMPL_TUI_EVENT_LOG_H_
#define VMPL_TUI_EVENT_LOG_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/trace_event.h>

#include <array>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vmpl/tui/source.h"

namespace vmpl::tui {

// Names a list for the events pane from its address ("vmo:3", or "0x7f.." when unknown). The
// name may come from the target: whoever draws it sanitizes it.
using ListNamer = std::function<std::string(uint64_t list_address)>;

// The groups of event kinds the events pane filters by, in the order NextKindGroup cycles them.
//   kAll         every kind
//   kSlotStores  slot-store
//   kNodes       node-alloc, node-free, node-transfer
//   kOperations  op-begin, op-end, checkpoint (a checkpoint marks the gap between operations)
//   kIntervals   interval-add, -split, -clip, -merge, -replace
//   kLists       list-create, -destroy, -move, -tracing, skew-set, inline-node-offset,
//                splice-position, splice-finalize, and the registry's register, unregister,
//                set-address, name
// The snapshot brackets (snapshot-begin/end) and kinds this build does not know are in kAll only.
enum class EventKindGroup { kAll, kSlotStores, kNodes, kOperations, kIntervals, kLists };
inline constexpr int kEventKindGroupCount = 6;

bool InKindGroup(EventKindGroup group, trace::EventKind kind);
// "all", "slot stores", "nodes", "operations", "intervals", "lists".
std::string_view EventKindGroupName(EventKindGroup group);

// Which events the pane shows: those of one list (or of every list) whose kind is in one group.
class EventFilter {
 public:
  // Every event passes a default filter.
  bool Matches(const StreamEvent& event) const {
    return (list_ == 0 || event.list_address == list_) && InKindGroup(group_, event.event.kind);
  }

  // Only the events of the list at |list_address| (its StreamEvent::list_address); 0: every
  // list, and the events of no list.
  void SetList(uint64_t list_address) { list_ = list_address; }
  uint64_t list() const { return list_; }

  // Cycles the kind filter through the groups, in EventKindGroup's order, back to kAll.
  void NextKindGroup();
  void SetKindGroup(EventKindGroup group) { group_ = group; }
  EventKindGroup kind_group() const { return group_; }
  std::string_view kind_group_name() const { return EventKindGroupName(group_); }

  // "all" for the default filter, else "list vmo:3", "kinds: nodes" or both joined by ", ".
  // The list is named by |name| (unsanitized: the caller draws it).
  std::string Describe(const ListNamer& name) const;

  bool operator==(const EventFilter&) const = default;

 private:
  uint64_t list_ = 0;
  EventKindGroup group_ = EventKindGroup::kAll;
};

class EventLog {
 public:
  // Kinds are counted in one bucket each, plus one for values this build does not know (events
  // come from files and other processes: any 16-bit kind can arrive). total(kind) and rate(kind)
  // of any such value, trace::EventKind::kKindCount included, answer for that shared bucket.
  static constexpr size_t kBuckets = static_cast<size_t>(trace::EventKind::kKindCount) + 1;
  // Tick keeps at most this many samples: a window of a second with ticks more often than this
  // per second is cut short rather than grown.
  static constexpr size_t kMaxSamples = 256;

  // |capacity| 0 keeps no event but still counts them.
  explicit EventLog(size_t capacity = 4096);

  // Counts |event| and keeps it, dropping the oldest kept event once |capacity| are kept.
  void Add(const StreamEvent& event);
  // The same for every event of |events|, in order; copies only the last |capacity|.
  void Add(std::span<const StreamEvent> events);
  // |count| events the source lost (PollEvents' return value).
  void AddLost(uint64_t count);
  // Counts an event of |kind| at |time_ns| without keeping it: for a producer that delivers far
  // more events between two refreshes than the log keeps, so that only the kept ones are built.
  void Count(trace::EventKind kind, uint64_t time_ns);
  // Forgets everything: events, counts, lost, rates and the time of the first event.
  void Clear();

  // Call once per refresh with the wall-clock time (a replay: the event clock's). Rates are the
  // events added since the newest earlier tick at least a second older than |now_ns| (or, before
  // there is one, since the oldest tick), divided by the time between the two. Until two ticks
  // at different times, rates are 0. A clock that goes backwards starts the rates over.
  void Tick(uint64_t now_ns);
  // Events per second, overall and of one kind, as of the last Tick.
  double rate() const { return rate_; }
  double rate(trace::EventKind kind) const { return rates_[Bucket(kind)]; }

  uint64_t total() const { return total_; }  // every event ever added (since Clear)
  uint64_t total(trace::EventKind kind) const { return totals_[Bucket(kind)]; }
  uint64_t lost() const { return lost_; }

  size_t capacity() const { return capacity_; }
  size_t size() const { return events_.size(); }  // events kept
  // Kept event |index|, 0 = the oldest kept; |index| < size().
  const StreamEvent& at(size_t index) const;
  // The time of the first event added since Clear (the events pane shows times relative to it);
  // nullopt before any event.
  std::optional<uint64_t> first_time_ns() const { return first_time_ns_; }
  // Times shown relative to |ns| instead (a replay: the recording's first event), until Clear.
  void SetTimeOrigin(uint64_t ns) { first_time_ns_ = ns; }

  // The newest |max| kept events that |filter| passes, skipping the newest |skip| of those that
  // pass (scrolling back), oldest first.
  std::vector<const StreamEvent*> Newest(const EventFilter& filter, size_t max,
                                         size_t skip = 0) const;
  // How many kept events |filter| passes (what the events pane can scroll through).
  size_t CountMatching(const EventFilter& filter) const;
  // How many kept events that |filter| passes are newer than the kept event whose stream index is
  // |stream_index|, or nullopt if no kept event that passes has that index: the |skip| that puts
  // that event at the bottom of the pane (the replay cursor's event).
  std::optional<size_t> NewerThan(const EventFilter& filter, uint64_t stream_index) const;

 private:
  static size_t Bucket(trace::EventKind kind) {
    const auto value = static_cast<size_t>(kind);
    return value < kBuckets - 1 ? value : kBuckets - 1;
  }
  // Kept event |index| counted from the newest (0 = newest).
  const StreamEvent& FromNewest(size_t index) const;
  void Count(const StreamEvent& event);
  void Keep(const StreamEvent& event);

  struct Sample {
    uint64_t time_ns = 0;
    uint64_t total = 0;
    std::array<uint64_t, kBuckets> totals{};
  };

  size_t capacity_;
  // The ring: grows to |capacity_|, then |next_| is where the next event goes (the oldest kept).
  std::vector<StreamEvent> events_;
  size_t next_ = 0;
  uint64_t total_ = 0;
  std::array<uint64_t, kBuckets> totals_{};
  uint64_t lost_ = 0;
  std::optional<uint64_t> first_time_ns_;
  std::deque<Sample> samples_;  // Tick's, oldest first
  double rate_ = 0;
  std::array<double, kBuckets> rates_{};
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_EVENT_LOG_H_
