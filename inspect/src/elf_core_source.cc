// ElfCoreSource: a bounded parser of ELF64 little-endian core files and reads from their PT_LOAD
// segments (see elf_core_source.h). The core is mapped read-only and read with memcpy, or, where
// it cannot be mapped, with pread on demand; either way a core of many gigabytes costs only its
// headers and notes in memory.

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vmpl/inspect/elf_core_source.h>

#include <algorithm>
#include <utility>

namespace vmpl::inspect {

namespace {

// Notes are read into memory whole; real cores have a few hundred kilobytes of them (NT_FILE of
// a process with many mappings, one NT_PRSTATUS per thread). More is taken as damage.
constexpr uint64_t kMaxNoteSegmentBytes = uint64_t{64} << 20;
// problem() keeps this many lines and then only counts, so damage cannot grow it without bound.
constexpr size_t kMaxProblemLines = 16;

const char* ElfTypeName(uint16_t type) {
  switch (type) {
    case ET_REL:
      return "a relocatable object";
    case ET_EXEC:
      return "an executable";
    case ET_DYN:
      return "a shared object or PIE executable";
    default:
      return "of an unknown type";
  }
}

uint64_t LoadU64(const uint8_t* p) {
  uint64_t value;
  memcpy(&value, p, sizeof(value));
  return value;
}

uint32_t LoadU32(const uint8_t* p) {
  uint32_t value;
  memcpy(&value, p, sizeof(value));
  return value;
}

uint64_t AlignUp4(uint64_t value) { return (value + 3) & ~uint64_t{3}; }

}  // namespace

ElfCoreSource::~ElfCoreSource() {
  if (mapping_ != nullptr) {
    munmap(mapping_, static_cast<size_t>(file_size_));
  }
  if (fd_ >= 0) {
    close(fd_);
  }
}

std::unique_ptr<ElfCoreSource> ElfCoreSource::Open(const std::string& path, std::string* error,
                                                   Method method) {
  std::unique_ptr<ElfCoreSource> source(new ElfCoreSource());
  source->name_ = path;
  source->fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (source->fd_ < 0) {
    *error = fmt::format("{}: cannot open: {}", path, strerror(errno));
    return nullptr;
  }
  struct stat st;
  if (fstat(source->fd_, &st) != 0) {
    *error = fmt::format("{}: cannot stat: {}", path, strerror(errno));
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = fmt::format("{}: not a regular file", path);
    return nullptr;
  }
  source->file_size_ = static_cast<uint64_t>(st.st_size);
  // An empty file cannot be mapped; Parse turns it away with a clear message either way. A failed
  // mapping (no address space, a file system without mmap) leaves the pread path.
  if (method == Method::kMap && source->file_size_ > 0) {
    void* mapping = mmap(nullptr, static_cast<size_t>(source->file_size_), PROT_READ, MAP_PRIVATE,
                         source->fd_, 0);
    if (mapping != MAP_FAILED) {
      source->mapping_ = mapping;
      source->data_ = static_cast<const uint8_t*>(mapping);
      close(source->fd_);  // the mapping keeps the file
      source->fd_ = -1;
    }
  }
  if (!source->Parse(error)) {
    return nullptr;
  }
  return source;
}

std::unique_ptr<ElfCoreSource> ElfCoreSource::FromMemory(std::string bytes, const std::string& name,
                                                         std::string* error) {
  std::unique_ptr<ElfCoreSource> source(new ElfCoreSource());
  source->name_ = name;
  source->memory_ = std::move(bytes);
  source->file_size_ = source->memory_.size();
  source->data_ = reinterpret_cast<const uint8_t*>(source->memory_.data());
  if (!source->Parse(error)) {
    return nullptr;
  }
  return source;
}

size_t ElfCoreSource::ReadFile(uint64_t offset, void* buffer, size_t size) {
  if (offset >= file_size_ || size == 0) {
    return 0;
  }
  size = static_cast<size_t>(std::min<uint64_t>(size, file_size_ - offset));
  if (data_ != nullptr) {
    memcpy(buffer, data_ + offset, size);
    return size;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t got = pread(fd_, static_cast<char*>(buffer) + done, size - done,
                        static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      break;  // an I/O error, or the file shrank since it was opened
    }
    done += static_cast<size_t>(got);
  }
  return done;
}

void ElfCoreSource::AddProblem(const std::string& text) {
  static_assert(kMaxProblemLines > 0);
  size_t lines = problem_.empty() ? 0 : std::count(problem_.begin(), problem_.end(), '\n') + 1;
  if (lines < kMaxProblemLines) {
    problem_ += (problem_.empty() ? "" : "\n") + text;
  } else if (lines == kMaxProblemLines) {
    problem_ += "\n(further problems not listed)";
  }
}

bool ElfCoreSource::Parse(std::string* error) {
  Elf64_Ehdr header;
  memset(&header, 0, sizeof(header));
  const size_t header_bytes = ReadFile(0, &header, sizeof(header));
  if (header_bytes < SELFMAG || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    *error = fmt::format("{}: not an ELF file (no \\x7fELF magic at the start)", name_);
    return false;
  }
  if (header_bytes < sizeof(header)) {
    *error = fmt::format("{}: truncated ELF header: the file has {} bytes, the header needs {}",
                         name_, file_size_, sizeof(header));
    return false;
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64) {
    *error = fmt::format("{}: not a 64-bit ELF file (class {})", name_, header.e_ident[EI_CLASS]);
    return false;
  }
  if (header.e_ident[EI_DATA] != ELFDATA2LSB) {
    *error = fmt::format("{}: not a little-endian ELF file (data encoding {})", name_,
                         header.e_ident[EI_DATA]);
    return false;
  }
  if (header.e_type != ET_CORE) {
    *error = fmt::format("{}: not a core file: the ELF file is {} (type {})", name_,
                         ElfTypeName(header.e_type), header.e_type);
    return false;
  }
  if (header.e_phentsize != sizeof(Elf64_Phdr)) {
    *error = fmt::format("{}: program header entries of {} bytes, ELF64 has {}", name_,
                         header.e_phentsize, sizeof(Elf64_Phdr));
    return false;
  }
  uint64_t count = header.e_phnum;
  if (count == PN_XNUM) {
    // More than 0xfffe segments: the real count is in sh_info of section header 0.
    Elf64_Shdr section0;
    if (header.e_shoff == 0 ||
        ReadFile(header.e_shoff, &section0, sizeof(section0)) != sizeof(section0)) {
      *error = fmt::format(
          "{}: e_phnum is PN_XNUM but section header 0 (offset 0x{:x}) is not in the file", name_,
          header.e_shoff);
      return false;
    }
    count = section0.sh_info;
  }
  if (count == 0) {
    *error = fmt::format("{}: the core has no program headers", name_);
    return false;
  }
  if (header.e_phoff > file_size_ || count > (file_size_ - header.e_phoff) / sizeof(Elf64_Phdr)) {
    *error = fmt::format(
        "{}: the program header table ({} entries at offset 0x{:x}) runs past the end of the "
        "file ({} bytes)",
        name_, count, header.e_phoff, file_size_);
    return false;
  }
  // Bounded: the table was just checked to lie inside the file.
  std::vector<Elf64_Phdr> table(count);
  if (ReadFile(header.e_phoff, table.data(), count * sizeof(Elf64_Phdr)) !=
      count * sizeof(Elf64_Phdr)) {
    *error = fmt::format("{}: cannot read the program header table: {}", name_, strerror(errno));
    return false;
  }

  // The loads, each checked on its own; |whole| says whether all its data is in the file.
  std::vector<CoreSegment> loads;
  std::vector<bool> whole;
  uint64_t needed = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const Elf64_Phdr& ph = table[i];
    if (ph.p_type == PT_NOTE) {
      ParseNotes(ph.p_offset, ph.p_filesz);
      continue;
    }
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) {
      continue;
    }
    if (ph.p_memsz - 1 > UINT64_MAX - ph.p_vaddr) {
      AddProblem(fmt::format("segment {}: 0x{:x} + 0x{:x} bytes wraps around the address space; "
                             "skipped",
                             i, ph.p_vaddr, ph.p_memsz));
      continue;
    }
    CoreSegment segment{ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags, false};
    if (segment.filesz > segment.memsz) {
      AddProblem(fmt::format("segment {} (0x{:x}): {} bytes in the file but only {} in memory; "
                             "the rest is ignored",
                             i, segment.vaddr, segment.filesz, segment.memsz));
      segment.filesz = segment.memsz;
    }
    if (segment.filesz > UINT64_MAX - segment.offset) {
      AddProblem(fmt::format("segment {} (0x{:x}): file offset 0x{:x} + {} bytes overflows; "
                             "skipped",
                             i, segment.vaddr, segment.offset, segment.filesz));
      continue;
    }
    needed = std::max(needed, segment.offset + segment.filesz);
    loads.push_back(segment);
    whole.push_back(segment.offset + segment.filesz <= file_size_);
  }

  // A truncated core misses a tail of the file, so the segments it cuts are the last ones with
  // data. A segment whose data starts past the end while a later one is whole has a bad offset.
  size_t cut = 0;
  bool later_whole = false;
  for (size_t i = loads.size(); i-- > 0;) {
    if (!whole[i]) {
      if (loads[i].offset >= file_size_ && later_whole) {
        loads[i].corrupt_offset = true;
        AddProblem(fmt::format(
            "segment 0x{:x}-0x{:x}: file offset 0x{:x} is past the end of the file ({} bytes) "
            "although later segments are whole: corrupted program header",
            loads[i].vaddr, loads[i].vaddr + (loads[i].memsz - 1), loads[i].offset, file_size_));
      } else {
        ++cut;
      }
    } else if (loads[i].filesz > 0) {
      later_whole = true;
    }
  }
  if (cut > 0) {
    AddProblem(fmt::format(
        "truncated core: the file has {} bytes, its segments need {}; {} of {} segments are "
        "missing in part or whole",
        file_size_, needed, cut, loads.size()));
  }

  std::sort(loads.begin(), loads.end(),
            [](const CoreSegment& a, const CoreSegment& b) { return a.vaddr < b.vaddr; });
  for (const CoreSegment& segment : loads) {
    if (!segments_.empty()) {
      const CoreSegment& last = segments_.back();
      if (segment.vaddr - last.vaddr < last.memsz) {
        AddProblem(fmt::format("segment 0x{:x} overlaps segment 0x{:x}; skipped", segment.vaddr,
                               last.vaddr));
        continue;
      }
    }
    segments_.push_back(segment);
  }
  if (segments_.empty()) {
    AddProblem("the core has no memory segments (PT_LOAD)");
  }
  return true;
}

