# The trace hooks: which events each mutation emits (core/src/trace.cc, the VMPL_TRACE_* sites).
add_executable(trace_hooks_test ${CMAKE_CURRENT_LIST_DIR}/trace_hooks_test.cc)
target_link_libraries(trace_hooks_test PRIVATE vmpl::core GTest::gtest_main GTest::gmock)
gtest_discover_tests(trace_hooks_test TEST_PREFIX "trace_hooks_test." DISCOVERY_TIMEOUT 60)

# The USDT probes (provider vmpl, with semaphores) are in the binary's stapsdt notes, so bpftrace
# or libbpf can attach to an unmodified program.
find_program(VMPL_READELF readelf)
if(VMPL_READELF)
  add_test(NAME trace_hooks_test.UsdtProbesInNotes
           COMMAND sh -c "'${VMPL_READELF}' -n '$<TARGET_FILE:trace_hooks_test>' | grep -A3 'stapsdt' | grep -q 'Name: slot_store' && '${VMPL_READELF}' -n '$<TARGET_FILE:trace_hooks_test>' | grep -A3 'stapsdt' | grep -q 'Name: event' && '${VMPL_READELF}' -n '$<TARGET_FILE:trace_hooks_test>' | grep -q 'Provider: vmpl'")
endif()
