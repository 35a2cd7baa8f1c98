# The TUI's App driven off-screen (app_test.cc): keys, mouse and refreshes over a TargetSource of
# the test's own process and a trace recorded in-process; frames compared with golden files
# (app_*.txt) after replacing the pid, addresses and vm_page_t bytes.
add_executable(tui_app_test ${CMAKE_CURRENT_LIST_DIR}/app_test.cc)
target_link_libraries(tui_app_test PRIVATE vmpl::tui GTest::gtest_main)
target_compile_definitions(tui_app_test PRIVATE VMPL_TUI_GOLDEN_DIR="${VMPL_TUI_GOLDEN_DIR}")
gtest_discover_tests(tui_app_test TEST_PREFIX "tui_app_test." DISCOVERY_TIMEOUT 60)
