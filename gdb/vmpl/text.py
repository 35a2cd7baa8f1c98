"""The one text view and JSON form of a page list (docs/snapshot-format.md), without gdb.

A PageList is plain data, the Python side of the snapshot model: what a reader found of one
VmPageList or VmPageSpliceList (address, registry id, name, kind, skew, splice fields), its nodes
(address, tree key, canary, 16 raw slots; a splice list's nodes also say which part they are),
the vm_page_t fields of the pages that could be read, the problems found and whether the walk
got to the end. This module turns one into the lines every tool prints (render) and into its
JSON object (to_json); `vmpl dump` prints them. The C++ views are to print the same for the
same list: tests/vectors/lists.json holds whole lists with both forms.

Slot contents come from decode.describe, the one slot decoder of the Python side; this module
adds only what is not in the slot: VMO offsets (the skew applied), a page's paddr and split
bits, and the range of an interval.

Run as a program, it checks a vectors file:
    python3 gdb/vmpl/text.py --check tests/vectors/lists.json
exit 0 when every vector matches, 1 on a mismatch, 2 on a usage error, 3 on an unreadable file.
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional, Sequence

try:
    from . import decode
except ImportError:  # run as a program: this file's folder is on sys.path
    import decode  # type: ignore[no-redef]

__all__ = ["FANOUT", "PAGE_SIZE", "SPAN", "Counts", "Node", "PageInfo", "PageList", "Slot",
           "Splice", "check_vectors", "counts", "escape_name", "from_json", "list_line", "main",
           "node_base", "node_count", "node_offsets", "populated", "render", "slot_json",
           "slot_text", "to_json"]

PAGE_SIZE = 0x1000
FANOUT = 16
SPAN = PAGE_SIZE * FANOUT  # VMO bytes one node covers
MASK64 = decode.MASK64

# A populated slot: (VMO offset, node, slot index, raw value).
Slot = tuple[int, "Node", int, int]


@dataclass
class Node:
    """A VmPageListNode as read: its address, obj_offset_ (the key), canary and raw slots."""
    address: int
    key: int
    canary: int
    slots: Sequence[int]
    part: Optional[str] = None  # in a splice list: "head", "middle" or "tail"


@dataclass
class PageInfo:
    """The fields of a vm_page_t that the text shows: paddr_priv and the two split bits."""
    paddr: int
    left_split: bool
    right_split: bool


@dataclass
class Splice:
    """A VmPageSpliceList's own fields (finalized is None where the layout has no such flag)."""
    offset: int
    length: int
    position: int
    finalized: Optional[bool]


@dataclass
class PageList:
    """One list of a snapshot (the module doc says what each part is)."""
    address: int
    kind: str = "page-list"  # or "splice-list"
    registry_id: Optional[int] = None
    name: Optional[bytes] = None
    skew: int = 0
    tree_count: int = 0  # what the tree's own count_ says
    nodes: list[Node] = field(default_factory=list)
    pages: dict[int, PageInfo] = field(default_factory=dict)  # vm_page_t address -> fields
    problems: list[tuple[int, str]] = field(default_factory=list)  # (address, message)
    complete: bool = True
    splice: Optional[Splice] = None


def _round_down(value: int) -> int:
    return value & MASK64 & ~(SPAN - 1)


def node_base(node: Node, skew: int, splice: Optional[Splice] = None) -> int:
    """The skewed offset of |node|'s slot 0: its key, except for a splice list's inline head
    and tail, which sit where VmPageSpliceList::SlotForOffset puts them (the nodes holding the
    range's first and end offsets)."""
    if splice is not None and node.part == "head":
        return _round_down(splice.offset + skew)
    if splice is not None and node.part == "tail":
        return _round_down(splice.offset + splice.length + skew)
    return node.key


def node_offsets(node: Node, skew: int, splice: Optional[Splice] = None) -> tuple[int, int]:
    """[first, end) VMO offsets of |node|: first is 0 when the skew puts slot 0 before 0."""
    base = node_base(node, skew, splice)
    return (0 if base < skew else base - skew), (base + SPAN - skew) & MASK64


def populated(nodes: Iterable[Node], skew: int,
              splice: Optional[Splice] = None) -> Iterator[Slot]:
    """The non-empty slots of |nodes| (any iterable, walked lazily), in node order."""
    for node in nodes:
        base = node_base(node, skew, splice) - skew
        for index, raw in enumerate(node.slots):
            if raw:
                yield (base + index * PAGE_SIZE) & MASK64, node, index, raw


