# Unit tests of every public method of VmPageList and VMPLCursor (vm_page_list_test) and of the
# zero-interval operations (interval_test).
add_executable(vm_page_list_test ${CMAKE_CURRENT_LIST_DIR}/vm_page_list_test.cc)
target_link_libraries(vm_page_list_test PRIVATE vmpl::core GTest::gtest_main GTest::gmock)
gtest_discover_tests(vm_page_list_test TEST_PREFIX "vm_page_list_test." DISCOVERY_TIMEOUT 60)

add_executable(interval_test ${CMAKE_CURRENT_LIST_DIR}/interval_test.cc)
target_link_libraries(interval_test PRIVATE vmpl::core GTest::gtest_main GTest::gmock)
gtest_discover_tests(interval_test TEST_PREFIX "interval_test." DISCOVERY_TIMEOUT 60)
