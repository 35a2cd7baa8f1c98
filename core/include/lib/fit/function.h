// fit::inline_function: a move-only callable wrapper that never allocates.
//
// The kernel cannot allocate inside MergeFrom's callbacks, so it takes them as
// fit::inline_function<Signature, InlineTargetSize>: the target is stored in an inline buffer and
// a target that does not fit is a compile error, not a heap allocation. fit::function is the same
// with the default size. Like the original, calling an empty function is a fatal error.

#ifndef LIB_FIT_FUNCTION_H_
#define LIB_FIT_FUNCTION_H_

#include <stddef.h>
#include <vmpl/kernel_assert.h>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace fit {

inline constexpr size_t default_inline_target_size = sizeof(void*) * 2;

template <typename Signature, size_t InlineTargetSize = default_inline_target_size>
class inline_function;

template <typename Result, typename... Args, size_t InlineTargetSize>
class inline_function<Result(Args...), InlineTargetSize> {
 public:
  inline_function() = default;
  inline_function(std::nullptr_t) {}

  template <typename Callable,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<Callable>, inline_function> &&
                                        std::is_invocable_r_v<Result, Callable&, Args...>>>
  inline_function(Callable&& target) {  // NOLINT(google-explicit-constructor): as in fit
    using Target = std::decay_t<Callable>;
    static_assert(sizeof(Target) <= InlineTargetSize,
                  "callable too large for fit::inline_function's inline storage");
    static_assert(alignof(Target) <= alignof(std::max_align_t));
    new (storage_) Target(std::forward<Callable>(target));
    ops_ = &kOpsFor<Target>;
  }

  inline_function(inline_function&& other) noexcept { MoveFrom(other); }
  inline_function& operator=(inline_function&& other) noexcept {
    if (this != &other) {
      Reset();
      MoveFrom(other);
    }
    return *this;
  }
  inline_function(const inline_function&) = delete;
  inline_function& operator=(const inline_function&) = delete;
  ~inline_function() { Reset(); }

  explicit operator bool() const { return ops_ != nullptr; }

  Result operator()(Args... args) const {
    ASSERT_MSG(ops_ != nullptr, "call of an empty fit::inline_function");
    return ops_->invoke(const_cast<unsigned char*>(storage_), std::forward<Args>(args)...);
  }

 private:
  struct Ops {
    Result (*invoke)(void* target, Args&&... args);
    void (*move)(void* from, void* to);
    void (*destroy)(void* target);
  };

  template <typename Target>
  static constexpr Ops kOpsFor = {
      [](void* target, Args&&... args) -> Result {
        return (*static_cast<Target*>(target))(std::forward<Args>(args)...);
      },
      [](void* from, void* to) { new (to) Target(std::move(*static_cast<Target*>(from))); },
      [](void* target) { static_cast<Target*>(target)->~Target(); },
  };

  void MoveFrom(inline_function& other) {
    if (other.ops_) {
      other.ops_->move(other.storage_, storage_);
      ops_ = other.ops_;
      other.Reset();
    }
  }

  void Reset() {
    if (ops_) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

  const Ops* ops_ = nullptr;
  alignas(std::max_align_t) unsigned char storage_[InlineTargetSize > 0 ? InlineTargetSize : 1];
};

template <typename Signature>
using function = inline_function<Signature, default_inline_target_size>;

}  // namespace fit

#endif  // LIB_FIT_FUNCTION_H_
