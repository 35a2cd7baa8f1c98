// fbl::AllocChecker, and operator new(size_t, fbl::AllocChecker*), which asks the platform's
// allocation-failure injector (alloc_failure.cc; the kernel has its own) before it allocates.

#include <fbl/alloc_checker.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/kernel_assert.h>

namespace fbl {

AllocChecker::~AllocChecker() {
  // The kernel panics when a result is never checked: an unchecked allocation is a latent bug.
  ASSERT_MSG(state_ != State::kArmed, "AllocChecker armed but never checked");
}

void AllocChecker::arm(size_t size, bool result) {
  (void)size;
  ASSERT_MSG(state_ != State::kArmed, "AllocChecker armed twice without a check");
  state_ = State::kArmed;
  ok_ = result;
}

bool AllocChecker::check() {
  state_ = State::kChecked;
  return ok_;
}

}  // namespace fbl

namespace {

void* CheckedAlloc(size_t size, fbl::AllocChecker* ac) {
  void* result = nullptr;
  if (!vmpl::AllocFailureInjector::ShouldFail()) {
    result = ::operator new(size, std::nothrow);
  }
  ac->arm(size, result != nullptr);
  return result;
}

}  // namespace

void* operator new(size_t size, fbl::AllocChecker* ac) noexcept { return CheckedAlloc(size, ac); }
void* operator new[](size_t size, fbl::AllocChecker* ac) noexcept { return CheckedAlloc(size, ac); }
