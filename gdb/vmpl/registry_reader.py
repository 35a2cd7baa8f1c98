"""vmpl's registry of page lists read out of memory, as docs/registry-format.md says, without gdb.

The Python twin of inspect/src/registry_reader.cc: the same checks in the same order, the same
messages, the same chunks, held to the shared vectors in tests/vectors/registry.json (run by
tests/gdb/registry_reader_test.py). registry.py gives it the inferior's memory.

read(read_bytes, address) reads the registry whose header (`vmpl_registry`) is at |address|:

  - the header is refused (RegistryError) when its magic, version, entry_size (less than a
    version-1 entry), name_size, capacity (above MAX_CAPACITY) or entries pointer (null with a
    non-zero capacity) say it is no registry this reader knows (section 5.1);
  - the entry array is read with the header's entry_size as its stride (section 2: later
    versions append fields to an entry; the bytes past the ones this reader knows are skipped),
    CHUNK_BYTES at a time, so a corrupt capacity costs reads, not memory;
  - every slot in use is checked (its id distinct, non-zero and below next_id; its kind 1 or 2;
    its name_length ending its name), and so is live_count; a failed check is a note, and the
    entry is kept;
  - gdb reads a stopped program or a core file, so the copy is taken once: a generation that is
    odd, or that changed during the copy, makes it torn (section 5.2), reported, not refused.

The layout constants below are the tables of docs/registry-format.md, sections 3 and 4 (the C
structs are in core/include/vmpl/registry_abi.h); the vectors' "format" block states them too,
and both readers' tests check their own constants against it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Callable, Optional

try:
    from . import text
except ImportError:  # run as a program: this file's folder is on sys.path
    import text  # type: ignore[no-redef]

__all__ = ["CHUNK_BYTES", "ENTRY", "ENTRY_FIELDS", "HEADER", "HEADER_FIELDS", "KINDS", "MAGIC",
           "MAX_CAPACITY", "NAME_SIZE", "VERSION", "Entry", "Registry", "RegistryError",
           "escape", "read"]

# Section 2: the magic is four bytes in address order; version 1 is the only one known.
MAGIC = b"VMPR"
VERSION = 1
# Section 3, the header (64 bytes): field names and little-endian formats, in offset order.
HEADER_FIELDS = ("magic", "version", "entry_size", "generation", "entries", "capacity",
                 "live_count", "next_id", "header_size", "name_size", "pointer_size",
                 "byte_order", "page_list_layout", "page_list_size", "splice_list_size",
                 "node_size", "writer_tid")
HEADER = struct.Struct("<4sHHQQIIQHHBBHIIII")
# Section 4, an entry of version 1 (80 bytes; the array's stride is the header's entry_size).
ENTRY_FIELDS = ("address", "id", "kind", "name_length", "name")
NAME_SIZE = 56
ENTRY = struct.Struct("<QQII%ds" % NAME_SIZE)
# Section 7: writers never grow the array past 2^24 slots; readers refuse more as corrupt.
MAX_CAPACITY = 1 << 24
# Section 3: `generation` is the u64 at offset 8, read alone with one aligned 8-byte read.
GENERATION_OFFSET = 8
# Bytes of the entry array read at a time (at least one entry), as registry_reader.cc.
CHUNK_BYTES = 1 << 16
KINDS = {1: "VmPageList", 2: "VmPageSpliceList"}

# Memory of the target: |size| bytes at |address|, or None if any of them is unreadable.
ReadBytes = Callable[[int, int], Optional[bytes]]


@dataclass
class Entry:
    """One slot in use (its address is not 0)."""

    ident: int
    name: str  # escaped for a terminal (escape())
    kind: int  # 1 VmPageList, 2 VmPageSpliceList, anything else has a note
    address: int
    slot: int = 0  # index in the entry array
    name_bytes: bytes = b""  # the name as the target holds it (views escape it themselves)


@dataclass
class Registry:
    address: int
    entries: list[Entry] = field(default_factory=list)  # by id (slot order among equal ids)
    notes: list[str] = field(default_factory=list)  # torn, unreadable array, failed checks
    torn: bool = False
    generation: int = 0  # the seqlock's value when the copy began
    writer_tid: int = 0


class RegistryError(Exception):
    """No registry, or one this reader does not know (the message says which)."""


def escape(raw: bytes) -> str:
    """|raw| for a terminal, as every view prints a name (docs/snapshot-format.md): bytes
    outside 0x20..0x7e as \\xNN, a backslash and a single quote with a backslash before them."""
    return text.escape_name(raw)


def _check_header(address: int, header: dict) -> None:
    """Raises RegistryError if |header| is no registry this reader knows (section 5.1)."""
    if header["magic"] != MAGIC:
        raise RegistryError("no registry at %#x: magic is not \"%s\"" % (address,
                                                                        MAGIC.decode()))
    if header["version"] != VERSION:
        raise RegistryError("registry version %d: this reader knows version %d" % (
            header["version"], VERSION))
    if header["entry_size"] < ENTRY.size:
        raise RegistryError("registry entry_size %d is less than the %d bytes of a version-%d "
                            "entry" % (header["entry_size"], ENTRY.size, VERSION))
    if header["name_size"] != NAME_SIZE:
        raise RegistryError("registry name_size %d: version %d names are %d bytes" % (
            header["name_size"], VERSION, NAME_SIZE))
    if header["capacity"] > MAX_CAPACITY:
        raise RegistryError("registry capacity %d is above the limit of %d: corrupt" % (
            header["capacity"], MAX_CAPACITY))
    if header["capacity"] and not header["entries"]:
        raise RegistryError("registry capacity %d with no entry array (entries is 0): corrupt" %
                            header["capacity"])


def _copy_slots(read_bytes: ReadBytes, header: dict) -> tuple[list[tuple[int, tuple]], str]:
    """The slots in use as (index, entry fields), and why the listing stopped ("" if it did not)."""
    stride, capacity = header["entry_size"], header["capacity"]
    per_chunk = max(1, CHUNK_BYTES // stride)
    slots = []
    for first in range(0, capacity, per_chunk):
        count = min(per_chunk, capacity - first)
        at = header["entries"] + first * stride
        data = read_bytes(at, count * stride)
        if data is None:
            return slots, "registry entries at %#x are unreadable, listing stopped" % at
        for i in range(count):
            fields = ENTRY.unpack_from(data, i * stride)
            if fields[0] != 0:
                slots.append((first + i, fields))
    return slots, ""


def _decode(slots: list[tuple[int, tuple]], header: dict, out: Registry) -> list[str]:
    """Fills |out|.entries from |slots|; returns the failed checks of section 5.1, in order."""
    checks = []
    slot_of_id: dict[int, int] = {}
    for index, (address, ident, kind, name_length, name) in slots:
        name_ok = name_length < NAME_SIZE and name.find(b"\0") == name_length
        if not name_ok:
            checks.append("registry slot %d (id %d): name_length %d does not end the name" % (
                index, ident, name_length))
        if kind not in KINDS:
            checks.append("registry slot %d (id %d): kind %d is neither 1 (VmPageList) nor 2 "
                          "(VmPageSpliceList)" % (index, ident, kind))
        if ident == 0 or ident >= header["next_id"]:
            checks.append("registry slot %d: id %d is not in [1, next_id %d)" % (
                index, ident, header["next_id"]))
        if ident in slot_of_id:
            checks.append("registry slot %d: id %d is also in slot %d" % (
                index, ident, slot_of_id[ident]))
        else:
            slot_of_id[ident] = index
        name_bytes = name[:name_length] if name_ok else name[:NAME_SIZE - 1].split(b"\0")[0]
        out.entries.append(Entry(ident, escape(name_bytes), kind, address, index, name_bytes))
    out.entries.sort(key=lambda entry: entry.ident)
    return checks


def read(read_bytes: ReadBytes, address: int) -> Registry:
    """The registry whose header is at |address|; raises RegistryError when there is none."""
    unreadable = RegistryError("registry at %#x is unreadable" % address)
    first = read_bytes(address + GENERATION_OFFSET, 8)
    raw = read_bytes(address, HEADER.size)
    if first is None or raw is None:
        raise unreadable
    g1 = struct.unpack("<Q", first)[0]
    header = dict(zip(HEADER_FIELDS, HEADER.unpack(raw)))
    _check_header(address, header)
    slots, stopped = _copy_slots(read_bytes, header)
    last = read_bytes(address + GENERATION_OFFSET, 8)
    if last is None:
        raise unreadable
    g2 = struct.unpack("<Q", last)[0]
    out = Registry(address, torn=g1 % 2 != 0 or g1 != g2, generation=g1,
                   writer_tid=header["writer_tid"])
    checks = _decode(slots, header, out)
    if not stopped and len(slots) != header["live_count"]:
        checks.append("registry: live_count says %d, %d slots are in use" % (
            header["live_count"], len(slots)))
    if out.torn:
        count = len(out.entries)
        out.notes.append("registry: torn (a writer was active: thread %d, generation %d); %d %s "
                         "shown may be incomplete or stale" % (
                             header["writer_tid"], g1 if g1 % 2 else g2, count,
                             "entry" if count == 1 else "entries"))
    if stopped:
        out.notes.append(stopped)
    out.notes.extend(checks)
    return out