def _plural(count: int, what: str) -> str:
    return "%d %s%s" % (count, what, "" if count == 1 else "s")


class Counts:
    """How many slots of each kind a list holds, in the words of docs/snapshot-format.md.

    Every slot of kind "interval" is an interval sentinel (the unused code 3 too); intervals are
    the Start and Slot sentinels. So pages + references + markers + interval_sentinels is the
    number of populated slots.
    """

    def __init__(self, nodes: int = 0) -> None:
        self.nodes = nodes
        self.pages = self.references = self.markers = self.interval_sentinels = 0
        self.by_sentinel = {"start": 0, "end": 0, "slot": 0, "invalid": 0}

    @property
    def intervals(self) -> int:
        return self.by_sentinel["start"] + self.by_sentinel["slot"]

    def add(self, raw: int) -> None:
        what = decode.kind(raw)
        if what == "page":
            self.pages += 1
        elif what == "reference":
            self.references += 1
        elif what == "marker":
            self.markers += 1
        elif what == "interval":
            self.interval_sentinels += 1
            self.by_sentinel[decode.sentinel(raw)] += 1

    def text(self) -> str:
        """"2 nodes, 3 pages, 1 reference, 1 marker, 1 interval (2 interval sentinels)"."""
        return "%s, %s, %s, %s, %s (%s)" % (
            _plural(self.nodes, "node"), _plural(self.pages, "page"),
            _plural(self.references, "reference"), _plural(self.markers, "marker"),
            _plural(self.intervals, "interval"),
            _plural(self.interval_sentinels, "interval sentinel"))

    def to_json(self) -> dict[str, int]:
        return {"nodes": self.nodes, "pages": self.pages, "references": self.references,
                "markers": self.markers, "intervals": self.intervals,
                "interval_sentinels": self.interval_sentinels}


def node_count(lst: PageList) -> int:
    """The nodes a reader found in the tree: a splice list's inline head and tail are not."""
    return sum(1 for node in lst.nodes if node.part in (None, "middle"))


def counts(lst: PageList) -> Counts:
    out = Counts(node_count(lst))
    for node in lst.nodes:
        for raw in node.slots:
            if raw:
                out.add(raw)
    return out


def escape_name(name: bytes) -> str:
    """|name| for a terminal: bytes outside 0x20..0x7e as \\xNN, a backslash and a single quote
    with a backslash before them."""
    out = []
    for byte in name:
        if byte in (0x5C, 0x27):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte <= 0x7E:
            out.append(chr(byte))
        else:
            out.append("\\x%02x" % byte)
    return "".join(out)


def slot_text(raw: int, page: Optional[PageInfo] = None) -> str:
    """A slot's content as the text view prints it (after its offset); |page| is the vm_page_t
    of a page slot, when it was read."""
    text = decode.describe(raw)
    if page is not None:
        text += " paddr %#x%s" % (page.paddr, decode.split_text(page.left_split,
                                                               page.right_split))
    return text


def _page_of(raw: int, pages: dict[int, PageInfo]) -> Optional[PageInfo]:
    return pages.get(raw) if decode.kind(raw) == "page" else None


def list_line(lst: PageList, totals: Counts) -> str:
    """The first line of a list: who it is, its kind, skew and counts."""
    line = "list"
    if lst.registry_id is not None:
        line += " %d" % lst.registry_id
    if lst.name is not None:
        line += " '%s'" % escape_name(lst.name)
    line += " at %#x (%s): " % (lst.address,
                               "splice list" if lst.kind == "splice-list" else "page list")
    if lst.splice is not None:
        line += "offset %#x, length %#x, position %#x, " % (
            lst.splice.offset, lst.splice.length, lst.splice.position)
        if lst.splice.finalized is not None:
            line += "finalized, " if lst.splice.finalized else "not finalized, "
    line += "skew %#x, %s" % (lst.skew, totals.text())
    return line + ("" if lst.complete else " INCOMPLETE")


