"""Reading page lists out of the inferior's memory, safely, for the printers and commands.

Mirrors the walk of inspect/src/decoder.cc (docs/semantics.md section 12): the fbl WAVL tree of
VmPageListNode keyed by obj_offset_, sentinels equal to the tree's address with bit 0 set, and
the same checks on every node: alignment, readability, the "PLST" canary, parent links, key
alignment, range and order, the tree's count. Memory is untrusted: nothing here raises on bad
memory; every problem is recorded as (address, message) and the walk is bounded by the
`vmpl max-nodes` parameter and cycle-safe (a node is visited once).

Offsets come from the inferior's debug info when it has the types (so a real kernel's DWARF layout
is honoured) and fall back to vmpl's own layout (docs/semantics.md 12.4, 12.5) when it has not. Each
node is read with one read_memory call and unpacked with struct, never through gdb.Value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator, Optional

import gdb  # type: ignore

from . import text
from .text import FANOUT, PAGE_SIZE, SPAN

__all__ = ["DEFAULT_MAX_NODES", "FANOUT", "PAGE_SIZE", "SPAN", "Layout", "Node", "PageReader",
           "Problem", "ReadCounts", "Walk", "canary_problem", "forget_layout", "layout",
           "layout_problem", "list_address", "max_nodes", "node_from_bytes", "read_bytes",
           "read_counts", "read_node", "read_page", "read_u64"]

CANARY = 0x504C5354  # fbl::magic("PLST")
MAX_SIZE = 0xFFFFFFFFFFFE0000

# A problem found in the inferior's memory: the address it is about, and a sentence.
Problem = tuple[int, str]

# The default of the `vmpl max-nodes` parameter (commands.py), and the bound when it does not
# exist (walk.py used without the commands).
DEFAULT_MAX_NODES = 100000


def max_nodes() -> int:
    """The `vmpl max-nodes` parameter (0 or "unlimited": no bound)."""
    try:
        value = gdb.parameter("vmpl max-nodes")
    except (RuntimeError, gdb.error):
        return DEFAULT_MAX_NODES  # the commands are not registered
    if value is None or int(value) <= 0:
        return 1 << 62
    return int(value)


@dataclass
class ReadCounts:
    """How often this package read the inferior (tests check that a bounded print reads a
    bounded part of a list): read_memory calls, and nodes among them."""
    reads: int = 0
    nodes: int = 0


read_counts = ReadCounts()


def read_bytes(address: int, size: int) -> Optional[bytes]:
    """|size| bytes at |address|, or None if any of them is unreadable."""
    if address < 0 or address + size > 1 << 64:
        return None
    read_counts.reads += 1
    try:
        return bytes(gdb.selected_inferior().read_memory(address, size))
    except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
        return None


def read_u64(address: int) -> Optional[int]:
    data = read_bytes(address, 8)
    return None if data is None else struct.unpack("<Q", data)[0]


def _lookup_type(name: str):
    """The complete struct type |name|, or None (unknown, or only declared: no debug info)."""
    try:
        type_ = gdb.lookup_type(name).strip_typedefs()
        return type_ if type_.sizeof > 0 and type_.fields() else None
    except (gdb.error, TypeError):
        return None


def _find_field(type_, name: str):
    """(bit position, type) of the data member |name| of |type_| or of one of its bases."""
    try:
        fields = type_.fields()
    except TypeError:
        return None
    for f in fields:
        if f.name == name and not f.is_base_class and hasattr(f, "bitpos"):
            return f.bitpos, f.type
    for f in fields:
        if f.is_base_class:
            inner = _find_field(f.type.strip_typedefs(), name)
            if inner is not None:
                return f.bitpos + inner[0], inner[1]
    return None


def _bit(type_, path: list[str]) -> Optional[int]:
    """Bit position of the (bit-)field |path| (nested member names) in |type_|, or None."""
    if type_ is None:
        return None
    bits = 0
    current = type_.strip_typedefs()
    for name in path:
        found = _find_field(current, name)
        if found is None:
            return None
        bits += found[0]
        current = found[1].strip_typedefs()
    return bits


def _offset(type_, path: list[str]) -> Optional[int]:
    """Byte offset of the field |path| in |type_|, or None."""
    bits = _bit(type_, path)
    return None if bits is None else bits // 8


@dataclass
class Layout:
    """Offsets (bytes) of every field the walk reads; vmpl's layout unless debug info says else."""
    node_size: int = 176
    node_parent: int = 0
    node_left: int = 8
    node_right: int = 16
    node_canary: int = 32
    node_key: int = 40
    node_slots: int = 48
    slot_size: int = 8
    list_size: int = 48  # the kernel's 40, and vmpl's node table pointer
    list_tree: int = 0
    list_skew: int = 32
    tree_root: int = 0
    tree_left_most: int = 8
    tree_right_most: int = 16
    tree_count: int = 24
    splice_size: int = 440
    splice_offset: int = 0
    splice_length: int = 8
    splice_position: int = 16
    splice_skew: Optional[int] = 24
    splice_finalized: Optional[int] = 32
    splice_head: int = 40
    splice_middle: int = 216
    splice_tail: int = 248
    page_paddr: int = 0x10
    page_left_split_bit: int = 0x29 * 8 + 5
    page_right_split_bit: int = 0x29 * 8 + 6

    def __post_init__(self) -> None:
        self.slots = struct.Struct("<%dQ" % FANOUT)


