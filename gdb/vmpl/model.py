"""Page lists and splice lists as entries (VMO offset, node, slot index, raw value).

The one place that turns what walk.py reads into what printers.py and commands.py show, so that
`p list`, `vmpl dump`, `vmpl find` and `vmpl stats` agree. A PageListView or SpliceListView reads
its object once, walks it once (bounded, stopping at the first problem unless asked to go on)
and keeps the nodes; problems are (address, message) pairs, the first of which ends any output.
"""

from __future__ import annotations

import struct
from typing import Iterator, Optional

from . import decode
from . import walk

__all__ = ["Counts", "Entry", "PageListView", "SpliceListView", "describe_slot", "error_marker",
           "first_error", "interval_around",
           "view_for"]

# A non-empty slot: (VMO offset, address of the node holding it, slot index, raw value).
Entry = tuple[int, int, int, int]


def describe_slot(raw: int) -> str:
    """decode.describe, plus a page's split bits read from its vm_page_t."""
    text = decode.describe(raw)
    if raw != 0 and raw & 3 == 0:
        bits = walk.page_split_bits(raw)
        text += " (<unreadable>)" if bits is None else " " + decode.split_text(*bits)
    return text


def _plural(count: int, what: str) -> str:
    return "%d %s%s" % (count, what, "" if count == 1 else "s")


def error_marker(problem: walk.Problem, more: int = 0) -> str:
    """The marker that ends output about a damaged list: its first problem, and how many more."""
    if more:
        return "<error: %s (and %d more: vmpl check lists them)>" % (problem[1], more)
    return "<error: %s>" % problem[1]


def first_error(problems: list) -> str:
    return error_marker(problems[0], len(problems) - 1)


def interval_around(view, offset: int) -> Optional[tuple[int, int, int]]:
    """(start offset, end offset, raw start) of the zero interval whose inside holds |offset|
    (strictly between its start and end sentinels), or None."""
    start = None
    for entry_offset, _node, _index, raw in view.entries():
        if entry_offset > offset and start is None:
            return None
        sentinel = (raw >> 2) & 3 if raw & 3 == 3 else None
        if sentinel == 1:
            start = (entry_offset, raw)
        elif sentinel == 2:
            if start is not None and start[0] < offset < entry_offset:
                return (start[0], entry_offset, start[1])
            start = None
    return None


class Counts:
    """How many slots of each kind a list holds."""

    def __init__(self) -> None:
        self.pages = self.references = self.markers = self.intervals = 0
        self.interval_starts = self.interval_ends = self.interval_slots = 0

    def add(self, raw: int) -> None:
        kind = raw & 3
        if kind == 0:
            self.pages += 1
        elif kind == 1:
            self.markers += 1
        elif kind == 2:
            self.references += 1
        else:
            sentinel = (raw >> 2) & 3
            if sentinel == 1:
                self.interval_starts += 1
            elif sentinel == 2:
                self.interval_ends += 1
            else:
                self.interval_slots += 1
            self.intervals = self.interval_slots + min(self.interval_starts, self.interval_ends)

    def text(self) -> str:
        return ", ".join(_plural(n, what) for n, what in (
            (self.pages, "page"), (self.references, "reference"), (self.markers, "marker"),
            (self.intervals, "interval")))


class PageListView:
    """A VmPageList at |address|: skew and nodes in key order."""

    kind = "VmPageList"

    def __init__(self, address: int, stop_on_problem: bool = False) -> None:
        lay = walk.layout()
        self.address = address
        self.problems: list[walk.Problem] = []
        self.nodes: list[walk.Node] = []
        self.skew = 0
        self.tree_count = 0
        if walk.layout_problem():
            self.problems.append((address, walk.layout_problem()))
            return
        if address % 8 != 0:
            self.problems.append((address, "list address %#x is misaligned" % address))
            return
        skew = walk.read_u64(address + lay.list_skew)
        if skew is None:
            self.problems.append((address, "list at %#x is unreadable" % address))
            return
        self.skew = skew
        if skew >= walk.SPAN:
            self.problems.append((address, "list %#x: skew %#x is out of range" % (address,
                                                                                   skew)))
            if stop_on_problem:
                return
        tree = walk.Walk(address + lay.list_tree, stop_on_problem)
        self.nodes = list(tree)
        self.tree_count = tree.count
        self.problems.extend(tree.problems)

    def entries(self) -> Iterator[Entry]:
        """Non-empty slots in offset order."""
        skew = self.skew
        for node in self.nodes:
            base = node.key - skew
            for index, raw in enumerate(node.slots):
                if raw:
                    yield ((base + index * walk.PAGE_SIZE) & decode.MASK64, node.address, index,
                           raw)

    def counts(self) -> Counts:
        counts = Counts()
        for node in self.nodes:
            for raw in node.slots:
                if raw:
                    counts.add(raw)
        return counts

    def summary(self) -> str:
        return "VmPageList skew %#x, %s, %s" % (self.skew, _plural(len(self.nodes), "node"),
                                                 self.counts().text())

    def node_count(self) -> int:
        return len(self.nodes)

    def heap_bytes(self) -> int:
        return len(self.nodes) * walk.layout().node_size


