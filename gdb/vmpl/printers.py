"""gdb pretty-printers for the page list's types (ours and a real Zircon kernel's).

Types matched by name (docs/semantics.md section 12.7): VmPageOrMarker, VmPageOrMarkerRef,
VmPageOrMarker::ReferenceValue, VmPageListNode, VmPageList, VmPageSpliceList, VMPLCursor and
the fbl::WAVLTree of VmPageListNode. Lists are read through model.py (one read_memory per
node, struct unpacking).

The summary line of a list or tree (to_string) reads only the object itself: its skew and the
tree's own count_, never the nodes, so `print` under `set print elements 10` reads the few nodes
it shows. Children are produced lazily (generators) and are real values: each entry of a list or
node is the VmPageOrMarker in the inferior's memory (printed by SlotPrinter), each entry of a
tree the node pointer, so a front end (MI varobjs) can expand them; only `print` of a list gets
its entries as text, which gdb prints the same and six times as fast (ListPrinter says how it
knows). Names are unique: a list's entries are named by VMO offset ("[0x3000]"), a node's by
slot index ("[3]"), a tree's by key; in damaged memory an offset or key that does not go up gets
its position added ("[0x3000] #7"). Without the types' debug info, entries are strings.

Memory is untrusted: a printer never raises. A problem of the object itself ends its summary
with `<error: ...>`; one found while walking is the last child, named "[error]".
"""

from __future__ import annotations

import re
import struct
from typing import Iterator, Optional

import gdb  # type: ignore
import gdb.printing  # type: ignore

from . import decode
from . import model
from . import text
from . import walk

__all__ = ["lookup", "register"]


_types: dict = {}


def _type(name: str):
    if name not in _types:
        try:
            _types[name] = gdb.lookup_type(name)
        except gdb.error:
            _types[name] = None
    return _types[name]


def _address(val) -> Optional[int]:
    try:
        return int(val.address) if val.address is not None else None
    except gdb.error:
        return None


class _SlotValues:
    """The slots of nodes as values in the inferior's memory (VmPageOrMarker lvalues at their
    addresses). A node's 16 slots are fetched as one array value, whose elements gdb then
    prints without reading the target once more per slot."""

    def __init__(self) -> None:
        slot_type = _type("VmPageOrMarker")
        self.array_pointer = None if slot_type is None else \
            slot_type.array(walk.FANOUT - 1).pointer()
        self.node_address: Optional[int] = None
        self.slots = None

    def value(self, node_address: int, index: int, raw: int):
        """Slot |index| of the node at |node_address|; its text if the type is unknown."""
        if self.array_pointer is None:
            return model.describe_slot(raw)
        if node_address != self.node_address:
            address = node_address + walk.layout().node_slots
            self.slots = gdb.Value(address).cast(self.array_pointer).dereference()
            self.slots.fetch_lazy()
            self.node_address = node_address
        return self.slots[index]


def _unique_names(keyed: Iterator[tuple[int, object]]) -> Iterator[tuple[str, object]]:
    """("[0x...]", value) for (key, value) pairs whose keys go up; a key that does not (damaged
    memory) gets its position added, so that names stay unique for MI varobjs."""
    previous = None
    for position, (key, value) in enumerate(keyed):
        if previous is None or key > previous:
            previous = key
            yield "[%#x]" % key, value
        else:
            yield "[%#x] #%d" % (key, position), value


class SlotPrinter:
    """VmPageOrMarker: its content in the text view's words."""

    def __init__(self, val) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            return model.describe_slot(int(self.val["raw_"]) & decode.MASK64)
        except gdb.error as error:
            return "<error: %s>" % error


class SlotRefPrinter:
    """VmPageOrMarkerRef: null, or the slot it points at."""

    def __init__(self, val) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            pointer = int(self.val["page_or_marker_"])
        except gdb.error as error:
            return "<error: %s>" % error
        if pointer == 0:
            return "VmPageOrMarkerRef null"
        raw = walk.read_u64(pointer)
        if raw is None:
            return "VmPageOrMarkerRef %#x <error: slot at %#x is unreadable>" % (pointer,
                                                                                  pointer)
        return "VmPageOrMarkerRef %#x -> %s" % (pointer, model.describe_slot(raw))


