// Tests of ElfCoreSource and ElfSymbols (<vmpl/inspect/elf_core_source.h>, elf_symbols.h).
//
// The main test dumps a real process with real gcore: a forked child fills a global of this
// binary and an anonymous mapping with known bytes, reports their addresses and waits while gdb
// writes its core. The core is read back (bytes, NT_FILE, threads), the global is found again
// through this binary's symbol table plus the load bias the core gives, and the core is then
// damaged in the ways a reader meets: cut at several points, a program header pointing past the
// end, absurd counts, files that are not cores. Small hand-made cores cover the edges gcore does
// not produce on demand (zero tails past filesz, reads across segments, a broken NT_FILE).

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vmpl/inspect/elf_core_source.h>
#include <vmpl/inspect/elf_symbols.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

// The global the child fills and the test finds again by name. extern "C" keeps the name plain in
// .symtab; "used" keeps it although nothing else reads it.
extern "C" {
__attribute__((used)) volatile uint8_t vmpl_core_test_global[3 * 4096 + 123];
}

namespace vmpl::inspect {
namespace {

using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;

constexpr size_t kMappingSize = 5 * 4096;

uint8_t GlobalByte(size_t i) { return static_cast<uint8_t>(i * 7 + 1); }
uint8_t MappingByte(size_t i) { return static_cast<uint8_t>((i * 13) ^ (i >> 8) ^ 0x5a); }

// What the child reports through the pipe.
struct ChildAddresses {
  uint64_t global = 0;
  uint64_t mapping = 0;
};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(std::filesystem::file_size(path), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

void WriteWholeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Keeps gcore from writing the large reservations of a sanitizer's runtime (ASan's shadow and
// allocator space run to terabytes): every mapping of 16 MiB or more that holds none of
// |keep| is marked MADV_DONTDUMP, which gdb honours as the kernel does. Runs in the forked child,
// so it reads /proc/self/maps with plain system calls into a static buffer.
void ExcludeLargeMappingsFromCores(const std::vector<uint64_t>& keep) {
  static char maps[1 << 20];
  const int fd = open("/proc/self/maps", O_RDONLY);
  if (fd < 0) {
    return;
  }
  size_t length = 0;
  for (ssize_t got; length < sizeof(maps) - 1 &&
                    (got = read(fd, maps + length, sizeof(maps) - 1 - length)) > 0;) {
    length += static_cast<size_t>(got);
  }
  close(fd);
  maps[length] = '\0';
  for (char* line = maps; *line != '\0';) {
    char* end = nullptr;
    const uint64_t start = strtoull(line, &end, 16);
    const uint64_t stop = (end != nullptr && *end == '-') ? strtoull(end + 1, nullptr, 16) : 0;
    const bool kept = std::any_of(keep.begin(), keep.end(), [&](uint64_t address) {
      return address >= start && address < stop;
    });
    if (stop > start && stop - start >= (uint64_t{16} << 20) && !kept) {
      madvise(reinterpret_cast<void*>(start), stop - start, MADV_DONTDUMP);
    }
    char* next = strchr(line, '\n');
    if (next == nullptr) {
      break;
    }
    line = next + 1;
  }
}

// Runs `gcore -o PREFIX PID`, quietly; returns the exit status (or -1 if it could not run).
int RunGcore(const std::string& prefix, pid_t pid) {
  const pid_t gcore = fork();
  if (gcore == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    const std::string pid_text = std::to_string(pid);
    execlp("gcore", "gcore", "-o", prefix.c_str(), pid_text.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (gcore < 0 || waitpid(gcore, &status, 0) != gcore) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One real core, made once for all tests of the suite.
class GcoreTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/vmpl_core_test.XXXXXX";
    std::string dir_template = std::filesystem::temp_directory_path().string() + pattern;
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
    dir_ = new std::string(dir_template);
    exe_ = new std::string(std::filesystem::read_symlink("/proc/self/exe").string());

    int report[2];
    int release[2];
    ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(release, O_CLOEXEC), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(report[0]);
      close(release[1]);
      for (size_t i = 0; i < sizeof(vmpl_core_test_global); ++i) {
        vmpl_core_test_global[i] = GlobalByte(i);
      }
      // A mapping with a hole right after it, so that a read past its end is a read of nothing.
      void* mapping = mmap(nullptr, kMappingSize + 4096, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mapping == MAP_FAILED) {
        _exit(1);
      }
      munmap(static_cast<uint8_t*>(mapping) + kMappingSize, 4096);
      ExcludeLargeMappingsFromCores({reinterpret_cast<uintptr_t>(&vmpl_core_test_global[0]),
                                     reinterpret_cast<uintptr_t>(mapping)});
      for (size_t i = 0; i < kMappingSize; ++i) {
        static_cast<uint8_t*>(mapping)[i] = MappingByte(i);
      }
      ChildAddresses addresses{reinterpret_cast<uintptr_t>(&vmpl_core_test_global[0]),
                               reinterpret_cast<uintptr_t>(mapping)};
      if (write(report[1], &addresses, sizeof(addresses)) != sizeof(addresses)) {
        _exit(1);
      }
      char byte;
      while (read(release[0], &byte, 1) < 0) {
      }
      _exit(0);
    }
    close(report[1]);
    close(release[0]);
    addresses_ = new ChildAddresses();
    const bool reported = read(report[0], addresses_, sizeof(*addresses_)) ==
                          static_cast<ssize_t>(sizeof(*addresses_));
    close(report[0]);
    const int gcore_status = reported ? RunGcore(*dir_ + "/core", child) : -1;
    close(release[1]);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(reported) << "the child did not report its addresses";
    ASSERT_EQ(gcore_status, 0) << "gcore failed (is gdb installed?)";
    core_path_ = new std::string(*dir_ + "/core." + std::to_string(child));
    ASSERT_TRUE(std::filesystem::exists(*core_path_));
  }

  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      std::filesystem::remove_all(*dir_);
    }
    delete dir_;
    delete exe_;
    delete core_path_;
    delete addresses_;
  }

