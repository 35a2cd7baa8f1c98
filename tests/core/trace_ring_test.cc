// Tests of vmpl::trace::Ring and RingReader that need no concurrency inside the process: round
// trips, order and wrap-around, the exact loss counts of both modes, every way a producer can be
// stopped mid-record (simulated in one thread with BeginWriteForTesting), attaching (its errors,
// one message per broken header field, the one-reader rule), a scribbled ring, and two real
// processes: a producer SIGKILLed mid-record, and a child producing while the parent reads live.
// The multi-threaded stress test is trace_ring_stress_test.cc.

#include "trace_ring_test.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <ostream>
#include <random>
#include <set>
#include <thread>

namespace vmpl::trace {

const char* ModeName(RingMode mode) {
  return mode == RingMode::kOverwrite ? "Overwrite" : "DropNewest";
}
// How gtest prints a RingMode parameter (found by argument-dependent lookup).
void PrintTo(RingMode mode, std::ostream* out) { *out << ModeName(mode); }

namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::IsIntact;
using testing::MakeTestEvent;
using testing::ReadAvailable;
using testing::ReadUntil;
using testing::TestOptions;
using testing::UniqueRingName;

std::unique_ptr<Ring> MustCreate(const RingOptions& options) {
  std::string error;
  std::unique_ptr<Ring> ring = Ring::Create(options, &error);
  EXPECT_NE(ring, nullptr) << error;
  return ring;
}

std::unique_ptr<RingReader> MustAttach(Ring& ring, const ReaderOptions& options = {}) {
  std::string error;
  std::unique_ptr<RingReader> reader = RingReader::AttachInProcess(ring, &error, options);
  EXPECT_NE(reader, nullptr) << error;
  return reader;
}

// The sequences of |records|, checking each is intact and from |source|.
std::vector<uint64_t> Sequences(const std::vector<ReadRecord>& records, uint32_t source = 1) {
  std::vector<uint64_t> sequences;
  for (const ReadRecord& record : records) {
    EXPECT_TRUE(IsIntact(record.event)) << "record " << sequences.size();
    EXPECT_EQ(record.event.aux, source) << "record " << sequences.size();
    sequences.push_back(record.event.timestamp);
  }
  return sequences;
}

std::vector<uint64_t> Range(uint64_t begin, uint64_t end) {
  std::vector<uint64_t> range;
  for (uint64_t i = begin; i < end; ++i) {
    range.push_back(i);
  }
  return range;
}

ProducerStats Producer(const std::vector<ProducerStats>& stats, uint32_t index) {
  return index < stats.size() ? stats[index] : ProducerStats{};
}

// ------------------------------------------------------------------------------------------------
// Round trips and order.

TEST(TraceRing, SingleProducerRoundTrip) {
  auto ring = MustCreate(TestOptions(16, RingMode::kOverwrite));
  ASSERT_NE(ring, nullptr);
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_TRUE(ring->Write(MakeTestEvent(1, i)));
  }
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  const std::vector<ReadRecord> records = ReadAvailable(*reader);
  EXPECT_EQ(Sequences(records), Range(0, 10));
  for (const ReadRecord& record : records) {
    EXPECT_EQ(record.producer, 1u);
  }
  const std::vector<ProducerStats> producers = ring->Producers();
  ASSERT_EQ(producers.size(), 2u);  // entry 0 (unknown) and this thread
  EXPECT_EQ(producers[1].tid, static_cast<uint32_t>(gettid()));
  EXPECT_EQ(producers[1].pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(producers[1].committed, 10u);
  EXPECT_EQ(ring->Totals().lost(), 0u);
  EXPECT_EQ(ring->Totals().head, 16u + 10u);  // positions start at the capacity
  EXPECT_EQ(reader->position(), 26u);
  EXPECT_THAT(ReadAvailable(*reader), IsEmpty());
  EXPECT_THAT(reader->Check(), IsEmpty());
}

TEST(TraceRing, WrapAroundKeepsOrder) {
  auto ring = MustCreate(TestOptions(8, RingMode::kOverwrite));
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  uint64_t next = 0;
  std::vector<uint64_t> read;
  // Batches of 5 through 8 slots: every slot is reused many times, at every offset.
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(ring->Write(MakeTestEvent(1, next++)));
    }
    const std::vector<uint64_t> batch = Sequences(ReadAvailable(*reader));
    read.insert(read.end(), batch.begin(), batch.end());
  }
  EXPECT_EQ(read, Range(0, next));
  EXPECT_EQ(ring->Totals().lost(), 0u);
  EXPECT_THAT(reader->Check(), IsEmpty());
}

