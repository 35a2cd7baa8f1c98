# LiveProcessSource (process_vm_readv, /proc/PID/mem) and the /proc/PID/maps helpers, against a
# real forked child (inspect/src/live_process_source.cc). ${CMAKE_DL_LIBS}: dl_iterate_phdr.
add_executable(live_process_source_test ${CMAKE_CURRENT_LIST_DIR}/live_process_source_test.cc)
target_link_libraries(live_process_source_test PRIVATE vmpl::inspect GTest::gtest_main GTest::gmock
                      ${CMAKE_DL_LIBS})
gtest_discover_tests(live_process_source_test DISCOVERY_TIMEOUT 60)
