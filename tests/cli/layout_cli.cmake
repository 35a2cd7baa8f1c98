# `vmpl layout` (libclang extraction, --builtin, --compare) and `vmpl inspect|check --layout` on a
# live program built with another layout (tests/inspect/layouts/).
add_executable(layout_cli_test ${CMAKE_CURRENT_LIST_DIR}/layout_cli_test.cc)
target_link_libraries(layout_cli_test PRIVATE vmpl_cli_test_support GTest::gtest_main fmt::fmt
                      nlohmann_json::nlohmann_json)
target_include_directories(layout_cli_test PRIVATE ${PROJECT_SOURCE_DIR}/tests/inspect)
target_compile_definitions(layout_cli_test PRIVATE
  VMPL_BINARY="$<TARGET_FILE:vmpl>"
  VMPL_CORE_INCLUDE_DIR="${PROJECT_SOURCE_DIR}/core/include"
  VMPL_ALT_LAYOUT_HEADER="${PROJECT_SOURCE_DIR}/tests/inspect/layouts/alt_vm_page_list.h"
  VMPL_ALT_LAYOUT_TARGET="$<TARGET_FILE:alt_layout_target>")
add_dependencies(layout_cli_test vmpl alt_layout_target)
gtest_discover_tests(layout_cli_test DISCOVERY_TIMEOUT 60)
