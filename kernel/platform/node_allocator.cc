// vmpl::NodeAllocator for the kernel: page-list nodes come from the kernel heap, one 256-byte
// block per 192-byte slot (heap.h's classes are powers of two), always 64-byte aligned. The
// userspace allocator's huge-page chunks and per-thread caches (core/src/node_allocator.cc) are
// about a multi-threaded process's speed; this kernel has one CPU and measures nothing.

#include <fbl/alloc_checker.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/node_allocator.h>

#include "heap.h"

namespace vmpl {
namespace {

constexpr size_t kSlotAlignment = 64;
size_t g_live_slots = 0;

}  // namespace

void* NodeAllocator::Allocate(size_t size) {
  DEBUG_ASSERT(size <= kSlotBytes);
  if (size > kSlotBytes) {
    return nullptr;
  }
  void* slot = kernel::HeapAlloc(kSlotBytes, kSlotAlignment);
  if (slot != nullptr) {
    g_live_slots++;
  }
  return slot;
}

void* NodeAllocator::AllocateOrFail(size_t size) {
  void* slot = Allocate(size);
  if (slot == nullptr) {
    panic("out of memory for a page-list node");
  }
  return slot;
}

void* NodeAllocator::AllocateChecked(size_t size, fbl::AllocChecker* ac) {
  void* slot = AllocFailureInjector::ShouldFail() ? nullptr : Allocate(size);
  ac->arm(size, slot != nullptr);
  return slot;
}

void NodeAllocator::Free(void* memory) {
  if (memory != nullptr) {
    g_live_slots--;
    kernel::HeapFree(memory);
  }
}

void NodeAllocator::ReleaseThreadCache() {}

NodeAllocator::Stats NodeAllocator::stats() {
  Stats stats;
  stats.live_slots = g_live_slots;
  return stats;
}

}  // namespace vmpl
