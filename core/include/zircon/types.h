// The Zircon scalar types the page list uses.

#ifndef ZIRCON_TYPES_H_
#define ZIRCON_TYPES_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zircon/compiler.h>

typedef int32_t zx_status_t;
typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;

#endif  // ZIRCON_TYPES_H_
