// The 64-bit entry, running at its higher-half address: reloads the GDT and segments, sets up
// the boot stack, zeroes .bss, runs the global constructors, and calls kernel_main.
#include "arch/asm.h"

.section .text.boot, "ax", @progbits
.code64
.globl _start64
.type _start64, @function
_start64:
  // Stop debuggers' backtraces here: there is no caller.
  .cfi_startproc
  .cfi_undefined rip

  lgdt boot_gdtr64(%rip)
  movw $KERNEL_DATA_SELECTOR, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  xorl %eax, %eax
  movw %ax, %fs
  movw %ax, %gs

  // The upper halves of the registers are undefined after the switch from 32-bit code;
  // a 32-bit move zero-extends the hvm_start_info address into a callee-saved register.
  movl %esi, %r12d

  // The stack is in its own NOBITS section, outside [__bss_start, __bss_end).
  leaq boot_stack_top(%rip), %rsp
  xorl %ebp, %ebp

  leaq __bss_start(%rip), %rdi
  leaq __bss_end(%rip), %rcx
  subq %rdi, %rcx
  xorl %eax, %eax
  rep stosb

  // Global constructors, in .init_array order (the linker script sorts by priority).
  leaq __init_array_start(%rip), %rbx
  leaq __init_array_end(%rip), %r13
1:
  cmpq %r13, %rbx
  je 2f
  call *(%rbx)
  addq $8, %rbx
  jmp 1b
2:
  movq %r12, %rdi
  call kernel_main

  // kernel_main is [[noreturn]]; halt for good if it returns anyway.
3:
  cli
  hlt
  jmp 3b
  .cfi_endproc
.size _start64, . - _start64

.section .boot_stack, "aw", @nobits
.balign 16
.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
  .skip BOOT_STACK_SIZE
boot_stack_top:

.section .note.GNU-stack, "", @progbits
