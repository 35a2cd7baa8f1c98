// LiveProcessSource against a real forked child: exact bytes, batches larger than IOV_MAX, reads
// that run into a PROT_NONE page or start in unmapped memory, a child that exited (reaped, zombie,
// and exited after the first read), a reader without permission; and the maps helpers: parsing,
// the child's maps, and the load bias of this test binary against what the child computes itself.
//
// Every read test runs with each method (process_vm_readv, /proc/PID/mem, automatic choice).
// The child is a fork of this process, so the memory set up before the fork sits at the same
// addresses in both; the child writes its own pattern after the fork, so a read that returned
// our copy instead of the child's would fail.

#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vmpl/inspect/live_process_source.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace vmpl::inspect {
namespace {

using ::testing::HasSubstr;
using Method = LiveProcessSource::Method;

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));
constexpr uint8_t kParentByte = 0xee;  // what our copy holds; the child never has it
constexpr uint8_t kStaleByte = 0xaa;   // what a buffer holds before a read

uint8_t ChildByte(size_t i) { return static_cast<uint8_t>((i * 131 + 7) % 251); }

std::string Hex(uint64_t value) {
  char text[32];
  snprintf(text, sizeof(text), "%#llx", static_cast<unsigned long long>(value));
  return text;
}

// A fork of this process that runs |setup|, sends back the value it returns, and then waits
// until the parent closes its end of the pipe (or calls Exit).
class Child {
 public:
  explicit Child(const std::function<uint64_t()>& setup) {
    int ready[2];
    int hold[2];
    if (pipe(ready) != 0 || pipe(hold) != 0) {
      ADD_FAILURE() << "pipe: " << strerror(errno);
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(hold[1]);
      const uint64_t value = setup();
      if (write(ready[1], &value, sizeof(value)) != sizeof(value)) {
        _exit(2);
      }
      char byte;
      while (read(hold[0], &byte, 1) > 0) {
      }
      _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    hold_ = hold[1];
    if (pid_ < 0) {
      ADD_FAILURE() << "fork: " << strerror(errno);
      close(ready[0]);
      return;
    }
    if (read(ready[0], &value_, sizeof(value_)) != sizeof(value_)) {
      ADD_FAILURE() << "child did not get ready";
    }
    close(ready[0]);
  }
  ~Child() { Exit(); }

  pid_t pid() const { return pid_; }
  uint64_t value() const { return value_; }

  // Lets the child exit and reaps it.
  void Exit() {
    LetExit();
    if (pid_ > 0) {
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  // Lets the child exit and waits until it is a zombie, without reaping it.
  void ExitToZombie() {
    LetExit();
    siginfo_t info;
    ASSERT_EQ(waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT), 0);
  }

 private:
  void LetExit() {
    if (hold_ >= 0) {
      close(hold_);
      hold_ = -1;
    }
  }

  pid_t pid_ = -1;
  int hold_ = -1;
  uint64_t value_ = 0;
};

// Four pages: two readable ones the child fills, a PROT_NONE page, and an unmapped one.
class LiveProcessSourceTest : public ::testing::TestWithParam<Method> {
 protected:
  void SetUp() override {
    void* region =
        mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(region, MAP_FAILED);
    base_ = static_cast<uint8_t*>(region);
    memset(base_, kParentByte, 2 * kPage);
    ASSERT_EQ(mprotect(base_ + 2 * kPage, kPage, PROT_NONE), 0);
    ASSERT_EQ(munmap(base_ + 3 * kPage, kPage), 0);
    uint8_t* data = base_;
    const size_t page = kPage;
    child_ = std::make_unique<Child>([data, page] {
      for (size_t i = 0; i < 2 * page; ++i) {
        data[i] = ChildByte(i);
      }
      return uint64_t{0};
    });
  }
  void TearDown() override {
    child_.reset();
    munmap(base_, 3 * kPage);
  }

  uint64_t Address(size_t offset) const { return reinterpret_cast<uint64_t>(base_) + offset; }
  uint64_t protnone() const { return Address(2 * kPage); }
  uint64_t unmapped() const { return Address(3 * kPage); }

  uint8_t* base_ = nullptr;
  std::unique_ptr<Child> child_;
};

// /proc/PID/mem reads with the kernel's FOLL_FORCE, as ptrace does: it reads pages the target
// itself may not (PROT_NONE; here never touched, so zeros). process_vm_readv does not.
bool ReadsProtNone(Method method) { return method == Method::kProcMem; }

void ExpectChildBytes(const std::vector<uint8_t>& buffer, size_t offset, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    ASSERT_EQ(buffer[i], ChildByte(offset + i)) << "byte " << i << " of a read at +" << offset;
  }
}

void ExpectZero(const std::vector<uint8_t>& buffer, size_t from) {
  for (size_t i = from; i < buffer.size(); ++i) {
    ASSERT_EQ(buffer[i], 0) << "byte " << i << " was not zeroed";
  }
}

TEST_P(LiveProcessSourceTest, ReadsExactBytes) {
  LiveProcessSource source(child_->pid(), GetParam());
  EXPECT_EQ(source.Describe(), "pid " + std::to_string(child_->pid()));

  std::vector<uint8_t> whole(2 * kPage, kStaleByte);
  const ReadResult result = source.Read(Address(0), whole.data(), whole.size());
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.bytes, whole.size());
  ExpectChildBytes(whole, 0, whole.size());

