// Benchmarks of LiveProcessSource reading a forked child's memory, against memcpy of the same
// bytes from our own copy in the same run.
//
// The child is a fork of this program made before any benchmark runs: it holds a 64 MiB region
// that it has written itself (so its pages are its own, not shared with ours) and waits. The
// read patterns are those of `vmpl inspect` decoding a page list:
//   Scattered176/<method>/<batched>  1024 reads of 176 bytes (one VmPageListNode) at random,
//                                    8-byte aligned offsets per iteration; batched=1 is one
//                                    ReadMany of all 1024, batched=0 is 1024 Read calls
//   Large/<method>                   one 1 MiB read per iteration, walking the region
// method: 0 process_vm_readv, 1 /proc/PID/mem. BM_Memcpy_* is the floor: the same copies within
// our own address space. Counters: items_per_second = reads/s, bytes_per_second, slots/s (16
// slots per node read) and calls/read (system calls per read).
//
// Target (issue 5): decoding >= 2 M slots/s from a live process, i.e. >= 125 K node reads/s.
// Build with the `release` preset:
//   cmake --preset release && cmake --build build/release -j2 --target memory_source_bench
//   ./build/release/bench/memory_source_bench

#include <benchmark/benchmark.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vmpl/inspect/live_process_source.h>

#include <random>
#include <vector>

namespace {

using vmpl::inspect::LiveProcessSource;
using vmpl::inspect::ReadRequest;
using vmpl::inspect::ReadResult;

constexpr size_t kRegionBytes = size_t{64} << 20;
constexpr size_t kNodeBytes = 176;
constexpr size_t kSlotsPerNode = 16;
constexpr size_t kBatch = 1024;
constexpr size_t kOffsets = size_t{1} << 16;  // a power of two: the index wraps with a mask
constexpr size_t kLargeBytes = size_t{1} << 20;
constexpr uint64_t kSeed = 0x11fe'5eed'0176u;

// Set up in main before the benchmarks run.
uint8_t* g_region = nullptr;
pid_t g_child = -1;
std::vector<uint64_t> g_offsets;

LiveProcessSource::Method MethodArg(int64_t arg) {
  return arg == 0 ? LiveProcessSource::Method::kProcessVmReadv
                  : LiveProcessSource::Method::kProcMem;
}

void SetScatteredCounters(benchmark::State& state, uint64_t calls) {
  const int64_t reads = state.iterations() * static_cast<int64_t>(kBatch);
  state.SetItemsProcessed(reads);
  state.SetBytesProcessed(reads * static_cast<int64_t>(kNodeBytes));
  state.counters["slots/s"] =
      benchmark::Counter(static_cast<double>(reads * kSlotsPerNode), benchmark::Counter::kIsRate);
  state.counters["calls/read"] =
      reads == 0 ? 0.0 : static_cast<double>(calls) / static_cast<double>(reads);
}

void BM_Memcpy_Scattered176(benchmark::State& state) {
  std::vector<uint8_t> out(kBatch * kNodeBytes);
  size_t next = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kBatch; ++i) {
      memcpy(out.data() + i * kNodeBytes, g_region + g_offsets[next++ & (kOffsets - 1)],
             kNodeBytes);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetScatteredCounters(state, 0);
}
BENCHMARK(BM_Memcpy_Scattered176);

void BM_Live_Scattered176(benchmark::State& state) {
  LiveProcessSource source(g_child, MethodArg(state.range(0)));
  const bool batched = state.range(1) != 0;
  std::vector<uint8_t> out(kBatch * kNodeBytes);
  std::vector<ReadRequest> requests(kBatch);
  size_t next = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kBatch; ++i) {
      requests[i] = {
          .address = reinterpret_cast<uint64_t>(g_region) + g_offsets[next++ & (kOffsets - 1)],
          .buffer = out.data() + i * kNodeBytes,
          .size = kNodeBytes};
    }
    if (batched) {
      const std::vector<ReadResult> results = source.ReadMany(requests);
      if (!results.back().ok()) {
        state.SkipWithError(results.back().error.c_str());
        break;
      }
    } else {
      for (const ReadRequest& request : requests) {
        const ReadResult result = source.Read(request.address, request.buffer, request.size);
        if (!result.ok()) {
          state.SkipWithError(result.error.c_str());
          break;
        }
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetScatteredCounters(state, source.target_reads());
}
BENCHMARK(BM_Live_Scattered176)
    ->ArgNames({"method", "batched"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1});

void BM_Memcpy_Large(benchmark::State& state) {
  std::vector<uint8_t> out(kLargeBytes);
  size_t offset = 0;
  for (auto _ : state) {
    memcpy(out.data(), g_region + offset, kLargeBytes);
    offset = (offset + kLargeBytes) % kRegionBytes;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kLargeBytes));
}
BENCHMARK(BM_Memcpy_Large);

void BM_Live_Large(benchmark::State& state) {
  LiveProcessSource source(g_child, MethodArg(state.range(0)));
  std::vector<uint8_t> out(kLargeBytes);
  size_t offset = 0;
  for (auto _ : state) {
    const ReadResult result =
        source.Read(reinterpret_cast<uint64_t>(g_region) + offset, out.data(), kLargeBytes);
    if (!result.ok()) {
      state.SkipWithError(result.error.c_str());
      break;
    }
    offset = (offset + kLargeBytes) % kRegionBytes;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kLargeBytes));
}
BENCHMARK(BM_Live_Large)->ArgName("method")->Arg(0)->Arg(1);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 2;
  }
  void* region =
      mmap(nullptr, kRegionBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  g_region = static_cast<uint8_t*>(region);
  memset(g_region, 0x5a, kRegionBytes);  // our own pages, for the memcpy floor
  std::mt19937_64 random(kSeed);
  g_offsets.resize(kOffsets);
  for (uint64_t& offset : g_offsets) {
    offset = (random() % (kRegionBytes - kNodeBytes)) & ~uint64_t{7};
  }

  // The child writes every page (its own copies, not ours) and waits for our end of |hold| to
  // close, which happens when we exit, however we exit.
  int ready[2];
  int hold[2];
  if (pipe(ready) != 0 || pipe(hold) != 0) {
    perror("pipe");
    return 1;
  }
  g_child = fork();
  if (g_child < 0) {
    perror("fork");
    return 1;
  }
  if (g_child == 0) {
    close(ready[0]);
    close(hold[1]);
    for (size_t i = 0; i < kRegionBytes; i += 64) {
      g_region[i] = static_cast<uint8_t>(i >> 6);
    }
    const char byte = 1;
    if (write(ready[1], &byte, 1) != 1) {
      _exit(1);
    }
    char ignored;
    while (read(hold[0], &ignored, 1) > 0) {
    }
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  char byte;
  if (read(ready[0], &byte, 1) != 1) {
    fprintf(stderr, "the child holding the memory did not start\n");
    return 1;
  }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  close(hold[1]);
  waitpid(g_child, nullptr, 0);
  return 0;
}
