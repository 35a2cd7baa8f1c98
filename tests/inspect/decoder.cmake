# The decoder on real lists of this process, read through a LiveProcessSource, intact and damaged.
add_executable(decoder_test ${CMAKE_CURRENT_LIST_DIR}/decoder_test.cc)
target_link_libraries(decoder_test PRIVATE vmpl::inspect GTest::gtest_main)
gtest_discover_tests(decoder_test DISCOVERY_TIMEOUT 60)
