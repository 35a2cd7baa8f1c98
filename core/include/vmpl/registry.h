// vmpl::Registry: the process-wide list of live page lists, findable from one exported symbol.
//
// What it is. Every live VmPageList and VmPageSpliceList the simulator makes (and any a user
// registers) has an entry here: a process-unique id, a kind, the object's address and a short
// name such as "vmo:17/clone-of:3". The entries live in memory laid out by a documented,
// versioned C ABI (docs/registry-format.md), reachable from the single exported object
// `vmpl_registry`. A debugger (gdb), another process (process_vm_readv, ptrace) or a reader of
// an ELF core file finds every page list of the process from that one symbol, reading memory
// only: the target does not cooperate, the reader takes no lock, and a read that raced a writer
// (or a core taken while a writer was mid-change) is detected by a seqlock generation.
//
// When to use it. Register anything a debugging tool should be able to find without being told
// its address. Prefer ScopedRegistration (RAII) beside the list it describes; call SetAddress
// after the list moves (a move constructor or assignment gives it a new address) and Rename when
// its role changes. Registration is cheap (one mutex, one hash insert, a dozen stores: about
// 50 ns for a Register + Unregister pair, bench/registry_bench.cc) but not free: do not register
// short-lived temporaries in a hot loop.
//
// Synopsis:
//   // C ABI (extern "C", fixed-width fields; offsets in docs/registry-format.md):
//   struct vmpl_registry_header;   // 64 bytes: magic "VMPR", version 1, generation, entries...
//   struct vmpl_registry_entry;    // 80 bytes: address (0 = free), id, kind, name_length, name
//   extern vmpl_registry_header vmpl_registry;
//
//   namespace vmpl {
//   enum class RegistryKind : uint32_t { kPageList = 1, kSpliceList = 2 };
//   struct RegistryEntryView { uint64_t id; RegistryKind kind; uintptr_t address; std::string
//                              name; };
//   class Registry {
//     static uint64_t Register(const VmPageList* list, std::string_view name);
//     static uint64_t Register(const VmPageSpliceList* list, std::string_view name);
//     static void Unregister(uint64_t id);
//     static void SetAddress(uint64_t id, const void* address);
//     static void Rename(uint64_t id, std::string_view name);
//     static std::vector<RegistryEntryView> Snapshot();
//     static size_t live_count();
//     static std::string_view TruncateName(std::string_view name);   // what Register stores
//     static void RunInWriteSectionForTesting(void (*fn)(void*), void* arg);
//   };
//   class ScopedRegistration;      // RAII: Register in the constructor, Unregister in the dtor
//   }
//
// Threads. Every method is thread-safe. Writers (Register, Unregister, SetAddress, Rename)
// serialize on a mutex that readers never take; readers (Snapshot, live_count, any outside
// reader) never block a writer and never take a lock. A process forked while another thread was
// registering must not register in the child (the mutex may be held there forever), as with any
// mutex across fork().

#ifndef VMPL_REGISTRY_H_
#define VMPL_REGISTRY_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/registry_abi.h>

#include <string>
#include <string_view>
#include <vector>

class VmPageList;
class VmPageSpliceList;

namespace vmpl {

// ================================================================================================
// The C++ API.
// ================================================================================================

// The value of vmpl_registry_entry::kind.
enum class RegistryKind : uint32_t { kPageList = 1, kSpliceList = 2 };

// One entry of a Snapshot: a consistent copy, owning its name.
struct RegistryEntryView {
  uint64_t id;
  RegistryKind kind;
  uintptr_t address;
  std::string name;
};

// The process-wide registry. All members are static; the state behind them is created on first
// use and never destroyed (so registrations in static objects, and readers racing exit, are safe).
//
// Invariants (checked by Snapshot's consumers and by tests/core/registry_test.cc, which reads
// them back from raw memory the way docs/registry-format.md tells a debugger to):
//   1. whenever `generation` is even, `live_count` equals the number of entries of
//      `entries[0, capacity)` with a non-zero address;
//   2. the ids of the entries in use are distinct, non-zero and below `next_id`;
//   3. an id, once returned, is never returned again, even after Unregister;
//   4. every name is NUL-terminated with `name_length` bytes before the NUL;
//   5. `capacity` <= VMPL_REGISTRY_MAX_CAPACITY, and `entries` != 0 when `capacity` != 0.
class Registry {
 public:
  // Registers |list| under |name| and returns its id (never 0, never reused). The name is cut at
  // its first NUL and truncated to VMPL_REGISTRY_NAME_SIZE - 1 bytes (never inside a UTF-8
  // sequence). |list| must not be null (0 marks a free slot).
  static uint64_t Register(const VmPageList* list, std::string_view name);
  static uint64_t Register(const VmPageSpliceList* list, std::string_view name);
  // Removes the entry of |id|, which must be live (ASSERTed: a double unregister is a bug in the
  // owner's life cycle).
  static void Unregister(uint64_t id);
  // Records that the object of live |id| now lives at |address| (non-null), e.g. after a move.
  static void SetAddress(uint64_t id, const void* address);
  // Gives live |id| a new name, truncated as in Register.
  static void Rename(uint64_t id, std::string_view name);

  // A consistent in-process copy of every live entry, sorted by id, read with the same seqlock
  // protocol an outside reader uses (it never takes the writers' mutex; it retries while a
  // writer is active).
  static std::vector<RegistryEntryView> Snapshot();
  // Entries in use now (a relaxed read of vmpl_registry.live_count; may be stale by the time the
  // caller looks at it).
  static size_t live_count();

  // The name as Register/Rename would store it: cut at the first NUL, at most
  // VMPL_REGISTRY_NAME_SIZE - 1 bytes, not ending inside a UTF-8 sequence.
  static std::string_view TruncateName(std::string_view name);

  // For tests and fault drills: calls |fn|(|arg|) holding the writers' mutex inside an open write
  // section (generation odd, writer_tid = the calling thread), as if a writer had stopped
  // mid-change, so that a reader's "torn" path can be exercised deterministically (a one-shot
  // reader reports torn; Snapshot waits until |fn| returns). |fn| must not call a writer
  // (self-deadlock) nor Snapshot (it would wait for itself).
  static void RunInWriteSectionForTesting(void (*fn)(void*), void* arg);
};

// RAII registration: registers in the constructor, unregisters in the destructor. Movable (the
// moved-from object holds no registration, id() == 0), not copyable. A default-constructed one
// holds nothing. SetAddress and Rename require a registration.
class ScopedRegistration {
 public:
  ScopedRegistration() = default;
  ScopedRegistration(const VmPageList* list, std::string_view name);
  ScopedRegistration(const VmPageSpliceList* list, std::string_view name);
  ~ScopedRegistration();

  ScopedRegistration(ScopedRegistration&& other) noexcept;
  ScopedRegistration& operator=(ScopedRegistration&& other) noexcept;
  ScopedRegistration(const ScopedRegistration&) = delete;
  ScopedRegistration& operator=(const ScopedRegistration&) = delete;

  // The registry id, or 0 if this object holds no registration.
  uint64_t id() const { return id_; }
  void SetAddress(const void* address);
  void Rename(std::string_view name);

 private:
  uint64_t id_ = 0;
};

}  // namespace vmpl

#endif  // VMPL_REGISTRY_H_
