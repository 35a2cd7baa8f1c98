"""Page lists and splice lists as read from the inferior: their fields, nodes and slots.

The one place that turns what walk.py reads into what printers.py and commands.py show, so that
`print list`, `vmpl dump`, `vmpl find` and `vmpl stats` agree. Making a view reads only the
object itself (a list's skew and tree header; a splice list with its inline head and tail);
its nodes are walked lazily (nodes(), entries()), so that a printer showing ten entries reads
a few nodes, or all at once by load() for the commands. Problems are (address, message) pairs;
the first one ends any output. snapshot() gives the text.PageList that text.py renders.
"""

from __future__ import annotations

import struct
from typing import Iterator, Optional

from . import decode
from . import text
from . import walk

__all__ = ["PageListView", "SpliceListView", "describe_slot", "error_marker", "first_error",
           "interval_around", "view_for"]


def describe_slot(raw: int, pages: Optional[walk.PageReader] = None) -> str:
    """A slot's content in the text view's words, a page's vm_page_t read for its paddr and
    split bits (through |pages| if given, else with one read)."""
    if decode.kind(raw) != "page":
        return text.slot_text(raw)
    return text.slot_text(raw, pages.read(raw) if pages is not None else walk.read_page(raw))


def error_marker(problem: walk.Problem, more: int = 0) -> str:
    """The marker that ends output about a damaged list: its first problem, and how many more."""
    if more:
        return "<error: %s (and %d more: vmpl check lists them)>" % (problem[1], more)
    return "<error: %s>" % problem[1]


def first_error(problems: list) -> str:
    return error_marker(problems[0], len(problems) - 1)


def interval_around(view, offset: int) -> Optional[tuple[int, int, int]]:
    """(start, end, raw start sentinel) of the zero interval [start, end) whose inside holds
    |offset| (strictly between its start and end sentinels), or None."""
    start = None
    for entry_offset, _node, _index, raw in view.entries():
        if entry_offset > offset and start is None:
            return None
        sentinel = decode.sentinel(raw) if decode.kind(raw) == "interval" else None
        if sentinel == "start":
            start = (entry_offset, raw)
        elif sentinel == "end":
            if start is not None and start[0] < offset < entry_offset:
                return (start[0], entry_offset + walk.PAGE_SIZE, start[1])
            start = None
    return None


class _View:
    """What both views share: the header problems, the lazy walk, loading and the snapshot."""

    kind = ""
    snapshot_kind = ""

    def __init__(self, address: int, stop_on_problem: bool) -> None:
        self.address = address
        self.stop_on_problem = stop_on_problem
        self.skew = 0
        self.tree_count = 0
        self.splice: Optional[text.Splice] = None
        # Problems of the object itself (found when the view is made) and of the last walk.
        self.header_problems: list[walk.Problem] = []
        self.walk_problems: list[walk.Problem] = []
        self.walkable = False  # the object was read and may be walked
        self.walk_complete = True
        self.nodes: Optional[list[walk.Node]] = None  # after load()

    @property
    def problems(self) -> list[walk.Problem]:
        return self.header_problems + self.walk_problems

    @property
    def complete(self) -> bool:
        return self.walkable and self.walk_complete

    def _header_problem(self, message: str) -> None:
        self.header_problems.append((self.address, message))

    def _walk_tree(self, tree: int) -> Iterator[walk.Node]:
        """The nodes of the tree at |tree|, lazily; problems land in walk_problems."""
        walker = walk.Walk(tree, self.stop_on_problem)
        self.walk_problems = walker.problems
        self.walk_complete = True
        for node in walker:
            yield node
        self.walk_complete = walker.complete

    def walk_nodes(self) -> Iterator[walk.Node]:
        raise NotImplementedError

    def load(self):
        """Walks every node now (bounded by `vmpl max-nodes`); returns self."""
        if self.nodes is None:
            self.nodes = list(self.walk_nodes())
        return self

    def entries(self) -> Iterator[text.Slot]:
        """(offset, node, index, raw) of the non-empty slots in offset order: from the loaded
        nodes, or walking lazily when the view is not loaded."""
        nodes = self.nodes if self.nodes is not None else self.walk_nodes()
        return text.populated(nodes, self.skew, self.splice)

    def snapshot(self, registry_entry=None,
                 pages: Optional[walk.PageReader] = None) -> text.PageList:
        """The loaded view as text.PageList, with the vm_page_t of every page slot read."""
        self.load()
        reader = pages or walk.PageReader()
        out = text.PageList(self.address, self.snapshot_kind, skew=self.skew,
                            tree_count=self.tree_count, nodes=list(self.nodes or []),
                            problems=self.problems, complete=self.complete, splice=self.splice)
        if registry_entry is not None:
            out.registry_id, out.name = registry_entry.ident, registry_entry.name_bytes
        for node in out.nodes:
            for raw in node.slots:
                if decode.kind(raw) == "page" and raw not in out.pages:
                    info = reader.read(raw)
                    if info is not None:
                        out.pages[raw] = info
        return out

    def counts(self) -> text.Counts:
        self.load()
        return text.counts(text.PageList(self.address, self.snapshot_kind,
                                         nodes=list(self.nodes or [])))

    def node_count(self) -> int:
        """Nodes of the tree (a splice list's head_ and tail_ are inside the object)."""
        self.load()
        return sum(1 for node in self.nodes or [] if node.part in (None, "middle"))

    def heap_bytes(self) -> int:
        return self.node_count() * walk.layout().node_size


