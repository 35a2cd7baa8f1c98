// The on-disk headers of a trace file, shared by the writer and the reader (trace_writer.cc,
// trace_reader.cc). docs/trace-format.md is the reference; the static_asserts pin these structs to
// it. All fields are little-endian, which is this machine's order (checked below), so the structs
// are the bytes.

#ifndef VMPL_INSPECT_SRC_TRACE_CHUNK_H_
#define VMPL_INSPECT_SRC_TRACE_CHUNK_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/inspect/crc32c.h>
#include <vmpl/inspect/trace_file.h>

#include <bit>

namespace vmpl::trace::internal {

static_assert(std::endian::native == std::endian::little,
              "trace files are little-endian; a big-endian reader would have to swap every field");

struct FileHeader {
  char magic[8];         // kTraceMagic
  uint32_t version;      // kTraceFormatVersion
  uint32_t header_size;  // 16 in version 1; chunks start here (a multiple of 8)
};
static_assert(sizeof(FileHeader) == kFileHeaderSize);
static_assert(offsetof(FileHeader, version) == 8);
static_assert(offsetof(FileHeader, header_size) == 12);

struct ChunkHeader {
  uint32_t type;            // ChunkType or an extension
  uint32_t flags;           // 0 in version 1
  uint64_t payload_length;  // bytes, without the padding
  uint32_t payload_crc;     // CRC-32C of the payload
  uint32_t header_crc;      // CRC-32C of the 16 bytes above
};
static_assert(sizeof(ChunkHeader) == kChunkHeaderSize);
static_assert(offsetof(ChunkHeader, payload_length) == 8);
static_assert(offsetof(ChunkHeader, payload_crc) == 16);
static_assert(offsetof(ChunkHeader, header_crc) == 20);

// The bytes the header CRC covers: type, flags and payload_length.
inline constexpr size_t kChunkHeaderCrcSpan = offsetof(ChunkHeader, payload_crc);

inline uint32_t ChunkHeaderCrc(const ChunkHeader& header) {
  return Crc32c(&header, kChunkHeaderCrcSpan);
}

// |length| rounded up to kChunkAlignment. The caller makes sure it cannot overflow.
inline uint64_t PaddedLength(uint64_t length) {
  return (length + kChunkAlignment - 1) & ~uint64_t{kChunkAlignment - 1};
}

// END's payload.
struct EndPayload {
  uint64_t snapshot_records;
  uint64_t event_records;
};
static_assert(sizeof(EndPayload) == 16);

}  // namespace vmpl::trace::internal

#endif  // VMPL_INSPECT_SRC_TRACE_CHUNK_H_
