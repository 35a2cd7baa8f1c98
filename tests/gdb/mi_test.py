#!/usr/bin/env python3
"""The printers through gdb's machine interface, as a front end (VS Code, CLion) uses them.

Runs `gdb --interpreter=mi2` on gdb_test_program stopped at vmpl_gdb_stop(), turns on the
pretty-printers the way front ends do (-enable-pretty-printing), and checks that varobjs of the
page-list types have children with unique names and real values:
  - a VmPageList: one child per entry, named by VMO offset, each a VmPageOrMarker value that
    the slot printer shows in the text view's words; an entry can be created and evaluated;
  - a VmPageSpliceList, a VmPageListNode (children named by slot index) and the WAVL tree
    (node pointers named by key, which expand into the node's fields);
  - the 10,000-node list: `-var-create` and `-var-list-children VAR 0 5` read a few nodes, not
    the tree (counted through gdb/vmpl/walk.py's read_counts);
  - with damage `order` (two nodes with one key), entries at the same offset keep unique names.

Exit status: 0 pass, 1 fail, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from typing import Any, Optional

PAGE = re.compile(r"^page 0x[0-9a-f]+ paddr 0x[0-9a-f]+\((L|\.)(R|\.)\)$")


class Failure(Exception):
    pass


# ---- A reader of MI output records (GDB manual, "GDB/MI Output Syntax") ------------------------

def _parse_string(text: str, at: int) -> tuple[str, int]:
    assert text[at] == '"'
    out, at = [], at + 1
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    while text[at] != '"':
        if text[at] == "\\":
            out.append(escapes.get(text[at + 1], text[at + 1]))
            at += 2
        else:
            out.append(text[at])
            at += 1
    return "".join(out), at + 1


def _parse_value(text: str, at: int) -> tuple[Any, int]:
    if text[at] == '"':
        return _parse_string(text, at)
    closing = "}" if text[at] == "{" else "]"
    is_tuple = text[at] == "{"
    at += 1
    items: list = []
    while text[at] != closing:
        name = None
        if text[at] not in '"{[':
            end = text.index("=", at)
            name, at = text[at:end], end + 1
        value, at = _parse_value(text, at)
        items.append((name, value))
        if text[at] == ",":
            at += 1
    at += 1
    if is_tuple:
        return dict(items), at
    # A list of values, or of results (name=value): "children=[child={...},child={...}]".
    return [value for _name, value in items], at


def parse_results(text: str) -> dict[str, Any]:
    """The results after "^done," as a dict (values: str, dict or list)."""
    results, at = {}, 0
    while at < len(text):
        end = text.index("=", at)
        name = text[at:end]
        results[name], at = _parse_value(text, end + 1)
        if at < len(text) and text[at] == ",":
            at += 1
    return results


class Gdb:
    """One gdb in MI mode; command() sends a command and returns its result record."""

    def __init__(self, gdb: str, program: str) -> None:
        self.process = subprocess.Popen(
            [gdb, "--interpreter=mi2", "-nx", "-iex", "set auto-load safe-path /", program],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1)
        self.token = 0
        self.log: list[str] = []

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise Failure("gdb exited; its last output:\n" + "".join(self.log[-30:]))
        self.log.append(line)
        if "Traceback" in line or "Python Exception" in line:
            raise Failure("a Python exception in gdb: %s" % line.strip())
        return line.rstrip("\n")

    def command(self, command: str, wait_for: Optional[str] = None) -> tuple[str, dict]:
        """("done"|"error"|..., results) of |command|; with |wait_for|, also reads on until an
        async record starting with it (such as "*stopped")."""
        self.token += 1
        assert self.process.stdin is not None
        self.process.stdin.write("%d%s\n" % (self.token, command))
        self.process.stdin.flush()
        prefix = "%d^" % self.token
        while True:
            line = self._line()
            if line.startswith(prefix):
                klass, _, rest = line[len(prefix):].partition(",")
                break
        if wait_for is not None:
            while not self._line().startswith(wait_for):
                pass
        return klass, parse_results(rest) if rest else {}

    def done(self, command: str) -> dict:
        klass, results = self.command(command)
        if klass != "done":
            raise Failure("%s: %s %s" % (command, klass, results.get("msg", results)))
        return results

    def console(self, command: str) -> str:
        """The console output of a CLI command run through -interpreter-exec."""
        start = len(self.log)
        self.done('-interpreter-exec console "%s"' % command.replace('"', '\\"'))
        lines = [line for line in self.log[start:] if line.startswith("~")]
        return "".join(_parse_string(line[1:].strip(), 0)[0] for line in lines)

    def close(self) -> None:
        try:
            self.command("-gdb-exit")
        except Failure:
            pass
        self.process.wait(timeout=30)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def children(gdb: Gdb, var: str, extra: str = "") -> list[dict]:
    results = gdb.done("-var-list-children --all-values %s%s" % (var, extra))
    found = results.get("children", [])
    names = [child["name"] for child in found]
    expect(len(set(names)) == len(names), "%s: duplicate child names %s" % (var, names))
    return found


def start(gdb_path: str, program: str, repo: str, damage: str) -> Gdb:
    gdb = Gdb(gdb_path, program)
    for command in ("-gdb-set confirm off", "-gdb-set pagination off",
                    "-enable-pretty-printing", "-break-insert vmpl_gdb_stop",
                    "-exec-arguments " + damage):
        gdb.done(command)
    gdb.console("source " + os.path.join(repo, "gdb", "vmpl-gdb.py"))
    klass, _ = gdb.command("-exec-run", wait_for="*stopped")
    expect(klass == "running", "-exec-run: %s" % klass)
    return gdb


def check_lists(gdb: Gdb) -> None:
    var = gdb.done("-var-create - * reference_list")
    expect(var.get("dynamic") == "1" and var["type"] == "VmPageList",
           "reference_list varobj: %s" % var)
    entries = children(gdb, var["name"])
    names = [child["exp"] for child in entries]
    expect(names == ["[0x0]", "[0x1000]", "[0x2000]", "[0x3000]", "[0x4000]", "[0x5000]",
                     "[0x6000]", "[0x7000]", "[0x14000]", "[0x15000]"],
           "reference_list children: %s" % names)
    for child in entries:
        expect(child["type"] == "VmPageOrMarker", "child %s has type %s" % (
            child["exp"], child["type"]))
    values = {child["exp"]: child["value"] for child in entries}
    expect(values["[0x0]"] == "reference 0x20(..)", "[0x0] = %s" % values["[0x0]"])
    expect(values["[0x14000]"] == "zero page marker", "[0x14000] = %s" % values["[0x14000]"])
    expect(PAGE.match(values["[0x4000]"]) and values["[0x4000]"].endswith("(L.)"),
           "[0x4000] = %s" % values["[0x4000]"])
    # Expanding an entry: a varobj of its own, evaluated again, a leaf whose text is all of it.
    entry = var["name"] + ".[0x4000]"
    expect(gdb.done("-var-evaluate-expression " + entry)["value"] == values["[0x4000]"],
           "evaluating %s" % entry)
    expect(gdb.done("-var-info-num-children " + entry)["numchild"] == "0",
           "%s should be a leaf" % entry)

    splice = gdb.done("-var-create - * splice_list")
    entries = children(gdb, splice["name"])
    expect(len(entries) == 33 and entries[0]["exp"] == "[0xf000]" and
           entries[-1]["exp"] == "[0x33000]", "splice_list children: %s" % (
               [child["exp"] for child in entries]))

    node = gdb.done("-var-create - * *reference_list.list_.left_most_")
    slots = children(gdb, node["name"])
    expect([child["exp"] for child in slots] == ["[%d]" % i for i in range(8)],
           "node children: %s" % [child["exp"] for child in slots])
    expect(slots[7]["value"] == "zero page marker" and slots[7]["type"] == "VmPageOrMarker",
           "node slot 7: %s" % slots[7])

    tree = gdb.done("-var-create - * reference_list.list_")
    nodes = children(gdb, tree["name"])
    expect([child["exp"] for child in nodes] == ["[0x0]", "[0x10000]"] and
           all(child["type"] == "VmPageListNode *" for child in nodes),
           "tree children: %s" % nodes)
    fields = children(gdb, nodes[0]["name"])
    expect(len(fields) > 0, "the tree's node pointer [0x0] does not expand")


def check_big_list(gdb: Gdb) -> None:
    gdb.console("python from vmpl import walk")
    gdb.console("python walk.read_counts.nodes = 0")
    var = gdb.done("-var-create - * big_list")
    found = children(gdb, var["name"], " 0 5")
    expect([child["exp"] for child in found] ==
           ["[0x0]", "[0x1000]", "[0x2000]", "[0x3000]", "[0x4000]"],
           "big_list children 0..5: %s" % [child["exp"] for child in found])
    read = int(gdb.console("python print(walk.read_counts.nodes)").strip())
    print("big_list: -var-create and 5 children read %d of 10000 nodes" % read)
    expect(read <= 40, "big_list: %d nodes read for 5 children" % read)


def check_damaged_order(gdb: Gdb) -> None:
    var = gdb.done("-var-create - * victim_list")
    entries = children(gdb, var["name"])
    names = [child["exp"] for child in entries]
    expect(names.count("[0x30000]") == 1 and "[0x30000] #8" in names and
           names[-1] == "[error]", "victim_list children with damage order: %s" % names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gdb", default="gdb")
    parser.add_argument("--repo", required=True, help="the checkout (holds gdb/vmpl-gdb.py)")
    parser.add_argument("--program", required=True, help="the built gdb_test_program")
    args = parser.parse_args()
    for damage, checks in (("none", (check_lists, check_big_list)),
                           ("order", (check_damaged_order,))):
        gdb = start(args.gdb, args.program, args.repo, damage)
        try:
            for check in checks:
                check(gdb)
                print("ok: %s" % check.__name__)
        except Failure as failure:
            print("FAIL (damage %s): %s" % (damage, failure))
            return 1
        finally:
            gdb.close()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
