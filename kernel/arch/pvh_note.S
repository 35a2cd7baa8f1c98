// The PVH ELF note that makes QEMU's `-kernel` loader accept this ELF64 image: it loads the
// PT_LOAD segments at their p_paddr and enters the 32-bit physical address given here, in
// 32-bit protected mode with paging off and %ebx = physical address of struct hvm_start_info.
#include "arch/asm.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

// 4-byte alignment: QEMU finds the descriptor by aligning the name to the PT_NOTE's p_align.
.pushsection .note.pvh, "a", @note
.balign 4
.long 2f - 1f  // namesz
.long 4f - 3f  // descsz
.long XEN_ELFNOTE_PHYS32_ENTRY
1: .asciz "Xen"
2: .balign 4
// QEMU reads the descriptor as a 64-bit value, so it is a quad (as Linux does).
3: .quad PHYS(_start32)
4: .balign 4
.popsection

.section .note.GNU-stack, "", @progbits
