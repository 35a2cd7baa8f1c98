// See run_vmpl.h.

#include "run_vmpl.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#ifndef VMPL_BINARY
#error "VMPL_BINARY must name the vmpl executable"
#endif

namespace vmpl::testing {

RunResult RunVmpl(const std::string& args) {
  // One stderr file per call: ctest runs the tests of a program in parallel processes.
  static int calls = 0;
  const std::string err_path = ::testing::TempDir() + "vmpl_cli_test_stderr." +
                               std::to_string(getpid()) + "." + std::to_string(calls++) + ".txt";
  const std::string command =
      std::string("'") + VMPL_BINARY + "' " + args + " 2>'" + err_path + "'";
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return result;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.out.append(buffer, n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream err_file(err_path);
  std::stringstream err;
  err << err_file.rdbuf();
  result.err = err.str();
  err_file.close();
  unlink(err_path.c_str());
  return result;
}

}  // namespace vmpl::testing
