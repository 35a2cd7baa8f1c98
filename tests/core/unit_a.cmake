# Unit tests of VmPageOrMarker, the memory layout, VmPageSpliceList and the validator.
foreach(unit_a_test vm_page_or_marker_test layout_test splice_list_test validate_test)
  add_executable(${unit_a_test} ${CMAKE_CURRENT_LIST_DIR}/${unit_a_test}.cc)
  target_link_libraries(${unit_a_test} PRIVATE vmpl::core GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${unit_a_test} DISCOVERY_TIMEOUT 60)
endforeach()
