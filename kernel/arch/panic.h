// Fatal errors: report on the serial console, then leave QEMU (or halt on real hardware).
#ifndef VMPL_KERNEL_ARCH_PANIC_H_
#define VMPL_KERNEL_ARCH_PANIC_H_

#include <stdint.h>

// (Not named panic: <vmpl/kernel_assert.h> defines panic() as a macro, as Zircon does.)
// Prints "PANIC: <message>", then arch_exit_qemu(3) (QEMU exits with status 7), then halts
// with interrupts off forever.
[[noreturn]] void kernel_panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Writes code to QEMU's isa-debug-exit device (port 0xf4), which makes QEMU exit with status
// (code << 1) | 1. Returns, doing nothing, when the device is absent.
void arch_exit_qemu(uint8_t code);

// Halts with interrupts off; only NMIs and SMIs wake the CPU, and it halts again.
[[noreturn]] void arch_halt_forever();

#endif  // VMPL_KERNEL_ARCH_PANIC_H_
