// Userspace: huge-page-aligned anonymous mappings (the platform seam of <vmpl/huge_pages.h>).

#include <stdint.h>
#include <sys/mman.h>
#include <vmpl/huge_pages.h>

namespace vmpl {

void* MapHugePages(size_t length) {
  // Map one huge page more than needed, and cut an aligned run out of it.
  void* raw = mmap(nullptr, length + kHugePageBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    return nullptr;
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  if (aligned > start) {
    munmap(raw, aligned - start);
  }
  const uintptr_t end = start + length + kHugePageBytes;
  if (end > aligned + length) {
    munmap(reinterpret_cast<void*>(aligned + length), end - (aligned + length));
  }
  (void)madvise(reinterpret_cast<void*>(aligned), length, MADV_HUGEPAGE);  // only advice
  return reinterpret_cast<void*>(aligned);
}

void UnmapHugePages(void* memory, size_t length) { munmap(memory, length); }

}  // namespace vmpl
