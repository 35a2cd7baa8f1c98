# Decoders of raw slot values against the shared vectors in tests/vectors/slots.json: the model's
# DecodeRawSlot (slot_vectors_test), and the gdb package's pure-Python decoder (no gdb needed).
add_executable(slot_vectors_test ${CMAKE_CURRENT_LIST_DIR}/slot_vectors_test.cc)
target_link_libraries(slot_vectors_test PRIVATE vmpl::model GTest::gtest_main
                      nlohmann_json::nlohmann_json)
set(slot_vectors_file ${PROJECT_SOURCE_DIR}/tests/vectors/slots.json)
target_compile_definitions(slot_vectors_test PRIVATE VMPL_SLOT_VECTORS="${slot_vectors_file}")
target_include_directories(slot_vectors_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)  # vectors/
gtest_discover_tests(slot_vectors_test DISCOVERY_TIMEOUT 60)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME gdb_decode_slot_vectors
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/gdb/vmpl/decode.py --check
                 ${slot_vectors_file})
