// Tests of the workload simulator (<vmpl/sim.h>): determinism (same seed, same state digest and
// stats; different seeds differ; checks and interleaving change nothing), coverage (every kind
// of mutation happens with the default mix), validity (vmpl::Validate clean between steps, a
// violation is caught and reported with its step), memory (the budget holds after every step,
// the accounting matches the lists, everything is freed on destruction), and the registry (every
// live list and splice list is registered under its name and address, and unregistered at the
// end).
//
// Seeds come from --gtest_random_seed (printed on failure); rerun a failure with the same flag.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>
#include <vmpl/registry.h>
#include <vmpl/sim.h>
#include <vmpl/validate.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

using vmpl::sim::Census;
using vmpl::sim::kNumOpKinds;
using vmpl::sim::kOpKindNames;
using vmpl::sim::ListInfo;
using vmpl::sim::OpKind;
using vmpl::sim::RunLimits;
using vmpl::sim::SimConfig;
using vmpl::sim::Simulator;
using vmpl::sim::SpliceInfo;
using vmpl::sim::VmoKind;

uint64_t TestSeed() {
  return static_cast<uint64_t>(::testing::UnitTest::GetInstance()->random_seed());
}

std::string SeedTrace(uint64_t seed) {
  return "simulator seed " + std::to_string(seed) + " (rerun with --gtest_random_seed=" +
         std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ")";
}

SimConfig Config(uint64_t seed) {
  SimConfig config;
  config.seed = seed;
  return config;
}

// The names of the kinds whose count is 0.
std::vector<std::string> KindsNotRun(const vmpl::sim::SimStats& stats) {
  std::vector<std::string> missing;
  for (size_t i = 0; i < kNumOpKinds; i++) {
    if (stats.counts[i] == 0) {
      missing.push_back(kOpKindNames[i]);
    }
  }
  return missing;
}

TEST(SimOpKind, NamesRoundTrip) {
  std::set<std::string> names;
  for (size_t i = 0; i < kNumOpKinds; i++) {
    const OpKind kind = static_cast<OpKind>(i);
    EXPECT_STREQ(vmpl::sim::OpKindName(kind), kOpKindNames[i]) << i;
    ASSERT_TRUE(vmpl::sim::OpKindFromName(kOpKindNames[i]).has_value()) << kOpKindNames[i];
    EXPECT_EQ(*vmpl::sim::OpKindFromName(kOpKindNames[i]), kind) << kOpKindNames[i];
    EXPECT_TRUE(names.insert(kOpKindNames[i]).second) << "duplicate name " << kOpKindNames[i];
  }
  EXPECT_FALSE(vmpl::sim::OpKindFromName("no_such_kind").has_value());
  // The kinds the issue names are all there.
  for (const char* name : {"commit",
                           "decommit",
                           "dedup_marker",
                           "compress",
                           "decompress",
                           "change_reference",
                           "cow_fork",
                           "clone_create",
                           "clone_destroy",
                           "interval_add",
                           "interval_split_write",
                           "interval_populate",
                           "interval_return_slot",
                           "interval_writeback",
                           "interval_clip_start",
                           "interval_clip_end",
                           "replace_with_interval",
                           "take_pages",
                           "splice_append",
                           "splice_pop",
                           "merge_from",
                           "merge_onto"}) {
    EXPECT_TRUE(vmpl::sim::OpKindFromName(name).has_value()) << name;
  }
}

TEST(SimConfig, ProblemsAreReported) {
  EXPECT_EQ(SimConfig{}.Problem(), "");
  SimConfig config;
  config.vmos = 1;
  EXPECT_NE(config.Problem(), "");
  config = SimConfig{};
  config.max_vmo_size = (uint64_t{1} << 20) + 1;
  EXPECT_NE(config.Problem(), "");
  config = SimConfig{};
  config.max_vmo_size = uint64_t{1} << 19;
  EXPECT_NE(config.Problem(), "");
  config = SimConfig{};
  config.mix[static_cast<size_t>(OpKind::kCowMove)] = 1;
  EXPECT_NE(config.Problem(), "");
  config = SimConfig{};
  config.mix.fill(0);
  EXPECT_NE(config.Problem(), "");
  config.mix[static_cast<size_t>(OpKind::kCommit)] = 1;
  EXPECT_EQ(config.Problem(), "");
  config.page_budget = 10;
  EXPECT_NE(config.Problem(), "");
}

