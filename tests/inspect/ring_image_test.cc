// ReadRingImage and WriteRingImage (inspect/src/ring_image.cc) on real rings: each is made by the
// userspace trace::Ring (private) and written with Ring::Write, and a copy of its memory is the
// memory of a fake target at a kernel address, where `vmpl trace record --remote/--core` finds
// the QEMU kernel's ring. Each case checks what the image says (start, records, skipped) and what
// a RingReader attached to the written file delivers, which is what the recorder gets. The bad
// inputs check that untrusted memory ends in an error naming the ring's address, never in a crash
// or an allocation the header asked for.

#include <errno.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <string.h>
#include <vmpl/inspect/memory_source.h>
#include <vmpl/inspect/ring_image.h>
#include <vmpl/trace_event.h>
#include <vmpl/trace_ring.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace vmpl::inspect {
namespace {

using trace::Event;
using trace::EventKind;
using trace::ReadRecord;
using trace::Ring;
using trace::RingHeader;
using trace::RingReader;

// Where the fake target holds the ring: a kernel address, like the QEMU kernel's ring.
constexpr uint64_t kRingAddress = 0xffffffff80200000;

std::string Hex(uint64_t value) { return fmt::format("{:#x}", value); }

// A target whose memory is one buffer at |base|. A read outside it gets the prefix that is inside
// and an error naming the first address it could not read, as a gdb stub's would. It remembers
// the largest read asked for: a lying header must not get a huge read (and the buffer for it)
// through.
class BufferSource : public MemorySource {
 public:
  BufferSource(uint64_t base, std::vector<uint8_t> bytes) : base_(base), bytes_(std::move(bytes)) {}

  ReadResult Read(uint64_t address, void* buffer, size_t size) override {
    largest_read_ = std::max(largest_read_, size);
    target_reads_++;
    size_t available = 0;
    if (address >= base_ && address - base_ <= bytes_.size()) {
      available = static_cast<size_t>(std::min<uint64_t>(size, bytes_.size() - (address - base_)));
      memcpy(buffer, bytes_.data() + (address - base_), available);
    }
    memset(static_cast<uint8_t*>(buffer) + available, 0, size - available);
    bytes_read_ += available;
    ReadResult result;
    result.bytes = available;
    if (available < size) {
      result.error = Hex(address + available) + ": not in the target's memory";
    }
    return result;
  }

  std::string Describe() const override { return "test buffer at " + Hex(base_); }
  size_t largest_read() const { return largest_read_; }

 private:
  uint64_t base_;
  std::vector<uint8_t> bytes_;
  size_t largest_read_ = 0;
};

// One event of a test ring, and the position it was written at.
struct Written {
  uint64_t position;
  Event event;
};

// The positions of a snapshot's first and last records (kSnapshotBegin, kSnapshotEnd).
struct SnapshotSpan {
  uint64_t begin;
  uint64_t end;
  uint64_t records() const { return end - begin + 1; }
};

// A private ring written by this thread alone, so each Write takes the next position, and a log
// of what was written where, to compare the reader's output with.
class TestRing {
 public:
  explicit TestRing(uint64_t capacity) {
    trace::RingOptions options;
    options.capacity = capacity;
    options.shared = false;
    // A small producer table keeps the header at one page, so the copies stay small.
    options.max_producers = 4;
    // The tag that tells this ring's mapping from any other (see Bytes).
    static std::atomic<uint64_t> next_tag{1};
    tag_ = 0x7e57000000000000ull + next_tag++;
    options.clock.base_ticks = tag_;
    std::string error;
    ring_ = Ring::Create(options, &error);
    EXPECT_NE(ring_, nullptr) << error;
    next_ = capacity;  // first_position
  }

  bool ok() const { return ring_ != nullptr; }
  uint64_t capacity() const { return ring_->capacity(); }
  uint64_t head() const { return next_; }

  // Writes an event of |kind| (its fields derived from its position, so each is unique) and
  // returns its position.
  uint64_t Write(EventKind kind, uint64_t arg0 = 0) {
    Event event{};
    event.timestamp = 1000 + next_;
    event.object = 0xffff800000100000ull + next_ * 64;
    event.kind = kind;
    event.cpu = 0;
    event.aux = static_cast<uint32_t>(next_);
    event.arg[0] = arg0;
    event.arg[1] = next_ * 3;
    EXPECT_TRUE(ring_->Write(event));
    log_.push_back(Written{next_, event});
    return next_++;
  }