_layout: Optional[Layout] = None


def layout(refresh: bool = False) -> Layout:
    """The layout, computed once per session (refresh=True after loading new symbols)."""
    global _layout
    if _layout is None or refresh:
        _layout = _compute_layout()
    return _layout


def forget_layout(_event=None) -> None:
    """Drops the cached layout (connected to gdb's new_objfile event: new debug info)."""
    global _layout
    _layout = None


def _compute_layout() -> Layout:
    out = Layout()
    node = _lookup_type("VmPageListNode")
    if node is not None:
        for attr, path in (("node_parent", ["wavl_node_state_", "parent_"]),
                           ("node_left", ["wavl_node_state_", "left_"]),
                           ("node_right", ["wavl_node_state_", "right_"]),
                           ("node_canary", ["canary_", "magic_"]),
                           ("node_key", ["obj_offset_"]),
                           ("node_slots", ["pages_"])):
            value = _offset(node, path)
            if value is not None:
                setattr(out, attr, value)
        out.node_size = node.sizeof
        found = _find_field(node.strip_typedefs(), "pages_")
        if found is not None:
            out.slot_size = found[1].strip_typedefs().target().sizeof
    plist = _lookup_type("VmPageList")
    if plist is not None:
        out.list_size = plist.sizeof
        for attr, path in (("list_tree", ["list_"]), ("list_skew", ["list_skew_"])):
            value = _offset(plist, path)
            if value is not None:
                setattr(out, attr, value)
        tree = _find_field(plist.strip_typedefs(), "list_")
        if tree is not None:
            for attr, name in (("tree_root", "root_"), ("tree_left_most", "left_most_"),
                               ("tree_right_most", "right_most_"), ("tree_count", "count_")):
                value = _offset(tree[1], [name])
                if value is not None:
                    setattr(out, attr, value)
    splice = _lookup_type("VmPageSpliceList")
    if splice is not None:
        out.splice_size = splice.sizeof
        for attr, name in (("splice_offset", "offset_"), ("splice_length", "length_"),
                           ("splice_position", "pos_"), ("splice_head", "head_"),
                           ("splice_middle", "middle_"), ("splice_tail", "tail_")):
            value = _offset(splice, [name])
            if value is not None:
                setattr(out, attr, value)
        # A V2 kernel's splice list has neither a skew nor a finalized flag.
        out.splice_skew = _offset(splice, ["list_skew_"])
        out.splice_finalized = _offset(splice, ["finalized_"])
    page = _lookup_type("vm_page")
    if page is not None:
        paddr = _offset(page, ["paddr_priv"])
        if paddr is not None:
            out.page_paddr = paddr
        left = _bit(page, ["object", "cow_left_split"])
        right = _bit(page, ["object", "cow_right_split"])
        if left is not None and right is not None:
            out.page_left_split_bit, out.page_right_split_bit = left, right
    return out


