// Large zeroed blocks aligned to a huge page, for the node allocator and the node table: a
// platform seam (docs/architecture.md, "One core, two platforms"). The core declares them here and
// each platform that links the core defines MapHugePages and UnmapHugePages:
//   - userspace, core/src/huge_pages.cc: anonymous mappings advised as transparent huge pages;
//   - the QEMU kernel, kernel/platform/huge_pages.cc: zeroed blocks of the kernel heap, which
//     the physmap already maps with 2 MiB pages.

#ifndef VMPL_HUGE_PAGES_H_
#define VMPL_HUGE_PAGES_H_

#include <stddef.h>

namespace vmpl {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// |length| bytes (a multiple of kHugePageBytes) of zeroed memory aligned to kHugePageBytes and
// advised as transparent huge pages, or nullptr. Without transparent huge pages it works the same
// on 4 KiB pages.
void* MapHugePages(size_t length);
void UnmapHugePages(void* memory, size_t length);

}  // namespace vmpl

#endif  // VMPL_HUGE_PAGES_H_