  // Unaligned, across the page boundary.
  std::vector<uint8_t> small(177, kStaleByte);
  const size_t offset = kPage - 61;
  EXPECT_TRUE(source.Read(Address(offset), small.data(), small.size()).ok());
  ExpectChildBytes(small, offset, small.size());

  EXPECT_EQ(source.bytes_read(), whole.size() + small.size());
  EXPECT_GE(source.target_reads(), 2u);
  EXPECT_NE(source.method(), Method::kAuto);

  // An empty read succeeds and touches nothing.
  EXPECT_TRUE(source.Read(unmapped(), nullptr, 0).ok());
}

TEST_P(LiveProcessSourceTest, PartialReadStopsAtProtNonePage) {
  LiveProcessSource source(child_->pid(), GetParam());
  std::vector<uint8_t> buffer(300, kStaleByte);
  const size_t offset = 2 * kPage - 100;
  const ReadResult result = source.Read(Address(offset), buffer.data(), buffer.size());
  ExpectChildBytes(buffer, offset, 100);
  ExpectZero(buffer, 100);
  if (ReadsProtNone(GetParam())) {
    EXPECT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(result.bytes, buffer.size());
  } else {
    EXPECT_EQ(result.bytes, 100u);
    EXPECT_THAT(result.error, HasSubstr(Hex(protnone()) + ": not readable"));
  }
}

TEST_P(LiveProcessSourceTest, PartialReadStopsAtUnmappedPage) {
  LiveProcessSource source(child_->pid(), GetParam());
  std::vector<uint8_t> buffer(3 * kPage - 40, kStaleByte);
  const ReadResult result = source.Read(Address(kPage - 40), buffer.data(), buffer.size());
  // Up to the PROT_NONE page for process_vm_readv, up to the unmapped one for /proc/PID/mem.
  const uint64_t stop = ReadsProtNone(GetParam()) ? unmapped() : protnone();
  const size_t prefix = static_cast<size_t>(stop - Address(kPage - 40));
  EXPECT_EQ(result.bytes, prefix);
  EXPECT_THAT(result.error, HasSubstr(Hex(stop) + ": not readable"));
  ExpectChildBytes(buffer, kPage - 40, kPage + 40);
  ExpectZero(buffer, kPage + 40);
}

