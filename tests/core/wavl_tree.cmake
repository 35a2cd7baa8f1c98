add_executable(wavl_tree_test wavl_tree_test.cc)
target_link_libraries(wavl_tree_test PRIVATE vmpl::core GTest::gtest_main)
gtest_discover_tests(wavl_tree_test)
