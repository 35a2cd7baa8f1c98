// fbl::AllocChecker and the allocation-failure injector behind it.

#include <fbl/alloc_checker.h>
#include <stdlib.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/kernel_assert.h>

namespace vmpl {
namespace {

struct InjectorState {
  uint64_t attempts = 0;
  uint64_t failures = 0;
  uint64_t fail_at = 0;  // attempt number that fails; 0 = disarmed
  bool sticky = false;
};

thread_local InjectorState g_injector;

}  // namespace

void AllocFailureInjector::FailNth(uint64_t n, bool sticky) {
  g_injector.fail_at = n == 0 ? 0 : g_injector.attempts + n;
  g_injector.sticky = sticky;
}

bool AllocFailureInjector::ShouldFail() {
  const uint64_t attempt = ++g_injector.attempts;
  const bool fail =
      g_injector.fail_at != 0 &&
      (attempt == g_injector.fail_at || (g_injector.sticky && attempt > g_injector.fail_at));
  if (fail) {
    g_injector.failures++;
  }
  return fail;
}

uint64_t AllocFailureInjector::count() { return g_injector.attempts; }
uint64_t AllocFailureInjector::failures() { return g_injector.failures; }

}  // namespace vmpl

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