TEST_P(LiveProcessSourceTest, UnreadableAddressesFailCleanly) {
  LiveProcessSource source(child_->pid(), GetParam());
  std::vector<uint64_t> addresses = {unmapped() + 8, uint64_t{0}, uint64_t{8},
                                     uint64_t{0xffff'8000'0000'0000}};
  if (!ReadsProtNone(GetParam())) {
    addresses.push_back(protnone());
  }
  for (const uint64_t address : addresses) {
    std::vector<uint8_t> buffer(64, kStaleByte);
    const ReadResult result = source.Read(address, buffer.data(), buffer.size());
    EXPECT_EQ(result.bytes, 0u) << Hex(address);
    EXPECT_THAT(result.error, HasSubstr(Hex(address))) << Hex(address);
    ExpectZero(buffer, 0);
  }
  // A range that wraps around the end of the address space.
  std::vector<uint8_t> buffer(16, kStaleByte);
  const ReadResult wrap =
      source.Read(std::numeric_limits<uint64_t>::max() - 7, buffer.data(), buffer.size());
  EXPECT_FALSE(wrap.ok());
  EXPECT_EQ(wrap.bytes, 0u);
  ExpectZero(buffer, 0);
  EXPECT_EQ(source.bytes_read(), 0u);
}

TEST_P(LiveProcessSourceTest, BatchMatchesSingleReads) {
  // More requests than IOV_MAX, at scattered offsets, with failures spread through the batch:
  // each result must be what a single read of that request gives.
  constexpr size_t kRequests = 3000;
  constexpr size_t kSize = 176;
  std::vector<std::vector<uint8_t>> buffers(kRequests, std::vector<uint8_t>(kSize, kStaleByte));
  std::vector<ReadRequest> requests(kRequests);
  std::vector<size_t> offsets(kRequests);
  for (size_t i = 0; i < kRequests; ++i) {
    offsets[i] = (i * 977) % (2 * kPage - kSize);
    requests[i] = {.address = Address(offsets[i]), .buffer = buffers[i].data(), .size = kSize};
  }
  requests[0].address = unmapped();                  // the very first fails
  requests[500].address = unmapped() + 100;          // one in the middle of a call
  requests[1023].address = Address(2 * kPage - 76);  // the last of a call, partial
  requests[1500].address = Address(2 * kPage - 16);  // partial in the middle
  requests[2047].size = 0;                           // empty
  requests[kRequests - 1].address = unmapped() + 1;  // the very last fails

  LiveProcessSource source(child_->pid(), GetParam());
  const std::vector<ReadResult> results = source.ReadMany(requests);
  ASSERT_EQ(results.size(), kRequests);
  uint64_t expected_bytes = 0;
  for (size_t i = 0; i < kRequests; ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    const uint64_t address = requests[i].address;
    if (i == 0 || i == 500 || i == kRequests - 1) {
      EXPECT_EQ(results[i].bytes, 0u);
      EXPECT_THAT(results[i].error, HasSubstr(Hex(address)));
      ExpectZero(buffers[i], 0);
    } else if ((i == 1023 || i == 1500) && !ReadsProtNone(GetParam())) {
      const size_t prefix = static_cast<size_t>(protnone() - address);
      EXPECT_EQ(results[i].bytes, prefix);
      EXPECT_THAT(results[i].error, HasSubstr(Hex(protnone())));
      ExpectChildBytes(buffers[i], static_cast<size_t>(address - Address(0)), prefix);
      ExpectZero(buffers[i], prefix);
      expected_bytes += prefix;
    } else if (i == 2047) {
      EXPECT_TRUE(results[i].ok());
      EXPECT_EQ(results[i].bytes, 0u);
    } else {
      ASSERT_TRUE(results[i].ok()) << results[i].error;
      EXPECT_EQ(results[i].bytes, kSize);
      const size_t offset = static_cast<size_t>(address - Address(0));
      const size_t in_data = std::min(kSize, 2 * kPage - offset);  // the rest is PROT_NONE
      ExpectChildBytes(buffers[i], offset, in_data);
      ExpectZero(std::vector<uint8_t>(buffers[i].begin() + in_data, buffers[i].end()), 0);
      expected_bytes += kSize;
    }
  }
  EXPECT_EQ(source.bytes_read(), expected_bytes);
}

TEST_P(LiveProcessSourceTest, BatchIsFewSystemCalls) {
  constexpr size_t kRequests = 2500;
  constexpr size_t kSize = 176;
  std::vector<uint8_t> buffer(kRequests * kSize, kStaleByte);
  std::vector<ReadRequest> requests(kRequests);
  for (size_t i = 0; i < kRequests; ++i) {
    requests[i] = {.address = Address((i * 389) % (2 * kPage - kSize)),
                   .buffer = buffer.data() + i * kSize,
                   .size = kSize};
  }
  LiveProcessSource source(child_->pid(), GetParam());
  const std::vector<ReadResult> results = source.ReadMany(requests);
  for (const ReadResult& result : results) {
    ASSERT_TRUE(result.ok()) << result.error;
  }
  EXPECT_EQ(source.bytes_read(), kRequests * kSize);
  if (source.method() == Method::kProcessVmReadv) {
    // One process_vm_readv per IOV_MAX requests.
    EXPECT_EQ(source.target_reads(), (kRequests + IOV_MAX - 1) / IOV_MAX);
  } else {
    EXPECT_GE(source.target_reads(), kRequests);
  }
}

TEST_P(LiveProcessSourceTest, ReapedProcessHasExited) {
  const pid_t pid = child_->pid();
  child_->Exit();
  LiveProcessSource source(pid, GetParam());
  std::vector<uint8_t> buffer(32, kStaleByte);
  const ReadResult result = source.Read(Address(0), buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_THAT(result.error, HasSubstr("process " + std::to_string(pid) + " has exited"));
  ExpectZero(buffer, 0);
  // A batch says the same for every request.
  std::vector<uint8_t> other(32, kStaleByte);
  const std::vector<ReadResult> results =
      source.ReadMany({{Address(0), buffer.data(), 32}, {Address(64), other.data(), 32}});
  for (const ReadResult& each : results) {
    EXPECT_THAT(each.error, HasSubstr("has exited"));
  }
}

TEST_P(LiveProcessSourceTest, ZombieHasExited) {
  child_->ExitToZombie();
  LiveProcessSource source(child_->pid(), GetParam());
  std::vector<uint8_t> buffer(32, kStaleByte);
  const ReadResult result = source.Read(Address(0), buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_THAT(result.error, HasSubstr("process " + std::to_string(child_->pid()) + " has exited"));
  ExpectZero(buffer, 0);
}

TEST_P(LiveProcessSourceTest, ExitAfterFirstRead) {
  const pid_t pid = child_->pid();
  LiveProcessSource source(pid, GetParam());
  std::vector<uint8_t> buffer(32, kStaleByte);
  ASSERT_TRUE(source.Read(Address(0), buffer.data(), buffer.size()).ok());
  child_->Exit();
  const ReadResult result = source.Read(Address(0), buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_THAT(result.error, HasSubstr("process " + std::to_string(pid) + " has exited"));
}

// Runs |body| in a forked reader process (so that it may drop privileges or install a seccomp
// filter without touching this one) and returns what it returned; empty with a failure added if
// the reader did not finish.
std::string InReader(const std::function<std::string()>& body) {
  int channel[2];
  if (pipe(channel) != 0) {
    ADD_FAILURE() << "pipe: " << strerror(errno);
    return {};
  }
  const pid_t reader = fork();
  if (reader == 0) {
    close(channel[0]);
    const std::string message = body();
    _exit(write(channel[1], message.data(), message.size()) == static_cast<ssize_t>(message.size())
              ? 0
              : 4);
  }
  close(channel[1]);
  std::string message;
  char chunk[512];
  for (ssize_t got; reader > 0 && (got = read(channel[0], chunk, sizeof(chunk))) > 0;) {
    message.append(chunk, static_cast<size_t>(got));
  }
  close(channel[0]);
  int status = 0;
  if (reader < 0 || waitpid(reader, &status, 0) != reader || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << "reader failed, status " << status;
    return {};
  }
  return message;
}

TEST_P(LiveProcessSourceTest, ReaderWithoutPermission) {
  // A reader that is another, unprivileged user: as root, fork one that drops to nobody and
  // reads this process.
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to fork a reader as another user";
  }
  const pid_t target = getpid();
  const uint64_t address = Address(0);
  const Method method = GetParam();
  const std::string message = InReader([target, address, method]() -> std::string {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
      return "setresuid failed";
    }
    LiveProcessSource source(target, method);
    uint8_t buffer[16];
    const ReadResult result = source.Read(address, buffer, sizeof(buffer));
    return result.error + (result.bytes == 0 ? "" : " (got bytes)");
  });
  EXPECT_THAT(message, HasSubstr("pid " + std::to_string(target)));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("got bytes")));
  if (method != Method::kProcMem) {
    EXPECT_THAT(message, HasSubstr("process_vm_readv refused"));
  }
  if (method != Method::kProcessVmReadv) {
    EXPECT_THAT(message, HasSubstr("/proc/" + std::to_string(target) + "/mem"));
    EXPECT_THAT(message, HasSubstr("ptrace permission"));
  }
}

TEST_P(LiveProcessSourceTest, FallsBackWhenProcessVmReadvIsFiltered) {
  // A reader whose seccomp filter answers process_vm_readv with EPERM, as some container
  // runtimes do: kAuto must move to /proc/PID/mem and read the right bytes. (The filter checks
  // no architecture: it only has to hold in this one native process.)
  const pid_t target = child_->pid();
  const uint64_t address = Address(kPage - 8);
  const Method method = GetParam();
  const std::string message = InReader([target, address, method]() -> std::string {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    const sock_fprog program = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
      return std::string("seccomp: ") + strerror(errno);
    }
    LiveProcessSource source(target, method);
    std::vector<uint8_t> buffer(64, kStaleByte);
    const ReadResult result = source.Read(address, buffer.data(), buffer.size());
    if (!result.ok()) {
      return "error: " + result.error;
    }
    for (size_t i = 0; i < buffer.size(); ++i) {
      if (buffer[i] != ChildByte(kPage - 8 + i)) {
        return "wrong byte " + std::to_string(i);
      }
    }
    return source.method() == Method::kProcMem ? "read through /proc/PID/mem" : "read otherwise";
  });
  if (method == Method::kProcessVmReadv) {
    EXPECT_THAT(message, HasSubstr("error: pid " + std::to_string(target) +
                                   ": process_vm_readv refused (Operation not permitted)"));
  } else {
    EXPECT_EQ(message, "read through /proc/PID/mem");
  }
}

