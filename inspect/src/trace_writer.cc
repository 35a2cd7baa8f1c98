// vmpl::trace::TraceWriter: writes a trace file chunk by chunk (<vmpl/inspect/trace_file.h>,
// docs/trace-format.md). Each chunk goes out as header, payload and padding in one writev, so
// whatever happens to the process, the file holds a sequence of whole chunks, possibly followed by
// the torn start of one more, which a reader recognises and drops.

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/uio.h>
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

constexpr uint32_t kMaxRecordsPerChunk = uint32_t{1} << 20;

// Writes every byte of |iov| (advancing through short writes and EINTR). False with errno set on
// any other failure.
bool WriteAll(int fd, iovec* iov, int count) {
  while (count > 0) {
    ssize_t written = writev(fd, iov, count);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    auto left = static_cast<size_t>(written);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

}  // namespace

const char* ChunkTypeName(uint32_t type) {
  switch (static_cast<ChunkType>(type)) {
    case ChunkType::kInfo:
      return "INFO";
    case ChunkType::kSnapshot:
      return "SNAPSHOT";
    case ChunkType::kEvents:
      return "EVENTS";
    case ChunkType::kLosses:
      return "LOSSES";
    case ChunkType::kEnd:
      return "END";
  }
  return "unknown";
}

std::unique_ptr<TraceWriter> TraceWriter::Create(const std::string& path, const TraceInfo& info,
                                                 std::string* error) {
  return Create(path, info, TraceWriterOptions(), error);
}

std::unique_ptr<TraceWriter> TraceWriter::Create(const std::string& path, const TraceInfo& info,
                                                 const TraceWriterOptions& options,
                                                 std::string* error) {
  if (options.records_per_chunk == 0 || options.records_per_chunk > kMaxRecordsPerChunk) {
    *error = fmt::format("{}: records_per_chunk {} is not from 1 to {}", path,
                         options.records_per_chunk, kMaxRecordsPerChunk);
    return nullptr;
  }
  // Refuse what the reader would refuse, before touching the file.
  if (info.format_version != kTraceFormatVersion) {
    *error = fmt::format("{}: INFO: format_version {} is not {}, the version this writer writes",
                         path, info.format_version, kTraceFormatVersion);
    return nullptr;
  }
  nlohmann::json info_json = info.ToJson();
  std::string why;
  if (!TraceInfo::FromJson(info_json, &why)) {
    *error = fmt::format("{}: INFO: {}", path, why);
    return nullptr;
  }

  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = fmt::format("{}: cannot create: {}", path, strerror(errno));
    return nullptr;
  }
  std::unique_ptr<TraceWriter> writer(new TraceWriter(fd, path, options));
  FileHeader header = {};
  memcpy(header.magic, kTraceMagic, sizeof(header.magic));
  header.version = kTraceFormatVersion;
  header.header_size = kFileHeaderSize;
  iovec iov = {&header, sizeof(header)};
  if (!WriteAll(fd, &iov, 1)) {
    *error = fmt::format("{}: cannot write: {}", path, strerror(errno));
    return nullptr;
  }
  writer->bytes_written_ = sizeof(header);
  if (!writer->WriteJsonChunk(ChunkType::kInfo, info_json)) {
    *error = writer->error();
    return nullptr;
  }
  return writer;
}

TraceWriter::TraceWriter(int fd, std::string path, const TraceWriterOptions& options)
    : fd_(fd), path_(std::move(path)), options_(options) {
  pending_.reserve(options_.records_per_chunk);
}

TraceWriter::~TraceWriter() {
  if (!finished_ && error_.empty()) {
    Flush();
  }
  if (fd_ >= 0) {
    close(fd_);
  }
}

bool TraceWriter::AppendSnapshot(const FileRecord* records, size_t count) {
  if (!CheckOpen("AppendSnapshot")) {
    return false;
  }
  if (events_started_) {
    return Fail(
        fmt::format("{}: AppendSnapshot after AppendEvents: the snapshot must come first", path_));
  }
  return Append(ChunkType::kSnapshot, records, count);
}

bool TraceWriter::AppendEvents(const FileRecord* records, size_t count) {
  if (!CheckOpen("AppendEvents")) {
    return false;
  }
  if (!events_started_) {
    if (!Flush()) {
      return false;
    }
    events_started_ = true;
    pending_type_ = ChunkType::kEvents;
  }
  return Append(ChunkType::kEvents, records, count);
}