class _PageFields:
    """Where paddr_priv and the split bits sit in a vm_page_t: the bytes [first, first + size)
    of it that hold all three, and how to take them out of those bytes."""

    def __init__(self, lay: Layout) -> None:
        split_bytes = (lay.page_left_split_bit // 8, lay.page_right_split_bit // 8)
        self.first = min(lay.page_paddr, *split_bytes)
        self.size = max(lay.page_paddr + 8, *(b + 1 for b in split_bytes)) - self.first
        self.paddr = lay.page_paddr - self.first
        self.left = lay.page_left_split_bit - self.first * 8
        self.right = lay.page_right_split_bit - self.first * 8

    def parse(self, data: bytes) -> text.PageInfo:
        bit = lambda at: bool(data[at >> 3] >> (at & 7) & 1)  # noqa: E731
        return text.PageInfo(int.from_bytes(data[self.paddr:self.paddr + 8], "little"),
                             bit(self.left), bit(self.right))


def read_page(page: int) -> Optional[text.PageInfo]:
    """paddr_priv and the split bits of the vm_page_t at |page| (one read), None if unreadable."""
    fields = _PageFields(layout())
    data = read_bytes(page + fields.first, fields.size)
    return None if data is None else fields.parse(data)


class PageReader:
    """read_page for many pages: the target is read a 4 KiB frame at a time, and each frame
    once, since vm_page_t's sit in dense arrays (a dump of 80,000 pages reads ~1,000 frames).
    For one command: memory may change between commands."""

    FRAME = 4096

    def __init__(self) -> None:
        self._fields = _PageFields(layout())
        self._frames: dict[int, Optional[bytes]] = {}

    def _frame(self, number: int) -> Optional[bytes]:
        if number not in self._frames:
            self._frames[number] = read_bytes(number * self.FRAME, self.FRAME)
        return self._frames[number]

    def read(self, page: int) -> Optional[text.PageInfo]:
        start = page + self._fields.first
        stop = start + self._fields.size
        if stop > 1 << 64:
            return None
        first, last = start // self.FRAME, (stop - 1) // self.FRAME
        frames = [self._frame(number) for number in range(first, last + 1)]
        if None in frames:
            return None
        data = frames[0] if first == last else b"".join(frames)  # type: ignore[arg-type]
        offset = start - first * self.FRAME
        return self._fields.parse(data[offset:offset + self._fields.size])


@dataclass
class Node(text.Node):
    """One node read out of the inferior: text.Node (address, key, canary, raw slots) and the
    tree links the walk follows."""
    parent: int = 0
    left: int = 0
    right: int = 0


def read_node(address: int) -> Optional[Node]:
    """The node at |address| (one read_memory call), or None if unreadable."""
    lay = layout()
    data = read_bytes(address, lay.node_size)
    if data is None:
        return None
    read_counts.nodes += 1
    return node_from_bytes(address, data)


def node_from_bytes(address: int, data: bytes) -> Node:
    lay = layout()
    q = struct.unpack_from
    return Node(address, q("<Q", data, lay.node_key)[0], q("<I", data, lay.node_canary)[0],
                lay.slots.unpack_from(data, lay.node_slots),
                parent=q("<Q", data, lay.node_parent)[0], left=q("<Q", data, lay.node_left)[0],
                right=q("<Q", data, lay.node_right)[0])


def layout_problem() -> Optional[str]:
    """Why this walker cannot decode the inferior's slots (None when it can)."""
    lay = layout()
    if lay.slot_size != 8:
        return ("VmPageOrMarker is %d bytes here: only the 8-byte encoding of V1-V3 kernels is "
                "decoded" % lay.slot_size)
    fields = ((lay.node_parent, 8), (lay.node_left, 8), (lay.node_right, 8),
              (lay.node_canary, 4), (lay.node_key, 8), (lay.node_slots, FANOUT * 8))
    if any(offset + size > lay.node_size for offset, size in fields):
        return "VmPageListNode of %d bytes cannot hold its fields at the offsets of its debug " \
               "info" % lay.node_size
    return None


def canary_problem(node: Node) -> Optional[str]:
    if node.canary != CANARY:
        return "node %#x: canary %#010x, expected %#010x" % (node.address, node.canary, CANARY)
    return None


class Walk:
    """An in-order walk of the WAVL tree whose header (root_, ...) is at |tree|.

    Iterate it for the nodes in key order. With stop_on_problem the walk ends at the first
    problem; without it (the printers and commands) it goes on wherever it still can, within
    its bound, so that everything readable is shown. problems
    holds (address, message) pairs in the order found; complete is False when part of the tree
    could not be read or the bound was reached.
    """

    def __init__(self, tree: int, stop_on_problem: bool = True, limit: Optional[int] = None):
        self.tree = tree
        self.stop_on_problem = stop_on_problem
        self.limit = max_nodes() if limit is None else limit
        self.problems: list[Problem] = []
        self.complete = True
        self.count = 0
        self.visited = 0

    def _problem(self, address: int, message: str) -> bool:
        """Records a problem; True if the walk must stop."""
        self.problems.append((address, message))
        return self.stop_on_problem

    def __iter__(self) -> Iterator[Node]:
        lay = layout()
        tree = self.tree
        sentinel = tree | 1
        header = read_bytes(tree, lay.tree_count + 8)
        if header is None:
            self.complete = False
            self._problem(tree, "tree %#x: header unreadable" % tree)
            return
        root, left_most, right_most, count = (
            struct.unpack_from("<Q", header, o)[0]
            for o in (lay.tree_root, lay.tree_left_most, lay.tree_right_most, lay.tree_count))
        self.count = count
        if root == 0:
            if count != 0 and self._problem(tree, "tree %#x: no root, but count %d" %
                                            (tree, count)):
                return
            if (left_most != sentinel or right_most != sentinel) and self._problem(
                    tree, "tree %#x: empty, but left_most %#x and right_most %#x are not the "
                    "sentinel %#x" % (tree, left_most, right_most, sentinel)):
                return
            return
        visited: set = set()
        # Explicit stack of (node, expected parent, where the link was read); each node is read
        # once, when first pushed.
        stack: list = []
        last_key: Optional[int] = None
        first: Optional[Node] = None
        last: Optional[Node] = None
        stop = False

        def push_chain(address: int, parent: int, at: int) -> bool:
            """Pushes |address| and its chain of left children; False if the walk must stop."""
            while address != 0 and address != sentinel:
                if address % 8 != 0:
                    self.complete = False
                    return not self._problem(at, "pointer %#x at %#x is misaligned%s" % (
                        address, at, " (a sentinel of another tree?)" if address & 1 else ""))
                if address in visited:
                    self.complete = False
                    return not self._problem(address, "cycle: node %#x is reached again "
                                             "through %#x" % (address, at))
                if len(visited) >= self.limit:
                    self.complete = False
                    self._problem(address, "more than %d nodes (vmpl max-nodes): walk stopped"
                                  % self.limit)
                    return False
                visited.add(address)
                node = read_node(address)
                if node is None:
                    self.complete = False
                    return not self._problem(address, "node at %#x is unreadable" % address)
                if node.parent != parent and self._problem(
                        address, "node %#x: parent link %#x, expected %#x" % (
                            address, node.parent, parent)):
                    return False
                message = canary_problem(node)
                if message and self._problem(address, message):
                    return False
                stack.append(node)
                parent, at, address = address, address + lay.node_left, node.left
            return True

        if not push_chain(root, sentinel, tree + lay.tree_root):
            stop = True
        while stack and not stop:
            node = stack.pop()
            if node.key % SPAN != 0 and self._problem(
                    node.address, "node %#x: key %#x is not a multiple of %#x" % (
                        node.address, node.key, SPAN)):
                return
            if node.key >= MAX_SIZE + SPAN and self._problem(
                    node.address, "node %#x: key %#x is out of range" % (node.address, node.key)):
                return
            if last_key is not None and node.key <= last_key and self._problem(
                    node.address, "node %#x: key %#x is not above the previous key %#x" % (
                        node.address, node.key, last_key)):
                return
            last_key = node.key
            if first is None:
                first = node
            last = node
            self.visited += 1
            yield node
            if not push_chain(node.right, node.address, node.address + lay.node_right):
                stop = True
        if stop or not self.complete:
            return
        if self.visited != count:
            self._problem(tree, "tree %#x: count says %d nodes, the walk found %d" % (
                tree, count, self.visited))
        elif first is not None and (left_most != first.address or right_most != last.address):
            self._problem(tree, "tree %#x: left_most %#x / right_most %#x, the walk found "
                          "%#x / %#x" % (tree, left_most, right_most, first.address,
                                         last.address))


def list_address(value) -> int:
    """The address of the object |value| is, or points to (a gdb.Value)."""
    t = value.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        return int(value)
    if t.code == gdb.TYPE_CODE_REF or t.code == getattr(gdb, "TYPE_CODE_RVALUE_REF", -1):
        value = value.referenced_value()
    return int(value.address)
