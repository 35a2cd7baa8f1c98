// vmpl::inspect::ReadRegistry: the registry of page lists read out of a target, exactly as
// docs/registry-format.md tells an outside reader to. gdb/vmpl/registry_reader.py is its Python
// twin; both are held to the shared vectors in tests/vectors/registry.json.
//
// The registry is one exported header, `vmpl_registry`, that points at an array of entries (an
// id, a kind, a name and the address of a VmPageList or VmPageSpliceList). Every size and offset
// used here comes from the C ABI itself (<vmpl/registry_abi.h>): the header and the known prefix
// of each entry are copied into the ABI's own structs. The stride of the array is the header's
// `entry_size`, never sizeof(vmpl_registry_entry), so an entry that a later writer grew by
// appending fields is still read; the bytes past the fields this reader knows are skipped.
//
// Checks (section 5.1). The header is refused when its magic, version, entry_size (less than a
// version-1 entry), name_size, capacity (above VMPL_REGISTRY_MAX_CAPACITY) or entries pointer
// (null with a non-zero capacity) say it is no registry this reader knows; nothing more is read
// then. In a registry it accepts, every slot in use is checked (its id distinct, non-zero and
// below next_id; its kind 1 or 2; its name_length ending its name), and so is live_count. A failed
// check is a problem with the address of the slot, and the entry is kept: memory from outside is
// untrusted, and what is still readable is shown.
//
// Consistency (section 5). The copy is taken under the registry's seqlock. A target that runs (a
// live process, this process) is waited for while a writer is inside a write section, and a copy
// that raced a writer is taken again, up to RegistryReadOptions::max_attempts. A stopped target
// (a core file, a machine or process behind a gdb stub) is read once: nothing would change. Either
// way a copy that raced a writer is kept and reported as torn (section 5.2).

#ifndef VMPL_INSPECT_REGISTRY_READER_H_
#define VMPL_INSPECT_REGISTRY_READER_H_

#include <stdint.h>
#include <vmpl/inspect/memory_source.h>
#include <vmpl/model/snapshot.h>

#include <chrono>
#include <string>
#include <vector>

namespace vmpl::inspect {

// One slot in use (its address is not 0).
struct RegistryEntry {
  uint32_t slot = 0;     // index in the entry array
  uint64_t address = 0;  // of the VmPageList or VmPageSpliceList, in the target
  uint64_t id = 0;
  uint32_t kind = 0;  // vmpl::RegistryKind: 1 VmPageList, 2 VmPageSpliceList; else a problem
  std::string name;   // as stored (not escaped for a terminal)
};

struct RegistryContents {
  // The header is a registry this reader knows. When false, |problems| says why not and nothing
  // else is set.
  bool found = false;
  // A writer was inside a write section during the copy (section 5.2): the entries are the last
  // copy, and at most the one being changed is doubtful.
  bool torn = false;
  uint64_t generation = 0;                // the seqlock's value when the copy began
  uint32_t writer_tid = 0;                // the thread in (or last in) a write section
  std::vector<RegistryEntry> entries;     // the slots in use, by id (slot order among equal ids)
  std::vector<SnapshotProblem> problems;  // refusal, torn, and failed checks, in that order
};

struct RegistryReadOptions {
  // Whether the target may change while it is read: true for a live process (and this process),
  // false for a core file or a target stopped behind a gdb stub.
  bool target_runs = true;
  // With a running target: copies tried before a racing copy is kept as torn, and the pause
  // before each new try. The document suggests about 1000 short sleeps, since a writer can be
  // descheduled inside its section for a while.
  int max_attempts = 1000;
  std::chrono::microseconds pause{100};
};

// Reads the registry whose header (`vmpl_registry`) is at |address|.
RegistryContents ReadRegistry(MemorySource& memory, uint64_t address,
                              const RegistryReadOptions& options = {});

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_REGISTRY_READER_H_