TEST(TraceRing, OverwriteModeCountsEveryOverwrittenRecord) {
  constexpr uint64_t kCapacity = 16;
  constexpr uint64_t kExtra = 5;
  auto ring = MustCreate(TestOptions(kCapacity, RingMode::kOverwrite));
  for (uint64_t i = 0; i < kCapacity + kExtra; ++i) {
    EXPECT_TRUE(ring->Write(MakeTestEvent(1, i))) << i;  // overwrite mode never refuses
  }
  const ProducerStats me = Producer(ring->Producers(), 1);
  EXPECT_EQ(me.committed, kCapacity + kExtra);
  EXPECT_EQ(me.overwritten, kExtra);
  EXPECT_EQ(me.dropped + me.abandoned + me.blocked, 0u);
  // The reader gets the newest lap, oldest first.
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(Sequences(ReadAvailable(*reader)), Range(kExtra, kCapacity + kExtra));
}

TEST(TraceRing, DropNewestModeCountsEveryDroppedRecord) {
  constexpr uint64_t kCapacity = 16;
  constexpr uint64_t kExtra = 5;
  auto ring = MustCreate(TestOptions(kCapacity, RingMode::kDropNewest));
  uint64_t refused = 0;
  for (uint64_t i = 0; i < kCapacity + kExtra; ++i) {
    refused += ring->Write(MakeTestEvent(1, i)) ? 0 : 1;
  }
  EXPECT_EQ(refused, kExtra);
  const ProducerStats me = Producer(ring->Producers(), 1);
  EXPECT_EQ(me.committed, kCapacity);
  EXPECT_EQ(me.dropped, kExtra);
  EXPECT_EQ(me.overwritten + me.abandoned + me.blocked, 0u);
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(Sequences(ReadAvailable(*reader)), Range(0, kCapacity));
  // Room again once the reader published its tail.
  EXPECT_TRUE(ring->Write(MakeTestEvent(1, 100)));
  EXPECT_EQ(Sequences(ReadAvailable(*reader)), std::vector<uint64_t>{100});
}

TEST(TraceRing, ReaderFarBehindSkipsToTheNewestLap) {
  auto ring = MustCreate(TestOptions(8, RingMode::kOverwrite));
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  for (uint64_t i = 0; i < 100; ++i) {
    ring->Write(MakeTestEvent(1, i));
  }
  EXPECT_EQ(Sequences(ReadAvailable(*reader)), Range(92, 100));
  EXPECT_EQ(Producer(ring->Producers(), 1).overwritten, 92u);
}

TEST(TraceRing, ReadStopsAtMax) {
  auto ring = MustCreate(TestOptions(16, RingMode::kOverwrite));
  for (uint64_t i = 0; i < 10; ++i) {
    ring->Write(MakeTestEvent(1, i));
  }
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  ReadRecord out[4];
  EXPECT_EQ(reader->Read(out, 0), 0u);
  EXPECT_EQ(reader->Read(out, 4), 4u);
  EXPECT_EQ(out[3].event.timestamp, 3u);
  EXPECT_EQ(Sequences(ReadAvailable(*reader)), Range(4, 10));
}

TEST(TraceRing, SnapshotRequestIsTakenOnce) {
  auto ring = MustCreate(TestOptions(16, RingMode::kOverwrite));
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  EXPECT_FALSE(ring->TakeSnapshotRequest());
  reader->RequestSnapshot();
  reader->RequestSnapshot();
  EXPECT_TRUE(ring->TakeSnapshotRequest());
  EXPECT_FALSE(ring->TakeSnapshotRequest());
}

