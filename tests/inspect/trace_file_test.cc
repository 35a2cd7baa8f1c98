// Tests of the trace file (<vmpl/inspect/trace_file.h>, docs/trace-format.md): CRC-32C, the JSON
// chunks, a writer/reader round trip, the byte layout the document promises (checked with offsets
// typed in by hand), streaming without Finish, and damage of every kind a reader must survive:
// truncation at every byte, every single bit flipped, lying lengths, misplaced chunks.

#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vmpl/inspect/crc32c.h>
#include <vmpl/inspect/trace_file.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace vmpl::trace {
namespace {

using nlohmann::json;
using testing::HasSubstr;
using testing::StartsWith;

// ------------------------------------------------------------------------------------------------
// Helpers.

// A consistent layout (the numbers need not be this build's; they must fit together).
TraceInfo TestInfo() {
  TraceInfo info;
  info.program = "trace_file_test";
  info.program_version = "1.2.3";
  info.pid = 4242;
  info.host = "testhost";
  info.start_time = "2024-05-01T12:00:00.000001Z";
  info.clock = {"tsc", 2.5e9, 1000, 5000};
  info.layout = {.pointer_size = 8,
                 .node_size = 176,
                 .node_canary_offset = 32,
                 .node_offset_offset = 40,
                 .node_slots_offset = 48,
                 .slot_size = 8,
                 .fanout = 16,
                 .page_size = 4096,
                 .list_size = 48,
                 .splice_size = 400,
                 .splice_head_offset = 48,
                 .splice_tail_offset = 224};
  info.ring = TraceRing{"overwrite", 65536};
  info.extra = {{"seed", 7}, {"note", "ünïcode"}};
  return info;
}

// Record |i| of a test trace: every field depends on |i|, so a record out of place is noticed.
FileRecord TestRecord(uint64_t i) {
  FileRecord record = {};
  record.producer = static_cast<uint32_t>(i % 3);
  record.flags = 0;
  record.event.timestamp = 1000 + i;
  record.event.object = 0x10000 + i * 8;
  record.event.kind = static_cast<EventKind>(1 + i % 24);
  record.event.cpu = static_cast<uint16_t>(i % 2);
  record.event.aux = static_cast<uint32_t>(i * 3);
  for (int k = 0; k < 4; ++k) {
    record.event.arg[k] = i * 100 + k;
  }
  return record;
}

std::vector<FileRecord> TestRecords(uint64_t first, uint64_t count) {
  std::vector<FileRecord> records;
  for (uint64_t i = 0; i < count; ++i) {
    records.push_back(TestRecord(first + i));
  }
  return records;
}

bool SameRecord(const FileRecord& a, const FileRecord& b) { return memcmp(&a, &b, sizeof(a)) == 0; }

LossTable TestLosses() {
  LossTable losses;
  losses.producers.push_back({0, 101, {1, 2, 3, 4, 2}});
  losses.producers.push_back({1, 102, {10, 0, 0, 1, 0}});
  return losses;
}

template <typename T>
void Put(std::vector<uint8_t>& bytes, size_t offset, T value) {
  ASSERT_LE(offset + sizeof(value), bytes.size());
  memcpy(bytes.data() + offset, &value, sizeof(value));
}

template <typename T>
T Get(const std::vector<uint8_t>& bytes, size_t offset) {
  T value = {};
  EXPECT_LE(offset + sizeof(value), bytes.size());
  if (offset + sizeof(value) <= bytes.size()) {
    memcpy(&value, bytes.data() + offset, sizeof(value));
  }
  return value;
}

// Recomputes the header CRC of the chunk at |offset| after a test changed its header.
void ResealHeader(std::vector<uint8_t>& bytes, size_t offset) {
  Put<uint32_t>(bytes, offset + 20, Crc32c(bytes.data() + offset, 16));
}

// Builds a trace file byte by byte from docs/trace-format.md, independently of TraceWriter, for
// files the writer refuses to make.
class FileBuilder {
 public:
  FileBuilder() : bytes_(kTraceMagic, kTraceMagic + 8) {
    Append<uint32_t>(1);   // version
    Append<uint32_t>(16);  // header_size
  }

  FileBuilder& Chunk(uint32_t type, const void* payload, size_t size) {
    offsets_.push_back(bytes_.size());
    const size_t start = bytes_.size();
    Append<uint32_t>(type);
    Append<uint32_t>(0);  // flags
    Append<uint64_t>(size);
    Append<uint32_t>(Crc32c(payload, size));
    Append<uint32_t>(Crc32c(bytes_.data() + start, 16));
    const auto* p = static_cast<const uint8_t*>(payload);
    bytes_.insert(bytes_.end(), p, p + size);
    bytes_.resize((bytes_.size() + 7) / 8 * 8, 0);
    return *this;
  }
  FileBuilder& Json(uint32_t type, const std::string& text) {
    return Chunk(type, text.data(), text.size());
  }
  FileBuilder& Info() { return Json(1, TestInfo().ToJson().dump()); }
  FileBuilder& Records(uint32_t type, uint64_t first, uint64_t count) {
    std::vector<FileRecord> records = TestRecords(first, count);
    return Chunk(type, records.data(), records.size() * sizeof(FileRecord));
  }
  FileBuilder& End(uint64_t snapshot_records, uint64_t event_records) {
    const uint64_t counts[2] = {snapshot_records, event_records};
    return Chunk(5, counts, sizeof(counts));
  }

  std::vector<uint8_t>& bytes() { return bytes_; }
  size_t offset(size_t chunk) const { return offsets_.at(chunk); }