  void SetUp() override {
    ASSERT_NE(core_path_, nullptr) << "no core: see the first failure";
  }

  static std::unique_ptr<ElfCoreSource> OpenCore() {
    std::string error;
    std::unique_ptr<ElfCoreSource> core = ElfCoreSource::Open(*core_path_, &error);
    EXPECT_NE(core, nullptr) << error;
    return core;
  }

  // The segment holding |address| in |core|.
  static const CoreSegment* SegmentOf(const ElfCoreSource& core, uint64_t address) {
    for (const CoreSegment& segment : core.segments()) {
      if (address >= segment.vaddr && address - segment.vaddr < segment.memsz) {
        return &segment;
      }
    }
    return nullptr;
  }

  static std::string* dir_;
  static std::string* exe_;
  static std::string* core_path_;
  static ChildAddresses* addresses_;
};

std::string* GcoreTest::dir_ = nullptr;
std::string* GcoreTest::exe_ = nullptr;
std::string* GcoreTest::core_path_ = nullptr;
ChildAddresses* GcoreTest::addresses_ = nullptr;

TEST_F(GcoreTest, ReadsTheChildsBytes) {
  std::unique_ptr<ElfCoreSource> core = OpenCore();
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->problem(), "");
  EXPECT_THAT(core->Describe(), HasSubstr("(ELF core)"));
  EXPECT_GE(core->thread_count(), 1u);

  std::vector<uint8_t> global(sizeof(vmpl_core_test_global));
  ReadResult result = core->Read(addresses_->global, global.data(), global.size());
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.bytes, global.size());
  for (size_t i = 0; i < global.size(); ++i) {
    ASSERT_EQ(global[i], GlobalByte(i)) << "global byte " << i;
  }

  std::vector<uint8_t> mapping(kMappingSize);
  result = core->Read(addresses_->mapping, mapping.data(), mapping.size());
  ASSERT_TRUE(result.ok()) << result.error;
  for (size_t i = 0; i < mapping.size(); ++i) {
    ASSERT_EQ(mapping[i], MappingByte(i)) << "mapping byte " << i;
  }
  EXPECT_GE(core->bytes_read(), global.size() + mapping.size());
  EXPECT_GE(core->target_reads(), 2u);

  // A batch reads the same bytes as single reads, from an odd offset.
  uint8_t a[17];
  uint8_t b[33];
  std::vector<ReadResult> batch =
      core->ReadMany({{addresses_->global + 4095, a, sizeof(a)},
                      {addresses_->mapping + 3 * 4096 - 5, b, sizeof(b)}});
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_TRUE(batch[0].ok() && batch[1].ok());
  EXPECT_EQ(a[0], GlobalByte(4095));
  EXPECT_EQ(a[16], GlobalByte(4095 + 16));
  EXPECT_EQ(b[32], MappingByte(3 * 4096 - 5 + 32));
}

