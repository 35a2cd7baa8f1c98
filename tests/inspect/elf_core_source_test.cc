// Tests of ElfCoreSource and ElfSymbols (<vmpl/inspect/elf_core_source.h>, elf_symbols.h).
//
// The main test dumps a real process with real gcore: a forked child fills a global of this
// binary and an anonymous mapping with known bytes, reports their addresses and waits while gdb
// writes its core. The core is read back (bytes, NT_FILE, threads), the global is found again
// through this binary's symbol table plus the load bias the core gives, and the core is then
// damaged in the ways a reader meets: cut at several points, a program header pointing past the
// end, absurd counts, files that are not cores. Small hand-made cores cover the edges gcore does
// not produce on demand (zero tails past filesz, reads across segments, a broken NT_FILE).
//
// Open reads a core through a mapping of the file, or with pread (Method::kPread, or when mapping
// fails); FromMemory reads bytes it holds. The reads must not depend on which: the real core is
// read both ways and compared, and the hand-made cores run through all three. Reads remember the
// segment they last hit, so some tests hop between segments to catch a stale one.

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

#include "run_gcore.h"

// The global the child fills and the test finds again by name. extern "C" keeps the name plain in
// .symtab; "used" keeps it although nothing else reads it.
extern "C" {
__attribute__((used)) volatile uint8_t vmpl_core_test_global[3 * 4096 + 123];
}

namespace vmpl::inspect {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

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

using vmpl::testing::RunGcore;

// One real core, made once for all tests of the suite.
class GcoreTest : public ::testing::Test {
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

