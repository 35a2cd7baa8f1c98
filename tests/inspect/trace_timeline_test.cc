// Tests of the timeline pass (inspect/src/trace_timeline.cc): how it nests operations, when it
// samples a list's counters, what those counters count, and how it describes a slot store.
//
// Every expected line follows from the records a test wrote by hand (HandTrace).

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <vmpl/inspect/trace_timeline.h>

#include <memory>
#include <string>
#include <vector>

#include "trace_test_traces.h"

namespace vmpl::inspect {
namespace {

using trace::EventKind;
using trace::OpKind;
using ::vmpl::testing::HandTrace;
using ::vmpl::testing::kIntervalEndRaw;
using ::vmpl::testing::kIntervalRaw;
using ::vmpl::testing::kIntervalStartRaw;
using ::vmpl::testing::kListA;
using ::vmpl::testing::kMarkerRaw;
using ::vmpl::testing::kPageRaw;
using ::vmpl::testing::kReferenceRaw;
using ::vmpl::testing::Node;
using ::vmpl::testing::TempTracePath;

// Records what the timeline hands a sink, as text lines.
class LogSink : public TimelineSink {
 public:
  void OnStart(const TraceResolver& resolver) override { resolver_ = &resolver; }
  void OnOpBegin(const trace::FileRecord& record, uint64_t, const Resolution&,
                 const TracedList*) override {
    log.push_back(fmt::format("B {} {}", record.producer,
                              trace::OpKindName(static_cast<OpKind>(record.event.aux))));
  }
  void OnOpEnd(uint32_t producer, uint64_t ticks, OpKind op, bool synthesized) override {
    log.push_back(fmt::format("E {} {}{} @{}", producer, trace::OpKindName(op),
                              synthesized ? " (closed)" : "", ticks));
  }
  void OnInstant(const trace::FileRecord& record, const Resolution& resolution,
                 const TracedList*) override {
    std::string line = fmt::format("I {}", trace::EventKindName(record.event.kind));
    if (describe) {
      EventArg args[kMaxEventArgs];
      const size_t n = DescribeEvent(record.event, resolution, *resolver_, args);
      for (size_t i = 0; i < n; i++) {
        if (args[i].type == EventArgType::kText) {
          line += fmt::format(" {}={}", args[i].name, args[i].text);
        }
      }
    }
    log.push_back(line);
  }
  void OnCounters(uint64_t ticks, const TracedList& list, const ListCounters& counters) override {
    const SlotCounts& content = counters.content;
    log.push_back(counts ? fmt::format("C {} intervals={} sentinels={} @{}", list.key,
                                       content.intervals, content.interval_sentinels, ticks)
                         : fmt::format("C {} nodes={} pages={} @{}", list.key, counters.nodes,
                                       content.pages, ticks));
  }

  bool describe = false;  // add the text arguments of instants
  bool counts = false;    // log intervals and sentinels instead of nodes and pages
  std::vector<std::string> log;

 private:
  const TraceResolver* resolver_ = nullptr;
};

class TraceTimelineTest : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(path_.c_str()); }

  std::vector<std::string> Run(HandTrace& trace, LogSink& sink, TimelineOptions options = {}) {
    reader_ = trace.Write(path_);
    EXPECT_TRUE(reader_);
    if (reader_) {
      stats_ = RunTimeline(*reader_, options, &sink);
    }
    return sink.log;
  }

  std::string path_ =
      TempTracePath(::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::unique_ptr<trace::TraceReader> reader_;
  TimelineStats stats_;
};

TEST_F(TraceTimelineTest, NestsOperationsAndClosesWhatWasLeftOpen) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.OpBegin(kListA, OpKind::kMergeFrom);         // stamped 1001000
  trace.OpBegin(kListA, OpKind::kLookupOrAllocate);  // its end is lost
  trace.OpEnd(kListA, OpKind::kMergeFrom);           // 1003000
  trace.OpEnd(kListA, OpKind::kTakePages);           // no begin
  trace.producer = 3;
  trace.OpBegin(kListA, OpKind::kRemovePages);  // never ends; the last stamp is 1006000
  trace.Add(EventKind::kSkewSet, kListA, 0, 0x1000);
  LogSink sink;
  const std::vector<std::string> expected = {
      "I list-create",
      "B 0 MergeFrom",
      "B 0 LookupOrAllocate",
      "E 0 LookupOrAllocate (closed) @1003000",
      "E 0 MergeFrom @1003000",
      "B 3 RemovePages",
      "I skew-set",
      "E 3 RemovePages (closed) @1006000",
  };
  EXPECT_EQ(Run(trace, sink), expected);
  EXPECT_EQ(stats_.ops, 3u);
  EXPECT_EQ(stats_.unmatched_op_ends, 1u);
  EXPECT_EQ(stats_.closed_ops, 2u);
  EXPECT_EQ(stats_.producers, 2u);
}

