// Where vmpl::AllocFailureInjector keeps its counters: a platform seam (docs/architecture.md,
// "One core, two platforms"). The core declares it here and each platform that links the core
// defines CurrentAllocFailureState:
//   - userspace, core/src/alloc_failure_state_thread.cc: one state per thread, so a test's armed
//     failure never hits an allocation of another thread;
//   - the QEMU kernel, kernel/platform/alloc_failure_state.cc: one CPU and no threads, so one
//     state for the machine.
// Only the injector (core/src/alloc_failure.cc) calls it; tests use <vmpl/alloc_failure.h>.

#ifndef VMPL_ALLOC_FAILURE_STATE_H_
#define VMPL_ALLOC_FAILURE_STATE_H_

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

#endif  // VMPL_ALLOC_FAILURE_STATE_H_
