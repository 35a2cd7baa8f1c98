// MapHugePages for the kernel (the platform seam of <vmpl/huge_pages.h>): the node table's large
// arrays come zeroed from the kernel heap.
// All kernel memory is already mapped with 2 MiB pages (the physmap), so there is nothing to ask
// of a page allocator here.

#include <string.h>
#include <vmpl/huge_pages.h>

#include "heap.h"

namespace vmpl {

void* MapHugePages(size_t length) {
  void* memory = kernel::HeapAlloc(length, 4096);
  if (memory != nullptr) {
    memset(memory, 0, length);
  }
  return memory;
}

void UnmapHugePages(void* memory, size_t) { kernel::HeapFree(memory); }

}  // namespace vmpl
