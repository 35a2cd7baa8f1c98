// ElfSymbols: the bounded reading of .symtab and .dynsym, and the load bias of a binary in a core
// or from an auxiliary vector (see elf_symbols.h).

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vmpl/inspect/elf_core_source.h>
#include <vmpl/inspect/elf_symbols.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace vmpl::inspect {

namespace {

// Owns a read-only file descriptor and reads checked ranges of it.
class ElfFile {
 public:
  ElfFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~ElfFile() { close(fd_); }
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  uint64_t size() const { return size_; }

  // True if [offset, offset + bytes) lies inside the file.
  bool Contains(uint64_t offset, uint64_t bytes) const {
    return offset <= size_ && bytes <= size_ - offset;
  }

  // Reads exactly |bytes| at |offset|; false if the range is not in the file or reading fails.
  bool ReadAt(uint64_t offset, void* buffer, uint64_t bytes) const {
    if (!Contains(offset, bytes)) {
      return false;
    }
    uint64_t done = 0;
    while (done < bytes) {
      ssize_t got = pread(fd_, static_cast<char*>(buffer) + done, bytes - done,
                          static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got <= 0) {
        return false;
      }
      done += static_cast<uint64_t>(got);
    }
    return true;
  }

 private:
  int fd_;
  uint64_t size_;
};

// The link-time address of the program header table: PT_PHDR's p_vaddr, or else the address of
// e_phoff inside the PT_LOAD segment whose file range holds it. Nullopt if the table cannot be
// read or no loaded segment holds it (the kernel then passes no usable AT_PHDR either).
std::optional<uint64_t> ProgramHeaderAddress(const ElfFile& file, const Elf64_Ehdr& header) {
  if (header.e_phoff == 0 || header.e_phnum == 0 || header.e_phnum == PN_XNUM ||
      header.e_phentsize != sizeof(Elf64_Phdr) ||
      !file.Contains(header.e_phoff, uint64_t{header.e_phnum} * sizeof(Elf64_Phdr))) {
    return std::nullopt;
  }
  std::vector<Elf64_Phdr> segments(header.e_phnum);  // at most 65534, and checked above
  if (!file.ReadAt(header.e_phoff, segments.data(), segments.size() * sizeof(Elf64_Phdr))) {
    return std::nullopt;
  }
  for (const Elf64_Phdr& segment : segments) {
    if (segment.p_type == PT_PHDR) {
      return segment.p_vaddr;
    }
  }
  for (const Elf64_Phdr& segment : segments) {
    if (segment.p_type == PT_LOAD && segment.p_offset <= header.e_phoff &&
        header.e_phoff - segment.p_offset < segment.p_filesz) {
      return segment.p_vaddr + (header.e_phoff - segment.p_offset);
    }
  }
  return std::nullopt;
}

}  // namespace

std::unique_ptr<ElfSymbols> ElfSymbols::Open(const std::string& path, std::string* error) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = fmt::format("{}: cannot open: {}", path, strerror(errno));
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    *error = fmt::format("{}: not a regular file", path);
    return nullptr;
  }
  const ElfFile file(fd, static_cast<uint64_t>(st.st_size));

  Elf64_Ehdr header;
  if (!file.ReadAt(0, &header, sizeof(header)) || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    *error = fmt::format("{}: not an ELF file", path);
    return nullptr;
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB) {
    *error = fmt::format("{}: not a 64-bit little-endian ELF file", path);
    return nullptr;
  }
  if (header.e_type != ET_EXEC && header.e_type != ET_DYN) {
    *error = fmt::format("{}: not an executable or shared object (ELF type {})", path,
                         header.e_type);
    return nullptr;
  }
  std::unique_ptr<ElfSymbols> symbols(new ElfSymbols());
  symbols->is_pie_ = header.e_type == ET_DYN;
  symbols->entry_ = header.e_entry;
  symbols->phdr_address_ = ProgramHeaderAddress(file, header);
  if (header.e_shoff == 0) {
    return symbols;  // no section headers: no symbols to find, not an error
  }
  if (header.e_shentsize != sizeof(Elf64_Shdr)) {
    *error = fmt::format("{}: section header entries of {} bytes, ELF64 has {}", path,
                         header.e_shentsize, sizeof(Elf64_Shdr));
    return nullptr;
  }
  uint64_t count = header.e_shnum;
  if (count == 0) {
    // SHN_LORESERVE or more sections: the count is in sh_size of section header 0.
    Elf64_Shdr section0;
    if (!file.ReadAt(header.e_shoff, &section0, sizeof(section0))) {
      *error = fmt::format("{}: section header 0 (offset 0x{:x}) is not in the file", path,
                           header.e_shoff);
      return nullptr;
    }
    count = section0.sh_size;
  }
  if (header.e_shoff > file.size() || count > (file.size() - header.e_shoff) / sizeof(Elf64_Shdr)) {
    *error = fmt::format(
        "{}: the section header table ({} entries at offset 0x{:x}) runs past the end of the file "
        "({} bytes)",
        path, count, header.e_shoff, file.size());
    return nullptr;
  }
  std::vector<Elf64_Shdr> sections(count);  // bounded by the file size, checked above
  if (!file.ReadAt(header.e_shoff, sections.data(), count * sizeof(Elf64_Shdr))) {
    *error = fmt::format("{}: cannot read the section headers", path);
    return nullptr;
  }

  // .symtab before .dynsym, so that the full table wins where both name a symbol.
  for (const uint32_t wanted : {SHT_SYMTAB, SHT_DYNSYM}) {
    for (uint64_t i = 0; i < count; ++i) {
      const Elf64_Shdr& table = sections[i];
      if (table.sh_type != wanted) {
        continue;
      }
      const char* kind = wanted == SHT_SYMTAB ? ".symtab" : ".dynsym";
      if (table.sh_entsize != sizeof(Elf64_Sym) || table.sh_link >= count ||
          !file.Contains(table.sh_offset, table.sh_size)) {
        symbols->problem_ += fmt::format("{}{}: {} (section {}) is damaged; skipped",
                                         symbols->problem_.empty() ? "" : "\n", path, kind, i);
        continue;
      }
      const Elf64_Shdr& strings_header = sections[table.sh_link];
      if (!file.Contains(strings_header.sh_offset, strings_header.sh_size)) {
        symbols->problem_ += fmt::format("{}{}: the string table of {} is not in the file",
                                         symbols->problem_.empty() ? "" : "\n", path, kind);
        continue;
      }
      std::vector<Elf64_Sym> entries(table.sh_size / sizeof(Elf64_Sym));
      std::string strings(strings_header.sh_size, '\0');
      if (!file.ReadAt(table.sh_offset, entries.data(), entries.size() * sizeof(Elf64_Sym)) ||
          !file.ReadAt(strings_header.sh_offset, strings.data(), strings.size())) {
        symbols->problem_ += fmt::format("{}{}: cannot read {}",
                                         symbols->problem_.empty() ? "" : "\n", path, kind);
        continue;
      }
      for (const Elf64_Sym& entry : entries) {
        if (entry.st_shndx == SHN_UNDEF || entry.st_name == 0 || entry.st_name >= strings.size()) {
          continue;
        }
        const size_t end = strings.find('\0', entry.st_name);
        if (end == std::string::npos) {
          continue;  // a name running off the end of the string table
        }
        symbols->symbols_.emplace(strings.substr(entry.st_name, end - entry.st_name),
                                  entry.st_value);
      }
    }
  }
  return symbols;
}