TEST_P(LiveProcessSourceTest, ChildMapsShowTheRegion) {
  std::string error = "stale";
  const std::vector<MappedFile> maps = ReadProcessMaps(child_->pid(), &error);
  EXPECT_EQ(error, "");
  const auto covering = [&maps](uint64_t address) -> const MappedFile* {
    for (const MappedFile& file : maps) {
      if (file.start <= address && address < file.end) {
        return &file;
      }
    }
    return nullptr;
  };
  const MappedFile* data = covering(Address(0));
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->perms, "rw-p");
  EXPECT_TRUE(data->readable());
  EXPECT_EQ(covering(Address(2 * kPage - 1)), data);
  const MappedFile* none = covering(protnone());
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->perms, "---p");
  EXPECT_FALSE(none->readable());
  EXPECT_EQ(covering(unmapped()), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Methods, LiveProcessSourceTest,
                         ::testing::Values(Method::kProcessVmReadv, Method::kProcMem,
                                           Method::kAuto),
                         [](const ::testing::TestParamInfo<Method>& info) {
                           switch (info.param) {
                             case Method::kProcessVmReadv:
                               return "ProcessVmReadv";
                             case Method::kProcMem:
                               return "ProcMem";
                             case Method::kAuto:
                               return "Auto";
                           }
                           return "Unknown";
                         });