TEST_F(TraceTimelineTest, SamplesCountersBetweenOperations) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.OpBegin(kListA, OpKind::kLookupOrAllocate);
  trace.AllocNode(kListA, Node(0), 0);
  for (int i = 0; i < 3; i++) {
    trace.Store(trace.SlotAddress(Node(0), i), 0, kPageRaw);
  }
  trace.OpEnd(kListA, OpKind::kLookupOrAllocate);           // stamped 1006000
  trace.Store(trace.SlotAddress(Node(0), 0), kPageRaw, 0);  // outside ops: sampled at once
  LogSink sink;
  TimelineOptions options;
  options.slot_stores = false;
  const std::vector<std::string> expected = {
      "I list-create",
      "B 0 LookupOrAllocate",
      "I node-alloc",
      "E 0 LookupOrAllocate @1006000",
      "C 1 nodes=1 pages=3 @1006000",
      "C 1 nodes=1 pages=2 @1007000",
  };
  EXPECT_EQ(Run(trace, sink, options), expected);
}

// An interval of one page is one slot sentinel, a longer one a start and an end: intervals and
// interval sentinels are counted apart (docs/snapshot-format.md, "Words"), and a store that turns
// a start into a slot sentinel changes neither.
TEST_F(TraceTimelineTest, CountsIntervalsAndSentinelsApart) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.AllocNode(kListA, Node(0), 0);  // stamped 1001000
  trace.Store(trace.SlotAddress(Node(0), 2), 0, kIntervalStartRaw);
  trace.Store(trace.SlotAddress(Node(0), 5), 0, kIntervalEndRaw);
  trace.Store(trace.SlotAddress(Node(0), 9), 0, kIntervalRaw);
  trace.Store(trace.SlotAddress(Node(0), 2), kIntervalStartRaw, kIntervalRaw);  // 1005000
  trace.Store(trace.SlotAddress(Node(0), 5), kIntervalEndRaw, 0);
  trace.Store(trace.SlotAddress(Node(0), 9), kIntervalRaw, kIntervalEndRaw);
  LogSink sink;
  sink.counts = true;
  TimelineOptions options;
  options.slot_stores = false;
  const std::vector<std::string> expected = {
      "I list-create",
      "I node-alloc",
      "C 1 intervals=0 sentinels=0 @1001000",  // the node
      "C 1 intervals=1 sentinels=1 @1002000",
      "C 1 intervals=1 sentinels=2 @1003000",
      "C 1 intervals=2 sentinels=3 @1004000",
      "C 1 intervals=2 sentinels=2 @1006000",
      "C 1 intervals=1 sentinels=2 @1007000",
  };
  EXPECT_EQ(Run(trace, sink, options), expected);
}

TEST_F(TraceTimelineTest, NamesTheContentOfAStoreByTheSharedDecoder) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.AllocNode(kListA, Node(0), 0);
  trace.Store(trace.SlotAddress(Node(0), 1), 0, kReferenceRaw);
  trace.Store(trace.SlotAddress(Node(0), 1), kReferenceRaw, kIntervalStartRaw);
  trace.Store(trace.SlotAddress(Node(0), 1), kIntervalStartRaw, kMarkerRaw);
  trace.Store(trace.SlotAddress(Node(0), 1), kMarkerRaw, kPageRaw);
  LogSink sink;
  sink.describe = true;
  std::vector<std::string> stores;
  for (const std::string& line : Run(trace, sink)) {
    if (line.starts_with("I slot-store")) {
      stores.push_back(line);
    }
  }
  const std::vector<std::string> expected = {
      "I slot-store old=empty new=reference",
      "I slot-store old=reference new=interval",
      "I slot-store old=interval new=marker",
      "I slot-store old=marker new=page",
  };
  EXPECT_EQ(stores, expected);
}

}  // namespace
}  // namespace vmpl::inspect
