// Record-and-replay of the simulator, end to end in one process: the simulator runs with the
// trace hooks on, a private ring is drained into a real trace file after every step
// (TraceRecorder), the file is read back (TraceReader) and replayed into real page lists
// (TraceReplay). The replayed state of every registered list must equal, slot raw value for slot
// raw value, node key for node key and skew for skew, the state the simulator holds when tracing
// stops. Also: a reader that attaches late (snapshot in the middle of the run), --check finding
// the first event that breaks an invariant, and a damaged event that the replay detects.
//
// Seeds come from --gtest_random_seed (printed on failure); rerun a failure with the same flag.

#include <gtest/gtest.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_recorder.h>
#include <vmpl/capture.h>
#include <vmpl/inspect/trace_replay.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>
#include <vmpl/sim.h>
#include <vmpl/trace.h>
#include <vmpl/trace_ring.h>

#include "trace_test_traces.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using vmpl::CaptureRegisteredLists;
using vmpl::DescribeFirstDifference;
using ListState = vmpl::SnapshotList;
using vmpl::inspect::TraceRecorder;
using vmpl::inspect::TraceReplay;
using vmpl::sim::SimConfig;
using vmpl::sim::Simulator;
namespace trace = vmpl::trace;

uint64_t TestSeed() {
  return static_cast<uint64_t>(::testing::UnitTest::GetInstance()->random_seed());
}

std::string TempPath(const std::string& tag) {
  return ::testing::TempDir() + "vmpl_trace_replay_" + tag + "_" + std::to_string(getpid()) +
         ".vmpltrace";
}

// A private ring drained into a file by a recorder in this process, as `vmpl sim --trace` does.
// Finish() returns the state of every registered list when tracing stopped.
class InProcessRecording : public vmpl::testing::Recording {
 public:
  using Recording::Recording;
  std::vector<ListState> Finish() {
    std::vector<ListState> state = CaptureRegisteredLists();
    Recording::Finish();
    return state;
  }
};

struct ReplayOutcome {
  std::vector<ListState> lists;
  uint64_t events = 0;
  uint64_t divergences = 0;
  std::string first_divergence;
  uint64_t inconsistencies = 0;
  std::string first_inconsistency;
  std::vector<vmpl::inspect::ReplayProblem> problems;
};

ReplayOutcome ReplayFile(const std::string& path,
                         TraceReplay::Check check = TraceReplay::Check::kNone,
                         uint64_t corrupt_event = UINT64_MAX, uint64_t corrupt_raw = 0) {
  std::string error;
  std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(path, &error);
  EXPECT_TRUE(reader) << error;
  ReplayOutcome outcome;
  if (!reader) {
    return outcome;
  }
  EXPECT_EQ(reader->problem(), "");
  EXPECT_TRUE(reader->complete());
  TraceReplay replay(reader->info().layout, check);
  uint64_t index = 0;
  for (const trace::FileRecord& record : reader->snapshot()) {
    replay.Apply(record.event, index++);
  }
  uint64_t event_index = 0;
  for (const trace::FileRecord& record : reader->events()) {
    trace::Event event = record.event;
    if (event_index == corrupt_event) {
      event.arg[1] = corrupt_raw;
    }
    replay.Apply(event, event_index++);
  }
  replay.Finish(event_index);
  outcome.lists = replay.Lists(/*registered_only=*/true);
  outcome.events = event_index;
  outcome.divergences = replay.divergences();
  outcome.first_divergence = replay.first_divergence();
  outcome.inconsistencies = replay.resolver().inconsistencies();
  outcome.first_inconsistency = replay.resolver().first_inconsistency();
  outcome.problems = replay.problems();
  return outcome;
}

void RunAndCompare(uint64_t seed, uint64_t steps, const std::string& mix_note) {
  SCOPED_TRACE("seed " + std::to_string(seed) + " " + mix_note);
  InProcessRecording recording(TempPath("run"));
  std::vector<ListState> expected;
  {
    SimConfig config;
    config.seed = seed;
    config.vmos = 6;
    config.page_budget = 2048;
    Simulator sim(config);
    for (uint64_t i = 0; i < steps; i++) {
      ASSERT_TRUE(sim.Step());
      recording.Drain();
    }
    expected = recording.Finish();
  }
  ASSERT_FALSE(expected.empty());
  const ReplayOutcome replayed = ReplayFile(recording.path());
  EXPECT_GT(replayed.events, steps);
  EXPECT_EQ(replayed.divergences, 0u) << replayed.first_divergence;
  EXPECT_EQ(replayed.inconsistencies, 0u) << replayed.first_inconsistency;
  EXPECT_EQ(DescribeFirstDifference(expected, replayed.lists), "");
  EXPECT_EQ(vmpl::ContentDigest(expected), vmpl::ContentDigest(replayed.lists));
}

