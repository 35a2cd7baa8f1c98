add_executable(tui_ring_event_stream_test ${CMAKE_CURRENT_LIST_DIR}/ring_event_stream_test.cc)
target_link_libraries(tui_ring_event_stream_test PRIVATE vmpl::tui GTest::gtest_main)
gtest_discover_tests(tui_ring_event_stream_test TEST_PREFIX "tui_ring_event_stream_test."
                     DISCOVERY_TIMEOUT 60)
