// vmpl::trace::TraceReader: maps a trace file and checks it chunk by chunk
// (<vmpl/inspect/trace_file.h>, docs/trace-format.md section "Reading a damaged file").
//
// The scan reads each chunk header, checks it against its CRC and against the bytes left in the
// file, and only then touches the payload (its CRC, its padding, and for JSON chunks a parse).
// Nothing is allocated from a length in the file before that check, so a lying length costs
// nothing; the vectors the scan fills grow by one entry per accepted chunk of at least 24 bytes,
// so they are bounded by the file size. The first chunk that fails a check ends the scan: every
// chunk before it is kept and problem() says what was wrong and where.

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vmpl/inspect/trace_file.h>

#include <algorithm>
#include <utility>

#include "trace_chunk.h"

namespace vmpl::trace {
namespace {

using internal::ChunkHeader;
using internal::EndPayload;
using internal::FileHeader;
using nlohmann::json;

// JSON nested deeper than this is refused: nothing in INFO or LOSSES needs more than three levels
// plus what a producer puts in `extra`, and code that later walks a parsed value recursively
// (dump(), a report) must not be handed a stack overflow.
constexpr int kMaxJsonDepth = 64;

// |text| with every byte outside printable ASCII written as \xNN. nlohmann's parse errors quote
// the bytes they read ("last read: '...'"), which in a damaged file can be anything, and a
// problem() message must be safe to print on a terminal and to put into JSON output.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<uint8_t>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out;
}

// Parses a JSON chunk payload into |out|; false and |error| on a syntax error, invalid UTF-8 or
// too much nesting.
bool ParseJson(const uint8_t* data, size_t size, json* out, std::string* error) {
  bool too_deep = false;
  auto limit_depth = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth) {
      too_deep = true;
      return false;  // discard the value: what is kept stays shallow
    }
    return true;
  };
  try {
    *out = json::parse(data, data + size, limit_depth);
  } catch (const json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 7: ...".
    std::string_view what = e.what();
    if (size_t bracket = what.find("] "); what.starts_with("[json.") && bracket != what.npos) {
      what.remove_prefix(bracket + 2);
    }
    *error = fmt::format("invalid JSON: {}", Printable(what));
    return false;
  }
  if (too_deep) {
    *error = fmt::format("JSON nested more than {} levels deep", kMaxJsonDepth);
    return false;
  }
  return true;
}

bool AllZero(const uint8_t* data, size_t size) {
  return std::all_of(data, data + size, [](uint8_t byte) { return byte == 0; });
}

// "1 snapshot record", "12 events".
std::string Count(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::unique_ptr<TraceReader> TraceReader::Open(const std::string& path, std::string* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = fmt::format("{}: cannot open: {}", path, strerror(errno));
    return nullptr;
  }
  struct stat st = {};
  if (fstat(fd, &st) != 0) {
    *error = fmt::format("{}: cannot stat: {}", path, strerror(errno));
    close(fd);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = fmt::format("{}: not a regular file", path);
    close(fd);
    return nullptr;
  }
  if (st.st_size == 0) {
    *error = fmt::format("{}: file is empty, not a vmpl trace file", path);
    close(fd);
    return nullptr;
  }
  const auto size = static_cast<size_t>(st.st_size);
  void* mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int mmap_errno = errno;
  close(fd);  // the mapping keeps the file
  if (mapping == MAP_FAILED) {
    *error = fmt::format("{}: cannot map {} bytes: {}", path, size, strerror(mmap_errno));
    return nullptr;
  }
  // The scan and every consumer read front to back.
  madvise(mapping, size, MADV_SEQUENTIAL);
  std::unique_ptr<TraceReader> reader(new TraceReader());
  reader->name_ = path;
  reader->mapping_ = mapping;
  reader->data_ = static_cast<const uint8_t*>(mapping);
  reader->size_ = size;
  return Make(std::move(reader), error);
}

std::unique_ptr<TraceReader> TraceReader::FromMemory(const uint8_t* data, size_t size,
                                                     std::string* error, std::string_view name) {
  std::unique_ptr<TraceReader> reader(new TraceReader());
  reader->name_ = name;
  reader->size_ = size;
  if (reinterpret_cast<uintptr_t>(data) % alignof(FileRecord) == 0) {
    reader->data_ = data;
  } else {
    // Records are handed out as FileRecord pointers, which must be aligned.
    reader->copy_.resize((size + sizeof(uint64_t) - 1) / sizeof(uint64_t));
    memcpy(reader->copy_.data(), data, size);
    reader->data_ = reinterpret_cast<const uint8_t*>(reader->copy_.data());
  }
  return Make(std::move(reader), error);
}

