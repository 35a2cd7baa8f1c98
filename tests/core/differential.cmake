# Randomized differential test of VmPageList against a plain model, and the allocation-failure
# test that fails every checked allocation of a fixed workload in turn.
foreach(differential_test differential_test alloc_failure_test)
  add_executable(${differential_test} ${CMAKE_CURRENT_LIST_DIR}/${differential_test}.cc)
  target_link_libraries(${differential_test} PRIVATE vmpl::core GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${differential_test} DISCOVERY_TIMEOUT 60)
endforeach()
