# `vmpl sim --trace`, `vmpl trace record` and `vmpl trace replay` as processes.
add_executable(trace_cli_test ${CMAKE_CURRENT_LIST_DIR}/trace_cli_test.cc)
target_link_libraries(trace_cli_test PRIVATE vmpl_cli_test_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_compile_definitions(trace_cli_test PRIVATE VMPL_BINARY="$<TARGET_FILE:vmpl>")
add_dependencies(trace_cli_test vmpl)
gtest_discover_tests(trace_cli_test DISCOVERY_TIMEOUT 60)
