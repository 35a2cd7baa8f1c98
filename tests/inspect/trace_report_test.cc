// Tests of the trace report, its text and JSON views and the rate plots
// (inspect/src/trace_report.cc, trace_report_text.cc, trace_report_json.cc, rate_plot.cc). The
// timeline pass under the report has its own tests (trace_timeline_test.cc).
//
// Every expected count follows from the records a test wrote by hand (HandTrace) or from a known
// sequence of real page-list operations recorded through the hooks (Recording): N nodes allocated
// must be N node-allocs, N LookupOrAllocate calls N operations, a page moved from one list to
// another one page less and one page more.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <vm/page.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/rate_plot.h>
#include <vmpl/inspect/trace_report.h>
#include <vmpl/inspect/trace_report_view.h>
#include <vmpl/page_allocator.h>
#include <vmpl/registry.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "trace_test_traces.h"

namespace vmpl::inspect {
namespace {

using trace::EventKind;
using trace::OpKind;
using ::vmpl::testing::HandTrace;
using ::vmpl::testing::kIntervalRaw;
using ::vmpl::testing::kListA;
using ::vmpl::testing::kListB;
using ::vmpl::testing::kMarkerRaw;
using ::vmpl::testing::kNodeSpan;
using ::vmpl::testing::kPageRaw;
using ::vmpl::testing::kReferenceRaw;
using ::vmpl::testing::Node;
using ::vmpl::testing::Recording;
using ::vmpl::testing::TempTracePath;

const ListReport* FindLabel(const TraceReport& report, const std::string& label) {
  for (const ListReport& list : report.lists) {
    if (list.label == label) {
      return &list;
    }
  }
  return nullptr;
}

const ListReport* FindKey(const TraceReport& report, uint64_t key) {
  for (const ListReport& list : report.lists) {
    if (list.key == key) {
      return &list;
    }
  }
  return nullptr;
}

class TraceReportTest : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(path_.c_str()); }

  TraceReport Report(HandTrace& trace, ReportOptions options = {}) {
    reader_ = trace.Write(path_);
    EXPECT_TRUE(reader_);
    return reader_ ? BuildTraceReport(*reader_, options) : TraceReport{};
  }

  std::string path_ =
      TempTracePath(::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::unique_ptr<trace::TraceReader> reader_;
};

TEST_F(TraceReportTest, CountsNodeChurnPerList) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.Register(kListA, 7, "vmo:a");
  trace.CreateList(kListB);  // never registered
  for (int i = 0; i < 5; i++) {
    trace.AllocNode(kListA, Node(i), i * kNodeSpan);
  }
  for (int i = 0; i < 3; i++) {
    trace.AllocNode(kListB, Node(10 + i), i * kNodeSpan);
  }
  trace.FreeNode(kListA, Node(0), 0);
  trace.FreeNode(kListA, Node(3), 3 * kNodeSpan);
  const TraceReport report = Report(trace);

  EXPECT_EQ(report.problem, "");
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(report.events, trace.events().size());
  EXPECT_EQ(report.kinds[static_cast<size_t>(EventKind::kNodeAlloc)], 8u);
  EXPECT_EQ(report.kinds[static_cast<size_t>(EventKind::kNodeFree)], 2u);
  ASSERT_EQ(report.lists.size(), 2u);
  const ListReport* a = FindLabel(report, "vmo:a #7");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->registry_id, 7u);
  EXPECT_EQ(a->name, "vmo:a");
  EXPECT_EQ(a->node_allocs, 5u);
  EXPECT_EQ(a->node_frees, 2u);
  EXPECT_EQ(a->peak_nodes, 5u);
  EXPECT_EQ(a->nodes_at_end, 3u);
  EXPECT_TRUE(a->alive_at_end);
  const ListReport* b = FindKey(report, a->key == 1 ? 2 : 1);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->label, fmt::format("list {} @{:#x}", b->key, kListB));
  EXPECT_EQ(b->registry_id, 0u);
  EXPECT_EQ(b->node_allocs, 3u);
  EXPECT_EQ(b->peak_nodes, 3u);
  EXPECT_EQ(b->nodes_at_end, 3u);
  EXPECT_EQ(report.inconsistencies, 0u) << report.first_inconsistency;
}

