# The trace file format: writer, reader, CRC-32C, damage handling.
add_executable(trace_file_test ${CMAKE_CURRENT_LIST_DIR}/trace_file_test.cc)
target_link_libraries(trace_file_test PRIVATE vmpl::inspect GTest::gtest_main GTest::gmock)
gtest_discover_tests(trace_file_test DISCOVERY_TIMEOUT 60)