def render(lst: PageList, start: int = 0, end: int = 1 << 64) -> list[str]:
    """The lines of |lst| (docs/snapshot-format.md "Text"). With [start, end) given, only the
    nodes whose offsets meet it and the slots inside it are shown."""
    lines = [list_line(lst, counts(lst))]
    for node in lst.nodes:
        first, node_end = node_offsets(node, lst.skew, lst.splice)
        if node_end <= start or first >= end:
            continue
        prefix = "  %s node" % node.part if node.part in ("head", "tail") else "  node"
        lines.append("%s %#x key %#x offsets [%#x, %#x)%s" % (
            prefix, node.address, node.key, first, node_end,
            "" if any(node.slots) else ": EMPTY"))
        for offset, _node, index, raw in populated([node], lst.skew, lst.splice):
            if start <= offset < end:
                lines.append("    [%2d] offset %#x %s" % (
                    index, offset, slot_text(raw, _page_of(raw, lst.pages))))
    lines.extend("  PROBLEM at %#x: %s" % problem for problem in lst.problems)
    return lines


def _interval_ranges(slots: list[Slot]) -> dict[int, tuple[int, int]]:
    """[start, end) of each interval sentinel whose other sentinel is where it must be (the
    next populated slot after a Start is its End), keyed by position in |slots|."""
    ranges: dict[int, tuple[int, int]] = {}
    for i, (offset, _node, _index, raw) in enumerate(slots):
        if decode.kind(raw) != "interval":
            continue
        which = decode.sentinel(raw)
        if which == "slot":
            ranges[i] = (offset, (offset + PAGE_SIZE) & MASK64)
        elif which == "start" and i + 1 < len(slots):
            end_raw = slots[i + 1][3]
            if decode.kind(end_raw) == "interval" and decode.sentinel(end_raw) == "end":
                ranges[i] = ranges[i + 1] = (offset, (slots[i + 1][0] + PAGE_SIZE) & MASK64)
    return ranges


def slot_json(offset: int, index: int, raw: int, pages: dict[int, PageInfo],
              interval_range: Optional[tuple[int, int]] = None) -> dict[str, Any]:
    """A slot's JSON object (docs/snapshot-format.md "JSON", SLOT)."""
    fields = decode.decode(raw)
    out: dict[str, Any] = {"slot": index, "offset": hex(offset), "raw": hex(raw),
                           "kind": fields["kind"], "text": slot_text(raw, _page_of(raw, pages))}
    if fields["kind"] == "page":
        out["page"] = fields["page"]
        page = pages.get(raw)
        if page is not None:
            out.update(paddr=hex(page.paddr), left_split=page.left_split,
                       right_split=page.right_split)
    elif fields["kind"] == "reference":
        out.update(reference=fields["reference"], left_split=fields["left_split"],
                   right_split=fields["right_split"])
    elif fields["kind"] == "interval":
        out.update(sentinel=fields["sentinel"], dirty=fields["dirty"],
                   awaiting_clean=hex(fields["awaiting_clean"]))
        if interval_range is not None:
            out["range"] = [hex(interval_range[0]), hex(interval_range[1])]
    return out


def to_json(lst: PageList) -> dict[str, Any]:
    """The JSON object of |lst| (docs/snapshot-format.md "JSON", LIST)."""
    slots = list(populated(lst.nodes, lst.skew, lst.splice))
    ranges = _interval_ranges(slots)
    by_node: dict[int, list[dict[str, Any]]] = {}
    for i, (offset, node, index, raw) in enumerate(slots):
        by_node.setdefault(id(node), []).append(
            slot_json(offset, index, raw, lst.pages, ranges.get(i)))
    nodes = []
    for node in lst.nodes:
        first, end = node_offsets(node, lst.skew, lst.splice)
        entry: dict[str, Any] = {"address": hex(node.address), "key": hex(node.key),
                                 "canary": "%#010x" % node.canary, "first_offset": hex(first),
                                 "end_offset": hex(end), "slots": by_node.get(id(node), [])}
        if node.part is not None:
            entry["part"] = node.part
        nodes.append(entry)
    out: dict[str, Any] = {
        "address": hex(lst.address),
        "registry_id": lst.registry_id,
        "name": None if lst.name is None else lst.name.decode("utf-8", "replace"),
        "kind": lst.kind,
        "skew": hex(lst.skew),
        "tree_count": lst.tree_count,
        "complete": lst.complete,
        "counts": counts(lst).to_json(),
        "nodes": nodes,
        "problems": [{"address": hex(a), "message": m} for a, m in lst.problems],
    }
    if lst.splice is not None:
        out["splice"] = {"offset": hex(lst.splice.offset), "length": hex(lst.splice.length),
                         "position": hex(lst.splice.position),
                         "finalized": lst.splice.finalized}
    return out


# ---- Reading a list from a vectors file --------------------------------------------------------

