// ktl is the kernel's subset of the C++ standard library; in userspace it is std itself.
#ifndef KTL_UTILITY_H_
#define KTL_UTILITY_H_
#include <utility>
namespace ktl = std;
#endif  // KTL_UTILITY_H_
