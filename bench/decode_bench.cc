// Decoding speed of `vmpl inspect`: slots per second from a live process (the target:
// >= 2 M slots/s) and from a core file (target: >= 10 M slots/s), beside a walk of the same list
// in process through PageListAccess (the floor: no source, no checks), in the same run.
//
//   BM_InProcessWalk/<nodes>         the floor
//   BM_DecodeLive/<nodes>            this process's own list, read back through a real
//                                    LiveProcessSource (process_vm_readv on our pid)
//   BM_DecodeCore/<nodes>/<method>   the same workload built by a forked child and dumped by
//                                    gcore; ElfCoreSource opened once, then decoded as the live
//                                    case decodes (method 0: the file mapped, 1: pread)
//   BM_DecodeCoreFreshOpen/<nodes>   Open + decode per iteration, as one `vmpl inspect` run does:
//                                    the mapping is new each time, so its page faults count
//   BM_CoreRead/<method>             ElfCoreSource::Read alone: one node-sized read at each node
//                                    address of the 65536-node list, in tree order (reads/s)
// The core is made once, the first time a core benchmark runs, in a temporary directory that is
// removed at exit. It needs gdb's gcore; without it the core benchmarks report an error and the
// others still run.
//
//   cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DVMPL_DEBUG_ASSERTS=OFF
//   cmake --build build/release -j2 --target decode_bench
//   ./build/release/bench/decode_bench

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/elf_core_source.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_list_access.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../tests/inspect/run_gcore.h"

namespace {

using vmpl::inspect::ElfCoreSource;

constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * PAGE_SIZE;
// The list sizes every decode benchmark runs: a small list, and 65536 nodes = 1 Mi pages.
constexpr size_t kSmallList = 1024;
constexpr size_t kLargeList = 65536;

// A list of |nodes| full nodes of markers (markers need no page).
std::unique_ptr<VmPageList> MakeList(size_t nodes) {
  auto list = std::make_unique<VmPageList>();
  for (uint64_t offset = 0; offset < nodes * kNodeSpan; offset += PAGE_SIZE) {
    auto [slot, in_interval] =
        list->LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
    *slot = VmPageOrMarker::Marker();
  }
  return list;
}

void Release(VmPageList& list) { list.RemoveAllContent([](VmPageOrMarker&&) {}); }

void BM_InProcessWalk(benchmark::State& state) {
  std::unique_ptr<VmPageList> list = MakeList(static_cast<size_t>(state.range(0)));
  uint64_t slots = 0;
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const VmPageListNode& node : vmpl::PageListAccess::nodes(*list)) {
      for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
        sum += vmpl::PageListAccess::raw(vmpl::PageListAccess::slot(node, i));
      }
      slots += VmPageListNode::kPageFanOut;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["slots_per_s"] =
      benchmark::Counter(static_cast<double>(slots), benchmark::Counter::kIsRate);
  Release(*list);
}
BENCHMARK(BM_InProcessWalk)->Arg(kSmallList)->Arg(kLargeList);

// Decodes the list at |address| of |memory| once; false (and the benchmark skipped) unless it is
// the list MakeList(|nodes|) built, whole.
bool DecodeOnce(benchmark::State& state, vmpl::inspect::MemorySource& memory, uint64_t address,
                const vmpl::inspect::DecodeLayout& layout, size_t nodes, uint64_t* slots) {
  const vmpl::SnapshotList decoded =
      vmpl::inspect::DecodePageList(memory, address, layout);
  if (!decoded.problems.empty() || decoded.nodes.size() != nodes) {
    state.SkipWithError(decoded.problems.empty() ? "the decoded list is not the list"
                                                 : decoded.problems[0].message.c_str());
    return false;
  }
  *slots += decoded.nodes.size() * VmPageListNode::kPageFanOut;
  return true;
}

