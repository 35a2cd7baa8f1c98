// ktl is the kernel's subset of the C++ standard library; in userspace it is std itself.
#ifndef KTL_UNIQUE_PTR_H_
#define KTL_UNIQUE_PTR_H_
#include <memory>
namespace ktl = std;
#endif  // KTL_UNIQUE_PTR_H_
