// Page-size constants of the kernel's <vm/vm.h> and <arch/defines.h> (x86-64).

#ifndef VM_VM_H_
#define VM_VM_H_

#include <align.h>
#include <zircon/types.h>

#define PAGE_SIZE_SHIFT 12
// A signed long, as in the kernel.
#define PAGE_SIZE (1L << PAGE_SIZE_SHIFT)
#define PAGE_MASK (PAGE_SIZE - 1)

#endif  // VM_VM_H_
