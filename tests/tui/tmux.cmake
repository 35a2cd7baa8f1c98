# `vmpl tui` in a real terminal: tmux/tui_tmux_test.py runs it in a detached tmux session of a
# fixed size, types keys and clicks, and reads the screen back. One test per source (demo, pid,
# core, remote, trace) plus the refusals (bad-input). tmux, gdbserver and gcore are required:
# the script fails, naming the missing tool, rather than skipping. The core test skips (77) in a
# sanitizer build, where gcore would dump the sanitizer's shadow memory. tui_tmux.kernel (the QEMU
# kernel, live through its gdb stub) is registered only where the kernel is built and
# qemu-system-x86_64 is installed, as the kernel_qemu test is (tests/kernel/CMakeLists.txt).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
find_program(VMPL_TMUX tmux)
find_program(VMPL_GDBSERVER gdbserver)
find_program(VMPL_GCORE gcore)
foreach(tool IN ITEMS TMUX GDBSERVER GCORE)
  if(NOT VMPL_${tool})
    string(TOLOWER ${tool} name)
    message(STATUS "${name} not found: the tui_tmux tests that need it will fail until it is "
                   "installed")
    set(VMPL_${tool} ${name})
  endif()
endforeach()

foreach(case IN ITEMS demo pid core remote trace bad-input)
  add_test(NAME tui_tmux.${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tmux/tui_tmux_test.py
                   --vmpl $<TARGET_FILE:vmpl> --case ${case} --tmux ${VMPL_TMUX}
                   --gdbserver ${VMPL_GDBSERVER} --gcore ${VMPL_GCORE})
  set_tests_properties(tui_tmux.${case} PROPERTIES TIMEOUT 120 LABELS tui SKIP_RETURN_CODE 77)
endforeach()

if(TARGET vmpl-kernel.elf)
  find_program(VMPL_QEMU qemu-system-x86_64)
  if(VMPL_QEMU)
    add_test(NAME tui_tmux.kernel
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tmux/tui_tmux_test.py
                     --vmpl $<TARGET_FILE:vmpl> --case kernel --tmux ${VMPL_TMUX}
                     --qemu ${VMPL_QEMU} --kernel $<TARGET_FILE:vmpl-kernel.elf>)
    # Software emulation: the case's own budget is 210 s (KERNEL_BUDGET in the script).
    set_tests_properties(tui_tmux.kernel PROPERTIES TIMEOUT 240 LABELS tui)
  else()
    message(STATUS "qemu-system-x86_64 not found: tui_tmux.kernel is not registered")
  endif()
endif()
