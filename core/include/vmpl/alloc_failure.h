// Allocation-failure injection for every allocation the page list makes.
//
// All page-list allocations (nodes, splice-list middle nodes) go through
// `new (&alloc_checker) T(...)`, which asks AllocFailureInjector whether to fail. The injector is
// per thread, so tests running in parallel threads do not disturb each other.
//
// Synopsis:
//   vmpl::ScopedAllocFailure fail_nth(3);   // the 3rd checked allocation from now fails
//   vmpl::ScopedAllocFailure fail_all(1, /*sticky=*/true);  // the 1st and every later one fail
//   vmpl::AllocFailureInjector::count();    // checked allocations attempted on this thread

#ifndef VMPL_ALLOC_FAILURE_H_
#define VMPL_ALLOC_FAILURE_H_

#include <stdint.h>

namespace vmpl {

class AllocFailureInjector {
 public:
  // Makes the |n|-th checked allocation from now fail (n >= 1); with |sticky| every later one
  // fails too. n == 0 disarms.
  static void FailNth(uint64_t n, bool sticky = false);
  static void Disarm() { FailNth(0); }
  // Decides the fate of one checked allocation; called by operator new(size_t, AllocChecker*).
  static bool ShouldFail();
  // Checked allocations attempted on this thread since it started (failed ones included).
  static uint64_t count();
  // Checked allocations that were made to fail on this thread.
  static uint64_t failures();
};

// Arms the injector for the lifetime of the object and disarms it on destruction.
class ScopedAllocFailure {
 public:
  explicit ScopedAllocFailure(uint64_t n, bool sticky = false) {
    AllocFailureInjector::FailNth(n, sticky);
  }
  ~ScopedAllocFailure() { AllocFailureInjector::Disarm(); }
  ScopedAllocFailure(const ScopedAllocFailure&) = delete;
  ScopedAllocFailure& operator=(const ScopedAllocFailure&) = delete;
};

}  // namespace vmpl

#endif  // VMPL_ALLOC_FAILURE_H_
