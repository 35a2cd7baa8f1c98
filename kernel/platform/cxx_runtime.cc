// The C and C++ runtime the freestanding core expects from its platform: operator new and delete
// (every form the compiler may call), malloc-family functions for the node table, and the few
// ABI hooks g++ emits for static objects and pure virtual calls. All memory comes from the kernel
// heap (heap.h). Plain operator new never returns null, and the kernel is built without
// exceptions, so running out of heap there is a panic, as in Zircon.

#include <stddef.h>
#include <string.h>
#include <vmpl/kernel_assert.h>

#include <new>

#include "heap.h"

namespace {

constexpr size_t kDefaultAlignment = 16;  // what malloc and plain new promise on x86-64

void* AllocOrPanic(size_t bytes, size_t alignment) {
  void* block = vmpl::kernel::HeapAlloc(bytes, alignment);
  if (block == nullptr) {
    panic("kernel heap exhausted: %zu bytes aligned to %zu", bytes, alignment);
  }
  return block;
}

}  // namespace

// The tag object of the nothrow forms; the hosted runtime (libsupc++) is not linked.
namespace std {
const nothrow_t nothrow{};
}  // namespace std

void* operator new(size_t bytes) { return AllocOrPanic(bytes, kDefaultAlignment); }
void* operator new[](size_t bytes) { return AllocOrPanic(bytes, kDefaultAlignment); }
void* operator new(size_t bytes, std::align_val_t alignment) {
  return AllocOrPanic(bytes, static_cast<size_t>(alignment));
}
void* operator new[](size_t bytes, std::align_val_t alignment) {
  return AllocOrPanic(bytes, static_cast<size_t>(alignment));
}
void* operator new(size_t bytes, const std::nothrow_t&) noexcept {
  return vmpl::kernel::HeapAlloc(bytes, kDefaultAlignment);
}
void* operator new[](size_t bytes, const std::nothrow_t&) noexcept {
  return vmpl::kernel::HeapAlloc(bytes, kDefaultAlignment);
}
void* operator new(size_t bytes, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return vmpl::kernel::HeapAlloc(bytes, static_cast<size_t>(alignment));
}

void operator delete(void* block) noexcept { vmpl::kernel::HeapFree(block); }
void operator delete[](void* block) noexcept { vmpl::kernel::HeapFree(block); }
void operator delete(void* block, size_t) noexcept { vmpl::kernel::HeapFree(block); }
void operator delete[](void* block, size_t) noexcept { vmpl::kernel::HeapFree(block); }
void operator delete(void* block, std::align_val_t) noexcept { vmpl::kernel::HeapFree(block); }
void operator delete[](void* block, std::align_val_t) noexcept { vmpl::kernel::HeapFree(block); }
void operator delete(void* block, size_t, std::align_val_t) noexcept {
  vmpl::kernel::HeapFree(block);
}
void operator delete[](void* block, size_t, std::align_val_t) noexcept {
  vmpl::kernel::HeapFree(block);
}

extern "C" {

void* malloc(size_t bytes) { return vmpl::kernel::HeapAlloc(bytes, kDefaultAlignment); }
void free(void* block) { vmpl::kernel::HeapFree(block); }
void* aligned_alloc(size_t alignment, size_t bytes) {
  return vmpl::kernel::HeapAlloc(bytes, alignment);
}
void* calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    return nullptr;
  }
  void* block = vmpl::kernel::HeapAlloc(count * size, kDefaultAlignment);
  if (block != nullptr) {
    memset(block, 0, count * size);
  }
  return block;
}

// Static objects with destructors register them here; the kernel never exits, so they never run.
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

void __cxa_pure_virtual() { panic("pure virtual function called"); }

[[noreturn]] void abort() { panic("abort()"); }

}  // extern "C"