  // |count| ordinary events (slot stores).
  void WriteEvents(uint64_t count) {
    for (uint64_t i = 0; i < count; i++) {
      Write(EventKind::kSlotStore);
    }
  }

  // A snapshot of |lists| lists, as the kernel writes one: kSnapshotBegin, a kListCreate per
  // list, kSnapshotEnd. Without |finish| it stops before the end, as a kernel stopped while
  // writing it leaves it.
  SnapshotSpan WriteSnapshot(uint64_t lists, bool finish = true) {
    SnapshotSpan span;
    span.begin = Write(EventKind::kSnapshotBegin, lists);
    for (uint64_t i = 0; i < lists; i++) {
      Write(EventKind::kListCreate, 1);
    }
    span.end = finish ? Write(EventKind::kSnapshotEnd, lists) : head() - 1;
    return span;
  }

  // A copy of the ring's memory. Ring hands out no pointer to its mapping (producers and readers
  // go through the protocol), so the copy comes from /proc/self/maps: a private ring is an
  // anonymous shared mapping ("/dev/zero (deleted)") of exactly header + records bytes, and ours
  // is the one whose header holds our tag as its clock's base_ticks. The mapping is whole pages.
  std::vector<uint8_t> Bytes() const {
    const uint64_t size = 4096 + capacity() * sizeof(trace::RingRecord);
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    const uint64_t mapped = (size + page - 1) / page * page;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
      if (line.find("/dev/zero (deleted)") == std::string::npos) {
        continue;
      }
      std::istringstream fields(line);
      uint64_t start = 0;
      uint64_t end = 0;
      char dash = 0;
      std::string perms;
      fields >> std::hex >> start >> dash >> end >> perms;
      if (end - start != mapped || perms.empty() || perms[0] != 'r') {
        continue;
      }
      const auto* mapping = reinterpret_cast<const uint8_t*>(start);
      RingHeader header;
      memcpy(&header, mapping, sizeof(header));
      if (memcmp(header.magic, trace::kRingMagic, 4) == 0 && header.base_ticks == tag_) {
        return std::vector<uint8_t>(mapping, mapping + size);
      }
    }
    ADD_FAILURE() << "the ring's mapping is not in /proc/self/maps";
    return {};
  }

  // The events written at positions in [from, to), in order, leaving out the |skip| spans.
  std::vector<Event> Between(uint64_t from, uint64_t to,
                             const std::vector<SnapshotSpan>& skip = {}) const {
    std::vector<Event> events;
    for (const Written& written : log_) {
      const bool skipped = std::any_of(skip.begin(), skip.end(), [&](const SnapshotSpan& span) {
        return written.position >= span.begin && written.position <= span.end;
      });
      if (written.position >= from && written.position < to && !skipped) {
        events.push_back(written.event);
      }
    }
    return events;
  }

 private:
  std::unique_ptr<Ring> ring_;
  uint64_t tag_ = 0;
  uint64_t next_ = 0;
  std::vector<Written> log_;
};

// What a RingReader attached to a written image delivered, and what it found.
struct Delivery {
  std::vector<Event> events;
  uint64_t lost_before = 0;  // what the ring's producers had counted lost (overwritten) already
  uint64_t lost = 0;         // losses counted while reading: the recorder's losses
  std::vector<std::string> problems;  // RingReader::Check
};

bool SameEvents(const std::vector<Event>& a, const std::vector<Event>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](const Event& x, const Event& y) {
           return memcmp(&x, &y, sizeof(Event)) == 0;
         });
}

std::string Kinds(const std::vector<Event>& events) {
  std::string text;
  for (const Event& event : events) {
    text += fmt::format("{}@{} ", trace::EventKindName(event.kind), event.aux);
  }
  return text;
}

class RingImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "vmpl-ring-image-test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << strerror(errno);
    directory_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  std::string NewPath() { return (directory_ / fmt::format("ring.{}", files_++)).string(); }

  // Copies |ring| out of the fake target as ReadRingImage does for the kernel's.
  std::optional<RingImage> Image(const TestRing& ring, std::string* error) {
    BufferSource memory(kRingAddress, ring.Bytes());
    return ReadRingImage(memory, kRingAddress, error);
  }

  // Writes |image| to a new file and reads everything from it, as the recorder would.
  Delivery Deliver(const RingImage& image) {
    Delivery delivery;
    const std::string path = NewPath();
    std::string error;
    EXPECT_TRUE(WriteRingImage(image, path, &error)) << error;
    std::unique_ptr<RingReader> reader = RingReader::AttachPath(path, &error);
    EXPECT_NE(reader, nullptr) << error;
    if (reader == nullptr) {
      return delivery;
    }
    // Every record is committed or given up, so Read never stops early; the bound only guards
    // against a reader that would loop.
    delivery.lost_before = reader->Totals().lost();
    ReadRecord batch[64];
    for (int round = 0; round < 1000; round++) {
      const size_t n = reader->Read(batch, std::size(batch));
      for (size_t i = 0; i < n; i++) {
        delivery.events.push_back(batch[i].event);
      }
      if (n == 0) {
        break;
      }
    }
    delivery.lost = reader->Totals().lost() - delivery.lost_before;
    delivery.problems = reader->Check();
    return delivery;
  }

  std::filesystem::path directory_;
  int files_ = 0;
};

// ------------------------------------------------------------------------------------------------
// Choosing the start.

TEST_F(RingImageTest, OneSnapshotThenEvents) {
  TestRing ring(256);
  ASSERT_TRUE(ring.ok());
  ring.WriteEvents(3);  // before the snapshot: their state is unknown, they are left out
  const SnapshotSpan snapshot = ring.WriteSnapshot(2);
  ring.WriteEvents(10);

  std::string error;
  std::optional<RingImage> image = Image(ring, &error);
  ASSERT_TRUE(image) << error;
  EXPECT_EQ(image->head, ring.head());
  EXPECT_EQ(image->start, snapshot.begin);
  EXPECT_EQ(image->records, ring.head() - snapshot.begin);
  EXPECT_EQ(image->snapshots, 1u);
  EXPECT_EQ(image->skipped, 0u);
  EXPECT_EQ(image->bytes.size(), 4096 + 256 * sizeof(trace::RingRecord));
  // The copy is the reader's: it starts at the snapshot and nobody owns it yet.
  RingHeader header;
  memcpy(&header, image->bytes.data(), sizeof(header));
  EXPECT_EQ(header.tail, snapshot.begin);
  EXPECT_EQ(header.reader_pid, 0u);
  EXPECT_EQ(header.head, ring.head());

  // The file holds exactly the image's bytes.
  const std::string path = NewPath();
  ASSERT_TRUE(WriteRingImage(*image, path, &error)) << error;
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), {});
  EXPECT_TRUE(file == image->bytes);

  const Delivery delivery = Deliver(*image);
  const std::vector<Event> expected = ring.Between(snapshot.begin, ring.head());
  EXPECT_EQ(expected.size(), image->records);
  EXPECT_TRUE(SameEvents(delivery.events, expected))
      << "delivered: " << Kinds(delivery.events) << "\nexpected:  " << Kinds(expected);
  EXPECT_EQ(delivery.lost, 0u);
  EXPECT_TRUE(delivery.problems.empty()) << delivery.problems.front();
}

