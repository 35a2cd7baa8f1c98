// ReadRingImage and WriteRingImage (see ring_image.h).

#include "vmpl/inspect/ring_image.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <unistd.h>
#include <vmpl/trace_event.h>
#include <vmpl/trace_ring.h>

#include <optional>
#include <utility>
#include <vector>

namespace vmpl::inspect {
namespace {

using trace::RingHeader;
using trace::RingRecord;

// The bytes of the record slot that |position| maps to (its stamp first).
uint8_t* RecordAt(RingImage& image, const RingHeader& header, uint64_t position) {
  return image.bytes.data() + header.header_size +
         (position & (header.capacity - 1)) * sizeof(RingRecord);
}

uint64_t StampAt(RingImage& image, const RingHeader& header, uint64_t position) {
  uint64_t stamp;
  memcpy(&stamp, RecordAt(image, header, position), sizeof(stamp));
  return stamp;
}

// The event at |position|, if its slot's stamp says it is committed there.
bool CommittedAt(RingImage& image, const RingHeader& header, uint64_t position,
                 trace::Event* event) {
  const uint64_t stamp = StampAt(image, header, position);
  if (trace::StampState(stamp) != trace::SlotState::kCommitted ||
      trace::StampPosition(stamp) != (position & trace::kStampPositionMask)) {
    return false;
  }
  memcpy(event, RecordAt(image, header, position) + offsetof(RingRecord, payload), sizeof(*event));
  return true;
}

}  // namespace

std::optional<RingImage> ReadRingImage(MemorySource& memory, uint64_t address, std::string* error) {
  const std::string where = fmt::format("trace ring at {:#x}", address);
  RingHeader header;
  ReadResult result = memory.Read(address, &header, sizeof(header));
  if (!result.ok()) {
    *error = fmt::format("{}: {}", where, result.error);
    return std::nullopt;
  }
  // Identity first: an address that is not a ring must not cost a large read through a stub.
  if (memcmp(header.magic, trace::kRingMagic, sizeof(header.magic)) != 0) {
    *error = fmt::format("{}: not a trace ring (bad magic)", where);
    return std::nullopt;
  }
  if (header.version != trace::kRingVersion) {
    *error = fmt::format("{}: unknown version {} (this reader knows {})", where, header.version,
                         trace::kRingVersion);
    return std::nullopt;
  }
  if (header.capacity > kMaxRingImageBytes / sizeof(RingRecord) ||
      uint64_t{header.header_size} + header.capacity * sizeof(RingRecord) > kMaxRingImageBytes) {
    *error = fmt::format(
        "{}: {} records after a {}-byte header is more than this reader copies "
        "({} bytes)",
        where, header.capacity, header.header_size, kMaxRingImageBytes);
    return std::nullopt;
  }
  const uint64_t size = uint64_t{header.header_size} + header.capacity * sizeof(RingRecord);
  RingImage image;
  image.bytes.resize(size);
  result = memory.Read(address, image.bytes.data(), size);
  if (!result.ok()) {
    *error = fmt::format("{}: {}", where, result.error);
    return std::nullopt;
  }
  // The copy's own header from here on: a running target may have moved on since the first read,
  // and the copy is what the reader reads.
  memcpy(&header, image.bytes.data(), sizeof(header));
  if (!trace::ValidateRingHeader(image.bytes.data(), size, where, error)) {
    return std::nullopt;
  }
  image.head = header.head;
  const uint64_t oldest = header.head - header.first_position > header.capacity
                              ? header.head - header.capacity
                              : header.first_position;
  // The complete snapshots in the ring, oldest first ([begin, end] positions), and the producer
  // that wrote each.
  struct Snapshot {
    uint64_t begin;
    uint64_t end;
    uint32_t producer;
  };
  std::vector<Snapshot> snapshots;
  std::optional<Snapshot> open;  // begun, not yet ended
  trace::Event event;
  for (uint64_t position = oldest; position < header.head; position++) {
    if (!CommittedAt(image, header, position, &event)) {
      continue;
    }
    if (event.kind == trace::EventKind::kSnapshotBegin) {
      open = Snapshot{position, position, trace::StampProducer(StampAt(image, header, position))};
    } else if (event.kind == trace::EventKind::kSnapshotEnd && open) {
      open->end = position;
      snapshots.push_back(*open);
      open.reset();
    }
  }
  if (snapshots.empty()) {
    *error = fmt::format(
        "{}: no complete snapshot among its {} records (positions {} to {}): the reader needs "
        "the state the events apply to",
        where, header.head - oldest, oldest, header.head);
    return std::nullopt;
  }
  image.snapshots = snapshots.size();
  image.start = snapshots.front().begin;
  image.records = header.head - image.start;
  // The later snapshots describe, between two steps, the state the events before them built: they
  // add nothing to the stream, and a trace has one snapshot. So does one still being written at
  // the head (a target stopped or dumped in the middle of it). Their records, those of the
  // producer that wrote the snapshot, are marked given up (ABANDONED), which a reader skips
  // without counting a loss; other producers' records in between are kept.
  if (open) {
    open->end = header.head - 1;
    snapshots.push_back(*open);
  }
  for (size_t i = 1; i < snapshots.size(); i++) {
    for (uint64_t position = snapshots[i].begin; position <= snapshots[i].end; position++) {
      const uint64_t stamp = StampAt(image, header, position);
      if (trace::StampPosition(stamp) != (position & trace::kStampPositionMask) ||
          trace::StampProducer(stamp) != snapshots[i].producer) {
        continue;
      }
      const uint64_t abandoned =
          trace::MakeStamp(position, snapshots[i].producer, trace::SlotState::kAbandoned);
      memcpy(RecordAt(image, header, position), &abandoned, sizeof(abandoned));
      image.skipped++;
    }
  }
  // The reader starts at `tail` when it is a position in the ring, and owns the copy.
  auto* copy = reinterpret_cast<RingHeader*>(image.bytes.data());
  copy->tail = image.start;
  copy->reader_pid = 0;
  copy->requests = 0;
  return image;
}

bool WriteRingImage(const RingImage& image, const std::string& path, std::string* error) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = fmt::format("{}: {}", path, strerror(errno));
    return false;
  }
  size_t done = 0;
  while (done < image.bytes.size()) {
    const ssize_t n = write(fd, image.bytes.data() + done, image.bytes.size() - done);
    if (n <= 0) {
      *error = fmt::format("{}: {}", path, n < 0 ? strerror(errno) : "short write");
      close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    *error = fmt::format("{}: {}", path, strerror(errno));
    return false;
  }
  return true;
}

}  // namespace vmpl::inspect
