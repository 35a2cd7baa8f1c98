// The kernel's allocation-failure injector state: one for the machine (the platform seam of
// <vmpl/alloc_failure_state.h>). The timer interrupt never allocates.

#include <vmpl/alloc_failure_state.h>

namespace vmpl {

AllocFailureState& CurrentAllocFailureState() {
  static AllocFailureState state;
  return state;
}

}  // namespace vmpl