TEST_F(GcoreTest, ReadsOfUnmappedMemoryFailWithTheAddress) {
  std::unique_ptr<ElfCoreSource> core = OpenCore();
  ASSERT_NE(core, nullptr);
  uint8_t buffer[64];
  memset(buffer, 0xee, sizeof(buffer));
  ReadResult result = core->Read(0x10, buffer, sizeof(buffer));
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(result.error, "0x10: not mapped in the core");
  EXPECT_EQ(buffer[0], 0);
  EXPECT_EQ(buffer[63], 0);

  // Across the end of the child's mapping, into the page it unmapped: the prefix, then why not.
  const uint64_t end = addresses_->mapping + kMappingSize;
  ASSERT_EQ(SegmentOf(*core, end), nullptr) << "something was mapped into the hole";
  memset(buffer, 0xee, sizeof(buffer));
  result = core->Read(end - 16, buffer, sizeof(buffer));
  EXPECT_EQ(result.bytes, 16u);
  EXPECT_EQ(result.error, fmt::format("0x{:x}: not mapped in the core", end));
  EXPECT_EQ(buffer[15], MappingByte(kMappingSize - 1));
  EXPECT_EQ(buffer[16], 0);
  EXPECT_EQ(buffer[63], 0);
}

TEST_F(GcoreTest, MappedFilesListThisBinary) {
  std::unique_ptr<ElfCoreSource> core = OpenCore();
  ASSERT_NE(core, nullptr);
  bool found = false;
  for (const CoreMapping& mapping : core->mapped_files()) {
    EXPECT_LT(mapping.start, mapping.end);
    found = found || (mapping.path == *exe_ && mapping.file_offset == 0);
  }
  EXPECT_TRUE(found) << *exe_ << " is not among the " << core->mapped_files().size()
                     << " mapped files";
}

TEST_F(GcoreTest, SymbolPlusLoadBiasIsTheAddressTheChildReported) {
  std::unique_ptr<ElfCoreSource> core = OpenCore();
  ASSERT_NE(core, nullptr);
  std::string error;
  std::unique_ptr<ElfSymbols> symbols = ElfSymbols::Open(*exe_, &error);
  ASSERT_NE(symbols, nullptr) << error;
  EXPECT_GT(symbols->symbol_count(), 0u);
  const std::optional<uint64_t> value = symbols->Find("vmpl_core_test_global");
  ASSERT_TRUE(value.has_value());
  EXPECT_FALSE(symbols->Find("vmpl_no_such_symbol_anywhere").has_value());

  const std::optional<uint64_t> bias = LoadBiasFromCore(*core, *exe_);
  ASSERT_TRUE(bias.has_value());
  EXPECT_EQ(*value + (symbols->is_pie() ? *bias : 0), addresses_->global);

  // The binary moved since the core was taken: found by its basename.
  const std::string moved =
      "/elsewhere/" + std::filesystem::path(*exe_).filename().string();
  EXPECT_EQ(LoadBiasFromCore(*core, moved), bias);
  EXPECT_FALSE(LoadBiasFromCore(*core, "/no/such/binary-here").has_value());
}