 private:
  template <typename T>
  void Append(T value) {
    const auto* p = reinterpret_cast<const uint8_t*>(&value);
    bytes_.insert(bytes_.end(), p, p + sizeof(value));
  }

  std::vector<uint8_t> bytes_;
  std::vector<size_t> offsets_;
};

std::unique_ptr<TraceReader> Read(const std::vector<uint8_t>& bytes, std::string* error,
                                  size_t size = SIZE_MAX) {
  return TraceReader::FromMemory(bytes.data(), std::min(size, bytes.size()), error);
}

// A temporary directory for the files of one test, removed with its content afterwards.
class TraceFileTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "trace_file_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const std::string& path : paths_) {
      unlink(path.c_str());
    }
    rmdir(dir_.c_str());
  }

  std::string Path(const std::string& name) {
    paths_.push_back(dir_ + "/" + name);
    return paths_.back();
  }

  static std::vector<uint8_t> ReadBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }

  // A small complete file of every chunk type: by default 3 snapshot records, then 10 events in
  // chunks of 4, losses, END.
  std::vector<uint8_t> SmallTrace(uint32_t records_per_chunk = 4, uint64_t snapshot_records = 3,
                                  uint64_t event_records = 10) {
    const std::string path = Path("small.trace");
    std::string error;
    auto writer =
        TraceWriter::Create(path, TestInfo(), {.records_per_chunk = records_per_chunk}, &error);
    EXPECT_NE(writer, nullptr) << error;
    if (writer == nullptr) {
      return {};
    }
    const std::vector<FileRecord> snapshot = TestRecords(1000, snapshot_records);
    const std::vector<FileRecord> events = TestRecords(0, event_records);
    LossTable losses = TestLosses();
    losses.producers.resize(1);
    EXPECT_TRUE(writer->AppendSnapshot(snapshot.data(), snapshot.size()));
    EXPECT_TRUE(writer->AppendEvents(events.data(), events.size()));
    EXPECT_TRUE(writer->WriteLosses(losses));
    EXPECT_TRUE(writer->Finish()) << writer->error();
    return ReadBytes(path);
  }

  std::string dir_;
  std::vector<std::string> paths_;
};

// ------------------------------------------------------------------------------------------------
// CRC-32C.

TEST(Crc32c, MatchesPublishedCheckValues) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);  // the CRC catalogue's check value
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
  // RFC 3720 (iSCSI), appendix B.4.
  uint8_t buffer[32];
  memset(buffer, 0, sizeof(buffer));
  EXPECT_EQ(Crc32c(buffer, sizeof(buffer)), 0x8A9136AAu);
  memset(buffer, 0xff, sizeof(buffer));
  EXPECT_EQ(Crc32c(buffer, sizeof(buffer)), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) {
    buffer[i] = static_cast<uint8_t>(i);
  }
  EXPECT_EQ(Crc32c(buffer, sizeof(buffer)), 0x46DD794Eu);
}

TEST(Crc32c, ExtendEqualsOneCallOverTheConcatenation) {
  const std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  for (size_t split = 0; split <= text.size(); ++split) {
    EXPECT_EQ(Crc32cExtend(Crc32c(text.data(), split), text.data() + split, text.size() - split),
              Crc32c(text.data(), text.size()))
        << split;
  }
}

TEST(Crc32c, TablesAndHardwareAgree) {
  std::mt19937_64 random(testing::UnitTest::GetInstance()->random_seed());
  std::vector<uint8_t> buffer(4096 + 7);
  for (uint8_t& byte : buffer) {
    byte = static_cast<uint8_t>(random());
  }
  // Every start alignment and many lengths, through the 8-byte loop and the byte tail.
  for (size_t start = 0; start < 8; ++start) {
    for (size_t length : {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4096}) {
      const uint32_t seed = static_cast<uint32_t>(random());
      EXPECT_EQ(Crc32cExtend(seed, buffer.data() + start, length),
                internal::Crc32cExtendPortable(seed, buffer.data() + start, length))
          << "start " << start << " length " << length;
    }
  }
  if (!internal::Crc32cHardwareAvailable()) {
    GTEST_SKIP() << "no SSE4.2 here: both calls above used the tables";
  }
}

// ------------------------------------------------------------------------------------------------
// INFO and LOSSES as JSON.

