"""vmpl's registry of page lists (docs/registry-format.md) in the inferior.

Only the symbol `vmpl_registry` is needed, not its type, so this also works on a binary built
without debug info. Reading and checking the registry is registry_reader's job (pure Python,
held to the same vectors as the C++ reader); this module finds the symbol and gives the reader
the inferior's memory.
"""

from __future__ import annotations

from typing import Optional

import gdb  # type: ignore

from . import registry_reader, walk
from .registry_reader import KINDS, Entry, Registry, RegistryError

__all__ = ["KINDS", "Entry", "Registry", "RegistryError", "kind_of", "read_registry"]


def read_registry() -> Registry:
    """The registry's live entries sorted by id; raises RegistryError when there is none."""
    try:
        address = int(gdb.parse_and_eval("(unsigned long)&vmpl_registry"))
    except gdb.error:
        raise RegistryError("no vmpl_registry symbol in this program (it registers no lists, "
                            "or it is stripped)")
    return registry_reader.read(walk.read_bytes, address)


def kind_of(address: Optional[int] = None, ident: Optional[int] = None) -> Optional[Entry]:
    """The registry entry with this address or id, None if none (or no registry)."""
    try:
        registry = read_registry()
    except RegistryError:
        return None
    for entry in registry.entries:
        if entry.address == address or entry.ident == ident:
            return entry
    return None
