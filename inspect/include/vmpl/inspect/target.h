// vmpl::inspect::Target: a target that is not us, opened the way `vmpl inspect`, `vmpl check` and
// `vmpl tui` name it (--pid, --core or --remote, with --binary and --registry), and the snapshot
// of its lists read the way those commands read it (the registry, one list, or a canary scan).
//
// Finding the lists: the registry's root symbol `vmpl_registry` is looked up in the target's
// executable (/proc/PID/exe, a file mapped in the core, or --binary) and relocated by the load
// bias (PIE: from /proc/PID/maps, the core's NT_FILE, or a stub's auxiliary vector). An explicit
// registry address skips the lookup. With no symbol to start from (a stripped binary, a kernel
// image without ours), the lists are found by scanning memory for their nodes' canaries.

#ifndef VMPL_INSPECT_TARGET_H_
#define VMPL_INSPECT_TARGET_H_

#include <stdint.h>
#include <vmpl/inspect/canary_scan.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/memory_source.h>
#include <vmpl/model/snapshot.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vmpl::inspect {

// The root symbol of a vmpl process's registry (docs/registry-format.md).
inline constexpr char kRegistrySymbol[] = "vmpl_registry";

struct TargetOptions {
  int pid = 0;                       // a live process ...
  std::string core;                  // ... or an ELF core file ...
  std::string remote;                // ... or a gdb stub, HOST:PORT
  std::string binary;                // the target's executable, for its symbols ("" to find it)
  std::optional<uint64_t> registry;  // vmpl_registry's address, to skip the symbol lookup
  // --remote only: Release() hangs up, and the next read connects again. QEMU keeps its machine
  // stopped while a client is connected, and the client lets it run when it leaves
  // (GdbRemoteSource detaches from a machine its attach stopped): a viewer that releases between
  // refreshes watches a running kernel (`vmpl tui`).
  bool release_between_reads = false;
};

class Target {
 public:
  // Opens the source |options| names and looks for the registry. Null, with |*error| set, if the
  // source itself cannot be opened; a target without a registry opens (registry_error() says
  // why there is none).
  static std::unique_ptr<Target> Open(const TargetOptions& options, std::string* error);

  // What the decoder reads. For a stub, a page cache in front of it (one round trip per node
  // would dominate): call Refresh before reading a target that may have changed.
  // After Release, the first call connects to the stub again (a failure gives a source whose
  // every read fails with the reason).
  MemorySource& memory();
  void Refresh();
  // With TargetOptions::release_between_reads, hangs up on the stub until the next read.
  void Release();

  // Whether the target runs while it is read: a live process does; a core file does not, nor
  // does a target behind a stub, which stops it while a client is connected. A reader of a
  // running target waits out a writer of the registry; one of a stopped target cannot.
  bool runs() const { return runs_; }

  const std::optional<uint64_t>& registry() const { return registry_; }
  const std::string& registry_error() const { return registry_error_; }
  // Something wrong with the source that does not stop reading it (a truncated core), or "".
  const std::string& warning() const { return warning_; }

 private:
  Target() = default;

  std::string remote_;  // the stub's HOST:PORT, to connect again
  bool release_between_reads_ = false;
  bool runs_ = false;
  std::unique_ptr<MemorySource> stub_;    // a gdb stub, read through |memory_|
  std::unique_ptr<MemorySource> memory_;  // what the decoder reads
  std::optional<uint64_t> registry_;
  std::string registry_error_;
  std::string warning_;
};

// Which lists to read.
struct SnapshotRequest {
  std::string list;   // "" every list; else one list: a registry name, or a page list's address
  bool scan = false;  // find the lists by their canaries even if there is a registry
  std::vector<MemoryRegion> scan_ranges;  // where to scan (default: the target's regions)
  bool read_pages = false;  // also read the vm_page_t of every page slot (DecodePages)
};

struct TargetSnapshot {
  std::optional<Snapshot> snapshot;  // null on failure
  std::string error;                 // why it failed
  bool usage_error = false;          // the failure is the request's fault, not the target's
  std::string notice;                // said on the way (a scan instead of the missing registry)
  std::optional<ScanResult> scan;    // set when the lists were found by a scan
};

// Reads |request| from |target| with |layout|, then runs the core's checker on the copies
// (CheckSnapshot), so that the snapshot's problems are the decoder's and the checker's.
TargetSnapshot ReadTargetSnapshot(Target& target, const DecodeLayout& layout,
                                  const SnapshotRequest& request);

// "0x1234" or "4660" as a number; nullopt if |text| is not one.
std::optional<uint64_t> ParseAddress(const std::string& text);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TARGET_H_
