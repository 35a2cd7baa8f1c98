// The slice of the kernel's physical memory manager that the page list calls: freeing a page.
// In userspace the PMM is vmpl::PageAllocator (<vmpl/page_allocator.h>).

#ifndef VM_PMM_H_
#define VM_PMM_H_

#include <vm/page.h>
#include <zircon/types.h>

// Allocates one page; ZX_ERR_NO_MEMORY when the allocator is exhausted or a failure is injected.
zx_status_t pmm_alloc_page(uint32_t alloc_flags, vm_page_t** page);
// Returns one page to the allocator, through the free hook (see vmpl::PageAllocator).
void pmm_free_page(vm_page_t* page);
// Returns every page of |list| (linked through queue_node) to the allocator.
void pmm_free(list_node* list);

#endif  // VM_PMM_H_