// ----------------------------------------------------------------------------------------------
// Maps, load bias, executable path.

// Where this program's offset-0 segment starts, as the dynamic loader sees it: the load bias
// plus the page-aligned virtual address of the PT_LOAD that maps file offset 0.
uint64_t OwnImageStart() {
  uint64_t start = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& header = info->dlpi_phdr[i];
          if (header.p_type == PT_LOAD && header.p_offset == 0) {
            const uint64_t align = static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) - 1;
            *static_cast<uint64_t*>(data) = (info->dlpi_addr + header.p_vaddr) & ~align;
            break;
          }
        }
        return 1;  // the first entry is the main program
      },
      &start);
  return start;
}

TEST(LoadBiasTest, MatchesWhatTheChildComputes) {
  Child child([] { return OwnImageStart(); });
  const std::string exe = ExecutablePath(child.pid());
  ASSERT_FALSE(exe.empty());
  EXPECT_EQ(exe, ExecutablePath(getpid()));
  std::string error;
  const std::vector<MappedFile> maps = ReadProcessMaps(child.pid(), &error);
  ASSERT_EQ(error, "");
  const std::optional<uint64_t> bias = LoadBias(maps, exe);
  ASSERT_TRUE(bias.has_value());
  EXPECT_NE(child.value(), 0u);
  EXPECT_EQ(*bias, child.value());

  // And the child's ELF header is there.
  LiveProcessSource source(child.pid());
  char magic[SELFMAG];
  ASSERT_TRUE(source.Read(*bias, magic, sizeof(magic)).ok());
  EXPECT_EQ(memcmp(magic, ELFMAG, SELFMAG), 0);

  EXPECT_FALSE(LoadBias(maps, exe + ".not-mapped").has_value());
}