TEST(Simulator, SameSeedSameStateAndStats) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  Simulator a(Config(seed));
  a.Run(RunLimits{.max_ops = 20000});
  Simulator b(Config(seed));
  for (int i = 0; i < 20000; i++) {
    b.Step();
  }
  EXPECT_EQ(a.stats().steps, 20000u);
  EXPECT_EQ(b.stats().steps, 20000u);
  EXPECT_EQ(a.StateDigest(), b.StateDigest());
  for (size_t i = 0; i < kNumOpKinds; i++) {
    EXPECT_EQ(a.stats().counts[i], b.stats().counts[i]) << kOpKindNames[i];
    EXPECT_EQ(a.stats().chosen[i], b.stats().chosen[i]) << kOpKindNames[i];
  }
  EXPECT_EQ(a.stats().live_pages, b.stats().live_pages);
  EXPECT_EQ(a.stats().live_references, b.stats().live_references);
}

TEST(Simulator, DifferentSeedsDiffer) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  Simulator a(Config(seed));
  Simulator b(Config(seed + 1));
  a.Run(RunLimits{.max_ops = 2000});
  b.Run(RunLimits{.max_ops = 2000});
  EXPECT_NE(a.StateDigest(), b.StateDigest());
  EXPECT_NE(a.stats().counts, b.stats().counts);
}

// Validation reads, never changes: a run checked every 7 steps ends where an unchecked one does.
// Two simulators stepped alternately in one process end where each would alone.
TEST(Simulator, ChecksAndInterleavingChangeNothing) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  uint64_t alone;
  {
    Simulator sim(Config(seed));
    sim.Run(RunLimits{.max_ops = 5000});
    alone = sim.StateDigest();
  }
  SimConfig checked = Config(seed);
  checked.check_every = 7;
  Simulator a(checked);
  Simulator b(Config(seed));
  for (int i = 0; i < 5000; i++) {
    ASSERT_TRUE(a.Step()) << "step " << i << ": " << a.failure()->ToString();
    b.Step();
  }
  EXPECT_GT(a.stats().checks, 700u);
  EXPECT_EQ(a.StateDigest(), alone);
  EXPECT_EQ(b.StateDigest(), alone);
}

TEST(Simulator, EveryKindRunsWithTheDefaultMix) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  Simulator sim(Config(seed));
  const vmpl::sim::RunResult result = sim.Run(RunLimits{.max_ops = 50000});
  EXPECT_EQ(result.steps, 50000u);
  EXPECT_FALSE(result.violation);
  EXPECT_THAT(KindsNotRun(sim.stats()), ::testing::IsEmpty());
  // Every action was chosen, and most steps did something.
  for (size_t i = 0; i < kNumOpKinds; i++) {
    if (vmpl::sim::IsAction(static_cast<OpKind>(i))) {
      EXPECT_GT(sim.stats().chosen[i], 0u) << kOpKindNames[i];
    }
  }
  EXPECT_LT(sim.stats().idle_steps, sim.stats().steps / 2);
  // Clone trees with skewed lists and hidden parents exist along the way.
  const Census census = sim.TakeCensus();
  EXPECT_GT(census.lists, 0u);
  EXPECT_GT(census.pager_vmos, 0u);
}

