// `vmpl inspect` and `vmpl check` on a real target: a `vmpl sim` that stops itself (SIGSTOP) after
// a given step, having written what it holds (--self-snapshot: every registered list read in
// process through PageListAccess). What `vmpl inspect` reads from outside — through
// process_vm_readv (--pid) and from a real gcore core file (--core) — must be exactly that.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "run_vmpl.h"

extern char** environ;

namespace {

using vmpl::testing::RunResult;
using vmpl::testing::RunVmpl;

std::string Temp(const std::string& name) {
  return ::testing::TempDir() + "vmpl_inspect_cli_" + std::to_string(getpid()) + "_" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Stopped(pid_t pid) {
  const std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  return status.find("State:\tT") != std::string::npos;
}

// registry id -> "name|skew|key:raw,raw,...;key:..." : what both sides must agree on.
using Canonical = std::map<uint64_t, std::string>;

Canonical FromSelfSnapshot(const nlohmann::json& j) {
  Canonical out;
  for (const auto& list : j["lists"]) {
    std::string text = list["name"].get<std::string>() + "|" + std::to_string(list["skew"].get<uint64_t>());
    for (const auto& node : list["nodes"]) {
      text += "|" + std::to_string(node["key"].get<uint64_t>()) + ":";
      for (const auto& raw : node["slots"]) {
        text += std::to_string(raw.get<uint64_t>()) + ",";
      }
    }
    out[list["registry_id"].get<uint64_t>()] = text;
  }
  return out;
}

Canonical FromInspect(const nlohmann::json& j) {
  Canonical out;
  for (const auto& list : j["lists"]) {
    std::string text = list["name"].get<std::string>() + "|" + std::to_string(list["skew"].get<uint64_t>());
    for (const auto& node : list["nodes"]) {
      uint64_t slots[16] = {};
      for (const auto& slot : node["slots"]) {
        slots[slot["index"].get<size_t>()] =
            std::stoull(slot["raw"].get<std::string>(), nullptr, 16);
      }
      text += "|" + std::to_string(node["key"].get<uint64_t>()) + ":";
      for (uint64_t raw : slots) {
        text += std::to_string(raw) + ",";
      }
    }
    out[list["registry_id"].get<uint64_t>()] = text;
  }
  return out;
}

class InspectCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshot_path_ = Temp("self.json");
    std::string binary = VMPL_BINARY;
    std::vector<std::string> args = {binary, "sim", "--seed", "12", "--ops", "4000",
                                     "--pause-at", "2500", "--self-snapshot", snapshot_path_,
                                     "--quiet"};
    std::vector<char*> argv;
    for (std::string& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    ASSERT_EQ(posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!Stopped(pid_)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the simulator never stopped";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const nlohmann::json self = nlohmann::json::parse(ReadFile(snapshot_path_));
    expected_ = FromSelfSnapshot(self);
    ASSERT_GT(expected_.size(), 5u);
  }
  void TearDown() override {
    kill(pid_, SIGCONT);
    int status = 0;
    waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    unlink(snapshot_path_.c_str());
  }

  pid_t pid_ = -1;
  std::string snapshot_path_;
  Canonical expected_;
};

TEST_F(InspectCliTest, LiveProcessReadsExactlyWhatTheSimulatorHolds) {
  const RunResult inspect = RunVmpl("inspect --pid " + std::to_string(pid_) + " --json");
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const nlohmann::json j = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(j["problem_count"], 0);
  EXPECT_EQ(FromInspect(j), expected_);

  const RunResult check = RunVmpl("check --pid " + std::to_string(pid_));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(InspectCliTest, CoreFileReadsExactlyWhatTheSimulatorHolds) {
#if defined(__SANITIZE_ADDRESS__)
  // The target is built with ASan too: its shadow memory is terabytes of readable mappings, and
  // gcore would write all of it.
  GTEST_SKIP() << "gcore of an AddressSanitizer process dumps its shadow memory (terabytes)";
#endif
  const std::string prefix = Temp("core");
  const std::string command =
      "gcore -o '" + prefix + "' " + std::to_string(pid_) + " > /dev/null 2>&1";
  ASSERT_EQ(system(command.c_str()), 0);
  const std::string core = prefix + "." + std::to_string(pid_);
  const RunResult inspect = RunVmpl("inspect --core '" + core + "' --json");
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const nlohmann::json j = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(j["problem_count"], 0);
  EXPECT_EQ(FromInspect(j), expected_);

  // A truncated core still shows what it holds, and says what is missing.
  const std::string cut = Temp("cut.core");
  const std::string bytes = ReadFile(core);
  {
    std::ofstream out(cut, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() * 7 / 10));
  }
  const RunResult truncated = RunVmpl("inspect --core '" + cut + "'");
  EXPECT_LT(truncated.exit_code, 128) << "no crash";
  EXPECT_NE(truncated.err.find("truncated"), std::string::npos) << truncated.err;
  unlink(core.c_str());
  unlink(cut.c_str());
}

TEST_F(InspectCliTest, GdbserverReadsExactlyWhatTheSimulatorHolds) {
  // The registry's address, as the live reader found it (a stub does not say where a PIE
  // program was loaded).
  const RunResult live = RunVmpl("inspect --pid " + std::to_string(pid_) + " --json");
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const std::string registry = nlohmann::json::parse(live.out)["registry"].get<std::string>();

  const std::string log = Temp("gdbserver.log");
  pid_t server = -1;
  {
    std::vector<std::string> args = {"gdbserver", "--once", "127.0.0.1:0", "--attach",
                                     std::to_string(pid_)};
    std::vector<char*> argv;
    for (std::string& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    ASSERT_EQ(posix_spawnp(&server, "gdbserver", &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  std::string port;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (port.empty() && std::chrono::steady_clock::now() < deadline) {
    const std::string text = ReadFile(log);
    const size_t at = text.find("Listening on port ");
    if (at != std::string::npos) {
      const size_t start = at + strlen("Listening on port ");
      const size_t end = text.find_first_not_of("0123456789", start);
      if (end != std::string::npos) {
        port = text.substr(start, end - start);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(port.empty()) << ReadFile(log);
  const RunResult remote =
      RunVmpl("inspect --remote 127.0.0.1:" + port + " --registry " + registry + " --json");
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  unlink(log.c_str());
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  const nlohmann::json j = nlohmann::json::parse(remote.out);
  EXPECT_EQ(j["problem_count"], 0);
  EXPECT_EQ(FromInspect(j), expected_);
  // gdbserver's detach may have resumed the process; stop it again for TearDown's SIGCONT.
  kill(pid_, SIGSTOP);
}

TEST(InspectCliUsageTest, NoSourceIsAUsageErrorAndAMissingProcessIsUnreadable) {
  EXPECT_EQ(RunVmpl("inspect").exit_code, 2);
  const RunResult gone = RunVmpl("inspect --pid 999999999");
  EXPECT_EQ(gone.exit_code, 3);
  EXPECT_FALSE(gone.err.empty());
}

}  // namespace
