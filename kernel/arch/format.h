// The printf engine behind kvsnprintf and kprintf: formats into any byte sink.
#ifndef VMPL_KERNEL_ARCH_FORMAT_H_
#define VMPL_KERNEL_ARCH_FORMAT_H_

#include <stdarg.h>
#include <stddef.h>

// Receives the output in pieces; a pointer-to-function rather than a template so the engine
// is compiled once.
struct FormatSink {
  void (*write)(FormatSink* self, const char* data, size_t len);
};

// Returns the number of bytes written to the sink.
int kformat(FormatSink* sink, const char* fmt, va_list args);

#endif  // VMPL_KERNEL_ARCH_FORMAT_H_
