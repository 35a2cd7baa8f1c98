// Memory mapped for transparent huge pages, shared by the node allocator and the node table.

#ifndef VMPL_CORE_SRC_HUGE_PAGES_H_
#define VMPL_CORE_SRC_HUGE_PAGES_H_

#include <stddef.h>

namespace vmpl {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// |length| bytes (a multiple of kHugePageBytes) of zeroed memory aligned to kHugePageBytes and
// advised as transparent huge pages, or nullptr. Without transparent huge pages it works the same
// on 4 KiB pages.
void* MapHugePages(size_t length);
void UnmapHugePages(void* memory, size_t length);

}  // namespace vmpl

#endif  // VMPL_CORE_SRC_HUGE_PAGES_H_
