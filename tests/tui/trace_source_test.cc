// The TUI's trace source (tui/src/trace_source.cc) on a real recording: the simulator runs in
// this process with the trace hooks on, a private ring drained into a trace file after every step
// (as `vmpl sim --trace` does), and the simulator stays alive, so that what the source rebuilds
// at the end of the trace is compared with the lists themselves, addresses included. Then: seeks
// in every direction, with and without keyframes, give the states a forward-only replay gives;
// one event changes at most the lists it names; EventsAround resolves events as a full
// resolution of the stream does; a truncated file shows its prefix and says so; a file that is
// not a trace does not open.

#include <gtest/gtest.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_replay.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>
#include <vmpl/sim.h>
#include <vmpl/trace.h>
#include <vmpl/tui/source.h>
#include <vmpl/tui/trace_source.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <vmpl/capture.h>

#include "../inspect/trace_test_traces.h"

namespace {

using vmpl::PageListAccess;
using vmpl::Snapshot;
using vmpl::SnapshotList;
using vmpl::SnapshotListKind;
using vmpl::SnapshotNode;
using vmpl::tui::OpenTraceSource;
using vmpl::tui::Source;
using vmpl::tui::StreamEvent;
using vmpl::tui::TraceSourceOptions;
namespace trace = vmpl::trace;

// One recording shared by the tests: the simulator that made it is alive until the suite ends.
struct Recorded {
  std::unique_ptr<vmpl::testing::Recording> recording;
  std::unique_ptr<vmpl::sim::Simulator> sim;
  std::vector<SnapshotList> final_state;  // every registered list when tracing stopped
  uint64_t events = 0;
};
Recorded* recorded = nullptr;

class TraceSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    recorded = new Recorded();
    recorded->recording = std::make_unique<vmpl::testing::Recording>(
        vmpl::testing::TempTracePath("tui_trace_source"));
    vmpl::sim::SimConfig config;
    config.seed = 11;
    config.vmos = 6;
    config.page_budget = 2048;
    recorded->sim = std::make_unique<vmpl::sim::Simulator>(config);
    for (int i = 0; i < 2000; i++) {
      ASSERT_TRUE(recorded->sim->Step());
      recorded->recording->Drain();
    }
    recorded->final_state = vmpl::CaptureRegisteredLists();
    std::unique_ptr<trace::TraceReader> reader = recorded->recording->Finish();
    ASSERT_TRUE(reader);
    recorded->events = reader->event_count();
  }
  static void TearDownTestSuite() {
    delete recorded;
    recorded = nullptr;
  }

  static const std::string& path() { return recorded->recording->path(); }

  static std::unique_ptr<Source> Open(const TraceSourceOptions& options = {}) {
    std::string error;
    std::unique_ptr<Source> source = OpenTraceSource(path(), options, &error);
    EXPECT_TRUE(source) << error;
    return source;
  }

  static Snapshot At(Source& source, uint64_t position) {
    std::string error;
    EXPECT_TRUE(source.Seek(position, &error)) << error;
    EXPECT_EQ(source.Cursor()->position, position);
    return source.Read();
  }
};

// The registered lists of |snapshot|, as the replay tests compare them.
std::vector<SnapshotList> Registered(const Snapshot& snapshot) {
  std::vector<SnapshotList> out;
  for (const SnapshotList& list : snapshot.lists) {
    if (list.registry_id != 0) {
      out.push_back(list);
    }
  }
  return out;
}

// Every field of one list, so that two reads can be compared exactly.
std::string Fingerprint(const SnapshotList& list) {
  std::string out =
      std::to_string(list.address) + "/" + std::to_string(list.registry_id) + "/" + list.name +
      "/" + std::to_string(static_cast<int>(list.kind)) + "/" + std::to_string(list.skew) + "/" +
      std::to_string(list.tree_count) + "/" + std::to_string(list.splice_offset) + "/" +
      std::to_string(list.splice_length) + "/" + std::to_string(list.splice_position) + "/" +
      std::to_string(list.splice_finalized) + "/" + std::to_string(list.problems.size()) + ":";
  auto node = [&out](const SnapshotNode& n) {
    out += " " + std::to_string(n.address) + "@" + std::to_string(n.key) + "#" +
           std::to_string(n.canary);
    for (uint64_t raw : n.slots) {
      out += "," + std::to_string(raw);
    }
  };
  node(list.head);
  node(list.tail);
  for (const SnapshotNode& n : list.nodes) {
    node(n);
  }
  return out;
}