TEST(TraceInfo, JsonRoundTrip) {
  const TraceInfo info = TestInfo();
  std::string error;
  std::optional<TraceInfo> back = TraceInfo::FromJson(json::parse(info.ToJson().dump()), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->ToJson(), info.ToJson());
  EXPECT_EQ(back->program, "trace_file_test");
  EXPECT_EQ(back->clock.ticks_per_second, 2.5e9);
  EXPECT_EQ(back->layout.splice_tail_offset, 224u);
  ASSERT_TRUE(back->ring);
  EXPECT_EQ(back->ring->capacity, 65536u);
  EXPECT_EQ(back->extra["note"], "ünïcode");

  TraceInfo no_ring = info;
  no_ring.ring.reset();
  EXPECT_TRUE(no_ring.ToJson()["ring"].is_null());
  back = TraceInfo::FromJson(no_ring.ToJson(), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_FALSE(back->ring);
}

TEST(TraceInfo, UnknownKeysAreIgnored) {
  json in = TestInfo().ToJson();
  in["added_by_a_later_writer"] = {1, 2, 3};
  in["layout"]["another_offset"] = 12;
  std::string error;
  EXPECT_TRUE(TraceInfo::FromJson(in, &error)) << error;
}

TEST(TraceInfo, FromJsonNamesTheBadField) {
  struct Case {
    const char* pointer;  // JSON pointer of the field to change
    json value;           // new value; null means "remove the field"
    const char* message;
  };
  const Case cases[] = {
      {"/program", 5, "program: expected a string"},
      {"/pid", nullptr, "pid: missing"},
      {"/pid", "12", "pid: expected a 64-bit signed integer"},
      {"/clock/ticks_per_second", 0, "clock.ticks_per_second: expected a finite number greater"},
      {"/clock/name", "", "clock.name: expected a non-empty string"},
      {"/clock", 3, "clock: expected a JSON object"},
      {"/layout/fanout", 0, "layout.fanout: is 0"},
      {"/layout/fanout", 5000, "layout.fanout: expected an integer from 0 to 4096"},
      {"/layout/pointer_size", 6, "layout.pointer_size: is 6, expected 4 or 8"},
      {"/layout/page_size", 4095, "layout.page_size: is 4095, expected a power of two"},
      {"/layout/node_size", 35, "layout.node_canary_offset: the 4-byte canary at 32 runs past"},
      {"/layout/node_slots_offset", 49, "layout.node_slots_offset: 16 slots of 8 bytes at 49"},
      {"/layout/splice_size", 399, "layout.splice_tail_offset: the tail node at 224 runs past"},
      {"/layout/slot_size", -8, "layout.slot_size: expected an integer from 0 to"},
      {"/ring/capacity", nullptr, "ring.capacity: missing"},
      {"/extra", json::array(), "extra: expected a JSON object"},
  };
  for (const Case& c : cases) {
    json in = TestInfo().ToJson();
    const json::json_pointer pointer(c.pointer);
    if (c.value.is_null()) {
      in[pointer.parent_pointer()].erase(pointer.back());
    } else {
      in[pointer] = c.value;
    }
    std::string error;
    EXPECT_FALSE(TraceInfo::FromJson(in, &error)) << c.pointer;
    EXPECT_THAT(error, StartsWith(c.message)) << c.pointer;
  }
  std::string error;
  EXPECT_FALSE(TraceInfo::FromJson(json::array(), &error));
  EXPECT_EQ(error, "(top level): expected a JSON object");
}

TEST(TraceInfo, ForThisProcessFillsPidHostAndTime) {
  const TraceInfo info = TraceInfo::ForThisProcess("prog", "9.9");
  EXPECT_EQ(info.program, "prog");
  EXPECT_EQ(info.program_version, "9.9");
  EXPECT_EQ(info.pid, getpid());
  EXPECT_FALSE(info.host.empty());
  // 2024-05-01T12:00:00.123456Z
  EXPECT_THAT(info.start_time,
              testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\."
                                    "[0-9]{6}Z"));
}

TEST(LossTable, JsonRoundTripWithTotals) {
  const LossTable losses = TestLosses();
  const json out = losses.ToJson();
  EXPECT_EQ(out["totals"]["overwritten"], 11);
  EXPECT_EQ(out["totals"]["blocked"], 5);
  EXPECT_EQ(out["totals"]["commit_failed"], 2);
  EXPECT_EQ(losses.Totals().total(), 21u);  // commit_failed is not added: it recounts losses
  std::string error;
  std::optional<LossTable> back = LossTable::FromJson(out, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, losses);
}

TEST(LossTable, TotalsMustBeTheSumOfTheProducers) {
  json in = TestLosses().ToJson();
  in["totals"]["dropped"] = 3;
  std::string error;
  EXPECT_FALSE(LossTable::FromJson(in, &error));
  EXPECT_THAT(error,
              HasSubstr("totals: {overwritten 11, dropped 3, abandoned 3, blocked 5, "
                        "commit_failed 2} is not the sum of the producers {11, 2, 3, 5, 2}"));
  in = TestLosses().ToJson();
  in["producers"][1]["index"] = uint64_t{1} << 32;
  EXPECT_FALSE(LossTable::FromJson(in, &error));
  EXPECT_THAT(error, StartsWith("producers[1].index: expected an integer from 0 to 4294967295"));
}

// ------------------------------------------------------------------------------------------------
// Writing and reading whole files.

