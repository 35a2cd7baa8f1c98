// fbl::AllocChecker: the kernel's checked, non-throwing allocation.
//
//   fbl::AllocChecker ac;
//   auto* node = new (&ac) VmPageListNode(offset);
//   if (!ac.check()) { ... ZX_ERR_NO_MEMORY ... }
//
// Every allocation made this way passes through vmpl::AllocFailureInjector first, so a test can
// make the n-th allocation fail and reach every ZX_ERR_NO_MEMORY path of the page list.

#ifndef FBL_ALLOC_CHECKER_H_
#define FBL_ALLOC_CHECKER_H_

#include <stddef.h>

#include <new>

namespace fbl {

class AllocChecker {
 public:
  AllocChecker() = default;
  ~AllocChecker();
  AllocChecker(const AllocChecker&) = delete;
  AllocChecker& operator=(const AllocChecker&) = delete;

  // Records the outcome of an allocation of |size| bytes; called by operator new.
  void arm(size_t size, bool result);
  // True when the allocation succeeded. Must be called once per armed allocation.
  bool check();

 private:
  enum class State { kIdle, kArmed, kChecked };
  State state_ = State::kIdle;
  bool ok_ = false;
};

}  // namespace fbl

void* operator new(size_t size, fbl::AllocChecker* ac) noexcept;
void* operator new[](size_t size, fbl::AllocChecker* ac) noexcept;

#endif  // FBL_ALLOC_CHECKER_H_