TEST(Simulator, ValidBetweenEveryStep) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  SimConfig config = Config(seed);
  config.check_every = 1;
  Simulator sim(config);
  size_t max_skewed = 0;
  size_t max_hidden = 0;
  size_t max_splices = 0;
  for (int i = 0; i < 4000; i++) {
    ASSERT_TRUE(sim.Step()) << "step " << i << ": " << sim.failure()->ToString();
    if (i % 50 == 0) {
      const Census census = sim.TakeCensus();
      max_skewed = std::max(max_skewed, census.skewed_lists);
      max_hidden = std::max(max_hidden, census.hidden_vmos);
      max_splices = std::max(max_splices, census.splice_lists);
    }
  }
  EXPECT_EQ(sim.stats().checks, 4000u);
  EXPECT_FALSE(sim.CheckAll().has_value());
  // And independently of the simulator's own pass:
  size_t lists = 0;
  sim.ForEachList([&lists](const ListInfo& info) {
    lists++;
    EXPECT_THAT(vmpl::Validate(*info.list), ::testing::IsEmpty()) << info.name;
  });
  sim.ForEachSplice([](const SpliceInfo& info) {
    EXPECT_THAT(vmpl::Validate(*info.splice), ::testing::IsEmpty()) << info.name;
  });
  EXPECT_GT(lists, 0u);
  EXPECT_GT(max_skewed, 0u);
  EXPECT_GT(max_hidden, 0u);
  EXPECT_GT(max_splices, 0u);
}

TEST(Simulator, ValidAfterALongRunWithManyVmos) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  SimConfig config = Config(seed);
  config.vmos = 24;
  config.max_vmo_size = uint64_t{64} << 30;
  config.page_budget = 4096;
  config.check_every = 97;
  Simulator sim(config);
  const vmpl::sim::RunResult result = sim.Run(RunLimits{.max_ops = 60000});
  ASSERT_FALSE(result.violation) << sim.failure()->ToString();
  EXPECT_FALSE(sim.CheckAll().has_value());
  EXPECT_THAT(KindsNotRun(sim.stats()), ::testing::IsEmpty());
}

TEST(Simulator, BudgetHoldsAfterEveryStep) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  SimConfig config = Config(seed);
  config.page_budget = 300;
  config.node_budget = 200;
  Simulator sim(config);
  bool reached = false;
  for (int i = 0; i < 20000; i++) {
    sim.Step();
    const auto& stats = sim.stats();
    ASSERT_LE(stats.live_pages + stats.live_references, 300u) << "step " << i;
    if (stats.steps % 64 == 0) {
      ASSERT_LE(sim.TakeCensus().nodes, 200u) << "step " << i;
    }
    reached |= stats.live_pages + stats.live_references >= 250;
  }
  EXPECT_TRUE(reached) << "the workload never came near the budget";
  EXPECT_GT(sim.stats().count(OpKind::kEvict), 0u);
  EXPECT_LE(sim.stats().peak_pages_and_references, 300u);
}

TEST(Simulator, AccountingMatchesTheLists) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  vmpl::PageAllocator& allocator = vmpl::PageAllocator::Get();
  const size_t pages_before = allocator.pages_outstanding();
  const size_t references_before = allocator.references_outstanding();
  Simulator sim(Config(seed));
  for (int round = 0; round < 10; round++) {
    sim.Run(RunLimits{.max_ops = 1000});
    const Census census = sim.TakeCensus();
    EXPECT_EQ(census.pages, sim.stats().live_pages) << "round " << round;
    EXPECT_EQ(census.references, sim.stats().live_references) << "round " << round;
    EXPECT_EQ(allocator.pages_outstanding() - pages_before, census.pages) << "round " << round;
    EXPECT_EQ(allocator.references_outstanding() - references_before, census.references)
        << "round " << round;
  }
}

