"""Auto-load stub of vmpl's gdb support (page-list pretty-printers and `vmpl` commands).

gdb runs it either as an objfile's auto-load script (installed as <binary>-gdb.py or through
.debug_gdb_scripts: gdb.current_objfile() is that objfile, and the printers are registered for
it) or by hand, `source gdb/vmpl-gdb.py` from a checkout (no current objfile: the printers are
registered globally). Either way the package next to this file (after resolving symlinks) is the
one imported, and the commands are created once per session.
"""

import os
import sys

import gdb  # type: ignore

_here = os.path.dirname(os.path.realpath(__file__))
if _here not in sys.path:
    sys.path.insert(0, _here)

import vmpl  # noqa: E402

vmpl.register(gdb.current_objfile())