TEST_F(TraceFileTest, RoundTripAcrossManyChunks) {
  const std::string path = Path("round_trip.trace");
  constexpr uint64_t kEvents = 3 * 4096 + 17;
  std::string error;
  auto writer = TraceWriter::Create(path, TestInfo(), &error);
  ASSERT_NE(writer, nullptr) << error;
  const std::vector<FileRecord> snapshot = TestRecords(1u << 20, 10);
  ASSERT_TRUE(writer->AppendSnapshot(snapshot.data(), 4));
  ASSERT_TRUE(writer->AppendSnapshot(snapshot.data() + 4, 6));
  // Batches of uneven sizes, including ones larger than a chunk and empty ones.
  const std::vector<FileRecord> events = TestRecords(0, kEvents);
  size_t done = 0;
  for (size_t batch : {1, 0, 4095, 5000, 3, 0, 2000}) {
    ASSERT_TRUE(writer->AppendEvents(events.data() + done, batch)) << writer->error();
    done += batch;
  }
  ASSERT_TRUE(writer->AppendEvents(events.data() + done, kEvents - done));
  ASSERT_TRUE(writer->WriteLosses(TestLosses()));
  EXPECT_EQ(writer->snapshot_records(), 10u);
  EXPECT_EQ(writer->event_records(), kEvents);
  ASSERT_TRUE(writer->Finish()) << writer->error();
  EXPECT_TRUE(writer->finished());

  auto reader = TraceReader::Open(path, &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->problem(), "");
  EXPECT_TRUE(reader->complete());
  EXPECT_EQ(reader->name(), path);
  EXPECT_EQ(reader->info().ToJson(), TestInfo().ToJson());
  ASSERT_TRUE(reader->losses());
  EXPECT_EQ(*reader->losses(), TestLosses());

  // Chunks: INFO, one SNAPSHOT, full EVENTS chunks of 4096 and the rest, LOSSES, END.
  std::vector<uint32_t> types;
  for (const ChunkEntry& chunk : reader->chunks()) {
    types.push_back(chunk.type);
    EXPECT_EQ(chunk.offset % 8, 0u);
  }
  EXPECT_THAT(types, testing::ElementsAre(1, 2, 3, 3, 3, 3, 4, 5));
  EXPECT_EQ(reader->valid_bytes(), writer->bytes_written());
  struct stat st = {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), writer->bytes_written());

  ASSERT_EQ(reader->snapshot_count(), 10u);
  ASSERT_EQ(reader->snapshot_spans().size(), 1u);
  uint64_t i = 0;
  for (const FileRecord& record : reader->snapshot()) {
    EXPECT_TRUE(SameRecord(record, snapshot[i])) << i;
    ++i;
  }
  EXPECT_EQ(i, 10u);

  ASSERT_EQ(reader->event_count(), kEvents);
  ASSERT_EQ(reader->event_spans().size(), 4u);
  uint64_t first = 0;
  for (const RecordSpan& span : reader->event_spans()) {
    EXPECT_EQ(span.first_index, first);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(span.data) % alignof(FileRecord), 0u);
    first += span.count;
  }
  EXPECT_EQ(reader->event_spans()[3].count, 17u);
  i = 0;
  for (const FileRecord& record : reader->events()) {
    ASSERT_TRUE(SameRecord(record, events[i])) << i;
    ++i;
  }
  EXPECT_EQ(i, kEvents);
  for (uint64_t index : {uint64_t{0}, uint64_t{4095}, uint64_t{4096}, kEvents - 1}) {
    ASSERT_NE(reader->EventAt(index), nullptr) << index;
    EXPECT_TRUE(SameRecord(*reader->EventAt(index), events[index])) << index;
  }
  EXPECT_EQ(reader->EventAt(kEvents), nullptr);
}

TEST_F(TraceFileTest, EmptyTraceIsComplete) {
  const std::string path = Path("empty.trace");
  std::string error;
  auto writer = TraceWriter::Create(path, TestInfo(), &error);
  ASSERT_NE(writer, nullptr) << error;
  ASSERT_TRUE(writer->Finish());
  auto reader = TraceReader::Open(path, &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_TRUE(reader->complete());
  EXPECT_EQ(reader->problem(), "");
  EXPECT_TRUE(reader->events().empty());
  EXPECT_EQ(reader->events().begin(), reader->events().end());
  EXPECT_FALSE(reader->losses());
  EXPECT_EQ(reader->EventAt(0), nullptr);
}

// The bytes are what docs/trace-format.md says, offset by offset.
TEST_F(TraceFileTest, BytesFollowTheDocumentedLayout) {
  const std::vector<uint8_t> bytes = SmallTrace();
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "VMPLTRCE");
  EXPECT_EQ(Get<uint32_t>(bytes, 8), 1u);    // version
  EXPECT_EQ(Get<uint32_t>(bytes, 12), 16u);  // header_size

  // Walk the chunks by hand.
  std::vector<uint32_t> types;
  size_t offset = 16;
  while (offset < bytes.size()) {
    const auto type = Get<uint32_t>(bytes, offset);
    const auto length = Get<uint64_t>(bytes, offset + 8);
    types.push_back(type);
    EXPECT_EQ(Get<uint32_t>(bytes, offset + 4), 0u) << "flags";
    EXPECT_EQ(Get<uint32_t>(bytes, offset + 16), Crc32c(bytes.data() + offset + 24, length));
    EXPECT_EQ(Get<uint32_t>(bytes, offset + 20), Crc32c(bytes.data() + offset, 16));
    const uint8_t* payload = bytes.data() + offset + 24;
    if (type == 1) {
      const json info = json::parse(payload, payload + length);
      EXPECT_EQ(info["format_version"], 1);
      EXPECT_EQ(info["program"], "trace_file_test");
      EXPECT_EQ(info["clock"]["name"], "tsc");
      EXPECT_EQ(info["layout"]["fanout"], 16);
      EXPECT_EQ(info["ring"]["mode"], "overwrite");
    } else if (type == 3 && types.size() == 3) {  // the first EVENTS chunk: events 0..3
      ASSERT_EQ(length, 4u * 64);
      const FileRecord expected = TestRecord(1);
      const size_t record = offset + 24 + 64;  // event 1
      EXPECT_EQ(Get<uint32_t>(bytes, record + 0), expected.producer);
      EXPECT_EQ(Get<uint32_t>(bytes, record + 4), 0u);
      EXPECT_EQ(Get<uint64_t>(bytes, record + 8), expected.event.timestamp);
      EXPECT_EQ(Get<uint64_t>(bytes, record + 16), expected.event.object);
      EXPECT_EQ(Get<uint16_t>(bytes, record + 24), static_cast<uint16_t>(expected.event.kind));
      EXPECT_EQ(Get<uint16_t>(bytes, record + 26), expected.event.cpu);
      EXPECT_EQ(Get<uint32_t>(bytes, record + 28), expected.event.aux);
      EXPECT_EQ(Get<uint64_t>(bytes, record + 32), expected.event.arg[0]);
      EXPECT_EQ(Get<uint64_t>(bytes, record + 56), expected.event.arg[3]);
    } else if (type == 4) {
      EXPECT_EQ(json::parse(payload, payload + length)["producers"][0]["tid"], 101);
    } else if (type == 5) {
      EXPECT_EQ(length, 16u);
      EXPECT_EQ(Get<uint64_t>(bytes, offset + 24), 3u);   // snapshot records
      EXPECT_EQ(Get<uint64_t>(bytes, offset + 32), 10u);  // event records
    }
    const size_t padded = (length + 7) / 8 * 8;
    for (size_t pad = offset + 24 + length; pad < offset + 24 + padded; ++pad) {
      EXPECT_EQ(bytes[pad], 0) << "padding at " << pad;
    }
    offset += 24 + padded;
  }
  EXPECT_EQ(offset, bytes.size());
  EXPECT_THAT(types, testing::ElementsAre(1, 2, 3, 3, 3, 4, 5));
}

