// Opening a target and reading its lists: what `vmpl inspect`, `vmpl check` and `vmpl tui` share.

#include "vmpl/inspect/target.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>

#include "vmpl/inspect/block_cache_source.h"
#include "vmpl/inspect/elf_core_source.h"
#include "vmpl/inspect/elf_symbols.h"
#include "vmpl/inspect/gdb_remote_source.h"
#include "vmpl/inspect/live_process_source.h"
#include <vmpl/model/check.h>

namespace vmpl::inspect {
namespace {

// The address of `vmpl_registry` in |binary| as loaded with |bias|, or an error.
std::optional<uint64_t> RegistryIn(const std::string& binary, std::optional<uint64_t> bias,
                                   std::string* error) {
  std::unique_ptr<ElfSymbols> symbols = ElfSymbols::Open(binary, error);
  if (!symbols) {
    return std::nullopt;
  }
  const std::optional<uint64_t> value = symbols->Find(kRegistrySymbol);
  if (!value) {
    *error = fmt::format(
        "{}: no symbol {} (not a vmpl program, or stripped without "
        "-rdynamic; give --registry ADDR)",
        binary, kRegistrySymbol);
    return std::nullopt;
  }
  if (!symbols->is_pie()) {
    return *value;
  }
  if (!bias) {
    *error = fmt::format(
        "{} is position-independent and its load address in the target is "
        "unknown; give --registry ADDR",
        binary);
    return std::nullopt;
  }
  return *value + *bias;
}

// What a target reads while its stub cannot be reached: every read fails with the reason.
class UnreachableSource final : public MemorySource {
 public:
  UnreachableSource(std::string name, std::string error)
      : name_(std::move(name)), error_(std::move(error)) {}
  ReadResult Read(uint64_t, void* buffer, size_t size) override {
    memset(buffer, 0, size);
    return {0, error_};
  }
  std::string Describe() const override { return name_; }

