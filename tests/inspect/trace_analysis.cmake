# The trace analysis: the timeline pass (trace_timeline_test), the report, its views and rate
# plots (trace_report_test) and the Chrome JSON and FXT exports (trace_export_test). They build
# traces by hand and record real page-list operations through the hooks (trace_test_traces.h).
add_executable(trace_timeline_test ${CMAKE_CURRENT_LIST_DIR}/trace_timeline_test.cc)
target_link_libraries(trace_timeline_test PRIVATE vmpl::inspect GTest::gtest_main)
gtest_discover_tests(trace_timeline_test DISCOVERY_TIMEOUT 60)

add_executable(trace_report_test ${CMAKE_CURRENT_LIST_DIR}/trace_report_test.cc)
target_link_libraries(trace_report_test PRIVATE vmpl::inspect GTest::gtest_main)
gtest_discover_tests(trace_report_test DISCOVERY_TIMEOUT 60)

add_executable(trace_export_test ${CMAKE_CURRENT_LIST_DIR}/trace_export_test.cc)
target_link_libraries(trace_export_test PRIVATE vmpl::inspect GTest::gtest_main)
gtest_discover_tests(trace_export_test DISCOVERY_TIMEOUT 60)
