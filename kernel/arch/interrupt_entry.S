// Interrupt entry points: one stub per CPU exception (0-31) feeding a common path that saves
// every general register and calls arch_exception_handler, and the timer IRQ's handler.
#include "arch/asm.h"

// Exceptions that push an error code; the others get a zero so the frame is uniform.
#define HAS_ERROR_CODE(n) \
  ((n) == 8 || (n) == 10 || (n) == 11 || (n) == 12 || (n) == 13 || (n) == 14 || (n) == 17 || \
   (n) == 21 || (n) == 29 || (n) == 30)

#define PIC_MASTER_COMMAND 0x20
#define PIC_SLAVE_COMMAND 0xa0
#define PIC_EOI 0x20

.text
.code64

.macro EXCEPTION_STUB n
.balign 16
exception_stub_\n:
  .if HAS_ERROR_CODE(\n) == 0
  pushq $0
  .endif
  pushq $\n
  jmp exception_common
.endm

#define ALL_EXCEPTIONS \
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, \
  26, 27, 28, 29, 30, 31
.irp n, ALL_EXCEPTIONS
  EXCEPTION_STUB \n
.endr

exception_common:
  // The reverse of struct ExceptionFrame's order.
  pushq %r15
  pushq %r14
  pushq %r13
  pushq %r12
  pushq %r11
  pushq %r10
  pushq %r9
  pushq %r8
  pushq %rbp
  pushq %rdi
  pushq %rsi
  pushq %rdx
  pushq %rcx
  pushq %rbx
  pushq %rax
  cld
  // The CPU aligned the stack to 16 before its 5 pushes; 5 + 2 + 15 pushes keep it aligned.
  movq %rsp, %rdi
  call arch_exception_handler
  popq %rax
  popq %rbx
  popq %rcx
  popq %rdx
  popq %rsi
  popq %rdi
  popq %rbp
  popq %r8
  popq %r9
  popq %r10
  popq %r11
  popq %r12
  popq %r13
  popq %r14
  popq %r15
  addq $16, %rsp  // vector and error code
  iretq

// IRQ0 (the PIT): count the tick, acknowledge the PIC. Touches only %rax and the flags (which
// iretq restores).
.globl timer_irq_entry
timer_irq_entry:
  pushq %rax
  lock incq timer_ticks_(%rip)
  movb $PIC_EOI, %al
  outb %al, $PIC_MASTER_COMMAND
  popq %rax
  iretq

// A spurious IRQ7 (the master PIC reporting an interrupt that went away): no EOI.
.globl spurious_master_entry
spurious_master_entry:
  iretq

// A spurious IRQ15: the slave must not get an EOI, but the master saw its cascade line.
.globl spurious_slave_entry
spurious_slave_entry:
  pushq %rax
  movb $PIC_EOI, %al
  outb %al, $PIC_MASTER_COMMAND
  popq %rax
  iretq

// The stubs' addresses, for interrupts.cc to put in the IDT.
.section .rodata
.balign 8
.globl exception_stubs
exception_stubs:
.irp n, ALL_EXCEPTIONS
  .quad exception_stub_\n
.endr

.section .note.GNU-stack, "", @progbits