// ------------------------------------------------------------------------------------------------
// Streaming: what is on disk before Finish.

TEST_F(TraceFileTest, ChunksReachTheFileAsTheyFill) {
  const std::string path = Path("streaming.trace");
  std::string error;
  auto writer = TraceWriter::Create(path, TestInfo(), {.records_per_chunk = 4}, &error);
  ASSERT_NE(writer, nullptr) << error;
  {
    // Header and INFO are there at once.
    auto reader = TraceReader::Open(path, &error);
    ASSERT_NE(reader, nullptr) << error;
    EXPECT_EQ(reader->event_count(), 0u);
    EXPECT_THAT(reader->problem(), HasSubstr("trace ends without an END chunk (truncated?)"));
  }
  const std::vector<FileRecord> events = TestRecords(0, 9);
  ASSERT_TRUE(writer->AppendEvents(events.data(), events.size()));
  {
    auto reader = TraceReader::Open(path, &error);
    ASSERT_NE(reader, nullptr) << error;
    EXPECT_EQ(reader->event_count(), 8u);  // two full chunks; the ninth is buffered
    EXPECT_FALSE(reader->complete());
  }
  ASSERT_TRUE(writer->Flush());
  {
    auto reader = TraceReader::Open(path, &error);
    ASSERT_NE(reader, nullptr) << error;
    EXPECT_EQ(reader->event_count(), 9u);
  }
}

TEST_F(TraceFileTest, WriterDestroyedWithoutFinishLeavesAReadableFile) {
  const std::string path = Path("unfinished.trace");
  std::string error;
  {
    auto writer = TraceWriter::Create(path, TestInfo(), {.records_per_chunk = 4}, &error);
    ASSERT_NE(writer, nullptr) << error;
    const std::vector<FileRecord> snapshot = TestRecords(100, 3);
    const std::vector<FileRecord> events = TestRecords(0, 10);
    ASSERT_TRUE(writer->AppendSnapshot(snapshot.data(), snapshot.size()));
    ASSERT_TRUE(writer->AppendEvents(events.data(), events.size()));
  }
  auto reader = TraceReader::Open(path, &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->snapshot_count(), 3u);
  EXPECT_EQ(reader->event_count(), 10u);  // the destructor flushed the last two
  EXPECT_FALSE(reader->complete());
  EXPECT_EQ(reader->problem(),
            fmt::format("{}: trace ends without an END chunk (truncated?) at byte {}; the 3 "
                        "snapshot records and 10 events in it are readable",
                        path, reader->valid_bytes()));
}

