// vmpl::inspect trace report: what happened to every page list in a trace (`vmpl trace report`),
// built in one timeline pass (trace_timeline.h). Its text and JSON views are in
// trace_report_view.h.
//
// What it computes. Operations per list and kind, event kinds, node churn (allocations, frees,
// transfers, peak and final node counts), interval add / split / merge / clip / replace counts,
// what the lists hold at the end (pages, references, markers, intervals and interval sentinels),
// rates over time in ~60-200 buckets per category, the ring's losses, the file's damage, and what
// the resolver could not attribute. Everything per list goes through TraceResolver, so a slot
// store is counted for the list that owned its node at that moment.
//
// Bounded memory. A pass keeps state per list, per live node (the resolver's and the content
// tracker's) and per time bucket; never per event. A report over 10 M events reads the mapped file
// once and allocates nothing per event.
//
// Synopsis:
//   namespace vmpl::inspect {
//   enum class RateCategory; struct RateHistogram;
//   struct ListReport; struct ProducerReport; struct TraceReport; struct ReportOptions;
//   TraceReport BuildTraceReport(const trace::TraceReader&, const ReportOptions&);
//   }
//
// Threads: every function here is reentrant; a pass reads the TraceReader (immutable) only.

#ifndef VMPL_INSPECT_TRACE_REPORT_H_
#define VMPL_INSPECT_TRACE_REPORT_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_timeline.h>
#include <vmpl/trace_event.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vmpl::inspect {

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
  SlotCounts content_at_end;

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

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TRACE_REPORT_H_
