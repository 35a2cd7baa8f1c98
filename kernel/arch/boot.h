// The boot path's contract with the rest of the kernel (start32.S -> start64.S -> kernel_main).
#ifndef VMPL_KERNEL_ARCH_BOOT_H_
#define VMPL_KERNEL_ARCH_BOOT_H_

#include <stdint.h>

// Called by start64.S on the 64 KiB boot stack, with interrupts disabled, .bss zeroed and the
// global constructors run. start_info_paddr is the physical address of the PVH loader's
// hvm_start_info (see boot_info.h). Paging: identity, physmap and kernel window (memory.h).
extern "C" [[noreturn]] void kernel_main(uint64_t start_info_paddr);

#endif  // VMPL_KERNEL_ARCH_BOOT_H_