std::optional<uint64_t> ElfSymbols::Find(std::string_view name) const {
  auto it = symbols_.find(std::string(name));
  if (it == symbols_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<uint64_t> LoadBiasFromCore(const ElfCoreSource& core,
                                         const std::string& binary_path) {
  const std::string basename = std::filesystem::path(binary_path).filename().string();
  std::optional<uint64_t> exact;
  std::optional<uint64_t> by_basename;
  for (const CoreMapping& mapping : core.mapped_files()) {
    if (mapping.file_offset != 0) {
      continue;
    }
    if (mapping.path == binary_path) {
      exact = std::min(exact.value_or(UINT64_MAX), mapping.start);
    } else if (!basename.empty() &&
               std::filesystem::path(mapping.path).filename().string() == basename) {
      by_basename = std::min(by_basename.value_or(UINT64_MAX), mapping.start);
    }
  }
  return exact ? exact : by_basename;
}

std::optional<uint64_t> LoadBiasFromAuxv(std::string_view auxv, const ElfSymbols& binary,
                                         std::string* error) {
  auto fail = [&](std::string message) -> std::optional<uint64_t> {
    if (error != nullptr) {
      *error = std::move(message);
    }
    return std::nullopt;
  };
  if (!binary.is_pie()) {
    return 0;
  }
  std::optional<uint64_t> entry;
  std::optional<uint64_t> phdr;
  // Entries are read until AT_NULL or the end; a trailing partial entry is ignored.
  for (size_t at = 0; at + 16 <= auxv.size(); at += 16) {
    uint64_t type, value;
    memcpy(&type, auxv.data() + at, 8);
    memcpy(&value, auxv.data() + at + 8, 8);
    if (type == AT_NULL) {
      break;
    }
    if (type == AT_ENTRY) {
      entry = value;
    } else if (type == AT_PHDR) {
      phdr = value;
    }
  }
  if (!entry) {
    return fail(fmt::format("the auxiliary vector ({} bytes) has no AT_ENTRY", auxv.size()));
  }
  const uint64_t bias = *entry - binary.entry();
  // Every kernel we read maps a PIE at a page boundary (4 KiB, the smallest page size).
  if (bias % 4096 != 0) {
    return fail(
        fmt::format("AT_ENTRY {:#x} and the binary's entry point {:#x} give a load bias "
                    "{:#x} that is not page-aligned: the auxiliary vector describes "
                    "another program",
                    *entry, binary.entry(), bias));
  }
  if (phdr && binary.phdr_address() && *phdr - *binary.phdr_address() != bias) {
    return fail(
        fmt::format("AT_ENTRY gives a load bias {:#x}, AT_PHDR {:#x} gives {:#x}: the "
                    "auxiliary vector describes another program",
                    bias, *phdr, *phdr - *binary.phdr_address()));
  }
  return bias;
}

}  // namespace vmpl::inspect