TEST(LoadBiasTest, LowestOffsetZeroMappingOfThatPath) {
  const std::vector<MappedFile> maps = {
      {.start = 0x5000, .end = 0x6000, .perms = "r--p", .offset = 0x1000, .path = "/bin/x"},
      {.start = 0x3000, .end = 0x4000, .perms = "r--p", .offset = 0, .path = "/bin/y"},
      {.start = 0x4000, .end = 0x5000, .perms = "r--p", .offset = 0, .path = "/bin/x"},
      {.start = 0x9000, .end = 0xa000, .perms = "r--p", .offset = 0, .path = "/bin/x"},
  };
  EXPECT_EQ(LoadBias(maps, "/bin/x"), 0x4000u);
  EXPECT_EQ(LoadBias(maps, "/bin/y"), 0x3000u);
  EXPECT_EQ(LoadBias(maps, "/bin/z"), std::nullopt);
}

TEST(ProcessMapsTest, ParsesEveryKindOfLine) {
  const std::string text =
      "55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234    /usr/bin/with space\n"
      "55d0c0a02000-55d0c0a05000 r-xp 00002000 08:01 1234    /usr/bin/with space\n"
      "55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0       [heap]\n"
      "7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
      "7f0000001000-7f0000002000 rw-s 00010000 00:05 99      /dev/shm/x (deleted)\n"
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n";
  std::string error = "stale";
  const std::vector<MappedFile> maps = ParseProcessMaps(text, "maps", &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(maps.size(), 6u);
  EXPECT_EQ(maps[0].start, 0x55d0c0a00000u);
  EXPECT_EQ(maps[0].end, 0x55d0c0a02000u);
  EXPECT_EQ(maps[0].perms, "r--p");
  EXPECT_EQ(maps[0].path, "/usr/bin/with space");
  EXPECT_EQ(maps[1].offset, 0x2000u);
  EXPECT_EQ(maps[2].path, "[heap]");
  EXPECT_EQ(maps[3].path, "");
  EXPECT_FALSE(maps[3].readable());
  EXPECT_EQ(maps[4].offset, 0x10000u);
  EXPECT_EQ(maps[4].path, "/dev/shm/x (deleted)");
  EXPECT_EQ(maps[5].start, 0xffffffffff600000u);
  EXPECT_EQ(LoadBias(maps, "/usr/bin/with space"), 0x55d0c0a00000u);
}

TEST(ProcessMapsTest, DamagedLineKeepsThePrefix) {
  for (const std::string bad :
       {"zz-1000 r--p 0 08:01 1 /x", "2000-1000 r--p 0 08:01 1 /x", "1000-2000 r--p 0 08:01",
        "1000-2000 rw 0 08:01 1 /x", "1000-2000 r--p 0g 08:01 1 /x", "1000", "-",
        "10000000000000000000-2 r--p 0 08:01 1 /x"}) {
    const std::string text =
        "1000-2000 r--p 00000000 08:01 1 /ok\n" + bad + "\n3000-4000 r--p 0 0:0 0\n";
    std::string error;
    const std::vector<MappedFile> maps = ParseProcessMaps(text, "maps", &error);
    EXPECT_THAT(error, HasSubstr("maps:2: not a maps line")) << bad;
    ASSERT_EQ(maps.size(), 1u) << bad;
    EXPECT_EQ(maps[0].path, "/ok");
  }
}

TEST(ProcessMapsTest, MissingProcess) {
  Child child([] { return uint64_t{0}; });
  const pid_t pid = child.pid();
  child.Exit();
  std::string error;
  EXPECT_TRUE(ReadProcessMaps(pid, &error).empty());
  EXPECT_THAT(error, HasSubstr("has exited"));
  EXPECT_EQ(ExecutablePath(pid), "");
}

}  // namespace
}  // namespace vmpl::inspect