TEST_F(GcoreTest, TruncatedCoresKeepWhatIsThere) {
  const std::string bytes = ReadWholeFile(*core_path_);
  std::unique_ptr<ElfCoreSource> whole = OpenCore();
  ASSERT_NE(whole, nullptr);
  const CoreSegment* segment = SegmentOf(*whole, addresses_->global);
  ASSERT_NE(segment, nullptr);
  const uint64_t global_offset = segment->offset + (addresses_->global - segment->vaddr);
  ASSERT_LT(global_offset + 100, bytes.size());

  std::string error;
  EXPECT_EQ(ElfCoreSource::FromMemory(bytes.substr(0, 0), "cut", &error), nullptr);
  EXPECT_EQ(error, "cut: not an ELF file (no \\x7fELF magic at the start)");
  EXPECT_EQ(ElfCoreSource::FromMemory(bytes.substr(0, 40), "cut", &error), nullptr);
  EXPECT_EQ(error, "cut: truncated ELF header: the file has 40 bytes, the header needs 64");
  EXPECT_EQ(ElfCoreSource::FromMemory(bytes.substr(0, 64 + 56 * 2 + 3), "cut", &error), nullptr);
  EXPECT_THAT(error, HasSubstr("runs past the end of the file (179 bytes)"));

  // Cut in the middle of the global: its first 100 bytes are there, then the core ends. Written
  // to a file, so that the pread path sees the short file too.
  const std::string cut_path = *dir_ + "/cut-core";
  WriteWholeFile(cut_path, bytes.substr(0, global_offset + 100));
  std::unique_ptr<ElfCoreSource> cut = ElfCoreSource::Open(cut_path, &error);
  ASSERT_NE(cut, nullptr) << error;
  EXPECT_THAT(cut->problem(), HasSubstr("truncated core: the file has "));
  std::vector<uint8_t> global(sizeof(vmpl_core_test_global), 0xee);
  ReadResult result = cut->Read(addresses_->global, global.data(), global.size());
  EXPECT_EQ(result.bytes, 100u);
  EXPECT_EQ(result.error,
            fmt::format("0x{:x}: beyond the end of the truncated core", addresses_->global + 100));
  EXPECT_EQ(global[99], GlobalByte(99));
  EXPECT_EQ(global[100], 0);
  EXPECT_EQ(global.back(), 0);

  // Cut anywhere: never a crash, and a read either works or says why.
  for (size_t length = 0; length <= bytes.size(); length += bytes.size() / 23 + 1) {
    std::unique_ptr<ElfCoreSource> core =
        ElfCoreSource::FromMemory(bytes.substr(0, length), "cut", &error);
    if (core == nullptr) {
      EXPECT_FALSE(error.empty());
      continue;
    }
    result = core->Read(addresses_->global, global.data(), global.size());
    EXPECT_EQ(result.ok(), result.bytes == global.size()) << result.error;
    if (length < bytes.size() && length > 4096) {
      EXPECT_NE(core->problem(), "") << "cut at " << length;
    }
  }
}

// The program header table of |bytes|, for patching.
Elf64_Phdr* ProgramHeaders(std::string& bytes) {
  Elf64_Ehdr* header = reinterpret_cast<Elf64_Ehdr*>(bytes.data());
  return reinterpret_cast<Elf64_Phdr*>(bytes.data() + header->e_phoff);
}

