// `vmpl trace live` with real BPF programs attached to real USDT probes: a simulator traced from
// its first instruction gives the same events as its own in-process trace, and replays to the
// same final state; kernel-side filters; a running process traced by pid and detached cleanly on
// SIGINT; usage errors. Skipped, saying why, only where the kernel refuses BPF.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <vmpl/inspect/trace_file.h>

#include "run_vmpl.h"

extern char** environ;

namespace {

using vmpl::testing::RunVmpl;
namespace trace = vmpl::trace;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "vmpl_trace_live_" + std::to_string(getpid()) + "_" + name;
}

std::unique_ptr<trace::TraceReader> Read(const std::string& path) {
  std::string error;
  std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(path, &error);
  EXPECT_TRUE(reader) << error;
  return reader;
}

// Starts `vmpl ARGS...` in the background.
pid_t Spawn(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {VMPL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (std::string& arg : argv) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, VMPL_BINARY, nullptr, nullptr, pointers.data(), environ), 0);
  return pid;
}

class TraceLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One tiny traced run tells whether this kernel lets us load BPF at all.
    const std::string probe = TempPath("probe.vmpltrace");
    const auto result = RunVmpl("trace live -o '" + probe + "' -- '" + std::string(VMPL_BINARY) +
                                "' sim --ops 10 --quiet");
    std::remove(probe.c_str());
    if (result.exit_code == 3 && (result.err.find("not permitted") != std::string::npos ||
                                  result.err.find("not supported") != std::string::npos ||
                                  result.err.find("not implemented") != std::string::npos)) {
      GTEST_SKIP() << "the kernel refuses BPF here: " << result.err;
    }
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
};

TEST_F(TraceLiveTest, FromTheStartMatchesTheInProcessTraceAndReplaysToItsFinalState) {
  const std::string live = TempPath("live.vmpltrace");
  const std::string own = TempPath("own.vmpltrace");
  const auto result =
      RunVmpl("trace live -o '" + live + "' -- '" + std::string(VMPL_BINARY) +
              "' sim --ops 3000 --seed 3 --quiet --trace '" + own + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("0 lost"), std::string::npos) << result.err;

  std::unique_ptr<trace::TraceReader> bpf = Read(live);
  std::unique_ptr<trace::TraceReader> in_process = Read(own);
  ASSERT_TRUE(bpf && in_process);
  EXPECT_TRUE(bpf->complete()) << bpf->problem();
  EXPECT_EQ(bpf->info().extra.value("source", ""), "bpf");
  // The in-process trace starts with the (empty) snapshot its recorder asked for, stored as
  // snapshot records; the probes saw the same two markers as events. It stops after the last
  // step; the BPF trace goes on through the teardown. In between, the same events in the same
  // order.
  const uint64_t skip = in_process->snapshot_count();
  ASSERT_EQ(skip, 2u);
  ASSERT_EQ(bpf->EventAt(0)->event.kind, trace::EventKind::kSnapshotBegin);
  ASSERT_EQ(bpf->EventAt(1)->event.kind, trace::EventKind::kSnapshotEnd);
  const uint64_t count = in_process->event_count();
  ASSERT_GT(count, 10000u);
  ASSERT_GE(bpf->event_count(), skip + count);
  for (uint64_t i = 0; i < count; i++) {
    const trace::Event& a = in_process->EventAt(i)->event;
    const trace::Event& b = bpf->EventAt(skip + i)->event;
    ASSERT_TRUE(a.kind == b.kind && a.object == b.object && a.aux == b.aux &&
                a.arg[0] == b.arg[0] && a.arg[1] == b.arg[1] && a.arg[2] == b.arg[2] &&
                a.arg[3] == b.arg[3])
        << "event " << i << " differs: kind " << static_cast<int>(a.kind) << " vs "
        << static_cast<int>(b.kind);
  }
  // Replayed to that point, the BPF trace reaches the digest the simulator recorded.
  const auto own_replay = RunVmpl("trace replay '" + own + "' --json");
  ASSERT_EQ(own_replay.exit_code, 0) << own_replay.err;
  const std::string recorded = nlohmann::json::parse(own_replay.out)["recorded_digest"];
  const auto live_replay =
      RunVmpl("trace replay '" + live + "' --json --at " + std::to_string(skip + count - 1));
  const nlohmann::json j = nlohmann::json::parse(live_replay.out);
  EXPECT_EQ(j["digest"], recorded);
  EXPECT_EQ(j["divergences"], 0);
  // And the whole BPF trace replays without a divergence (every list destroyed at the end).
  const auto whole = RunVmpl("trace replay '" + live + "' --json");
  EXPECT_EQ(nlohmann::json::parse(whole.out)["divergences"], 0);
  std::remove(live.c_str());
  std::remove(own.c_str());
}