TEST_F(TraceReportTest, SlotContentFollowsStoresMovesAndTransfers) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.Register(kListA, 1, "a");
  trace.CreateList(kListB);
  trace.Register(kListB, 2, "b");
  trace.AllocNode(kListA, Node(1), 0);
  trace.AllocNode(kListB, Node(2), 0);
  for (int i = 0; i < 3; i++) {
    trace.Store(trace.SlotAddress(Node(1), i), 0, kPageRaw + 0x1000 * i);
  }
  trace.Store(trace.SlotAddress(Node(1), 3), 0, kMarkerRaw);
  trace.Store(trace.SlotAddress(Node(2), 5), 0, kReferenceRaw);
  trace.Store(trace.SlotAddress(Node(2), 6), 0, kIntervalRaw);
  // A page moves from a's slot 0 to b's slot 0.
  trace.Store(trace.SlotAddress(Node(2), 0), 0, kPageRaw, trace.SlotAddress(Node(1), 0));
  // a's slot 1 is cleared; a store into a temporary resolves to nothing.
  trace.Store(trace.SlotAddress(Node(1), 1), kPageRaw + 0x1000, 0);
  trace.Store(0x999000, 0, kPageRaw);
  // a's node, with its remaining page and marker, goes to b.
  trace.TransferNode(kListB, Node(1), kNodeSpan, kListA);
  const TraceReport report = Report(trace);

  const ListReport* a = FindLabel(report, "a #1");
  const ListReport* b = FindLabel(report, "b #2");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->content_at_end, SlotCounts{});
  EXPECT_EQ(a->peak_pages, 3u);
  EXPECT_EQ(a->nodes_out, 1u);
  EXPECT_EQ(a->nodes_at_end, 0u);
  EXPECT_EQ(b->content_at_end.pages, 2u);  // the moved page and a's slot 2
  EXPECT_EQ(b->content_at_end.markers, 1u);
  EXPECT_EQ(b->content_at_end.references, 1u);
  EXPECT_EQ(b->content_at_end.intervals, 1u);  // one slot sentinel
  EXPECT_EQ(b->content_at_end.interval_sentinels, 1u);
  EXPECT_EQ(b->nodes_in, 1u);
  EXPECT_EQ(b->nodes_at_end, 2u);
  EXPECT_EQ(b->peak_nodes, 2u);
  // 6 stores to a, the move counted for b (its destination), the clear for a.
  EXPECT_EQ(a->count(EventKind::kSlotStore), 5u);
  EXPECT_EQ(b->count(EventKind::kSlotStore), 3u);
  EXPECT_EQ(report.unattributed_stores, 1u);
  EXPECT_EQ(report.inconsistencies, 0u) << report.first_inconsistency;
}

TEST_F(TraceReportTest, CountsOperationsAndIntervalsPerList) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.Register(kListA, 3, "pager");
  for (int i = 0; i < 4; i++) {
    trace.OpBegin(kListA, OpKind::kLookupOrAllocate, i * 4096);
    trace.OpEnd(kListA, OpKind::kLookupOrAllocate);
  }
  trace.OpBegin(kListA, OpKind::kRemovePages, 0, 4 * 4096);
  trace.OpEnd(kListA, OpKind::kRemovePages);
  for (int i = 0; i < 2; i++) {
    trace.OpBegin(kListA, OpKind::kAddZeroInterval, 0x10000, 0x20000);
    trace.Add(EventKind::kIntervalAdd, kListA, 0, 0x10000, 0x1f000);
    trace.OpEnd(kListA, OpKind::kAddZeroInterval);
  }
  trace.Add(EventKind::kIntervalSplit, kListA, 0, 0x14000);
  trace.Add(EventKind::kIntervalClip, kListA, 0, 0x10000, 0x12000);
  trace.Add(EventKind::kIntervalClip, kListA, 1, 0x1f000, 0x1c000);
  trace.Add(EventKind::kIntervalMerge, kListA, 0, 0x10000, 0x2f000);
  trace.Add(EventKind::kIntervalReplace, kListA, 0, 0x30000);
  const TraceReport report = Report(trace);

  EXPECT_EQ(report.ops[static_cast<size_t>(OpKind::kLookupOrAllocate)], 4u);
  EXPECT_EQ(report.ops[static_cast<size_t>(OpKind::kRemovePages)], 1u);
  EXPECT_EQ(report.ops[static_cast<size_t>(OpKind::kAddZeroInterval)], 2u);
  const ListReport* list = FindLabel(report, "pager #3");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->ops[static_cast<size_t>(OpKind::kLookupOrAllocate)], 4u);
  EXPECT_EQ(list->ops[static_cast<size_t>(OpKind::kRemovePages)], 1u);
  EXPECT_EQ(list->count(EventKind::kIntervalAdd), 2u);
  EXPECT_EQ(list->count(EventKind::kIntervalSplit), 1u);
  EXPECT_EQ(list->count(EventKind::kIntervalClip), 2u);
  EXPECT_EQ(list->count(EventKind::kIntervalMerge), 1u);
  EXPECT_EQ(list->count(EventKind::kIntervalReplace), 1u);
  EXPECT_EQ(report.unmatched_op_ends, 0u);
  EXPECT_EQ(report.unterminated_ops, 0u);
}

