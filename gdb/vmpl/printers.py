"""gdb pretty-printers for the page list's types (ours and a real Zircon kernel's).

Types matched by name (docs/semantics.md section 12.7): VmPageOrMarker, VmPageOrMarkerRef,
VmPageOrMarker::ReferenceValue, VmPageListNode, VmPageList, VmPageSpliceList, VMPLCursor and
the fbl::WAVLTree of VmPageListNode. Lists are read through model.py (one read_memory per
node, struct unpacking), so a 10,000-node list prints in well under a second.

Children are Python strings (gdb shows them as they are): a gdb.Value per child, printed through
this module again, cost 60 us each, 10 s for the 160,000 slots of a 10,000-node list shown with
`set print elements unlimited`; strings take 0.3 s.

Memory is untrusted: a printer never raises. The first problem found ends its output with
`<error: ...>` (in the summary line, and as the last child where there are children).
"""

from __future__ import annotations

import re
import struct
from typing import Iterator, Optional

import gdb  # type: ignore
import gdb.printing  # type: ignore

from . import decode
from . import model
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


class SlotPrinter:
    """VmPageOrMarker: its one-line text form."""

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
    """VmPageListNode: its key range (and VMO offsets when its list is found); non-empty slots."""

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
        text = "VmPageListNode key %#x: skewed [%#x, %#x)" % (node.key, node.key,
                                                             node.key + walk.SPAN)
        skew = _node_skew(node) if node.parent else None
        if skew is not None:
            text += ", offsets [%#x, %#x) (skew %#x, %s)" % (
                node.key - skew[0], node.key + walk.SPAN - skew[0], skew[0], skew[1])
        elif not node.parent:
            text += ", not in a tree"
        return text + (" " + self.error if self.error else "")

    def children(self) -> Iterator:
        if self.node is None or self.error:
            return
        for index, raw in enumerate(self.node.slots):
            if raw:
                yield "[%d]" % index, model.describe_slot(raw)

    def display_hint(self) -> Optional[str]:
        return None


class ListPrinter:
    """VmPageList or VmPageSpliceList: a summary, then VMO offset -> entry."""

    def __init__(self, val, type_name: str) -> None:
        self.val = val
        address = _address(val)
        self.view = None if address is None else model.view_for(address, type_name,
                                                                  stop_on_problem=False)

    def to_string(self) -> str:
        if self.view is None:
            return "<error: the list is not in memory>"
        text = self.view.summary()
        if self.view.problems:
            text += " " + model.first_error(self.view.problems)
        return text

    def children(self) -> Iterator:
        if self.view is None:
            return
        for offset, _node, _index, raw in self.view.entries():
            yield "[k]", "%#x" % offset
            yield "[v]", model.describe_slot(raw)
        if self.view.problems:
            yield "[k]", "error"
            yield "[v]", model.first_error(self.view.problems)

    def display_hint(self) -> str:
        return "map"


class TreePrinter:
    """fbl::WAVLTree of VmPageListNode: count, then key -> node pointer, in order."""

    def __init__(self, val) -> None:
        self.val = val
        address = _address(val)
        self.walk = None if address is None else walk.Walk(address, stop_on_problem=False)
        self.nodes = [] if self.walk is None else list(self.walk)

    def to_string(self) -> str:
        if self.walk is None:
            return "<error: the tree is not in memory>"
        text = "fbl::WAVLTree of VmPageListNode, count %d" % self.walk.count
        if self.walk.problems:
            text += " " + model.first_error(self.walk.problems)
        return text

    def children(self) -> Iterator:
        node_type = _type("VmPageListNode")
        for node in self.nodes:
            yield "[k]", "%#x" % node.key
            if node_type is not None:
                yield "[v]", gdb.Value(node.address).cast(node_type.pointer())
            else:
                yield "[v]", "node %#x" % node.address
        if self.walk is not None and self.walk.problems:
            yield "[k]", "error"
            yield "[v]", model.first_error(self.walk.problems)

    def display_hint(self) -> str:
        return "map"


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
