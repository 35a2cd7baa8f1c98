# Record-and-replay of the simulator through a real ring and a real trace file
# (inspect/src/trace_{resolver,replay,recorder}.cc).
add_executable(trace_replay_test ${CMAKE_CURRENT_LIST_DIR}/trace_replay_test.cc)
target_link_libraries(trace_replay_test PRIVATE vmpl::inspect GTest::gtest_main)
gtest_discover_tests(trace_replay_test DISCOVERY_TIMEOUT 60)
