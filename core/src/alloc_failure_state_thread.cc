// Userspace: one injector state per thread (see alloc_failure_state.h).

#include "alloc_failure_state.h"

namespace vmpl {

AllocFailureState& CurrentAllocFailureState() {
  thread_local AllocFailureState state;
  return state;
}

}  // namespace vmpl
