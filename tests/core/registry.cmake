# The process-wide page-list registry (core/src/registry.cc): writer semantics, the exported ABI
# read back from raw memory at the documented offsets (this process, a forked child), torn reads,
# concurrent readers and writers, and finding `vmpl_registry` by name. ENABLE_EXPORTS (-rdynamic)
# puts the symbol in .dynsym, for dlsym and for readers of stripped binaries.
find_package(Threads REQUIRED)
add_executable(registry_test ${CMAKE_CURRENT_LIST_DIR}/registry_test.cc)
target_link_libraries(registry_test PRIVATE vmpl::core GTest::gtest_main GTest::gmock
                      Threads::Threads ${CMAKE_DL_LIBS})
set_target_properties(registry_test PROPERTIES ENABLE_EXPORTS ON)
gtest_discover_tests(registry_test TEST_PREFIX "registry_test." DISCOVERY_TIMEOUT 60)

# The symbol as binutils sees it: a global data object in the static and the dynamic symbol table.
if(CMAKE_NM)
  add_test(NAME registry_test.NmSymtabHasRegistry
           COMMAND sh -c "'${CMAKE_NM}' '$<TARGET_FILE:registry_test>' | grep -Eq ' D vmpl_registry$'")
  add_test(NAME registry_test.NmDynsymHasRegistry
           COMMAND sh -c "'${CMAKE_NM}' -D '$<TARGET_FILE:registry_test>' | grep -Eq ' D vmpl_registry$'")
endif()
