// Bit helpers with the names and meaning of the kernel's <bits.h>.

#ifndef VMPL_BITS_H_
#define VMPL_BITS_H_

#include <stdint.h>

// The |x| low bits set; all ones when x >= 64.
#define BIT_MASK(x) (((x) >= sizeof(unsigned long) * 8) ? (0UL - 1) : ((1UL << (x)) - 1))
#define BIT_MASK32(x) (((x) >= 32) ? (0U - 1) : ((1U << (x)) - 1))
#define BIT(x, bit) ((x) & (1UL << (bit)))
#define BIT_SET(x, bit) (((x) & (1UL << (bit))) ? 1 : 0)

#endif  // VMPL_BITS_H_
