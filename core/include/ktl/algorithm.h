// ktl is the kernel's subset of the C++ standard library; in userspace it is std itself.
#ifndef KTL_ALGORITHM_H_
#define KTL_ALGORITHM_H_
#include <algorithm>
namespace ktl = std;
#endif  // KTL_ALGORITHM_H_