def _u64(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError("%s: %r is not a hex string like \"0x1000\"" % (what, value))
    number = int(value, 16)
    if number > MASK64:
        raise ValueError("%s: %s does not fit 64 bits" % (what, value))
    return number


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("%s is not an object" % what)
    return value


def from_json(document: Any) -> PageList:
    """The PageList a vector's "list" describes (the format is in lists.json's comment);
    raises ValueError naming what is wrong."""
    doc = _object(document, "list")
    kind = doc.get("kind", "page-list")
    if kind not in ("page-list", "splice-list"):
        raise ValueError("list kind %r is not page-list or splice-list" % kind)
    name = doc.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError("list name %r is not a string or null" % name)
    ident = doc.get("registry_id")
    if ident is not None and (not isinstance(ident, int) or isinstance(ident, bool)):
        raise ValueError("registry_id %r is not an integer or null" % ident)
    lst = PageList(address=_u64(doc.get("address"), "address"), kind=kind, registry_id=ident,
                   name=None if name is None else name.encode("utf-8"),
                   skew=_u64(doc.get("skew", "0x0"), "skew"),
                   tree_count=int(doc.get("tree_count", 0)),
                   complete=bool(doc.get("complete", True)))
    if kind == "splice-list":
        splice = _object(doc.get("splice"), "a splice list's \"splice\"")
        finalized = splice.get("finalized")
        if finalized is not None and not isinstance(finalized, bool):
            raise ValueError("splice finalized %r is not true, false or null" % finalized)
        lst.splice = Splice(_u64(splice.get("offset"), "splice offset"),
                            _u64(splice.get("length"), "splice length"),
                            _u64(splice.get("position"), "splice position"), finalized)
    for n, node in enumerate(doc.get("nodes", [])):
        node = _object(node, "node %d" % n)
        slots = node.get("slots")
        if not isinstance(slots, list) or len(slots) != FANOUT:
            raise ValueError("node %d: \"slots\" is not a list of %d raw values" % (n, FANOUT))
        part = node.get("part")
        if (part is None) != (kind == "page-list") or part not in (None, "head", "middle",
                                                                   "tail"):
            raise ValueError("node %d: part %r does not suit a %s" % (n, part, kind))
        lst.nodes.append(Node(_u64(node.get("address"), "node %d address" % n),
                              _u64(node.get("key"), "node %d key" % n),
                              _u64(node.get("canary", "0x504c5354"), "node %d canary" % n),
                              [_u64(raw, "node %d slot" % n) for raw in slots], part))
    for page, info in _object(doc.get("pages", {}), "\"pages\"").items():
        info = _object(info, "page %s" % page)
        lst.pages[_u64(page, "page")] = PageInfo(_u64(info.get("paddr"), "paddr of " + page),
                                                 bool(info.get("left_split")),
                                                 bool(info.get("right_split")))
    for problem in doc.get("problems", []):
        problem = _object(problem, "a problem")
        lst.problems.append((_u64(problem.get("address"), "problem address"),
                             str(problem.get("message"))))
    return lst


def check_vectors(document: Any) -> list[str]:
    """Mismatches between the vectors of a parsed lists.json and render()/to_json()."""
    vectors, problems = decode.vectors_of(document, "vmpl-list-vectors")
    for index, vector in enumerate(vectors):
        where = "vector %d" % index
        if isinstance(vector, dict) and isinstance(vector.get("comment"), str):
            where += " (%s)" % vector["comment"].split(":")[0]
        try:
            lst = from_json(_object(vector, where).get("list"))
        except ValueError as error:
            problems.append("%s: %s" % (where, error))
            continue
        lines = render(lst)
        if vector.get("text") != lines:
            diff = difflib.unified_diff(vector.get("text") or [], lines, "expected", "render",
                                        lineterm="")
            problems.append("%s: text differs:\n%s" % (where, "\n".join(diff)))
        if "json" not in vector:
            problems.append("%s: no \"json\"" % where)
        elif vector["json"] != to_json(lst):
            expected = json.dumps(vector["json"], indent=1, sort_keys=True).splitlines()
            got = json.dumps(to_json(lst), indent=1, sort_keys=True).splitlines()
            diff = difflib.unified_diff(expected, got, "expected", "to_json", lineterm="")
            problems.append("%s: JSON differs:\n%s" % (where, "\n".join(diff)))
    return problems


def main(argv: list[str]) -> int:
    return decode.check_main(argv, check_vectors, "lists")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