TEST_F(TraceFileTest, WriterRefusesMisuse) {
  std::string error;
  auto writer = TraceWriter::Create(Path("misuse.trace"), TestInfo(), &error);
  ASSERT_NE(writer, nullptr) << error;
  const FileRecord record = TestRecord(0);
  ASSERT_TRUE(writer->AppendEvents(&record, 1));
  EXPECT_FALSE(writer->AppendSnapshot(&record, 1));
  EXPECT_THAT(writer->error(), HasSubstr("AppendSnapshot after AppendEvents"));
  EXPECT_FALSE(writer->AppendEvents(&record, 1));  // a failed writer stays failed

  writer = TraceWriter::Create(Path("finished.trace"), TestInfo(), &error);
  ASSERT_NE(writer, nullptr) << error;
  EXPECT_FALSE(writer->WriteChunk(3, "x", 1));
  EXPECT_THAT(writer->error(), HasSubstr("WriteChunk: type 3 is reserved"));
  writer = TraceWriter::Create(Path("finished.trace"), TestInfo(), &error);
  ASSERT_TRUE(writer->Finish());
  EXPECT_FALSE(writer->AppendEvents(&record, 1));
  EXPECT_THAT(writer->error(), HasSubstr("AppendEvents after Finish"));

  TraceInfo bad = TestInfo();
  bad.layout.fanout = 0;
  EXPECT_EQ(TraceWriter::Create(Path("bad.trace"), bad, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("INFO: layout.fanout: is 0"));
  bad = TestInfo();
  bad.extra["bytes"] = std::string("\xff\xfe");
  EXPECT_EQ(TraceWriter::Create(Path("bad_utf8.trace"), bad, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("invalid UTF-8"));
  EXPECT_EQ(TraceWriter::Create(dir_ + "/no/such/dir/x.trace", TestInfo(), &error), nullptr);
  EXPECT_THAT(error, HasSubstr("no/such/dir/x.trace: cannot create: No such file or directory"));
  EXPECT_EQ(TraceWriter::Create(Path("zero.trace"), TestInfo(), {.records_per_chunk = 0}, &error),
            nullptr);
  EXPECT_THAT(error, HasSubstr("records_per_chunk 0"));
}

TEST_F(TraceFileTest, UnknownChunkTypeIsSkipped) {
  const std::string path = Path("unknown.trace");
  std::string error;
  auto writer = TraceWriter::Create(path, TestInfo(), {.records_per_chunk = 4}, &error);
  ASSERT_NE(writer, nullptr) << error;
  const std::vector<FileRecord> events = TestRecords(0, 6);
  ASSERT_TRUE(writer->AppendEvents(events.data(), 3));
  ASSERT_TRUE(writer->WriteChunk(77, "hello", 5));  // an extension from a later version
  ASSERT_TRUE(writer->AppendEvents(events.data() + 3, 3));
  ASSERT_TRUE(writer->Finish());
  auto reader = TraceReader::Open(path, &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->problem(), "");
  EXPECT_TRUE(reader->complete());
  EXPECT_EQ(reader->event_count(), 6u);
  ASSERT_EQ(reader->chunks().size(), 5u);
  EXPECT_EQ(reader->chunks()[2].type, 77u);
  EXPECT_EQ(reader->chunks()[2].payload_length, 5u);
  EXPECT_EQ(reader->ChunkPayload(reader->chunks()[2]), "hello");
  EXPECT_EQ(reader->ChunkPayload({77, 0, reader->valid_bytes() - 8, 5}), "");  // not its chunk
  EXPECT_STREQ(ChunkTypeName(77), "unknown");
}

// ------------------------------------------------------------------------------------------------
// Damage.

TEST_F(TraceFileTest, TruncationAtEveryByteKeepsAGrowingPrefix) {
  const std::vector<uint8_t> bytes = SmallTrace();
  ASSERT_FALSE(bytes.empty());
  std::string error;
  auto whole = Read(bytes, &error);
  ASSERT_NE(whole, nullptr) << error;
  const size_t info_end = whole->chunks()[1].offset;  // where chunk 1 starts
  uint64_t last_snapshot = 0;
  uint64_t last_events = 0;
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    auto reader = Read(bytes, &error, cut);
    if (cut < info_end) {
      EXPECT_EQ(reader, nullptr) << cut;
      EXPECT_FALSE(error.empty()) << cut;
      continue;
    }
    ASSERT_NE(reader, nullptr) << cut << ": " << error;
    EXPECT_GE(reader->snapshot_count(), last_snapshot) << cut;
    EXPECT_GE(reader->event_count(), last_events) << cut;
    last_snapshot = reader->snapshot_count();
    last_events = reader->event_count();
    EXPECT_EQ(reader->complete(), cut == bytes.size()) << cut;
    EXPECT_EQ(reader->problem().empty(), cut == bytes.size()) << cut;
    EXPECT_LE(reader->valid_bytes(), cut);
    uint64_t i = 0;
    for (const FileRecord& record : reader->events()) {
      EXPECT_TRUE(SameRecord(record, TestRecord(i))) << cut << " event " << i;
      ++i;
    }
  }
  EXPECT_EQ(last_snapshot, 3u);
  EXPECT_EQ(last_events, 10u);

  // Cut inside the second EVENTS chunk: the first one is kept whole, the torn one not at all.
  const ChunkEntry& second_events = whole->chunks()[3];
  ASSERT_EQ(second_events.type, 3u);
  const size_t cut = second_events.offset + 24 + 100;
  auto reader = Read(bytes, &error, cut);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->event_count(), 4u);
  EXPECT_EQ(reader->problem(),
            fmt::format("trace: chunk 3 (EVENTS) at byte {}: payload of 256 bytes runs past the "
                        "end of the file (100 bytes follow the chunk header; truncated file?); the "
                        "3 snapshot records and 4 events before it are readable",
                        second_events.offset));
}

// Every single flipped bit in the file is caught: a header or payload CRC, the padding check, or
// the file header's own checks. (A smaller file than the other tests': each flip after INFO
// costs a parse of INFO, and this runs under ASan too.)
TEST_F(TraceFileTest, EveryBitFlipIsDetected) {
  const std::vector<uint8_t> original = SmallTrace(/*records_per_chunk=*/1, 1, 2);
  ASSERT_FALSE(original.empty());
  std::vector<uint8_t> bytes = original;
  for (size_t byte = 0; byte < bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes[byte] ^= static_cast<uint8_t>(1 << bit);
      std::string error;
      auto reader = Read(bytes, &error);
      if (reader != nullptr) {
        EXPECT_FALSE(reader->complete()) << "byte " << byte << " bit " << bit;
        EXPECT_FALSE(reader->problem().empty()) << "byte " << byte << " bit " << bit;
      } else {
        EXPECT_FALSE(error.empty());
      }
      bytes[byte] = original[byte];
    }
  }
}