class ReferenceValuePrinter:
    def __init__(self, val) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            value = int(self.val["value_"]) & decode.MASK64
        except gdb.error as error:
            return "<error: %s>" % error
        text = "ReferenceValue %#x" % value
        return text + (" (low bits set: invalid)" if value & 0xF else "")


def _node_skew(node: walk.Node) -> Optional[tuple[int, str]]:
    """The skew of the list a node belongs to, found by climbing to the tree's sentinel."""
    address, steps = node.parent, 0
    seen = {node.address}
    while address and not address & 1 and steps < 128 and address not in seen:
        seen.add(address)
        parent = walk.read_u64(address + walk.layout().node_parent)
        if parent is None:
            return None
        address, steps = parent, steps + 1
    if not address & 1:
        return None
    tree = address & ~1
    lay = walk.layout()
    # A splice list's middle_ tree sits between its head_ and tail_ nodes, both with canaries.
    splice = tree - lay.splice_middle
    head = walk.read_bytes(splice + lay.splice_head + lay.node_canary, 4)
    tail = walk.read_bytes(splice + lay.splice_tail + lay.node_canary, 4)
    if head is not None and tail is not None and \
            struct.unpack("<I", head)[0] == walk.CANARY == struct.unpack("<I", tail)[0]:
        skew = 0 if lay.splice_skew is None else walk.read_u64(splice + lay.splice_skew)
        if skew is None or skew >= walk.SPAN:
            return None
        return skew, "splice list %#x" % splice
    # Otherwise the tree is the list_ of a VmPageList, its skew beside it (below 64 KiB and
    # page aligned, or this is not a VmPageList).
    skew = walk.read_u64(tree - lay.list_tree + lay.list_skew)
    if skew is None or skew >= walk.SPAN or skew % walk.PAGE_SIZE:
        return None
    return skew, "list %#x" % (tree - lay.list_tree)


class NodePrinter:
    """VmPageListNode: its key and VMO offsets (when its list is found); non-empty slots."""

    def __init__(self, val) -> None:
        self.val = val
        self.node: Optional[walk.Node] = None
        self.error: Optional[str] = None
        address = _address(val)
        if address is None:
            self.error = "<error: node not in memory>"
            return
        self.node = walk.read_node(address)
        if self.node is None:
            self.error = "<error: node at %#x is unreadable>" % address
            return
        message = walk.canary_problem(self.node) or walk.layout_problem()
        if message:
            self.error = "<error: %s>" % message

    def to_string(self) -> str:
        if self.node is None:
            return "VmPageListNode " + (self.error or "")
        node = self.node
        line = "VmPageListNode key %#x" % node.key
        skew = _node_skew(node) if node.parent else None
        if skew is not None:
            line += " offsets [%#x, %#x) (skew %#x, %s)" % (
                text.node_offsets(node, skew[0]) + skew)
        elif node.parent:
            line += " (its list not found: offsets unknown)"
        else:
            line += " (not in a tree)"
        return line + (" " + self.error if self.error else "")

    def children(self) -> Iterator:
        if self.node is None or self.error:
            return
        values = _SlotValues()
        for index, raw in enumerate(self.node.slots):
            if raw:
                yield "[%d]" % index, values.value(self.node.address, index, raw)


class ListPrinter:
    """VmPageList or VmPageSpliceList: a summary of the object itself, then VMO offset ->
    entry, walked lazily.

    The entries are values for a front end, and text for `print`: gdb's `print` asks for the
    summary (to_string) before the children, while an MI varobj of a printer with children
    never asks for it (it shows "{...}"). A string child costs about 5 microseconds, a value
    child 30 (gdb looks its printer up and runs it): as text, `print` of a list of 160,000
    entries takes about a second instead of five, and it reads each 4 KiB frame of vm_page_t's
    once (walk.PageReader) instead of each page's."""

    def __init__(self, val, type_name: str) -> None:
        self.val = val
        self.printing = False  # to_string was called: this is `print`
        address = _address(val)
        self.view = None if address is None else model.view_for(address, type_name,
                                                                  stop_on_problem=False)

    def to_string(self) -> str:
        self.printing = True
        if self.view is None:
            return "<error: the list is not in memory>"
        line = self.view.summary()
        if self.view.header_problems:
            line += " " + model.first_error(self.view.header_problems)
        return line

    def children(self) -> Iterator:
        if self.view is None:
            return
        if self.printing:
            pages = walk.PageReader()
            entries = ((offset, model.describe_slot(raw, pages))
                       for offset, _node, _index, raw in self.view.entries())
        else:
            values = _SlotValues()
            entries = ((offset, values.value(node.address, index, raw))
                       for offset, node, index, raw in self.view.entries())
        yield from _unique_names(entries)
        if self.view.walk_problems:
            yield "[error]", model.first_error(self.view.walk_problems)


