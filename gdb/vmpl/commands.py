"""The `vmpl` gdb commands: list, dump, find, stats, check, and the max-nodes parameter.

    vmpl list                      the registry (docs/registry-format.md): every registered list
    vmpl dump [--json] EXPR [START END]
                                   the list in the text view of docs/snapshot-format.md (or its
                                   JSON object), optionally only offsets in [START, END)
    vmpl find EXPR OFFSET          the entry at a VMO offset, and the node and slot holding it
    vmpl stats EXPR                nodes, pages, references, markers, intervals and interval
                                   sentinels, bytes
    vmpl check EXPR                the invariants, every problem with its address
    set/show vmpl max-nodes N      bound of every walk (default 100000, 0 = unlimited)

EXPR is any gdb expression giving a VmPageList, a VmPageSpliceList or a pointer to one; or
`#ID`, a registry id; or a plain address (kind from the registry), for programs without the
types' debug info. Output
is bounded by max-nodes; problems never raise a Python traceback, they are printed.
"""

from __future__ import annotations

import json

import gdb  # type: ignore

from . import decode
from . import model
from . import printers
from . import registry
from . import text
from . import walk

__all__ = ["register"]


def _parse_int(text: str) -> int:
    try:
        return int(gdb.parse_and_eval(text)) & decode.MASK64
    except gdb.error as error:
        raise gdb.GdbError("vmpl: %s is not a number: %s" % (text, error))


def _view(expression: str, stop_on_problem: bool = False):
    """The PageListView or SpliceListView that EXPR names, loaded (every node walked).

    EXPR is a VmPageList or VmPageSpliceList, a pointer to one, `#ID` (a registry id, see
    `vmpl list`) or a plain address (an integer: its kind comes from the registry, VmPageList
    if it is not registered), so the commands also work without the types' debug info.
    """
    if expression.startswith("#"):
        try:
            ident = int(expression[1:], 0)
        except ValueError:
            raise gdb.GdbError("vmpl: %s is not a registry id like #3" % expression)
        entry = registry.kind_of(ident=ident)
        if entry is None or entry.kind not in registry.KINDS:
            raise gdb.GdbError("vmpl: no list with id %d in the registry" % ident)
        return model.view_for(entry.address, registry.KINDS[entry.kind], stop_on_problem).load()
    try:
        value = gdb.parse_and_eval(expression)
    except gdb.error as error:
        raise gdb.GdbError("vmpl: %s" % error)
    type_ = value.type.strip_typedefs()
    if type_.code == gdb.TYPE_CODE_INT:
        address = int(value) & decode.MASK64
        entry = registry.kind_of(address=address)
        name = registry.KINDS.get(entry.kind, "VmPageList") if entry else "VmPageList"
        return model.view_for(address, name, stop_on_problem).load()
    if type_.code in (gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_REF):
        target = type_.target().strip_typedefs()
    else:
        target = type_
    name = target.tag or target.name or ""
    if name not in ("VmPageList", "VmPageSpliceList"):
        raise gdb.GdbError("vmpl: %s is a %s, not a VmPageList or VmPageSpliceList (or a "
                           "pointer to one, a #registry-id or an address)" % (
                               expression, value.type))
    try:
        address = walk.list_address(value)
    except gdb.error as error:
        raise gdb.GdbError("vmpl: %s has no address: %s" % (expression, error))
    return model.view_for(address, name, stop_on_problem).load()


