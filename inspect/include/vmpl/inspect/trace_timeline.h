// vmpl::inspect trace timeline: one streaming pass over a trace file that hands a sink the events
// as a viewer draws them, what every list holds at each moment, and how each event is described.
// The report (trace_report.h) and both exporters (trace_export.h) are sinks of this pass.
//
// What it keeps. A TraceResolver says which list each event is about; a ListContentTracker keeps
// the slot counts of every list (pages, references, markers, interval sentinels, intervals, in
// the shared decoder's words: docs/snapshot-format.md, "Words"); per producer, the stack of open
// operations. State is per list, per live node and per producer, never per event: a pass over
// 10 M events reads the mapped file once and allocates nothing per event.
//
// Synopsis:
//   namespace vmpl::inspect {
//   class ListContentTracker;                  // SlotCounts per list, kept event by event
//   std::string ListLabel(const TracedList&);  // "vmo:3 #17", "list 5 @0x7f..."
//   class ListLabelCache;
//   class TimelineSink; struct TimelineStats; struct TimelineOptions; struct ListCounters;
//   TimelineStats RunTimeline(const trace::TraceReader&, const TimelineOptions&, TimelineSink*);
//   const char* EventCategory(trace::EventKind);
//   size_t DescribeEvent(const trace::Event&, const Resolution&, const TraceResolver&, EventArg*);
//   }
//
// Threads: every function here is reentrant; a pass reads the TraceReader (immutable) only.

#ifndef VMPL_INSPECT_TRACE_TIMELINE_H_
#define VMPL_INSPECT_TRACE_TIMELINE_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/model/slot.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace_event.h>

#include <array>
#include <functional>
#include <string>
#include <unordered_map>

namespace vmpl::inspect {

inline constexpr size_t kEventKindCount = static_cast<size_t>(trace::EventKind::kKindCount);
inline constexpr size_t kOpKindCount = static_cast<size_t>(trace::OpKind::kOpKindCount);

// What a list (or a node) holds is a vmpl::SlotCounts, counted by the one slot decoder
// (<vmpl/model/slot.h>); trace code decodes slots only in trace_timeline.cc.

// ================================================================================================
// ListContentTracker: SlotCounts per list, kept up to date event by event.
//
// Slot stores name a slot, the resolver says whose node it is in; the tracker keeps per-node
// counts (keyed by node address) so that a node changing owner (kNodeTransfer) takes its content
// with it, and recounts both lists of a kListMove from their nodes. Stores the resolver cannot
// attribute to a node are ignored (they are temporaries). A store that rewrites a sentinel (an
// interval start clipped into a slot sentinel, say) changes what it changes: the intervals, the
// sentinels, both or neither. Memory: one small entry per node that holds anything, one per list.

class ListContentTracker {
 public:
  ListContentTracker() = default;

  // Call right after |resolver|.Apply(|event|) returned |resolution|. Returns true if the counts of
  // resolution.list_key or resolution.other_list_key may have changed.
  bool Apply(const trace::Event& event, const Resolution& resolution,
             const TraceResolver& resolver);

  // The counts of list |key| (all zero for a list never seen holding anything).
  SlotCounts Find(uint64_t key) const;

 private:
  // The counts of a SlotCounts: pages, references, markers, interval sentinels, intervals.
  static constexpr size_t kCounts = 5;
  // A node holds at most 16 slots: 16 bits per count are plenty.
  struct NodeCounts {
    std::array<uint16_t, kCounts> counts{};
    bool empty() const;
  };

  void AddSlot(const SlotRef& slot, const SlotCounts& content, int delta);
  void AddNode(uint64_t list_key, const NodeCounts& node, int sign);
  void Recount(uint64_t list_key, const TraceResolver& resolver);

  std::unordered_map<uint64_t, NodeCounts> nodes_;  // node address -> counts
  std::unordered_map<uint64_t, SlotCounts> lists_;  // list key -> counts
};

// ================================================================================================
// Lists by name.

// A list's name as reports and exports show it: names come from an untrusted file and end up on
// terminals, in JSON, SVG and FXT, so only printable ASCII is kept (others become '?'), and at most
// 64 characters.
std::string PrintableListName(const std::string& name);

// How a list is named in reports and exports: "vmo:3 #17" (registry name and id), "#17" for a
// registered list without a name, "list 5 @0x7f0012345678" (key and last known address) for one
// never registered.
std::string ListLabel(const TracedList& list);

// ListLabel per list key, computed again only when the list's registry id or name changes, so an
// unregistered list keeps the address it was first labelled with after it is destroyed.
class ListLabelCache {
 public:
  // |key|'s label ("list N" for a key the resolver does not know). Valid until the next call.
  const std::string& Get(const TraceResolver& resolver, uint64_t key);

