#!/usr/bin/env python3
"""One model, one view: every tool prints the same lines for the same list.

A simulator runs with a trace file and stops itself (SIGSTOP) at a step, after writing its own
capture of every list (--self-snapshot, with the number of trace events so far). Then:

  - `vmpl inspect --core` on a gcore of it, `--list NAME` (text) and `--json`;
  - gdb on the same core with the vmpl package: `vmpl dump` and `vmpl dump --json`;
  - `vmpl trace replay FILE --at N --list NAME` (text and JSON) at the event the core was taken;

and for a handful of lists (the busiest, a skewed one, one with intervals, a splice list when
there is one) the test asserts:

  - inspect's and gdb's lines are identical, and their JSON objects are equal (paddr and split
    bits included, read from the vm_page_t's in the core);
  - the replay's lines are the same once the page part the trace cannot know (` paddr
    0x...(LR)`) is taken off the core's lines: same list and node addresses, same offsets, same
    contents, same counts; and its JSON equals the core's without paddr and split bits;
  - the self-snapshot (the simulator's own capture) equals inspect's JSON list for list;
  - `vmpl tui --core --list NAME --offset X --print` shows, in its detail pane, the very line
    inspect prints for the slot at X ("as dumped: [ i] offset X ..."), for a few slots.

Usage: one_view_test.py --vmpl PATH [--gdb gdb] --repo DIR
Exit 0 when every check passes, 1 on a mismatch (with a diff), 77 when gcore is missing.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PADDR = re.compile(r" paddr 0x[0-9a-f]+\([L.][R.]\)")


class Mismatch(Exception):
    pass


def run(args: list[str], timeout: int = 300) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise Mismatch("%s exited %d:\n%s%s" % (" ".join(args), result.returncode,
                                                result.stdout[-2000:], result.stderr[-2000:]))
    return result.stdout


def wait_stopped(pid: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open("/proc/%d/status" % pid) as status:
            if "State:\tT" in status.read():
                return
        time.sleep(0.02)
    raise Mismatch("the simulator never stopped at its pause")


def list_block(text: str) -> list[str]:
    """The lines of the one list in |text|: from its list line to the end."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("list "):
            return lines[i:]
    raise Mismatch("no list line in:\n" + text[-2000:])


