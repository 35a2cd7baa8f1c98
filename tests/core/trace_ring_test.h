// Helpers shared by the trace ring's test programs (trace_ring_test.cc, trace_ring_stress_test.cc):
// self-checking event payloads, unique ring names, reading with a deadline.

#ifndef VMPL_TESTS_CORE_TRACE_RING_TEST_H_
#define VMPL_TESTS_CORE_TRACE_RING_TEST_H_

#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vmpl/trace_ring.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace vmpl::trace::testing {

// splitmix64: cheap, and every output bit depends on every input bit.
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Record |sequence| of test producer |source|: every word of the payload is derived from both, so
// a record made of words of two different records (torn) is never mistaken for an intact one.
inline Event MakeTestEvent(uint32_t source, uint64_t sequence) {
  Event event{};
  event.timestamp = sequence;
  event.aux = source;
  event.kind = EventKind::kSlotStore;
  event.cpu = static_cast<uint16_t>(Mix(source ^ sequence) & 0xffff);
  event.object = Mix((uint64_t{source} << 40) ^ sequence);
  for (int i = 0; i < 4; ++i) {
    event.arg[i] = Mix(event.object + static_cast<uint64_t>(i) + 1);
  }
  return event;
}

// Whether |event| is exactly MakeTestEvent(its source, its sequence).
inline bool IsIntact(const Event& event) {
  const Event expected = MakeTestEvent(event.aux, event.timestamp);
  return memcmp(&expected, &event, sizeof(Event)) == 0;
}

// A ring name no other test (or test process) uses.
inline std::string UniqueRingName() {
  static std::atomic<int> counter{0};
  return "vmpl-ring-test." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

inline RingOptions TestOptions(uint64_t capacity, RingMode mode, bool shared = false) {
  RingOptions options;
  options.capacity = capacity;
  options.mode = mode;
  options.shared = shared;
  options.name = shared ? UniqueRingName() : "";
  return options;
}

// Reads until |want| records arrived or |deadline| passed; returns what it got.
inline std::vector<ReadRecord> ReadUntil(RingReader& reader, size_t want,
                                         std::chrono::milliseconds deadline) {
  std::vector<ReadRecord> got;
  ReadRecord batch[256];
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (got.size() < want && std::chrono::steady_clock::now() < end) {
    const size_t n = reader.Read(batch, std::min<size_t>(256, want - got.size()));
    got.insert(got.end(), batch, batch + n);
    if (n == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  return got;
}

// Reads everything there is now (stops at the first record not ready).
inline std::vector<ReadRecord> ReadAvailable(RingReader& reader) {
  std::vector<ReadRecord> got;
  ReadRecord batch[256];
  for (;;) {
    const size_t n = reader.Read(batch, 256);
    if (n == 0) {
      return got;
    }
    got.insert(got.end(), batch, batch + n);
  }
}

// Sanitizers make each operation tens of times slower: scale loop counts down under them.
inline uint64_t Scaled(uint64_t n) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  return n / 8;
#else
  return n;
#endif
}

}  // namespace vmpl::trace::testing

#endif  // VMPL_TESTS_CORE_TRACE_RING_TEST_H_
