// vmpl::inspect::ReadRingImage: a copy of a trace ring that lives in another machine's memory,
// read through a MemorySource: the QEMU kernel's ring (kernel/platform/trace_ring_writer.h),
// through QEMU's gdb stub or from a dump of the machine.
//
// The ring has the shared-memory layout (docs/ring-format.md), so the copy, written to a file,
// is read by the userspace RingReader and recorded by TraceRecorder exactly like a process's
// ring (`vmpl trace record --remote/--core`). The copy is prepared for that: the reader starts at
// the oldest snapshot whose end is also in the ring (the kernel writes one every half ring), so
// the file holds that snapshot and every event after it, up to a whole ring of history; earlier
// events, whose state is unknown, are left out. Later snapshots in the ring, and one still being
// written at its head, are skipped: they restate, between two steps, what the events before
// them built (only the records of the producer that wrote them; other producers' are kept).
//
// The memory is untrusted: the header is validated as a reader of a ring file validates it, and
// the size read is bounded (kMaxRingImageBytes).

#ifndef VMPL_INSPECT_RING_IMAGE_H_
#define VMPL_INSPECT_RING_IMAGE_H_

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "vmpl/inspect/memory_source.h"

namespace vmpl::inspect {

// The largest ring copied: 2^20 records (64 MiB) and its header.
inline constexpr uint64_t kMaxRingImageBytes = (uint64_t{64} << 20) + (uint64_t{1} << 20);

struct RingImage {
  std::vector<uint8_t> bytes;  // header, producer table and records, as in memory
  uint64_t head = 0;           // the next position the producer would write
  uint64_t start = 0;          // where the reader starts: the oldest complete snapshot
  uint64_t records = 0;        // records from |start| to |head|
  uint64_t snapshots = 0;      // complete snapshots found in the ring
  uint64_t skipped = 0;        // records of the later snapshots, marked for the reader to skip
};

// Copies the ring whose header is at |address|. Nullopt and |*error| if it cannot be read, is
// not a ring, or holds no complete snapshot (tracing started before the kernel's lists existed,
// so a kernel that traces always has one unless it is stopped in the middle of writing it).
std::optional<RingImage> ReadRingImage(MemorySource& memory, uint64_t address, std::string* error);

// Writes |image| to a new file at |path| (the layout a RingReader attaches to).
bool WriteRingImage(const RingImage& image, const std::string& path, std::string* error);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_RING_IMAGE_H_