void ElfCoreSource::ParseNotes(uint64_t offset, uint64_t size) {
  if (size > kMaxNoteSegmentBytes) {
    AddProblem(fmt::format("note segment at offset 0x{:x}: {} bytes, more than the {} read; "
                           "notes skipped",
                           offset, size, kMaxNoteSegmentBytes));
    return;
  }
  std::vector<uint8_t> notes(static_cast<size_t>(size));
  const size_t got = ReadFile(offset, notes.data(), notes.size());
  if (got < size) {
    AddProblem(fmt::format("note segment at offset 0x{:x}: only {} of its {} bytes are in the "
                           "file (truncated core)",
                           offset, got, size));
    notes.resize(got);
  }
  uint64_t pos = 0;
  while (notes.size() - pos >= 12) {
    const uint64_t name_size = LoadU32(&notes[pos]);
    const uint64_t desc_size = LoadU32(&notes[pos + 4]);
    const uint32_t type = LoadU32(&notes[pos + 8]);
    const uint64_t name_at = pos + 12;
    const uint64_t desc_at = name_at + AlignUp4(name_size);
    const uint64_t end = desc_at + AlignUp4(desc_size);
    if (desc_at > notes.size() || desc_size > notes.size() - desc_at) {
      AddProblem(fmt::format("note at offset 0x{:x}: its sizes (name {}, data {}) run past the "
                             "end of the note segment; later notes skipped",
                             offset + pos, name_size, desc_size));
      return;
    }
    const bool core_note =
        name_size == 5 && memcmp(&notes[name_at], "CORE", 5) == 0;
    if (core_note && type == NT_PRSTATUS) {
      ++thread_count_;
    } else if (core_note && type == NT_FILE) {
      ParseFileNote(&notes[desc_at], desc_size);
    }
    pos = std::min<uint64_t>(end, notes.size());
  }
}

