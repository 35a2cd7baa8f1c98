// vmpl::inspect::ElfCoreSource: the memory of a process as an ELF core file (gcore, or the
// kernel's core dump) holds it.
//
// A core is a 64-bit little-endian ELF file of type ET_CORE. Its PT_LOAD segments are the memory:
// each says which virtual range it covers (vaddr, memsz) and where its bytes sit in the file
// (offset, filesz); bytes past filesz were not dumped and read as zero. Its PT_NOTE segments hold
// notes, of which two matter here: NT_FILE, the files mapped into the process (to find the binary
// whose symbols locate the page lists), and NT_PRSTATUS, one per thread.
//
// The file is untrusted: every offset and size is checked against the file size, counts are
// bounded by what the file can hold, and nothing is allocated from a field that was not checked.
// A core that ends early (a dump cut short by a full disk) is still opened: what is in the file
// can be read, problem() says what is missing, and reads of the missing part fail with
// "0x...: beyond the end of the truncated core". The file is opened read-only and never written.
//
// How reads reach the file. The decoder reads one tree node (176 bytes) per call, millions of
// them for a large list, so a system call per read would be the whole cost (pread manages one to
// two million a second, a mapping a hundred million: bench/decode_bench.cc). Open therefore maps
// the file read-only (PROT_READ, MAP_PRIVATE) and a read is a segment lookup and a memcpy; the
// segment of the previous read is tried first, because a walk stays in one heap segment for long
// stretches. The mapping costs address space, not memory: the
// kernel pages the file in as it is touched, so a core of many gigabytes is fine. Where the file
// cannot be mapped, reads fall back to pread, with the same results, only slower.
//
// A mapped core must not be truncated while it is open: a read of a page that is no longer in the
// file raises SIGBUS (gdb, which also maps cores, has the same rule). Cores that were already cut
// short when opened are safe: reads stop at the size the file had then.
//
// One source per thread: reads update the cached segment and the read counters.

#ifndef VMPL_INSPECT_ELF_CORE_SOURCE_H_
#define VMPL_INSPECT_ELF_CORE_SOURCE_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/inspect/memory_source.h>

#include <memory>
#include <string>
#include <vector>

namespace vmpl::inspect {

// One PT_LOAD segment: the virtual range [vaddr, vaddr + memsz), whose first filesz bytes are at
// |offset| in the core file.
struct CoreSegment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
  uint32_t flags = 0;  // PF_R, PF_W, PF_X
  // The segment's data would start past the end of the file although segments after it in the
  // program header table are whole: its offset is corrupt, not merely cut off.
  bool corrupt_offset = false;
};

// One NT_FILE entry: [start, end) of the process's address space maps |path| from byte
// |file_offset| on (NT_FILE counts the offset in pages; this is that count times the page size).
struct CoreMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  std::string path;
};

class ElfCoreSource : public MemorySource {
 public:
  // How Open reads the file. kMap maps it and falls back to pread if mapping fails; kPread never
  // maps (tests and benchmarks use it to exercise and compare the two paths).
  enum class Method { kMap, kPread };

  // Opens the core at |path|. On failure returns null and sets |*error| to why, naming the file
  // and what in it was wrong.
  static std::unique_ptr<ElfCoreSource> Open(const std::string& path, std::string* error,
                                             Method method = Method::kMap);

  // The same from bytes in memory (fuzzing, hand-made cores in tests); |name| is used in
  // messages.
  static std::unique_ptr<ElfCoreSource> FromMemory(std::string bytes, const std::string& name,
                                                   std::string* error);

  ~ElfCoreSource() override;
  ElfCoreSource(const ElfCoreSource&) = delete;
  ElfCoreSource& operator=(const ElfCoreSource&) = delete;

  ReadResult Read(uint64_t address, void* buffer, size_t size) override;
  std::string Describe() const override;
  // The PT_LOAD segments, each as far as the file holds it, named after the NT_FILE entry that
  // covers it.
  std::vector<MemoryRegion> Regions() const override;

  // The PT_LOAD segments that can be used, sorted by address, not overlapping.
  const std::vector<CoreSegment>& segments() const { return segments_; }
  // The files mapped into the process, from NT_FILE (empty if the core has none).
  const std::vector<CoreMapping>& mapped_files() const { return mapped_files_; }
  // NT_PRSTATUS notes: one per thread of the process.
  size_t thread_count() const { return thread_count_; }
  uint64_t file_size() const { return file_size_; }
  // Whether reads copy from the file's bytes in our memory (a mapping, or FromMemory's bytes)
  // rather than calling pread.
  bool in_memory() const { return data_ != nullptr; }
  // Empty if the core is whole; otherwise what is damaged or missing (truncation, segments or
  // notes that were skipped), one problem per line.
  const std::string& problem() const { return problem_; }

 private:
  ElfCoreSource() = default;

  bool Parse(std::string* error);
  void ParseNotes(uint64_t offset, uint64_t size);
  void ParseFileNote(const uint8_t* desc, uint64_t size);
  void AddProblem(const std::string& text);
  // Copies up to |size| bytes at |offset| of the file; returns how many it got.
  size_t ReadFile(uint64_t offset, void* buffer, size_t size);
  // The segment holding |address|, or null; tries the segment of the previous call first.
  const CoreSegment* FindSegment(uint64_t address);

  std::string name_;
  int fd_ = -1;                    // the open core when reads use pread, else -1
  void* mapping_ = nullptr;        // the whole file mapped read-only, or null
  std::string memory_;             // FromMemory's bytes
  const uint8_t* data_ = nullptr;  // |mapping_| or |memory_|'s bytes; null when reads use pread
  uint64_t file_size_ = 0;
  std::vector<CoreSegment> segments_;
  size_t last_segment_ = 0;  // index in |segments_| of the previous FindSegment hit
  std::vector<CoreMapping> mapped_files_;
  size_t thread_count_ = 0;
  std::string problem_;
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_ELF_CORE_SOURCE_H_
