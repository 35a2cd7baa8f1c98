// ktl is the kernel's subset of the C++ standard library; in userspace it is std itself.
#ifndef KTL_TYPE_TRAITS_H_
#define KTL_TYPE_TRAITS_H_
#include <type_traits>
namespace ktl = std;
#endif  // KTL_TYPE_TRAITS_H_
