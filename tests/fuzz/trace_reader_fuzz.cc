// Fuzz target for the trace file reader (TraceReader::FromMemory): any bytes must give either an
// error or a reader whose every part can be walked, with the reader's invariants holding
// (<vmpl/inspect/trace_file.h>). Runs under libFuzzer (scripts/fuzz.sh) and, in the normal
// build, under tests/fuzz/fuzz_driver.cc.
//
// Every chunk carries two CRCs, which random mutation almost never gets right, so most mutants
// would stop at the first checksum. The custom mutator therefore reseals half of its mutants:
// after the change it recomputes the CRCs of every chunk it can walk, so lying lengths, misplaced
// chunk types and broken JSON reach the checks behind the checksums.

#include <stdlib.h>
#include <string.h>
#include <vmpl/inspect/crc32c.h>
#include <vmpl/inspect/trace_file.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using vmpl::trace::FileRecord;
using vmpl::trace::RecordSpan;
using vmpl::trace::TraceReader;

// Where the record walks put their result, so the compiler keeps the reads (and ASan sees them).
volatile uint64_t g_sink;

// A broken invariant is a bug the fuzzer must report: abort, which both drivers catch.
void Check(bool condition) {
  if (!condition) {
    abort();
  }
}

// Messages go to terminals and into JSON output (`--json`), whose dump() throws on bytes that
// are not UTF-8: whatever the input, they must survive that.
void CheckMessage(const std::string& message) {
  try {
    Check(!nlohmann::json(message).dump().empty());
  } catch (const nlohmann::json::exception&) {
    Check(false);
  }
}

uint64_t WalkSpans(const std::vector<RecordSpan>& spans) {
  uint64_t next = 0;
  for (const RecordSpan& span : spans) {
    Check(span.count > 0);
    Check(span.first_index == next);
    Check(reinterpret_cast<uintptr_t>(span.data) % alignof(FileRecord) == 0);
    next += span.count;
  }
  return next;
}

// Recomputes the payload and header CRC of every chunk from the first on, as far as the chunk
// lengths (however wrong) lead; a chunk whose payload is not all there gets a header CRC only.
void ResealChunks(uint8_t* data, size_t size) {
  uint32_t header_size = 16;
  if (size >= 16) {
    memcpy(&header_size, data + 12, sizeof(header_size));
  }
  if (header_size < 16 || header_size % 8 != 0) {
    header_size = 16;
  }
  for (uint64_t offset = header_size; offset + 24 <= size;) {
    uint64_t length;
    memcpy(&length, data + offset + 8, sizeof(length));
    const uint64_t room = size - offset - 24;
    if (length <= room) {
      const uint32_t payload_crc = vmpl::Crc32c(data + offset + 24, length);
      memcpy(data + offset + 16, &payload_crc, sizeof(payload_crc));
    }
    const uint32_t header_crc = vmpl::Crc32c(data + offset, 16);
    memcpy(data + offset + 20, &header_crc, sizeof(header_crc));
    if (length > room) {
      break;
    }
    offset += 24 + ((length + 7) & ~uint64_t{7});
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 2 == 0) {
    ResealChunks(data, size);
  }
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  std::unique_ptr<TraceReader> reader = TraceReader::FromMemory(data, size, &error, "fuzz");
  if (reader == nullptr) {
    Check(!error.empty());
    CheckMessage(error);
    return 0;
  }
  CheckMessage(reader->problem());
  Check(reader->valid_bytes() <= size);
  Check(reader->complete() || !reader->problem().empty());
  // Everything the reader accepted can be used: INFO and LOSSES print, every record is reachable.
  const std::string info = reader->info().ToJson().dump();
  Check(!info.empty());
  if (reader->losses()) {
    Check(!reader->losses()->ToJson().dump().empty());
  }
  Check(WalkSpans(reader->snapshot_spans()) == reader->snapshot_count());
  Check(WalkSpans(reader->event_spans()) == reader->event_count());
  uint64_t seen = 0;
  uint64_t checksum = 0;
  for (const FileRecord& record : reader->events()) {
    checksum += record.event.timestamp ^ record.producer;
    ++seen;
  }
  for (const FileRecord& record : reader->snapshot()) {
    checksum += record.event.object;
  }
  Check(seen == reader->event_count());
  if (reader->event_count() > 0) {
    Check(reader->EventAt(0) == &*reader->events().begin());
    Check(reader->EventAt(reader->event_count() - 1) != nullptr);
  }
  Check(reader->EventAt(reader->event_count()) == nullptr);
  uint64_t previous_end = 0;
  for (const vmpl::trace::ChunkEntry& chunk : reader->chunks()) {
    Check(chunk.offset >= previous_end && chunk.offset % 8 == 0);
    previous_end = chunk.offset + 24 + chunk.payload_length;
  }
  Check(previous_end <= reader->valid_bytes());
  g_sink = checksum;
  return 0;
}