TEST(TraceReplayTest, SimulatorRunReplaysToTheSimulatorsFinalState) {
  for (uint64_t i = 0; i < 3; i++) {
    RunAndCompare(TestSeed() * 7 + i, 1500, "default mix");
  }
}

TEST(TraceReplayTest, ReplayMatchesAtEveryCheckpointOfAShortRun) {
  // The state after step k, for several k, equals the replay of the trace cut after step k's
  // checkpoint: replay --at is exact, not only at the end.
  const uint64_t seed = TestSeed() + 11;
  InProcessRecording recording(TempPath("prefix"));
  std::vector<std::pair<uint64_t, std::vector<ListState>>> states;
  {
    SimConfig config;
    config.seed = seed;
    config.vmos = 4;
    Simulator sim(config);
    for (uint64_t step = 1; step <= 400; step++) {
      ASSERT_TRUE(sim.Step());
      recording.Drain();
      if (step % 100 == 0) {
        states.emplace_back(recording.recorder().event_records(), CaptureRegisteredLists());
      }
    }
    recording.Finish();
  }
  std::string error;
  auto reader = trace::TraceReader::Open(recording.path(), &error);
  ASSERT_TRUE(reader) << error;
  for (const auto& [events, expected] : states) {
    TraceReplay replay(reader->info().layout);
    uint64_t index = 0;
    for (const trace::FileRecord& record : reader->snapshot()) {
      replay.Apply(record.event, index++);
    }
    index = 0;
    for (const trace::FileRecord& record : reader->events()) {
      if (index == events) {
        break;
      }
      replay.Apply(record.event, index++);
    }
    EXPECT_EQ(DescribeFirstDifference(expected, replay.Lists(true)), "") << "after " << events;
  }
}

TEST(TraceReplayTest, LateReaderGetsASnapshotAndReplaysToTheSameState) {
  const uint64_t seed = TestSeed() + 23;
  InProcessRecording recording(TempPath("late"), /*start_now=*/false);
  std::vector<ListState> expected;
  {
    SimConfig config;
    config.seed = seed;
    config.vmos = 6;
    Simulator sim(config);
    for (int i = 0; i < 700; i++) {
      ASSERT_TRUE(sim.Step());  // untraced: armed, off
    }
    recording.Drain();
    EXPECT_FALSE(recording.recorder().snapshot_started());
    recording.RequestSnapshot();
    for (int i = 0; i < 700; i++) {
      ASSERT_TRUE(sim.Step());  // the first step's end answers the request
      recording.Drain();
    }
    EXPECT_TRUE(recording.recorder().snapshot_done());
    EXPECT_GT(recording.recorder().snapshot_records(), 10u);
    expected = recording.Finish();
  }
  const ReplayOutcome replayed = ReplayFile(recording.path());
  EXPECT_EQ(replayed.divergences, 0u) << replayed.first_divergence;
  EXPECT_EQ(replayed.inconsistencies, 0u) << replayed.first_inconsistency;
  EXPECT_EQ(DescribeFirstDifference(expected, replayed.lists), "");
}

