// Constants shared by the boot assembly, the linker script's values, and memory.h.
// Plain #defines so the .S files can include this header.
#ifndef VMPL_KERNEL_ARCH_ASM_H_
#define VMPL_KERNEL_ARCH_ASM_H_

// The kernel window: virtual KERNEL_VIRT_BASE + p maps physical p (0-1 GiB).
#define KERNEL_VIRT_BASE 0xffffffff80000000
// The 32-bit code runs before paging; it must use the physical address of every symbol.
#define PHYS(sym) ((sym)-KERNEL_VIRT_BASE)

// The GDT selectors the boot code loads (see start32.S).
#define KERNEL_CODE_SELECTOR 0x08
#define KERNEL_DATA_SELECTOR 0x10

#define BOOT_STACK_SIZE 0x10000

#endif  // VMPL_KERNEL_ARCH_ASM_H_