class TreePrinter:
    """fbl::WAVLTree of VmPageListNode: its count_, then key -> node pointer, walked lazily."""

    def __init__(self, val) -> None:
        self.val = val
        self.address = _address(val)

    def to_string(self) -> str:
        if self.address is None:
            return "<error: the tree is not in memory>"
        count = walk.read_u64(self.address + walk.layout().tree_count)
        if count is None:
            return "<error: tree %#x: header unreadable>" % self.address
        return "fbl::WAVLTree of VmPageListNode, count %d" % count

    def children(self) -> Iterator:
        if self.address is None:
            return
        node_type = _type("VmPageListNode")
        walker = walk.Walk(self.address, stop_on_problem=False)
        yield from _unique_names(
            (node.key, "node %#x" % node.address if node_type is None else
             gdb.Value(node.address).cast(node_type.pointer())) for node in walker)
        if walker.problems:
            yield "[error]", model.first_error(walker.problems)


class CursorPrinter:
    """VMPLCursor: invalid, or its node, index and current slot."""

    def __init__(self, val) -> None:
        self.val = val

    def to_string(self) -> str:
        try:
            # node_ is a WAVLTree iterator, whose one member is the node pointer.
            node_address = int(self.val["node_"]["node_"]) & decode.MASK64
            index = int(self.val["index_"])
        except gdb.error:
            address = _address(self.val)
            data = None if address is None else walk.read_bytes(address, 16)
            if data is None:
                return "VMPLCursor <error: not readable>"
            node_address, index = struct.unpack_from("<QI", data)
        if index >= walk.FANOUT:
            return "VMPLCursor invalid"
        if node_address == 0 or node_address & 7:
            return "VMPLCursor index %d <error: node pointer %#x>" % (index, node_address)
        node = walk.read_node(node_address)
        if node is None:
            return "VMPLCursor node %#x index %d <error: node unreadable>" % (node_address,
                                                                              index)
        message = walk.canary_problem(node)
        if message:
            return "VMPLCursor node %#x index %d <error: %s>" % (node_address, index, message)
        return "VMPLCursor node %#x key %#x index %d: %s" % (
            node_address, node.key, index, model.describe_slot(node.slots[index]))


# The tree's full name is a long template (docs/semantics.md section 12.7); its iterators are nested
# in it.
_TREE = re.compile(r"^fbl::WAVLTree<.*VmPageListNode.*>$")


def _printer_for(val):
    type_ = val.type
    if type_.code == gdb.TYPE_CODE_REF:
        return None
    type_ = type_.strip_typedefs().unqualified()
    name = type_.tag or type_.name
    if not name:
        return None
    if name == "VmPageOrMarker":
        return SlotPrinter(val)
    if name == "VmPageOrMarkerRef":
        return SlotRefPrinter(val)
    if name == "VmPageOrMarker::ReferenceValue":
        return ReferenceValuePrinter(val)
    if name == "VmPageListNode":
        return NodePrinter(val)
    if name in ("VmPageList", "VmPageSpliceList"):
        return ListPrinter(val, name)
    if name == "VMPLCursor":
        return CursorPrinter(val)
    if _TREE.match(name) and "Iterator" not in name:
        return TreePrinter(val)
    return None


def lookup(val):
    """gdb's printer lookup: never raises (a broken printer must not break `print`)."""
    try:
        return _printer_for(val)
    except Exception:  # noqa: BLE001 -- whatever the memory holds, `print` must still work
        return None


lookup.name = "vmpl"  # type: ignore[attr-defined]
lookup.enabled = True  # type: ignore[attr-defined]


def register(objfile=None) -> None:
    """Registers the printers for |objfile|, or globally when it is None."""
    gdb.printing.register_pretty_printer(objfile, lookup, replace=True)


def forget_types(_event=None) -> None:
    """Drops the cached gdb types (connected to gdb's new_objfile event)."""
    _types.clear()