 private:
  struct Entry {
    uint64_t registry_id = 0;
    std::string name;
    std::string label;
  };
  std::unordered_map<uint64_t, Entry> entries_;
  std::string unknown_;
};

// ================================================================================================
// The timeline: the events of a trace as a viewer draws them.
//
// RunTimeline feeds the snapshot, then the events, through a TraceResolver and a
// ListContentTracker and hands the sink what a timeline shows:
//   - operations as properly nested begin/end pairs per producer (thread): an end whose begin was
//     lost is dropped, an end that skips open operations closes them first, and operations still
//     open at the end of the trace are closed at its last timestamp (`synthesized`);
//   - every other event of a list as an instant (slot stores only if options.slot_stores);
//   - counter samples of each list's nodes and content, coalesced: a list that changed is sampled
//     once its producer is between operations, so one sample stands for one operation's effect.
// Events of a list whose tracing is off (Resolution::dropped) and events of no list are counted,
// not shown. Snapshot records only build state; the first counter samples are taken at the first
// event.

struct ListCounters {
  uint64_t nodes = 0;  // tree nodes owned (splice lists' inline head and tail not included)
  SlotCounts content;
  bool operator==(const ListCounters&) const = default;
};

class TimelineSink {
 public:
  virtual ~TimelineSink() = default;
  // Before the first record: the resolver the pass uses (valid until RunTimeline returns), for
  // sinks that look lists up by key.
  virtual void OnStart(const TraceResolver& /*resolver*/) {}
  // Every record, snapshot and event, right after the resolver and the content tracker applied
  // it, before anything below (for consumers that count everything, like the report).
  virtual void OnRecord(const trace::FileRecord& /*record*/, const Resolution& /*resolution*/,
                        bool /*snapshot*/) {}
  // A producer seen for the first time, before any of its events.
  virtual void OnProducer(uint32_t /*producer*/) {}
  // An operation began (kOpBegin; |list| is its list, null if the resolver knows none) at
  // |ticks|: the record's timestamp, raised if needed so that a producer's begins and ends never
  // go back in time (viewers cannot nest slices whose end precedes their begin).
  virtual void OnOpBegin(const trace::FileRecord& record, uint64_t ticks,
                         const Resolution& resolution, const TracedList* list) = 0;
  // The operation |op| of |producer| ended at |ticks| (raised likewise). |synthesized|: no kOpEnd
  // in the trace closed it (a later end skipped it, or the trace ended).
  virtual void OnOpEnd(uint32_t producer, uint64_t ticks, trace::OpKind op, bool synthesized) = 0;
  // Any other event of a list (or of a splice list, or a registry event naming one).
  virtual void OnInstant(const trace::FileRecord& record, const Resolution& resolution,
                         const TracedList* list) = 0;
  // |list|'s counters changed to |counters| at |ticks|.
  virtual void OnCounters(uint64_t ticks, const TracedList& list, const ListCounters& counters) = 0;
  // After the last event (and the ends and counters it implies): the final state.
  virtual void OnEnd(const TraceResolver& /*resolver*/, const ListContentTracker& /*content*/) {}
};

struct TimelineOptions {
  bool slot_stores = true;  // show slot stores as instants
  // Called every ~1 M events with (events done, events in the file); may be empty.
  std::function<void(uint64_t, uint64_t)> progress;
};

struct TimelineStats {
  uint64_t snapshot_records = 0;
  uint64_t events = 0;
  uint64_t ops = 0;                // begins shown
  uint64_t unmatched_op_ends = 0;  // ends without a begin (lost, or from before the trace)
  uint64_t closed_ops = 0;         // ops closed without their own end (synthesized ends)
  uint64_t too_deep_ops = 0;       // begins past kMaxOpDepth nesting, shown as instants
  uint64_t instants = 0;
  uint64_t counter_samples = 0;
  uint64_t dropped = 0;        // events of lists whose tracing was off
  uint64_t unattributed = 0;   // events of no known list (stores into temporaries, ...)
  uint64_t checkpoints = 0;    // kCheckpoint, kSnapshotBegin/End: about no list by nature
  uint64_t unknown_kinds = 0;  // kinds this reader does not know
  uint64_t producers = 0;
  uint64_t producers_over_limit = 0;  // events of producers past kMaxProducers, shown as instants
  uint64_t first_ticks = 0;           // timestamp of the first and last event
  uint64_t last_ticks = 0;
};

inline constexpr size_t kMaxOpDepth = 256;
inline constexpr size_t kMaxProducers = 4096;

TimelineStats RunTimeline(const trace::TraceReader& reader, const TimelineOptions& options,
                          TimelineSink* sink);

// kCheckpoint, kSnapshotBegin and kSnapshotEnd: events about no list by nature.
bool IsCheckpointKind(trace::EventKind kind);

// ================================================================================================
// What a viewer shows about an event beside its name: its category and typed arguments, the same
// for every export format.

enum class EventArgType : uint8_t {
  kUint,  // a count or index
  kHex,   // an address, offset or raw slot value
  kList,  // a list key (shown as its ListLabel)
  kText,  // EventArg::text, a static string of printable ASCII (the kind of a slot's content)
};
struct EventArg {
  const char* name;
  EventArgType type;
  uint64_t value;              // kUint, kHex, kList
  const char* text = nullptr;  // kText
};
inline constexpr size_t kMaxEventArgs = 12;  // FXT allows 15

// "slot", "node", "list", "registry", "splice", "op", "interval", "trace".
const char* EventCategory(trace::EventKind kind);
// Fills |args| for an event the timeline shows (an op begin or an instant) and returns how many.
// A slot is named by its node's key (the node's skewed obj_offset_), its index, and its offset in
// the VMO (key + index * page_size - the list's skew, from |resolver|'s current state); a slot
// store's old and new content by the shared decoder's kind names ("empty", "page", "marker",
// "reference", "interval").
size_t DescribeEvent(const trace::Event& event, const Resolution& resolution,
                     const TraceResolver& resolver, EventArg (&args)[kMaxEventArgs]);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TRACE_TIMELINE_H_
