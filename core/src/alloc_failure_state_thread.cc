// Userspace: one injector state per thread (the platform seam of <vmpl/alloc_failure_state.h>).

#include <vmpl/alloc_failure_state.h>

namespace vmpl {

AllocFailureState& CurrentAllocFailureState() {
  thread_local AllocFailureState state;
  return state;
}

}  // namespace vmpl
