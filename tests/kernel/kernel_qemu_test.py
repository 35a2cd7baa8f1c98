#!/usr/bin/env python3
"""The QEMU kernel, end to end: boot vmpl-kernel.elf, read its page lists with every tool, and
hold what they read against what the kernel says about itself.

1. Boots the kernel under QEMU (software emulation) with its gdb stub on a free local port, the
   serial console in a file, and `pause=N`: after N workload steps the kernel prints its
   self-report (kernel/self_report.h: per list, node count, slot counts, a checksum of the
   slots) and waits for a debugger to set vmpl_kernel_resume.
2. `vmpl inspect --remote --json` through the stub: every list, with the same counts and the
   same checksum (recomputed from the JSON's raw slots). `vmpl check --remote` exits 0.
3. gdb with vmpl's printers, `target remote`: `vmpl list`, `print` of a list through the pretty
   printer, and the same summary computed by the gdb package (gdb_summary.py).
4. `monitor dump-guest-memory -p` through the stub: `vmpl inspect --core` of the dump gives the
   same snapshot, list for list and slot for slot, as the live stub.
5. `vmpl trace record --remote`: the in-kernel trace ring read out through the stub into a trace
   file; `vmpl trace replay --check` of it must end in the lists the kernel reported, and the
   ring read from the dump (`--core`) must replay to the same state.
6. Resumes the kernel with gdb (`set var vmpl_kernel_resume = 1`) and checks the second pause
   point the same way through the stub (and its trace), so the work went on between the two.
7. Boots it once more with `assert`: a DEBUG_ASSERT of the core fails on purpose, and the kernel
   must panic on the serial console, naming the assertion, and end QEMU with status 7.

Usage: kernel_qemu_test.py --kernel ELF --vmpl VMPL --gdb GDB --repo REPO --work DIR
"""

import argparse
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

FNV_OFFSET_BASIS = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
SLOTS_PER_NODE = 16  # VmPageListNode::kPageFanOut
REPORT_LINE = re.compile(
    r"vmpl-kernel: list id=(\d+) kind=(\S+) address=(0x[0-9a-f]+) nodes=(\d+) pages=(\d+) "
    r"references=(\d+) markers=(\d+) intervals=(\d+) interval_sentinels=(\d+) "
    r"checksum=([0-9a-f]{16}) name=(.*)$")
# The one counting vocabulary (docs/snapshot-format.md, "Words"): every tool must give the
# kernel's own figures.
FIELDS = ("nodes", "pages", "references", "markers", "intervals", "interval_sentinels",
          "checksum")


