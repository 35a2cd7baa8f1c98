# `vmpl inspect` / `vmpl check` against a stopped `vmpl sim` (live and through a gcore core file).
add_executable(inspect_cli_test ${CMAKE_CURRENT_LIST_DIR}/inspect_cli_test.cc)
target_link_libraries(inspect_cli_test PRIVATE vmpl_cli_test_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_compile_definitions(inspect_cli_test PRIVATE VMPL_BINARY="$<TARGET_FILE:vmpl>")
add_dependencies(inspect_cli_test vmpl)
gtest_discover_tests(inspect_cli_test DISCOVERY_TIMEOUT 60)
