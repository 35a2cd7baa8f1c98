// The kernel's page-list registry: the same C ABI as userspace (<vmpl/registry_abi.h>,
// docs/registry-format.md), exported under the same symbol, `vmpl_registry`, so that
// `vmpl inspect --remote`, the gdb commands and core-file readers find the kernel's lists exactly
// as they find a process's. The writer is the kernel's own: a fixed array of entries (no heap
// growth), one CPU, and write sections that a debugger stopping the CPU mid-way sees as an odd
// generation ("torn"), as the ABI specifies.

#ifndef VMPL_KERNEL_PLATFORM_REGISTRY_H_
#define VMPL_KERNEL_PLATFORM_REGISTRY_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/registry_abi.h>

namespace vmpl::kernel {

enum class ListKind : uint32_t { kPageList = 1, kSpliceList = 2 };

// Every slot of the array; Register panics beyond it.
inline constexpr uint32_t kRegistryCapacity = 256;

// Registers |object| under |name| (truncated to fit); returns its id (never 0).
uint64_t RegistryRegister(ListKind kind, const void* object, const char* name);
void RegistryUnregister(uint64_t id);
void RegistryRename(uint64_t id, const char* name);

// Calls |fn| for every live entry, in slot order.
template <typename F>
void ForEveryRegistered(F fn) {
  const auto* entries = reinterpret_cast<const vmpl_registry_entry*>(vmpl_registry.entries);
  for (uint32_t i = 0; i < vmpl_registry.capacity; i++) {
    if (entries[i].address != 0) {
      fn(entries[i]);
    }
  }
}

}  // namespace vmpl::kernel

#endif  // VMPL_KERNEL_PLATFORM_REGISTRY_H_
