// The auto-load stub of vmpl's gdb printers, embedded in every program that links the core.
//
// gdb reads the `.debug_gdb_scripts` section of each objfile it loads and, when the objfile is
// under `auto-load safe-path`, runs the scripts named or inlined there. The entry below is an
// inlined Python script (kind 4) that finds gdb/vmpl-gdb.py — in $VMPL_GDB_DIR, this build's
// source tree, or where `cmake --install` put it — and sources it. So `gdb ./prog` shows page
// lists decoded with nothing but the usual `add-auto-load-safe-path`. The section is mergeable
// ("MS"): the entry appears once however many objects carry it.
//
// A translation unit of its own, in the core library and in its freestanding build. Nothing calls
// into it, and a linker takes a member out of a static library only for a symbol something needs,
// so the library makes every program that links it need `vmpl_gdb_autoload` (an INTERFACE link
// option -u in core/CMakeLists.txt and kernel/CMakeLists.txt). A program that links
// libvmpl_core.a by hand passes `-Wl,-u,vmpl_gdb_autoload` itself.

#ifndef VMPL_GDB_SOURCE_DIR
#error "VMPL_GDB_SOURCE_DIR must name the gdb/ folder of the source tree (core/CMakeLists.txt)"
#endif
#ifndef VMPL_GDB_INSTALL_DIR
#error "VMPL_GDB_INSTALL_DIR must name where gdb/ is installed (core/CMakeLists.txt)"
#endif

// clang-format off
asm(".pushsection \".debug_gdb_scripts\", \"MS\",%progbits,1\n"
    ".byte 4\n"
    ".ascii \"gdb.inlined-script.vmpl-page-list\\n\"\n"
    ".ascii \"import os\\n\"\n"
    ".ascii \"import gdb\\n\"\n"
    ".ascii \"def _vmpl_gdb_script():\\n\"\n"
    ".ascii \"    for folder in (os.environ.get('VMPL_GDB_DIR', ''), '" VMPL_GDB_SOURCE_DIR "', '" VMPL_GDB_INSTALL_DIR "'):\\n\"\n"
    ".ascii \"        path = os.path.join(folder, 'vmpl-gdb.py')\\n\"\n"
    ".ascii \"        if folder and os.path.isfile(path):\\n\"\n"
    ".ascii \"            return path\\n\"\n"
    ".ascii \"    return None\\n\"\n"
    ".ascii \"_vmpl_path = _vmpl_gdb_script()\\n\"\n"
    ".ascii \"if _vmpl_path:\\n\"\n"
    ".ascii \"    gdb.execute('source ' + _vmpl_path)\\n\"\n"
    ".ascii \"else:\\n\"\n"
    ".ascii \"    print('vmpl: gdb printers not found: set VMPL_GDB_DIR to the gdb/ folder of vmpl')\\n\"\n"
    ".byte 0\n"
    ".popsection\n");
// clang-format on

// The symbol the -u link option asks for; its value means nothing.
extern "C" const char vmpl_gdb_autoload = 0;
