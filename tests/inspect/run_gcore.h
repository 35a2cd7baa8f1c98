// RunGcore: a real core file of a process, made by gdb's `gcore`, for the tests and benchmarks
// that read cores (elf_core_source_test, canary_scan_test, bench/decode_bench).

#ifndef VMPL_TESTS_INSPECT_RUN_GCORE_H_
#define VMPL_TESTS_INSPECT_RUN_GCORE_H_

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace vmpl::testing {

// Runs `gcore -o PREFIX PID` quietly (the core is PREFIX.PID); returns its exit status, or -1 if
// it could not run or was killed.
inline int RunGcore(const std::string& prefix, pid_t pid) {
  const pid_t gcore = fork();
  if (gcore == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    const std::string pid_text = std::to_string(pid);
    execlp("gcore", "gcore", "-o", prefix.c_str(), pid_text.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (gcore < 0 || waitpid(gcore, &status, 0) != gcore) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace vmpl::testing

#endif  // VMPL_TESTS_INSPECT_RUN_GCORE_H_
