"""Reading vmpl's registry of page lists (docs/registry-format.md) out of the inferior.

Only the symbol `vmpl_registry` is needed, not its type, so this also works on a binary built
without debug info. The registry is untrusted memory like the rest: its header is checked
(magic, version, entry size, capacity), entries are read a chunk at a time (a corrupt capacity
costs reads, not memory), names are kept as the bytes the target holds (Entry.name escapes
them as every view does), and a registry a writer was changing when the process stopped is
reported as torn (section 5.2), not refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Optional

import gdb  # type: ignore

from . import text
from . import walk

__all__ = ["KINDS", "Entry", "Registry", "RegistryError", "kind_of", "read_registry"]

HEADER_SIZE = 64
ENTRY_SIZE = 80
NAME_SIZE = 56
MAX_CAPACITY = 1 << 24
CHUNK = 4096  # entries per read
KINDS = {1: "VmPageList", 2: "VmPageSpliceList"}


@dataclass
class Entry:
    ident: int
    name_bytes: bytes  # the name as the target holds it, up to its first NUL
    kind: int  # 1 VmPageList, 2 VmPageSpliceList, anything else is corrupt
    address: int

    @property
    def name(self) -> str:
        """The name escaped for a terminal, as every view prints it (text.escape_name)."""
        return text.escape_name(self.name_bytes)


@dataclass
class Registry:
    address: int
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # torn, live_count disagreement


class RegistryError(Exception):
    """No registry, or one that cannot be read at all (the message says which)."""


def read_registry() -> Registry:
    """The registry's live entries sorted by id; raises RegistryError when there is none."""
    try:
        address = int(gdb.parse_and_eval("(unsigned long)&vmpl_registry"))
    except gdb.error:
        raise RegistryError("no vmpl_registry symbol in this program (it registers no lists, "
                            "or it is stripped)")
    header = walk.read_bytes(address, HEADER_SIZE)
    if header is None:
        raise RegistryError("registry at %#x is unreadable" % address)
    if header[:4] != b"VMPR":
        raise RegistryError("no registry at %#x: magic is not \"VMPR\"" % address)
    version, entry_size, generation, array, capacity, live = struct.unpack_from(
        "<HHQQII", header, 4)
    if version != 1 or entry_size < ENTRY_SIZE:
        raise RegistryError("registry version %d with %d-byte entries: this reader knows "
                            "version 1" % (version, entry_size))
    if capacity > MAX_CAPACITY or (capacity and not array):
        raise RegistryError("registry capacity %d at %#x is corrupt" % (capacity, array))
    out = Registry(address)
    if generation % 2:
        writer = struct.unpack_from("<I", header, 60)[0]
        out.notes.append("registry: torn (a writer was active: thread %d, generation %d); "
                         "entries may be incomplete or stale" % (writer, generation))
    for first in range(0, capacity, CHUNK):
        count = min(CHUNK, capacity - first)
        data = walk.read_bytes(array + first * entry_size, count * entry_size)
        if data is None:
            out.notes.append("registry entries at %#x are unreadable: listing stopped" %
                             (array + first * entry_size))
            break
        for i in range(count):
            base = i * entry_size
            entry_address, ident, kind, name_length = struct.unpack_from("<QQII", data, base)
            if entry_address == 0:
                continue
            name = data[base + 24:base + 24 + min(name_length, NAME_SIZE - 1)]
            out.entries.append(Entry(ident, name.split(b"\0")[0], kind, entry_address))
    out.entries.sort(key=lambda entry: entry.ident)
    if len(out.entries) != live:
        out.notes.append("registry: live_count says %d, %d entries found" % (
            live, len(out.entries)))
    return out


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