class VmplCommand(gdb.Command):
    """Page-list debugging: vmpl list|dump|find|stats|check (see `help vmpl <command>`)."""

    def __init__(self) -> None:
        super().__init__("vmpl", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class ListCommand(gdb.Command):
    """List the registered page lists and splice lists (the vmpl_registry symbol).

Usage: vmpl list
Columns: id, name, kind, address, nodes, pages. A registry a writer was changing when the
process stopped is reported as torn (docs/registry-format.md 5.2)."""

    def __init__(self) -> None:
        super().__init__("vmpl list", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def invoke(self, argument: str, from_tty: bool) -> None:
        try:
            found = registry.read_registry()
        except registry.RegistryError as error:
            raise gdb.GdbError("vmpl list: %s" % error)
        for note in found.notes:
            gdb.write(note + "\n")
        gdb.write("%6s  %-32s %-16s %-18s %7s %7s\n" % ("id", "name", "kind", "address", "nodes",
                                                       "pages"))
        for entry in found.entries:
            if entry.kind not in registry.KINDS:
                gdb.write("%6d  %-32s %-16s %#-18x <error: unknown kind %d>\n" % (
                    entry.ident, entry.name, "?", entry.address, entry.kind))
                continue
            view = model.view_for(entry.address, registry.KINDS[entry.kind]).load()
            line = "%6d  %-32s %-16s %#-18x %7d %7d" % (
                entry.ident, entry.name, registry.KINDS[entry.kind], entry.address,
                view.node_count(), view.counts().pages)
            if view.problems:
                line += " " + model.first_error(view.problems)
            gdb.write(line + "\n")


class DumpCommand(gdb.Command):
    """Print a page list or splice list in the one text view (docs/snapshot-format.md).

Usage: vmpl dump [--json] EXPR [START END]
EXPR gives a VmPageList, a VmPageSpliceList or a pointer to one. The list line (registry id and
name, skew, counts), then each node (address, key, VMO offsets) and its non-empty slots in the
kernel's dump wording, with the paddr and split bits of each page whose vm_page_t is readable,
then the problems found. With START and END only the nodes and slots at VMO offsets in
[START, END) are shown. --json prints the list's JSON object instead."""

    def __init__(self) -> None:
        super().__init__("vmpl dump", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, argument: str, from_tty: bool) -> None:
        args = gdb.string_to_argv(argument)
        as_json = bool(args) and args[0] == "--json"
        if as_json:
            args = args[1:]
        if len(args) not in (1, 3) or (as_json and len(args) != 1):
            raise gdb.GdbError("usage: vmpl dump [--json] EXPR [START END] (--json shows the "
                               "whole list)")
        start, end = 0, 1 << 64
        if len(args) == 3:
            start, end = _parse_int(args[1]), _parse_int(args[2])
            if start >= end:
                raise gdb.GdbError("vmpl dump: START %#x is not below END %#x" % (start, end))
        view = _view(args[0])
        snapshot = view.snapshot(registry.kind_of(address=view.address))
        if as_json:
            gdb.write(json.dumps(text.to_json(snapshot), indent=2) + "\n")
            return
        for line in text.render(snapshot, start, end):
            gdb.write(line + "\n")


def _slot_address(node: walk.Node, index: int) -> int:
    lay = walk.layout()
    return node.address + lay.node_slots + index * lay.slot_size


def _where(node: walk.Node, index: int) -> str:
    """"node 0x... key 0x... [i]" for a tree node, "head node 0x... [i]" for a splice list's
    inline head or tail (whose key means nothing)."""
    if node.part in ("head", "tail"):
        return "%s node %#x [%d]" % (node.part, node.address, index)
    return "node %#x key %#x [%d]" % (node.address, node.key, index)


class FindCommand(gdb.Command):
    """Find the entry at a VMO offset of a page list or splice list.

Usage: vmpl find EXPR OFFSET
Prints the entry, and the node and slot index that hold it (or that no node covers it)."""

    def __init__(self) -> None:
        super().__init__("vmpl find", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, argument: str, from_tty: bool) -> None:
        args = gdb.string_to_argv(argument)
        if len(args) != 2:
            raise gdb.GdbError("usage: vmpl find EXPR OFFSET")
        offset = _parse_int(args[1])
        view = _view(args[0])
        if offset % walk.PAGE_SIZE:
            gdb.write("offset %#x is not page aligned; looking at %#x\n" % (
                offset, offset & ~(walk.PAGE_SIZE - 1)))
            offset &= ~(walk.PAGE_SIZE - 1)
        found = None  # (node, index) of the slot that holds |offset|
        if isinstance(view, model.PageListView):
            key = (offset + view.skew) & ~(walk.SPAN - 1) & decode.MASK64
            node = next((n for n in view.nodes if n.key == key), None)
            if node is not None:
                found = (node, ((offset + view.skew) // walk.PAGE_SIZE) % walk.FANOUT)
        else:
            found = next(((node, index) for entry_offset, node, index, _raw in view.entries()
                          if entry_offset == offset), None)
        raw = found[0].slots[found[1]] if found is not None else 0
        if raw:
            gdb.write("offset %#x: %s (slot at %#x): %s\n" % (
                offset, _where(*found), _slot_address(*found), model.describe_slot(raw)))
        else:
            # An empty slot, or no node: inside a zero interval the page reads as zeros.
            interval = model.interval_around(view, offset)
            if interval is not None:
                gdb.write("offset %#x: inside the zero interval [%#x, %#x) (%s)\n" % (
                    offset, interval[0], interval[1], decode.describe(interval[2])))
            elif view.problems:
                gdb.write("offset %#x: not among the %d nodes that could be read\n" % (
                    offset, view.node_count()))
            elif found is not None:
                gdb.write("offset %#x: %s (slot at %#x): %s\n" % (
                    offset, _where(*found), _slot_address(*found), decode.describe(0)))
            else:
                gdb.write("offset %#x: no node covers it: %s\n" % (offset, decode.describe(0)))
        if view.problems:
            gdb.write(model.first_error(view.problems) + "\n")


class StatsCommand(gdb.Command):
    """Count what a page list or splice list holds.

Usage: vmpl stats EXPR
Nodes, pages, references, markers, intervals, interval sentinels (by sentinel), node bytes, in
the words of docs/snapshot-format.md: an interval of one page is one slot sentinel, a longer one
a start and an end sentinel."""

    def __init__(self) -> None:
        super().__init__("vmpl stats", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, argument: str, from_tty: bool) -> None:
        args = gdb.string_to_argv(argument)
        if len(args) != 1:
            raise gdb.GdbError("usage: vmpl stats EXPR")
        view = _view(args[0])
        counts = view.counts()
        sentinels = ", ".join("%d %s" % (n, which) for which, n in counts.by_sentinel.items()
                              if n or which != "invalid")
        gdb.write("%s at %#x\n" % (view.kind, view.address))
        for label, value in (("nodes", counts.nodes), ("pages", counts.pages),
                             ("references", counts.references), ("markers", counts.markers),
                             ("intervals", counts.intervals),
                             ("interval sentinels", "%d (%s)" % (counts.interval_sentinels,
                                                                 sentinels)),
                             ("heap bytes", view.heap_bytes())):
            gdb.write("  %-19s %s\n" % (label, value))
        if view.problems:
            gdb.write(model.first_error(view.problems) + "\n")


class CheckCommand(gdb.Command):
    """Check the invariants of a page list or splice list.

Usage: vmpl check EXPR
Key alignment, range and order, node canaries, parent links, the tree's count and extremes,
empty nodes, slot values, readable vm_page_t's, and interval pairing (every start closed by an
end, within and across nodes, with nothing but empty slots in between); for a splice list also
its range, entries inside it, no interval sentinels, and nothing left before the position once
finalized. Prints "no problems" or every problem with the address it is about."""

    def __init__(self) -> None:
        super().__init__("vmpl check", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, argument: str, from_tty: bool) -> None:
        args = gdb.string_to_argv(argument)
        if len(args) != 1:
            raise gdb.GdbError("usage: vmpl check EXPR")
        view = _view(args[0], stop_on_problem=False)
        problems = view.problems
        if isinstance(view, model.PageListView):
            for node in view.nodes:
                if not any(node.slots):
                    problems.append((node.address, "node %#x: key %#x: every slot is empty" % (
                        node.address, node.key)))
        splice = view.splice
        pages = walk.PageReader()
        open_start = None  # (offset, slot address) of an interval start not yet closed
        for offset, node, index, raw in view.entries():
            where = _slot_address(node, index)
            what = decode.kind(raw)
            for anomaly in decode.anomalies(raw):
                problems.append((where, "offset %#x: %s (%s)" % (offset, anomaly,
                                                                 decode.describe(raw))))
            if what == "page" and pages.read(raw) is None:
                problems.append((where, "offset %#x: page %#x: its vm_page_t is unreadable" % (
                    offset, raw)))
            if splice is not None:
                if not splice.offset <= offset < splice.offset + splice.length:
                    problems.append((where, "offset %#x: %s outside the splice list's range "
                                     "[%#x, %#x)" % (offset, decode.describe(raw),
                                                     splice.offset,
                                                     splice.offset + splice.length)))
                if what == "interval":
                    problems.append((where, "offset %#x: an interval sentinel in a splice list "
                                     "(Append refuses them)" % offset))
                    continue
                if splice.finalized and offset < splice.offset + splice.position:
                    problems.append((where, "offset %#x: still holds %s, but Pop has passed it "
                                     "(position %#x)" % (offset, decode.describe(raw),
                                                         splice.position)))
            sentinel = decode.sentinel(raw) if what == "interval" else None
            if open_start is not None and sentinel != "end":
                problems.append((where, "offset %#x: %s inside the interval that starts at "
                                 "%#x" % (offset, decode.describe(raw), open_start[0])))
                if sentinel is None:
                    continue
            if sentinel == "start":
                open_start = (offset, where)
            elif sentinel == "end":
                if open_start is None:
                    problems.append((where, "offset %#x: interval end without a start" %
                                     offset))
                open_start = None
        if open_start is not None:
            problems.append((open_start[1], "offset %#x: interval start without an end" %
                             open_start[0]))
        gdb.write("%s at %#x: " % (view.kind, view.address))
        if not problems:
            gdb.write("no problems\n")
            return
        gdb.write("%d problem%s\n" % (len(problems), "" if len(problems) == 1 else "s"))
        for address, message in problems:
            gdb.write("  %#x: %s\n" % (address, message))


class MaxNodesParameter(gdb.Parameter):
    """Bound on the nodes any vmpl printer or command walks in one tree (0: unlimited)."""

    set_doc = "Set the most nodes a vmpl walk visits in one tree."
    show_doc = "Show the most nodes a vmpl walk visits in one tree."

    def __init__(self) -> None:
        super().__init__("vmpl max-nodes", gdb.COMMAND_DATA, gdb.PARAM_UINTEGER)
        self.value = walk.DEFAULT_MAX_NODES

    def get_show_string(self, value: str) -> str:
        return "vmpl walks visit at most %s nodes per tree." % value


class SetVmplPrefix(gdb.Command):
    """Settings of the vmpl page-list printers and commands."""

    def __init__(self) -> None:
        super().__init__("set vmpl", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class ShowVmplPrefix(gdb.Command):
    """Settings of the vmpl page-list printers and commands."""

    def __init__(self) -> None:
        super().__init__("show vmpl", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


_registered = False


def register() -> None:
    """Creates the commands and the parameter, once per gdb session."""
    global _registered
    if _registered:
        return
    _registered = True
    VmplCommand()
    ListCommand()
    DumpCommand()
    FindCommand()
    StatsCommand()
    CheckCommand()
    SetVmplPrefix()
    ShowVmplPrefix()
    MaxNodesParameter()
    # Types and offsets are looked up lazily and cached; new symbols may change them.
    gdb.events.new_objfile.connect(walk.forget_layout)
    gdb.events.new_objfile.connect(printers.forget_types)