TEST_F(RingImageTest, LaterSnapshotsAreSkipped) {
  TestRing ring(256);
  ASSERT_TRUE(ring.ok());
  ring.WriteEvents(2);
  const SnapshotSpan first = ring.WriteSnapshot(3);
  ring.WriteEvents(5);
  const SnapshotSpan second = ring.WriteSnapshot(2);
  ring.WriteEvents(4);
  const SnapshotSpan third = ring.WriteSnapshot(1);
  ring.WriteEvents(3);

  std::string error;
  std::optional<RingImage> image = Image(ring, &error);
  ASSERT_TRUE(image) << error;
  EXPECT_EQ(image->start, first.begin);
  EXPECT_EQ(image->records, ring.head() - first.begin);
  EXPECT_EQ(image->snapshots, 3u);
  EXPECT_EQ(image->skipped, second.records() + third.records());

  // The first snapshot and every event after it, none of the later snapshots' records, and no
  // loss counted for them.
  const Delivery delivery = Deliver(*image);
  const std::vector<Event> expected = ring.Between(first.begin, ring.head(), {second, third});
  EXPECT_EQ(expected.size(), image->records - image->skipped);
  EXPECT_TRUE(SameEvents(delivery.events, expected))
      << "delivered: " << Kinds(delivery.events) << "\nexpected:  " << Kinds(expected);
  EXPECT_EQ(delivery.lost, 0u);
  EXPECT_TRUE(delivery.problems.empty()) << delivery.problems.front();
}

// Capacity 64, wrapped so that the first snapshot's begin is overwritten while its end is still
// in the ring: the oldest complete snapshot is the second one.
TEST_F(RingImageTest, WrappedRingStartsAtOldestCompleteSnapshot) {
  TestRing ring(64);
  ASSERT_TRUE(ring.ok());
  const SnapshotSpan first = ring.WriteSnapshot(3);  // positions 64..68
  ring.WriteEvents(20);
  const SnapshotSpan second = ring.WriteSnapshot(3);
  ring.WriteEvents(10);
  const SnapshotSpan third = ring.WriteSnapshot(2);
  // Up to two positions past one lap after the first snapshot's begin.
  ring.WriteEvents(first.begin + ring.capacity() + 2 - ring.head());
  const uint64_t oldest = ring.head() - ring.capacity();
  ASSERT_GT(oldest, first.begin);
  ASSERT_LE(oldest, first.end);

  std::string error;
  std::optional<RingImage> image = Image(ring, &error);
  ASSERT_TRUE(image) << error;
  EXPECT_EQ(image->start, second.begin);
  EXPECT_EQ(image->snapshots, 2u);
  EXPECT_EQ(image->skipped, third.records());
  EXPECT_EQ(image->records, ring.head() - second.begin);

  const Delivery delivery = Deliver(*image);
  const std::vector<Event> expected = ring.Between(second.begin, ring.head(), {third});
  EXPECT_TRUE(SameEvents(delivery.events, expected))
      << "delivered: " << Kinds(delivery.events) << "\nexpected:  " << Kinds(expected);
  // The records the wrap overwrote were counted by the ring's producers; reading adds none.
  EXPECT_EQ(delivery.lost_before, oldest - ring.capacity());
  EXPECT_EQ(delivery.lost, 0u);
}

// A snapshot whose end is not written yet (the kernel stopped while writing it) is not a start.
TEST_F(RingImageTest, SnapshotWithoutEndIsNotChosen) {
  TestRing ring(256);
  ASSERT_TRUE(ring.ok());
  const SnapshotSpan complete = ring.WriteSnapshot(2);
  ring.WriteEvents(5);
  ring.WriteSnapshot(2, /*finish=*/false);

  std::string error;
  std::optional<RingImage> image = Image(ring, &error);
  ASSERT_TRUE(image) << error;
  EXPECT_EQ(image->start, complete.begin);
  EXPECT_EQ(image->snapshots, 1u);
  EXPECT_EQ(image->records, ring.head() - complete.begin);
}

// The unfinished snapshot at the head restates, like the complete later ones, the state the
// events before it built; delivered, its kListCreate events would create lists that exist
// already. The reader should get the first snapshot and the events after it, and no part of the
// unfinished one.
TEST_F(RingImageTest, UnfinishedLaterSnapshotIsNotDelivered) {
  TestRing ring(256);
  ASSERT_TRUE(ring.ok());
  const SnapshotSpan complete = ring.WriteSnapshot(2);
  ring.WriteEvents(5);
  const SnapshotSpan unfinished = ring.WriteSnapshot(2, /*finish=*/false);

  std::string error;
  std::optional<RingImage> image = Image(ring, &error);
  ASSERT_TRUE(image) << error;
  const Delivery delivery = Deliver(*image);
  const std::vector<Event> expected = ring.Between(complete.begin, unfinished.begin);
  EXPECT_TRUE(SameEvents(delivery.events, expected))
      << "delivered: " << Kinds(delivery.events) << "\nexpected:  " << Kinds(expected);
  EXPECT_EQ(delivery.lost, 0u);
}

