// kernel_panic() and the ways out of the kernel.

#include "arch/panic.h"

#include <stdarg.h>

#include "arch/console.h"
#include "arch/io.h"

namespace {

constexpr uint16_t kDebugExitPort = 0xf4;
constexpr uint8_t kPanicExitCode = 3;

// A panic while panicking (a fault in the formatter, say) must not recurse forever.
bool panicking = false;

}  // namespace

void arch_exit_qemu(uint8_t code) { outl(kDebugExitPort, code); }

void arch_halt_forever() {
  for (;;) asm volatile("cli; hlt");
}

void kernel_panic(const char* fmt, ...) {
  asm volatile("cli");
  if (!panicking) {
    panicking = true;
    kprintf("PANIC: ");
    va_list args;
    va_start(args, fmt);
    kvprintf(fmt, args);
    va_end(args);
    kprintf("\n");
  }
  arch_exit_qemu(kPanicExitCode);
  arch_halt_forever();
}
