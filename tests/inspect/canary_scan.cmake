# The canary scan on real lists of this process and of a gcore of a forked child, intact and
# damaged, with no symbols and no registry.
add_executable(canary_scan_test ${CMAKE_CURRENT_LIST_DIR}/canary_scan_test.cc)
target_link_libraries(canary_scan_test PRIVATE vmpl::inspect GTest::gtest_main)
gtest_discover_tests(canary_scan_test DISCOVERY_TIMEOUT 60)
