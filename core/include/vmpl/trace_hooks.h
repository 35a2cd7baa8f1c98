// The trace hooks the page-list code calls at every mutation: cheap when tracing is off, gone
// entirely when the build says so.
//
// Each hook is a macro that tests one word, `vmpl_trace_active`, and, when it is non-zero, calls
// an out-of-line emitter. The word is non-zero while in-process tracing is on
// (vmpl::trace::Start) or while a tracer has attached to one of the `vmpl` USDT probes: the
// emitters hold the probe sites, and each probe's semaphore (which the kernel increments when a
// uprobe attaches) is folded into the same test. Off, a hook is one load and a branch predicted
// not taken; with VMPL_TRACE_HOOKS=0 (CMake option VMPL_TRACE=OFF) it compiles to nothing.
//
// The emitters (and the word) are a platform seam (docs/architecture.md, "One core, two
// platforms"): core/src/trace.cc defines them in userspace, kernel/platform/trace.cc in the QEMU
// kernel.
//
// The payloads are described in <vmpl/trace_event.h>.

#ifndef VMPL_TRACE_HOOKS_H_
#define VMPL_TRACE_HOOKS_H_

#include <stdint.h>

#ifndef VMPL_TRACE_HOOKS
#define VMPL_TRACE_HOOKS 1
#endif

#include <vmpl/trace_event.h>

extern "C" {
// Non-zero while in-process tracing is on. Written rarely (Start/Stop), read at every hook.
extern volatile uint32_t vmpl_trace_active;
// USDT semaphores (<sys/sdt.h>, section .probes): non-zero while a tracer is attached to
// vmpl:slot_store or vmpl:event.
extern volatile unsigned short vmpl_slot_store_semaphore;
extern volatile unsigned short vmpl_event_semaphore;
}

namespace vmpl::trace::hooks {

// A slot's raw value went from |old_raw| to |new_raw|; |moved_from| (if not null) is the slot the
// value was moved out of, now raw 0.
void SlotStore(const void* slot, uint64_t old_raw, uint64_t new_raw, const void* moved_from);
// Any other event (see EventKind).
void Emit(EventKind kind, const void* object, uint32_t aux, uint64_t a0, uint64_t a1, uint64_t a2,
          uint64_t a3);

inline bool SlotStoreWanted() {
  return __builtin_expect((vmpl_trace_active | vmpl_slot_store_semaphore) != 0, 0);
}
inline bool EventWanted() {
  return __builtin_expect((vmpl_trace_active | vmpl_event_semaphore) != 0, 0);
}

// Brackets one page-list operation with kOpBegin / kOpEnd. Decides once, at construction, so a
// begin is never left without its end when tracing is switched mid-operation.
class OpScope {
 public:
  OpScope(const void* list, OpKind op, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0)
      : list_(EventWanted() ? list : nullptr), op_(op) {
    if (list_ != nullptr) {
      Emit(EventKind::kOpBegin, list_, static_cast<uint32_t>(op_), a0, a1, a2, 0);
    }
  }
  ~OpScope() {
    if (list_ != nullptr) {
      Emit(EventKind::kOpEnd, list_, static_cast<uint32_t>(op_), 0, 0, 0, 0);
    }
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  const void* list_;
  OpKind op_;
};

}  // namespace vmpl::trace::hooks

#if VMPL_TRACE_HOOKS

#define VMPL_TRACE_SLOT_STORE(slot, old_raw, new_raw, moved_from)                     \
  do {                                                                                \
    if (::vmpl::trace::hooks::SlotStoreWanted()) {                                    \
      ::vmpl::trace::hooks::SlotStore((slot), (old_raw), (new_raw), (moved_from));    \
    }                                                                                 \
  } while (0)

#define VMPL_TRACE_EVENT(kind, object, aux, a0, a1, a2, a3)                                       \
  do {                                                                                            \
    if (::vmpl::trace::hooks::EventWanted()) {                                                    \
      ::vmpl::trace::hooks::Emit(::vmpl::trace::EventKind::kind, (object), (aux), (a0), (a1),     \
                                 (a2), (a3));                                                     \
    }                                                                                             \
  } while (0)

#define VMPL_TRACE_OP_CONCAT2(a, b) a##b
#define VMPL_TRACE_OP_CONCAT(a, b) VMPL_TRACE_OP_CONCAT2(a, b)
#define VMPL_TRACE_OP(list, op, ...)                                                  \
  ::vmpl::trace::hooks::OpScope VMPL_TRACE_OP_CONCAT(vmpl_trace_op_, __LINE__)(      \
      (list), ::vmpl::trace::OpKind::op __VA_OPT__(, ) __VA_ARGS__)

#define VMPL_TRACE_WANTED() (::vmpl::trace::hooks::EventWanted())

#else  // !VMPL_TRACE_HOOKS

// Compiled out: the arguments are still named (so the values computed only for a hook are not
// "unused") but nothing is evaluated at run time.
#define VMPL_TRACE_SLOT_STORE(slot, old_raw, new_raw, moved_from)                         \
  do {                                                                                    \
    if (false) {                                                                          \
      ::vmpl::trace::hooks::SlotStore((slot), (old_raw), (new_raw), (moved_from));        \
    }                                                                                     \
  } while (0)
#define VMPL_TRACE_EVENT(kind, object, aux, a0, a1, a2, a3)                                   \
  do {                                                                                        \
    if (false) {                                                                              \
      ::vmpl::trace::hooks::Emit(::vmpl::trace::EventKind::kind, (object), (aux), (a0), (a1), \
                                 (a2), (a3));                                                 \
    }                                                                                         \
  } while (0)
#define VMPL_TRACE_OP(list, op, ...) \
  do {                               \
  } while (0)
#define VMPL_TRACE_WANTED() (false)

#endif  // VMPL_TRACE_HOOKS

#endif  // VMPL_TRACE_HOOKS_H_
