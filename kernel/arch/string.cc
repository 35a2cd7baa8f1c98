// The C library functions gcc may emit calls to even in freestanding code (struct copies,
// zero-initialisation, comparisons). The optimize attribute stops gcc from recognising these
// loops as memset/memcpy and compiling them into calls to themselves.

#include <stddef.h>
#include <stdint.h>

#define VMPL_NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

extern "C" {

VMPL_NO_LIBCALLS void* memcpy(void* dst, const void* src, size_t n) {
  void* ret = dst;
  asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
  return ret;
}

VMPL_NO_LIBCALLS void* memset(void* dst, int c, size_t n) {
  void* ret = dst;
  asm volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
  return ret;
}

VMPL_NO_LIBCALLS void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  auto* s = static_cast<const unsigned char*>(src);
  // Copy backwards when dst overlaps the tail of src.
  if (reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s) >= n)
    return memcpy(dst, src, n);
  while (n > 0) {
    --n;
    d[n] = s[n];
  }
  return dst;
}

VMPL_NO_LIBCALLS int memcmp(const void* a, const void* b, size_t n) {
  auto* x = static_cast<const unsigned char*>(a);
  auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

VMPL_NO_LIBCALLS size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

VMPL_NO_LIBCALLS int strncmp(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
    if (x == '\0') return 0;
  }
  return 0;
}

VMPL_NO_LIBCALLS int strcmp(const char* a, const char* b) { return strncmp(a, b, SIZE_MAX); }

}  // extern "C"