 private:
  std::string name_;
  std::string error_;
};

}  // namespace

std::optional<uint64_t> ParseAddress(const std::string& text) {
  char* end = nullptr;
  const uint64_t value = strtoull(text.c_str(), &end, 0);
  if (text.empty() || end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  return value;
}

std::unique_ptr<Target> Target::Open(const TargetOptions& options, std::string* error) {
  std::unique_ptr<Target> target(new Target());
  target->registry_ = options.registry;
  if (options.pid != 0) {
    target->memory_ = std::make_unique<LiveProcessSource>(options.pid);
    target->runs_ = true;
    if (options.registry) {
      return target;
    }
    const std::string binary =
        options.binary.empty() ? ExecutablePath(options.pid) : options.binary;
    std::string maps_error;
    const std::vector<MappedFile> maps = ReadProcessMaps(options.pid, &maps_error);
    if (maps.empty()) {
      *error = fmt::format("pid {}: {}", options.pid, maps_error);
      return nullptr;
    }
    target->registry_ = RegistryIn(binary, LoadBias(maps, binary), &target->registry_error_);
    return target;
  }
  if (!options.core.empty()) {
    std::unique_ptr<ElfCoreSource> core = ElfCoreSource::Open(options.core, error);
    if (!core) {
      return nullptr;
    }
    if (!core->problem().empty()) {
      target->warning_ = fmt::format("{}: {}", options.core, core->problem());
    }
    if (options.registry) {
      // Given.
    } else if (!options.binary.empty()) {
      target->registry_ = RegistryIn(options.binary, LoadBiasFromCore(*core, options.binary),
                                     &target->registry_error_);
    } else {
      // The executable is one of the files the core maps: the one that defines the registry.
      for (const CoreMapping& mapping : core->mapped_files()) {
        std::string ignored;
        if (auto symbols = ElfSymbols::Open(mapping.path, &ignored);
            symbols && symbols->Find(kRegistrySymbol)) {
          target->registry_ = RegistryIn(mapping.path, LoadBiasFromCore(*core, mapping.path),
                                         &target->registry_error_);
          break;
        }
      }
      if (!target->registry_ && target->registry_error_.empty()) {
        target->registry_error_ =
            fmt::format("{}: no mapped file defines {}; give --binary or --registry", options.core,
                        kRegistrySymbol);
      }
    }
    target->memory_ = std::move(core);
    return target;
  }
  std::unique_ptr<GdbRemoteSource> remote = GdbRemoteSource::Connect(options.remote, error);
  if (!remote) {
    return nullptr;
  }
  if (options.registry) {
    // Given.
  } else if (!options.binary.empty()) {
    // A stub does not map files, but its auxiliary vector says where the program's entry point
    // was loaded; for a PIE that gives the load bias.
    std::optional<uint64_t> bias;
    std::string auxv_error;
    if (auto symbols = ElfSymbols::Open(options.binary, &auxv_error);
        symbols && symbols->is_pie()) {
      if (std::optional<std::string> auxv = remote->ReadAuxv(&auxv_error)) {
        bias = LoadBiasFromAuxv(*auxv, *symbols, &auxv_error);
      }
    }
    target->registry_ = RegistryIn(options.binary, bias, &target->registry_error_);
    if (!target->registry_ && !auxv_error.empty()) {
      target->registry_error_ += fmt::format(" ({})", auxv_error);
    }
  } else {
    target->registry_error_ = "a stub names no executable: give --binary or --registry";
  }
  target->remote_ = options.remote;
  target->release_between_reads_ = options.release_between_reads;
  target->stub_ = std::move(remote);
  target->Refresh();
  return target;
}

MemorySource& Target::memory() {
  if (!memory_) {
    Refresh();
  }
  return *memory_;
}

void Target::Refresh() {
  if (!stub_ && !remote_.empty()) {
    std::string error;
    stub_ = GdbRemoteSource::Connect(remote_, &error);
    if (!stub_) {
      memory_ = std::make_unique<UnreachableSource>(fmt::format("gdb stub {}", remote_), error);
      return;
    }
  }
  if (stub_) {
    // Read the stub a page at a time, each page once per snapshot.
    memory_ = std::make_unique<BlockCacheSource>(*stub_);
  }
}

void Target::Release() {
  if (release_between_reads_ && stub_) {
    memory_.reset();
    stub_.reset();
  }
}

TargetSnapshot ReadTargetSnapshot(Target& target, const DecodeLayout& layout,
                                  const SnapshotRequest& request) {
  TargetSnapshot out;
  MemorySource& memory = target.memory();
  const std::optional<uint64_t> list_address =
      request.list.empty() ? std::nullopt : ParseAddress(request.list);
  if (list_address) {
    out.snapshot.emplace();
    out.snapshot->source = memory.Describe();
    out.snapshot->lists.push_back(DecodePageList(memory, *list_address, layout));
  } else if (request.scan || !target.registry()) {
    if (!request.list.empty()) {
      out.error =
          fmt::format("--list {} needs the registry ({})", request.list,
                      request.scan ? "a scan finds lists without names" : target.registry_error());
      out.usage_error = request.scan;
      return out;
    }
    ScanOptions scan_options;
    scan_options.ranges = request.scan_ranges;
    if (scan_options.ranges.empty() && memory.Regions().empty()) {
      out.error =
          fmt::format("{}{}{} lists no memory to scan: give --scan-range START-END",
                      target.registry_error(), request.scan ? "" : "; and ", memory.Describe());
      return out;
    }
    if (!request.scan) {
      out.notice =
          fmt::format("{}; scanning memory for page-list nodes instead", target.registry_error());
    }
    out.scan.emplace();
    out.snapshot = ScanSnapshot(memory, layout, scan_options, &*out.scan);
  } else {
    out.snapshot = DecodeRegistry(memory, *target.registry(), layout, {},
                                  RegistryReadOptions{.target_runs = target.runs()});
    if (!request.list.empty()) {
      std::erase_if(out.snapshot->lists,
                    [&](const SnapshotList& list) { return list.name != request.list; });
      if (out.snapshot->lists.empty()) {
        out.error = fmt::format("no registered list is named '{}'", request.list);
        out.usage_error = true;
        out.snapshot.reset();
        return out;
      }
    }
  }
  if (request.read_pages) {
    for (SnapshotList& list : out.snapshot->lists) {
      DecodePages(memory, layout, list);
    }
  }
  // The core's own invariants, on the decoded copies (the decoder checked each canary against the
  // layout's value as it read the node).
  CheckSnapshot(*out.snapshot, CheckOptions{.canaries = false});
  return out;
}

}  // namespace vmpl::inspect
