// The serial console (COM1, 115200 8N1) and a small printf family for the kernel.
// Conversions: %d %i %u %x %X %s %c %p %%; flags '-' and '0'; a width; a precision (for %s
// only); length modifiers hh h l ll z j t.
#ifndef VMPL_KERNEL_ARCH_CONSOLE_H_
#define VMPL_KERNEL_ARCH_CONSOLE_H_

#include <stdarg.h>
#include <stddef.h>

// Programs COM1. console_write calls it on first use, so calling it is optional.
void console_init();

// Writes len bytes to COM1, translating "\n" to "\r\n".
void console_write(const char* data, size_t len);

// As vsnprintf: writes at most size bytes including the terminating NUL (none if size is 0) and
// returns the length the whole output would have.
int kvsnprintf(char* buf, size_t size, const char* fmt, va_list args)
    __attribute__((format(printf, 3, 0)));
int ksnprintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// Formats straight to the console (no length limit).
void kvprintf(const char* fmt, va_list args) __attribute__((format(printf, 1, 0)));
void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#endif  // VMPL_KERNEL_ARCH_CONSOLE_H_