TEST(Simulator, FreesEverythingWhenDestroyed) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  vmpl::PageAllocator& allocator = vmpl::PageAllocator::Get();
  const size_t pages_before = allocator.pages_outstanding();
  const size_t references_before = allocator.references_outstanding();
  {
    Simulator sim(Config(seed));
    sim.Run(RunLimits{.max_ops = 20000});
    EXPECT_GT(allocator.pages_outstanding(), pages_before);
  }
  EXPECT_EQ(allocator.pages_outstanding(), pages_before);
  EXPECT_EQ(allocator.references_outstanding(), references_before);
}

TEST(Simulator, RegistersEveryListAndSpliceList) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  const std::regex list_name(R"(vmo:[0-9]+/(anon|aux|pager|hidden|clone-of:[0-9]+))");
  const std::regex splice_name(R"(splice:[0-9]+/(supply-for|collect-from):vmo:[0-9]+)");
  std::set<uint64_t> ids;
  {
    Simulator sim(Config(seed));
    size_t splices_seen = 0;
    size_t hidden_seen = 0;
    for (int round = 0; round < 40; round++) {
      sim.Run(RunLimits{.max_ops = 250});
      std::map<uint64_t, vmpl::RegistryEntryView> registry;
      for (vmpl::RegistryEntryView& entry : vmpl::Registry::Snapshot()) {
        registry.emplace(entry.id, std::move(entry));
      }
      sim.ForEachList([&](const ListInfo& info) {
        ASSERT_NE(info.registry_id, 0u) << info.name;
        auto it = registry.find(info.registry_id);
        ASSERT_NE(it, registry.end()) << info.name << " is not registered";
        EXPECT_EQ(it->second.kind, vmpl::RegistryKind::kPageList) << info.name;
        EXPECT_EQ(it->second.address, reinterpret_cast<uintptr_t>(info.list)) << info.name;
        EXPECT_EQ(it->second.name, info.name);
        EXPECT_TRUE(std::regex_match(it->second.name, list_name)) << it->second.name;
        hidden_seen += info.kind == VmoKind::kHidden ? 1 : 0;
        ids.insert(info.registry_id);
      });
      sim.ForEachSplice([&](const SpliceInfo& info) {
        auto it = registry.find(info.registry_id);
        ASSERT_NE(it, registry.end()) << info.name << " is not registered";
        EXPECT_EQ(it->second.kind, vmpl::RegistryKind::kSpliceList) << info.name;
        EXPECT_EQ(it->second.address, reinterpret_cast<uintptr_t>(info.splice)) << info.name;
        EXPECT_EQ(it->second.name, info.name);
        EXPECT_TRUE(std::regex_match(it->second.name, splice_name)) << it->second.name;
        splices_seen++;
        ids.insert(info.registry_id);
      });
    }
    EXPECT_GT(splices_seen, 0u);
    EXPECT_GT(hidden_seen, 0u);
  }
  for (const vmpl::RegistryEntryView& entry : vmpl::Registry::Snapshot()) {
    EXPECT_EQ(ids.count(entry.id), 0u) << entry.name << " still registered";
  }
}