TEST_F(TraceReportTest, RateBucketsCoverTheTraceAndSumToTheTotals) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.AllocNode(kListA, Node(0), 0);
  trace.step = 997;  // not a divisor of anything in sight
  for (int i = 0; i < 3000; i++) {
    trace.Store(trace.SlotAddress(Node(0), i % 16), 0, kPageRaw);
    if (i % 10 == 0) {
      trace.OpBegin(kListA, OpKind::kLookupOrAllocate);
      trace.OpEnd(kListA, OpKind::kLookupOrAllocate);
    }
  }
  const TraceReport report = Report(trace);
  const RateHistogram& rates = report.rates;
  EXPECT_GE(rates.buckets.size(), 60u);
  EXPECT_LE(rates.buckets.size(), 200u);
  EXPECT_GE(rates.bucket_seconds * static_cast<double>(rates.buckets.size()),
            report.duration_seconds);
  uint64_t stores = 0;
  uint64_t ops = 0;
  double seconds_weighted = 0;
  for (size_t i = 0; i < rates.buckets.size(); i++) {
    stores += rates.buckets[i][static_cast<size_t>(RateCategory::kSlotStores)];
    ops += rates.buckets[i][static_cast<size_t>(RateCategory::kOps)];
    seconds_weighted += rates.Rate(i, RateCategory::kSlotStores) * rates.bucket_seconds;
  }
  EXPECT_EQ(stores, 3000u);
  EXPECT_EQ(ops, 300u);
  EXPECT_NEAR(seconds_weighted, 3000.0, 1e-6);
  // Steady input: every full bucket sees about the mean rate.
  EXPECT_NEAR(rates.PeakRate(RateCategory::kSlotStores), rates.MeanRate(RateCategory::kSlotStores),
              0.2 * rates.MeanRate(RateCategory::kSlotStores));
}

TEST_F(TraceReportTest, RateBucketsAdaptToStampsOutsideTheEstimate) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.AllocNode(kListA, Node(0), 0);
  for (int i = 0; i < 500; i++) {
    trace.Store(trace.SlotAddress(Node(0), i % 16), 0, kPageRaw);
  }
  // Producers' clocks are not perfectly ordered: one stamp before the first, and events far
  // after the one stored last.
  const uint64_t last_stamp = trace.now;
  trace.now = 10;
  trace.Store(trace.SlotAddress(Node(0), 1), 0, kPageRaw);
  trace.now = last_stamp * 40;
  trace.Store(trace.SlotAddress(Node(0), 2), 0, kPageRaw);
  trace.now = last_stamp + 1;
  trace.Store(trace.SlotAddress(Node(0), 3), 0, kPageRaw);
  const TraceReport report = Report(trace);
  uint64_t stores = 0;
  for (const auto& bucket : report.rates.buckets) {
    stores += bucket[static_cast<size_t>(RateCategory::kSlotStores)];
  }
  EXPECT_EQ(stores, 503u);
  EXPECT_LE(report.rates.buckets.size(), 200u);
  EXPECT_GE(report.rates.bucket_seconds * static_cast<double>(report.rates.buckets.size()),
            static_cast<double>(last_stamp * 40 - 1'000'000) / 1e9);
}