// Lists by address.
std::map<uint64_t, std::string> Fingerprints(const Snapshot& snapshot) {
  std::map<uint64_t, std::string> out;
  for (const SnapshotList& list : snapshot.lists) {
    EXPECT_TRUE(out.emplace(list.address, Fingerprint(list)).second)
        << "two lists at " << list.address;
  }
  return out;
}

uint64_t Digest(const Snapshot& snapshot) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const auto& [address, text] : Fingerprints(snapshot)) {
    for (char c : std::to_string(address) + text) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    }
  }
  return hash ^ snapshot.problems.size();
}

TEST_F(TraceSourceTest, EndOfTheTraceIsTheSimulatorsState) {
  std::unique_ptr<Source> source = Open();
  ASSERT_TRUE(source);
  EXPECT_FALSE(source->live());
  EXPECT_EQ(source->EventsStatus(), "");
  EXPECT_EQ(source->Describe(), "trace " + path());
  ASSERT_GT(recorded->events, 10000u);
  ASSERT_EQ(source->Cursor()->size, recorded->events);
  const Snapshot snapshot = At(*source, recorded->events);
  EXPECT_EQ(snapshot.source, "trace " + path() + " @ event " + std::to_string(recorded->events) +
                                 " of " + std::to_string(recorded->events));
  EXPECT_TRUE(snapshot.problems.empty()) << snapshot.problems.front().message;
  ASSERT_FALSE(recorded->final_state.empty());
  EXPECT_EQ(vmpl::DescribeFirstDifference(recorded->final_state, Registered(snapshot)),
            "");

  // The recorded addresses are this process's: every registered list and node is where the
  // source says, with the canary the decoder expects.
  std::map<uint64_t, const SnapshotList*> by_id;
  for (const SnapshotList& list : snapshot.lists) {
    EXPECT_EQ(list.tree_count, list.nodes.size());
    EXPECT_TRUE(list.problems.empty());
    if (list.registry_id != 0) {
      by_id[list.registry_id] = &list;
    }
  }
  size_t compared_nodes = 0;
  for (const vmpl::RegistryEntryView& entry : vmpl::Registry::Snapshot()) {
    ASSERT_EQ(by_id.count(entry.id), 1u) << entry.name;
    const SnapshotList& list = *by_id[entry.id];
    EXPECT_EQ(list.address, entry.address) << entry.name;
    const PageListAccess::NodeTree& tree =
        entry.kind == vmpl::RegistryKind::kPageList
            ? PageListAccess::nodes(*reinterpret_cast<const VmPageList*>(entry.address))
            : PageListAccess::middle(*reinterpret_cast<const VmPageSpliceList*>(entry.address));
    ASSERT_EQ(tree.size(), list.nodes.size()) << entry.name;
    size_t n = 0;
    for (const VmPageListNode& node : tree) {
      EXPECT_EQ(list.nodes[n].address, reinterpret_cast<uint64_t>(&node)) << entry.name;
      EXPECT_EQ(list.nodes[n].canary, PageListAccess::kNodeCanary);
      n++;
      compared_nodes++;
    }
    if (entry.kind == vmpl::RegistryKind::kSpliceList) {
      const auto* splice = reinterpret_cast<const VmPageSpliceList*>(entry.address);
      EXPECT_EQ(list.head.address, reinterpret_cast<uint64_t>(&PageListAccess::head(*splice)));
      EXPECT_EQ(list.tail.address, reinterpret_cast<uint64_t>(&PageListAccess::tail(*splice)));
    }
  }
  EXPECT_GT(compared_nodes, 10u);

  std::string error;
  EXPECT_FALSE(source->ReadPage(0x1000, &error));
  EXPECT_NE(error, "");
}