TEST_F(TraceLiveTest, KindFilterRunsInTheKernel) {
  const std::string live = TempPath("kinds.vmpltrace");
  const auto result = RunVmpl("trace live --kind node-alloc --kind node-free -o '" + live +
                              "' -- '" + std::string(VMPL_BINARY) + "' sim --ops 500 --quiet");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::unique_ptr<trace::TraceReader> reader = Read(live);
  ASSERT_TRUE(reader);
  ASSERT_GT(reader->event_count(), 0u);
  for (uint64_t i = 0; i < reader->event_count(); i++) {
    const trace::EventKind kind = reader->EventAt(i)->event.kind;
    ASSERT_TRUE(kind == trace::EventKind::kNodeAlloc || kind == trace::EventKind::kNodeFree)
        << "event " << i << " is " << trace::EventKindName(kind);
  }
  std::remove(live.c_str());
}

TEST_F(TraceLiveTest, RunningProcessByPidDetachesOnSigint) {
  const pid_t sim = Spawn({"sim", "--duration", "30", "--rate", "2000", "--quiet"});
  ASSERT_GT(sim, 0);
  const std::string live = TempPath("pid.vmpltrace");
  const pid_t tracer = Spawn({"trace", "live", "--pid", std::to_string(sim), "-o", live});
  ASSERT_GT(tracer, 0);
  for (int i = 0; i < 200 && access(live.c_str(), F_OK) != 0; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // some events
  kill(tracer, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(tracer, &status, 0), tracer);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The target runs on, untraced, and stops normally.
  EXPECT_EQ(kill(sim, 0), 0) << "the simulator died with the tracer";
  kill(sim, SIGINT);
  ASSERT_EQ(waitpid(sim, &status, 0), sim);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  std::unique_ptr<trace::TraceReader> reader = Read(live);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->complete()) << reader->problem();
  EXPECT_GT(reader->event_count(), 100u);
  EXPECT_EQ(reader->info().pid, sim);
  std::remove(live.c_str());
}

TEST_F(TraceLiveTest, EveryProcessOfABinary) {
  const std::string live = TempPath("all.vmpltrace");
  const pid_t tracer = Spawn({"trace", "live", "--all", "--binary", VMPL_BINARY, "--kind",
                              "list-create", "-o", live, "--duration", "20"});
  ASSERT_GT(tracer, 0);
  // The tracer creates its file once the probes are attached.
  for (int i = 0; i < 200 && access(live.c_str(), F_OK) != 0; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(access(live.c_str(), F_OK), 0) << "the tracer never attached";
  // Two processes started after the tracer.
  ASSERT_EQ(RunVmpl("sim --ops 200 --seed 1 --quiet").exit_code, 0);
  ASSERT_EQ(RunVmpl("sim --ops 200 --seed 2 --quiet").exit_code, 0);
  kill(tracer, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(tracer, &status, 0), tracer);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::unique_ptr<trace::TraceReader> reader = Read(live);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->complete()) << reader->problem();
  ASSERT_GT(reader->event_count(), 0u);
  for (uint64_t i = 0; i < reader->event_count(); i++) {
    EXPECT_EQ(reader->EventAt(i)->event.kind, trace::EventKind::kListCreate);
  }
  std::remove(live.c_str());
}

// `vmpl tui --pid` of a process without a shared ring takes its events from the probes.
TEST_F(TraceLiveTest, TuiFallsBackToBpfWithoutARing) {
  const pid_t sim = Spawn({"sim", "--duration", "30", "--rate", "2000", "--quiet"});
  ASSERT_GT(sim, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto frame = RunVmpl("tui --pid " + std::to_string(sim) +
                             " --print --print-after 1.5 --size 160x40");
  kill(sim, SIGINT);
  int status = 0;
  waitpid(sim, &status, 0);
  ASSERT_EQ(frame.exit_code, 0) << frame.err;
  EXPECT_EQ(frame.out.find("no event stream"), std::string::npos) << frame.out;
  const size_t total = frame.out.find("total ");
  ASSERT_NE(total, std::string::npos) << frame.out;
  EXPECT_NE(frame.out.compare(total, 8, "total 0 "), 0) << frame.out;
  EXPECT_NE(frame.out.find("slot-store"), std::string::npos) << frame.out;
}

TEST_F(TraceLiveTest, UsageAndMissingProcess) {
  EXPECT_EQ(RunVmpl("trace live -o x.vmpltrace").exit_code, 2);
  EXPECT_EQ(RunVmpl("trace live --pid 1 -o x.vmpltrace -- /bin/true").exit_code, 2);
  EXPECT_EQ(RunVmpl("trace live --kind nonsense -o x.vmpltrace -- /bin/true").exit_code, 2);
  EXPECT_EQ(RunVmpl("trace replay x.vmpltrace -- /bin/true").exit_code, 2);
  EXPECT_EQ(RunVmpl("trace live --all -o x.vmpltrace").exit_code, 2);
  const auto gone = RunVmpl("trace live --pid 999999999 -o '" + TempPath("gone") + "'");
  EXPECT_EQ(gone.exit_code, 3);
  EXPECT_NE(gone.err.find("999999999"), std::string::npos) << gone.err;
}

}  // namespace
