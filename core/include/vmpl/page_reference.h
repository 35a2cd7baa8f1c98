// vmpl::FreeReference: how the page list gives back a compressed-page reference it owned.
//
// In Zircon a reference is freed through the page compression system; here the platform that
// links the core provides the definition: the userspace page allocator (<vmpl/page_allocator.h>,
// core/src/page_allocator.cc) or the QEMU kernel's (kernel/platform/pmm.cc). This header needs
// nothing from a hosted C++ library, so the freestanding build of the core can include it.

#ifndef VMPL_PAGE_REFERENCE_H_
#define VMPL_PAGE_REFERENCE_H_

#include <stdint.h>

namespace vmpl {

// Frees a reference value the page list held (non-zero, low 4 bits clear).
void FreeReference(uint64_t value);

}  // namespace vmpl

#endif  // VMPL_PAGE_REFERENCE_H_
