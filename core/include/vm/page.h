// vm_page_t: the kernel's per-physical-page structure, reduced to what the page list touches but
// with the kernel's exact size (48 bytes) and field offsets, so a debugger reads our pages and a
// real kernel's the same way (docs/semantics.md section 12.6).
//
//   0x00 queue_node            list links (splice-list raw pages, allocator free list)
//   0x10 paddr_priv            physical address
//   0x18 object.object_or_stack_owner
//   0x20 object.page_offset_priv
//   0x28 object.page_queue_priv
//   0x29 pin_count:5 cow_left_split:1 cow_right_split:1 always_need:1
//   0x2A dirty_state:2 padding:6
//   0x2B state_priv            vm_page_state
//   0x2C loaned_state_priv
//   0x2D padding_bytes[3]

#ifndef VM_PAGE_H_
#define VM_PAGE_H_

#include <stddef.h>
#include <stdint.h>
#include <zircon/compiler.h>
#include <zircon/listnode.h>
#include <zircon/types.h>

#define VM_PAGE_OBJECT_PIN_COUNT_BITS 5
#define VM_PAGE_OBJECT_MAX_PIN_COUNT ((1 << VM_PAGE_OBJECT_PIN_COUNT_BITS) - 1)
#define VM_PAGE_OBJECT_DIRTY_STATE_BITS 2
#define VM_PAGE_OBJECT_MAX_DIRTY_STATES (1 << VM_PAGE_OBJECT_DIRTY_STATE_BITS)
#define VM_PAGE_OBJECT_DIRTY_STATES_MASK (VM_PAGE_OBJECT_MAX_DIRTY_STATES - 1)

enum class vm_page_state : uint8_t {
  FREE = 0,
  ALLOC,
  OBJECT,
  WIRED,
  HEAP,
  MMU,
  IPC,
  CACHE,
  SLAB,
  COUNT_,
};

typedef struct vm_page {
  struct list_node queue_node;
  paddr_t paddr_priv;
  struct {
    uintptr_t object_or_stack_owner;
    uint64_t page_offset_priv;
    uint8_t page_queue_priv;
    uint8_t pin_count : VM_PAGE_OBJECT_PIN_COUNT_BITS;
    uint8_t cow_left_split : 1;
    uint8_t cow_right_split : 1;
    uint8_t always_need : 1;
    uint8_t dirty_state : VM_PAGE_OBJECT_DIRTY_STATE_BITS;
    uint8_t padding : 8 - VM_PAGE_OBJECT_DIRTY_STATE_BITS;
  } __PACKED object;
  vm_page_state state_priv;
  uint8_t loaned_state_priv;
  char padding_bytes[3];

  paddr_t paddr() const { return paddr_priv; }
  vm_page_state state() const { return state_priv; }
  void set_state(vm_page_state state) { state_priv = state; }
} vm_page_t;

static_assert(sizeof(vm_page_t) == 48, "vm_page_t must be 48 bytes as in the kernel");
static_assert(offsetof(vm_page_t, paddr_priv) == 0x10);
static_assert(offsetof(vm_page_t, object) == 0x18);
static_assert(offsetof(vm_page_t, state_priv) == 0x2B);
static_assert(offsetof(vm_page_t, loaned_state_priv) == 0x2C);

#endif  // VM_PAGE_H_
