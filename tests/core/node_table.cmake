# The page list's lookup table (node_table_test) and node allocator (node_allocator_test).
add_executable(node_table_test ${CMAKE_CURRENT_LIST_DIR}/node_table_test.cc)
target_link_libraries(node_table_test PRIVATE vmpl::core GTest::gtest_main)
gtest_discover_tests(node_table_test TEST_PREFIX "node_table_test." DISCOVERY_TIMEOUT 60)

add_executable(node_allocator_test ${CMAKE_CURRENT_LIST_DIR}/node_allocator_test.cc)
target_link_libraries(node_allocator_test PRIVATE vmpl::core GTest::gtest_main)
gtest_discover_tests(node_allocator_test TEST_PREFIX "node_allocator_test." DISCOVERY_TIMEOUT 60)
