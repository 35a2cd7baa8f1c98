# The TUI's layout (tui/src/layout.cc) as a pure function: pane rectangles, visible rows, clamped
# scroll offsets and the too-small answer, for terminal sizes from nothing to wide.
add_executable(tui_layout_test ${CMAKE_CURRENT_LIST_DIR}/layout_test.cc)
target_link_libraries(tui_layout_test PRIVATE vmpl::tui GTest::gtest_main)
gtest_discover_tests(tui_layout_test TEST_PREFIX "tui_layout_test." DISCOVERY_TIMEOUT 60)
