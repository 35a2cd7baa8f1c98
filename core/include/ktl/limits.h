// ktl is the kernel's subset of the C++ standard library; in userspace it is std itself.
#ifndef KTL_LIMITS_H_
#define KTL_LIMITS_H_
#include <limits>
namespace ktl = std;
#endif  // KTL_LIMITS_H_
