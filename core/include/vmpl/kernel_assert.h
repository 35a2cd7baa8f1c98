// Kernel-style assertion macros for the userspace page list.
//
// The kernel has two kinds of checks: ASSERT, always on, and DEBUG_ASSERT, compiled in only when
// LK_DEBUGLEVEL > 1. We keep that split. VMPL_DEBUG_ASSERTS (set by CMake; on in debug and test
// builds, off in release and benchmark builds) plays the role of LK_DEBUGLEVEL > 1.
//
// A failed check prints the file, line and condition and aborts, which is what death tests match.
//
// AssertFail is a platform seam (docs/architecture.md, "One core, two platforms"): userspace
// defines it in core/src/kernel_assert.cc (stderr, abort), the QEMU kernel in
// kernel/platform/kernel_assert.cc (serial console, panic).

#ifndef VMPL_KERNEL_ASSERT_H_
#define VMPL_KERNEL_ASSERT_H_

#include <zircon/compiler.h>

#ifndef VMPL_DEBUG_ASSERTS
#define VMPL_DEBUG_ASSERTS 1
#endif

#define DEBUG_ASSERT_IMPLEMENTED VMPL_DEBUG_ASSERTS
#define ZX_DEBUG_ASSERT_IMPLEMENTED VMPL_DEBUG_ASSERTS

namespace vmpl {
// Prints "ASSERT FAILED at file:line: condition (message)" to stderr and aborts.
[[noreturn]] void AssertFail(const char* file, int line, const char* condition, const char* fmt,
                             ...) __attribute__((format(printf, 4, 5)));
}  // namespace vmpl

#define ASSERT_MSG(x, fmt, ...)                                                   \
  do {                                                                            \
    if (unlikely(!(x))) {                                                         \
      ::vmpl::AssertFail(__FILE__, __LINE__, #x, fmt __VA_OPT__(, ) __VA_ARGS__); \
    }                                                                             \
  } while (0)
#define ASSERT(x) ASSERT_MSG(x, "%s", "")

#if VMPL_DEBUG_ASSERTS
#define DEBUG_ASSERT_MSG(x, fmt, ...) ASSERT_MSG(x, fmt __VA_OPT__(, ) __VA_ARGS__)
#define DEBUG_ASSERT(x) ASSERT(x)
#else
// Keep the expression type-checked but never evaluated.
#define DEBUG_ASSERT_MSG(x, fmt, ...) \
  do {                                \
    if (false) {                      \
      (void)(x);                      \
    }                                 \
  } while (0)
#define DEBUG_ASSERT(x) DEBUG_ASSERT_MSG(x, "")
#endif

#define ZX_ASSERT(x) ASSERT(x)
#define ZX_ASSERT_MSG(x, fmt, ...) ASSERT_MSG(x, fmt __VA_OPT__(, ) __VA_ARGS__)
#define ZX_DEBUG_ASSERT(x) DEBUG_ASSERT(x)
#define ZX_DEBUG_ASSERT_MSG(x, fmt, ...) DEBUG_ASSERT_MSG(x, fmt __VA_OPT__(, ) __VA_ARGS__)

#define panic(fmt, ...) \
  ::vmpl::AssertFail(__FILE__, __LINE__, "panic", fmt __VA_OPT__(, ) __VA_ARGS__)

#endif  // VMPL_KERNEL_ASSERT_H_
