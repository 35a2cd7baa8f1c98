# `vmpl inspect --remote` / `vmpl check --remote` against QEMU's gdb stub, reading page lists of
# the test process copied into a guest memory image (memory_image.cc). Skips without QEMU.
add_executable(qemu_stub_test ${CMAKE_CURRENT_LIST_DIR}/qemu_stub_test.cc
                              ${CMAKE_CURRENT_LIST_DIR}/memory_image.cc)
target_link_libraries(qemu_stub_test PRIVATE vmpl_cli_test_support vmpl::inspect GTest::gtest_main
                      nlohmann_json::nlohmann_json)
gtest_discover_tests(qemu_stub_test DISCOVERY_TIMEOUT 60)
