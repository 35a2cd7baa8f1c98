// Golden frames for the TUI's tests: a frame as text (its glyphs, then a letter per cell naming
// its style) compared with tests/tui/golden/<name>.txt. VMPL_UPDATE_GOLDEN=1 in the environment
// rewrites the file instead of comparing (review the diff before committing). The test program
// defines VMPL_TUI_GOLDEN_DIR (tests/tui/CMakeLists.txt).

#ifndef VMPL_TESTS_TUI_GOLDEN_H_
#define VMPL_TESTS_TUI_GOLDEN_H_

#include <gtest/gtest.h>
#include <vmpl/tui/frame.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace vmpl::testing {

inline std::string Both(const tui::Frame& frame) {
  return "== text ==\n" + frame.ToText() + "== style ==\n" + frame.ToStyleText();
}

// Compares |actual| with golden/<name>.txt, or rewrites the file under VMPL_UPDATE_GOLDEN=1.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(VMPL_TUI_GOLDEN_DIR) + "/" + name + ".txt";
  const char* update = std::getenv("VMPL_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "no golden file " << path << " (VMPL_UPDATE_GOLDEN=1 writes it)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "frame differs from " << path << " (VMPL_UPDATE_GOLDEN=1 rewrites it)";
}

}  // namespace vmpl::testing

#endif  // VMPL_TESTS_TUI_GOLDEN_H_
