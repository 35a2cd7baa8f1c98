# The documentation against the binary: every `vmpl` command README.md and docs/*.md show must
# exist with the options shown, every gdb command shown must be registered, and every document
# and script named must exist (docs_commands_test.py). The self-test runs the same checker on
# made-up documents with one mistake of each kind, so that the check cannot pass by finding
# nothing.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME docs_commands
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/docs_commands_test.py
                 --vmpl $<TARGET_FILE:vmpl> --repo ${PROJECT_SOURCE_DIR})
add_test(NAME docs_commands_self_test
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/docs_commands_test.py
                 --self-test --vmpl $<TARGET_FILE:vmpl> --repo ${PROJECT_SOURCE_DIR})
set_tests_properties(docs_commands docs_commands_self_test PROPERTIES TIMEOUT 120)
