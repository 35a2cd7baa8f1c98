// The kernel heap: where operator new, malloc and the core's node and table allocations come
// from in the QEMU kernel.
//
// Power-of-two size classes, 16 bytes to 64 MiB, carved from one region of the physmap. A heap
// page (4 KiB) holds blocks of one class only, and a block of 4 KiB or more starts on a page, so
// every block is aligned to its size up to 4 KiB and nothing needs a header: the class of a
// block is found from a per-page byte. Freed blocks go on their class's free list and are reused
// by the next allocation of that class; memory never moves between classes. That is simple and
// predictable, and enough for a kernel whose only job is to run one workload; it wastes up to
// half of each block (a 192-byte node takes 256).
//
// One CPU, and the timer interrupt never allocates: no lock.

#ifndef VMPL_KERNEL_PLATFORM_HEAP_H_
#define VMPL_KERNEL_PLATFORM_HEAP_H_

#include <stddef.h>
#include <stdint.h>

namespace vmpl::kernel {

struct HeapStats {
  size_t capacity = 0;       // bytes of the region
  size_t carved = 0;         // bytes taken from the region so far (in blocks or free lists)
  size_t in_use = 0;         // bytes in live blocks (rounded up to their class)
  uint64_t allocations = 0;  // successful allocations since boot
  uint64_t failures = 0;     // allocations refused: region exhausted or too large
};

// Gives the heap its region (page aligned, at most 4 GiB). Called once, before any allocation.
void HeapInit(void* base, size_t bytes);

// |bytes| aligned to |alignment| (a power of two); nullptr when the region is exhausted.
void* HeapAlloc(size_t bytes, size_t alignment);

// Frees a block HeapAlloc returned; null is ignored. Panics on an address outside the heap.
void HeapFree(void* block);

HeapStats GetHeapStats();

}  // namespace vmpl::kernel

#endif  // VMPL_KERNEL_PLATFORM_HEAP_H_