TEST_F(TraceReportTest, ReportsLossesPerProducer) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace::LossTable losses;
  trace::ProducerLosses producer;
  producer.index = 1;
  producer.tid = 99;
  producer.counts.dropped = 7;
  producer.counts.overwritten = 2;
  losses.producers.push_back(producer);
  reader_ = trace.Write(path_, losses);
  ASSERT_TRUE(reader_);
  const TraceReport report = BuildTraceReport(*reader_);
  ASSERT_TRUE(report.losses.has_value());
  EXPECT_EQ(report.losses->Totals().total(), 9u);
  const std::string text = RenderTraceReportText(report);
  EXPECT_NE(text.find("losses: 9 records (overwritten 2, dropped 7"), std::string::npos) << text;
  const nlohmann::ordered_json json = TraceReportToJson(report);
  EXPECT_EQ(json["losses"]["totals"]["dropped"], 7);
}

TEST_F(TraceReportTest, DamagedFileReportsItsReadablePrefix) {
  HandTrace trace;
  trace.CreateList(kListA);
  for (int i = 0; i < 1000; i++) {
    trace.AllocNode(kListA, Node(i), i * kNodeSpan);
  }
  {
    std::unique_ptr<trace::TraceReader> whole = trace.Write(path_);
    ASSERT_TRUE(whole);
  }
  // Cut the file in the middle of an EVENTS chunk.
  std::ifstream in(path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  bytes.resize(bytes.size() / 2);
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
  std::string error;
  std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(path_, &error);
  ASSERT_TRUE(reader) << error;
  ASSERT_NE(reader->problem(), "");
  const TraceReport report = BuildTraceReport(*reader);
  EXPECT_EQ(report.problem, reader->problem());
  EXPECT_FALSE(report.complete);
  EXPECT_EQ(report.events, reader->event_count());
  EXPECT_GT(report.events, 100u);
  EXPECT_LT(report.events, 1001u);
  ASSERT_EQ(report.lists.size(), 1u);
  EXPECT_EQ(report.lists[0].node_allocs, report.events - 1);
  const std::string text = RenderTraceReportText(report);
  EXPECT_NE(text.find("DAMAGED: " + reader->problem()), std::string::npos) << text;
  EXPECT_EQ(TraceReportToJson(report)["problem"], reader->problem());
}

TEST_F(TraceReportTest, DropsEventsOfListsWithTracingOff) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.AllocNode(kListA, Node(0), 0);
  trace.Add(EventKind::kListTracing, kListA, 0, 0);
  trace.OpBegin(kListA, OpKind::kLookupOrAllocate);
  trace.Store(trace.SlotAddress(Node(0), 0), 0, kPageRaw);
  trace.OpEnd(kListA, OpKind::kLookupOrAllocate);
  trace.Add(EventKind::kListTracing, kListA, 0, 1);
  trace.Store(trace.SlotAddress(Node(0), 1), 0, kPageRaw);
  const TraceReport report = Report(trace);
  EXPECT_EQ(report.dropped_events, 3u);
  ASSERT_EQ(report.lists.size(), 1u);
  EXPECT_EQ(report.lists[0].count(EventKind::kSlotStore), 1u);
  EXPECT_EQ(report.lists[0].ops[static_cast<size_t>(OpKind::kLookupOrAllocate)], 0u);
  // What the list holds is still followed: both stores happened.
  EXPECT_EQ(report.lists[0].content_at_end.pages, 2u);
}

