// The kernel heap (see heap.h).

#include "heap.h"

#include <vmpl/kernel_assert.h>

namespace vmpl::kernel {
namespace {

constexpr size_t kPageBytes = 4096;
constexpr unsigned kMinOrder = 4;   // 16 bytes
constexpr unsigned kMaxOrder = 26;  // 64 MiB (a trace ring of 2^18 records is 16 MiB + 4 KiB)
constexpr unsigned kPageOrder = 12;
constexpr size_t kMaxHeapPages = size_t{1} << 16;  // a 256 MiB region at most
constexpr uint8_t kNoClass = 0;

struct FreeBlock {
  FreeBlock* next;
};

struct Heap {
  uintptr_t base = 0;
  size_t bytes = 0;
  size_t bump = 0;  // offset of the first byte never carved
  FreeBlock* free_lists[kMaxOrder + 1] = {};
  // The order of the blocks each page was carved into (the first page of a multi-page block).
  uint8_t page_order[kMaxHeapPages] = {};
  HeapStats stats;
};

Heap g_heap;

unsigned OrderFor(size_t bytes, size_t alignment) {
  size_t size = bytes > alignment ? bytes : alignment;
  unsigned order = kMinOrder;
  while ((size_t{1} << order) < size) {
    order++;
  }
  return order;
}

// Carves fresh blocks of |order| from the untouched end of the region: one page's worth for
// small classes (all but one go on the free list), one block for page-sized and larger ones.
bool Carve(unsigned order) {
  const size_t block = size_t{1} << order;
  const size_t span = block < kPageBytes ? kPageBytes : block;
  const size_t start = (g_heap.bump + kPageBytes - 1) & ~(kPageBytes - 1);
  if (start > g_heap.bytes || g_heap.bytes - start < span) {
    return false;
  }
  g_heap.bump = start + span;
  g_heap.stats.carved = g_heap.bump;
  g_heap.page_order[start / kPageBytes] = static_cast<uint8_t>(order);
  for (size_t offset = span; offset >= block; offset -= block) {
    auto* free = reinterpret_cast<FreeBlock*>(g_heap.base + start + offset - block);
    free->next = g_heap.free_lists[order];
    g_heap.free_lists[order] = free;
  }
  return true;
}

}  // namespace

void HeapInit(void* base, size_t bytes) {
  ASSERT(g_heap.base == 0);
  ASSERT(reinterpret_cast<uintptr_t>(base) % kPageBytes == 0);
  if (bytes > kMaxHeapPages * kPageBytes) {
    bytes = kMaxHeapPages * kPageBytes;
  }
  g_heap.base = reinterpret_cast<uintptr_t>(base);
  g_heap.bytes = bytes;
  g_heap.stats.capacity = bytes;
}

void* HeapAlloc(size_t bytes, size_t alignment) {
  DEBUG_ASSERT(alignment != 0 && (alignment & (alignment - 1)) == 0);
  if (bytes > (size_t{1} << kMaxOrder) || alignment > (size_t{1} << kMaxOrder)) {
    g_heap.stats.failures++;
    return nullptr;
  }
  const unsigned order = OrderFor(bytes == 0 ? 1 : bytes, alignment);
  if (alignment > kPageBytes && order < kPageOrder) {
    g_heap.stats.failures++;  // only whole pages are aligned beyond 4 KiB
    return nullptr;
  }
  if (g_heap.free_lists[order] == nullptr && !Carve(order)) {
    g_heap.stats.failures++;
    return nullptr;
  }
  FreeBlock* block = g_heap.free_lists[order];
  g_heap.free_lists[order] = block->next;
  g_heap.stats.in_use += size_t{1} << order;
  g_heap.stats.allocations++;
  return block;
}

void HeapFree(void* block) {
  if (block == nullptr) {
    return;
  }
  const uintptr_t address = reinterpret_cast<uintptr_t>(block);
  ASSERT_MSG(address >= g_heap.base && address < g_heap.base + g_heap.bump,
             "free of %p, outside the heap", block);
  const size_t offset = address - g_heap.base;
  // A small block's page carries its order; a large block starts its first page.
  unsigned order = g_heap.page_order[offset / kPageBytes];
  ASSERT_MSG(order != kNoClass, "free of %p, in a heap page never carved", block);
  ASSERT_MSG(offset % (size_t{1} << (order < kPageOrder ? order : kPageOrder)) == 0,
             "free of %p, not the start of a block", block);
  auto* free = static_cast<FreeBlock*>(block);
  free->next = g_heap.free_lists[order];
  g_heap.free_lists[order] = free;
  g_heap.stats.in_use -= size_t{1} << order;
}

HeapStats GetHeapStats() { return g_heap.stats; }

}  // namespace vmpl::kernel
