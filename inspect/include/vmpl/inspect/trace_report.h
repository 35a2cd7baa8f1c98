// vmpl::inspect trace analysis: one streaming pass over a trace file that says what happened to
// every page list (`vmpl trace report`), and the timeline the exporters draw from the same pass.
//
// What it computes. Operations per list and kind, event kinds, node churn (allocations, frees,
// transfers, peak and final node counts), interval add / split / merge / clip / replace counts,
// what the lists hold (pages, references, markers, interval slots), rates over time in ~60-200
// buckets per category, the ring's losses, the file's damage, and what the resolver could not
// attribute. Everything per list goes through TraceResolver, so a slot store is counted for the
// list that owned its node at that moment.
//
// Bounded memory. A pass keeps state per list, per live node (the resolver's and the content
// tracker's) and per time bucket; never per event. A report over 10 M events reads the mapped file
// once and allocates nothing per event.
//
// Synopsis:
//   namespace vmpl::inspect {
//   enum class SlotContent { kEmpty, kPage, kReference, kMarker, kInterval };
//   SlotContent ClassifySlot(uint64_t raw);  const char* SlotContentName(SlotContent);
//   struct ContentCounts;                      // pages, references, markers, interval slots
//   class ListContentTracker;                  // ContentCounts per list, kept event by event
//   std::string ListLabel(const TracedList&);  // "vmo:3 #17", "list 5 @0x7f..."
//   class TimelineSink; struct TimelineStats; struct TimelineOptions;
//   TimelineStats RunTimeline(const trace::TraceReader&, const TimelineOptions&, TimelineSink*);
//   enum class RateCategory; struct RateHistogram; struct ListReport; struct TraceReport;
//   TraceReport BuildTraceReport(const trace::TraceReader&, const ReportOptions&);
//   std::string RenderTraceReportText(const TraceReport&, const ReportTextOptions&);
//   nlohmann::ordered_json TraceReportToJson(const TraceReport&);
//   }
//
// Threads: every function here is reentrant; a pass reads the TraceReader (immutable) only.