def replay_block(text: str, name: str) -> list[str]:
    """The list |name| as `vmpl trace replay --list` prints it after its table."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("list ") and " '%s' at " % name in line:
            return lines[i:]
    raise Mismatch("trace replay printed no list '%s':\n%s" % (name, text[-2000:]))


def same(what: str, expected: list[str], got: list[str]) -> None:
    if expected != got:
        diff = "\n".join(difflib.unified_diff(expected, got, "expected", what, lineterm="", n=2))
        raise Mismatch("%s differs:\n%s" % (what, diff[:6000]))


def without_pages(list_json: dict) -> dict:
    """A LIST object as a reader that could not read any vm_page_t gives it."""
    out = json.loads(json.dumps(list_json))
    for node in out["nodes"]:
        for slot in node["slots"]:
            if slot["kind"] == "page":
                for field in ("paddr", "left_split", "right_split"):
                    slot.pop(field, None)
                slot["text"] = PADDR.sub("", slot["text"])
    return out


def pick_lists(lists: list[dict]) -> list[dict]:
    """The busiest list, a skewed one, one with intervals, a splice list: those that exist."""
    def populated(entry: dict) -> int:
        counts = entry["counts"]
        return counts["pages"] + counts["references"] + counts["markers"] + \
            counts["interval_sentinels"]
    chosen: list[dict] = []
    for want in (lambda e: True, lambda e: e["skew"] != "0x0",
                 lambda e: e["counts"]["intervals"] > 0, lambda e: e["kind"] == "splice-list"):
        candidates = [e for e in lists if want(e) and populated(e) > 0 and e not in chosen]
        if candidates:
            chosen.append(max(candidates, key=populated))
    return chosen


def tui_lines(options, core: str, entry: dict) -> list[str]:
    """The TUI's "as dumped" detail line for the first, a middle and the last populated slot of
    the tree nodes of |entry| (a LIST object), each opened with --offset."""
    slots = [slot for node in entry["nodes"] if node.get("part", "middle") == "middle"
             for slot in node["slots"]]
    if not slots:
        return []
    lines = []
    for slot in {id(s): s for s in (slots[0], slots[len(slots) // 2], slots[-1])}.values():
        frame = run([options.vmpl, "tui", "--core", core, "--list", entry["name"], "--offset",
                     slot["offset"], "--print", "--size", "240x60"])
        found = re.search(r"as dumped: (\[[ 0-9]{2}\] offset \S+ .*?)\s*(\||$)", frame, re.M)
        if found is None:
            raise Mismatch("vmpl tui --offset %s shows no 'as dumped' line:\n%s" % (
                slot["offset"], frame[-3000:]))
        lines.append(found.group(1).rstrip())
        if " offset %s " % slot["offset"] not in lines[-1]:
            raise Mismatch("vmpl tui --offset %s opened another slot: %s" % (slot["offset"],
                                                                            lines[-1]))
    return lines


def check(options) -> int:
    work = tempfile.mkdtemp(prefix="vmpl-one-view-")
    trace = os.path.join(work, "sim.vmpltrace")
    self_snapshot = os.path.join(work, "self.json")
    sim = subprocess.Popen([options.vmpl, "sim", "--seed", "21", "--ops", "6000", "--pause-at",
                            "4000", "--trace", trace, "--self-snapshot", self_snapshot,
                            "--quiet"], stdout=subprocess.DEVNULL)
    try:
        wait_stopped(sim.pid)
        own = json.load(open(self_snapshot))
        events = own["trace_events"]
        if events == 0:
            raise Mismatch("the self-snapshot says the trace holds no event")
        core_prefix = os.path.join(work, "core")
        run(["gcore", "-o", core_prefix, str(sim.pid)])
        core = "%s.%d" % (core_prefix, sim.pid)
        os.kill(sim.pid, signal.SIGCONT)
        if sim.wait(timeout=300) != 0:
            raise Mismatch("the simulator exited %d" % sim.returncode)

        inspected = json.loads(run([options.vmpl, "inspect", "--core", core, "--json"]))
        if inspected["problem_count"] != 0:
            raise Mismatch("the core has problems: %s" % inspected["problems"])
        by_id = {entry["registry_id"]: entry for entry in inspected["lists"]}
        for entry in own["lists"]:
            if by_id.get(entry["registry_id"]) != entry:
                raise Mismatch("list %s: the simulator's own capture and vmpl inspect --core "
                               "differ:\n%s\n%s" % (entry["name"], json.dumps(entry)[:1500],
                                                    json.dumps(by_id.get(entry["registry_id"]))[:1500]))
        print("ok: the simulator's own capture equals vmpl inspect --core, %d lists"
              % len(own["lists"]))

        chosen = pick_lists(inspected["lists"])
        for entry in chosen:
            name = entry["name"]
            kind = "VmPageSpliceList" if entry["kind"] == "splice-list" else "VmPageList"
            expr = "*(%s*)%s" % (kind, entry["address"])
            core_lines = list_block(run([options.vmpl, "inspect", "--core", core, "--list",
                                         name]))
            gdb_out = run([options.gdb, "-batch", "-nx", "-iex",
                           "add-auto-load-safe-path " + options.repo, options.vmpl, core,
                           "-ex", "vmpl dump " + expr, "-ex", "echo @@json@@\\n",
                           "-ex", "vmpl dump --json " + expr])
            gdb_text, gdb_json = gdb_out.split("@@json@@\n")
            same("gdb 'vmpl dump' of %s" % name, core_lines, list_block(gdb_text))
            if json.loads(gdb_json) != entry:
                raise Mismatch("gdb 'vmpl dump --json' of %s differs from vmpl inspect --json"
                               % name)
            replay_text = run([options.vmpl, "trace", "replay", trace, "--at",
                               str(events - 1), "--list", name])
            same("vmpl trace replay --at %d --list %s (page parts aside)" % (events - 1, name),
                 [PADDR.sub("", line) for line in core_lines], replay_block(replay_text, name))
            replayed = json.loads(run([options.vmpl, "trace", "replay", trace, "--at",
                                       str(events - 1), "--list", name, "--json"]))
            replayed_list = [e for e in replayed["lists"] if e["name"] == name][0]
            if replayed_list != without_pages(entry):
                raise Mismatch("trace replay --json of %s differs from the core's" % name)
            shown = tui_lines(options, core, entry)
            for line in shown:
                if line not in [text.strip() for text in core_lines]:
                    raise Mismatch("vmpl tui's detail of %s shows %r, a line vmpl inspect does "
                                   "not print" % (name, line))
            print("ok: %s (%s, skew %s, %d nodes): inspect --core, gdb vmpl dump and trace "
                  "replay --at %d give the same %d lines; the TUI's detail the same line for "
                  "%d slots" % (name, entry["kind"], entry["skew"], entry["counts"]["nodes"],
                                events - 1, len(core_lines), len(shown)))
        if len(chosen) < 3:
            raise Mismatch("only %d kinds of list to compare: the workload changed" % len(chosen))
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vmpl", required=True)
    parser.add_argument("--gdb", default="gdb")
    parser.add_argument("--repo", required=True)
    options = parser.parse_args()
    if shutil.which("gcore") is None:
        print("SKIP: gcore (from gdb) is not installed")
        return 77
    try:
        return check(options)
    except (Mismatch, subprocess.TimeoutExpired) as failure:
        print("FAILED: %s" % failure)
        return 1


if __name__ == "__main__":
    sys.exit(main())