class SpliceListView:
    """A VmPageSpliceList at |address|: offset, length, position, finalized, head/middle/tail."""

    kind = "VmPageSpliceList"

    def __init__(self, address: int, stop_on_problem: bool = False) -> None:
        lay = walk.layout()
        self.address = address
        self.problems: list[walk.Problem] = []
        self.nodes: list[tuple[str, walk.Node]] = []  # ("head"|"middle"|"tail", node)
        self.offset = self.length = self.position = self.skew = 0
        self.finalized: Optional[bool] = None
        self.tree_count = 0
        if walk.layout_problem():
            self.problems.append((address, walk.layout_problem()))
            return
        data = walk.read_bytes(address, lay.splice_size) if address % 8 == 0 else None
        if data is None:
            self.problems.append((address, "splice list at %#x is %s" % (
                address, "misaligned" if address % 8 else "unreadable")))
            return
        u64 = lambda offset: struct.unpack_from("<Q", data, offset)[0]  # noqa: E731
        self.offset = u64(lay.splice_offset)
        self.length = u64(lay.splice_length)
        self.position = u64(lay.splice_position)
        if lay.splice_skew is not None:
            self.skew = u64(lay.splice_skew)
        if lay.splice_finalized is not None:
            self.finalized = data[lay.splice_finalized] != 0
        if self.skew >= walk.SPAN or self.offset % walk.PAGE_SIZE or \
                self.length % walk.PAGE_SIZE or self.offset + self.length >= 1 << 64 or \
                self.position % walk.PAGE_SIZE or self.position > self.length:
            self.problems.append((address, "splice list %#x: offset %#x, length %#x, position "
                                  "%#x, skew %#x are not a valid range" % (
                                      address, self.offset, self.length, self.position,
                                      self.skew)))
            if stop_on_problem:
                return
        head = walk.node_from_bytes(address + lay.splice_head,
                                    data[lay.splice_head:lay.splice_head + lay.node_size])
        tail = walk.node_from_bytes(address + lay.splice_tail,
                                    data[lay.splice_tail:lay.splice_tail + lay.node_size])
        for node in (head, tail):
            message = walk.canary_problem(node)
            if message:
                self.problems.append((node.address, message))
                if stop_on_problem:
                    return
        self.nodes.append(("head", head))
        tree = walk.Walk(address + lay.splice_middle, stop_on_problem)
        self.nodes.extend(("middle", node) for node in tree)
        self.tree_count = tree.count
        self.problems.extend(tree.problems)
        self.nodes.append(("tail", tail))

    def _node_of(self, offset: int) -> int:
        return (offset + self.skew) & ~(walk.SPAN - 1)

    def entries(self) -> Iterator[Entry]:
        """Non-empty slots in offset order, placed as VmPageSpliceList::SlotForOffset does."""
        start, end = self.offset, self.offset + self.length
        first_node = self._node_of(start)
        first_index = ((start + self.skew) // walk.PAGE_SIZE) % walk.FANOUT
        end_node = self._node_of(end)
        for part, node in self.nodes:
            if part == "head":
                if first_index == 0:
                    continue
                base = first_node
            elif part == "middle":
                base = node.key
            else:
                if end_node == first_node and first_index != 0:
                    continue
                base = end_node
            for index, raw in enumerate(node.slots):
                if not raw:
                    continue
                offset = base + index * walk.PAGE_SIZE - self.skew
                if part != "middle" and not start <= offset < end:
                    continue
                yield (offset, node.address, index, raw)

    def counts(self) -> Counts:
        counts = Counts()
        for entry in self.entries():
            counts.add(entry[3])
        return counts

    def summary(self) -> str:
        finalized = "" if self.finalized is None else (
            ", finalized" if self.finalized else ", not finalized")
        return "VmPageSpliceList offset %#x, length %#x, position %#x%s, %s" % (
            self.offset, self.length, self.position, finalized, self.counts().text())

    def node_count(self) -> int:
        """Nodes of middle_ (head_ and tail_ are inside the object)."""
        return sum(1 for part, _node in self.nodes if part == "middle")

    def heap_bytes(self) -> int:
        return self.node_count() * walk.layout().node_size


def view_for(address: int, type_name: str, stop_on_problem: bool = False):
    """The view of the object at |address|, a VmPageSpliceList if |type_name| says so."""
    if "VmPageSpliceList" in type_name:
        return SpliceListView(address, stop_on_problem)
    return PageListView(address, stop_on_problem)