class PageListView(_View):
    """A VmPageList at |address|: its skew and tree header; nodes in key order on demand."""

    kind = "VmPageList"
    snapshot_kind = "page-list"

    def __init__(self, address: int, stop_on_problem: bool = False) -> None:
        super().__init__(address, stop_on_problem)
        lay = walk.layout()
        if walk.layout_problem():
            self._header_problem(walk.layout_problem())
            return
        if address % 8 != 0:
            self._header_problem("list address %#x is misaligned" % address)
            return
        end = max(lay.list_skew + 8, lay.list_tree + lay.tree_count + 8)
        data = walk.read_bytes(address, end)
        if data is None:
            self._header_problem("list at %#x is unreadable" % address)
            return
        self.skew = struct.unpack_from("<Q", data, lay.list_skew)[0]
        self.tree_count = struct.unpack_from("<Q", data, lay.list_tree + lay.tree_count)[0]
        self.walkable = True
        if self.skew >= walk.SPAN:
            self._header_problem("list %#x: skew %#x is out of range" % (address, self.skew))
            self.walkable = not stop_on_problem

    def walk_nodes(self) -> Iterator[walk.Node]:
        if self.walkable:
            yield from self._walk_tree(self.address + walk.layout().list_tree)

    def summary(self) -> str:
        """What the object itself says, without walking: skew and the tree's count_."""
        return "VmPageList skew %#x, tree count %d" % (self.skew, self.tree_count)


class SpliceListView(_View):
    """A VmPageSpliceList at |address|: offset, length, position, finalized, its inline head and
    tail nodes; the middle tree's nodes on demand."""

    kind = "VmPageSpliceList"
    snapshot_kind = "splice-list"

    def __init__(self, address: int, stop_on_problem: bool = False) -> None:
        super().__init__(address, stop_on_problem)
        lay = walk.layout()
        self.head: Optional[walk.Node] = None
        self.tail: Optional[walk.Node] = None
        if walk.layout_problem():
            self._header_problem(walk.layout_problem())
            return
        data = walk.read_bytes(address, lay.splice_size) if address % 8 == 0 else None
        if data is None:
            self._header_problem("splice list at %#x is %s" % (
                address, "misaligned" if address % 8 else "unreadable"))
            return
        u64 = lambda offset: struct.unpack_from("<Q", data, offset)[0]  # noqa: E731
        self.splice = text.Splice(
            u64(lay.splice_offset), u64(lay.splice_length), u64(lay.splice_position),
            None if lay.splice_finalized is None else data[lay.splice_finalized] != 0)
        if lay.splice_skew is not None:
            self.skew = u64(lay.splice_skew)
        self.tree_count = u64(lay.splice_middle + lay.tree_count)
        splice = self.splice
        if self.skew >= walk.SPAN or splice.offset % walk.PAGE_SIZE or \
                splice.length % walk.PAGE_SIZE or splice.offset + splice.length >= 1 << 64 or \
                splice.position % walk.PAGE_SIZE or splice.position > splice.length:
            self._header_problem("splice list %#x: offset %#x, length %#x, position %#x, skew "
                                 "%#x are not a valid range" % (address, splice.offset,
                                                               splice.length, splice.position,
                                                               self.skew))
            if stop_on_problem:
                return
        self.head = walk.node_from_bytes(address + lay.splice_head,
                                         data[lay.splice_head:lay.splice_head + lay.node_size])
        self.tail = walk.node_from_bytes(address + lay.splice_tail,
                                         data[lay.splice_tail:lay.splice_tail + lay.node_size])
        self.head.part, self.tail.part = "head", "tail"
        for node in (self.head, self.tail):
            message = walk.canary_problem(node)
            if message:
                self.header_problems.append((node.address, message))
                if stop_on_problem:
                    return
        self.walkable = True

    def walk_nodes(self) -> Iterator[walk.Node]:
        if not self.walkable:
            return
        yield self.head
        for node in self._walk_tree(self.address + walk.layout().splice_middle):
            node.part = "middle"
            yield node
        yield self.tail

    def summary(self) -> str:
        """What the object itself says, without walking the middle tree."""
        splice = self.splice
        if splice is None:
            return "VmPageSpliceList"
        finalized = "" if splice.finalized is None else (
            "finalized, " if splice.finalized else "not finalized, ")
        return "VmPageSpliceList offset %#x, length %#x, position %#x, %sskew %#x, tree count " \
               "%d" % (splice.offset, splice.length, splice.position, finalized, self.skew,
                       self.tree_count)


def view_for(address: int, type_name: str, stop_on_problem: bool = False):
    """The view of the object at |address|, a VmPageSpliceList if |type_name| says so."""
    if "VmPageSpliceList" in type_name:
        return SpliceListView(address, stop_on_problem)
    return PageListView(address, stop_on_problem)
