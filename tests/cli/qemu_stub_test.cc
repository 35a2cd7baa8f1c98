// `vmpl inspect --remote` and `vmpl check --remote` against a real QEMU gdb stub
// (qemu-system-x86_64 -S), the way they would read a kernel under QEMU.
//
// Real page lists are built in this process with the core (a dense one, a skewed sparse one, one
// with a zero interval), decoded here through LiveProcessSource to get the expected snapshot,
// and copied into a memory image (memory_image.h) that QEMU loads at guest physical 0x200000. A
// CPU stopped at reset is in real mode with paging off, so the stub reads guest virtual
// addresses as physical ones. What vmpl reads through the stub must equal the expected
// snapshot, node for node and slot for slot, at the guest addresses the image put the nodes at.
// A second image, loaded at 0x400000, holds the dense list again with one node's canary
// damaged: `vmpl check` must exit 1 and name that node's guest address.
//
// Also prints what QEMU's stub negotiated and the throughput of reads through it (no assertion
// on speed). Skips only when qemu-system-x86_64 is not installed.

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/gdb_remote_source.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_allocator.h>

#include <array>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "memory_image.h"
#include "run_vmpl.h"

namespace {

using vmpl::SnapshotList;
using vmpl::testing::MemoryImage;
using vmpl::testing::RunResult;
using vmpl::testing::RunVmpl;

constexpr uint64_t kImageBase = 0x200000;
constexpr uint64_t kDamagedImageBase = 0x400000;
constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * PAGE_SIZE;
constexpr uint32_t kBadCanary = 0x4b4f4f42;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool QemuInstalled() { return system("command -v qemu-system-x86_64 >/dev/null 2>&1") == 0; }

// A port that was free a moment ago (QEMU binds it itself; a lost race is retried).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// True once something listens on 127.0.0.1:|port| (read from /proc/net/tcp, so that waiting does
// not open a gdb session).
bool Listening(int port) {
  const std::string local = fmt::format("0100007F:{:04X}", port);
  std::istringstream table(ReadFile("/proc/net/tcp"));
  std::string line;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state;
    fields >> slot >> local_address >> remote_address >> state;
    if (local_address == local && state == "0A") return true;  // TCP_LISTEN
  }
  return false;
}

// qemu-system-x86_64 stopped at reset (-S) with raw images loaded into guest memory and its gdb
// stub on a local port. Killed (and reaped) on destruction; PR_SET_PDEATHSIG kills it too if the
// test dies first, so no QEMU outlives the test.
class Qemu {
 public:
  struct Image {
    std::string path;
    uint64_t address;
  };