bool TraceWriter::Append(ChunkType type, const FileRecord* records, size_t count) {
  (type == ChunkType::kSnapshot ? snapshot_records_ : event_records_) += count;
  const size_t per_chunk = options_.records_per_chunk;
  while (count > 0) {
    // Whole chunks straight from the caller's memory: no copy when nothing is buffered.
    if (pending_.empty() && count >= per_chunk) {
      if (!WriteRecordChunk(type, records, per_chunk)) {
        return false;
      }
      records += per_chunk;
      count -= per_chunk;
      continue;
    }
    const size_t take = std::min(count, per_chunk - pending_.size());
    pending_.insert(pending_.end(), records, records + take);
    records += take;
    count -= take;
    if (pending_.size() == per_chunk && !Flush()) {
      return false;
    }
  }
  return true;
}

bool TraceWriter::Flush() {
  if (!CheckOpen("Flush")) {
    return false;
  }
  if (pending_.empty()) {
    return true;
  }
  bool ok = WriteRecordChunk(pending_type_, pending_.data(), pending_.size());
  pending_.clear();
  return ok;
}

bool TraceWriter::WriteLosses(const LossTable& losses) {
  if (!CheckOpen("WriteLosses") || !Flush()) {
    return false;
  }
  return WriteJsonChunk(ChunkType::kLosses, losses.ToJson());
}

bool TraceWriter::WriteChunk(uint32_t type, const void* payload, size_t size) {
  if (!CheckOpen("WriteChunk")) {
    return false;
  }
  if (type <= static_cast<uint32_t>(ChunkType::kEnd)) {
    return Fail(fmt::format("{}: WriteChunk: type {} is reserved (0 to 5)", path_, type));
  }
  return Flush() && WriteChunkBytes(type, payload, size);
}

bool TraceWriter::Finish() {
  if (!CheckOpen("Finish") || !Flush()) {
    return false;
  }
  const EndPayload end = {snapshot_records_, event_records_};
  if (!WriteChunkBytes(static_cast<uint32_t>(ChunkType::kEnd), &end, sizeof(end))) {
    return false;
  }
  if (options_.fsync_on_finish && fsync(fd_) != 0) {
    return Fail(fmt::format("{}: fsync: {}", path_, strerror(errno)));
  }
  int fd = std::exchange(fd_, -1);
  if (close(fd) != 0) {
    return Fail(fmt::format("{}: close: {}", path_, strerror(errno)));
  }
  finished_ = true;
  return true;
}

bool TraceWriter::WriteRecordChunk(ChunkType type, const FileRecord* records, size_t count) {
  return WriteChunkBytes(static_cast<uint32_t>(type), records, count * sizeof(FileRecord));
}

bool TraceWriter::WriteJsonChunk(ChunkType type, const nlohmann::json& json) {
  std::string text;
  try {
    text = json.dump();
  } catch (const nlohmann::json::exception& e) {
    // dump() refuses strings that are not valid UTF-8 (from a caller's `extra`, a host name).
    return Fail(fmt::format("{}: {} chunk: {}", path_, ChunkTypeName(static_cast<uint32_t>(type)),
                            e.what()));
  }
  return WriteChunkBytes(static_cast<uint32_t>(type), text.data(), text.size());
}

bool TraceWriter::WriteChunkBytes(uint32_t type, const void* payload, size_t size) {
  ChunkHeader header = {};
  header.type = type;
  header.flags = 0;
  header.payload_length = size;
  header.payload_crc = Crc32c(payload, size);
  header.header_crc = internal::ChunkHeaderCrc(header);
  static constexpr uint8_t kZeros[kChunkAlignment] = {};
  const size_t padding = internal::PaddedLength(size) - size;
  iovec iov[3] = {
      {&header, sizeof(header)},
      {const_cast<void*>(payload), size},
      {const_cast<uint8_t*>(kZeros), padding},
  };
  if (!WriteAll(fd_, iov, 3)) {
    return Fail(fmt::format("{}: cannot write {} chunk at byte {}: {}", path_, ChunkTypeName(type),
                            bytes_written_, strerror(errno)));
  }
  bytes_written_ += sizeof(header) + size + padding;
  return true;
}

bool TraceWriter::CheckOpen(const char* call) {
  if (!error_.empty()) {
    return false;  // error_ already says why
  }
  if (finished_) {
    return Fail(fmt::format("{}: {} after Finish", path_, call));
  }
  return true;
}

bool TraceWriter::Fail(std::string message) {
  if (error_.empty()) {
    error_ = std::move(message);
  }
  return false;
}

}  // namespace vmpl::trace