TEST_F(TraceSourceTest, SeeksInAnyOrderGiveTheStatesOfAForwardReplay) {
  const uint64_t size = recorded->events;
  const std::vector<uint64_t> positions = {
      size / 2,          size, 0,        size / 2, size, 0,    size / 3, size / 3 + 1, size / 3,
      2 * size / 3 + 17, 5,    size - 1, 1000,     999,  2001, size};
  // The truth: a fresh source moved forward once, per position.
  std::map<uint64_t, uint64_t> truth;
  for (uint64_t position : positions) {
    if (truth.count(position) == 0) {
      std::unique_ptr<Source> fresh = Open({.keyframe_interval = 0});
      truth[position] = Digest(At(*fresh, position));
    }
  }
  EXPECT_NE(truth[0], truth[size]);
  EXPECT_NE(truth[size / 2], truth[size]);

  const std::vector<TraceSourceOptions> variants = {
      {.keyframe_interval = 0},                                     // always from the start
      {},                                                           // the default interval
      {.keyframe_interval = 1000},                                  // many keyframes
      {.keyframe_interval = 500, .keyframe_budget_bytes = 300000},  // thinned out
      {.keyframe_interval = 700, .keyframe_budget_bytes = 16},      // none fits
  };
  for (const TraceSourceOptions& options : variants) {
    SCOPED_TRACE("keyframe interval " + std::to_string(options.keyframe_interval) + " budget " +
                 std::to_string(options.keyframe_budget_bytes));
    std::unique_ptr<Source> source = Open(options);
    ASSERT_TRUE(source);
    for (uint64_t position : positions) {
      EXPECT_EQ(Digest(At(*source, position)), truth[position]) << "at " << position;
    }
  }

  // Past the end clamps to the end.
  std::unique_ptr<Source> source = Open();
  std::string error;
  ASSERT_TRUE(source->Seek(size + 100, &error)) << error;
  EXPECT_EQ(source->Cursor()->position, size);
}

TEST_F(TraceSourceTest, OneEventChangesOnlyTheListsItNames) {
  std::unique_ptr<Source> source = Open({.keyframe_interval = 1000});
  ASSERT_TRUE(source);
  const uint64_t start = recorded->events / 2;
  std::map<uint64_t, std::string> before = Fingerprints(At(*source, start));
  size_t changes = 0;
  for (uint64_t position = start; position < start + 300; position++) {
    const std::vector<StreamEvent> events = source->EventsAround(position, 1);
    ASSERT_EQ(events.size(), 1u);
    const StreamEvent& event = events[0];
    ASSERT_EQ(event.index, position);
    const std::map<uint64_t, std::string> after = Fingerprints(At(*source, position + 1));
    std::set<uint64_t> changed;
    for (const auto& [address, text] : before) {
      auto it = after.find(address);
      if (it == after.end() || it->second != text) {
        changed.insert(address);
      }
    }
    for (const auto& [address, text] : after) {
      if (before.count(address) == 0) {
        changed.insert(address);
      }
    }
    // Moves and transfers change two lists; everything else one at most.
    const trace::EventKind kind = event.event.kind;
    const bool two = kind == trace::EventKind::kNodeTransfer ||
                     kind == trace::EventKind::kListMove || kind == trace::EventKind::kSetAddress ||
                     (kind == trace::EventKind::kSlotStore && event.event.arg[2] != 0);
    EXPECT_LE(changed.size(), two ? 2u : 1u)
        << "event " << position << " " << trace::EventKindName(kind);
    if (!changed.empty()) {
      changes++;
      EXPECT_EQ(changed.count(event.list_address), 1u)
          << "event " << position << " " << trace::EventKindName(kind) << " names list "
          << event.list_address;
    }
    before = after;
  }
  EXPECT_GT(changes, 50u);
}

