// Where vmpl::AllocFailureInjector keeps its counters: a platform choice. Userspace keeps one
// state per thread (alloc_failure_state_thread.cc), so a test's armed failure never hits an
// allocation of another thread; the QEMU kernel, one CPU and no threads, keeps one for the
// machine (kernel/platform/alloc_failure_state.cc).

#ifndef VMPL_CORE_SRC_ALLOC_FAILURE_STATE_H_
#define VMPL_CORE_SRC_ALLOC_FAILURE_STATE_H_

#include <stdint.h>

namespace vmpl {

struct AllocFailureState {
  uint64_t attempts = 0;
  uint64_t failures = 0;
  uint64_t fail_at = 0;  // attempt number that fails; 0 = disarmed
  bool sticky = false;
};

// The calling context's state.
AllocFailureState& CurrentAllocFailureState();

}  // namespace vmpl

#endif  // VMPL_CORE_SRC_ALLOC_FAILURE_STATE_H_