TEST_F(TraceFileTest, EachKindOfDamageHasItsMessage) {
  const std::vector<uint8_t> original = SmallTrace();
  ASSERT_FALSE(original.empty());
  std::string error;
  auto whole = Read(original, &error);
  ASSERT_NE(whole, nullptr) << error;
  const size_t events = whole->chunks()[2].offset;  // the first EVENTS chunk, chunk 2
  const std::string where = fmt::format("trace: chunk 2 (EVENTS) at byte {}: ", events);
  const std::string readable = "; the 3 snapshot records and 0 events before it are readable";

  struct Case {
    size_t offset;
    const char* what;
    std::string message;  // the whole problem or error
  };
  const Case cases[] = {
      {0, "magic", "trace: not a vmpl trace file (it does not start with \"VMPLTRCE\")"},
      {8, "version", "trace: trace format version 0; this reader reads version 1"},
      {12, "header size", "trace: file header size 17 is invalid"},
      {16, "INFO type", "trace: chunk 0 at byte 16: chunk header CRC mismatch"},
      {16 + 24 + 3, "INFO payload", "trace: chunk 0 (INFO) at byte 16: payload CRC mismatch"},
      {events, "chunk type", fmt::format("trace: chunk 2 at byte {}: chunk header CRC", events)},
      {events + 8, "payload length",
       fmt::format("trace: chunk 2 at byte {}: chunk header", events)},
      {events + 16, "payload CRC", where + "payload CRC mismatch"},
      {events + 20, "header CRC", fmt::format("trace: chunk 2 at byte {}: chunk header", events)},
      {events + 24 + 70, "a record's flags", where + "payload CRC mismatch"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = original;
    bytes[c.offset] ^= 1;
    auto reader = Read(bytes, &error);
    const std::string& message = reader == nullptr ? error : reader->problem();
    EXPECT_THAT(message, StartsWith(c.message)) << c.what;
    if (reader != nullptr) {
      EXPECT_THAT(message, testing::EndsWith(readable)) << c.what;
      EXPECT_EQ(reader->event_count(), 0u) << c.what;
      EXPECT_EQ(reader->snapshot_count(), 3u) << c.what;
    } else {
      EXPECT_LT(c.offset, 100u) << c.what << ": only file header and INFO damage is fatal";
    }
  }
}

TEST_F(TraceFileTest, LyingPayloadLengthIsCaughtBeforeUse) {
  const std::vector<uint8_t> original = SmallTrace();
  ASSERT_FALSE(original.empty());
  std::string error;
  auto whole = Read(original, &error);
  ASSERT_NE(whole, nullptr) << error;
  const size_t events = whole->chunks()[3].offset;  // the second EVENTS chunk
  for (uint64_t length : {~uint64_t{0}, ~uint64_t{0} - 6, uint64_t{1} << 62,
                          uint64_t{original.size()}, uint64_t{256 + 64}}) {
    std::vector<uint8_t> bytes = original;
    Put<uint64_t>(bytes, events + 8, length);
    ResealHeader(bytes, events);  // a header that checks out: only the length is wrong
    auto reader = Read(bytes, &error);
    ASSERT_NE(reader, nullptr) << error;
    EXPECT_EQ(reader->event_count(), 4u) << length;
    if (length == 256 + 64) {
      // Fits in the file: the payload CRC over the wrong range catches it.
      EXPECT_THAT(reader->problem(), HasSubstr("payload CRC mismatch")) << length;
    } else {
      EXPECT_THAT(
          reader->problem(),
          HasSubstr(fmt::format("payload of {} bytes runs past the end of the file", length)));
    }
  }
}

TEST_F(TraceFileTest, VersionMismatchIsUnreadable) {
  std::vector<uint8_t> bytes = SmallTrace();
  ASSERT_FALSE(bytes.empty());
  Put<uint32_t>(bytes, 8, 2);
  std::string error;
  EXPECT_EQ(Read(bytes, &error), nullptr);
  EXPECT_EQ(error, "trace: trace format version 2; this reader reads version 1");
}

TEST(TraceReader, StructuralRulesStopTheScan) {
  struct Case {
    const char* what;
    FileBuilder file;
    const char* problem;  // expected substring
    uint64_t snapshot_records;
    uint64_t events;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"snapshot after events",
       std::move(FileBuilder().Info().Records(2, 0, 2).Records(3, 0, 3).Records(2, 2, 1)),
       "chunk 3 (SNAPSHOT) at byte", 2, 3});
  cases.push_back({"second INFO", std::move(FileBuilder().Info().Records(3, 0, 3).Info()),
                   "a second INFO chunk", 0, 3});
  cases.push_back({"partial record",
                   std::move(FileBuilder().Info().Records(3, 0, 1).Json(3, std::string(65, 'x'))),
                   "payload of 65 bytes is not a whole number of 64-byte records", 0, 1});
  cases.push_back({"END counts", std::move(FileBuilder().Info().Records(3, 0, 2).End(0, 3)),
                   "END counts 0 snapshot records and 3 events, but the file holds 0 snapshot "
                   "records and 2 events",
                   0, 2});
  cases.push_back({"END size", std::move(FileBuilder().Info().Records(3, 0, 2).Json(5, "12345678")),
                   "(END) at byte", 0, 2});
  cases.push_back({"bad LOSSES JSON", std::move(FileBuilder().Info().Records(3, 0, 2).Json(4, "{")),
                   "(LOSSES) at byte", 0, 2});
  cases.push_back({"bad LOSSES field",
                   std::move(FileBuilder().Info().Records(3, 0, 2).Json(4, R"({"producers":{}})")),
                   "producers: expected a JSON array", 0, 2});
  for (Case& c : cases) {
    std::string error;
    auto reader = Read(c.file.bytes(), &error);
    ASSERT_NE(reader, nullptr) << c.what << ": " << error;
    EXPECT_THAT(reader->problem(), HasSubstr(c.problem)) << c.what;
    EXPECT_FALSE(reader->complete()) << c.what;
    EXPECT_EQ(reader->snapshot_count(), c.snapshot_records) << c.what;
    EXPECT_EQ(reader->event_count(), c.events) << c.what;
  }
}