  // Starts QEMU; empty error on success.
  std::string Start(const std::vector<Image>& images) {
    log_ = ::testing::TempDir() + "vmpl_qemu_" + std::to_string(getpid()) + ".log";
    std::string said;
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreePort();
      // Stopped at reset (-S), no devices but the images, 64 MiB of RAM.
      std::vector<std::string> args = {"qemu-system-x86_64", "-S", "-nographic"};
      for (const char* arg : {"-nodefaults", "-no-user-config", "-m", "64", "-gdb"}) {
        args.push_back(arg);
      }
      args.push_back(fmt::format("tcp:127.0.0.1:{}", port_));
      for (const Image& image : images) {
        args.push_back("-device");
        args.push_back(
            fmt::format("loader,file={},addr={:#x},force-raw=on", image.path, image.address));
      }
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      const int out = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      const int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (out < 0 || in < 0) return "cannot open the QEMU log or /dev/null";
      const pid_t parent = getpid();
      pid_ = fork();
      if (pid_ == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        dup2(in, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        execvp(argv[0], argv.data());
        _exit(127);
      }
      close(out);
      close(in);
      if (pid_ < 0) return "fork failed";
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!Listening(port_) && std::chrono::steady_clock::now() < deadline &&
             waitpid(pid_, nullptr, WNOHANG) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (Listening(port_)) return "";
      Stop();
      said = ReadFile(log_);
      if (said.find("Address already in use") == std::string::npos) break;
    }
    return "QEMU's gdb stub never listened; QEMU said: " + said;
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  ~Qemu() {
    Stop();
    if (!log_.empty()) unlink(log_.c_str());
  }

  std::string address() const { return fmt::format("127.0.0.1:{}", port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

// Frees what a slot owns, as the VMO layer would.
void FreeContent(VmPageOrMarker& slot) {
  if (slot.IsPage()) {
    pmm_free_page(slot.ReleasePage());
  } else if (slot.IsReference()) {
    vmpl::PageAllocator::Get().FreeReference(slot.ReleaseReference().value());
  } else {
    slot = VmPageOrMarker::Empty();
  }
}

// Puts a page, a reference or a marker (by |i|) at |offset| of |list|.
void Put(VmPageList& list, uint64_t offset, uint64_t i) {
  auto [slot, in_interval] =
      list.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
  ASSERT_NE(slot, nullptr);
  vmpl::PageAllocator& pmm = vmpl::PageAllocator::Get();
  switch (i % 3) {
    case 0:
      *slot = VmPageOrMarker::Page(pmm.AllocPage());
      break;
    case 1:
      *slot = VmPageOrMarker::Reference(VmPageOrMarker::ReferenceValue(pmm.AllocReference()),
                                        i % 2 == 0, i % 5 == 0);
      break;
    default:
      *slot = VmPageOrMarker::Marker();
      break;
  }
}

// What vmpl's JSON says of one list, compared with |expected| at the guest addresses |placed|.
void ExpectListEquals(const nlohmann::json& list, const SnapshotList& expected,
                      const MemoryImage::PlacedList& placed) {
  EXPECT_EQ(list["address"], fmt::format("{:#x}", placed.address));
  EXPECT_EQ(list["skew"], fmt::format("{:#x}", expected.skew));
  EXPECT_EQ(list["tree_count"].get<uint64_t>(), expected.nodes.size());
  EXPECT_EQ(list["complete"], true);
  EXPECT_TRUE(list["problems"].empty()) << list["problems"].dump();
  const nlohmann::json& nodes = list["nodes"];
  ASSERT_EQ(nodes.size(), expected.nodes.size());
  for (size_t n = 0; n < nodes.size(); n++) {
    EXPECT_EQ(nodes[n]["address"], fmt::format("{:#x}", placed.nodes[n])) << n;
    EXPECT_EQ(nodes[n]["key"], fmt::format("{:#x}", expected.nodes[n].key)) << n;
    std::array<uint64_t, 16> slots{};
    for (const auto& slot : nodes[n]["slots"]) {
      slots[slot["slot"].get<size_t>()] = std::stoull(slot["raw"].get<std::string>(), nullptr, 16);
    }
    EXPECT_EQ(slots, expected.nodes[n].slots) << "node " << n;
  }
}

class QemuStubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!QemuInstalled()) {
      GTEST_SKIP() << "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)";
    }
    // Dense: 48 adjacent nodes, every slot holding something.
    for (uint64_t i = 0; i < 48 * VmPageListNode::kPageFanOut; i++) {
      Put(dense_, i * PAGE_SIZE, i);
    }
    // Skewed and sparse: 40 nodes with growing gaps between them, a few slots each.
    skewed_.InitializeSkew(0, 0x5000);
    for (uint64_t n = 0; n < 40; n++) {
      for (uint64_t i = 0; i < 3; i++) {
        Put(skewed_, n * n * kNodeSpan + (i * 5 + n) % 16 * PAGE_SIZE, n + i);
      }
    }
    // A zero interval over several nodes, between markers and pages.
    for (uint64_t i = 0; i < 8; i++) {
      Put(interval_, i * PAGE_SIZE, i);
      Put(interval_, 100 * PAGE_SIZE + i * PAGE_SIZE, i);
    }
    ASSERT_EQ(interval_.AddZeroInterval(10 * PAGE_SIZE, 90 * PAGE_SIZE,
                                        VmPageOrMarker::IntervalDirtyState::Dirty),
              ZX_OK);

    const vmpl::inspect::DecodeLayout layout = vmpl::inspect::BuiltinDecodeLayout();
    vmpl::inspect::LiveProcessSource self(getpid());
    MemoryImage image(kImageBase, layout);
    MemoryImage damaged(kDamagedImageBase, layout);
    for (VmPageList* list : {&dense_, &skewed_, &interval_}) {
      expected_.push_back(
          vmpl::inspect::DecodePageList(self, reinterpret_cast<uintptr_t>(list), layout));
      ASSERT_TRUE(expected_.back().problems.empty()) << expected_.back().problems[0].message;
      placed_.push_back(image.AddPageList(expected_.back()));
    }
    ASSERT_GE(expected_[0].nodes.size(), 48u);
    ASSERT_GE(expected_[1].nodes.size(), 40u);
    damaged_ = damaged.AddPageList(expected_[0]);
    damaged_node_ = damaged_.nodes[17];
    damaged.Write32(damaged_node_ + layout.node_canary_offset, kBadCanary);
    // Guest physical addresses with bit 20 set would depend on the A20 gate: keep clear of it.
    ASSERT_LT(image.bytes().size(), 1u << 20);
    ASSERT_LT(damaged.bytes().size(), 1u << 20);

    image_path_ = ::testing::TempDir() + "vmpl_qemu_image_" + std::to_string(getpid());
    damaged_path_ = image_path_ + ".damaged";
    ASSERT_TRUE(image.WriteFile(image_path_));
    ASSERT_TRUE(damaged.WriteFile(damaged_path_));
    const std::string error =
        qemu_.Start({{image_path_, kImageBase}, {damaged_path_, kDamagedImageBase}});
    ASSERT_EQ(error, "");
  }

  void TearDown() override {
    qemu_.Stop();
    if (!image_path_.empty()) unlink(image_path_.c_str());
    if (!damaged_path_.empty()) unlink(damaged_path_.c_str());
    for (VmPageList* list : {&dense_, &skewed_, &interval_}) {
      list->RemoveAllContent([](VmPageOrMarker&& slot) { FreeContent(slot); });
    }
  }

  VmPageList dense_;
  VmPageList skewed_;
  VmPageList interval_;
  std::vector<SnapshotList> expected_;
  std::vector<MemoryImage::PlacedList> placed_;
  MemoryImage::PlacedList damaged_;
  uint64_t damaged_node_ = 0;
  std::string image_path_;
  std::string damaged_path_;
  Qemu qemu_;
};

TEST_F(QemuStubTest, InspectAndCheckReadWhatTheListsHold) {
  for (size_t i = 0; i < placed_.size(); i++) {
    const std::string list = fmt::format("{:#x}", placed_[i].address);
    SCOPED_TRACE("list " + list);
    const RunResult inspect =
        RunVmpl("inspect --remote " + qemu_.address() + " --list " + list + " --json");
    ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
    const nlohmann::json j = nlohmann::json::parse(inspect.out);
    EXPECT_EQ(j["problem_count"], 0) << inspect.out;
    EXPECT_EQ(j["source"], "gdb stub " + qemu_.address());
    ASSERT_EQ(j["lists"].size(), 1u);
    ExpectListEquals(j["lists"][0], expected_[i], placed_[i]);

    const RunResult check = RunVmpl("check --remote " + qemu_.address() + " --list " + list);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }
}

TEST_F(QemuStubTest, CheckNamesTheNodeWithADamagedCanary) {
  const RunResult check = RunVmpl("check --remote " + qemu_.address() + " --list " +
                                  fmt::format("{:#x}", damaged_.address));
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  const std::string node = fmt::format("{:#x}", damaged_node_);
  EXPECT_NE(check.out.find(
                fmt::format("PROBLEM at {}: node {}: canary {:#010x}", node, node, kBadCanary)),
            std::string::npos)
      << check.out << check.err;
  // The other nodes are still read: the JSON has all of them, the damaged one with its canary.
  const RunResult inspect = RunVmpl("inspect --remote " + qemu_.address() + " --list " +
                                    fmt::format("{:#x}", damaged_.address) + " --json");
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const nlohmann::json j = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(j["problem_count"], 1);
  const nlohmann::json& nodes = j["lists"][0]["nodes"];
  ASSERT_EQ(nodes.size(), expected_[0].nodes.size());
  EXPECT_EQ(nodes[17]["address"], node);
  EXPECT_EQ(nodes[17]["canary"], fmt::format("{:#010x}", kBadCanary));
}

// What the stub negotiates and how fast it reads, printed for the record; the asserted part is
// only that the reads are right and that a system stub has no auxiliary vector to offer.
TEST_F(QemuStubTest, NegotiationAndThroughput) {
  std::vector<std::string> sent;
  vmpl::inspect::GdbRemoteOptions options;
  options.on_packet_sent = [&](std::string_view payload) { sent.emplace_back(payload); };
  std::string error;
  auto stub = vmpl::inspect::GdbRemoteSource::Connect(qemu_.address(), &error, options);
  ASSERT_NE(stub, nullptr) << error;
  EXPECT_FALSE(stub->supports_auxv());
  EXPECT_FALSE(stub->ReadAuxv(&error));
  printf("QEMU stub: PacketSize %zu, %s, 'm' reads of up to %zu bytes, stop reply '%s', auxv: %s\n",
         stub->packet_size(), stub->no_ack_mode() ? "no-ack mode" : "ack mode (no QStartNoAckMode)",
         stub->max_read_size(), stub->stop_reply().c_str(),
         stub->supports_auxv() ? "offered" : "not offered");

  using Clock = std::chrono::steady_clock;
  // Guest RAM above both images: 4 MiB in large reads.
  std::vector<uint8_t> buffer(4 << 20);
  auto start = Clock::now();
  const vmpl::inspect::ReadResult read = stub->Read(0x800000, buffer.data(), buffer.size());
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_TRUE(read.ok()) << read.error;
  printf("QEMU stub: %.1f MB/s (4 MiB in %llu 'm' packets)\n", buffer.size() / seconds / 1e6,
         static_cast<unsigned long long>(stub->target_reads()));

  // The dense list, decoded through the stub as vmpl does (ReadMany per node).
  const vmpl::inspect::DecodeLayout layout = vmpl::inspect::BuiltinDecodeLayout();
  const uint64_t reads_before = stub->target_reads();
  start = Clock::now();
  const SnapshotList decoded = vmpl::inspect::DecodePageList(*stub, placed_[0].address, layout);
  seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_TRUE(decoded.problems.empty());
  ASSERT_EQ(decoded.nodes.size(), expected_[0].nodes.size());
  for (size_t n = 0; n < decoded.nodes.size(); n++) {
    EXPECT_EQ(decoded.nodes[n].slots, expected_[0].nodes[n].slots) << n;
  }
  printf("QEMU stub: %zu nodes decoded in %.1f ms (%.0f nodes/s, %llu packets)\n",
         decoded.nodes.size(), seconds * 1e3, decoded.nodes.size() / seconds,
         static_cast<unsigned long long>(stub->target_reads() - reads_before));
  // Read-only: the handshake and 'm' reads, nothing else (not even an auxv read, not offered).
  for (const std::string& payload : sent) {
    EXPECT_TRUE(payload == "qSupported" || payload == "?" ||
                (payload.starts_with("m") &&
                 payload.find_first_not_of("0123456789abcdef,", 1) == std::string::npos))
        << payload;
  }
}

}  // namespace
