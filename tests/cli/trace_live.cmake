# `vmpl trace live`: real BPF programs on the USDT probes of real processes.
add_executable(trace_live_test ${CMAKE_CURRENT_LIST_DIR}/trace_live_test.cc)
target_link_libraries(trace_live_test PRIVATE vmpl_cli_test_support vmpl::inspect
                      GTest::gtest_main nlohmann_json::nlohmann_json)
target_compile_definitions(trace_live_test PRIVATE VMPL_BINARY="$<TARGET_FILE:vmpl>")
add_dependencies(trace_live_test vmpl)
gtest_discover_tests(trace_live_test DISCOVERY_TIMEOUT 60)
