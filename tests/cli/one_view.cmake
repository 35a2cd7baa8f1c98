# One model, one view: for lists of a gcore'd simulator, `vmpl inspect --core`, gdb's `vmpl dump`
# on the same core and `vmpl trace replay --at` the event the core was taken give the same lines
# and JSON, and the simulator's own capture equals what inspect reads (one_view_test.py).
# Not under AddressSanitizer: gcore would write the shadow memory (terabytes).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
if(NOT CMAKE_CXX_FLAGS MATCHES "sanitize=address")
  add_test(NAME one_view
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/one_view_test.py
                   --vmpl $<TARGET_FILE:vmpl> --repo ${PROJECT_SOURCE_DIR})
  set_tests_properties(one_view PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77)
endif()
