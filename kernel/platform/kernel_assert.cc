// vmpl::AssertFail for the kernel: a failed ASSERT or DEBUG_ASSERT in the core (or the core's
// panic() macro) prints the file, line, condition and message on the serial console, then stops
// the machine through kernel_panic, which also ends QEMU when it runs with the isa-debug-exit
// device (scripts/boot_kernel.sh adds it), so a test sees the failure at once.

#include <stdarg.h>
#include <vmpl/kernel_assert.h>

#include "arch/console.h"
#include "arch/panic.h"

namespace vmpl {

void AssertFail(const char* file, int line, const char* condition, const char* fmt, ...) {
  char message[256];
  va_list args;
  va_start(args, fmt);
  kvsnprintf(message, sizeof(message), fmt, args);
  va_end(args);
  kernel_panic("ASSERT FAILED at %s:%d: %s%s%s%s", file, line, condition,
               message[0] != '\0' ? " (" : "", message, message[0] != '\0' ? ")" : "");
}

}  // namespace vmpl
