// The C ABI of vmpl's page-list registry: the two structs a reader outside the process (gdb, a
// core-file reader, a debugger stub client) finds through the one symbol `vmpl_registry`.
//
// Split from <vmpl/registry.h> so that a freestanding build (the QEMU kernel, kernel/) can write
// the same structs without the hosted C++ API around them. docs/registry-format.md is the
// reference; the protocol is summarised below. Its readers take every size and offset from here:
// vmpl::inspect::ReadRegistry (inspect/include/vmpl/inspect/registry_reader.h) and, in Python,
// gdb/vmpl/registry_reader.py (checked against the same numbers, tests/vectors/registry.json).

#ifndef VMPL_REGISTRY_ABI_H_
#define VMPL_REGISTRY_ABI_H_

#include <stddef.h>
#include <stdint.h>

// ================================================================================================
// The C ABI: what a reader outside the process sees.
//
// Two structs, in the target's native byte order (the magic is four bytes in address order, so
// it reads "VMPR" on any machine; `byte_order` says which order the rest is in). Every field has
// a fixed width and offset, pinned by the static_asserts below and documented, with the reader
// protocol, in docs/registry-format.md. `version` changes if any offset, size or meaning does;
// fields are only ever appended (with `header_size` / `entry_size` growing), so a reader of
// version 1 can read a later header's prefix.
//
// Who writes what, and the seqlock. Only the registry's writers (Register, Unregister,
// SetAddress, Rename), one at a time under the registry mutex, write the mutable fields
// (`generation`, `entries`, `capacity`, `live_count`, `next_id`, `writer_tid` and every entry).
// The constant fields (magic ... byte_order, page_list_layout, the sizes) are fixed at static
// initialization (the object is constant-initialized, so even a core of a process that never
// registered holds a valid, empty header). Each write runs inside one *write section*:
//
//   generation := g + 1 (odd)         relaxed store, then a release fence: any reader that sees
//                                     one of the stores below also sees the odd generation
//   ... stores to the fields ...      relaxed atomic stores (std::atomic_ref)
//   generation := g + 2 (even)        release store: publishes the fields to a reader whose
//                                     acquire load of the generation sees g + 2
//
// A reader loads the generation (acquire), copies the header and the entries it points to
// (relaxed atomic loads in-process; plain memory reads outside), issues an acquire fence and
// reloads the generation. Equal and even: the copy is consistent. Odd or different: a writer was
// active; a live reader retries, a reader of a stopped process or a core file cannot, so it keeps
// the copy and reports it as *torn* ("a writer was active", `writer_tid` names the thread).
//
// Entry arrays are never freed while the process lives: when the array is full, a larger one is
// allocated and filled outside the write section, and published (entries, capacity) inside it;
// the old array is kept, unchanged, so an in-process reader that loaded the old pointer reads
// stale but valid memory, then fails the generation check and retries.
// ================================================================================================

#ifdef __cplusplus
extern "C" {
#endif

// Bytes of the name field of an entry, including the terminating NUL.
#define VMPL_REGISTRY_NAME_SIZE 56
#define VMPL_REGISTRY_VERSION 1
// The four magic bytes at offset 0, in address order.
#define VMPL_REGISTRY_MAGIC "VMPR"
// The same bytes read as a little-endian u32.
#define VMPL_REGISTRY_MAGIC_LE32 0x52504D56u
#define VMPL_REGISTRY_BYTE_ORDER_LITTLE 1
#define VMPL_REGISTRY_BYTE_ORDER_BIG 2
// The page-list memory layout this process uses (docs/registry-format.md, "page_list_layout"):
// 1 = the layout of docs/architecture.md (VmPageList 48 bytes: the kernel's 40 and the node
// table pointer; VmPageListNode 176 bytes; the V2 slot encoding; the V3 splice list).
#define VMPL_REGISTRY_PAGE_LIST_LAYOUT 1
// The writers never grow the entry array beyond this; a reader must reject a larger capacity as
// corrupt (it bounds what a reader of untrusted memory allocates: 16 Mi entries, 1.25 GiB).
#define VMPL_REGISTRY_MAX_CAPACITY (1u << 24)

// One registered object. A slot with address 0 is free; its other fields are zero. Written only
// by the registry's writers, inside a write section; an in-use slot is written id, kind, name
// first and address last, and freed address first, so even a torn copy (a core taken mid-write)
// holds either a complete entry or a free slot, except for the one entry being renamed.
typedef struct vmpl_registry_entry {
  uint64_t address;      // @0  address of the VmPageList / VmPageSpliceList; 0 = free slot
  uint64_t id;           // @8  unique in the process, never 0, never reused
  uint32_t kind;         // @16 1 = VmPageList, 2 = VmPageSpliceList (vmpl::RegistryKind)
  uint32_t name_length;  // @20 bytes of name before its NUL, < VMPL_REGISTRY_NAME_SIZE
  char name[VMPL_REGISTRY_NAME_SIZE];  // @24 NUL-terminated, zero-padded, UTF-8, not escaped
} vmpl_registry_entry;

// The exported root. See the block comment above for who writes each field and how.
typedef struct vmpl_registry_header {
  char magic[4];              // @0  'V','M','P','R' in address order
  uint16_t version;           // @4  VMPL_REGISTRY_VERSION (1)
  uint16_t entry_size;        // @6  sizeof(vmpl_registry_entry) = 80
  uint64_t generation;        // @8  seqlock: odd while a writer changes anything, even when stable
  uint64_t entries;           // @16 address of vmpl_registry_entry[capacity]; 0 until first use
  uint32_t capacity;          // @24 slots in that array (free and in use)
  uint32_t live_count;        // @28 slots in use (address != 0)
  uint64_t next_id;           // @32 the id the next Register returns; ids < next_id were issued
  uint16_t header_size;       // @40 sizeof(vmpl_registry_header) = 64
  uint16_t name_size;         // @42 VMPL_REGISTRY_NAME_SIZE = 56
  uint8_t pointer_size;       // @44 sizeof(void*) of the process = 8
  uint8_t byte_order;         // @45 VMPL_REGISTRY_BYTE_ORDER_LITTLE (1) or _BIG (2)
  uint16_t page_list_layout;  // @46 VMPL_REGISTRY_PAGE_LIST_LAYOUT (1)
  uint32_t page_list_size;    // @48 sizeof(VmPageList) = 48 (the kernel's 40 + node table)
  uint32_t splice_list_size;  // @52 sizeof(VmPageSpliceList)
  uint32_t node_size;         // @56 sizeof(VmPageListNode) = 176
  uint32_t writer_tid;        // @60 Linux tid of the thread in (or last in) a write section
} vmpl_registry_header;

// The one symbol a reader needs. Defined in core/src/registry.cc with
// __attribute__((used, visibility("default"))), so it is in the static symbol table of every
// program that registers anything (and in the dynamic one when the executable is linked with
// -rdynamic / CMake ENABLE_EXPORTS, which a stripped binary needs for readers to find it).
extern vmpl_registry_header vmpl_registry;

#ifdef __cplusplus
}  // extern "C"
#endif

