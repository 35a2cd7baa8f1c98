# The trace source of `vmpl tui --trace`: a simulator run recorded in-process, replayed and
# scrubbed through vmpl::tui::OpenTraceSource (trace_source_test.cc).
add_executable(tui_trace_source_test trace_source_test.cc)
target_link_libraries(tui_trace_source_test PRIVATE vmpl::tui GTest::gtest_main)
gtest_discover_tests(tui_trace_source_test TEST_PREFIX "tui_trace_source_test." DISCOVERY_TIMEOUT 60)
