// The 32-bit PVH entry: builds the boot page tables, enters long mode, and jumps to the
// higher-half 64-bit entry (start64.S). Runs at physical addresses with paging off and no
// stack, so it uses only registers; %esi carries the hvm_start_info address throughout.
#include "arch/asm.h"

#define PAGE_PRESENT 0x1
#define PAGE_WRITE 0x2
#define PAGE_LARGE 0x80  // In a page directory entry: a 2 MiB page.
#define LARGE_PAGE_SIZE 0x200000
#define PAGE_SIZE 0x1000
#define BOOT_PAGE_TABLES_SIZE (6 * PAGE_SIZE)
// Legacy VGA memory: MMIO, not RAM, in the low 1 MiB.
#define VGA_HOLE_START 0xa0000
#define VGA_HOLE_END 0xc0000

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

.section .text.boot, "ax", @progbits
.code32
.globl _start32
.type _start32, @function
_start32:
  cli
  cld
  movl %ebx, %esi

  // The tables live in a NOBITS section; zero them rather than trust the loader to.
  movl $PHYS(boot_page_tables), %edi
  movl $(BOOT_PAGE_TABLES_SIZE / 4), %ecx
  xorl %eax, %eax
  rep stosl

  // The identity map: PML4[0] -> PDPT_low[0] -> PD_identity, 2 MiB pages over 0-1 GiB.
  movl $PHYS(boot_pd_identity), %edi
  movl $(PAGE_PRESENT | PAGE_WRITE | PAGE_LARGE), %eax
  movl $512, %ecx
1:
  movl %eax, (%edi)  // The high half of each entry is already zero.
  addl $LARGE_PAGE_SIZE, %eax
  addl $8, %edi
  loop 1b

  // The physmap and the kernel window share PD_high: the same, except that its first 2 MiB are
  // 4 KiB pages (PT_low) leaving the VGA hole [0xa0000, 0xc0000) unmapped. The hole splits the
  // mapping where QEMU's RAM blocks split, so a `dump-guest-memory -p` core gets PT_LOADs whose
  // file data covers all of RAM (a mapping crossing the hole is cut off at 0xa0000 there).
  movl $PHYS(boot_pd_high) + 8, %edi
  movl $(LARGE_PAGE_SIZE | PAGE_PRESENT | PAGE_WRITE | PAGE_LARGE), %eax
  movl $511, %ecx
1:
  movl %eax, (%edi)
  addl $LARGE_PAGE_SIZE, %eax
  addl $8, %edi
  loop 1b
  movl $PHYS(boot_pt_low), %edi
  movl $(PAGE_PRESENT | PAGE_WRITE), %eax
  movl $512, %ecx
1:
  cmpl $VGA_HOLE_START, %eax
  jb 2f
  cmpl $VGA_HOLE_END, %eax
  jb 3f
2:
  movl %eax, (%edi)
3:
  addl $PAGE_SIZE, %eax
  addl $8, %edi
  loop 1b
  movl $(PHYS(boot_pt_low) + PAGE_PRESENT + PAGE_WRITE), %eax
  movl %eax, PHYS(boot_pd_high)

  movl $(PHYS(boot_pd_identity) + PAGE_PRESENT + PAGE_WRITE), %eax
  movl %eax, PHYS(boot_pdpt_low)
  movl $(PHYS(boot_pd_high) + PAGE_PRESENT + PAGE_WRITE), %eax
  // Physmap 0xffffff8000000000: PML4[511] -> PDPT_high[0] -> PD_high.
  movl %eax, PHYS(boot_pdpt_high)
  // Kernel window 0xffffffff80000000: PML4[511] -> PDPT_high[510] -> PD_high.
  movl %eax, PHYS(boot_pdpt_high) + 510 * 8
  movl $(PHYS(boot_pdpt_low) + PAGE_PRESENT + PAGE_WRITE), %eax
  movl %eax, PHYS(boot_pml4)
  movl $(PHYS(boot_pdpt_high) + PAGE_PRESENT + PAGE_WRITE), %eax
  movl %eax, PHYS(boot_pml4) + 511 * 8

  // Long mode: PAE, then CR3, then EFER.LME, then paging (the order the SDM requires).
  movl %cr4, %eax
  orl $CR4_PAE, %eax
  movl %eax, %cr4
  movl $PHYS(boot_pml4), %eax
  movl %eax, %cr3
  movl $MSR_EFER, %ecx
  rdmsr
  orl $EFER_LME, %eax
  wrmsr
  movl %cr0, %eax
  orl $(CR0_PE | CR0_WP | CR0_PG), %eax
  movl %eax, %cr0

  // Paging is on, in compatibility mode; a far jump through a 64-bit code segment enters
  // 64-bit mode, still at the identity-mapped physical address.
  lgdt PHYS(boot_gdtr32)
  ljmp $KERNEL_CODE_SELECTOR, $PHYS(start64_low)

.code64
start64_low:
  // Only absolute addressing here: this code runs 0xffffffff80000000 below its link address.
  movabsq $_start64, %rax
  jmp *%rax
.size _start32, . - _start32

// A flat GDT: a 64-bit code segment and a data segment. start64.S reloads it at its
// higher-half address so nothing depends on the identity map.
.section .rodata.boot, "a", @progbits
.balign 16
.globl boot_gdt
boot_gdt:
  .quad 0
  .quad 0x00af9a000000ffff  // 0x08: code, DPL 0, L=1 (64-bit).
  .quad 0x00cf92000000ffff  // 0x10: data, writable.
boot_gdt_end:

// The lgdt operand in 32-bit mode: a 32-bit (physical) base.
boot_gdtr32:
  .word boot_gdt_end - boot_gdt - 1
  .long PHYS(boot_gdt)

.balign 8
.globl boot_gdtr64
boot_gdtr64:
  .word boot_gdt_end - boot_gdt - 1
  .quad boot_gdt

// The boot page tables, kept after boot (the identity map too).
.section .boot_page_tables, "aw", @nobits
.balign 4096
.globl boot_page_tables, boot_pml4, boot_pdpt_low, boot_pdpt_high, boot_pd_identity
.globl boot_pd_high, boot_pt_low
boot_page_tables:
boot_pml4: .skip PAGE_SIZE
boot_pdpt_low: .skip PAGE_SIZE
boot_pdpt_high: .skip PAGE_SIZE
boot_pd_identity: .skip PAGE_SIZE
boot_pd_high: .skip PAGE_SIZE
boot_pt_low: .skip PAGE_SIZE
boot_page_tables_end:

.section .note.GNU-stack, "", @progbits
