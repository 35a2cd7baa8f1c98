# The TUI's detail views (slot detail, intervals, splice list, problems, help) drawn into frames
# of real page lists and splice lists built with the core, and of hand-made snapshots for the
# damage no core writes; compared with golden files (views_*.txt).
add_executable(tui_views_test views_test.cc)
target_link_libraries(tui_views_test PRIVATE vmpl::tui GTest::gtest_main GTest::gmock)
target_compile_definitions(tui_views_test PRIVATE VMPL_TUI_GOLDEN_DIR="${VMPL_TUI_GOLDEN_DIR}")
gtest_discover_tests(tui_views_test TEST_PREFIX "tui_views_test." DISCOVERY_TIMEOUT 60)
