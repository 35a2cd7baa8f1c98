# The workload simulator (core/src/sim/, <vmpl/sim.h>): determinism, coverage of every mutation
# kind, validity between steps, the memory budget, accounting, and registry entries.
add_executable(sim_test ${CMAKE_CURRENT_LIST_DIR}/sim_test.cc)
target_link_libraries(sim_test PRIVATE vmpl::core GTest::gtest_main GTest::gmock)
gtest_discover_tests(sim_test DISCOVERY_TIMEOUT 60)
