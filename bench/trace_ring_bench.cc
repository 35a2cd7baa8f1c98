// Benchmarks of the shared-memory trace ring (vmpl::trace::Ring, RingReader) against two
// baselines that do the same store of a 56-byte event without the ring's guarantees:
//   PlainArray  one thread, plain stores into a power-of-two array: the floor (no atomics, no
//               order, no loss accounting, no other thread can read it safely)
//   MutexRing   a std::mutex around the same array store: the obvious thread-safe alternative
//
// One BM_<Op> per operation, registered as BM_<Impl>_<Op>; ratios come from one run.
//   Write/<capacity>            one Write by a single producer, nobody reading (overwrite mode:
//                               after the first lap every Write also overwrites and counts)
//   WriteWithReader/<capacity>  the same while a reader thread drains the ring flat out; the
//                               delivered% counter says how much of it the reader got
//   DropWrite/<capacity>        drop-newest mode; the ring is drained (timing paused) every lap,
//                               so every timed Write commits
//   DropWriteWithReader         drop-newest with a reader thread: Writes that find the ring full
//                               are cheap refusals, so this mixes both paths (see dropped%)
//   Write/threads:2             two producers on one ring, overwrite mode, nobody reading
//   Read/<capacity>             the reader taking a full ring's worth of committed records
// Event contents are fixed, so there is no seed. Creating rings is outside the timing. Build
// with the `release` preset (DEBUG_ASSERTs off):
//   cmake --preset release && cmake --build build/release -j2 --target trace_ring_bench
//   ./build/release/bench/trace_ring_bench

#include <benchmark/benchmark.h>
#include <stdint.h>
#include <vmpl/trace_ring.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using vmpl::trace::Event;
using vmpl::trace::EventKind;
using vmpl::trace::ReadRecord;
using vmpl::trace::Ring;
using vmpl::trace::RingMode;
using vmpl::trace::RingOptions;
using vmpl::trace::RingReader;

Event SampleEvent() {
  Event event{};
  event.timestamp = 1;
  event.object = 0x7f0000001000;
  event.kind = EventKind::kSlotStore;
  event.cpu = 1;
  event.arg[0] = 0;
  event.arg[1] = 0x123000 | 1;
  return event;
}

std::unique_ptr<Ring> MakeRing(uint64_t capacity, RingMode mode) {
  RingOptions options;
  options.capacity = capacity;
  options.mode = mode;
  options.shared = false;
  std::string error;
  std::unique_ptr<Ring> ring = Ring::Create(options, &error);
  if (ring == nullptr) {
    fprintf(stderr, "cannot create the ring: %s\n", error.c_str());
    abort();
  }
  return ring;
}

std::unique_ptr<RingReader> MakeReader(Ring& ring) {
  std::string error;
  std::unique_ptr<RingReader> reader = RingReader::AttachInProcess(ring, &error);
  if (reader == nullptr) {
    fprintf(stderr, "cannot attach: %s\n", error.c_str());
    abort();
  }
  return reader;
}

// Drains |reader| on a thread of its own until stopped; counts what it got.
class ReaderThread {
 public:
  explicit ReaderThread(RingReader& reader)
      : thread_([this, &reader] {
          std::vector<ReadRecord> batch(256);
          while (!stop_.load(std::memory_order_relaxed)) {
            const size_t n = reader.Read(batch.data(), batch.size());
            delivered_ += n;
            if (n == 0) {
              std::this_thread::yield();
            }
          }
          delivered_ += reader.Read(batch.data(), batch.size());
        }) {}
  uint64_t Stop() {
    stop_.store(true);
    thread_.join();
    return delivered_;
  }

 private:
  std::atomic<bool> stop_{false};
  uint64_t delivered_ = 0;
  std::thread thread_;
};

void SetPercent(benchmark::State& state, const char* name, uint64_t part, uint64_t whole) {
  state.counters[name] =
      whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// ----------------------------------------------------------------------------------------------
// The implementations.

struct RingImpl {
  static void Write(benchmark::State& state) {
    auto ring = MakeRing(static_cast<uint64_t>(state.range(0)), RingMode::kOverwrite);
    Event event = SampleEvent();
    for (auto _ : state) {
      event.timestamp++;
      benchmark::DoNotOptimize(ring->Write(event));
    }
    state.SetItemsProcessed(state.iterations());
  }

  static void WriteWithReader(benchmark::State& state) {
    auto ring = MakeRing(static_cast<uint64_t>(state.range(0)), RingMode::kOverwrite);
    auto reader = MakeReader(*ring);
    ReaderThread drain(*reader);
    Event event = SampleEvent();
    for (auto _ : state) {
      event.timestamp++;
      benchmark::DoNotOptimize(ring->Write(event));
    }
    const uint64_t delivered = drain.Stop();
    state.SetItemsProcessed(state.iterations());
    SetPercent(state, "delivered%", delivered, state.iterations());
  }

  static void DropWrite(benchmark::State& state) {
    const auto capacity = static_cast<uint64_t>(state.range(0));
    auto ring = MakeRing(capacity, RingMode::kDropNewest);
    auto reader = MakeReader(*ring);
    std::vector<ReadRecord> sink(capacity);
    Event event = SampleEvent();
    uint64_t refused = 0;
    while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(capacity))) {
      for (uint64_t i = 0; i < capacity; ++i) {
        event.timestamp++;
        refused += ring->Write(event) ? 0 : 1;
      }
      state.PauseTiming();
      reader->Read(sink.data(), sink.size());
      state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["refused"] = static_cast<double>(refused);  // must be 0
  }

  static void DropWriteWithReader(benchmark::State& state) {
    auto ring = MakeRing(static_cast<uint64_t>(state.range(0)), RingMode::kDropNewest);
    auto reader = MakeReader(*ring);
    ReaderThread drain(*reader);
    Event event = SampleEvent();
    uint64_t refused = 0;
    for (auto _ : state) {
      event.timestamp++;
      refused += ring->Write(event) ? 0 : 1;
    }
    const uint64_t delivered = drain.Stop();
    state.SetItemsProcessed(state.iterations());
    SetPercent(state, "delivered%", delivered, state.iterations());
    SetPercent(state, "dropped%", refused, state.iterations());
  }

  static void Read(benchmark::State& state) {
    const auto capacity = static_cast<uint64_t>(state.range(0));
    auto ring = MakeRing(capacity, RingMode::kOverwrite);
    auto reader = MakeReader(*ring);
    std::vector<ReadRecord> out(capacity);
    const Event event = SampleEvent();
    while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(capacity))) {
      state.PauseTiming();
      for (uint64_t i = 0; i < capacity; ++i) {
        ring->Write(event);
      }
      state.ResumeTiming();
      size_t got = 0;
      while (got < capacity) {
        got += reader->Read(out.data() + got, capacity - got);
      }
      benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
  }
};