TEST(TraceReplayTest, CheckIsCleanOnAGoodRunAndNamesTheEventThatBreaksAnInvariant) {
  const uint64_t seed = TestSeed() + 31;
  InProcessRecording recording(TempPath("check"));
  {
    SimConfig config;
    config.seed = seed;
    config.vmos = 4;
    Simulator sim(config);
    for (int i = 0; i < 600; i++) {
      ASSERT_TRUE(sim.Step());
      recording.Drain();
    }
    recording.Finish();
  }
  for (TraceReplay::Check mode : {TraceReplay::Check::kCheckpoints, TraceReplay::Check::kEveryEvent}) {
    const ReplayOutcome clean = ReplayFile(recording.path(), mode);
    EXPECT_TRUE(clean.problems.empty()) << clean.problems.front().message;
  }

  // Take the last page store of a step (nothing but operation ends between it and the step's
  // checkpoint, so nothing undoes it before the invariants are judged) in the second half of the
  // trace, and make it store a malformed interval sentinel (type 3, sentinel bits 3 = none).
  std::string error;
  auto reader = trace::TraceReader::Open(recording.path(), &error);
  ASSERT_TRUE(reader) << error;
  vmpl::inspect::TraceResolver resolver(reader->info().layout);
  for (const trace::FileRecord& record : reader->snapshot()) {
    resolver.Apply(record.event);
  }
  uint64_t target = UINT64_MAX;
  uint64_t candidate = UINT64_MAX;  // the last page store into an empty list slot
  uint64_t index = 0;
  for (const trace::FileRecord& record : reader->events()) {
    const trace::Event& event = record.event;
    const vmpl::inspect::Resolution r = resolver.Apply(event);
    if (event.kind == trace::EventKind::kSlotStore) {
      const bool page_into_empty =
          r.slot.valid() && event.arg[0] == 0 && event.arg[1] != 0 && (event.arg[1] & 3) == 0;
      candidate = page_into_empty ? index : UINT64_MAX;
    } else if (event.kind == trace::EventKind::kCheckpoint) {
      if (candidate != UINT64_MAX && index > reader->event_count() / 2) {
        target = candidate;
        break;
      }
      candidate = UINT64_MAX;
    } else if (event.kind != trace::EventKind::kOpEnd) {
      candidate = UINT64_MAX;
    }
    index++;
  }
  ASSERT_NE(target, UINT64_MAX);
  const ReplayOutcome exact = ReplayFile(recording.path(), TraceReplay::Check::kEveryEvent, target,
                                        /*corrupt_raw=*/0b1111);
  ASSERT_FALSE(exact.problems.empty());
  EXPECT_TRUE(exact.problems.front().exact);
  EXPECT_EQ(exact.problems.front().event_index, target) << exact.problems.front().message;

  // The cheap mode finds it too, in the window that ends at the step's checkpoint.
  const ReplayOutcome windowed = ReplayFile(recording.path(), TraceReplay::Check::kCheckpoints,
                                           target, /*corrupt_raw=*/0b1111);
  ASSERT_FALSE(windowed.problems.empty());
  EXPECT_FALSE(windowed.problems.front().exact);
  EXPECT_LE(windowed.problems.front().event_index, target);
  EXPECT_GT(windowed.problems.front().checkpoint_index, target);
  EXPECT_TRUE(windowed.problems.front().SameViolation(exact.problems.front()))
      << windowed.problems.front().message << " vs " << exact.problems.front().message;
}

TEST(TraceReplayTest, HooksOffWriteNothing) {
  InProcessRecording recording(TempPath("off"), /*start_now=*/false);
  {
    VmPageList list;
    auto [slot, in_interval] = list.LookupOrAllocate(0, VmPageList::IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    *slot = VmPageOrMarker::Marker();
    list.RemoveAllContent([](VmPageOrMarker&&) {});
  }
  recording.Drain();
  EXPECT_EQ(recording.recorder().discarded(), 0u);
  recording.Finish();
}

}  // namespace

namespace {

// A trace of a build whose nodes hold 32 slots names slots this build's 16-slot nodes lack: a
// store there is a divergence, never a write past the node.
TEST(TraceReplayTest, StoreBeyondThisBuildsFanoutIsADivergence) {
  vmpl::inspect::TraceLayout layout = vmpl::inspect::BuiltinTraceLayout();
  layout.fanout = 32;
  layout.node_size += 16 * layout.slot_size;
  vmpl::inspect::TraceReplay replay(layout);
  const uint64_t list = 0x10000;
  const uint64_t node = 0x20000;
  auto event = [](vmpl::trace::EventKind kind, uint64_t object, uint64_t a0, uint64_t a1) {
    vmpl::trace::Event e{};
    e.kind = kind;
    e.object = object;
    e.arg[0] = a0;
    e.arg[1] = a1;
    return e;
  };
  replay.Apply(event(vmpl::trace::EventKind::kListCreate, list,
                     static_cast<uint64_t>(vmpl::trace::ListKind::kPageList), 0),
               0);
  replay.Apply(event(vmpl::trace::EventKind::kNodeAlloc, list, node, 0), 1);
  replay.Apply(event(vmpl::trace::EventKind::kSlotStore,
                     node + layout.node_slots_offset + 20 * layout.slot_size, 0, 0b01),
               2);
  EXPECT_EQ(replay.divergences(), 1u);
  EXPECT_NE(replay.first_divergence().find("slot 20"), std::string::npos)
      << replay.first_divergence();
  // Slot 3 exists in both builds and is replayed.
  replay.Apply(event(vmpl::trace::EventKind::kSlotStore,
                     node + layout.node_slots_offset + 3 * layout.slot_size, 0, 0b01),
               3);
  EXPECT_EQ(replay.divergences(), 1u);
}

}  // namespace