std::unique_ptr<TraceReader> TraceReader::Make(std::unique_ptr<TraceReader> reader,
                                               std::string* error) {
  if (!reader->Scan(error)) {
    return nullptr;
  }
  return reader;
}

TraceReader::~TraceReader() {
  if (mapping_ != nullptr) {
    munmap(mapping_, size_);
  }
}

const FileRecord* TraceReader::EventAt(uint64_t index) const {
  if (index >= event_count_) {
    return nullptr;
  }
  // The last span whose first_index <= index.
  auto after = std::upper_bound(
      event_spans_.begin(), event_spans_.end(), index,
      [](uint64_t value, const RecordSpan& span) { return value < span.first_index; });
  const RecordSpan& span = *(after - 1);
  return span.data + (index - span.first_index);
}

std::string_view TraceReader::ChunkPayload(const ChunkEntry& chunk) const {
  // Only a chunk this reader accepted lies inside its memory.
  if (chunk.offset > size_ || chunk.payload_length > size_ - chunk.offset ||
      size_ - chunk.offset - chunk.payload_length < kChunkHeaderSize) {
    return {};
  }
  return std::string_view(reinterpret_cast<const char*>(data_) + chunk.offset + kChunkHeaderSize,
                          chunk.payload_length);
}

std::string TraceReader::Readable(std::string_view where) const {
  return fmt::format("the {} and {} {} are readable",
                     Count(snapshot_count_, "snapshot record", "snapshot records"),
                     Count(event_count_, "event", "events"), where);
}

void TraceReader::Stop(uint64_t chunk, uint64_t offset, uint32_t type, std::string_view what) {
  // The type is named only once the header CRC vouches for it.
  const std::string kind = type == 0 ? std::string() : fmt::format(" ({})", ChunkTypeName(type));
  problem_ =
      fmt::format("{}: chunk {}{} at byte {}: {}; {}", name_, chunk, kind, offset, what,
                  info_seen_ ? Readable("before it") : "without INFO the trace is unreadable");
}

