// Runs the built `vmpl` binary (VMPL_BINARY, the path of the vmpl target) in a child process and
// collects what a user would see: its exit code, stdout and stderr. Shared by the tests of every
// subcommand.

#ifndef VMPL_TESTS_CLI_RUN_VMPL_H_
#define VMPL_TESTS_CLI_RUN_VMPL_H_

#include <string>

namespace vmpl::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `vmpl <args>` through the shell (|args| may hold quoted words).
RunResult RunVmpl(const std::string& args);

}  // namespace vmpl::testing

#endif  // VMPL_TESTS_CLI_RUN_VMPL_H_