// A violation planted in a pager VMO (an interval split and its Slot left unfilled: the
// documented transient non-maximal state) is caught by the next check, with the list's name and
// the step.
TEST(Simulator, CheckEveryStopsAtTheFirstViolation) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  SimConfig config = Config(seed);
  // Only compression: nothing touches the pager VMO's planted interval, nothing grows.
  config.mix.fill(0);
  config.mix[static_cast<size_t>(OpKind::kCompress)] = 1;
  config.check_every = 1;
  Simulator sim(config);
  ASSERT_TRUE(sim.Run(RunLimits{.max_ops = 10}).steps == 10);
  ASSERT_FALSE(sim.failure().has_value());

  VmPageList* pager = nullptr;
  std::string pager_name;
  sim.ForEachList([&](const ListInfo& info) {
    if (info.kind == VmoKind::kPager && pager == nullptr) {
      pager = const_cast<VmPageList*>(info.list);
      pager_name = std::string(info.name);
    }
  });
  ASSERT_NE(pager, nullptr);
  ASSERT_FALSE(pager->AnyPagesOrIntervalsInRange(0, 4 * PAGE_SIZE));
  ASSERT_EQ(pager->AddZeroInterval(0, 4 * PAGE_SIZE, VmPageOrMarker::IntervalDirtyState::Dirty),
            ZX_OK);
  auto [slot, in_interval] =
      pager->LookupOrAllocate(2 * PAGE_SIZE, VmPageList::IntervalHandling::SplitInterval);
  ASSERT_NE(slot, nullptr);
  ASSERT_TRUE(slot->IsIntervalSlot());

  const vmpl::sim::RunResult result = sim.Run(RunLimits{.max_ops = 100});
  EXPECT_TRUE(result.violation);
  EXPECT_EQ(result.steps, 1u);
  ASSERT_TRUE(sim.failure().has_value());
  EXPECT_EQ(sim.failure()->step, 11u);
  EXPECT_EQ(sim.failure()->seed, seed);
  EXPECT_EQ(sim.failure()->list_name, pager_name);
  ASSERT_FALSE(sim.failure()->violations.empty());
  EXPECT_EQ(sim.failure()->violations[0].kind, vmpl::Violation::Kind::kMaximal);
  EXPECT_THAT(sim.failure()->ToString(), ::testing::HasSubstr(pager_name));
  EXPECT_FALSE(sim.Step()) << "the first failure is kept";

  // Repair, so the simulator ends valid.
  pager->ReturnIntervalSlot(2 * PAGE_SIZE);
  EXPECT_THAT(vmpl::Validate(*pager), ::testing::IsEmpty());
}

TEST(Simulator, MixChoosesOnlyWeightedActions) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(SeedTrace(seed));
  SimConfig config = Config(seed);
  config.mix.fill(0);
  config.mix[static_cast<size_t>(OpKind::kIntervalAdd)] = 3;
  config.mix[static_cast<size_t>(OpKind::kIntervalSplitWrite)] = 1;
  Simulator sim(config);
  sim.Run(RunLimits{.max_ops = 3000});
  for (size_t i = 0; i < kNumOpKinds; i++) {
    const OpKind kind = static_cast<OpKind>(i);
    if (kind == OpKind::kIntervalAdd || kind == OpKind::kIntervalSplitWrite) {
      EXPECT_GT(sim.stats().chosen[i], 0u) << kOpKindNames[i];
      EXPECT_GT(sim.stats().counts[i], 0u) << kOpKindNames[i];
    } else {
      EXPECT_EQ(sim.stats().chosen[i], 0u) << kOpKindNames[i];
    }
  }
  EXPECT_EQ(sim.stats().count(OpKind::kCloneCreate), 0u);
  EXPECT_EQ(sim.stats().count(OpKind::kTakePages), 0u);
}

TEST(Simulator, RunStopsOnPredicateAndDuration) {
  Simulator sim(Config(TestSeed()));
  int polls = 0;
  const vmpl::sim::RunResult stopped = sim.Run(RunLimits{.stop = [&polls] { return ++polls > 3; }});
  EXPECT_EQ(polls, 4);
  // Polled every 64 steps.
  EXPECT_EQ(stopped.steps, 3u * 64);

  const vmpl::sim::RunResult timed = sim.Run(RunLimits{.duration_s = 0.2});
  EXPECT_GE(timed.elapsed_s, 0.2);
  EXPECT_GT(timed.steps, 0u);

  int progress_calls = 0;
  const vmpl::sim::RunResult paced =
      sim.Run(RunLimits{.duration_s = 0.5,
                        .rate = 400,
                        .progress = [&](double) { progress_calls++; },
                        .progress_interval_s = 0.1});
  // At most rate * elapsed (+1 for the step at time 0), and not much less on an idle machine.
  EXPECT_LE(paced.steps, 400 * paced.elapsed_s + 1);
  EXPECT_GE(paced.steps, 50u);
  EXPECT_GE(progress_calls, 2);
}

}  // namespace