TEST(TraceRing, CreateRejectsBadOptions) {
  std::string error;
  RingOptions options = TestOptions(24, RingMode::kOverwrite);
  EXPECT_EQ(Ring::Create(options, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("capacity 24"));
  options = TestOptions(1, RingMode::kOverwrite);
  EXPECT_EQ(Ring::Create(options, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("capacity 1"));
  options = TestOptions(16, RingMode::kOverwrite);
  options.max_producers = 0;
  EXPECT_EQ(Ring::Create(options, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("max_producers 0"));
  options = TestOptions(16, RingMode::kOverwrite, /*shared=*/true);
  options.name = "a/b";
  EXPECT_EQ(Ring::Create(options, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("not a plain file name"));
}

// A thread that writes to more rings than its producer cache holds, in turn, keeps one table
// entry per ring (it finds itself in the table); and rings made and destroyed in a loop at the
// same address never hand a thread another ring's index.
TEST(TraceRing, ProducerIndexIsPerRingAndStable) {
  std::vector<std::unique_ptr<Ring>> rings;
  for (int i = 0; i < 7; ++i) {
    rings.push_back(MustCreate(TestOptions(16, RingMode::kOverwrite)));
  }
  for (int round = 0; round < 3; ++round) {
    for (auto& ring : rings) {
      EXPECT_TRUE(ring->Write(MakeTestEvent(1, round)));
    }
  }
  for (auto& ring : rings) {
    const std::vector<ProducerStats> producers = ring->Producers();
    ASSERT_EQ(producers.size(), 2u);
    EXPECT_EQ(producers[1].committed, 3u);
    EXPECT_EQ(producers[0].committed, 0u);
  }
  for (int i = 0; i < 20; ++i) {
    auto ring = MustCreate(TestOptions(16, RingMode::kOverwrite));
    ASSERT_TRUE(ring->Write(MakeTestEvent(1, 0)));
    EXPECT_EQ(Producer(ring->Producers(), 1).committed, 1u);
  }
}

// Beyond max_producers, threads share entry 0; their records still arrive and are counted.
TEST(TraceRing, FullProducerTableFallsBackToEntryZero) {
  RingOptions options = TestOptions(64, RingMode::kOverwrite);
  options.max_producers = 2;
  auto ring = MustCreate(options);
  ring->Write(MakeTestEvent(1, 0));
  std::thread([&] {
    ring->Write(MakeTestEvent(2, 0));
    ring->Write(MakeTestEvent(2, 1));
  }).join();
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  const std::vector<ReadRecord> records = ReadAvailable(*reader);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].producer, 1u);
  EXPECT_EQ(records[1].producer, 0u);
  EXPECT_EQ(records[2].producer, 0u);
  const std::vector<ProducerStats> producers = ring->Producers();
  ASSERT_EQ(producers.size(), 2u);
  EXPECT_EQ(producers[0].committed, 2u);
  EXPECT_EQ(producers[1].committed, 1u);
}

// ------------------------------------------------------------------------------------------------
// Producers stopped mid-record (one thread plays both parts; a live producer that is merely slow
// is indistinguishable from a dead one until its thread is found gone or the timeout passes).

ReaderOptions ShortTimeout() {
  ReaderOptions options;
  options.abandon_timeout_ns = 20'000'000;  // 20 ms
  return options;
}

TEST(TraceRingAbandon, RecordStuckMidWriteIsGivenUpAfterTheTimeout) {
  auto ring = MustCreate(TestOptions(16, RingMode::kOverwrite));
  auto reader = MustAttach(*ring, ShortTimeout());
  ASSERT_NE(reader, nullptr);
  ring->Write(MakeTestEvent(1, 0));
  const Ring::PendingWrite stuck = ring->BeginWriteForTesting(/*claim_slot=*/true);
  ASSERT_TRUE(stuck.claimed);
  ring->Write(MakeTestEvent(1, 2));
  ring->Write(MakeTestEvent(1, 3));
  // Order is kept: the reader stops at the unfinished record ...
  EXPECT_EQ(Sequences(ReadAvailable(*reader)), std::vector<uint64_t>{0});
  // ... and goes on once it gave it up.
  EXPECT_EQ(Sequences(ReadUntil(*reader, 2, std::chrono::seconds(10))),
            (std::vector<uint64_t>{2, 3}));
  ProducerStats me = Producer(ring->Producers(), 1);
  EXPECT_EQ(me.abandoned, 1u);
  EXPECT_EQ(me.commit_failed, 0u);
  // The producer was only slow: its late commit fails (already counted), and frees the slot.
  EXPECT_FALSE(ring->FinishWriteForTesting(stuck, MakeTestEvent(1, 1)));
  me = Producer(ring->Producers(), 1);
  EXPECT_EQ(me.abandoned, 1u);
  EXPECT_EQ(me.commit_failed, 1u);
  EXPECT_EQ(me.committed, 3u);
  EXPECT_THAT(reader->Check(), IsEmpty());
  // The slot works again a lap later.
  for (uint64_t i = 4; i < 4 + 16; ++i) {
    EXPECT_TRUE(ring->Write(MakeTestEvent(1, i)));
  }
  EXPECT_EQ(Sequences(ReadAvailable(*reader)), Range(4, 20));
  EXPECT_EQ(ring->Totals().lost(), 1u);
}

TEST(TraceRingAbandon, UnclaimedPositionIsCountedOnceAndMovedToItsProducer) {
  auto ring = MustCreate(TestOptions(16, RingMode::kDropNewest));
  auto reader = MustAttach(*ring, ShortTimeout());
  ASSERT_NE(reader, nullptr);
  // Reserved, never claimed: as if the producer died between the two steps.
  const Ring::PendingWrite stuck = ring->BeginWriteForTesting(/*claim_slot=*/false);
  ASSERT_TRUE(stuck.reserved);
  ring->Write(MakeTestEvent(1, 1));
  EXPECT_EQ(Sequences(ReadUntil(*reader, 1, std::chrono::seconds(10))), std::vector<uint64_t>{1});
  // Nobody knew whose position it was.
  EXPECT_EQ(Producer(ring->Producers(), 0).abandoned, 1u);
  EXPECT_EQ(Producer(ring->Producers(), 1).abandoned, 0u);
  // The producer turns up after all: its record is lost, and the count moves to it.
  EXPECT_FALSE(ring->FinishWriteForTesting(stuck, MakeTestEvent(1, 0)));
  EXPECT_EQ(Producer(ring->Producers(), 0).abandoned, 0u);
  EXPECT_EQ(Producer(ring->Producers(), 1).abandoned, 1u);
  EXPECT_EQ(ring->Totals().lost(), 1u);
  EXPECT_THAT(reader->Check(), IsEmpty());
}

// A writer a whole lap behind (still storing into its slot when the next lap needs the slot):
// the next lap's record is given up rather than written where the stalled writer could tear it.
TEST(TraceRingAbandon, LappedWriterBlocksItsSlotUntilItCommits) {
  constexpr uint64_t kCapacity = 4;
  auto ring = MustCreate(TestOptions(kCapacity, RingMode::kOverwrite));
  const Ring::PendingWrite stalled = ring->BeginWriteForTesting(/*claim_slot=*/true);
  ASSERT_TRUE(stalled.claimed);
  uint64_t refused = 0;
  for (uint64_t i = 1; i <= kCapacity; ++i) {
    refused += ring->Write(MakeTestEvent(1, i)) ? 0 : 1;
  }
  EXPECT_EQ(refused, 1u);  // the one that wanted the stalled writer's slot
  ProducerStats me = Producer(ring->Producers(), 1);
  EXPECT_EQ(me.overwritten, 1u);  // the stalled record, given up
  EXPECT_EQ(me.blocked, 1u);      // the record that found the slot held
  // Later laps are blocked too, until the stalled writer reaches its commit ...
  refused = 0;
  for (uint64_t i = kCapacity + 1; i <= 2 * kCapacity; ++i) {
    refused += ring->Write(MakeTestEvent(1, i)) ? 0 : 1;
  }
  EXPECT_EQ(refused, 1u);
  EXPECT_FALSE(ring->FinishWriteForTesting(stalled, MakeTestEvent(1, 0)));
  // ... which fails and releases the slot.
  for (uint64_t i = 2 * kCapacity + 1; i <= 3 * kCapacity; ++i) {
    EXPECT_TRUE(ring->Write(MakeTestEvent(1, i))) << i;
  }
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  const std::vector<ReadRecord> records = ReadAvailable(*reader);
  EXPECT_EQ(Sequences(records), Range(2 * kCapacity + 1, 3 * kCapacity + 1));
  me = Producer(ring->Producers(), 1);
  EXPECT_EQ(me.blocked, 2u);
  EXPECT_EQ(me.commit_failed, 1u);
  // 1 + 3 * capacity writes: each delivered or lost, exactly once.
  EXPECT_EQ(records.size() + ring->Totals().lost(), 1 + 3 * kCapacity);
  EXPECT_THAT(reader->Check(), IsEmpty());
}

// A position reserved but not claimed before the next lap claims its slot: the next lap counts
// it (entry 0); the late producer moves the count to itself.
TEST(TraceRingAbandon, PositionLappedBeforeItsClaimIsCountedOnce) {
  constexpr uint64_t kCapacity = 4;
  auto ring = MustCreate(TestOptions(kCapacity, RingMode::kOverwrite));
  const Ring::PendingWrite late = ring->BeginWriteForTesting(/*claim_slot=*/false);
  for (uint64_t i = 1; i <= kCapacity; ++i) {
    EXPECT_TRUE(ring->Write(MakeTestEvent(1, i)));
  }
  EXPECT_EQ(Producer(ring->Producers(), 0).abandoned, 1u);
  EXPECT_FALSE(ring->FinishWriteForTesting(late, MakeTestEvent(1, 0)));
  EXPECT_EQ(Producer(ring->Producers(), 0).abandoned, 0u);
  EXPECT_EQ(Producer(ring->Producers(), 1).abandoned, 1u);
  auto reader = MustAttach(*ring);
  ASSERT_NE(reader, nullptr);
  const std::vector<ReadRecord> records = ReadAvailable(*reader);
  EXPECT_EQ(Sequences(records), Range(1, kCapacity + 1));
  EXPECT_EQ(records.size() + ring->Totals().lost(), kCapacity + 1);
}

// ------------------------------------------------------------------------------------------------
// Shared rings, attaching and its errors.

TEST(TraceRingShared, FileIsPrivateToItsOwnerAndRemovedWithTheRing) {
  RingOptions options = TestOptions(16, RingMode::kOverwrite, /*shared=*/true);
  auto ring = MustCreate(options);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->path(), "/dev/shm/" + options.name);
  struct stat st;
  ASSERT_EQ(stat(ring->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 4096u * 17 + 16 * 64);  // 1024-entry table
  ring->Write(MakeTestEvent(1, 0));
  std::string error;
  auto reader = RingReader::AttachPath(ring->path(), &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(Sequences(ReadAvailable(*reader)), std::vector<uint64_t>{0});
  EXPECT_EQ(reader->info().capacity, 16u);
  EXPECT_EQ(reader->info().owner_pid, static_cast<uint32_t>(getpid()));
  EXPECT_TRUE(reader->OwnerAlive());
  const std::string path = ring->path();
  reader.reset();
  ring.reset();
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

TEST(TraceRingShared, DefaultNameIsFoundByPid) {
  RingOptions options = TestOptions(16, RingMode::kOverwrite, /*shared=*/true);
  options.name.clear();
  auto ring = MustCreate(options);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->path(), RingPathForPid(getpid()));
  EXPECT_EQ(ring->path(), "/dev/shm/vmpl." + std::to_string(getpid()));
  std::string error;
  auto reader = RingReader::Attach(getpid(), &error);
  ASSERT_NE(reader, nullptr) << error;
  // A second ring of the same name in the same (live) process is refused.
  EXPECT_EQ(Ring::Create(options, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("the ring of live process " + std::to_string(getpid())));
}

TEST(TraceRingShared, ClockTravelsInTheHeader) {
  RingOptions options = TestOptions(16, RingMode::kDropNewest, /*shared=*/true);
  snprintf(options.clock.name, sizeof(options.clock.name), "tsc");
  options.clock.ticks_per_second = 2.5e9;
  options.clock.base_ticks = 12345;
  options.clock.base_monotonic_ns = 678910;
  auto ring = MustCreate(options);
  ASSERT_NE(ring, nullptr);
  std::string error;
  auto reader = RingReader::AttachPath(ring->path(), &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_STREQ(reader->info().clock.name, "tsc");
  EXPECT_EQ(reader->info().clock.ticks_per_second, 2.5e9);
  EXPECT_EQ(reader->info().clock.base_ticks, 12345u);
  EXPECT_EQ(reader->info().clock.base_monotonic_ns, 678910u);
  EXPECT_EQ(reader->info().mode, RingMode::kDropNewest);
}

TEST(TraceRingAttach, MissingRing) {
  std::string error;
  EXPECT_EQ(RingReader::AttachPath("/dev/shm/" + UniqueRingName(), &error), nullptr);
  EXPECT_THAT(error, HasSubstr("no trace ring at /dev/shm/vmpl-ring-test."));
  // A pid that cannot exist (above pid_max).
  EXPECT_EQ(RingReader::Attach(1 << 30, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("no trace ring for process 1073741824"));
}

TEST(TraceRingAttach, NotARegularFile) {
  std::string error;
  EXPECT_EQ(RingReader::AttachPath("/dev/shm", &error), nullptr);
  EXPECT_THAT(error, HasSubstr("/dev/shm: "));
}

// A copy of a ring's file, changed by |mutate|, under a name of its own; removed at scope end.
class CorruptCopy {
 public:
  CorruptCopy(const std::string& original, const std::function<void(std::string&)>& mutate)
      : path_("/dev/shm/" + UniqueRingName()) {
    std::ifstream in(original, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    mutate(bytes);
    std::ofstream out(path_, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ~CorruptCopy() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

RingHeader& HeaderOf(std::string& bytes) { return *reinterpret_cast<RingHeader*>(bytes.data()); }

TEST(TraceRingAttach, EachCorruptHeaderFieldHasItsOwnMessage) {
  auto ring = MustCreate(TestOptions(16, RingMode::kOverwrite, /*shared=*/true));
  ASSERT_NE(ring, nullptr);
  struct Case {
    const char* what;
    std::function<void(std::string&)> mutate;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"magic", [](std::string& b) { HeaderOf(b).magic[0] = 'X'; },
       "bad magic 58 4d 50 54 (expected \"VMPT\")"},
      {"version", [](std::string& b) { HeaderOf(b).version = 2; }, "ring format version 2"},
      {"record size", [](std::string& b) { HeaderOf(b).record_size = 32; }, "record size 32"},
      {"entry size", [](std::string& b) { HeaderOf(b).producer_entry_size = 48; },
       "producer entry size 48"},
      {"header size", [](std::string& b) { HeaderOf(b).header_size = 5000; }, "header size 5000"},
      {"max producers", [](std::string& b) { HeaderOf(b).max_producers = 0; }, "max_producers 0"},
      {"table offset", [](std::string& b) { HeaderOf(b).producer_table_offset = 100; },
       "producer table at offset 100"},
      {"table size", [](std::string& b) { HeaderOf(b).max_producers = 8000; },
       "producer table at offset 512 (8000 entries)"},
      {"capacity", [](std::string& b) { HeaderOf(b).capacity = 24; },
       "capacity 24 is not a power of two"},
      {"first position", [](std::string& b) { HeaderOf(b).first_position = 0; },
       "first position 0"},
      {"mode", [](std::string& b) { HeaderOf(b).mode = 9; }, "unknown mode 9"},
      {"capacity vs size",
       [](std::string& b) {
         HeaderOf(b).capacity = 32;
         HeaderOf(b).first_position = 32;
       },
       "but a 69632-byte header and 32 records make 71680"},
      {"truncated", [](std::string& b) { b.resize(b.size() - 64); }, "file is 70592 bytes"},
      {"too small", [](std::string& b) { b.resize(100); }, "100 bytes, too small"},
  };
  std::set<std::string> messages;
  for (const Case& c : cases) {
    CorruptCopy copy(ring->path(), c.mutate);
    std::string error;
    EXPECT_EQ(RingReader::AttachPath(copy.path(), &error), nullptr) << c.what;
    EXPECT_THAT(error, HasSubstr(copy.path() + ": ")) << c.what;
    EXPECT_THAT(error, HasSubstr(c.message)) << c.what;
    messages.insert(error.substr(copy.path().size()));
  }
  EXPECT_EQ(messages.size(), cases.size());
  // The unchanged copy attaches.
  CorruptCopy good(ring->path(), [](std::string&) {});
  std::string error;
  EXPECT_NE(RingReader::AttachPath(good.path(), &error), nullptr) << error;
}

TEST(TraceRingAttach, SecondReaderIsRefused) {
  auto ring = MustCreate(TestOptions(16, RingMode::kOverwrite, /*shared=*/true));
  ASSERT_NE(ring, nullptr);
  auto first = MustAttach(*ring);
  ASSERT_NE(first, nullptr);
  std::string error;
  EXPECT_EQ(RingReader::AttachInProcess(*ring, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("this process already has a reader attached"));
  EXPECT_EQ(RingReader::AttachPath(ring->path(), &error), nullptr);
  EXPECT_THAT(error, HasSubstr("this process already has a reader attached"));
  // Another process is refused while we live.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string child_error;
    const bool refused = RingReader::AttachPath(ring->path(), &child_error) == nullptr &&
                         child_error.find("another reader (pid " + std::to_string(getppid()) +
                                          ") owns the ring") != std::string::npos;
    _exit(refused ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // Detaching frees the ring for the next reader.
  first.reset();
  EXPECT_NE(MustAttach(*ring), nullptr);
}

// Sets the ring file's reader_pid field, as a reader that died (or lives) elsewhere left it.
void SetReaderPid(const std::string& path, uint32_t pid) {
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, &pid, sizeof(pid), offsetof(RingHeader, reader_pid)),
            static_cast<ssize_t>(sizeof(pid)));
  close(fd);
}

TEST(TraceRingAttach, DeadReadersClaimIsTakenOverLiveOneIsNot) {
  auto ring = MustCreate(TestOptions(16, RingMode::kOverwrite, /*shared=*/true));
  ASSERT_NE(ring, nullptr);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    _exit(0);
  }
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  SetReaderPid(ring->path(), static_cast<uint32_t>(child));
  std::string error;
  auto reader = RingReader::AttachPath(ring->path(), &error);
  EXPECT_NE(reader, nullptr) << error;
  reader.reset();
  // Our parent (the test driver) is alive.
  SetReaderPid(ring->path(), static_cast<uint32_t>(getppid()));
  EXPECT_EQ(RingReader::AttachPath(ring->path(), &error), nullptr);
  EXPECT_THAT(error, HasSubstr("another reader (pid " + std::to_string(getppid()) + ")"));
}

TEST(TraceRingShared, StaleRingOfADeadOwnerIsReplaced) {
  RingOptions options = TestOptions(16, RingMode::kOverwrite, /*shared=*/true);
  const std::string path = "/dev/shm/" + options.name;
  // A ring left behind by a process that no longer exists.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string error;
    std::unique_ptr<Ring> leaked = Ring::Create(options, &error);
    _exit(leaked != nullptr ? 0 : 1);  // no destructor: the file stays
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(access(path.c_str(), F_OK), 0);
  auto ring = MustCreate(options);
  ASSERT_NE(ring, nullptr);
  std::string error;
  auto reader = RingReader::AttachPath(path, &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->info().owner_pid, static_cast<uint32_t>(getpid()));
}

TEST(TraceRingShared, ExistingFileThatIsNotARingIsLeftAlone) {
  RingOptions options = TestOptions(16, RingMode::kOverwrite, /*shared=*/true);
  const std::string path = "/dev/shm/" + options.name;
  {
    std::ofstream out(path);
    out << "not a ring";
  }
  std::string error;
  EXPECT_EQ(Ring::Create(options, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("is not a vmpl ring; not replacing it"));
  EXPECT_EQ(access(path.c_str(), F_OK), 0);
  unlink(path.c_str());
}

// ------------------------------------------------------------------------------------------------
// A scribbled ring: another process may write anything into the mapping. The reader and the
// producers must neither crash nor loop, and Check names what is wrong.

TEST(TraceRingAttach, ScribbledRingNeverCrashesOrHangs) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RingOptions options = TestOptions(64, seed % 2 ? RingMode::kOverwrite : RingMode::kDropNewest,
                                      /*shared=*/true);
    options.max_producers = 4;
    auto ring = MustCreate(options);
    ASSERT_NE(ring, nullptr);
    for (uint64_t i = 0; i < 40; ++i) {
      ring->Write(MakeTestEvent(1, i));
    }
    ReaderOptions reader_options;
    reader_options.abandon_timeout_ns = 0;
    std::string error;
    auto reader = RingReader::AttachPath(ring->path(), &error, reader_options);
    ASSERT_NE(reader, nullptr) << error;
    // Scribble over everything that changes after creation.
    const int fd = open(ring->path().c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    void* map = mmap(nullptr, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ASSERT_NE(map, MAP_FAILED);
    auto* header = static_cast<RingHeader*>(map);
    std::mt19937_64 random(seed);
    header->head = seed % 3 == 0 ? random() : header->head + random() % 1000;
    header->tail = random() % 2 ? random() : header->head - random() % 100;
    header->producer_count = static_cast<uint32_t>(random());
    auto* table = reinterpret_cast<RingProducerEntry*>(static_cast<char*>(map) +
                                                       header->producer_table_offset);
    table[1].tid = static_cast<uint32_t>(random());
    auto* records = reinterpret_cast<RingRecord*>(static_cast<char*>(map) + header->header_size);
    for (uint64_t i = 0; i < 64; ++i) {
      if (random() % 2) {
        records[i].stamp = random();
      }
      records[i].payload[random() % 7] = random();
    }
    EXPECT_THAT(reader->Check(), ::testing::Not(IsEmpty()));
    ReadRecord out[32];
    for (int round = 0; round < 50; ++round) {
      EXPECT_LE(reader->Read(out, 32), 32u);
      ring->Write(MakeTestEvent(1, 1000 + round));
    }
    EXPECT_LE(reader->Producers().size(), 4u);
    reader->Totals();
    munmap(map, st.st_size);
  }
}

// ------------------------------------------------------------------------------------------------
// Real processes.

bool WaitReadable(int fd, int timeout_ms) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

void Signal(int fd) {
  const char byte = 'x';
  ASSERT_EQ(write(fd, &byte, 1), 1);
}

bool Await(int fd, int timeout_ms) {
  char byte;
  return WaitReadable(fd, timeout_ms) && read(fd, &byte, 1) == 1;
}

// A producer process SIGKILLed between claiming a slot and committing it: the reader gets every
// committed record around it, counts the one it lost, and does not wait for it: the process is
// gone (a zombie, not yet reaped), so the timeout (a minute) never comes into play.
TEST(TraceRingProcess, ProducerKilledMidRecordDoesNotBlockTheReader) {
  auto ring = MustCreate(TestOptions(1024, RingMode::kOverwrite));  // inherited by the child
  ASSERT_NE(ring, nullptr);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (uint64_t i = 0; i < 100; ++i) {
      ring->Write(MakeTestEvent(7, i));
    }
    ring->BeginWriteForTesting(/*claim_slot=*/true);  // sequence 100, never finished
    for (uint64_t i = 101; i <= 200; ++i) {
      ring->Write(MakeTestEvent(7, i));
    }
    Signal(ready[1]);
    for (;;) {
      pause();
    }
  }
  ASSERT_TRUE(Await(ready[0], 10'000));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  ReaderOptions options;
  options.abandon_timeout_ns = 60'000'000'000;
  auto reader = MustAttach(*ring, options);
  ASSERT_NE(reader, nullptr);
  const std::vector<ReadRecord> records = ReadUntil(*reader, 200, std::chrono::seconds(20));
  std::vector<uint64_t> expected = Range(0, 100);
  for (uint64_t i = 101; i <= 200; ++i) {
    expected.push_back(i);
  }
  EXPECT_EQ(Sequences(records, 7), expected);
  const std::vector<ProducerStats> producers = ring->Producers();
  ASSERT_EQ(producers.size(), 2u);
  EXPECT_EQ(producers[1].pid, static_cast<uint32_t>(child));
  EXPECT_EQ(producers[1].committed, 200u);
  EXPECT_EQ(producers[1].abandoned, 1u);
  EXPECT_EQ(ring->Totals().lost(), 1u);
  EXPECT_THAT(reader->Check(), IsEmpty());
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  close(ready[0]);
  close(ready[1]);
}

// Killed between reserving a position and claiming its slot: nobody can know whose position it
// was, so only the timeout frees the reader; the loss is counted against entry 0.
TEST(TraceRingProcess, ProducerKilledBeforeClaimingIsTimedOut) {
  auto ring = MustCreate(TestOptions(1024, RingMode::kDropNewest));
  ASSERT_NE(ring, nullptr);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (uint64_t i = 0; i < 10; ++i) {
      ring->Write(MakeTestEvent(7, i));
    }
    ring->BeginWriteForTesting(/*claim_slot=*/false);
    for (uint64_t i = 11; i <= 20; ++i) {
      ring->Write(MakeTestEvent(7, i));
    }
    Signal(ready[1]);
    for (;;) {
      pause();
    }
  }
  ASSERT_TRUE(Await(ready[0], 10'000));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  ReaderOptions options;
  options.abandon_timeout_ns = 50'000'000;
  auto reader = MustAttach(*ring, options);
  ASSERT_NE(reader, nullptr);
  const std::vector<ReadRecord> records = ReadUntil(*reader, 20, std::chrono::seconds(20));
  std::vector<uint64_t> expected = Range(0, 10);
  for (uint64_t i = 11; i <= 20; ++i) {
    expected.push_back(i);
  }
  EXPECT_EQ(Sequences(records, 7), expected);
  EXPECT_EQ(Producer(ring->Producers(), 0).abandoned, 1u);
  EXPECT_EQ(ring->Totals().lost(), 1u);
  close(ready[0]);
  close(ready[1]);
}

// A child process creates its ring under the default name and produces flat out; the parent
// attaches by pid and reads live. Every record arrives intact and in order, or is counted lost.
class TraceRingCrossProcess : public ::testing::TestWithParam<RingMode> {};

TEST_P(TraceRingCrossProcess, ChildProducesParentReadsLive) {
  const uint64_t kRecords = testing::Scaled(400'000);
  int to_parent[2];
  int to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RingOptions options;
    options.capacity = 1024;
    options.mode = GetParam();
    std::string error;
    std::unique_ptr<Ring> ring = Ring::Create(options, &error);
    if (ring == nullptr) {
      _exit(2);
    }
    Signal(to_parent[1]);               // created
    if (!Await(to_child[0], 10'000)) {  // attached
      _exit(3);
    }
    for (uint64_t i = 0; i < kRecords; ++i) {
      ring->Write(MakeTestEvent(1, i));
      if (i % 512 == 511) {
        usleep(50);  // bursts, so that the reader runs during the writing too
      }
    }
    Signal(to_parent[1]);  // done
    const bool finished = Await(to_child[0], 60'000);
    ring.reset();  // removes the file
    _exit(finished ? 0 : 4);
  }
  ASSERT_TRUE(Await(to_parent[0], 10'000));
  std::string error;
  auto reader = RingReader::Attach(child, &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->info().owner_pid, static_cast<uint32_t>(child));
  Signal(to_child[1]);
  uint64_t delivered = 0;
  uint64_t next_at_least = 0;
  uint64_t broken = 0;
  bool done = false;
  ReadRecord batch[512];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    const size_t n = reader->Read(batch, 512);
    for (size_t i = 0; i < n; ++i) {
      const Event& event = batch[i].event;
      if (!IsIntact(event) || event.aux != 1 || event.timestamp < next_at_least) {
        ++broken;
      }
      next_at_least = event.timestamp + 1;
    }
    delivered += n;
    if (!done && WaitReadable(to_parent[0], 0)) {
      done = Await(to_parent[0], 0);
    }
    if (done && n == 0 && reader->position() == reader->Totals().head) {
      break;
    }
  }
  EXPECT_EQ(broken, 0u);
  const RingTotals totals = reader->Totals();
  RecordProperty("delivered", std::to_string(delivered));
  RecordProperty("lost", std::to_string(totals.lost()));
  EXPECT_EQ(delivered + totals.lost(), kRecords);
  EXPECT_EQ(totals.committed + totals.dropped, kRecords);
  const std::vector<ProducerStats> producers = reader->Producers();
  ASSERT_EQ(producers.size(), 2u);
  EXPECT_EQ(producers[1].pid, static_cast<uint32_t>(child));
  EXPECT_EQ(producers[1].tid, static_cast<uint32_t>(child));
  EXPECT_EQ(producers[0].lost(), 0u);
  EXPECT_THAT(reader->Check(), IsEmpty());
  reader.reset();
  Signal(to_child[1]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(RingReader::Attach(child, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("no trace ring for process " + std::to_string(child)));
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) {
    close(fd);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, TraceRingCrossProcess,
                         ::testing::Values(RingMode::kOverwrite, RingMode::kDropNewest),
                         [](const ::testing::TestParamInfo<RingMode>& info) {
                           return std::string(ModeName(info.param));
                         });

}  // namespace
}  // namespace vmpl::trace
