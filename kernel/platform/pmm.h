// The kernel's physical page allocator: a vm_page_t for every 4 KiB page of the RAM it is given,
// as in Zircon's pmm, behind the functions <vm/pmm.h> declares (pmm_alloc_page, pmm_free_page,
// pmm_free) that the page list and the workload call. Free pages sit on one list, linked through
// vm_page_t::queue_node; an allocated page is zeroed through the physmap and put in state OBJECT.
//
// Also the kernel's compressed-page references (vmpl::FreeReference, <vmpl/page_reference.h>):
// the workload "compresses" a page by swapping it for a reference value, as Zircon's compressor
// does; values are counted, not backed by storage.

#ifndef VMPL_KERNEL_PLATFORM_PMM_H_
#define VMPL_KERNEL_PLATFORM_PMM_H_

#include <stddef.h>
#include <stdint.h>
#include <vm/page.h>

namespace vmpl::kernel {

struct PmmStats {
  size_t pages_total = 0;
  size_t pages_free = 0;
  uint64_t references_live = 0;
};

// Hands the allocator the physical range [base, base + pages * 4 KiB) (physmap-mapped), and the
// array of |pages| vm_page_t that describes it.
void PmmInit(uint64_t base_paddr, size_t pages, vm_page_t* page_array);

// A fresh reference value: non-zero, low 4 bits clear.
uint64_t PmmAllocReference();

PmmStats GetPmmStats();

}  // namespace vmpl::kernel

#endif  // VMPL_KERNEL_PLATFORM_PMM_H_