// Real operations through the hooks: the counts are those of the calls made.
TEST(TraceReportRecording, RealOperationsGiveTheirCounts) {
  const std::string path = TempTracePath("real");
  constexpr int kNodes = 6;
  std::unique_ptr<trace::TraceReader> reader;
  uint64_t id = 0;
  {
    Recording recording(path);
    {
      VmPageList list;
      id = Registry::Register(&list, "analysis:real");
      for (int i = 0; i < kNodes; i++) {
        // One node per call: each offset is in a node of its own.
        auto [slot, in_interval] = list.LookupOrAllocate(static_cast<uint64_t>(i) * kNodeSpan,
                                                         VmPageList::IntervalHandling::NoIntervals);
        ASSERT_NE(slot, nullptr);
        *slot = VmPageOrMarker::Page(PageAllocator::Get().AllocPage());
      }
      list.RemoveAllContent([](VmPageOrMarker&& content) {
        VmPageOrMarker page = std::move(content);
        PageAllocator::Get().FreePage(page.ReleasePage());
      });
      Registry::Unregister(id);
    }
    reader = recording.Finish();
    ASSERT_TRUE(reader);
    const TraceReport report = BuildTraceReport(*reader);
    EXPECT_EQ(report.problem, "");
    EXPECT_EQ(report.inconsistencies, 0u) << report.first_inconsistency;
    const ListReport* list = nullptr;
    for (const ListReport& candidate : report.lists) {
      if (candidate.registry_id == id) {
        list = &candidate;
      }
    }
    ASSERT_NE(list, nullptr);
    EXPECT_EQ(list->label, fmt::format("analysis:real #{}", id));
    EXPECT_EQ(list->node_allocs, static_cast<uint64_t>(kNodes));
    EXPECT_EQ(list->node_frees, static_cast<uint64_t>(kNodes));
    EXPECT_EQ(list->ops[static_cast<size_t>(OpKind::kLookupOrAllocate)],
              static_cast<uint64_t>(kNodes));
    EXPECT_EQ(list->ops[static_cast<size_t>(OpKind::kRemoveAllContent)], 1u);
    EXPECT_EQ(list->peak_nodes, static_cast<uint64_t>(kNodes));
    EXPECT_EQ(list->peak_pages, static_cast<uint64_t>(kNodes));
    EXPECT_EQ(list->nodes_at_end, 0u);
    EXPECT_EQ(list->content_at_end, SlotCounts{});
    EXPECT_FALSE(list->alive_at_end);
    EXPECT_EQ(report.unmatched_op_ends, 0u);
    EXPECT_EQ(report.unterminated_ops, 0u);
  }
}

TEST_F(TraceReportTest, TextAndJsonShowTheCounts) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.Register(kListA, 5, "vmo:text");
  trace.OpBegin(kListA, OpKind::kLookupOrAllocate);
  trace.AllocNode(kListA, Node(0), 0);
  trace.Store(trace.SlotAddress(Node(0), 0), 0, kPageRaw);
  trace.OpEnd(kListA, OpKind::kLookupOrAllocate);
  const TraceReport report = Report(trace);
  ReportTextOptions options;
  options.plot = true;
  options.width = 70;
  const std::string text = RenderTraceReportText(report, options);
  for (const char* expected :
       {"vmpl trace report: ", "recorded by hand 1 (pid 4242)", "file complete and intact",
        "events by kind", "slot-store", "LookupOrAllocate", "lists: 1 seen (1 registered), 1 alive",
        "vmo:text #5", "operations per list", "rates over time", "seconds",
        "resolver inconsistencies: 0"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in:\n" << text;
  }
  const nlohmann::ordered_json json = TraceReportToJson(report);
  EXPECT_EQ(json["events"], trace.events().size());
  EXPECT_EQ(json["event_kinds"]["node-alloc"], 1);
  EXPECT_EQ(json["operations"]["LookupOrAllocate"], 1);
  ASSERT_EQ(json["lists"].size(), 1u);
  const auto& list = json["lists"][0];
  EXPECT_EQ(list["label"], "vmo:text #5");
  EXPECT_EQ(list["nodes"]["allocs"], 1);
  EXPECT_EQ(list["nodes"]["peak"], 1);
  EXPECT_EQ(list["content_at_end"], nlohmann::ordered_json({{"pages", 1},
                                                            {"references", 0},
                                                            {"markers", 0},
                                                            {"intervals", 0},
                                                            {"interval_sentinels", 0}}));
  EXPECT_EQ(list["operations"]["LookupOrAllocate"], 1);
  EXPECT_EQ(json["rates"]["buckets"], report.rates.buckets.size());
  EXPECT_EQ(json["rates"]["events_per_s"]["slot stores"].size(), report.rates.buckets.size());
  EXPECT_TRUE(json["problem"].is_null());
}

