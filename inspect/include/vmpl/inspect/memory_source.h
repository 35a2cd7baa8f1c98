// vmpl::inspect::MemorySource: the memory of a target that is not us, read-only.
//
// A target is a live process (LiveProcessSource), an ELF core file (ElfCoreSource) or whatever
// sits behind a gdb remote stub (GdbRemoteSource: gdbserver, or QEMU in front of a kernel). The
// decoder reads page lists through this interface only, so it neither knows nor cares which.
//
// Reads are untrusted by nature: any address may be unmapped, a core may be truncated, a stub
// may hang up. A read never throws and never crashes; it says how many bytes it got and, when
// short, why. A source never writes to its target.
//
// Batching. Decoding a list reads many small, scattered objects (tree nodes of 176 bytes).
// ReadMany takes a whole batch so that a source can turn it into one system call
// (process_vm_readv with an iovec per request), one pass over a file, or a few large packets.

#ifndef VMPL_INSPECT_MEMORY_SOURCE_H_
#define VMPL_INSPECT_MEMORY_SOURCE_H_

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

namespace vmpl::inspect {

// The outcome of one read.
struct ReadResult {
  size_t bytes = 0;   // bytes read, from the start of the range; the rest of the buffer is zeroed
  std::string error;  // empty if all bytes were read; otherwise why not, naming the address
                      // ("0x7f12...: not mapped in the core", "stub closed the connection")
  bool ok() const { return error.empty(); }
};

// A range of the target's address space that can be read: what a scan for page-list nodes
// walks when there are no symbols to start from.
struct MemoryRegion {
  uint64_t start = 0;  // first address
  uint64_t end = 0;    // one past the last address
  bool writable = false;
  std::string name;  // the mapped file, "[heap]", "" for anonymous memory
};

// One request of a batch.
struct ReadRequest {
  uint64_t address = 0;
  void* buffer = nullptr;
  size_t size = 0;
};

class MemorySource {
 public:
  virtual ~MemorySource() = default;

  // Reads |size| bytes at |address| into |buffer|. Partial reads return the prefix read.
  virtual ReadResult Read(uint64_t address, void* buffer, size_t size) = 0;

  // Reads every request; results[i] belongs to requests[i]. The default calls Read in a loop;
  // sources override it when they can batch.
  virtual std::vector<ReadResult> ReadMany(const std::vector<ReadRequest>& requests);

  // The readable ranges of the target, sorted by address; empty when the source cannot tell
  // (a gdb stub does not list the memory behind it).
  virtual std::vector<MemoryRegion> Regions() const { return {}; }

  // What the source is, for messages: "pid 1234", "core.1234 (ELF core)", "gdb stub
  // 127.0.0.1:1234".
  virtual std::string Describe() const = 0;

  // Bytes successfully read so far, and read calls made to the target (system calls, packets):
  // for benchmarks and for the decoder's progress.
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t target_reads() const { return target_reads_; }

 protected:
  uint64_t bytes_read_ = 0;
  uint64_t target_reads_ = 0;
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_MEMORY_SOURCE_H_
