# The TUI's event log and events pane (tui/src/event_log.cc, tui/src/events_view.cc): counts,
# rates, filters and golden frames of synthetic and resolved event streams.
add_executable(tui_events_test ${CMAKE_CURRENT_LIST_DIR}/events_test.cc)
target_link_libraries(tui_events_test PRIVATE vmpl::tui GTest::gtest_main)
target_compile_definitions(tui_events_test PRIVATE VMPL_TUI_GOLDEN_DIR="${VMPL_TUI_GOLDEN_DIR}")
gtest_discover_tests(tui_events_test TEST_PREFIX "tui_events_test." DISCOVERY_TIMEOUT 60)
