// Alignment helpers with the names and meaning of the kernel's <align.h>.
// All of them expect |b| to be a power of two.

#ifndef VMPL_ALIGN_H_
#define VMPL_ALIGN_H_

#include <stdint.h>

#define ROUNDUP(a, b) (((a) + ((b)-1)) & ~((b)-1))
#define ROUNDDOWN(a, b) ((a) & ~((b)-1))
#define ALIGN(a, b) ROUNDUP(a, b)
#define IS_ALIGNED(a, b) (!(((uintptr_t)(a)) & (((uintptr_t)(b)) - 1)))
#define IS_ROUNDED(a, b) IS_ALIGNED(a, b)
#define IS_PAGE_ALIGNED(x) IS_ALIGNED(x, PAGE_SIZE)

#endif  // VMPL_ALIGN_H_
