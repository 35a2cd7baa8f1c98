// Benchmarks of the page-list registry (vmpl::Registry) against a plain mutex-protected
// std::unordered_map doing the same bookkeeping without the debugger-visible layout.
//
// One BM_<Op> template per operation, instantiated for both implementations and registered as
// BM_Registry_<Op> and BM_MutexMap_<Op>, so the cost of the exported layout (the seqlock write
// section, the fixed 80-byte entries, the word-by-word name copy) shows as a ratio in one run.
//   RegisterUnregister  one Register + Unregister pair, 1 thread and 2 threads (the 2-thread run
//                       reports real time per pair per thread, and items_per_second summed over
//                       both threads)
//   Rename              one Rename of a live entry
//   Snapshot/N          one consistent copy of N live entries (names of 20-odd bytes, so each
//                       std::string in the copy allocates), no writer running
// Names are fixed, so there is no seed. Registering the N entries for Snapshot is outside the
// timing. Build with the `release` preset:
//   cmake --preset release && cmake --build build/release -j2 --target registry_bench
//   ./build/release/bench/registry_bench

#include <benchmark/benchmark.h>
#include <stdint.h>
#include <stdio.h>
#include <vm/vm_page_list.h>
#include <vmpl/registry.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using vmpl::RegistryEntryView;
using vmpl::RegistryKind;

// A typical simulator name (17 bytes; Snapshot's entries use longer ones).
constexpr std::string_view kName = "vmo:17/clone-of:3";

// ----------------------------------------------------------------------------------------------
// The registry under test.

struct RegistryImpl {
  static uint64_t Register(const VmPageList* list, std::string_view name) {
    return vmpl::Registry::Register(list, name);
  }
  static void Unregister(uint64_t id) { vmpl::Registry::Unregister(id); }
  static void Rename(uint64_t id, std::string_view name) { vmpl::Registry::Rename(id, name); }
  static std::vector<RegistryEntryView> Snapshot() { return vmpl::Registry::Snapshot(); }
};

// ----------------------------------------------------------------------------------------------
// The baseline: what an in-process-only registry would do. Same id rule (never reused), same
// output of Snapshot (sorted by id), one mutex for readers and writers alike.

class MutexMapImpl {
 public:
  static uint64_t Register(const VmPageList* list, std::string_view name) {
    std::lock_guard guard(lock_);
    uint64_t id = next_id_++;
    map_.emplace(id, Entry{reinterpret_cast<uintptr_t>(list), std::string(name)});
    return id;
  }
  static void Unregister(uint64_t id) {
    std::lock_guard guard(lock_);
    map_.erase(id);
  }
  static void Rename(uint64_t id, std::string_view name) {
    std::lock_guard guard(lock_);
    map_.at(id).name.assign(name);
  }
  static std::vector<RegistryEntryView> Snapshot() {
    std::vector<RegistryEntryView> views;
    {
      std::lock_guard guard(lock_);
      views.reserve(map_.size());
      for (const auto& [id, e] : map_) {
        views.push_back(RegistryEntryView{id, RegistryKind::kPageList, e.address, e.name});
      }
    }
    std::sort(views.begin(), views.end(),
              [](const RegistryEntryView& a, const RegistryEntryView& b) { return a.id < b.id; });
    return views;
  }

 private:
  struct Entry {
    uintptr_t address;
    std::string name;
  };
  static inline std::mutex lock_;
  static inline uint64_t next_id_ = 1;
  static inline std::unordered_map<uint64_t, Entry> map_;
};

// ----------------------------------------------------------------------------------------------
// The benchmarks.

// One Register + Unregister pair of a VmPageList named kName.
template <typename Impl>
void BM_RegisterUnregister(benchmark::State& state) {
  VmPageList list;
  for (auto _ : state) {
    uint64_t id = Impl::Register(&list, kName);
    benchmark::DoNotOptimize(id);
    Impl::Unregister(id);
  }
  state.SetItemsProcessed(state.iterations());
}

// One Rename of a live entry, alternating between two names of different lengths.
template <typename Impl>
void BM_Rename(benchmark::State& state) {
  VmPageList list;
  uint64_t id = Impl::Register(&list, kName);
  const std::string_view names[2] = {"vmo:17/clone-of:3", "vmo:17/clone-of:3/renamed-after-move"};
  size_t i = 0;
  for (auto _ : state) {
    Impl::Rename(id, names[i++ & 1]);
  }
  Impl::Unregister(id);
  state.SetItemsProcessed(state.iterations());
}

// One Snapshot of state.range(0) live entries.
template <typename Impl>
void BM_Snapshot(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto lists = std::make_unique<VmPageList[]>(n);
  std::vector<uint64_t> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ids.push_back(Impl::Register(
        &lists[i], "vmo:" + std::to_string(1000 + i) + "/clone-of:" + std::to_string(i / 4)));
  }
  size_t seen = 0;
  for (auto _ : state) {
    std::vector<RegistryEntryView> views = Impl::Snapshot();
    seen = views.size();
    benchmark::DoNotOptimize(views.data());
  }
  for (uint64_t id : ids) {
    Impl::Unregister(id);
  }
  if (seen != n) {
    state.SkipWithError("Snapshot did not return every entry");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}

#define VMPL_REGISTER_BENCHMARK(Op)                                                                \
  do {                                                                                             \
    benchmark::RegisterBenchmark("BM_Registry_" #Op, BM_##Op<RegistryImpl>)->Apply(Configure##Op); \
    benchmark::RegisterBenchmark("BM_MutexMap_" #Op, BM_##Op<MutexMapImpl>)->Apply(Configure##Op); \
  } while (0)

void ConfigureRegisterUnregister(benchmark::internal::Benchmark* b) {
  b->Threads(1)->Threads(2)->UseRealTime();
}
void ConfigureRename(benchmark::internal::Benchmark*) {}
void ConfigureSnapshot(benchmark::internal::Benchmark* b) { b->Arg(64)->Arg(1000); }

void RegisterAll() {
  VMPL_REGISTER_BENCHMARK(RegisterUnregister);
  VMPL_REGISTER_BENCHMARK(Rename);
  VMPL_REGISTER_BENCHMARK(Snapshot);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("sizeof(vmpl_registry_entry)",
                              std::to_string(sizeof(vmpl_registry_entry)));
  benchmark::AddCustomContext("VMPL_DEBUG_ASSERTS", std::to_string(VMPL_DEBUG_ASSERTS));
  RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (vmpl::Registry::live_count() != 0) {
    fprintf(stderr, "registry_bench: %zu registrations left behind\n",
            vmpl::Registry::live_count());
    return 1;
  }
  return 0;
}
