# GdbRemoteSource and its packet codec (inspect/src/gdb_remote_source.cc, rsp_packet.cc), against
# a real gdbserver attached to a forked child and against misbehaving stubs run in the test; and
# LoadBiasFromAuxv (elf_symbols.cc).
add_executable(gdb_remote_source_test ${CMAKE_CURRENT_LIST_DIR}/gdb_remote_source_test.cc)
target_include_directories(gdb_remote_source_test PRIVATE ${PROJECT_SOURCE_DIR}/inspect/src)
target_link_libraries(gdb_remote_source_test PRIVATE vmpl::inspect GTest::gtest_main)
# A PIE whatever the compiler's default: the auxv test finds one of its globals through the load
# bias gdbserver's auxiliary vector gives.
target_compile_options(gdb_remote_source_test PRIVATE -fPIE)
target_link_options(gdb_remote_source_test PRIVATE -pie)
gtest_discover_tests(gdb_remote_source_test DISCOVERY_TIMEOUT 60)