  static std::unique_ptr<ElfCoreSource> OpenCore(
      ElfCoreSource::Method method = ElfCoreSource::Method::kMap) {
    std::string error;
    std::unique_ptr<ElfCoreSource> core = ElfCoreSource::Open(*core_path_, &error, method);
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

TEST_F(GcoreTest, MappedAndPreadReadsAgree) {
  std::unique_ptr<ElfCoreSource> mapped = OpenCore(ElfCoreSource::Method::kMap);
  std::unique_ptr<ElfCoreSource> pread = OpenCore(ElfCoreSource::Method::kPread);
  ASSERT_NE(mapped, nullptr);
  ASSERT_NE(pread, nullptr);
  EXPECT_TRUE(mapped->in_memory()) << "Open did not map the core";
  EXPECT_FALSE(pread->in_memory());
  ASSERT_EQ(mapped->segments().size(), pread->segments().size());
  EXPECT_EQ(mapped->problem(), pread->problem());

  // Every segment: its first bytes, then across its end into whatever follows (the next segment,
  // a gap, or a zero tail), hopping from segment to segment as a walk of scattered nodes does.
  std::vector<uint8_t> a(2 * 176);
  std::vector<uint8_t> b(2 * 176);
  for (const CoreSegment& segment : mapped->segments()) {
    for (const uint64_t address : {segment.vaddr, segment.vaddr + segment.memsz - 176}) {
      const ReadResult from_map = mapped->Read(address, a.data(), a.size());
      const ReadResult from_pread = pread->Read(address, b.data(), b.size());
      EXPECT_EQ(from_map.bytes, from_pread.bytes) << fmt::format("at 0x{:x}", address);
      EXPECT_EQ(from_map.error, from_pread.error);
      EXPECT_EQ(a, b) << fmt::format("at 0x{:x}", address);
    }
  }
  std::vector<uint8_t> global(sizeof(vmpl_core_test_global));
  ASSERT_TRUE(pread->Read(addresses_->global, global.data(), global.size()).ok());
  EXPECT_EQ(global[4096], GlobalByte(4096));
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
  // to a file, so that the mapped and the pread paths see the short file too.
  const std::string cut_path = *dir_ + "/cut-core";
  WriteWholeFile(cut_path, bytes.substr(0, global_offset + 100));
  std::vector<uint8_t> global(sizeof(vmpl_core_test_global), 0xee);
  ReadResult result;
  for (const ElfCoreSource::Method method :
       {ElfCoreSource::Method::kMap, ElfCoreSource::Method::kPread}) {
    SCOPED_TRACE(method == ElfCoreSource::Method::kMap ? "mapped" : "pread");
    std::unique_ptr<ElfCoreSource> cut = ElfCoreSource::Open(cut_path, &error, method);
    ASSERT_NE(cut, nullptr) << error;
    EXPECT_EQ(cut->in_memory(), method == ElfCoreSource::Method::kMap);
    EXPECT_THAT(cut->problem(), HasSubstr("truncated core: the file has "));
    // The first bytes alone are whole (the fast path of a mapped core); then past the cut.
    uint8_t head[64];
    result = cut->Read(addresses_->global, head, sizeof(head));
    EXPECT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(head[63], GlobalByte(63));
    std::fill(global.begin(), global.end(), 0xee);
    result = cut->Read(addresses_->global, global.data(), global.size());
    EXPECT_EQ(result.bytes, 100u);
    EXPECT_EQ(result.error, fmt::format("0x{:x}: beyond the end of the truncated core",
                                        addresses_->global + 100));
    EXPECT_EQ(global[99], GlobalByte(99));
    EXPECT_EQ(global[100], 0);
    EXPECT_EQ(global.back(), 0);
  }

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

// The same hand-made core read from memory, from a mapped file and with pread.
enum class Holder { kMemory, kMappedFile, kPreadFile };

std::string HolderName(const ::testing::TestParamInfo<Holder>& info) {
  switch (info.param) {
    case Holder::kMemory:
      return "Memory";
    case Holder::kMappedFile:
      return "MappedFile";
    case Holder::kPreadFile:
      return "PreadFile";
  }
  return "Unknown";
}

class HandMadeCoreHolderTest : public ::testing::TestWithParam<Holder> {
 protected:
  void TearDown() override {
    if (!path_.empty()) {
      unlink(path_.c_str());
    }
  }

  // |bytes| as a core source the way the parameter says.
  std::unique_ptr<ElfCoreSource> Load(const std::string& bytes) {
    std::string error;
    std::unique_ptr<ElfCoreSource> core;
    if (GetParam() == Holder::kMemory) {
      core = ElfCoreSource::FromMemory(bytes, "hand", &error);
    } else {
      if (path_.empty()) {
        std::string name = std::filesystem::temp_directory_path().string() + "/vmpl_core.XXXXXX";
        const int fd = mkstemp(name.data());
        EXPECT_GE(fd, 0);
        close(fd);
        path_ = name;
      }
      WriteWholeFile(path_, bytes);
      core = ElfCoreSource::Open(path_, &error,
                                 GetParam() == Holder::kMappedFile ? ElfCoreSource::Method::kMap
                                                                   : ElfCoreSource::Method::kPread);
    }
    EXPECT_NE(core, nullptr) << error;
    if (core != nullptr) {
      EXPECT_EQ(core->in_memory(), GetParam() != Holder::kPreadFile);
    }
    return core;
  }

  std::string path_;
};

// Three segments in a row, each 0x100 bytes of which the first 0x80 are in the file, with contents
// that differ at every offset, then a gap, then one more: enough to catch a read served from the
// wrong segment.
std::string SegmentBytes(char first, size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>(first + static_cast<char>(i % 61));
  }
  return bytes;
}

std::string ThreeAdjacentSegmentsAndOneApart() {
  return BuildCore({{0x10000, 0x100, SegmentBytes('A', 0x80)},
                    {0x10100, 0x100, SegmentBytes('a', 0x80)},
                    {0x10200, 0x100, SegmentBytes('0', 0x80)},
                    {0x20000, 0x100, SegmentBytes('!', 0x100)}},
                   "");
}

TEST_P(HandMadeCoreHolderTest, ReadsSpanningSegmentBoundaries) {
  std::unique_ptr<ElfCoreSource> core = Load(ThreeAdjacentSegmentsAndOneApart());
  ASSERT_NE(core, nullptr);
  ASSERT_EQ(core->segments().size(), 4u);

  // From the dumped end of the first segment through its zero tail, all of the second and into
  // the third.
  std::string buffer(0x200, 'X');
  ReadResult result = core->Read(0x10070, buffer.data(), buffer.size());
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.bytes, buffer.size());
  const std::string expected = SegmentBytes('A', 0x80).substr(0x70) + std::string(0x80, '\0') +
                               SegmentBytes('a', 0x80) + std::string(0x80, '\0') +
                               SegmentBytes('0', 0x80).substr(0, 0x70);
  EXPECT_EQ(buffer, expected);

  // A read ending exactly at a segment's dumped end, and one ending exactly at the segment's end.
  buffer.assign(0x10, 'X');
  EXPECT_TRUE(core->Read(0x10170, buffer.data(), buffer.size()).ok());
  EXPECT_EQ(buffer, SegmentBytes('a', 0x80).substr(0x70));
  EXPECT_TRUE(core->Read(0x101f0, buffer.data(), buffer.size()).ok());
  EXPECT_EQ(buffer, std::string(0x10, '\0'));

  // Off the end of the third segment into the gap: the prefix, then the address of the gap.
  buffer.assign(0x20, 'X');
  result = core->Read(0x102f0, buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 0x10u);
  EXPECT_EQ(result.error, "0x10300: not mapped in the core");
  EXPECT_EQ(buffer, std::string(0x20, '\0'));

  // Into the segment apart from the gap before it: nothing read, the rest zeroed.
  buffer.assign(0x20, 'X');
  result = core->Read(0x1fff0, buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(result.error, "0x1fff0: not mapped in the core");
  EXPECT_EQ(buffer, std::string(0x20, '\0'));
}

TEST_P(HandMadeCoreHolderTest, RememberedSegmentIsNeverStale) {
  std::unique_ptr<ElfCoreSource> core = Load(ThreeAdjacentSegmentsAndOneApart());
  ASSERT_NE(core, nullptr);
  // The same offset in each segment, in an order that leaves every segment remembered before a
  // read of each of the others, of the gaps around it and of the space below and above all.
  const std::vector<std::pair<uint64_t, std::string>> segments = {
      {0x10000, SegmentBytes('A', 0x80)},
      {0x10100, SegmentBytes('a', 0x80)},
      {0x10200, SegmentBytes('0', 0x80)},
      {0x20000, SegmentBytes('!', 0x100)}};
  std::string buffer;
  for (size_t round = 0; round < 2; ++round) {
    for (size_t i = 0; i < segments.size(); ++i) {
      for (size_t j = 0; j < segments.size(); ++j) {
        SCOPED_TRACE(fmt::format("round {}, segment {} after segment {}", round, j, i));
        buffer.assign(0x20, 'X');
        ASSERT_TRUE(core->Read(segments[i].first + 0x10, buffer.data(), buffer.size()).ok());
        EXPECT_EQ(buffer, segments[i].second.substr(0x10, 0x20));
        buffer.assign(0x20, 'X');
        ASSERT_TRUE(core->Read(segments[j].first + 0x30, buffer.data(), buffer.size()).ok());
        EXPECT_EQ(buffer, segments[j].second.substr(0x30, 0x20));
        // Just past the remembered segment, and just before the first one.
        buffer.assign(8, 'X');
        const uint64_t past = j < 2 ? 0 : (j == 2 ? 0x10300 : 0x20100);
        if (past != 0) {
          EXPECT_EQ(core->Read(past, buffer.data(), buffer.size()).error,
                    fmt::format("0x{:x}: not mapped in the core", past));
        }
        EXPECT_EQ(core->Read(0xfff8, buffer.data(), buffer.size()).error,
                  "0xfff8: not mapped in the core");
        EXPECT_EQ(buffer, std::string(8, '\0'));
      }
    }
  }
}

TEST_P(HandMadeCoreHolderTest, CoreCutInsideADumpedSegment) {
  // The fourth segment's data is cut after 0x40 of its 0x100 bytes.
  std::string bytes = ThreeAdjacentSegmentsAndOneApart();
  bytes.resize(bytes.size() - 0xc0);
  std::unique_ptr<ElfCoreSource> core = Load(bytes);
  ASSERT_NE(core, nullptr);
  EXPECT_THAT(core->problem(), HasSubstr("truncated core"));
  std::string buffer(0x40, 'X');
  ASSERT_TRUE(core->Read(0x20000, buffer.data(), buffer.size()).ok());
  EXPECT_EQ(buffer, SegmentBytes('!', 0x40));
  buffer.assign(0x20, 'X');
  ReadResult result = core->Read(0x20030, buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 0x10u);
  EXPECT_EQ(result.error, "0x20040: beyond the end of the truncated core");
  EXPECT_EQ(buffer, SegmentBytes('!', 0x40).substr(0x30) + std::string(0x10, '\0'));
  // Wholly past the cut.
  result = core->Read(0x200f0, buffer.data(), 0x10);
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(result.error, "0x200f0: beyond the end of the truncated core");
  // The other segments are whole.
  EXPECT_TRUE(core->Read(0x10100, buffer.data(), buffer.size()).ok());
  EXPECT_EQ(buffer, SegmentBytes('a', 0x20));
}

INSTANTIATE_TEST_SUITE_P(AllHolders, HandMadeCoreHolderTest,
                         ::testing::Values(Holder::kMemory, Holder::kMappedFile, Holder::kPreadFile),
                         HolderName);

}  // namespace
}  // namespace vmpl::inspect
