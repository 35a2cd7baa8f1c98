// vmpl::AllocFailureInjector: decides which checked allocations fail. Its state lives where the
// platform keeps it (<vmpl/alloc_failure_state.h>).

#include <vmpl/alloc_failure.h>
#include <vmpl/alloc_failure_state.h>

namespace vmpl {

void AllocFailureInjector::FailNth(uint64_t n, bool sticky) {
  AllocFailureState& state = CurrentAllocFailureState();
  state.fail_at = n == 0 ? 0 : state.attempts + n;
  state.sticky = sticky;
}

bool AllocFailureInjector::ShouldFail() {
  AllocFailureState& state = CurrentAllocFailureState();
  const uint64_t attempt = ++state.attempts;
  const bool fail =
      state.fail_at != 0 && (attempt == state.fail_at || (state.sticky && attempt > state.fail_at));
  if (fail) {
    state.failures++;
  }
  return fail;
}

uint64_t AllocFailureInjector::count() { return CurrentAllocFailureState().attempts; }
uint64_t AllocFailureInjector::failures() { return CurrentAllocFailureState().failures; }

}  // namespace vmpl
