// What a page-list event costs on each way out of a process, in one run and one binary:
//   BM_StorePair_Off     the USDT probe sites with nothing attached and tracing off (the
//                        semaphore test alone: the cost every vmpl program pays)
//   BM_StorePair_Ring    in-process tracing into a private ring (drained between batches,
//                        outside the timing)
//   BM_StorePair_Bpf     `vmpl trace live`'s path: the BPF programs attached to this process's
//                        probes, events into a BPF ring buffer (drained between batches, outside
//                        the timing)
// Each iteration is `*slot = Marker(); *slot = Empty();` on an existing slot: 2 slot-store events.
// Counters: events per second (items), and for the BPF path the events delivered and lost.
//   BM_BpfSustained      the highest event rate the BPF path carries with nothing lost: stores
//                        paced in bursts, the ring drained every burst; reports events/s and lost.
// BPF needs root; without it the BPF benchmarks are skipped with the reason.
//
//   cmake --preset release && cmake --build build/release -j2 --target bpf_bench
//   ./build/release/bench/bpf_bench

#include <benchmark/benchmark.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/bpf_tracer.h>
#include <vmpl/trace.h>
#include <vmpl/trace_ring.h>

#include <chrono>
#include <memory>
#include <string>

namespace {

constexpr int64_t kBatch = 1024;  // store pairs between two drains

// A list with one existing slot to store into.
class OneSlot {
 public:
  OneSlot() {
    auto [slot, in_interval] = list_.LookupOrAllocate(0, VmPageList::IntervalHandling::NoIntervals);
    slot_ = slot;
  }
  ~OneSlot() { list_.RemoveAllContent([](VmPageOrMarker&&) {}); }
  void StorePairs(int64_t n) {
    for (int64_t i = 0; i < n; i++) {
      *slot_ = VmPageOrMarker::Marker();
      benchmark::ClobberMemory();
      *slot_ = VmPageOrMarker::Empty();
      benchmark::ClobberMemory();
    }
  }

 private:
  VmPageList list_;
  VmPageOrMarker* slot_ = nullptr;
};

void BM_StorePair_Off(benchmark::State& state) {
  OneSlot slot;
  for (auto _ : state) {
    slot.StorePairs(kBatch);
  }
  state.SetItemsProcessed(state.iterations() * kBatch * 2);
}
BENCHMARK(BM_StorePair_Off);

void BM_StorePair_Ring(benchmark::State& state) {
  vmpl::trace::RingOptions options;
  options.shared = false;
  options.capacity = uint64_t{1} << 16;
  options.mode = vmpl::trace::RingMode::kDropNewest;
  std::string error;
  std::unique_ptr<vmpl::trace::Ring> ring = vmpl::trace::Ring::Create(options, &error);
  std::unique_ptr<vmpl::trace::RingReader> reader =
      ring ? vmpl::trace::RingReader::AttachInProcess(*ring, &error) : nullptr;
  if (!reader) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::vector<vmpl::trace::ReadRecord> records(4096);
  OneSlot slot;
  vmpl::trace::Start(ring.get());
  for (auto _ : state) {
    slot.StorePairs(kBatch);
    state.PauseTiming();
    while (reader->Read(records.data(), records.size()) != 0) {
    }
    state.ResumeTiming();
  }
  vmpl::trace::Stop();
  vmpl::trace::Arm(nullptr);
  state.SetItemsProcessed(state.iterations() * kBatch * 2);
  state.counters["lost"] = static_cast<double>(ring->Totals().lost());
}
BENCHMARK(BM_StorePair_Ring);

std::unique_ptr<vmpl::inspect::BpfTracer> AttachToSelf(benchmark::State& state) {
  vmpl::inspect::BpfTracerOptions options;
  options.pid = getpid();
  std::string error;
  std::unique_ptr<vmpl::inspect::BpfTracer> tracer =
      vmpl::inspect::BpfTracer::Attach(options, &error);
  if (!tracer) {
    state.SkipWithError(("BPF: " + error).c_str());
  }
  return tracer;
}

void BM_StorePair_Bpf(benchmark::State& state) {
  std::unique_ptr<vmpl::inspect::BpfTracer> tracer = AttachToSelf(state);
  if (!tracer) {
    return;
  }
  uint64_t delivered = 0;
  const auto count = [&delivered](const vmpl::trace::Event&) { delivered++; };
  OneSlot slot;
  for (auto _ : state) {
    slot.StorePairs(kBatch);
    state.PauseTiming();
    tracer->Poll(0, count);
    state.ResumeTiming();
  }
  tracer->Poll(0, count);
  state.SetItemsProcessed(state.iterations() * kBatch * 2);
  state.counters["delivered"] = static_cast<double>(delivered);
  state.counters["lost"] = static_cast<double>(tracer->lost());
}
// A uprobe hit traps into the kernel (several µs in a VM): a fixed, modest count of events.
BENCHMARK(BM_StorePair_Bpf)->Iterations(64);

void BM_BpfSustained(benchmark::State& state) {
  std::unique_ptr<vmpl::inspect::BpfTracer> tracer = AttachToSelf(state);
  if (!tracer) {
    return;
  }
  uint64_t delivered = 0;
  const auto count = [&delivered](const vmpl::trace::Event&) { delivered++; };
  OneSlot slot;
  constexpr int64_t kEvents = 100000;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t done = 0; done < kEvents; done += 2 * kBatch) {
      slot.StorePairs(kBatch);
      tracer->Poll(0, count);  // the consumer keeps pace, as `vmpl trace live` does
    }
    tracer->Poll(0, count);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.counters["events_per_s"] = static_cast<double>(delivered) / seconds;
  }
  state.counters["delivered"] = static_cast<double>(delivered);
  state.counters["lost"] = static_cast<double>(tracer->lost());
}
BENCHMARK(BM_BpfSustained)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
