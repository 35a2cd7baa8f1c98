// Multi-producer stress test of vmpl::trace::Ring with a concurrent RingReader, meant to be run
// under ThreadSanitizer as well (the `tsan` preset). Producers write self-checking records
// (every payload word derived from the producer and its sequence number); the reader checks that
// each record it gets is intact, that each producer's records come in order, and, once everyone
// is done, that every record written was delivered or counted lost exactly once, per producer.
// Small rings make laps, overwrites and producers overtaking stalled ones frequent; large ones
// exercise the common case.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "trace_ring_test.h"

namespace vmpl::trace {
namespace {

using ::testing::IsEmpty;
using testing::IsIntact;
using testing::MakeTestEvent;

struct StressCase {
  RingMode mode;
  uint64_t capacity;
  // The reader's patience with unfinished records. Far: it always waits for the (live)
  // producers. Zero: it gives up on every record it finds unfinished, so producers keep finding
  // their records given up, their slots orphaned, their positions taken.
  uint64_t abandon_timeout_ns = kFar;
  static constexpr uint64_t kFar = 120'000'000'000;
};

std::string CaseName(const StressCase& c) {
  return std::string(c.mode == RingMode::kOverwrite ? "Overwrite" : "DropNewest") +
         std::to_string(c.capacity) + (c.abandon_timeout_ns == 0 ? "ImpatientReader" : "");
}
void PrintTo(const StressCase& c, std::ostream* out) { *out << CaseName(c); }

// What the reader saw of one producer.
struct Seen {
  uint64_t delivered = 0;
  uint64_t next_at_least = 0;  // sequences only grow
  uint64_t out_of_order = 0;
  int64_t index = -1;  // its producer-table index, which must never change
  uint64_t index_changes = 0;
};

// Reads until |producers_done| and the reader has caught up with the head, checking every record
// as it goes. Returns false on a record that is not intact or not from a test producer.
bool ReadAndCheck(RingReader& reader, const std::atomic<bool>& producers_done,
                  std::map<uint32_t, Seen>* seen, uint64_t* broken) {
  ReadRecord batch[256];
  for (uint64_t round = 0;; ++round) {
    // The invariants hold while producers write, not only when they are quiet.
    if (round % 512 == 0) {
      for (const std::string& problem : reader.Check()) {
        ADD_FAILURE() << "while producers run: " << problem;
        ++*broken;
      }
    }
    const bool done = producers_done.load(std::memory_order_acquire);
    const size_t n = reader.Read(batch, 256);
    for (size_t i = 0; i < n; ++i) {
      const ReadRecord& record = batch[i];
      if (!IsIntact(record.event) || record.event.aux == 0 || record.event.aux > 64) {
        ++*broken;
        continue;
      }
      Seen& s = (*seen)[record.event.aux];
      if (record.event.timestamp < s.next_at_least) {
        ++s.out_of_order;
      }
      s.next_at_least = record.event.timestamp + 1;
      if (s.index != -1 && s.index != record.producer) {
        ++s.index_changes;
      }
      s.index = record.producer;
      ++s.delivered;
    }
    if (done && n == 0 && reader.position() == reader.Totals().head) {
      return *broken == 0;
    }
    if (n == 0) {
      std::this_thread::yield();
    }
  }
}

class TraceRingStress : public ::testing::TestWithParam<StressCase> {};

TEST_P(TraceRingStress, FourProducersAndALiveReaderLoseNothingUncounted) {
  constexpr int kProducers = 4;
  const uint64_t kPerProducer = testing::Scaled(250'000);
  RingOptions options;
  options.capacity = GetParam().capacity;
  options.mode = GetParam().mode;
  options.shared = false;
  std::string error;
  std::unique_ptr<Ring> ring = Ring::Create(options, &error);
  ASSERT_NE(ring, nullptr) << error;
  ReaderOptions reader_options;
  reader_options.abandon_timeout_ns = GetParam().abandon_timeout_ns;
  std::unique_ptr<RingReader> reader = RingReader::AttachInProcess(*ring, &error, reader_options);
  ASSERT_NE(reader, nullptr) << error;

  std::atomic<bool> producers_done{false};
  std::map<uint32_t, Seen> seen;
  uint64_t broken = 0;
  std::thread reader_thread([&] { ReadAndCheck(*reader, producers_done, &seen, &broken); });

  std::vector<uint64_t> accepted(kProducers, 0);
  std::vector<uint32_t> tids(kProducers, 0);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      tids[p] = static_cast<uint32_t>(gettid());
      const auto source = static_cast<uint32_t>(p + 1);
      for (uint64_t i = 0; i < kPerProducer; ++i) {
        accepted[p] += ring->Write(MakeTestEvent(source, i)) ? 1 : 0;
      }
    });
  }
  for (std::thread& t : producers) {
    t.join();
  }
  producers_done.store(true, std::memory_order_release);
  reader_thread.join();

