# Layout files and `vmpl layout`'s libclang extraction: our headers give the built-in layout, and
# a header that lays the types out differently (layouts/alt_vm_page_list.h) gives a layout with
# which the decoder reads a live program built from that header (layouts/alt_layout_target.cc).
find_package(nlohmann_json REQUIRED)
add_executable(alt_layout_target ${CMAKE_CURRENT_LIST_DIR}/layouts/alt_layout_target.cc)
target_link_libraries(alt_layout_target PRIVATE nlohmann_json::nlohmann_json)
# offsetof on a class with two bases is what this program is for. It is a target to be read, not
# code under test: built without sanitizers even in the asan preset, so that a scan of its memory
# does not wade through ASan's shadow (terabytes of reservations).
target_compile_options(alt_layout_target PRIVATE -Wno-invalid-offsetof -fno-sanitize=all)
target_link_options(alt_layout_target PRIVATE -fno-sanitize=all)

add_executable(layout_file_test ${CMAKE_CURRENT_LIST_DIR}/layout_file_test.cc)
target_link_libraries(layout_file_test PRIVATE vmpl_layout_extract GTest::gtest_main)
target_compile_definitions(layout_file_test PRIVATE
  VMPL_CORE_INCLUDE_DIR="${PROJECT_SOURCE_DIR}/core/include"
  VMPL_ALT_LAYOUT_HEADER="${CMAKE_CURRENT_LIST_DIR}/layouts/alt_vm_page_list.h"
  VMPL_ALT_LAYOUT_TARGET="$<TARGET_FILE:alt_layout_target>")
add_dependencies(layout_file_test alt_layout_target)
gtest_discover_tests(layout_file_test DISCOVERY_TIMEOUT 60)