class Failure(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, timeout=300, check=True):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise Failure("%s exited %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(args), result.returncode, result.stdout[-4000:], result.stderr[-4000:]))
    return result


class Kernel:
    """qemu-system-x86_64 running the kernel, stub on a free port, serial console in a file."""

    def __init__(self, elf: str, work: str, append: str):
        self.serial = os.path.join(work, "serial.log")
        if os.path.exists(self.serial):
            os.remove(self.serial)  # a console of an earlier run must not be read as this one's
        self.port = free_port()
        args = ["qemu-system-x86_64", "-kernel", elf, "-m", "128M", "-nographic", "-no-reboot",
                "-nodefaults", "-no-user-config", "-serial", "file:" + self.serial,
                "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-gdb", "tcp:127.0.0.1:%d" % self.port, "-append", append]
        self.log = open(os.path.join(work, "qemu.log"), "w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def text(self) -> str:
        try:
            with open(self.serial, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_for(self, needle: str, count: int = 1, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if text.count(needle) >= count:
                return text
            if "PANIC" in text or self.process.poll() is not None:
                raise Failure("the kernel stopped before %r:\n%s" % (needle, text[-4000:]))
            time.sleep(0.2)
        raise Failure("no %r on the serial console after %ds:\n%s" % (needle, timeout,
                                                                     self.text()[-4000:]))

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.log.close()


def self_report(text: str, pause: int) -> dict:
    """The lists of the |pause|-th report (1-based) on the console, by registry id."""
    reports = text.split("vmpl-kernel: report begin")
    if len(reports) <= pause:
        raise Failure("no report %d on the console" % pause)
    body = reports[pause].split("vmpl-kernel: report end")[0]
    lists = {}
    for line in body.splitlines():
        m = REPORT_LINE.search(line.strip())
        if m:
            lists[int(m.group(1))] = {
                "kind": m.group(2), "address": int(m.group(3), 16), "nodes": int(m.group(4)),
                "pages": int(m.group(5)), "references": int(m.group(6)),
                "markers": int(m.group(7)), "intervals": int(m.group(8)),
                "interval_sentinels": int(m.group(9)), "checksum": m.group(10),
                "name": m.group(11)}
    if not lists:
        raise Failure("report %d lists no page list:\n%s" % (pause, body))
    return lists


def summarize_json(snapshot: dict) -> dict:
    """The self-report's figures, from `vmpl inspect --json` (docs/snapshot-format.md): the
    counts as the snapshot states them, and the checksum recomputed from the slots."""
    lists = {}
    for entry in snapshot["lists"]:
        nodes = []  # (key as the kernel hashes it, 16 raw slots), in the kernel's order
        inline = {"head": [0] * SLOTS_PER_NODE, "tail": [0] * SLOTS_PER_NODE}
        for node in entry["nodes"]:
            raw = [0] * SLOTS_PER_NODE
            for slot in node["slots"]:
                raw[slot["slot"]] = int(slot["raw"], 16)
            if node.get("part") in inline:
                inline[node["part"]] = raw  # the inline head and tail keep offset 0
            else:
                nodes.append((int(node["key"], 16), raw))
        node_count = len(nodes)
        if entry["kind"] == "splice-list":
            nodes = [(0, inline["head"])] + nodes + [(0, inline["tail"])]
        value = FNV_OFFSET_BASIS
        for key, raw in nodes:
            for byte in struct.pack("<Q", key) + struct.pack("<%dQ" % SLOTS_PER_NODE, *raw):
                value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
        counts = entry["counts"]
        lists[entry["registry_id"]] = dict(
            kind=entry["kind"],
            address=int(entry["address"], 16), nodes=node_count, pages=counts["pages"],
            references=counts["references"], markers=counts["markers"],
            intervals=counts["intervals"], interval_sentinels=counts["interval_sentinels"],
            checksum="%016x" % value, name=entry["name"], problems=len(entry["problems"]))
    return lists


def compare(what: str, expected: dict, got: dict):
    problems = []
    if set(expected) != set(got):
        problems.append("list ids: kernel %s, %s %s" % (sorted(expected), what, sorted(got)))
    for ident in sorted(set(expected) & set(got)):
        for field in FIELDS + ("kind", "address", "name"):
            if field in got[ident] and expected[ident][field] != got[ident][field]:
                problems.append("list %d (%s) %s: kernel %s, %s %s" % (
                    ident, expected[ident]["name"], field, expected[ident][field], what,
                    got[ident][field]))
        if got[ident].get("problems", 0):
            problems.append("list %d: %s found %d problems" % (ident, what,
                                                               got[ident]["problems"]))
    if problems:
        raise Failure("%s disagrees with the kernel's self-report:\n  %s" % (
            what, "\n  ".join(problems)))
    print("ok: %s matches the self-report on %d lists" % (what, len(expected)))


def record_and_replay(options, source: list, trace: str):
    """`vmpl trace record` of the kernel's ring from |source| into |trace|, then its replay,
    checked at every checkpoint: the lists it ends with (as self_report gives them) and its
    state digest."""
    if os.path.exists(trace):
        os.remove(trace)
    recorded = run([options.vmpl, "trace", "record", *source, "--binary", options.kernel,
                    "-o", trace])
    replay = run([options.vmpl, "trace", "replay", trace, "--check", "--json"], check=False)
    result = json.loads(replay.stdout)
    if replay.returncode != 0 or result["divergences"] or result["problems"]:
        raise Failure("vmpl trace replay --check of the kernel's ring exited %d: %s" % (
            replay.returncode, {k: result[k] for k in ("divergences", "problems", "problem")}))
    lists = {entry["registry_id"]: dict(name=entry["name"], **entry["counts"])
             for entry in result["lists"]}
    print("ok: %s" % recorded.stdout.splitlines()[0])
    print("ok: its replay checked %d checkpoints, no violation" % result["checkpoints"])
    return lists, result["digest"]


def gdb_session(options, port: int, commands: list) -> str:
    args = [options.gdb, "-batch", "-nx", "-ex", "set pagination off",
            "-ex", "add-auto-load-safe-path " + options.repo,
            "-ex", "file " + options.kernel, "-ex", "target remote 127.0.0.1:%d" % port]
    for command in commands:
        args += ["-ex", command]
    args += ["-ex", "detach"]
    return run(args, timeout=600).stdout


def check_pause(options, kernel: Kernel, pause: int, with_everything: bool) -> set:
    """Checks the |pause|-th pause point; returns the kinds of list the kernel reported."""
    text = kernel.wait_for("vmpl-kernel: paused at step", count=pause)
    expected = self_report(text, pause)
    kinds = {entry["kind"] for entry in expected.values()}
    print("pause %d: the kernel reports %d lists, %d pages" % (
        pause, len(expected), sum(l["pages"] for l in expected.values())))
    target = ["--remote", "127.0.0.1:%d" % kernel.port, "--binary", options.kernel]
    live = json.loads(run([options.vmpl, "inspect", *target, "--json"]).stdout)
    if live["problem_count"] != 0:
        raise Failure("vmpl inspect --remote found problems: %s" % live["problems"])
    compare("vmpl inspect --remote", expected, summarize_json(live))
    # The trace ring, read out through the stub; its replay must end in the reported lists.
    trace = os.path.join(options.work, "kernel.vmpltrace")
    replayed = record_and_replay(options, ["--remote", "127.0.0.1:%d" % kernel.port], trace)
    compare("the replay of the ring read through the stub", expected, replayed[0])
    if not with_everything:
        return kinds
    check = run([options.vmpl, "check", *target], check=False)
    if check.returncode != 0:
        raise Failure("vmpl check --remote exited %d:\n%s%s" % (check.returncode, check.stdout,
                                                                 check.stderr))
    print("ok: vmpl check --remote exits 0")

    # gdb with the printers, through the same stub.
    first = min(expected)
    out = gdb_session(options, kernel.port, [
        "vmpl list", "print *(VmPageList*)%#x" % expected[first]["address"],
        "python exec(open(%r).read())" % os.path.join(os.path.dirname(__file__),
                                                       "gdb_summary.py")])
    listed = re.findall(r"^\s*(\d+)\s+(\S+)\s+(VmPageList|VmPageSpliceList)\s+(0x[0-9a-f]+)\s+"
                        r"(\d+)\s+(\d+)", out, re.M)
    gdb_list = {int(i): {"name": n, "address": int(a, 16), "nodes": int(nodes), "pages": int(p)}
                for i, n, _, a, nodes, p in listed}
    compare("gdb 'vmpl list'", expected, gdb_list)
    if "VmPageList" not in out or expected[first]["name"] not in out and "skew" not in out:
        raise Failure("gdb's pretty printer did not print the list:\n%s" % out[-3000:])
    summaries = {}
    for m in re.finditer(r"gdb-summary id=(\d+) (.*)", out):
        fields = dict(kv.split("=") for kv in m.group(2).split())
        summaries[int(m.group(1))] = {k: (v if k == "checksum" else int(v))
                                      for k, v in fields.items()}
    compare("the gdb package (gdb_summary.py)", expected, summaries)

    # A paging dump of the machine, taken through the stub's monitor command.
    core = os.path.join(options.work, "kernel.core")
    if os.path.exists(core):
        os.remove(core)
    gdb_session(options, kernel.port, ["monitor dump-guest-memory -p %s" % core])
    dumped = json.loads(run([options.vmpl, "inspect", "--core", core, "--binary", options.kernel,
                             "--json"]).stdout)
    if dumped["lists"] != live["lists"] or dumped["problem_count"] != 0:
        raise Failure("the dump's snapshot differs from the live stub's (%d lists against %d)" %
                      (len(dumped["lists"]), len(live["lists"])))
    print("ok: vmpl inspect --core of a dump-guest-memory -p dump equals the live stub's "
          "snapshot (%d lists)" % len(dumped["lists"]))
    from_dump = record_and_replay(options, ["--core", core], trace + ".core")
    if from_dump[1] != replayed[1]:
        raise Failure("the ring read from the dump replays to digest %s, through the stub to %s"
                      % (from_dump[1], replayed[1]))
    print("ok: the ring read from the dump replays to the same state (digest %s)" % replayed[1])
    os.remove(core)
    return kinds


def check_assert(options):
    kernel = Kernel(options.kernel, options.work, "assert trace=1024")
    try:
        status = kernel.process.wait(timeout=120)
    finally:
        kernel.stop()
    text = kernel.text()
    if status != 7 or "ASSERT FAILED" not in text or "list_skew_ == 0" not in text:
        raise Failure("a failed DEBUG_ASSERT should panic and end QEMU with status 7; it "
                      "exited %d, the console says:\n%s" % (status, text[-2000:]))
    print("ok: a failed DEBUG_ASSERT panics: %s" % next(
        line for line in text.splitlines() if "ASSERT FAILED" in line).strip())


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("kernel", "vmpl", "gdb", "repo", "work"):
        parser.add_argument("--" + name, required=True)
    options = parser.parse_args()
    os.makedirs(options.work, exist_ok=True)
    # Freestanding: linked from our objects and libgcc only, nothing left for a loader to find.
    undefined = run(["nm", "-u", options.kernel]).stdout.strip()
    dynamic = run(["readelf", "-d", options.kernel]).stdout
    if undefined or "no dynamic section" not in dynamic:
        print("FAILED: the kernel image has undefined symbols or a dynamic section:\n%s\n%s"
              % (undefined, dynamic))
        return 1
    print("ok: the kernel image has no undefined symbol and no dynamic section")
    kernel = Kernel(options.kernel, options.work, "seed=11 pause=3000 pages=6000 trace=65536")
    try:
        kinds = check_pause(options, kernel, 1, with_everything=True)
        gdb_session(options, kernel.port, ["set var vmpl_kernel_resume = 1"])
        kinds |= check_pause(options, kernel, 2, with_everything=False)
        if kinds != {"page-list", "splice-list"}:
            raise Failure("the pause points held only %s lists: the seed no longer makes both "
                          "kinds" % sorted(kinds))
    except (Failure, subprocess.TimeoutExpired) as failure:
        print("FAILED: %s" % failure)
        print("serial console (last lines):\n%s" % "\n".join(kernel.text().splitlines()[-15:]))
        return 1
    finally:
        kernel.stop()
    try:
        check_assert(options)
    except (Failure, subprocess.TimeoutExpired) as failure:
        print("FAILED: %s" % failure)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