// Wrapped past the only complete snapshot's begin, with a later one unfinished at the head: no
// snapshot is complete in the ring.
TEST_F(RingImageTest, WrappedRingWithoutCompleteSnapshotIsAnError) {
  TestRing ring(64);
  ASSERT_TRUE(ring.ok());
  const SnapshotSpan first = ring.WriteSnapshot(3);  // positions 64..68
  ring.WriteEvents(first.begin + ring.capacity() + 1 - ring.head());
  ring.WriteSnapshot(2, /*finish=*/false);
  ASSERT_GT(ring.head() - ring.capacity(), first.begin);
  ASSERT_LE(ring.head() - ring.capacity(), first.end);

  std::string error;
  EXPECT_FALSE(Image(ring, &error));
  EXPECT_NE(error.find("no complete snapshot"), std::string::npos) << error;
  EXPECT_NE(error.find(Hex(kRingAddress)), std::string::npos) << error;
}

TEST_F(RingImageTest, NoSnapshotIsAnError) {
  TestRing ring(64);
  ASSERT_TRUE(ring.ok());
  ring.WriteEvents(10);
  std::string error;
  EXPECT_FALSE(Image(ring, &error));
  EXPECT_NE(error.find("no complete snapshot"), std::string::npos) << error;
  EXPECT_NE(error.find(Hex(kRingAddress)), std::string::npos) << error;
}

TEST_F(RingImageTest, EmptyRingIsAnError) {
  TestRing ring(16);
  ASSERT_TRUE(ring.ok());
  std::string error;
  EXPECT_FALSE(Image(ring, &error));
  EXPECT_NE(error.find("no complete snapshot"), std::string::npos) << error;
}

// ------------------------------------------------------------------------------------------------
// Untrusted memory.

// A valid ring with one snapshot, capacity 64: the starting point the bad inputs break.
std::vector<uint8_t> GoodRingBytes() {
  TestRing ring(64);
  EXPECT_TRUE(ring.ok());
  ring.WriteSnapshot(2);
  ring.WriteEvents(5);
  return ring.Bytes();
}

TEST_F(RingImageTest, UnreadableHeaderNamesTheAddress) {
  BufferSource memory(kRingAddress, GoodRingBytes());
  const uint64_t elsewhere = kRingAddress - 0x10000;
  std::string error;
  EXPECT_FALSE(ReadRingImage(memory, elsewhere, &error));
  EXPECT_NE(error.find("trace ring at " + Hex(elsewhere)), std::string::npos) << error;
  EXPECT_NE(error.find("not in the target's memory"), std::string::npos) << error;
}

// The header reads, the records do not (a dump cut short, a stub that hangs up).
TEST_F(RingImageTest, UnreadableRecordsNameTheAddress) {
  std::vector<uint8_t> bytes = GoodRingBytes();
  bytes.resize(4096 + 10 * sizeof(trace::RingRecord));
  BufferSource memory(kRingAddress, bytes);
  std::string error;
  EXPECT_FALSE(ReadRingImage(memory, kRingAddress, &error));
  EXPECT_NE(error.find("trace ring at " + Hex(kRingAddress)), std::string::npos) << error;
  EXPECT_NE(error.find(Hex(kRingAddress + bytes.size())), std::string::npos) << error;
}

struct BadHeader {
  const char* what;
  std::function<void(RingHeader&)> mutate;
  const char* message;  // part of the expected error
};

