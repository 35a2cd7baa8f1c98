#!/usr/bin/env python3
"""The gdb package's registry reader (gdb/vmpl/registry_reader.py) on the shared vectors.

Needs no gdb: each case of tests/vectors/registry.json becomes a memory image, and the reader
reads it through a fake `read_bytes`. inspect's ReadRegistry is held to the same vectors
(tests/inspect/registry_reader_test.cc), so the two readers agree on every case.

    python3 tests/gdb/registry_reader_test.py [tests/vectors/registry.json]
"""

from __future__ import annotations

import json
import os
import struct
import sys
import unittest
from typing import Any, Optional

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "gdb"))

from vmpl import registry_reader  # noqa: E402

VECTORS = os.path.join(REPO, "tests", "vectors", "registry.json")


def number(value: Any) -> int:
    """A JSON integer, or a string such as "0x7000"."""
    return int(value, 0) if isinstance(value, str) else int(value)


class Memory:
    """A sparse address space of byte ranges; a read must fall inside one range."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, bytes]] = []

    def map(self, address: int, data: bytes) -> None:
        self.ranges.append((address, data))

    def read(self, address: int, size: int) -> Optional[bytes]:
        for start, data in self.ranges:
            if start <= address and address + size <= start + len(data):
                return data[address - start:address - start + size]
        return None


def image(vectors: dict, case: dict) -> Memory:
    """The memory a case describes (see the vectors' "comment")."""
    header = {**vectors["header_defaults"], **case["header"]}
    values = []
    for name in registry_reader.HEADER_FIELDS:
        value = header[name]
        values.append(value.encode() if name == "magic" else number(value))
    memory = Memory()
    address = number(vectors["header_address"])
    if case.get("header_readable", True):
        memory.map(address, registry_reader.HEADER.pack(*values))
    stride = number(header["entry_size"])
    capacity = number(header["capacity"])
    if capacity > registry_reader.MAX_CAPACITY:
        return memory  # refused before the array is read
    array = bytearray(capacity * stride)
    padding = bytes([vectors["slot_padding_byte"]]) * max(0, stride - registry_reader.ENTRY.size)
    for slot in case["slots"]:
        name = slot["name"].encode()
        fields = registry_reader.ENTRY.pack(number(slot["address"]), slot["id"], slot["kind"],
                                            slot.get("name_length", len(name)),
                                            name[:registry_reader.NAME_SIZE])
        base = slot["slot"] * stride
        array[base:base + stride] = fields[:stride] + padding
    memory.map(number(header["entries"]), bytes(array[:case.get("entries_readable",
                                                                  len(array))]))
    return memory


class RegistryReaderVectors(unittest.TestCase):
    vectors: dict = {}

    def test_layout_is_the_documented_one(self) -> None:
        layout = self.vectors["layout"]
        self.assertEqual(registry_reader.MAGIC.decode(), layout["magic"])
        self.assertEqual(registry_reader.VERSION, layout["version"])
        self.assertEqual(registry_reader.HEADER.size, layout["header_size"])
        self.assertEqual(registry_reader.ENTRY.size, layout["entry_size"])
        self.assertEqual(registry_reader.NAME_SIZE, layout["name_size"])
        self.assertEqual(registry_reader.MAX_CAPACITY, layout["max_capacity"])
        self.assertEqual(registry_reader.GENERATION_OFFSET, layout["header_offsets"]["generation"])
        for struct_, names, offsets in (
                (registry_reader.HEADER, registry_reader.HEADER_FIELDS, layout["header_offsets"]),
                (registry_reader.ENTRY, registry_reader.ENTRY_FIELDS, layout["entry_offsets"])):
            codes = struct_.format.lstrip("<")
            offset = 0
            found = {}
            # One struct code per field; a count prefix (4s, 56s) belongs to the code after it.
            for name, code in zip(names, _codes(codes)):
                found[name] = offset
                offset += struct.calcsize("<" + code)
            self.assertEqual(found, offsets)

    def test_cases(self) -> None:
        for case in self.vectors["cases"]:
            with self.subTest(case["name"]):
                memory = image(self.vectors, case)
                address = number(self.vectors["header_address"])
                expect = case["expect"]
                if "refused" in expect:
                    with self.assertRaises(registry_reader.RegistryError) as caught:
                        registry_reader.read(memory.read, address)
                    self.assertEqual(str(caught.exception), expect["refused"])
                    continue
                found = registry_reader.read(memory.read, address)
                self.assertEqual(found.torn, expect["torn"])
                self.assertEqual(found.notes, expect["problems"])
                self.assertEqual(
                    [(e.slot, e.address, e.ident, e.kind, e.name) for e in found.entries],
                    [(e["slot"], number(e["address"]), e["id"], e["kind"], e["name"])
                     for e in expect["entries"]])

    def test_a_copy_that_changed_while_it_was_taken_is_torn(self) -> None:
        # A writer ran between the two reads of the generation (6, then 8): the copy is kept and
        # reported with the generation the writer left.
        case = self.vectors["cases"][0]
        memory = image(self.vectors, case)
        address = number(self.vectors["header_address"])
        reads = 0

        def racing(at: int, size: int) -> Optional[bytes]:
            nonlocal reads
            if at == address + registry_reader.GENERATION_OFFSET:
                reads += 1
                return struct.pack("<Q", 6 if reads == 1 else 8)
            return memory.read(at, size)

        found = registry_reader.read(racing, address)
        self.assertTrue(found.torn)
        self.assertEqual(found.notes[0], "registry: torn (a writer was active: thread 0, "
                                         "generation 8); 2 entries shown may be incomplete or "
                                         "stale")


def _codes(format_: str) -> list[str]:
    """The struct codes of |format_| one per field ("4sHH" -> ["4s", "H", "H"])."""
    codes, count = [], ""
    for char in format_:
        if char.isdigit():
            count += char
        else:
            codes.append(count + char)
            count = ""
    return codes


if __name__ == "__main__":
    with open(sys.argv.pop(1) if len(sys.argv) > 1 else VECTORS, encoding="utf-8") as file:
        RegistryReaderVectors.vectors = json.load(file)
    unittest.main(verbosity=2)