TEST_F(TraceSourceTest, EventsAroundTheCursorAreResolved) {
  // The truth: every event resolved in order, as the replay resolves it.
  std::string error;
  std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(path(), &error);
  ASSERT_TRUE(reader) << error;
  vmpl::inspect::TraceResolver resolver(reader->info().layout);
  for (const trace::FileRecord& record : reader->snapshot()) {
    resolver.Apply(record.event);
  }
  vmpl::tui::EventClock clock{reader->info().clock.ticks_per_second,
                              reader->info().clock.base_ticks,
                              reader->info().clock.base_monotonic_ns};
  std::vector<StreamEvent> truth;
  for (const trace::FileRecord& record : reader->events()) {
    const vmpl::inspect::Resolution resolution = resolver.Apply(record.event);
    truth.push_back(MakeStreamEvent(resolver, resolution, record.event, truth.size(), clock));
  }

  std::unique_ptr<Source> source = Open();
  ASSERT_TRUE(source);
  const uint64_t cursor = recorded->events / 2;
  const Snapshot snapshot = At(*source, cursor);
  std::set<uint64_t> addresses;
  for (const SnapshotList& list : snapshot.lists) {
    addresses.insert(list.address);
  }
  const std::vector<StreamEvent> window = source->EventsAround(cursor - 100, 200);
  ASSERT_EQ(window.size(), 200u);
  size_t stores_before = 0;
  size_t stores_after = 0;
  for (const StreamEvent& event : window) {
    const StreamEvent& expected = truth[event.index];
    EXPECT_EQ(event.time_ns, expected.time_ns);
    EXPECT_EQ(event.event.kind, expected.event.kind);
    EXPECT_EQ(event.event.object, expected.event.object);
    if (event.event.kind != trace::EventKind::kSlotStore) {
      continue;
    }
    if (event.index < cursor) {
      // Resolved as they were applied: exactly as a full resolution says.
      EXPECT_EQ(event.list_address, expected.list_address) << event.index;
      EXPECT_EQ(event.vmo_offset, expected.vmo_offset) << event.index;
      stores_before++;
    } else if (event.list_address != 0) {
      // Looked up in the state at the cursor: a list that Read() shows.
      EXPECT_EQ(addresses.count(event.list_address), 1u) << event.index;
      stores_after++;
    }
  }
  EXPECT_GT(stores_before, 10u);
  EXPECT_GT(stores_after, 10u);
  for (size_t i = 0; i < window.size(); i++) {
    EXPECT_EQ(window[i].index, cursor - 100 + i);
  }
  // Slot stores just before the cursor belong to lists the snapshot holds, unless destroyed since.
  for (const StreamEvent& event : window) {
    if (event.index < cursor && event.event.kind == trace::EventKind::kSlotStore &&
        event.list_address != 0 && addresses.count(event.list_address) == 0) {
      bool destroyed = false;
      for (uint64_t i = event.index; i < cursor; i++) {
        destroyed |= truth[i].event.kind == trace::EventKind::kListDestroy &&
                     truth[i].event.object == event.list_address;
      }
      EXPECT_TRUE(destroyed) << event.index;
    }
  }

  // The cursor's time is the last applied event's.
  const vmpl::tui::CursorState state = *source->Cursor();
  EXPECT_EQ(state.time_ns, truth[cursor - 1].time_ns);
  EXPECT_EQ(state.start_ns, truth.front().time_ns);
  EXPECT_EQ(state.end_ns, truth.back().time_ns);
  EXPECT_LE(state.start_ns, state.time_ns);
  EXPECT_LE(state.time_ns, state.end_ns);

  // Far behind the cursor, and at the end of the trace.
  ASSERT_TRUE(source->Seek(recorded->events, &error));
  const std::vector<StreamEvent> early = source->EventsAround(10, 5);
  ASSERT_EQ(early.size(), 5u);
  EXPECT_EQ(early[0].index, 10u);
  EXPECT_EQ(early[0].time_ns, truth[10].time_ns);
  EXPECT_EQ(source->EventsAround(recorded->events - 3, 100).size(), 3u);
  EXPECT_TRUE(source->EventsAround(recorded->events, 10).empty());
}

TEST_F(TraceSourceTest, TruncatedFileShowsItsPrefixAndSaysSo) {
  std::ifstream in(path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100000u);
  const std::string cut = vmpl::testing::TempTracePath("tui_trace_source_cut");
  {
    std::ofstream out(cut, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() * 3 / 5));
  }
  std::string error;
  std::unique_ptr<Source> source = OpenTraceSource(cut, &error);
  ASSERT_TRUE(source) << error;
  const uint64_t size = source->Cursor()->size;
  EXPECT_GT(size, 1000u);
  EXPECT_LT(size, recorded->events);
  EXPECT_NE(source->Describe().find("truncated"), std::string::npos) << source->Describe();
  const Snapshot prefix = At(*source, size);
  ASSERT_EQ(prefix.problems.size(), 1u);
  EXPECT_NE(prefix.problems[0].message.find(cut), std::string::npos);
  EXPECT_NE(prefix.problems[0].message.find("truncated"), std::string::npos)
      << prefix.problems[0].message;
  EXPECT_EQ(At(*source, 0).problems.size(), 1u);

  // The prefix is the state the whole trace has at that point.
  std::unique_ptr<Source> whole = Open();
  Snapshot full = At(*whole, size);
  full.problems = prefix.problems;
  EXPECT_EQ(Digest(prefix), Digest(full));
  std::remove(cut.c_str());
}