void BM_DecodeLive(benchmark::State& state) {
  const size_t nodes = static_cast<size_t>(state.range(0));
  std::unique_ptr<VmPageList> list = MakeList(nodes);
  vmpl::inspect::LiveProcessSource memory(getpid());
  const vmpl::inspect::DecodeLayout layout = vmpl::inspect::BuiltinDecodeLayout();
  uint64_t slots = 0;
  for (auto _ : state) {
    if (!DecodeOnce(state, memory, reinterpret_cast<uintptr_t>(list.get()), layout, nodes,
                    &slots)) {
      break;
    }
  }
  state.counters["slots_per_s"] =
      benchmark::Counter(static_cast<double>(slots), benchmark::Counter::kIsRate);
  Release(*list);
}
BENCHMARK(BM_DecodeLive)->Arg(kSmallList)->Arg(kLargeList)->Unit(benchmark::kMillisecond);

// ------------------------------------------------------------------------------------------------
// The core: a forked child builds one list of each size, reports their addresses and waits while
// gcore dumps it.

class Core {
 public:
  // The core, made on first use; check error() before using it.
  static Core& Get() {
    static Core core;
    return core;
  }

  ~Core() {
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  uint64_t list_address(size_t nodes) const { return lists_.at(nodes); }

 private:
  Core() { Make(); }

  void Make() {
    std::string dir = std::filesystem::temp_directory_path().string() + "/vmpl_decode_bench.XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) {
      error_ = "cannot make a temporary directory";
      return;
    }
    dir_ = dir;
    int report[2];
    int release[2];
    if (pipe2(report, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0) {
      error_ = "pipe failed";
      return;
    }
    const pid_t child = fork();
    if (child < 0) {
      error_ = "fork failed";
      return;
    }
    if (child == 0) {
      close(report[0]);
      close(release[1]);
      // The lists stay alive until the child exits; the kernel frees them.
      uint64_t addresses[2];
      addresses[0] = reinterpret_cast<uintptr_t>(MakeList(kSmallList).release());
      addresses[1] = reinterpret_cast<uintptr_t>(MakeList(kLargeList).release());
      if (write(report[1], addresses, sizeof(addresses)) != sizeof(addresses)) {
        _exit(1);
      }
      // Wait for our parent to close its end, whenever and however it does.
      char byte;
      while (read(release[0], &byte, 1) > 0) {
      }
      _exit(0);
    }
    close(report[1]);
    close(release[0]);
    uint64_t addresses[2] = {};
    const bool reported = read(report[0], addresses, sizeof(addresses)) == sizeof(addresses);
    close(report[0]);
    const std::string prefix = dir_ + "/core";
    const int gcore = reported ? RunGcore(prefix, child) : -1;
    close(release[1]);
    waitpid(child, nullptr, 0);
    if (!reported) {
      error_ = "the child did not report its lists";
    } else if (gcore != 0) {
      error_ = "gcore failed (is gdb installed?)";
    } else {
      path_ = prefix + "." + std::to_string(child);
      lists_[kSmallList] = addresses[0];
      lists_[kLargeList] = addresses[1];
    }
  }

  static int RunGcore(const std::string& prefix, pid_t pid) {
    return vmpl::testing::RunGcore(prefix, pid);
  }

  std::string dir_;
  std::string path_;
  std::string error_;
  std::map<size_t, uint64_t> lists_;  // nodes -> address of the list in the child
};

ElfCoreSource::Method MethodArg(int64_t arg) {
  return arg == 0 ? ElfCoreSource::Method::kMap : ElfCoreSource::Method::kPread;
}

// The core, or null with the benchmark skipped saying why there is none.
const Core* GetCore(benchmark::State& state) {
  const Core& core = Core::Get();
  if (!core.error().empty()) {
    state.SkipWithError(core.error().c_str());
    return nullptr;
  }
  return &core;
}

// Opens the core, or skips the benchmark saying why not.
std::unique_ptr<ElfCoreSource> OpenCore(benchmark::State& state, ElfCoreSource::Method method) {
  const Core* core = GetCore(state);
  if (core == nullptr) {
    return nullptr;
  }
  std::string error;
  std::unique_ptr<ElfCoreSource> source = ElfCoreSource::Open(core->path(), &error, method);
  if (source == nullptr) {
    state.SkipWithError(error.c_str());
  }
  return source;
}

void BM_DecodeCore(benchmark::State& state) {
  const size_t nodes = static_cast<size_t>(state.range(0));
  std::unique_ptr<ElfCoreSource> memory = OpenCore(state, MethodArg(state.range(1)));
  if (memory == nullptr) {
    return;
  }
  const uint64_t address = Core::Get().list_address(nodes);
  const vmpl::inspect::DecodeLayout layout = vmpl::inspect::BuiltinDecodeLayout();
  uint64_t slots = 0;
  for (auto _ : state) {
    if (!DecodeOnce(state, *memory, address, layout, nodes, &slots)) {
      break;
    }
  }
  state.counters["slots_per_s"] =
      benchmark::Counter(static_cast<double>(slots), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeCore)
    ->ArgNames({"nodes", "method"})
    ->Args({kSmallList, 0})
    ->Args({kLargeList, 0})
    ->Args({kSmallList, 1})
    ->Args({kLargeList, 1})
    ->Unit(benchmark::kMillisecond);

void BM_DecodeCoreFreshOpen(benchmark::State& state) {
  const size_t nodes = static_cast<size_t>(state.range(0));
  const Core* core = GetCore(state);
  if (core == nullptr) {
    return;
  }
  const uint64_t address = core->list_address(nodes);
  const vmpl::inspect::DecodeLayout layout = vmpl::inspect::BuiltinDecodeLayout();
  uint64_t slots = 0;
  for (auto _ : state) {
    std::string error;
    std::unique_ptr<ElfCoreSource> memory = ElfCoreSource::Open(core->path(), &error);
    if (memory == nullptr) {
      state.SkipWithError(error.c_str());
      break;
    }
    if (!DecodeOnce(state, *memory, address, layout, nodes, &slots)) {
      break;
    }
  }
  state.counters["slots_per_s"] =
      benchmark::Counter(static_cast<double>(slots), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeCoreFreshOpen)->Arg(kLargeList)->Unit(benchmark::kMillisecond);

void BM_CoreRead(benchmark::State& state) {
  std::unique_ptr<ElfCoreSource> memory = OpenCore(state, MethodArg(state.range(0)));
  if (memory == nullptr) {
    return;
  }
  // The node addresses, in the order a decode reads them (found by decoding once, untimed).
  const vmpl::inspect::DecodeLayout layout = vmpl::inspect::BuiltinDecodeLayout();
  const vmpl::SnapshotList decoded =
      vmpl::inspect::DecodePageList(*memory, Core::Get().list_address(kLargeList), layout);
  if (decoded.nodes.size() != kLargeList) {
    state.SkipWithError("the decoded list is not the list");
    return;
  }
  std::vector<uint64_t> addresses;
  addresses.reserve(decoded.nodes.size());
  for (const vmpl::SnapshotNode& node : decoded.nodes) {
    addresses.push_back(node.address);
  }
  std::vector<uint8_t> node(layout.node_size);
  uint64_t reads = 0;
  for (auto _ : state) {
    for (const uint64_t address : addresses) {
      const vmpl::inspect::ReadResult result = memory->Read(address, node.data(), node.size());
      if (!result.ok()) {
        state.SkipWithError(result.error.c_str());
        break;
      }
      benchmark::DoNotOptimize(node.data());
      benchmark::ClobberMemory();
    }
    reads += addresses.size();
  }
  state.counters["reads_per_s"] =
      benchmark::Counter(static_cast<double>(reads), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(reads * node.size()));
}
BENCHMARK(BM_CoreRead)->ArgName("method")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
