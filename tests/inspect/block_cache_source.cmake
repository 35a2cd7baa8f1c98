# BlockCacheSource against the source it wraps: the same bytes and the same errors, fewer reads.
add_executable(block_cache_source_test ${CMAKE_CURRENT_LIST_DIR}/block_cache_source_test.cc)
target_link_libraries(block_cache_source_test PRIVATE vmpl::inspect GTest::gtest_main)
gtest_discover_tests(block_cache_source_test DISCOVERY_TIMEOUT 60)