TEST_F(GcoreTest, CorruptedProgramHeaders) {
  const std::string original = ReadWholeFile(*core_path_);
  std::string error;

  // The global's segment points far past the end of the file; later segments are whole.
  std::string bytes = original;
  Elf64_Ehdr header;
  memcpy(&header, bytes.data(), sizeof(header));
  size_t index = header.e_phnum;
  for (size_t i = 0; i < header.e_phnum; ++i) {
    const Elf64_Phdr& ph = ProgramHeaders(bytes)[i];
    if (ph.p_type == PT_LOAD && addresses_->global >= ph.p_vaddr &&
        addresses_->global - ph.p_vaddr < ph.p_memsz) {
      index = i;
    }
  }
  ASSERT_LT(index + 1, header.e_phnum) << "the global's segment is the last one";
  ProgramHeaders(bytes)[index].p_offset = uint64_t{1} << 40;
  std::unique_ptr<ElfCoreSource> core = ElfCoreSource::FromMemory(bytes, "bad-offset", &error);
  ASSERT_NE(core, nullptr) << error;
  EXPECT_THAT(core->problem(), HasSubstr("corrupted program header"));
  EXPECT_THAT(core->problem(), Not(HasSubstr("truncated core")));
  uint8_t buffer[16];
  ReadResult result = core->Read(addresses_->global, buffer, sizeof(buffer));
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_THAT(result.error, StartsWith(fmt::format("0x{:x}: ", addresses_->global)));
  EXPECT_THAT(result.error, HasSubstr("corrupted program header"));
  // The rest of memory is still readable.
  result = core->Read(addresses_->mapping, buffer, sizeof(buffer));
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(buffer[15], MappingByte(15));

  // A segment wrapping around the address space is skipped, the others stay.
  bytes = original;
  ProgramHeaders(bytes)[index].p_memsz = UINT64_MAX - 5;
  core = ElfCoreSource::FromMemory(bytes, "wrap", &error);
  ASSERT_NE(core, nullptr) << error;
  EXPECT_THAT(core->problem(), HasSubstr("wraps around the address space; skipped"));
  EXPECT_TRUE(core->Read(addresses_->mapping, buffer, sizeof(buffer)).ok());

  // Huge counts: PN_XNUM with the real count, 2^32 - 1, in section header 0 (appended).
  bytes = original;
  Elf64_Shdr section0 = {};
  section0.sh_info = UINT32_MAX;
  reinterpret_cast<Elf64_Ehdr*>(bytes.data())->e_phnum = PN_XNUM;
  reinterpret_cast<Elf64_Ehdr*>(bytes.data())->e_shoff = bytes.size();
  bytes.append(reinterpret_cast<const char*>(&section0), sizeof(section0));
  EXPECT_EQ(ElfCoreSource::FromMemory(bytes, "count", &error), nullptr);
  EXPECT_THAT(error, HasSubstr("the program header table (4294967295 entries at offset 0x40) "
                               "runs past the end of the file"));
  reinterpret_cast<Elf64_Ehdr*>(bytes.data())->e_phnum = PN_XNUM;
  reinterpret_cast<Elf64_Ehdr*>(bytes.data())->e_shoff = uint64_t{1} << 50;
  EXPECT_EQ(ElfCoreSource::FromMemory(bytes, "xnum", &error), nullptr);
  EXPECT_THAT(error, HasSubstr("e_phnum is PN_XNUM but section header 0"));
  bytes = original;
  reinterpret_cast<Elf64_Ehdr*>(bytes.data())->e_phoff = UINT64_MAX - 8;
  EXPECT_EQ(ElfCoreSource::FromMemory(bytes, "phoff", &error), nullptr);
  EXPECT_THAT(error, HasSubstr("runs past the end of the file"));
}

TEST_F(GcoreTest, FilesThatAreNotCores) {
  std::string error;
  EXPECT_EQ(ElfCoreSource::Open(*exe_, &error), nullptr);
  // "a shared object or PIE executable (type 3)" or, in a build without PIE, "an executable".
  EXPECT_THAT(error, StartsWith(*exe_ + ": not a core file: the ELF file is "));

  const std::string text = *dir_ + "/text";
  WriteWholeFile(text, "this is not an ELF file at all\n");
  EXPECT_EQ(ElfCoreSource::Open(text, &error), nullptr);
  EXPECT_EQ(error, text + ": not an ELF file (no \\x7fELF magic at the start)");
  EXPECT_EQ(ElfSymbols::Open(text, &error), nullptr);
  EXPECT_EQ(error, text + ": not an ELF file");

  EXPECT_EQ(ElfCoreSource::Open(*dir_ + "/missing", &error), nullptr);
  EXPECT_THAT(error, HasSubstr("missing: cannot open: No such file or directory"));
  EXPECT_EQ(ElfCoreSource::Open(*dir_, &error), nullptr);
  EXPECT_EQ(error, *dir_ + ": not a regular file");

  // A core is not a binary with symbols.
  EXPECT_EQ(ElfSymbols::Open(*core_path_, &error), nullptr);
  EXPECT_EQ(error, *core_path_ + ": not an executable or shared object (ELF type 4)");
}

// ------------------------------------------------------------------------------------------------
// Hand-made cores.

struct TestSegment {
  uint64_t vaddr;
  uint64_t memsz;
  std::string data;  // filesz bytes
};

// NT_FILE descriptor: {count, page size, entries, paths}.
std::string FileNote(const std::vector<CoreMapping>& files, uint64_t page_size) {
  std::string desc;
  auto put = [&desc](uint64_t value) { desc.append(reinterpret_cast<char*>(&value), 8); };
  put(files.size());
  put(page_size);
  for (const CoreMapping& file : files) {
    put(file.start);
    put(file.end);
    put(file.file_offset / page_size);
  }
  for (const CoreMapping& file : files) {
    desc += file.path;
    desc += '\0';
  }
  return desc;
}

