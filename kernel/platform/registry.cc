// The kernel's registry writer (see registry.h). The protocol is the userspace one
// (core/src/registry.cc): a write section makes the generation odd, stores the fields, and makes
// it even again; an entry is filled before its address is set and its address cleared first.
// One CPU and no registration from interrupts, so there is no lock, only compiler ordering (the
// reader is a debugger that stops the CPU between two instructions).

#include "registry.h"

#include <string.h>
#include <vm/vm_page_list.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/trace.h>

extern "C" {
constinit __attribute__((used, aligned(64))) vmpl_registry_header vmpl_registry =
    vmpl::InitialRegistryHeader(sizeof(VmPageList), sizeof(VmPageSpliceList),
                                sizeof(VmPageListNode));
}

namespace vmpl::kernel {
namespace {

vmpl_registry_entry g_entries[kRegistryCapacity];

// Keeps the compiler from moving stores across the section's boundaries.
void CompilerBarrier() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

class WriteSection {
 public:
  WriteSection() {
    DEBUG_ASSERT(vmpl_registry.generation % 2 == 0);
    Store(vmpl_registry.generation, vmpl_registry.generation + 1);
    CompilerBarrier();
  }
  ~WriteSection() {
    CompilerBarrier();
    Store(vmpl_registry.generation, vmpl_registry.generation + 1);
  }
  WriteSection(const WriteSection&) = delete;
  WriteSection& operator=(const WriteSection&) = delete;

  template <typename T>
  static void Store(T& field, T value) {
    __atomic_store_n(&field, value, __ATOMIC_RELAXED);
  }
};

size_t NameLength(const char* name) {
  size_t length = strlen(name);
  return length < VMPL_REGISTRY_NAME_SIZE ? length : VMPL_REGISTRY_NAME_SIZE - 1;
}

void StoreName(vmpl_registry_entry& entry, const char* name) {
  const size_t length = NameLength(name);
  char padded[VMPL_REGISTRY_NAME_SIZE] = {};
  memcpy(padded, name, length);
  memcpy(entry.name, padded, sizeof(padded));
  WriteSection::Store(entry.name_length, static_cast<uint32_t>(length));
}

vmpl_registry_entry& LiveEntry(uint64_t id) {
  for (vmpl_registry_entry& entry : g_entries) {
    if (entry.address != 0 && entry.id == id) {
      return entry;
    }
  }
  panic("registry id %lu is not live", id);
}

}  // namespace

uint64_t RegistryRegister(ListKind kind, const void* object, const char* name) {
  ASSERT(object != nullptr);
  vmpl_registry_entry* slot = nullptr;
  for (vmpl_registry_entry& entry : g_entries) {
    if (entry.address == 0) {
      slot = &entry;
      break;
    }
  }
  ASSERT_MSG(slot != nullptr, "kernel registry full: %u entries", kRegistryCapacity);
  const uint64_t id = vmpl_registry.next_id;
  {
    WriteSection section;
    if (vmpl_registry.entries == 0) {
      WriteSection::Store(vmpl_registry.entries, reinterpret_cast<uint64_t>(g_entries));
      WriteSection::Store(vmpl_registry.capacity, kRegistryCapacity);
    }
    WriteSection::Store(slot->id, id);
    WriteSection::Store(slot->kind, static_cast<uint32_t>(kind));
    StoreName(*slot, name);
    CompilerBarrier();
    WriteSection::Store(slot->address, reinterpret_cast<uint64_t>(object));
    WriteSection::Store(vmpl_registry.live_count, vmpl_registry.live_count + 1);
    WriteSection::Store(vmpl_registry.next_id, id + 1);
  }
  trace::EmitRegistration(id, object, static_cast<uint32_t>(kind), {name, NameLength(name)});
  return id;
}

void RegistryUnregister(uint64_t id) {
  vmpl_registry_entry& entry = LiveEntry(id);
  {
    WriteSection section;
    WriteSection::Store(entry.address, uint64_t{0});
    CompilerBarrier();
    WriteSection::Store(entry.id, uint64_t{0});
    WriteSection::Store(entry.kind, uint32_t{0});
    StoreName(entry, "");
    WriteSection::Store(vmpl_registry.live_count, vmpl_registry.live_count - 1);
  }
  VMPL_TRACE_EVENT(kUnregister, nullptr, 0, id, 0, 0, 0);
}

void RegistryRename(uint64_t id, const char* name) {
  vmpl_registry_entry& entry = LiveEntry(id);
  {
    WriteSection section;
    StoreName(entry, name);
  }
  trace::EmitName(id, {name, NameLength(name)});
}

}  // namespace vmpl::kernel
