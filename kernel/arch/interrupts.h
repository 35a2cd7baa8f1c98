// The IDT, the CPU exception handlers, the 8259 PICs and the PIT timer.
#ifndef VMPL_KERNEL_ARCH_INTERRUPTS_H_
#define VMPL_KERNEL_ARCH_INTERRUPTS_H_

#include <stdint.h>

constexpr uint32_t kTimerHz = 1000;
// Where the PICs' IRQs 0-7 and 8-15 land, past the 32 CPU exception vectors.
constexpr uint8_t kPicMasterVector = 0x20;
constexpr uint8_t kPicSlaveVector = 0x28;

// Incremented by the IRQ0 handler (interrupt_entry.S). extern "C" for the assembly.
extern "C" volatile uint64_t timer_ticks_;

// Loads the IDT (every exception prints its state and panics), remaps the PICs with only IRQ0
// unmasked and starts the PIT at kTimerHz. Leaves interrupts disabled.
void arch_init_interrupts();

uint64_t timer_ticks();

void arch_enable_interrupts();
void arch_disable_interrupts();

// sti; hlt: sleeps until the next interrupt and returns after its handler ran, with interrupts
// enabled. (The sti shadow makes the pair atomic: no interrupt is lost in between.)
void arch_idle();

uint64_t arch_rdtsc();

// The registers the exception entry (interrupt_entry.S) saves, in stack order.
struct ExceptionFrame {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t vector, error_code;
  // Pushed by the CPU.
  uint64_t rip, cs, rflags, rsp, ss;
};

// Called by the exception entry with interrupts disabled.
extern "C" void arch_exception_handler(ExceptionFrame* frame);

#endif  // VMPL_KERNEL_ARCH_INTERRUPTS_H_
