// `vmpl sim --trace`, `vmpl sim --trace-shm` + `vmpl trace record --pid`, and `vmpl trace replay`,
// run as a user runs them: real processes, a real shared ring in /dev/shm, real trace files.
//
// The property under test throughout: the digest of every registered list that `vmpl sim`
// prints when tracing stops equals the digest `vmpl trace replay` prints for the state it rebuilt
// from the file, unless the ring lost events, in which case the recorder says exactly how many
// (the same count the simulator's ring reports).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "run_vmpl.h"

extern char** environ;

namespace {

using vmpl::testing::RunResult;
using vmpl::testing::RunVmpl;

std::string Temp(const std::string& name) {
  return ::testing::TempDir() + "vmpl_trace_cli_" + std::to_string(getpid()) + "_" + name;
}

nlohmann::json ParseJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `vmpl <args...>` in the background, stdout to |out_path|.
pid_t SpawnVmpl(const std::vector<std::string>& args, const std::string& out_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  std::string binary = VMPL_BINARY;
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (std::string& arg : copy) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

bool WaitForFile(const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  struct stat st;
  while (stat(path.c_str(), &st) != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(TraceCliTest, InProcessRecordingReplaysToTheSimulatorsState) {
  const std::string file = Temp("inproc.vmpltrace");
  const RunResult sim = RunVmpl("sim --seed 4 --ops 5000 --trace '" + file + "' --json");
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  const nlohmann::json summary = ParseJson(sim.out);
  ASSERT_TRUE(summary.contains("trace")) << sim.out;
  EXPECT_EQ(summary["trace"]["lost"], 0);
  EXPECT_GT(summary["trace"]["event_records"].get<uint64_t>(), 5000u);

  const RunResult replay = RunVmpl("trace replay '" + file + "' --json");
  ASSERT_EQ(replay.exit_code, 0) << replay.err << replay.out;
  const nlohmann::json result = ParseJson(replay.out);
  EXPECT_EQ(result["digest"], summary["trace"]["digest"]);
  EXPECT_EQ(result["recorded_digest"], summary["trace"]["digest"]);
  EXPECT_EQ(result["divergences"], 0);
  EXPECT_EQ(result["resolver_inconsistencies"], 0);
  EXPECT_EQ(result["events_replayed"], summary["trace"]["event_records"]);

  // The text form says the same in words.
  const RunResult text = RunVmpl("trace replay '" + file + "' --check");
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("equals the recorder's final state"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("0 violations"), std::string::npos) << text.out;
  unlink(file.c_str());
}

TEST(TraceCliTest, ReplayAtAnEventShowsOneListSlotBySlot) {
  const std::string file = Temp("at.vmpltrace");
  ASSERT_EQ(RunVmpl("sim --seed 2 --ops 500 --quiet --trace '" + file + "'").exit_code, 0);
  const RunResult replay = RunVmpl("trace replay '" + file + "' --at 2000 --list 1 --json");
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const nlohmann::json result = ParseJson(replay.out);
  EXPECT_EQ(result["events_replayed"], 2001);
  EXPECT_EQ(result["recorded_digest"], nullptr) << "only a replay to the end is compared";
  // Only the list asked for carries its nodes (in the one JSON schema); the others their counts.
  bool shown = false;
  for (const nlohmann::json& list : result["lists"]) {
    EXPECT_TRUE(list.contains("counts")) << list.dump();
    if (list["registry_id"] == 1) {
      shown = list.contains("nodes");
    } else {
      EXPECT_FALSE(list.contains("nodes")) << list.dump();
    }
  }
  EXPECT_TRUE(shown) << replay.out;
  // A list that does not exist there is a usage error, not an empty answer.
  const RunResult missing = RunVmpl("trace replay '" + file + "' --list nosuch");
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.err.find("no registered list is named or numbered 'nosuch'"),
            std::string::npos)
      << missing.err;
  unlink(file.c_str());
}

TEST(TraceCliTest, TruncatedFileGivesItsReadablePrefixAndExit3) {
  const std::string file = Temp("whole.vmpltrace");
  ASSERT_EQ(RunVmpl("sim --seed 5 --ops 3000 --quiet --trace '" + file + "'").exit_code, 0);
  std::string bytes = ReadFile(file);
  ASSERT_GT(bytes.size(), 100000u);
  const std::string cut = Temp("cut.vmpltrace");
  {
    std::ofstream out(cut, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() * 6 / 10));
  }
  const RunResult replay = RunVmpl("trace replay '" + cut + "'");
  EXPECT_EQ(replay.exit_code, 3);
  EXPECT_NE(replay.out.find("state digest"), std::string::npos) << "the prefix is replayed";
  EXPECT_NE(replay.err.find(cut), std::string::npos) << replay.err;

  const RunResult missing = RunVmpl("trace replay '" + Temp("missing") + "'");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("missing"), std::string::npos) << missing.err;
  unlink(file.c_str());
  unlink(cut.c_str());
}

TEST(TraceCliTest, RecordWithoutARingIsAClearError) {
  const RunResult record = RunVmpl("trace record --pid " + std::to_string(getpid()) + " -o '" +
                                   Temp("none.vmpltrace") + "'");
  EXPECT_EQ(record.exit_code, 3);
  EXPECT_NE(record.err.find("/dev/shm/vmpl." + std::to_string(getpid())), std::string::npos)
      << record.err;
}

// Records a live `vmpl sim --trace-shm` from another process; returns the recorder's result and
// the simulator's JSON summary.
struct LiveRun {
  RunResult record;
  nlohmann::json sim;
  std::string file;
};

LiveRun RecordLive(const std::vector<std::string>& sim_args, const std::string& file) {
  LiveRun run;
  run.file = file;
  const std::string sim_out = Temp("sim.json");
  std::vector<std::string> args = {"sim", "--trace-shm", "--json"};
  args.insert(args.end(), sim_args.begin(), sim_args.end());
  const pid_t pid = SpawnVmpl(args, sim_out);
  EXPECT_GT(pid, 0);
  EXPECT_TRUE(WaitForFile("/dev/shm/vmpl." + std::to_string(pid), std::chrono::seconds(20)));
  run.record =
      RunVmpl("trace record --pid " + std::to_string(pid) + " -o '" + file + "'");
  EXPECT_EQ(WaitExit(pid), 0);
  run.sim = ParseJson(ReadFile(sim_out));
  unlink(sim_out.c_str());
  return run;
}

TEST(TraceCliTest, LiveRecordingOfAPacedSimulatorLosesNothing) {
  const LiveRun run = RecordLive({"--seed", "8", "--duration", "1.5", "--rate", "10000"},
                                 Temp("live.vmpltrace"));
  ASSERT_EQ(run.record.exit_code, 0) << run.record.err << run.record.out;
  ASSERT_TRUE(run.sim.contains("trace"));
  EXPECT_EQ(run.sim["trace"]["lost"], 0);
  const RunResult replay = RunVmpl("trace replay '" + run.file + "' --json --check");
  ASSERT_EQ(replay.exit_code, 0) << replay.err << replay.out;
  const nlohmann::json result = ParseJson(replay.out);
  EXPECT_EQ(result["digest"], run.sim["trace"]["digest"]);
  EXPECT_EQ(result["divergences"], 0);
  EXPECT_GT(result["events_replayed"].get<uint64_t>(), 10000u);
  unlink(run.file.c_str());
}

TEST(TraceCliTest, LiveRecordingAtFullSpeedLosesNothingOrSaysExactlyWhatItLost) {
  // Flat out, the simulator writes ~5 M events/s; whether the recorder and its disk keep up
  // depends on the machine, so either branch below may run, and each is checked exactly.
  const std::string file = Temp("full.vmpltrace");
  const LiveRun run = RecordLive({"--seed", "9", "--duration", "1"}, file);
  const uint64_t lost = run.sim["trace"]["lost"].get<uint64_t>();
  const RunResult replay = RunVmpl("trace replay '" + file + "' --json");
  const nlohmann::json result = ParseJson(replay.out);
  if (lost == 0) {
    EXPECT_EQ(run.record.exit_code, 0) << run.record.err;
    EXPECT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_EQ(result["digest"], run.sim["trace"]["digest"]);
  } else {
    // The recorder reports the ring's own count, and says so with exit status 1.
    EXPECT_EQ(run.record.exit_code, 1);
    EXPECT_NE(run.record.out.find("lost " + std::to_string(lost)), std::string::npos)
        << "recorder: " << run.record.out << " simulator's ring: " << lost;
  }
  unlink(file.c_str());
}

}  // namespace
