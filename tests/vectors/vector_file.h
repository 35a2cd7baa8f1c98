// A file of shared test vectors (tests/vectors/*.json) read in a GoogleTest program: a file that
// cannot be opened or parsed fails the test (and gives a discarded JSON value).

#ifndef VMPL_TESTS_VECTORS_VECTOR_FILE_H_
#define VMPL_TESTS_VECTORS_VECTOR_FILE_H_

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace vmpl::test {

inline nlohmann::json LoadVectorFile(const char* path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << path << " is not JSON";
  return doc;
}

}  // namespace vmpl::test

#endif  // VMPL_TESTS_VECTORS_VECTOR_FILE_H_
