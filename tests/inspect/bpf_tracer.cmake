add_executable(bpf_tracer_test ${CMAKE_CURRENT_LIST_DIR}/bpf_tracer_test.cc)
target_link_libraries(bpf_tracer_test PRIVATE vmpl_bpf GTest::gtest_main)
gtest_discover_tests(bpf_tracer_test DISCOVERY_TIMEOUT 60)