TEST(TraceReader, TheLastValidLossesCount) {
  LossTable later = TestLosses();
  later.producers[0].counts.dropped = 50;
  FileBuilder file;
  file.Info()
      .Json(4, TestLosses().ToJson().dump())
      .Records(3, 0, 2)
      .Json(4, later.ToJson().dump())
      .End(0, 2);
  std::string error;
  auto reader = Read(file.bytes(), &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_TRUE(reader->complete());
  ASSERT_TRUE(reader->losses());
  EXPECT_EQ(*reader->losses(), later);

  // A damaged second table leaves the first in force.
  FileBuilder damaged;
  damaged.Info().Json(4, TestLosses().ToJson().dump()).Json(4, later.ToJson().dump());
  damaged.bytes()[damaged.offset(2) + 30] ^= 0x40;
  reader = Read(damaged.bytes(), &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_THAT(reader->problem(), HasSubstr("chunk 2 (LOSSES)"));
  ASSERT_TRUE(reader->losses());
  EXPECT_EQ(*reader->losses(), TestLosses());
}

TEST(TraceReader, BytesAfterEndAreReportedButTheTraceIsComplete) {
  FileBuilder file;
  file.Info().Records(3, 0, 2).End(0, 2);
  const size_t end = file.bytes().size();
  file.bytes().resize(end + 40, 0xab);
  std::string error;
  auto reader = Read(file.bytes(), &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_TRUE(reader->complete());
  EXPECT_EQ(reader->problem(),
            fmt::format("trace: 40 bytes after the END chunk, from byte {}, are ignored", end));
}

TEST(TraceReader, NonZeroPaddingIsDamage) {
  FileBuilder file;
  file.Info().Json(4, TestLosses().ToJson().dump() + " ").End(0, 0);
  const size_t losses = file.offset(1);
  const size_t length = TestLosses().ToJson().dump().size() + 1;
  ASSERT_NE(length % 8, 0u) << "the test needs padding after the LOSSES payload";
  file.bytes()[losses + 24 + length] = 1;
  std::string error;
  auto reader = Read(file.bytes(), &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_THAT(reader->problem(), HasSubstr("the padding after the payload is not zero"));
}

TEST(TraceReader, WithoutAValidInfoTheTraceIsUnreadable) {
  struct Case {
    const char* what;
    FileBuilder file;
    const char* error;
  };
  json old_version = TestInfo().ToJson();
  old_version["format_version"] = 0;
  json deep = TestInfo().ToJson();
  json* level = &deep["extra"];
  for (int i = 0; i < 100; ++i) {
    level = &((*level)["x"] = json::object());
  }
  std::vector<Case> cases;
  cases.push_back(
      {"no chunks", FileBuilder(), "trace: no INFO chunk: the file ends after its 16-byte header"});
  cases.push_back({"events first", std::move(FileBuilder().Records(3, 0, 1).Info()),
                   "trace: chunk 0 at byte 16: type 3 (EVENTS); the first chunk must be INFO"});
  // The bytes the parser quotes back are escaped: the message stays printable ASCII.
  cases.push_back({"binary garbage", std::move(FileBuilder().Json(1, "{\"a\": \"\xff\"}")),
                   "trace: chunk 0 (INFO) at byte 16: invalid JSON: parse error at line 1, "
                   "column 8: syntax error while parsing value - invalid string: ill-formed UTF-8 "
                   "byte; last read: '\"\\xff'"});
  cases.push_back({"not JSON", std::move(FileBuilder().Json(1, "{\"a\":")),
                   "trace: chunk 0 (INFO) at byte 16: invalid JSON: parse error at line 1, "
                   "column 6"});
  cases.push_back({"bad field", std::move(FileBuilder().Json(1, R"({"format_version":1})")),
                   "trace: chunk 0 (INFO) at byte 16: program: missing"});
  cases.push_back({"version", std::move(FileBuilder().Json(1, old_version.dump())),
                   "trace: chunk 0 (INFO) at byte 16: format_version 0 differs from the file "
                   "header's 1"});
  cases.push_back({"nesting", std::move(FileBuilder().Json(1, deep.dump())),
                   "trace: chunk 0 (INFO) at byte 16: JSON nested more than 64 levels deep"});
  cases.push_back(
      {"torn INFO", std::move(FileBuilder().Info()), "trace: chunk 0 at byte 16: chunk"});
  cases.back().file.bytes().resize(16 + 10);
  for (Case& c : cases) {
    std::string error;
    EXPECT_EQ(Read(c.file.bytes(), &error), nullptr) << c.what;
    EXPECT_THAT(error, StartsWith(c.error)) << c.what;
  }
  std::string error;
  EXPECT_EQ(Read(cases.back().file.bytes(), &error), nullptr);
  EXPECT_THAT(error, testing::EndsWith("; without INFO the trace is unreadable"));
}

TEST_F(TraceFileTest, OpenNamesTheFileAndWhatIsWrong) {
  std::string error;
  EXPECT_EQ(TraceReader::Open(dir_ + "/missing.trace", &error), nullptr);
  EXPECT_EQ(error, dir_ + "/missing.trace: cannot open: No such file or directory");
  const std::string empty = Path("empty_file");
  close(open(empty.c_str(), O_WRONLY | O_CREAT, 0644));
  EXPECT_EQ(TraceReader::Open(empty, &error), nullptr);
  EXPECT_EQ(error, empty + ": file is empty, not a vmpl trace file");
  EXPECT_EQ(TraceReader::Open(dir_, &error), nullptr);
  EXPECT_EQ(error, dir_ + ": not a regular file");
}

TEST_F(TraceFileTest, UnalignedMemoryIsCopied) {
  const std::vector<uint8_t> bytes = SmallTrace();
  ASSERT_FALSE(bytes.empty());
  std::vector<uint8_t> shifted(bytes.size() + 1);
  memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  std::string error;
  auto reader = TraceReader::FromMemory(shifted.data() + 1, bytes.size(), &error, "shifted");
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_TRUE(reader->complete());
  EXPECT_EQ(reader->event_count(), 10u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(reader->event_spans()[0].data) % 8, 0u);
  EXPECT_TRUE(SameRecord(*reader->EventAt(9), TestRecord(9)));
}

}  // namespace
}  // namespace vmpl::trace
