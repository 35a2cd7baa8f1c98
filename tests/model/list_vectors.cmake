# The one text view and JSON schema against the shared whole-list vectors (tests/vectors/lists.json),
# which gdb/vmpl/text.py is checked against too (tests/gdb: gdb_text_list_vectors).
add_executable(list_vectors_test ${CMAKE_CURRENT_LIST_DIR}/list_vectors_test.cc)
target_link_libraries(list_vectors_test PRIVATE vmpl::model GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_include_directories(list_vectors_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)  # vectors/
target_compile_definitions(list_vectors_test PRIVATE
                           VMPL_LIST_VECTORS="${PROJECT_SOURCE_DIR}/tests/vectors/lists.json")
gtest_discover_tests(list_vectors_test DISCOVERY_TIMEOUT 60)