static_assert(sizeof(vmpl_registry_entry) == 80);
static_assert(alignof(vmpl_registry_entry) == 8);
static_assert(offsetof(vmpl_registry_entry, address) == 0);
static_assert(offsetof(vmpl_registry_entry, id) == 8);
static_assert(offsetof(vmpl_registry_entry, kind) == 16);
static_assert(offsetof(vmpl_registry_entry, name_length) == 20);
static_assert(offsetof(vmpl_registry_entry, name) == 24);
static_assert(offsetof(vmpl_registry_entry, name) % 8 == 0 && VMPL_REGISTRY_NAME_SIZE % 8 == 0,
              "the name is copied as whole 8-byte words");

static_assert(sizeof(vmpl_registry_header) == 64);
static_assert(alignof(vmpl_registry_header) == 8);
static_assert(offsetof(vmpl_registry_header, magic) == 0);
static_assert(offsetof(vmpl_registry_header, version) == 4);
static_assert(offsetof(vmpl_registry_header, entry_size) == 6);
static_assert(offsetof(vmpl_registry_header, generation) == 8);
static_assert(offsetof(vmpl_registry_header, entries) == 16);
static_assert(offsetof(vmpl_registry_header, capacity) == 24);
static_assert(offsetof(vmpl_registry_header, live_count) == 28);
static_assert(offsetof(vmpl_registry_header, next_id) == 32);
static_assert(offsetof(vmpl_registry_header, header_size) == 40);
static_assert(offsetof(vmpl_registry_header, name_size) == 42);
static_assert(offsetof(vmpl_registry_header, pointer_size) == 44);
static_assert(offsetof(vmpl_registry_header, byte_order) == 45);
static_assert(offsetof(vmpl_registry_header, page_list_layout) == 46);
static_assert(offsetof(vmpl_registry_header, page_list_size) == 48);
static_assert(offsetof(vmpl_registry_header, splice_list_size) == 52);
static_assert(offsetof(vmpl_registry_header, node_size) == 56);
static_assert(offsetof(vmpl_registry_header, writer_tid) == 60);
static_assert(sizeof(void*) == 8, "the registry ABI stores addresses in 64-bit fields");

namespace vmpl {

// The header every writer exports before its first registration: an empty registry with this
// build's sizes. Constant, so `vmpl_registry` is constant-initialized (in .data before any code
// runs, and in every core file, even of a program that never registered).
constexpr vmpl_registry_header InitialRegistryHeader(uint32_t page_list_size,
                                                     uint32_t splice_list_size,
                                                     uint32_t node_size) {
  return vmpl_registry_header{
      .magic = {'V', 'M', 'P', 'R'},
      .version = VMPL_REGISTRY_VERSION,
      .entry_size = sizeof(vmpl_registry_entry),
      .generation = 0,
      .entries = 0,
      .capacity = 0,
      .live_count = 0,
      .next_id = 1,
      .header_size = sizeof(vmpl_registry_header),
      .name_size = VMPL_REGISTRY_NAME_SIZE,
      .pointer_size = sizeof(void*),
      .byte_order = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? VMPL_REGISTRY_BYTE_ORDER_LITTLE
                                                              : VMPL_REGISTRY_BYTE_ORDER_BIG,
      .page_list_layout = VMPL_REGISTRY_PAGE_LIST_LAYOUT,
      .page_list_size = page_list_size,
      .splice_list_size = splice_list_size,
      .node_size = node_size,
      .writer_tid = 0,
  };
}

}  // namespace vmpl

#endif  // VMPL_REGISTRY_ABI_H_