  EXPECT_EQ(broken, 0u) << "torn or foreign records delivered";
  const std::vector<ProducerStats> stats = reader->Producers();
  ASSERT_EQ(stats.size(), static_cast<size_t>(kProducers + 1));
  EXPECT_EQ(stats[0].lost(), 0u) << "a loss was left against the unknown producer";
  uint64_t delivered = 0;
  for (int p = 0; p < kProducers; ++p) {
    SCOPED_TRACE("producer " + std::to_string(p + 1));
    const Seen& s = seen[p + 1];
    const auto entry = std::find_if(stats.begin(), stats.end(),
                                    [&](const ProducerStats& e) { return e.tid == tids[p]; });
    ASSERT_NE(entry, stats.end());
    EXPECT_EQ(s.out_of_order, 0u);
    EXPECT_EQ(s.index_changes, 0u);
    if (s.delivered != 0) {
      EXPECT_EQ(s.index, static_cast<int64_t>(entry->index));
    }
    EXPECT_EQ(entry->committed, accepted[p]);
    EXPECT_EQ(s.delivered + entry->lost(), kPerProducer)
        << "delivered " << s.delivered << " overwritten " << entry->overwritten << " dropped "
        << entry->dropped << " abandoned " << entry->abandoned << " blocked " << entry->blocked;
    if (GetParam().mode == RingMode::kDropNewest) {
      EXPECT_EQ(entry->overwritten, 0u);
    } else {
      EXPECT_EQ(entry->dropped, 0u);
    }
    delivered += s.delivered;
  }
  const RingTotals totals = reader->Totals();
  EXPECT_EQ(delivered + totals.lost(), kProducers * kPerProducer);
  // Nobody dies and the timeout is far away, so the reader gives nothing up. In overwrite mode a
  // producer preempted between reserving and claiming can still find its position lapped (counted
  // as abandoned, see <vmpl/trace_ring.h>); a full drop-newest ring never laps anyone.
  if (GetParam().mode == RingMode::kDropNewest && GetParam().abandon_timeout_ns != 0) {
    EXPECT_EQ(totals.abandoned, 0u);
  }
  EXPECT_THAT(reader->Check(), IsEmpty());
  RecordProperty("delivered", std::to_string(delivered));
  RecordProperty("overwritten", std::to_string(totals.overwritten));
  RecordProperty("dropped", std::to_string(totals.dropped));
  RecordProperty("abandoned", std::to_string(totals.abandoned));
  RecordProperty("blocked", std::to_string(totals.blocked));
  RecordProperty("commit_failed", std::to_string(totals.commit_failed));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TraceRingStress,
    ::testing::Values(StressCase{RingMode::kOverwrite, 2}, StressCase{RingMode::kOverwrite, 64},
                      StressCase{RingMode::kOverwrite, 4096}, StressCase{RingMode::kDropNewest, 64},
                      StressCase{RingMode::kDropNewest, 4096},
                      StressCase{RingMode::kOverwrite, 4, 0},
                      StressCase{RingMode::kOverwrite, 4096, 0},
                      StressCase{RingMode::kDropNewest, 64, 0}),
    [](const ::testing::TestParamInfo<StressCase>& info) { return CaseName(info.param); });

// Many short-lived threads register at once, more than the table holds: those past the table
// share entry 0. Totals stay exact, and nothing a thread wrote lands under another's entry.
TEST(TraceRingStressRegistration, ManyThreadsRegisterConcurrently) {
  constexpr int kThreads = 48;
  const uint64_t kPerThread = testing::Scaled(4000);
  RingOptions options;
  options.capacity = 256;
  options.mode = RingMode::kOverwrite;
  options.shared = false;
  options.max_producers = 32;
  std::string error;
  std::unique_ptr<Ring> ring = Ring::Create(options, &error);
  ASSERT_NE(ring, nullptr) << error;
  ReaderOptions reader_options;
  reader_options.abandon_timeout_ns = 120'000'000'000;
  std::unique_ptr<RingReader> reader = RingReader::AttachInProcess(*ring, &error, reader_options);
  ASSERT_NE(reader, nullptr) << error;
  std::atomic<bool> producers_done{false};
  std::map<uint32_t, Seen> seen;
  uint64_t broken = 0;
  std::thread reader_thread([&] { ReadAndCheck(*reader, producers_done, &seen, &broken); });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) {
        ring->Write(MakeTestEvent(static_cast<uint32_t>(t + 1), i));
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  producers_done.store(true, std::memory_order_release);
  reader_thread.join();
  EXPECT_EQ(broken, 0u);
  const std::vector<ProducerStats> stats = reader->Producers();
  EXPECT_EQ(stats.size(), 32u);
  uint64_t delivered = 0;
  for (const auto& [source, s] : seen) {
    EXPECT_EQ(s.out_of_order, 0u) << source;
    EXPECT_EQ(s.index_changes, 0u) << source;
    delivered += s.delivered;
  }
  EXPECT_EQ(delivered + reader->Totals().lost(), kThreads * kPerThread);
  EXPECT_THAT(reader->Check(), IsEmpty());
}

}  // namespace
}  // namespace vmpl::trace