void ElfCoreSource::ParseFileNote(const uint8_t* desc, uint64_t size) {
  // count, page size, count x {start, end, page offset}, then count NUL-terminated paths.
  if (size < 16) {
    AddProblem(fmt::format("NT_FILE note of {} bytes is too short for its header", size));
    return;
  }
  const uint64_t count = LoadU64(desc);
  const uint64_t page_size = LoadU64(desc + 8);
  if (count > (size - 16) / 24) {
    AddProblem(fmt::format("NT_FILE note claims {} mappings, its {} bytes hold at most {}; "
                           "mapped files unknown",
                           count, size, (size - 16) / 24));
    return;
  }
  if (page_size == 0 || (page_size & (page_size - 1)) != 0) {
    AddProblem(fmt::format("NT_FILE note: page size {} is not a power of two; mapped files "
                           "unknown",
                           page_size));
    return;
  }
  const char* names = reinterpret_cast<const char*>(desc + 16 + count * 24);
  const char* names_end = reinterpret_cast<const char*>(desc + size);
  size_t skipped = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const char* nul = std::find(names, names_end, '\0');
    if (nul == names_end) {
      AddProblem(fmt::format("NT_FILE note: only {} of its {} paths are present", i, count));
      break;
    }
    const uint8_t* entry = desc + 16 + i * 24;
    CoreMapping mapping{LoadU64(entry), LoadU64(entry + 8), 0, std::string(names, nul)};
    const uint64_t pages = LoadU64(entry + 16);
    names = nul + 1;
    if (mapping.start >= mapping.end || pages > UINT64_MAX / page_size) {
      ++skipped;
      continue;
    }
    mapping.file_offset = pages * page_size;
    mapped_files_.push_back(std::move(mapping));
  }
  if (skipped > 0) {
    AddProblem(fmt::format("NT_FILE note: {} mappings with an empty range or an impossible file "
                           "offset skipped",
                           skipped));
  }
}

