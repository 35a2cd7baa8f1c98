// Fuzz target for the ELF core parser (ElfCoreSource::FromMemory, the same parser Open uses):
// any bytes must give either an error or a source whose segments, mapped files and reads keep
// their promises (<vmpl/inspect/elf_core_source.h>). Runs under libFuzzer (scripts/fuzz.sh) and,
// in the normal build, under tests/fuzz/fuzz_driver.cc.

#include <stdlib.h>
#include <string.h>
#include <vmpl/inspect/elf_core_source.h>
#include <vmpl/inspect/elf_symbols.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using vmpl::inspect::CoreSegment;
using vmpl::inspect::ElfCoreSource;
using vmpl::inspect::ReadResult;

// Where the reads put their result, so the compiler keeps them (and ASan sees them).
volatile uint64_t g_sink;

// A broken promise is a bug the fuzzer must report: abort, which both drivers catch.
void Check(bool condition) {
  if (!condition) {
    abort();
  }
}

// Messages go to terminals and into JSON output, whose dump() throws on bytes that are not UTF-8.
void CheckMessage(const std::string& message) {
  try {
    Check(!nlohmann::json(message).dump().empty());
  } catch (const nlohmann::json::exception&) {
    Check(false);
  }
}

// Reads [address, address + size) and checks the result's promises: the prefix read, the rest
// zeroed, an error exactly when short.
void CheckedRead(ElfCoreSource& core, uint64_t address, size_t size) {
  std::vector<uint8_t> buffer(size, 0xee);
  const ReadResult result = core.Read(address, buffer.data(), buffer.size());
  Check(result.bytes <= size);
  Check(result.ok() == (result.bytes == size));
  CheckMessage(result.error);
  uint64_t sum = 0;
  for (size_t i = 0; i < size; ++i) {
    Check(i < result.bytes || buffer[i] == 0);
    sum += buffer[i];
  }
  g_sink = sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  std::unique_ptr<ElfCoreSource> core = ElfCoreSource::FromMemory(
      std::string(reinterpret_cast<const char*>(data), size), "fuzz", &error);
  if (core == nullptr) {
    Check(!error.empty());
    CheckMessage(error);
    return 0;
  }
  CheckMessage(core->problem());
  CheckMessage(core->Describe());
  Check(core->file_size() == size);
  // Segments are sorted, do not overlap, do not wrap, and never claim more file than memory.
  const std::vector<CoreSegment>& segments = core->segments();
  for (size_t i = 0; i < segments.size(); ++i) {
    Check(segments[i].memsz > 0);
    Check(segments[i].memsz - 1 <= UINT64_MAX - segments[i].vaddr);
    Check(segments[i].filesz <= segments[i].memsz);
    if (i > 0) {
      Check(segments[i].vaddr - segments[i - 1].vaddr >= segments[i - 1].memsz);
    }
  }
  for (const vmpl::inspect::CoreMapping& mapping : core->mapped_files()) {
    Check(mapping.start < mapping.end);
  }
  g_sink = vmpl::inspect::LoadBiasFromCore(*core, "/fuzz/prog").value_or(0);
  // A few reads per segment: its start, across its end, and a small window in the middle.
  const size_t reads = std::min<size_t>(segments.size(), 16);
  for (size_t i = 0; i < reads; ++i) {
    const CoreSegment segment = segments[i];
    CheckedRead(*core, segment.vaddr, static_cast<size_t>(std::min<uint64_t>(segment.memsz, 256)));
    CheckedRead(*core, segment.vaddr + (segment.memsz - 1), 64);
    CheckedRead(*core, segment.vaddr + segment.memsz / 2, 32);
  }
  CheckedRead(*core, 0, 16);
  CheckedRead(*core, UINT64_MAX - 7, 16);
  return 0;
}
