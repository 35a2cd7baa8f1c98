// The compiler helpers Zircon code expects from <zircon/compiler.h>.

#ifndef ZIRCON_COMPILER_H_
#define ZIRCON_COMPILER_H_

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define __PACKED __attribute__((packed))
#define __ALIGNED(x) __attribute__((aligned(x)))
#define __UNUSED __attribute__((unused))
#define __WARN_UNUSED_RESULT __attribute__((warn_unused_result))

#endif  // ZIRCON_COMPILER_H_