std::string Note(uint32_t type, const std::string& desc) {
  std::string note;
  auto put = [&note](uint32_t value) { note.append(reinterpret_cast<char*>(&value), 4); };
  put(5);
  put(static_cast<uint32_t>(desc.size()));
  put(type);
  note.append("CORE\0\0\0\0", 8);
  note += desc;
  note.resize((note.size() + 3) & ~size_t{3}, '\0');
  return note;
}

std::string BuildCore(const std::vector<TestSegment>& segments, const std::string& notes) {
  const size_t count = segments.size() + 1;
  Elf64_Ehdr header = {};
  memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_CORE;
  header.e_machine = EM_X86_64;
  header.e_version = EV_CURRENT;
  header.e_phoff = sizeof(header);
  header.e_ehsize = sizeof(header);
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phnum = static_cast<uint16_t>(count);
  std::vector<Elf64_Phdr> table(count);
  uint64_t offset = sizeof(header) + count * sizeof(Elf64_Phdr);
  table[0] = {PT_NOTE, 0, offset, 0, 0, notes.size(), 0, 4};
  offset += notes.size();
  std::string data;
  for (size_t i = 0; i < segments.size(); ++i) {
    table[i + 1] = {PT_LOAD, PF_R | PF_W, offset, segments[i].vaddr, 0, segments[i].data.size(),
                    segments[i].memsz, 4096};
    offset += segments[i].data.size();
    data += segments[i].data;
  }
  std::string bytes(reinterpret_cast<char*>(&header), sizeof(header));
  bytes.append(reinterpret_cast<char*>(table.data()), count * sizeof(Elf64_Phdr));
  return bytes + notes + data;
}

TEST(HandMadeCoreTest, ZeroTailsAdjacentSegmentsAndNotes) {
  const std::vector<CoreMapping> files = {{0x400000, 0x402000, 0, "/bin/prog"},
                                          {0x402000, 0x403000, 0x2000, "/bin/prog"},
                                          {0x7000000, 0x7001000, 0, "/lib/libc.so.6"}};
  const std::string notes = Note(NT_PRSTATUS, std::string(336, '\0')) +
                            Note(NT_PRSTATUS, std::string(336, '\0')) +
                            Note(NT_FILE, FileNote(files, 4096));
  // 0x1000..0x1010 from the file then zeros to 0x2000, then 0x2000..0x2008 adjacent, gap, 0x9000.
  const std::string core_bytes = BuildCore({{0x1000, 0x1000, "ABCDEFGHIJKLMNOP"},
                                            {0x2000, 8, "qrstuvwx"},
                                            {0x9000, 4, "wxyz"}},
                                           notes);
  std::string error;
  std::unique_ptr<ElfCoreSource> core = ElfCoreSource::FromMemory(core_bytes, "hand", &error);
  ASSERT_NE(core, nullptr) << error;
  EXPECT_EQ(core->problem(), "");
  EXPECT_EQ(core->thread_count(), 2u);
  ASSERT_EQ(core->mapped_files().size(), 3u);
  EXPECT_EQ(core->mapped_files()[1].file_offset, 0x2000u);
  EXPECT_EQ(core->mapped_files()[2].path, "/lib/libc.so.6");
  EXPECT_EQ(LoadBiasFromCore(*core, "/bin/prog"), 0x400000u);
  EXPECT_EQ(LoadBiasFromCore(*core, "/usr/lib/libc.so.6"), 0x7000000u);

  // Across the dumped part, the zero tail and into the adjacent segment, to its very end.
  std::string buffer(0x1000, 'X');
  ReadResult result = core->Read(0x1008, buffer.data(), buffer.size());
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.bytes, buffer.size());
  EXPECT_EQ(buffer, "IJKLMNOP" + std::string(0xff0, '\0') + "qrstuvwx");

  // One byte on is the gap.
  buffer.assign(8, 'X');
  result = core->Read(0x2004, buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 4u);
  EXPECT_EQ(result.error, "0x2008: not mapped in the core");
  EXPECT_EQ(buffer, std::string("uvwx") + std::string(4, '\0'));
  buffer.assign(4, 'X');
  EXPECT_TRUE(core->Read(0x9000, buffer.data(), buffer.size()).ok());
  EXPECT_EQ(buffer, "wxyz");
  EXPECT_TRUE(core->Read(0x9004, buffer.data(), 0).ok());

  // Wrapping around the top of the address space.
  result = core->Read(UINT64_MAX - 1, buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(result.error, "0xfffffffffffffffe: not mapped in the core");
}

