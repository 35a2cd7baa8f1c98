// The TUI's event log (counts, rates, the kept ring, filters) and its events pane: unit tests on
// hand-made StreamEvents with fixed times and addresses, golden frames of RenderEvents compared
// with tests/tui/golden/events_*.txt (VMPL_UPDATE_GOLDEN=1 rewrites them), and one stream built
// the way a source builds it, through inspect::TraceResolver and MakeStreamEvent.

#include <gtest/gtest.h>
#include <string.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace_event.h>
#include <vmpl/tui/event_log.h>
#include <vmpl/tui/events_view.h>
#include <vmpl/tui/frame.h>
#include <vmpl/tui/source.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "golden.h"

namespace {

using vmpl::testing::Both;
using vmpl::testing::ExpectGolden;

using vmpl::trace::Event;
using vmpl::trace::EventKind;
using vmpl::trace::OpKind;
using vmpl::tui::EventFilter;
using vmpl::tui::EventKindGroup;
using vmpl::tui::EventLog;
using vmpl::tui::Frame;
using vmpl::tui::ListNamer;
using vmpl::tui::StreamEvent;

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kListA = 0x7f0000010000;
constexpr uint64_t kListB = 0x7f0000020000;

StreamEvent Make(uint64_t index, EventKind kind, uint64_t list_address = kListA,
                 uint64_t time_ns = 0) {
  StreamEvent event;
  event.index = index;
  event.time_ns = time_ns;
  event.event.kind = kind;
  event.event.object = list_address;
  event.list_address = list_address;
  return event;
}

std::vector<uint64_t> Indexes(const std::vector<const StreamEvent*>& events) {
  std::vector<uint64_t> out;
  for (const StreamEvent* event : events) {
    out.push_back(event->index);
  }
  return out;
}

ListNamer MapNamer(std::map<uint64_t, std::string> names) {
  return [names = std::move(names)](uint64_t address) {
    auto it = names.find(address);
    return it == names.end() ? std::string() : it->second;
  };
}

// ---- EventLog ----

TEST(EventLog, KeepsTheNewestCapacityEvents) {
  EventLog log(4);
  for (uint64_t i = 0; i < 10; i++) {
    log.Add(Make(i, EventKind::kSlotStore));
    ASSERT_EQ(log.size(), std::min<size_t>(i + 1, 4)) << i;
    EXPECT_EQ(log.at(log.size() - 1).index, i) << i;
  }
  EXPECT_EQ(log.total(), 10u);
  for (size_t i = 0; i < 4; i++) {
    EXPECT_EQ(log.at(i).index, 6 + i) << i;
  }
}

TEST(EventLog, BatchAddKeepsWhatSingleAddsKeep) {
  std::vector<StreamEvent> batch;
  for (uint64_t i = 2; i < 12; i++) {
    batch.push_back(Make(i, i % 2 == 0 ? EventKind::kSlotStore : EventKind::kNodeAlloc));
  }
  EventLog singles(3);
  EventLog batched(3);
  for (uint64_t i = 0; i < 2; i++) {
    singles.Add(Make(i, EventKind::kOpBegin));
    batched.Add(Make(i, EventKind::kOpBegin));
  }
  for (const StreamEvent& event : batch) {
    singles.Add(event);
  }
  batched.Add(batch);
  ASSERT_EQ(batched.size(), singles.size());
  for (size_t i = 0; i < batched.size(); i++) {
    EXPECT_EQ(batched.at(i).index, singles.at(i).index) << i;
  }
  EXPECT_EQ(batched.total(), 12u);
  EXPECT_EQ(batched.total(EventKind::kSlotStore), 5u);
  EXPECT_EQ(batched.total(EventKind::kNodeAlloc), 5u);
  EXPECT_EQ(batched.total(EventKind::kOpBegin), 2u);
}

TEST(EventLog, CountsPerKindWithUnknownKindsTogether) {
  EventLog log(16);
  log.Add(Make(0, EventKind::kSlotStore));
  log.Add(Make(1, EventKind::kSlotStore));
  log.Add(Make(2, EventKind::kNodeFree));
  log.Add(Make(3, static_cast<EventKind>(999)));
  log.Add(Make(4, static_cast<EventKind>(0xffff)));
  EXPECT_EQ(log.total(), 5u);
  EXPECT_EQ(log.total(EventKind::kSlotStore), 2u);
  EXPECT_EQ(log.total(EventKind::kNodeFree), 1u);
  EXPECT_EQ(log.total(EventKind::kNodeAlloc), 0u);
  EXPECT_EQ(log.total(EventKind::kKindCount), 2u);
  EXPECT_EQ(log.total(static_cast<EventKind>(12345)), 2u);
}

TEST(EventLog, ZeroCapacityCountsButKeepsNothing) {
  EventLog log(0);
  log.Add(Make(0, EventKind::kSlotStore));
  std::vector<StreamEvent> batch(5, Make(1, EventKind::kNodeAlloc));
  log.Add(batch);
  EXPECT_EQ(log.size(), 0u);
  EXPECT_EQ(log.total(), 6u);
  EXPECT_TRUE(log.Newest(EventFilter(), 10).empty());
}

TEST(EventLog, RatesOverRoughlyTheLastSecond) {
  EventLog log;
  auto add = [&log](int count, EventKind kind) {
    for (int i = 0; i < count; i++) {
      log.Add(Make(log.total(), kind));
    }
  };
  log.Tick(10 * kSecond);
  EXPECT_EQ(log.rate(), 0);  // one tick: no interval yet
  add(100, EventKind::kSlotStore);
  log.Tick(10 * kSecond + kSecond / 2);
  EXPECT_DOUBLE_EQ(log.rate(), 200);  // what there is: half a second
  EXPECT_DOUBLE_EQ(log.rate(EventKind::kSlotStore), 200);
  add(100, EventKind::kNodeAlloc);
  log.Tick(11 * kSecond);
  EXPECT_DOUBLE_EQ(log.rate(), 200);
  EXPECT_DOUBLE_EQ(log.rate(EventKind::kSlotStore), 100);
  EXPECT_DOUBLE_EQ(log.rate(EventKind::kNodeAlloc), 100);
  add(300, EventKind::kSlotStore);
  log.Tick(11 * kSecond + kSecond / 2);
  // The window is now [10.5 s, 11.5 s]: the first 100 slot stores have left it.
  EXPECT_DOUBLE_EQ(log.rate(), 400);
  EXPECT_DOUBLE_EQ(log.rate(EventKind::kSlotStore), 300);
  EXPECT_DOUBLE_EQ(log.rate(EventKind::kNodeAlloc), 100);
  EXPECT_EQ(log.rate(EventKind::kOpEnd), 0);
  log.Tick(20 * kSecond);  // a quiet pause: the rates fall to 0
  EXPECT_EQ(log.rate(), 0);
  EXPECT_EQ(log.total(), 500u);
}

TEST(EventLog, ClockGoingBackwardsStartsRatesOver) {
  EventLog log;
  log.Tick(5 * kSecond);
  log.Add(Make(0, EventKind::kSlotStore));
  log.Tick(6 * kSecond);
  EXPECT_DOUBLE_EQ(log.rate(), 1);
  log.Add(Make(1, EventKind::kSlotStore));
  log.Tick(2 * kSecond);
  EXPECT_EQ(log.rate(), 0);
  log.Add(Make(2, EventKind::kSlotStore));
  log.Add(Make(3, EventKind::kSlotStore));
  log.Tick(3 * kSecond);
  EXPECT_DOUBLE_EQ(log.rate(), 2);
}

TEST(EventLog, ManyTicksInASecondStayBounded) {
  EventLog log;
  for (uint64_t t = 0; t < 10 * EventLog::kMaxSamples; t++) {
    log.Add(Make(t, EventKind::kSlotStore));
    log.Tick(t * 1000);  // a tick every microsecond: never a second apart
  }
  EXPECT_GT(log.rate(), 0);
  EXPECT_DOUBLE_EQ(log.rate(), 1e6);
}

TEST(EventLog, LostAndClear) {
  EventLog log(8);
  log.Add(Make(0, EventKind::kSlotStore, kListA, 7 * kSecond));
  log.AddLost(3);
  log.AddLost(4);
  log.Tick(0);
  log.Add(Make(1, EventKind::kSlotStore));
  log.Tick(kSecond);
  EXPECT_EQ(log.lost(), 7u);
  EXPECT_EQ(log.first_time_ns(), 7 * kSecond);
  log.Clear();
  EXPECT_EQ(log.lost(), 0u);
  EXPECT_EQ(log.total(), 0u);
  EXPECT_EQ(log.total(EventKind::kSlotStore), 0u);
  EXPECT_EQ(log.size(), 0u);
  EXPECT_EQ(log.rate(), 0);
  EXPECT_FALSE(log.first_time_ns().has_value());
  log.Add(Make(5, EventKind::kNodeAlloc));
  EXPECT_EQ(log.at(0).index, 5u);
}

TEST(EventLog, NewestWithFiltersAndSkip) {
  EventLog log(8);
  // 12 events, 4 dropped by the ring: 4..11 kept. Even indexes slot stores of A, odd node allocs
  // of B.
  for (uint64_t i = 0; i < 12; i++) {
    log.Add(i % 2 == 0 ? Make(i, EventKind::kSlotStore, kListA)
                       : Make(i, EventKind::kNodeAlloc, kListB));
  }
  const EventFilter all;
  EXPECT_EQ(Indexes(log.Newest(all, 3)), (std::vector<uint64_t>{9, 10, 11}));
  EXPECT_EQ(Indexes(log.Newest(all, 3, 2)), (std::vector<uint64_t>{7, 8, 9}));
  EXPECT_EQ(Indexes(log.Newest(all, 100)), (std::vector<uint64_t>{4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(Indexes(log.Newest(all, 100, 6)), (std::vector<uint64_t>{4, 5}));
  EXPECT_TRUE(log.Newest(all, 100, 8).empty());
  EXPECT_TRUE(log.Newest(all, 0).empty());

  EventFilter list_b;
  list_b.SetList(kListB);
  EXPECT_EQ(Indexes(log.Newest(list_b, 2)), (std::vector<uint64_t>{9, 11}));
  EXPECT_EQ(Indexes(log.Newest(list_b, 2, 1)), (std::vector<uint64_t>{7, 9}));

  EventFilter stores;
  stores.SetKindGroup(EventKindGroup::kSlotStores);
  EXPECT_EQ(Indexes(log.Newest(stores, 10)), (std::vector<uint64_t>{4, 6, 8, 10}));
  stores.SetList(kListB);
  EXPECT_TRUE(log.Newest(stores, 10).empty());

  EXPECT_EQ(log.NewerThan(all, 11), 0u);
  EXPECT_EQ(log.NewerThan(all, 4), 7u);
  EXPECT_EQ(log.NewerThan(list_b, 7), 2u);
  EXPECT_FALSE(log.NewerThan(all, 3).has_value());     // dropped by the ring
  EXPECT_FALSE(log.NewerThan(list_b, 8).has_value());  // filtered out
}

// ---- EventFilter ----

TEST(EventFilter, KindGroupsCycleBackToAll) {
  EventFilter filter;
  std::vector<std::string> names;
  for (int i = 0; i <= vmpl::tui::kEventKindGroupCount; i++) {
    names.emplace_back(filter.kind_group_name());
    filter.NextKindGroup();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"all", "slot stores", "nodes", "operations",
                                             "intervals", "lists", "all"}));
}

TEST(EventFilter, EveryKindIsInOneGroupBesidesAll) {
  for (int k = 0; k <= static_cast<int>(EventKind::kKindCount); k++) {
    const auto kind = static_cast<EventKind>(k);
    int groups = 0;
    for (int g = 1; g < vmpl::tui::kEventKindGroupCount; g++) {
      groups += vmpl::tui::InKindGroup(static_cast<EventKindGroup>(g), kind) ? 1 : 0;
    }
    EXPECT_TRUE(vmpl::tui::InKindGroup(EventKindGroup::kAll, kind)) << k;
    const bool only_all = kind == EventKind::kInvalid || kind == EventKind::kSnapshotBegin ||
                          kind == EventKind::kSnapshotEnd || kind == EventKind::kKindCount;
    EXPECT_EQ(groups, only_all ? 0 : 1) << vmpl::trace::EventKindName(kind);
  }
}

TEST(EventFilter, MatchesListAndKinds) {
  EventFilter filter;
  const StreamEvent store = Make(0, EventKind::kSlotStore, kListA);
  const StreamEvent alloc = Make(1, EventKind::kNodeAlloc, kListB);
  const StreamEvent checkpoint = Make(2, EventKind::kCheckpoint, 0);
  const StreamEvent clip = Make(3, EventKind::kIntervalClip, kListA);
  const StreamEvent name = Make(4, EventKind::kName, kListA);
  for (const StreamEvent* event : {&store, &alloc, &checkpoint, &clip, &name}) {
    EXPECT_TRUE(filter.Matches(*event)) << event->index;
  }
  filter.SetKindGroup(EventKindGroup::kNodes);
  EXPECT_FALSE(filter.Matches(store));
  EXPECT_TRUE(filter.Matches(alloc));
  filter.SetKindGroup(EventKindGroup::kOperations);
  EXPECT_TRUE(filter.Matches(checkpoint));
  filter.SetKindGroup(EventKindGroup::kIntervals);
  EXPECT_TRUE(filter.Matches(clip));
  filter.SetKindGroup(EventKindGroup::kLists);
  EXPECT_TRUE(filter.Matches(name));
  EXPECT_FALSE(filter.Matches(clip));
  filter.SetKindGroup(EventKindGroup::kAll);
  filter.SetList(kListA);
  EXPECT_EQ(filter.list(), kListA);
  EXPECT_TRUE(filter.Matches(store));
  EXPECT_FALSE(filter.Matches(alloc));
  EXPECT_FALSE(filter.Matches(checkpoint));  // belongs to no list
}

TEST(EventFilter, Describe) {
  const ListNamer name = MapNamer({{kListA, "vmo:3"}});
  EventFilter filter;
  EXPECT_EQ(filter.Describe(name), "all");
  filter.NextKindGroup();
  filter.NextKindGroup();
  EXPECT_EQ(filter.Describe(name), "kinds: nodes");
  filter.SetList(kListA);
  EXPECT_EQ(filter.Describe(name), "list vmo:3, kinds: nodes");
  filter.SetKindGroup(EventKindGroup::kAll);
  EXPECT_EQ(filter.Describe(name), "list vmo:3");
}

// ---- Formatting ----

TEST(EventsView, FormatRate) {
  EXPECT_EQ(vmpl::tui::FormatRate(0), "0");
  EXPECT_EQ(vmpl::tui::FormatRate(-5), "0");
  EXPECT_EQ(vmpl::tui::FormatRate(std::nan("")), "0");
  EXPECT_EQ(vmpl::tui::FormatRate(0.5), "0.5");
  EXPECT_EQ(vmpl::tui::FormatRate(9.96), "10");
  EXPECT_EQ(vmpl::tui::FormatRate(850), "850");
  EXPECT_EQ(vmpl::tui::FormatRate(999.4), "999");
  EXPECT_EQ(vmpl::tui::FormatRate(999.6), "1.00 K");
  EXPECT_EQ(vmpl::tui::FormatRate(1234), "1.23 K");
  EXPECT_EQ(vmpl::tui::FormatRate(45'600), "45.6 K");
  EXPECT_EQ(vmpl::tui::FormatRate(999'700), "1.00 M");
  EXPECT_EQ(vmpl::tui::FormatRate(1'230'000), "1.23 M");
  EXPECT_EQ(vmpl::tui::FormatRate(456e9), "456 G");
  EXPECT_EQ(vmpl::tui::FormatRate(5e15), "5000 T");
}

TEST(EventsView, FormatCount) {
  EXPECT_EQ(vmpl::tui::FormatCount(0), "0");
  EXPECT_EQ(vmpl::tui::FormatCount(999), "999");
  EXPECT_EQ(vmpl::tui::FormatCount(1000), "1,000");
  EXPECT_EQ(vmpl::tui::FormatCount(12'345'678), "12,345,678");
  EXPECT_EQ(vmpl::tui::FormatCount(UINT64_MAX), "18,446,744,073,709,551,615");
}

TEST(EventsView, DescribeEventDetail) {
  const ListNamer name = MapNamer({{kListA, "vmo:3"}, {kListB, "vmo:4"}});
  StreamEvent store = Make(0, EventKind::kSlotStore);
  store.event.arg[0] = 0;
  store.event.arg[1] = 0x7f0000001000;
  EXPECT_EQ(vmpl::tui::DescribeEventDetail(store, name), "empty -> page 0x7f0000001000");
  store.event.arg[0] = 0x5000 | 2 | 8;                    // a reference, left split
  store.event.arg[1] = 3 | (1 << 2) | (2 << 6) | 0x3000;  // interval start, dirty, awaiting
  store.event.arg[2] = 0x1234;
  EXPECT_EQ(vmpl::tui::DescribeEventDetail(store, name),
            "ref 0x5000(L.) -> page interval start dirty awaiting 0x3000 (moved)");

  StreamEvent transfer = Make(1, EventKind::kNodeTransfer, kListB);
  transfer.event.arg[1] = 0x40000;
  transfer.event.arg[2] = kListA;
  EXPECT_EQ(vmpl::tui::DescribeEventDetail(transfer, name), "node 0x40000 from vmo:3");

  StreamEvent op = Make(2, EventKind::kOpBegin);
  op.event.aux = static_cast<uint32_t>(OpKind::kMergeFrom);
  op.event.arg[0] = 0x1000;
  op.event.arg[1] = 0x9000;
  op.event.arg[2] = kListB;
  EXPECT_EQ(vmpl::tui::DescribeEventDetail(op, name), "MergeFrom 0x1000..0x9000 with vmo:4");
  op.event.aux = static_cast<uint32_t>(OpKind::kTakePages);
  op.event.arg[2] = 0x1230;  // a list nobody named
  EXPECT_EQ(vmpl::tui::DescribeEventDetail(op, name), "TakePages 0x1000+0x9000 with 0x1230");
  op.event.aux = 77;  // an op this build does not know
  op.event.arg[2] = 0;
  EXPECT_EQ(vmpl::tui::DescribeEventDetail(op, name), "unknown 0x1000");

  StreamEvent chunk = Make(3, EventKind::kName, kListA);
  chunk.event.object = 5;
  chunk.event.aux = 32;
  memcpy(chunk.event.arg, "vmo\x1b[2J", 8);
  EXPECT_EQ(vmpl::tui::DescribeEventDetail(chunk, name), "id 5 [32] \"vmo\x1b[2J\"");

  StreamEvent strange = Make(4, static_cast<EventKind>(300), 0);
  strange.event.object = 0x10;
  EXPECT_EQ(vmpl::tui::DescribeEventDetail(strange, name),
            "kind 300 object 0x10 aux 0 args 0x0 0x0 0x0 0x0");
}

// ---- RenderEvents: golden frames ----

// A stream with one event of most kinds, fixed times (1 ms apart, starting at 5 s) and
// addresses, on two named lists and one the namer does not know.
std::vector<StreamEvent> SyntheticStream() {
  std::vector<StreamEvent> out;
  uint64_t index = 100;
  auto add = [&](EventKind kind, uint64_t list, std::initializer_list<uint64_t> args,
                 uint32_t aux = 0) {
    StreamEvent event = Make(index, kind, list, 5 * kSecond + (index - 100) * 1'000'000 + 17);
    index++;
    event.event.aux = aux;
    size_t i = 0;
    for (uint64_t arg : args) {
      event.event.arg[i++] = arg;
    }
    out.push_back(event);
    return &out.back();
  };
  add(EventKind::kListCreate, kListA, {1});
  add(EventKind::kRegister, kListA, {3, kListA, 1});
  add(EventKind::kOpBegin, kListA, {0x10000, 0}, static_cast<uint32_t>(OpKind::kLookupOrAllocate));
  add(EventKind::kNodeAlloc, kListA, {0x7f0000100000, 0x10000});
  StreamEvent* store = add(EventKind::kSlotStore, kListA, {0, 0x7f0000003000, 0});
  store->vmo_offset = 0x10000;
  add(EventKind::kOpEnd, kListA, {});
  store = add(EventKind::kSlotStore, kListA, {0x7f0000003000, 1, 0});
  store->vmo_offset = 0x13000;
  add(EventKind::kSkewSet, kListB, {0x3000});
  add(EventKind::kOpBegin, kListB, {0x20000, 0x30000},
      static_cast<uint32_t>(OpKind::kAddZeroInterval));
  add(EventKind::kIntervalAdd, kListB, {0x20000, 0x2ffff});
  add(EventKind::kIntervalMerge, kListB, {0x20000, 0x2ffff}, 1);
  add(EventKind::kNodeTransfer, kListB, {0x7f0000100000, 0x10000, kListA});
  add(EventKind::kSlotStore, 0x7f00000c0000, {0, 0x5000 | 2 | 4, 0})->vmo_offset = 0x5000;
  add(EventKind::kCheckpoint, 0, {12});
  add(EventKind::kListDestroy, kListA, {});
  add(static_cast<EventKind>(200), 0, {1, 2});
  return out;
}

const ListNamer& SyntheticNamer() {
  static const ListNamer namer =
      MapNamer({{kListA, "vmo:3"}, {kListB, "a-rather-long-name-of-the-second-vmo"}});
  return namer;
}

std::string RenderSynthetic(const EventLog& log, const EventFilter& filter, int width, int height,
                            size_t skip = 0, std::string_view status = "",
                            std::optional<uint64_t> highlight = std::nullopt) {
  Frame frame(width, height);
  vmpl::tui::RenderEvents(frame, 0, 0, width, height, log, filter, SyntheticNamer(), skip, status,
                          highlight);
  return Both(frame);
}

EventLog BuildSyntheticLog() {
  EventLog log;
  log.Tick(100 * kSecond);
  log.Add(SyntheticStream());
  // 2,000,000 slot stores of a list nobody named, then lost events. The flood is counted; the
  // synthetic stream added again after it is what the frames show.
  std::vector<StreamEvent> flood(
      1000, Make(50, EventKind::kSlotStore, 0x7f0000090000, 5 * kSecond + 20'000'000));
  for (int i = 0; i < 2000; i++) {
    log.Add(flood);
  }
  log.AddLost(42);
  log.Add(SyntheticStream());
  log.Tick(101 * kSecond);
  return log;
}

// Built once: two million events are quick to count, but not six times under a sanitizer.
const EventLog& SyntheticLog() {
  static const EventLog log = BuildSyntheticLog();
  return log;
}

TEST(EventsView, LiveStream) {
  // 16 rows: exactly the synthetic stream, the flood before it out of sight.
  ExpectGolden("events_live", RenderSynthetic(SyntheticLog(), EventFilter(), 100, 18));
}

TEST(EventsView, ScrolledBackAndNarrow) {
  ExpectGolden("events_scrolled", RenderSynthetic(SyntheticLog(), EventFilter(), 56, 8, 5));
}

TEST(EventsView, FilteredByListAndKind) {
  EventFilter filter;
  filter.SetList(kListA);
  filter.SetKindGroup(EventKindGroup::kSlotStores);
  ExpectGolden("events_filtered", RenderSynthetic(SyntheticLog(), filter, 90, 6));
  filter.SetKindGroup(EventKindGroup::kIntervals);
  ExpectGolden("events_filtered_none", RenderSynthetic(SyntheticLog(), filter, 90, 4));
}

TEST(EventsView, ReplayHighlightsTheCursorWithoutRates) {
  // A replay's log, built from EventsAround and never ticked: totals instead of rates.
  EventLog log;
  log.Add(SyntheticStream());
  ExpectGolden("events_replay", RenderSynthetic(log, EventFilter(), 90, 12, 0, "", 106));
  // The cursor's event placed at the bottom of a short pane.
  const std::optional<size_t> skip = log.NewerThan(EventFilter(), 104);
  ASSERT_TRUE(skip.has_value());
  const std::string frame = RenderSynthetic(log, EventFilter(), 90, 5, *skip, "", 104);
  EXPECT_NE(frame.find(">104 "), std::string::npos) << frame;
}

TEST(EventsView, StatusReplacesTheRows) {
  EventLog log;
  ExpectGolden("events_status",
               RenderSynthetic(log, EventFilter(), 60, 5, 0,
                               "this source has no event stream\x07\n(core file)"));
}

TEST(EventsView, EmptyLog) {
  ExpectGolden("events_empty", RenderSynthetic(EventLog(), EventFilter(), 40, 4));
}

TEST(EventsView, UntrustedNamesAreSanitized) {
  EventLog log;
  log.Add(Make(0, EventKind::kListMove, kListA));
  const ListNamer evil = [](uint64_t) { return std::string("\x1b]0;pwned\x07\r\n\x7f"); };
  Frame frame(60, 3);
  vmpl::tui::RenderEvents(frame, 0, 0, 60, 3, log, EventFilter(), evil, 0, "", std::nullopt);
  const std::string text = frame.ToText();
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(c == '\n' || (byte >= 0x20 && byte != 0x7F)) << static_cast<int>(byte);
  }
  EXPECT_NE(text.find("?]0;pwned????"), std::string::npos) << text;
}

TEST(EventsView, TinyAndOffsetWindowsDoNotCrash) {
  const EventLog& log = SyntheticLog();
  EventFilter filter;
  filter.SetList(kListB);
  for (int width = -1; width <= 12; width++) {
    for (int height = -1; height <= 6; height++) {
      for (int x : {-3, 0, 5}) {
        Frame frame(8, 5);
        vmpl::tui::RenderEvents(frame, x, x, width, height, log, EventFilter(), SyntheticNamer(), 0,
                                "", 110);
        vmpl::tui::RenderEvents(frame, x, 1, width, height, log, filter, SyntheticNamer(), 3, "",
                                std::nullopt);
        vmpl::tui::RenderEvents(frame, x, 0, width, height, log, filter, nullptr, 0, "status",
                                std::nullopt);
      }
    }
  }
  // A pane wider and taller than its frame: clipped to the frame.
  Frame frame(10, 3);
  vmpl::tui::RenderEvents(frame, 0, 0, 500, 200, log, EventFilter(), SyntheticNamer(), 0, "", 110);
  EXPECT_EQ(frame.ToText().substr(0, 11), " 2.00 M ev\n") << frame.ToText();
}

// ---- Through the resolver, as a source builds its stream ----

TEST(EventsView, StreamEventsFromTheTraceResolver) {
  const vmpl::inspect::TraceLayout layout = vmpl::inspect::BuiltinTraceLayout();
  vmpl::inspect::TraceResolver resolver(layout);
  const vmpl::tui::EventClock clock{1e9, 1000, 2 * kSecond};  // ns ticks, 1000 ticks = 2 s
  constexpr uint64_t kList = 0x7f1000000000;
  constexpr uint64_t kNodeAddress = 0x7f2000000000;
  constexpr uint64_t kId = 9;
  constexpr uint64_t kSkew = 0x3000;

  std::vector<Event> events;
  auto add = [&events](EventKind kind, uint64_t object, std::initializer_list<uint64_t> args,
                       uint32_t aux = 0) {
    Event event{};
    event.timestamp = 1000 + events.size() * 500;
    event.object = object;
    event.kind = kind;
    event.aux = aux;
    size_t i = 0;
    for (uint64_t arg : args) {
      event.arg[i++] = arg;
    }
    events.push_back(event);
  };
  add(EventKind::kListCreate, kList, {static_cast<uint64_t>(vmpl::trace::ListKind::kPageList)});
  add(EventKind::kRegister, 0, {kId, kList, 1});
  Event name_event{};
  memcpy(name_event.arg, "vmo:3", 5);
  add(EventKind::kName, kId, {name_event.arg[0]});
  add(EventKind::kSkewSet, kList, {kSkew});
  add(EventKind::kNodeAlloc, kList, {kNodeAddress, 0x10000});
  const uint64_t slot_address = kNodeAddress + layout.node_slots_offset + 5 * layout.slot_size;
  add(EventKind::kSlotStore, slot_address, {0, 0x7f0000042000, 0});
  add(EventKind::kSlotStore, 0x1000, {0, 1, 0});  // a temporary on a stack: no list

  EventLog log;
  for (size_t i = 0; i < events.size(); i++) {
    const vmpl::inspect::Resolution resolution = resolver.Apply(events[i]);
    log.Add(vmpl::tui::MakeStreamEvent(resolver, resolution, events[i], i, clock));
  }
  ASSERT_EQ(log.size(), events.size());
  for (size_t i = 0; i < 6; i++) {
    EXPECT_EQ(log.at(i).list_address, kList) << i;
  }
  EXPECT_EQ(log.at(5).vmo_offset, static_cast<int64_t>(0x10000 + 5 * layout.page_size - kSkew));
  EXPECT_EQ(log.at(6).list_address, 0u);
  EXPECT_EQ(log.at(6).vmo_offset, -1);
  EXPECT_EQ(log.at(0).vmo_offset, -1);
  EXPECT_EQ(log.at(5).time_ns, 2 * kSecond + 5 * 500);

  const ListNamer namer = [&resolver](uint64_t address) {
    const vmpl::inspect::TracedList* list = resolver.ListAt(address);
    return list == nullptr ? std::string() : list->name;
  };
  Frame frame(80, 9);
  vmpl::tui::RenderEvents(frame, 0, 0, 80, 9, log, EventFilter(), namer, 0, "", 5);
  ExpectGolden("events_resolved", Both(frame));
}

}  // namespace