TEST_F(TraceReportTest, HostileNamesArePrintable) {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.Register(kListA, 9, std::string("ev\x1b[2Jil\"\\\n", 12));
  const TraceReport report = Report(trace);
  ASSERT_EQ(report.lists.size(), 1u);
  EXPECT_EQ(report.lists[0].label, "ev?[2Jil\"\\? #9");
  EXPECT_NO_THROW(TraceReportToJson(report).dump());
}

// ------------------------------------------------------------------------------------------------
// Rate plots.

TEST(RatePlot, NiceTicksAreRoundAndInside) {
  EXPECT_EQ(NiceTicks(0, 1, 5), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  const std::vector<double> ticks = NiceTicks(0, 0.0123, 4);
  ASSERT_EQ(ticks.size(), 3u);
  EXPECT_DOUBLE_EQ(ticks[1], 0.005);
  EXPECT_TRUE(NiceTicks(1, 1, 5).empty());
  EXPECT_TRUE(NiceTicks(0, NAN, 5).empty());
  for (double hi : {3.0, 7.5, 1234.0, 9.9e6}) {
    const std::vector<double> t = NiceTicks(0, hi, 4);
    ASSERT_GE(t.size(), 2u) << hi;
    EXPECT_LE(t.size(), 9u) << hi;
    EXPECT_LE(t.back(), hi) << hi;
  }
}

TEST(RatePlot, FormatsRatesAndSeconds) {
  EXPECT_EQ(FormatRate(0), "0/s");
  EXPECT_EQ(FormatRate(950), "950/s");
  EXPECT_EQ(FormatRate(12500), "12.5k/s");
  EXPECT_EQ(FormatRate(3.2e6), "3.20M/s");
  EXPECT_EQ(FormatSeconds(0.25, 0.05), "0.25");
  EXPECT_EQ(FormatSeconds(2, 1), "2");
  EXPECT_EQ(FormatSeconds(0.004, 0.002), "0.004");
}

RatePlot SamplePlot() {
  RatePlot plot;
  plot.title = "a <test> & plot";
  plot.bucket_seconds = 0.01;
  const char* names[] = {"slot stores", "operations", "idle"};
  for (int s = 0; s < 3; s++) {
    RatePlotSeries series;
    series.name = names[s];
    for (int i = 0; i < 150; i++) {
      series.rates.push_back(s == 2 ? 0.0 : (s + 1) * 1000.0 * (1 + std::sin(i / 10.0)));
    }
    plot.series.push_back(series);
  }
  return plot;
}

TEST(RatePlot, SvgIsACompleteDocumentWithLegendAndAxes) {
  const std::string svg = RenderRatePlotSvg(SamplePlot());
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find("a &lt;test&gt; &amp; plot"), std::string::npos);
  size_t polygons = 0;
  for (size_t at = svg.find("<polygon"); at != std::string::npos;
       at = svg.find("<polygon", at + 1)) {
    polygons++;
  }
  EXPECT_EQ(polygons, 3u);
  for (const char* text :
       {">slot stores</text>", ">operations</text>", ">idle</text>",
        "seconds since the first event", "events per second", ">0.2</text>", ">1.4</text>"}) {
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  }
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

// Columns a terminal shows: UTF-8 code points (every character used is one column wide).
size_t Columns(const std::string& line) {
  size_t n = 0;
  for (unsigned char c : line) {
    n += (c & 0xc0) != 0x80 ? 1 : 0;
  }
  return n;
}

TEST(RatePlot, TerminalPlotFitsTheWidth) {
  for (int width : {40, 80, 133}) {
    TerminalPlotOptions options;
    options.width = width;
    options.rows = 3;
    const std::string text = RenderRatePlotTerminal(SamplePlot(), options);
    size_t lines = 0;
    size_t start = 0;
    for (size_t end = text.find('\n'); end != std::string::npos;
         start = end + 1, end = text.find('\n', start)) {
      EXPECT_LE(Columns(text.substr(start, end - start)), static_cast<size_t>(width))
          << "width " << width << ": " << text.substr(start, end - start);
      lines++;
    }
    EXPECT_EQ(lines, 3u * (1 + 3) + 2) << text;
    EXPECT_NE(text.find("█"), std::string::npos);
  }
}

}  // namespace
}  // namespace vmpl::inspect
