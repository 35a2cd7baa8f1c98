// The failure path of ASSERT / DEBUG_ASSERT / panic.

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <vmpl/kernel_assert.h>

namespace vmpl {

void AssertFail(const char* file, int line, const char* condition, const char* fmt, ...) {
  fprintf(stderr, "ASSERT FAILED at %s:%d: %s", file, line, condition);
  va_list args;
  va_start(args, fmt);
  char message[512];
  vsnprintf(message, sizeof(message), fmt, args);
  va_end(args);
  if (message[0] != '\0') {
    fprintf(stderr, " (%s)", message);
  }
  fputc('\n', stderr);
  fflush(stderr);
  abort();
}

}  // namespace vmpl
