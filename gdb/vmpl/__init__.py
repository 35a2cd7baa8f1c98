"""vmpl for gdb: pretty-printers and `vmpl` commands for Zircon's VmPageList.

Modules: decode (raw slot values, pure Python), text (a list's text view and JSON, pure
Python), walk (reading the WAVL tree and vm_page_t's out of the inferior, bounded and checked),
model (lists as read, walked lazily), registry, printers, commands. The auto-load stub
gdb/vmpl-gdb.py imports this package and calls register().
"""

from __future__ import annotations

__all__ = ["register"]


def register(objfile=None) -> None:
    """Registers the printers for |objfile| (globally when None) and the commands (once)."""
    from . import commands
    from . import printers

    printers.register(objfile)
    commands.register()
