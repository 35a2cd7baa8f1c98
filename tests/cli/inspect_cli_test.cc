// `vmpl inspect` and `vmpl check` on a real target: a `vmpl sim` that stops itself (SIGSTOP) after
// a given step, having written what it holds (--self-snapshot: every registered list read in
// process through PageListAccess). What `vmpl inspect` reads from outside — through
// process_vm_readv (--pid) and from a real gcore core file (--core) — must be exactly that.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

// registry id -> the list in the one JSON schema (docs/snapshot-format.md). The simulator writes
// its self-snapshot in that schema from its own memory (vmpl::Capture, vm_page_t's included), so
// a reader of the stopped process must produce the very same objects: addresses, nodes, slots,
// paddrs, split bits, counts.
using Canonical = std::map<uint64_t, std::string>;

Canonical FromSnapshot(const nlohmann::json& j) {
  Canonical out;
  for (const auto& list : j["lists"]) {
    out[list["registry_id"].get<uint64_t>()] = list.dump(1);
  }
  return out;
}

std::string fmt_hex(uint64_t value) {
  char text[32];
  snprintf(text, sizeof(text), "%#llx", static_cast<unsigned long long>(value));
  return text;
}

// Starts |args| (looked up in PATH) with stdout, and stderr too if |with_stderr|, written to
// |output|; its pid, or -1.
pid_t Spawn(std::vector<std::string> args, const std::string& output, bool with_stderr) {
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (with_stderr) {
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid = -1;
  const int error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? pid : -1;
}

class InspectCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshot_path_ = Temp("self.json");
    pid_ = Spawn({VMPL_BINARY, "sim", "--seed", "12", "--ops", "4000", "--pause-at", "2500",
                  "--self-snapshot", snapshot_path_, "--quiet"},
                 "/dev/null", /*with_stderr=*/false);
    ASSERT_GT(pid_, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!Stopped(pid_)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the simulator never stopped";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const nlohmann::json self = nlohmann::json::parse(ReadFile(snapshot_path_));
    expected_ = FromSnapshot(self);
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
  EXPECT_EQ(FromSnapshot(j), expected_);

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
  EXPECT_EQ(FromSnapshot(j), expected_);

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
  // The registry's address, as the live reader found it.
  const RunResult live = RunVmpl("inspect --pid " + std::to_string(pid_) + " --json");
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const std::string registry = nlohmann::json::parse(live.out)["registry"].get<std::string>();

  const std::string log = Temp("gdbserver.log");
  const pid_t server = Spawn(
      {"gdbserver", "--once", "127.0.0.1:0", "--attach", std::to_string(pid_)}, log,
      /*with_stderr=*/true);
  ASSERT_GT(server, 0);
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
  // Only the binary: its load address comes from the stub's auxiliary vector (qXfer:auxv).
  const RunResult remote =
      RunVmpl("inspect --remote 127.0.0.1:" + port + " --binary " VMPL_BINARY " --json");
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  unlink(log.c_str());
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  const nlohmann::json j = nlohmann::json::parse(remote.out);
  EXPECT_EQ(j["registry"], registry);
  EXPECT_EQ(j["problem_count"], 0);
  EXPECT_EQ(FromSnapshot(j), expected_);
  // gdbserver's detach may have resumed the process; stop it again for TearDown's SIGCONT.
  kill(pid_, SIGSTOP);
}

// Without symbols: the scan for node canaries finds every registered list that has a node (and
// splice lists, by their inline head and tail), with the same content, and nothing else.
TEST_F(InspectCliTest, ScanFindsTheRegisteredListsWithoutSymbols) {
#if defined(__SANITIZE_ADDRESS__)
  // The target's writable regions include ASan's shadow memory, terabytes of reservations.
  GTEST_SKIP() << "a scan of an AddressSanitizer process would read its shadow memory";
#endif
  const std::string pid = std::to_string(pid_);
  const RunResult registry = RunVmpl("inspect --pid " + pid + " --json");
  ASSERT_EQ(registry.exit_code, 0) << registry.err;
  const RunResult scan = RunVmpl("inspect --pid " + pid + " --scan --json");
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  const nlohmann::json by_registry = nlohmann::json::parse(registry.out);
  const nlohmann::json by_scan = nlohmann::json::parse(scan.out);
  EXPECT_EQ(by_scan["problem_count"], 0);
  std::map<std::string, nlohmann::json> registered;
  for (const auto& list : by_registry["lists"]) {
    registered[list["address"].get<std::string>()] = list;
  }
  std::map<std::string, nlohmann::json> scanned;
  for (const auto& list : by_scan["lists"]) {
    scanned[list["address"].get<std::string>()] = list;
  }
  size_t expected = 0;
  for (const auto& [address, list] : registered) {
    if (list["nodes"].empty() && list["kind"] == "page-list") {
      continue;  // an empty page list leaves nothing to find
    }
    expected++;
    ASSERT_TRUE(scanned.count(address)) << "the scan missed " << list["name"] << " at " << address;
    EXPECT_EQ(scanned[address]["nodes"], list["nodes"]) << list["name"];
    EXPECT_EQ(scanned[address]["skew"], list["skew"]) << list["name"];
    EXPECT_EQ(scanned[address]["kind"], list["kind"]) << list["name"];
  }
  EXPECT_EQ(scanned.size(), expected) << "the scan found lists the registry does not hold";

  // A binary without the registry symbol makes the reader fall back to the scan by itself.
  const RunResult fallback = RunVmpl("inspect --pid " + pid + " --binary /bin/true --json");
  ASSERT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_NE(fallback.err.find("no symbol vmpl_registry"), std::string::npos) << fallback.err;
  EXPECT_NE(fallback.err.find("scanning memory for page-list nodes instead"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(fallback.out)["lists"].size(), expected);
}

// Damage done to the stopped simulator's memory from outside (process_vm_writev, as a stray write
// in the target would): `vmpl check` names the node and exits 1, `vmpl inspect` still shows every
// list. The bytes are put back before the simulator resumes.
TEST_F(InspectCliTest, DamageInTheTargetIsNamedAndTheRestStillShown) {
  const std::string pid = std::to_string(pid_);
  const RunResult before = RunVmpl("inspect --pid " + pid + " --json");
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const nlohmann::json j = nlohmann::json::parse(before.out);
  uint64_t node = 0;
  for (const auto& list : j["lists"]) {
    if (list["nodes"].size() >= 2) {
      node = std::stoull(list["nodes"][1]["address"].get<std::string>(), nullptr, 16);
      break;
    }
  }
  ASSERT_NE(node, 0u) << "no list with two nodes";
  auto poke = [&](uint64_t address, uint64_t value) {
    uint64_t old = 0;
    iovec local{&old, sizeof(old)};
    iovec remote{reinterpret_cast<void*>(address), sizeof(old)};
    EXPECT_EQ(process_vm_readv(pid_, &local, 1, &remote, 1, 0), 8);
    local.iov_base = &value;
    EXPECT_EQ(process_vm_writev(pid_, &local, 1, &remote, 1, 0), 8);
    return old;
  };
  struct Damage {
    uint64_t offset;  // in the node (the built-in layout)
    uint64_t value;
    std::string expected;
  };
  const std::string at = fmt_hex(node);
  const Damage damages[] = {
      {32, 0x5453'4c50'0000'0000, "node " + at + ": canary 0x00000000, expected 0x504c5354"},
      {40, 0x1234, "node " + at + ": key 0x1234 is not a multiple of 0x10000"},
      {16, 0x8, "node at 0x8 is unreadable"},        // right link: a wild pointer
      {16, node + 4, "is misaligned"},               // right link: misaligned
      {16, node, "cycle: node " + at + " is reached again"},
  };
  for (const Damage& damage : damages) {
    const uint64_t old = poke(node + damage.offset, damage.value);
    const RunResult check = RunVmpl("check --pid " + pid);
    const RunResult inspect = RunVmpl("inspect --pid " + pid + " --json");
    poke(node + damage.offset, old);
    EXPECT_EQ(check.exit_code, 1) << check.out;
    EXPECT_NE(check.out.find(damage.expected), std::string::npos)
        << "expected: " << damage.expected << "\n" << check.out;
    ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
    EXPECT_EQ(nlohmann::json::parse(inspect.out)["lists"].size(), j["lists"].size());
  }
  EXPECT_EQ(RunVmpl("check --pid " + pid).exit_code, 0) << "the damage was not undone";
}

TEST(InspectCliUsageTest, NoSourceIsAUsageErrorAndAMissingProcessIsUnreadable) {
  EXPECT_EQ(RunVmpl("inspect").exit_code, 2);
  const RunResult gone = RunVmpl("inspect --pid 999999999");
  EXPECT_EQ(gone.exit_code, 3);
  EXPECT_FALSE(gone.err.empty());
}

}  // namespace
