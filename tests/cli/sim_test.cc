// Tests of `vmpl sim`, run as a user would: the built binary in a child process (run_vmpl.h),
// its exit code and output checked. The acceptance in small: a checked run with seed 1
// passes and every mutation kind shows a non-zero count; the summary is deterministic per seed;
// bad options are usage errors (exit code 2).

#include <gtest/gtest.h>
#include <stdio.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run_vmpl.h"

namespace {

using vmpl::testing::RunResult;
using vmpl::testing::RunVmpl;

nlohmann::json ParseJson(const RunResult& result) {
  nlohmann::json j = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << result.out;
  return j;
}

TEST(VmplSim, CheckedRunOfSeedOneRunsEveryKind) {
  const RunResult result = RunVmpl("sim --seed 1 --ops 20000 --check-every 100 --json");
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const nlohmann::json j = ParseJson(result);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["steps"], 20000);
  EXPECT_EQ(j["checks"], 200);
  EXPECT_TRUE(j["violation"].is_null());
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["leaked"]["pages"], 0);
  EXPECT_EQ(j["leaked"]["references"], 0);
  ASSERT_TRUE(j["counts"].is_object());
  EXPECT_GE(j["counts"].size(), 22u);
  for (const auto& [kind, count] : j["counts"].items()) {
    EXPECT_GT(count.get<uint64_t>(), 0u) << kind;
  }
  for (const char* kind : {"commit",
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
    EXPECT_TRUE(j["counts"].contains(kind)) << kind;
  }
  EXPECT_GT(j["live"]["lists"].get<uint64_t>(), 0u);
}

TEST(VmplSim, TextSummaryNamesEveryKind) {
  const RunResult result = RunVmpl("sim --seed 3 --ops 5000");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* needle : {"commit", "cow_fork", "merge_onto", "splice_peek_reference", "steps/s",
                             "live at the end", "pages", "references", "markers", "intervals",
                             "nodes", "validation passes", "state digest"}) {
    EXPECT_NE(result.out.find(needle), std::string::npos) << needle << " in\n" << result.out;
  }
  // No progress line when stderr is not a terminal.
  EXPECT_EQ(result.err, "");
}

TEST(VmplSim, DeterministicPerSeed) {
  const RunResult a = RunVmpl("sim --seed 5 --ops 3000 --json");
  const RunResult b = RunVmpl("sim --seed 5 --ops 3000 --json --check-every 10");
  const RunResult c = RunVmpl("sim --seed 6 --ops 3000 --json");
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  ASSERT_EQ(c.exit_code, 0);
  const nlohmann::json ja = ParseJson(a);
  const nlohmann::json jb = ParseJson(b);
  const nlohmann::json jc = ParseJson(c);
  EXPECT_EQ(ja["state_digest"], jb["state_digest"]);
  EXPECT_EQ(ja["counts"], jb["counts"]);
  EXPECT_EQ(ja["live"], jb["live"]);
  EXPECT_NE(ja["state_digest"], jc["state_digest"]);
}

TEST(VmplSim, MixAndSizesAreApplied) {
  const RunResult result = RunVmpl(
      "sim --seed 2 --ops 2000 --json --vmos 3 --max-vmo-size 2M --page-budget 100 "
      "--mix compress=0,commit=5,interval_add=5");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json j = ParseJson(result);
  EXPECT_EQ(j["config"]["vmos"], 3);
  EXPECT_EQ(j["config"]["max_vmo_size"], 2 << 20);
  EXPECT_EQ(j["config"]["page_budget"], 100);
  EXPECT_EQ(j["config"]["mix"]["compress"], 0);
  EXPECT_EQ(j["config"]["mix"]["commit"], 5);
  EXPECT_EQ(j["counts"]["compress"], 0);
  EXPECT_LE(j["peak_pages_and_references"].get<uint64_t>(), 100u);
}

TEST(VmplSim, DurationStopsTheRun) {
  const RunResult result = RunVmpl("sim --duration 0.5 --json --quiet");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json j = ParseJson(result);
  EXPECT_GE(j["elapsed_s"].get<double>(), 0.5);
  EXPECT_LT(j["elapsed_s"].get<double>(), 30.0);
  EXPECT_GT(j["steps"].get<uint64_t>(), 0u);
}

TEST(VmplSim, QuietPrintsNothingOnSuccess) {
  const RunResult result = RunVmpl("sim --ops 1000 --quiet");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");
}

TEST(VmplSim, HelpHasExamples) {
  const RunResult result = RunVmpl("sim --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("EXAMPLES:"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("--check-every"), std::string::npos);
  EXPECT_NE(result.out.find("cow_fork="), std::string::npos);
}

TEST(VmplSim, BadOptionsAreUsageErrors) {
  const std::vector<std::string> bad = {
      "sim --vmos 1",
      "sim --vmos x",
      "sim --mix bogus=1",
      "sim --mix commit",
      "sim --mix commit=-1",
      "sim --mix cow_move=3",
      "sim --mix commit=0,decommit=0,dedup_marker=0,compress=0,decompress=0,change_reference=0,"
      "evict=0,cow_fork=0,clone_create=0,clone_destroy=0,interval_add=0,interval_split_write=0,"
      "interval_populate=0,interval_writeback=0,interval_clip_start=0,interval_clip_end=0,"
      "replace_with_interval=0,take_pages=0,splice_append=0,splice_pop=0",
      "sim --max-vmo-size 12345",
      "sim --max-vmo-size 4Q",
      "sim --max-vmo-size 512K",
      "sim --rate -1",
      "sim --duration -3",
      "sim --ops abc",
      "sim --page-budget 3",
      "sim --no-such-option",
  };
  for (const std::string& args : bad) {
    const RunResult result = RunVmpl(args + " --ops 10");
    EXPECT_EQ(result.exit_code, 2) << args << "\n" << result.out << result.err;
  }
}

}  // namespace
