# The registry readers of both languages on the shared vectors in tests/vectors/registry.json:
# inspect's ReadRegistry (registry_reader_test, also on this process's live registry), and the
# gdb package's pure-Python registry_reader (no gdb needed).
add_executable(registry_reader_test ${CMAKE_CURRENT_LIST_DIR}/registry_reader_test.cc)
target_link_libraries(registry_reader_test PRIVATE vmpl::inspect GTest::gtest_main
                      nlohmann_json::nlohmann_json)
set(registry_vectors_file ${PROJECT_SOURCE_DIR}/tests/vectors/registry.json)
# tests/core/held_write_section.h (a registry writer held inside its write section) and
# tests/vectors/vector_file.h.
target_include_directories(registry_reader_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_compile_definitions(registry_reader_test PRIVATE
                           VMPL_REGISTRY_VECTORS="${registry_vectors_file}")
gtest_discover_tests(registry_reader_test TEST_PREFIX "registry_reader_test." DISCOVERY_TIMEOUT 60)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME gdb_registry_reader_vectors
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/gdb/registry_reader_test.py
                 ${registry_vectors_file})
