# The shared-memory trace ring (core/src/trace_ring.cc): trace_ring_test (single-threaded
# semantics, attach errors, killed and cross-process producers, all with fork) and
# trace_ring_stress_test (producers and a reader racing; the `tsan` preset runs both under
# ThreadSanitizer, scripts/test.sh). Shared helpers in trace_ring_test.h.
find_package(Threads REQUIRED)
foreach(ring_test trace_ring_test trace_ring_stress_test)
  add_executable(${ring_test} ${CMAKE_CURRENT_LIST_DIR}/${ring_test}.cc)
  target_link_libraries(${ring_test} PRIVATE vmpl::core GTest::gtest_main GTest::gmock
                        Threads::Threads)
  gtest_discover_tests(${ring_test} TEST_PREFIX "${ring_test}." DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT 120)
endforeach()