bool TraceReader::Scan(std::string* error) {
  // The file header.
  FileHeader header = {};
  if (size_ < sizeof(header.magic) || memcmp(data_, kTraceMagic, sizeof(header.magic)) != 0) {
    *error = fmt::format("{}: not a vmpl trace file (it does not start with \"VMPLTRCE\")", name_);
    return false;
  }
  if (size_ < sizeof(header)) {
    *error = fmt::format("{}: file header truncated: {} of {} bytes", name_, size_, sizeof(header));
    return false;
  }
  memcpy(&header, data_, sizeof(header));
  if (header.version != kTraceFormatVersion) {
    *error = fmt::format("{}: trace format version {}; this reader reads version {}", name_,
                         header.version, kTraceFormatVersion);
    return false;
  }
  if (header.header_size < kFileHeaderSize || header.header_size % kChunkAlignment != 0 ||
      header.header_size > size_) {
    *error = fmt::format(
        "{}: file header size {} is invalid (expected at least {}, a multiple of {}, within the "
        "file's {} bytes)",
        name_, header.header_size, kFileHeaderSize, kChunkAlignment, size_);
    return false;
  }

  uint64_t offset = header.header_size;
  valid_bytes_ = offset;
  for (uint64_t index = 0; offset < size_; ++index) {
    // The chunk header: present, and its CRC right.
    const uint64_t left = size_ - offset;
    if (left < kChunkHeaderSize) {
      Stop(index, offset, 0,
           fmt::format("chunk header truncated: {} of {} bytes (truncated file?)", left,
                       kChunkHeaderSize));
      break;
    }
    ChunkHeader chunk = {};
    memcpy(&chunk, data_ + offset, sizeof(chunk));
    if (const uint32_t crc = internal::ChunkHeaderCrc(chunk); crc != chunk.header_crc) {
      Stop(index, offset, 0,
           fmt::format("chunk header CRC mismatch (stored {:#010x}, computed {:#010x})",
                       chunk.header_crc, crc));
      break;
    }
    // The payload: inside the file (checked before anything uses the length), its CRC right, its
    // padding zero.
    const uint64_t room = left - kChunkHeaderSize;
    if (chunk.payload_length > room || internal::PaddedLength(chunk.payload_length) > room) {
      Stop(index, offset, chunk.type,
           fmt::format("payload of {} bytes{} runs past the end of the file ({} bytes follow the "
                       "chunk header; truncated file?)",
                       chunk.payload_length, chunk.payload_length > room ? "" : " with its padding",
                       room));
      break;
    }
    const uint8_t* payload = data_ + offset + kChunkHeaderSize;
    const size_t length = chunk.payload_length;
    const size_t padded = internal::PaddedLength(length);
    if (const uint32_t crc = Crc32c(payload, length); crc != chunk.payload_crc) {
      Stop(index, offset, chunk.type,
           fmt::format("payload CRC mismatch (stored {:#010x}, computed {:#010x})",
                       chunk.payload_crc, crc));
      break;
    }
    if (!AllZero(payload + length, padded - length)) {
      Stop(index, offset, chunk.type, "the padding after the payload is not zero");
      break;
    }

    // The chunk is intact; now its content and its place in the file.
    const auto type = static_cast<ChunkType>(chunk.type);
    std::string why;
    if (!info_seen_) {
      if (type != ChunkType::kInfo) {
        *error = fmt::format("{}: chunk 0 at byte {}: type {} ({}); the first chunk must be INFO",
                             name_, offset, chunk.type, ChunkTypeName(chunk.type));
        return false;
      }
      json parsed;
      std::optional<TraceInfo> info;
      if (!ParseJson(payload, length, &parsed, &why) ||
          !(info = TraceInfo::FromJson(parsed, &why))) {
        *error = fmt::format("{}: chunk 0 (INFO) at byte {}: {}", name_, offset, why);
        return false;
      }
      if (info->format_version != header.version) {
        *error = fmt::format(
            "{}: chunk 0 (INFO) at byte {}: format_version {} differs from the "
            "file header's {}",
            name_, offset, info->format_version, header.version);
        return false;
      }
      info_ = std::move(*info);
      info_seen_ = true;
    } else if (type == ChunkType::kInfo) {
      Stop(index, offset, chunk.type, "a second INFO chunk (there must be exactly one)");
      break;
    } else if (type == ChunkType::kSnapshot || type == ChunkType::kEvents) {
      if (length % sizeof(FileRecord) != 0) {
        Stop(index, offset, chunk.type,
             fmt::format("payload of {} bytes is not a whole number of {}-byte records", length,
                         sizeof(FileRecord)));
        break;
      }
      if (type == ChunkType::kSnapshot && !event_spans_.empty()) {
        Stop(index, offset, chunk.type, "a SNAPSHOT chunk after the first EVENTS chunk");
        break;
      }
      const size_t count = length / sizeof(FileRecord);
      auto& spans = type == ChunkType::kSnapshot ? snapshot_spans_ : event_spans_;
      uint64_t& total = type == ChunkType::kSnapshot ? snapshot_count_ : event_count_;
      if (count > 0) {
        spans.push_back({reinterpret_cast<const FileRecord*>(payload), count, total});
        total += count;
      }
    } else if (type == ChunkType::kLosses) {
      json parsed;
      std::optional<LossTable> losses;
      if (!ParseJson(payload, length, &parsed, &why) ||
          !(losses = LossTable::FromJson(parsed, &why))) {
        Stop(index, offset, chunk.type, why);
        break;
      }
      losses_ = std::move(losses);
    } else if (type == ChunkType::kEnd) {
      if (length != sizeof(EndPayload)) {
        Stop(index, offset, chunk.type,
             fmt::format("payload is {} bytes, expected {}", length, sizeof(EndPayload)));
        break;
      }
      EndPayload end = {};
      memcpy(&end, payload, sizeof(end));
      chunks_.push_back({chunk.type, chunk.flags, offset, length});
      offset += kChunkHeaderSize + padded;
      valid_bytes_ = offset;
      if (end.snapshot_records != snapshot_count_ || end.event_records != event_count_) {
        problem_ = fmt::format(
            "{}: chunk {} (END) at byte {}: END counts {} and {}, but the file holds {} and {}; "
            "{}",
            name_, index, chunks_.back().offset,
            Count(end.snapshot_records, "snapshot record", "snapshot records"),
            Count(end.event_records, "event", "events"),
            Count(snapshot_count_, "snapshot record", "snapshot records"),
            Count(event_count_, "event", "events"), Readable("in it"));
      } else {
        complete_ = true;
        if (offset < size_) {
          problem_ = fmt::format("{}: {} bytes after the END chunk, from byte {}, are ignored",
                                 name_, size_ - offset, offset);
        }
      }
      return true;
    }
    // Unknown types are skipped: a later version's extension, checked by its CRC like any other.
    chunks_.push_back({chunk.type, chunk.flags, offset, length});
    offset += kChunkHeaderSize + padded;
    valid_bytes_ = offset;
  }

  if (!info_seen_) {
    // The loop stopped at (or never reached) chunk 0: there is no trace without INFO.
    *error = problem_.empty()
                 ? fmt::format("{}: no INFO chunk: the file ends after its {}-byte header", name_,
                               header.header_size)
                 : problem_;
    return false;
  }
  if (problem_.empty()) {
    problem_ = fmt::format("{}: trace ends without an END chunk (truncated?) at byte {}; {}", name_,
                           valid_bytes_, Readable("in it"));
  }
  return true;
}

}  // namespace vmpl::trace