TEST_F(TraceSourceTest, NotATraceDoesNotOpen) {
  const std::string junk = vmpl::testing::TempTracePath("tui_trace_source_junk");
  {
    std::ofstream out(junk, std::ios::binary);
    out << "this is not a trace file, but it is long enough to have a header or two\n";
  }
  std::string error;
  EXPECT_FALSE(OpenTraceSource(junk, &error));
  EXPECT_NE(error.find(junk), std::string::npos) << error;
  std::remove(junk.c_str());

  error.clear();
  EXPECT_FALSE(OpenTraceSource(junk + ".missing", &error));
  EXPECT_NE(error, "");
}

TEST_F(TraceSourceTest, EventsThatContradictTheReplayAreProblemsUpToTheCursor) {
  vmpl::testing::HandTrace hand;
  const uint64_t list = 0x10000;
  const uint64_t node = 0x20000;
  const uint64_t slot = hand.SlotAddress(node, 3);
  hand.CreateList(list);                           // event 0
  hand.Register(list, 7, "vmo:7");                 // 1, 2
  hand.AllocNode(list, node, 0);                   // 3
  hand.Store(slot, 0, vmpl::testing::kPageRaw);    // 4
  hand.Store(slot, 0, vmpl::testing::kMarkerRaw);  // 5: the slot held a page
  // 6..65: enough events after it that a keyframe beyond it is worth restoring.
  for (int i = 0; i < 30; i++) {
    hand.Store(hand.SlotAddress(node, 9), 0, vmpl::testing::kMarkerRaw);
    hand.Store(hand.SlotAddress(node, 9), vmpl::testing::kMarkerRaw, 0);
  }
  const std::string damaged = vmpl::testing::TempTracePath("tui_trace_source_diverged");
  ASSERT_TRUE(hand.Write(damaged));
  std::string error;
  std::unique_ptr<Source> source = OpenTraceSource(damaged, {.keyframe_interval = 2}, &error);
  ASSERT_TRUE(source) << error;
  const Snapshot before = At(*source, 5);
  EXPECT_TRUE(before.problems.empty());
  ASSERT_EQ(before.lists.size(), 1u);
  EXPECT_EQ(before.lists[0].name, "vmo:7");
  EXPECT_EQ(before.lists[0].nodes[0].slots[3], vmpl::testing::kPageRaw);

  const Snapshot end = At(*source, 66);
  ASSERT_EQ(end.problems.size(), 1u);
  EXPECT_NE(end.problems[0].message.find("event 5"), std::string::npos) << end.problems[0].message;
  EXPECT_EQ(end.lists[0].nodes[0].slots[3], vmpl::testing::kMarkerRaw);
  // Back before it (from a keyframe), and forward again from a keyframe after it.
  EXPECT_TRUE(At(*source, 4).problems.empty());
  const Snapshot again = At(*source, 66);
  ASSERT_EQ(again.problems.size(), 1u);
  EXPECT_EQ(again.problems[0].message, end.problems[0].message);
  EXPECT_EQ(Digest(again), Digest(end));
  std::remove(damaged.c_str());
}

TEST_F(TraceSourceTest, WiderNodesThanThisBuildsDoNotOpen) {
  // A valid trace of another build, whose nodes have 32 slots: replaying its stores into this
  // build's 16-slot nodes would write past them.
  vmpl::testing::HandTrace hand;
  hand.info().layout.fanout = 32;
  vmpl::trace::TraceLayout& layout = hand.info().layout;
  layout.node_size += 16 * layout.slot_size;
  layout.splice_tail_offset = layout.splice_head_offset + layout.node_size;
  layout.splice_size = layout.splice_tail_offset + layout.node_size;
  const uint64_t list = 0x10000;
  const uint64_t node = 0x20000;
  hand.CreateList(list);
  hand.AllocNode(list, node, 0);
  hand.Store(hand.SlotAddress(node, 20), 0, vmpl::testing::kPageRaw);
  const std::string wide = vmpl::testing::TempTracePath("tui_trace_source_wide");
  ASSERT_TRUE(hand.Write(wide));
  std::string error;
  EXPECT_FALSE(OpenTraceSource(wide, &error));
  EXPECT_NE(error.find("32 slots per node"), std::string::npos) << error;
  std::remove(wide.c_str());
}

}  // namespace