const CoreSegment* ElfCoreSource::FindSegment(uint64_t address) {
  if (last_segment_ < segments_.size()) {
    const CoreSegment& last = segments_[last_segment_];
    if (address >= last.vaddr && address - last.vaddr < last.memsz) {
      return &last;
    }
  }
  // The last segment starting at or below |address|; segments do not overlap.
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), address,
      [](uint64_t value, const CoreSegment& segment) { return value < segment.vaddr; });
  if (it == segments_.begin() || address - std::prev(it)->vaddr >= std::prev(it)->memsz) {
    return nullptr;
  }
  last_segment_ = static_cast<size_t>(std::prev(it) - segments_.begin());
  return &*std::prev(it);
}

ReadResult ElfCoreSource::Read(uint64_t address, void* buffer, size_t size) {
  ReadResult result;
  uint8_t* out = static_cast<uint8_t*>(buffer);
  // The decoder's case, a node inside the dumped part of one segment whose bytes are in memory:
  // one copy. No overflow below: offset + filesz was checked in Parse and the range lies within
  // filesz.
  if (data_ != nullptr && size > 0) {
    const CoreSegment* segment = FindSegment(address);
    if (segment != nullptr && !segment->corrupt_offset) {
      const uint64_t in_segment = address - segment->vaddr;
      if (in_segment < segment->filesz && size <= segment->filesz - in_segment &&
          segment->offset + in_segment + size <= file_size_) {
        memcpy(out, data_ + segment->offset + in_segment, size);
        ++target_reads_;
        bytes_read_ += size;
        result.bytes = size;
        return result;
      }
    }
  }
  // Everything else, piece by piece: across segments, into zero tails, gaps and missing data.
  memset(out, 0, size);
  while (result.bytes < size) {
    const uint64_t cursor = address + result.bytes;
    if (cursor < address) {
      result.error = fmt::format("0x{:x}: the range wraps around the address space", address);
      break;
    }
    const CoreSegment* found = FindSegment(cursor);
    if (found == nullptr) {
      result.error = fmt::format("0x{:x}: not mapped in the core", cursor);
      break;
    }
    const CoreSegment& segment = *found;
    const uint64_t in_segment = cursor - segment.vaddr;
    const uint64_t want = std::min<uint64_t>(size - result.bytes, segment.memsz - in_segment);
    if (in_segment >= segment.filesz) {
      // Not dumped (gcore leaves out untouched pages): reads as zero, already zeroed.
      result.bytes += want;
      continue;
    }
    const uint64_t from_file = std::min<uint64_t>(want, segment.filesz - in_segment);
    const uint64_t file_offset = segment.offset + in_segment;
    size_t got = 0;
    if (segment.corrupt_offset) {
      result.error = fmt::format(
          "0x{:x}: its data would be at file offset 0x{:x}, past the end of the core "
          "(corrupted program header)",
          cursor, file_offset);
      break;
    }
    got = ReadFile(file_offset, out + result.bytes, static_cast<size_t>(from_file));
    ++target_reads_;
    result.bytes += got;
    if (got < from_file) {
      if (file_offset + got >= file_size_) {
        result.error = fmt::format("0x{:x}: beyond the end of the truncated core", cursor + got);
      } else {
        result.error = fmt::format("0x{:x}: short read of {} at offset 0x{:x} (an I/O error, or "
                                   "the file changed since it was opened)",
                                   cursor + got, name_, file_offset + got);
      }
      memset(out + result.bytes, 0, size - result.bytes);
      break;
    }
    result.bytes += want - from_file;  // the zero tail past filesz, when the range reaches it
  }
  bytes_read_ += result.bytes;
  return result;
}

std::vector<MemoryRegion> ElfCoreSource::Regions() const {
  std::vector<MemoryRegion> regions;
  for (const CoreSegment& segment : segments_) {
    if (segment.corrupt_offset || segment.memsz == 0) {
      continue;
    }
    MemoryRegion region{segment.vaddr, segment.vaddr + segment.memsz, (segment.flags & PF_W) != 0,
                        ""};
    for (const CoreMapping& mapping : mapped_files_) {
      if (mapping.start <= segment.vaddr && segment.vaddr < mapping.end) {
        region.name = mapping.path;
        break;
      }
    }
    regions.push_back(std::move(region));
  }
  return regions;
}

std::string ElfCoreSource::Describe() const { return fmt::format("{} (ELF core)", name_); }

}  // namespace vmpl::inspect