TEST(HandMadeCoreTest, BrokenNotesAreReportedAndSkipped) {
  const std::vector<CoreMapping> files = {{0x400000, 0x402000, 0, "/bin/prog"},
                                          {0x500000, 0x501000, 0, "/bin/other"}};
  const TestSegment segment{0x1000, 4, "abcd"};
  std::string error;

  // NT_FILE claiming more mappings than it holds.
  std::string desc = FileNote(files, 4096);
  const uint64_t huge = uint64_t{1} << 60;
  memcpy(desc.data(), &huge, sizeof(huge));
  std::unique_ptr<ElfCoreSource> core =
      ElfCoreSource::FromMemory(BuildCore({segment}, Note(NT_FILE, desc)), "count", &error);
  ASSERT_NE(core, nullptr) << error;
  EXPECT_THAT(core->problem(), HasSubstr("NT_FILE note claims 1152921504606846976 mappings"));
  EXPECT_TRUE(core->mapped_files().empty());

  // Paths cut short: the mappings that have one are kept.
  desc = FileNote(files, 4096);
  desc.resize(desc.size() - 3);
  core = ElfCoreSource::FromMemory(BuildCore({segment}, Note(NT_FILE, desc)), "paths", &error);
  ASSERT_NE(core, nullptr) << error;
  EXPECT_THAT(core->problem(), HasSubstr("NT_FILE note: only 1 of its 2 paths are present"));
  ASSERT_EQ(core->mapped_files().size(), 1u);
  EXPECT_EQ(core->mapped_files()[0].path, "/bin/prog");

  // A page size that is no page size.
  core = ElfCoreSource::FromMemory(BuildCore({segment}, Note(NT_FILE, FileNote(files, 3000))),
                                   "page", &error);
  ASSERT_NE(core, nullptr) << error;
  EXPECT_THAT(core->problem(), HasSubstr("page size 3000 is not a power of two"));

  // A note whose size runs past its segment: the notes before it count.
  std::string notes = Note(NT_PRSTATUS, std::string(16, '\0')) + Note(NT_PRSTATUS, "");
  const uint32_t lie = 1000;
  memcpy(notes.data() + Note(NT_PRSTATUS, std::string(16, '\0')).size() + 4, &lie, sizeof(lie));
  core = ElfCoreSource::FromMemory(BuildCore({segment}, notes), "note", &error);
  ASSERT_NE(core, nullptr) << error;
  EXPECT_EQ(core->thread_count(), 1u);
  EXPECT_THAT(core->problem(), HasSubstr("run past the end of the note segment"));
  char buffer[4];
  EXPECT_TRUE(core->Read(0x1000, buffer, sizeof(buffer)).ok());
}

TEST(HandMadeCoreTest, OverlappingAndOversizedSegments) {
  std::string error;
  std::unique_ptr<ElfCoreSource> core = ElfCoreSource::FromMemory(
      BuildCore({{0x1000, 0x100, "a"}, {0x1080, 0x100, "b"}, {0x3000, 2, "cdef"}}, ""), "overlap",
      &error);
  ASSERT_NE(core, nullptr) << error;
  EXPECT_THAT(core->problem(), HasSubstr("segment 0x1080 overlaps segment 0x1000; skipped"));
  EXPECT_THAT(core->problem(), HasSubstr("4 bytes in the file but only 2 in memory"));
  ASSERT_EQ(core->segments().size(), 2u);
  char buffer[4] = {};
  ReadResult result = core->Read(0x3000, buffer, sizeof(buffer));
  EXPECT_EQ(result.bytes, 2u);
  EXPECT_EQ(std::string(buffer, 2), "cd");
  EXPECT_EQ(result.error, "0x3002: not mapped in the core");
}

}  // namespace
}  // namespace vmpl::inspect