// The floor: what storing the event costs with nothing else.
struct PlainArrayImpl {
  static void Write(benchmark::State& state) {
    const auto capacity = static_cast<uint64_t>(state.range(0));
    std::vector<Event> array(capacity);
    const Event event = SampleEvent();
    uint64_t next = 0;
    for (auto _ : state) {
      // Copy, then stamp in place: changing a stack copy first would make the compiler's 16-byte
      // loads of it wait on the 8-byte store (a store-forwarding stall that doubles the cost).
      Event& slot = array[next & (capacity - 1)];
      slot = event;
      slot.timestamp = next++;
      benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
  }
};

// The obvious thread-safe ring: one lock around the store.
class MutexRingImpl {
 public:
  static void Write(benchmark::State& state) {
    if (state.thread_index() == 0) {
      capacity_ = static_cast<uint64_t>(state.range(0));
      array_.assign(capacity_, Event{});
      next_ = 0;
    }
    const Event event = SampleEvent();
    for (auto _ : state) {
      std::lock_guard guard(lock_);
      Event& slot = array_[next_ & (capacity_ - 1)];
      slot = event;
      slot.timestamp = next_++;
    }
    state.SetItemsProcessed(state.iterations());
  }

 private:
  static inline std::mutex lock_;
  static inline std::vector<Event> array_;
  static inline uint64_t capacity_ = 0;
  static inline uint64_t next_ = 0;
};

// Two producers on one ring: thread 0 makes it before the start barrier, and destroys it after
// the stop barrier.
std::unique_ptr<Ring> g_shared_ring;

void BM_Ring_WriteThreads(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_shared_ring = MakeRing(static_cast<uint64_t>(state.range(0)), RingMode::kOverwrite);
  }
  Event event = SampleEvent();
  for (auto _ : state) {
    event.timestamp++;
    benchmark::DoNotOptimize(g_shared_ring->Write(event));
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    g_shared_ring.reset();
  }
}

void BM_Ring_Write(benchmark::State& state) { RingImpl::Write(state); }
void BM_Ring_WriteWithReader(benchmark::State& state) { RingImpl::WriteWithReader(state); }
void BM_Ring_DropWrite(benchmark::State& state) { RingImpl::DropWrite(state); }
void BM_Ring_DropWriteWithReader(benchmark::State& state) { RingImpl::DropWriteWithReader(state); }
void BM_Ring_Read(benchmark::State& state) { RingImpl::Read(state); }
void BM_PlainArray_Write(benchmark::State& state) { PlainArrayImpl::Write(state); }
void BM_MutexRing_Write(benchmark::State& state) { MutexRingImpl::Write(state); }

constexpr int64_t kSmall = 4096;       // 256 KiB of records: fits in L2
constexpr int64_t kDefault = 1 << 18;  // RingOptions' default, 16 MiB

BENCHMARK(BM_Ring_Write)->Arg(kSmall)->Arg(kDefault);
BENCHMARK(BM_PlainArray_Write)->Arg(kSmall)->Arg(kDefault);
BENCHMARK(BM_MutexRing_Write)->Arg(kSmall)->Arg(kDefault);
BENCHMARK(BM_Ring_WriteWithReader)->Arg(kSmall)->Arg(kDefault)->UseRealTime();
BENCHMARK(BM_Ring_DropWrite)->Arg(kSmall)->Arg(kDefault);
BENCHMARK(BM_Ring_DropWriteWithReader)->Arg(kSmall)->Arg(kDefault)->UseRealTime();
BENCHMARK(BM_Ring_WriteThreads)->Arg(kDefault)->Threads(2)->UseRealTime();
BENCHMARK(BM_MutexRing_Write)->Arg(kDefault)->Threads(2)->UseRealTime();
BENCHMARK(BM_Ring_Read)->Arg(kSmall)->Arg(kDefault);

}  // namespace

BENCHMARK_MAIN();