TEST_F(RingImageTest, BadHeadersAreErrors) {
  const std::vector<uint8_t> good = GoodRingBytes();
  ASSERT_FALSE(good.empty());
  const std::vector<BadHeader> cases = {
      {"wrong magic", [](RingHeader& h) { h.magic[0] = 'X'; }, "magic"},
      {"unknown version", [](RingHeader& h) { h.version = 2; }, "version 2"},
      {"record size", [](RingHeader& h) { h.record_size = 32; }, "record size"},
      {"capacity not a power of two", [](RingHeader& h) { h.capacity = 48; }, "power of two"},
      {"capacity zero", [](RingHeader& h) { h.capacity = 0; }, "power of two"},
      {"capacity too big", [](RingHeader& h) { h.capacity = uint64_t{1} << 21; },
       "more than this reader copies"},
      {"capacity whose size overflows", [](RingHeader& h) { h.capacity = uint64_t{1} << 58; },
       "more than this reader copies"},
      {"capacity all ones", [](RingHeader& h) { h.capacity = ~uint64_t{0}; },
       "more than this reader copies"},
      {"header size too big", [](RingHeader& h) { h.header_size = 0xfffff000; },
       "more than this reader copies"},
      {"header size not a page multiple", [](RingHeader& h) { h.header_size = 4000; },
       "header size"},
      {"first position", [](RingHeader& h) { h.first_position = 0; }, "first position"},
      {"mode", [](RingHeader& h) { h.mode = 9; }, "mode"},
      {"producer table outside the header", [](RingHeader& h) { h.producer_table_offset = 8192; },
       "producer table"},
  };
  for (const BadHeader& c : cases) {
    std::vector<uint8_t> bytes = good;
    RingHeader header;
    memcpy(&header, bytes.data(), sizeof(header));
    c.mutate(header);
    memcpy(bytes.data(), &header, sizeof(header));
    BufferSource memory(kRingAddress, bytes);
    std::string error;
    EXPECT_FALSE(ReadRingImage(memory, kRingAddress, &error)) << c.what;
    EXPECT_NE(error.find("trace ring at " + Hex(kRingAddress)), std::string::npos)
        << c.what << ": " << error;
    EXPECT_NE(error.find(c.message), std::string::npos) << c.what << ": " << error;
    // Never more than the target holds plus the header: no read, and no buffer, as big as a
    // lying header asks for.
    EXPECT_LE(memory.largest_read(), std::max<size_t>(bytes.size(), sizeof(RingHeader))) << c.what;
  }
}

// The largest size a header may ask for is read (and allocated) only up to kMaxRingImageBytes:
// here the target holds less, and the read fails with the address.
TEST_F(RingImageTest, LargeHeaderSizeWithinTheBoundFailsOnTheRead) {
  std::vector<uint8_t> bytes = GoodRingBytes();
  ASSERT_FALSE(bytes.empty());
  RingHeader header;
  memcpy(&header, bytes.data(), sizeof(header));
  header.header_size = 60u << 20;  // a page multiple; with 64 records, under the bound
  memcpy(bytes.data(), &header, sizeof(header));
  BufferSource memory(kRingAddress, bytes);
  std::string error;
  EXPECT_FALSE(ReadRingImage(memory, kRingAddress, &error));
  EXPECT_NE(error.find("trace ring at " + Hex(kRingAddress)), std::string::npos) << error;
  EXPECT_LE(memory.largest_read(), kMaxRingImageBytes);
}

// ------------------------------------------------------------------------------------------------
// Writing the image.

TEST_F(RingImageTest, WriteRefusesAnExistingFile) {
  TestRing ring(16);
  ASSERT_TRUE(ring.ok());
  ring.WriteSnapshot(1);
  std::string error;
  std::optional<RingImage> image = Image(ring, &error);
  ASSERT_TRUE(image) << error;

  const std::string path = NewPath();
  {
    std::ofstream out(path);
    out << "someone else's file";
  }
  EXPECT_FALSE(WriteRingImage(*image, path, &error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find(strerror(EEXIST)), std::string::npos) << error;
  std::ifstream in(path);
  const std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "someone else's file");
}

TEST_F(RingImageTest, WriteToAMissingDirectoryFails) {
  TestRing ring(16);
  ASSERT_TRUE(ring.ok());
  ring.WriteSnapshot(1);
  std::string error;
  std::optional<RingImage> image = Image(ring, &error);
  ASSERT_TRUE(image) << error;
  const std::string path = (directory_ / "missing" / "ring").string();
  EXPECT_FALSE(WriteRingImage(*image, path, &error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
}

}  // namespace
}  // namespace vmpl::inspect
