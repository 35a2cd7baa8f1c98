# `vmpl trace report` and `vmpl trace export` as processes, on traces `vmpl sim --trace` records.
add_executable(trace_report_cli_test ${CMAKE_CURRENT_LIST_DIR}/trace_report_cli_test.cc)
target_link_libraries(trace_report_cli_test PRIVATE vmpl_cli_test_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
add_dependencies(trace_report_cli_test vmpl)
gtest_discover_tests(trace_report_cli_test DISCOVERY_TIMEOUT 60)
