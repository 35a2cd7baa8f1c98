# ElfCoreSource and ElfSymbols (inspect/src/elf_core_source.cc, elf_symbols.cc), read back from a
# real gcore of a forked child of the test. ENABLE_EXPORTS is not needed: the test finds its
# global in .symtab.
add_executable(elf_core_source_test ${CMAKE_CURRENT_LIST_DIR}/elf_core_source_test.cc)
target_link_libraries(elf_core_source_test PRIVATE vmpl::inspect GTest::gtest_main GTest::gmock)
gtest_discover_tests(elf_core_source_test DISCOVERY_TIMEOUT 60)