#ifndef VMPL_INSPECT_TRACE_REPORT_H_
#define VMPL_INSPECT_TRACE_REPORT_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace_event.h>

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace vmpl::inspect {

inline constexpr size_t kEventKindCount = static_cast<size_t>(trace::EventKind::kKindCount);
inline constexpr size_t kOpKindCount = static_cast<size_t>(trace::OpKind::kOpKindCount);

// ================================================================================================
// What a slot holds, from its raw VmPageOrMarker value. The encoding is Zircon's (the low two bits
// are the type: 00 page, 01 zero marker, 10 reference, 11 interval; raw 0 is empty), the same in
// every build this project reads, so it is decoded here without the recorded layout.

enum class SlotContent : uint8_t { kEmpty, kPage, kReference, kMarker, kInterval };
inline constexpr size_t kSlotContentCount = 5;

SlotContent ClassifySlot(uint64_t raw);
// "empty", "page", "reference", "marker", "interval".
const char* SlotContentName(SlotContent content);

// Slots of each non-empty content in a list (or a node).
struct ContentCounts {
  uint64_t pages = 0;
  uint64_t references = 0;
  uint64_t markers = 0;
  uint64_t intervals = 0;  // interval start, end and slot sentinels

  uint64_t& at(SlotContent content);
  bool operator==(const ContentCounts&) const = default;
};

// ================================================================================================
// ListContentTracker: ContentCounts per list, kept up to date event by event.
//
// Slot stores name a slot, the resolver says whose node it is in; the tracker keeps per-node
// counts (keyed by node address) so that a node changing owner (kNodeTransfer) takes its content
// with it, and recounts both lists of a kListMove from their nodes. Stores the resolver cannot
// attribute to a node are ignored (they are temporaries). Memory: one small entry per node that
// holds anything, one per list.

class ListContentTracker {
 public:
  ListContentTracker() = default;

  // Call right after |resolver|.Apply(|event|) returned |resolution|. Returns true if the counts of
  // resolution.list_key or resolution.other_list_key may have changed.
  bool Apply(const trace::Event& event, const Resolution& resolution,
             const TraceResolver& resolver);

  // The counts of list |key| (all zero for a list never seen holding anything).
  ContentCounts Find(uint64_t key) const;

 private:
  struct NodeCounts {
    uint16_t counts[4] = {0, 0, 0, 0};  // pages, references, markers, intervals
    bool empty() const { return (counts[0] | counts[1] | counts[2] | counts[3]) == 0; }
  };

  void AddSlot(const SlotRef& slot, SlotContent content, int delta);
  void AddNode(uint64_t list_key, const NodeCounts& node, int sign);
  void Recount(uint64_t list_key, const TraceResolver& resolver);

  std::unordered_map<uint64_t, NodeCounts> nodes_;     // node address -> counts
  std::unordered_map<uint64_t, ContentCounts> lists_;  // list key -> counts
};

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
  ContentCounts content;
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

// What a viewer shows about an event beside its name: its category and typed arguments, the same
// for every export format.
enum class EventArgType : uint8_t {
  kUint,     // a count or index
  kHex,      // an address, offset or raw slot value
  kList,     // a list key (shown as its ListLabel)
  kContent,  // a SlotContent
};
struct EventArg {
  const char* name;
  EventArgType type;
  uint64_t value;
};
inline constexpr size_t kMaxEventArgs = 12;  // FXT allows 15

// "slot", "node", "list", "registry", "splice", "op", "interval", "trace".
const char* EventCategory(trace::EventKind kind);
// Fills |args| for an event the timeline shows (an op begin or an instant) and returns how many.
// A slot is named by its node's key (the node's skewed obj_offset_), its index, and its offset in
// the VMO (key + index * page_size - the list's skew, from |resolver|'s current state).
size_t DescribeEvent(const trace::Event& event, const Resolution& resolution,
                     const TraceResolver& resolver, EventArg (&args)[kMaxEventArgs]);

inline constexpr size_t kMaxOpDepth = 256;
inline constexpr size_t kMaxProducers = 4096;

TimelineStats RunTimeline(const trace::TraceReader& reader, const TimelineOptions& options,
                          TimelineSink* sink);

// ================================================================================================
// The report.

// Rates over time are kept for these categories of events.
enum class RateCategory : uint8_t {
  kSlotStores = 0,  // kSlotStore
  kNodeChurn = 1,   // kNodeAlloc, kNodeFree, kNodeTransfer
  kOps = 2,         // kOpBegin
  kIntervals = 3,   // kIntervalAdd / Split / Clip / Merge / Replace
};
inline constexpr size_t kRateCategoryCount = 4;
// "slot stores", "node alloc/free", "operations", "interval events".
const char* RateCategoryName(RateCategory category);

// Event counts per time bucket. Bucket i covers [start + i * width, start + (i + 1) * width)
// seconds after the first event; events stamped before the first event (producers' clocks are not
// perfectly ordered) count in bucket 0.
struct RateHistogram {
  double bucket_seconds = 0;
  std::vector<std::array<uint64_t, kRateCategoryCount>> buckets;

  // Events per second of |category| in bucket |index|.
  double Rate(size_t index, RateCategory category) const;
  // The highest and the mean rate of |category| over all buckets.
  double PeakRate(RateCategory category) const;
  double MeanRate(RateCategory category) const;
};

struct ListReport {
  uint64_t key = 0;
  uint64_t registry_id = 0;
  std::string name;
  std::string label;  // ListLabel
  trace::ListKind kind = trace::ListKind::kPageList;
  bool alive_at_end = false;
  bool in_snapshot = false;  // the snapshot created it
  uint64_t events = 0;       // events attributed to it (snapshot records not included)
  std::array<uint64_t, kEventKindCount> kinds{};
  std::array<uint64_t, kOpKindCount> ops{};
  uint64_t node_allocs = 0;
  uint64_t node_frees = 0;
  uint64_t nodes_in = 0;   // transferred in from another list
  uint64_t nodes_out = 0;  // transferred out
  uint64_t peak_nodes = 0;
  uint64_t nodes_at_end = 0;
  uint64_t peak_pages = 0;
  ContentCounts content_at_end;

  uint64_t count(trace::EventKind kind) const { return kinds[static_cast<size_t>(kind)]; }
};

struct ProducerReport {
  uint32_t index = 0;
  uint64_t tid = 0;  // from the LOSSES table, 0 if unknown
  uint64_t events = 0;
};

struct TraceReport {
  std::string file;
  trace::TraceInfo info;
  bool complete = false;
  std::string problem;  // the reader's problem(), "" for an intact file

  uint64_t snapshot_records = 0;
  uint64_t events = 0;
  uint64_t first_ticks = 0;
  uint64_t last_ticks = 0;
  double duration_seconds = 0;  // from the first to the last event

  std::array<uint64_t, kEventKindCount> kinds{};
  uint64_t unknown_kinds = 0;
  std::array<uint64_t, kOpKindCount> ops{};
  uint64_t unknown_ops = 0;  // op-begins with an OpKind this reader does not know

  // Sorted by key (registry ids first, then anonymous lists). At most kMaxReportedLists; the
  // events of lists past the limit are counted in other_lists_events.
  std::vector<ListReport> lists;
  uint64_t other_lists = 0;
  uint64_t other_lists_events = 0;

  std::vector<ProducerReport> producers;  // by index; at most kMaxProducers
  uint64_t other_producers_events = 0;

  uint64_t dropped_events = 0;       // of lists whose tracing was off
  uint64_t unattributed_events = 0;  // of no known list (not counting stores)
  uint64_t unattributed_stores = 0;  // the resolver's count: stores into no known node
  uint64_t inconsistencies = 0;
  std::string first_inconsistency;
  uint64_t unmatched_op_ends = 0;
  uint64_t unterminated_ops = 0;

  std::optional<trace::LossTable> losses;
  RateHistogram rates;
};

// Lists reported one by one (about 400 bytes each); the rest are summed in other_lists. A
// 700 000-step simulator run creates about 60 000.
inline constexpr size_t kMaxReportedLists = 1u << 18;

struct ReportOptions {
  size_t target_buckets = 120;  // buckets the width is chosen for (from the first/last stamps)
  size_t max_buckets = 200;     // more than this (stamps outside the estimate) halves the count
  std::function<void(uint64_t, uint64_t)> progress;  // as TimelineOptions::progress
};

TraceReport BuildTraceReport(const trace::TraceReader& reader, const ReportOptions& options = {});

struct ReportTextOptions {
  size_t top_lists = 20;  // lists shown in the tables (most events first); 0 = all
  bool plot = true;       // the block-character rate plot
  int width = 80;         // of the plot and of wrapped lines, in columns
  bool color = false;     // ANSI colours
};

// The report as aligned text tables for a terminal.
std::string RenderTraceReportText(const TraceReport& report, const ReportTextOptions& options = {});
// The report as JSON (docs/user-guide.md, "Reports and exports", lists the fields).
nlohmann::ordered_json TraceReportToJson(const TraceReport& report);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TRACE_REPORT_H_
