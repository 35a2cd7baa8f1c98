// Runs alt_layout_target (its path is VMPL_ALT_LAYOUT_TARGET) for the length of a test: the
// constructor starts it and reads its one-line JSON report (what it holds, where its compiler put
// each field); the destructor closes its stdin, which ends it, and reaps it.

#ifndef VMPL_TESTS_INSPECT_LAYOUTS_ALT_TARGET_PROCESS_H_
#define VMPL_TESTS_INSPECT_LAYOUTS_ALT_TARGET_PROCESS_H_

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

namespace vmpl::testing {

class AltTargetProcess {
 public:
  AltTargetProcess() {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0) {
      return;
    }
    if (pipe(from_child) != 0) {
      close(to_child[0]);
      close(to_child[1]);
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      close(to_child[1]);
      close(from_child[0]);
      execl(VMPL_ALT_LAYOUT_TARGET, VMPL_ALT_LAYOUT_TARGET, static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    std::string line;
    char c;
    while (read(from_child[0], &c, 1) == 1 && c != '\n') {
      line += c;
    }
    close(from_child[0]);
    report_ = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  }
  ~AltTargetProcess() {
    if (stdin_ >= 0) {
      close(stdin_);
    }
    if (pid_ > 0) {
      int status;
      waitpid(pid_, &status, 0);
    }
  }
  AltTargetProcess(const AltTargetProcess&) = delete;
  AltTargetProcess& operator=(const AltTargetProcess&) = delete;

  // Its report; not an object if it could not be started or said nothing.
  const nlohmann::json& report() const { return report_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  nlohmann::json report_;
};

}  // namespace vmpl::testing

#endif  // VMPL_TESTS_INSPECT_LAYOUTS_ALT_TARGET_PROCESS_H_
