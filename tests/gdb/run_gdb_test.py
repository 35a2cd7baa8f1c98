#!/usr/bin/env python3
"""Runs one gdb printer test: a script of tests/gdb/scripts/ in gdb on gdb_test_program.

The program is stopped at vmpl_gdb_stop() (live), or its core file made there is opened (--cores
DIR, made beforehand with --make-cores DIR). gdb runs as

    gdb -batch -nx -iex 'set auto-load safe-path /' -ex 'source <repo>/gdb/vmpl-gdb.py'
        -x tests/gdb/gdb_driver.py ...

and gdb_driver.py prints each command of the script and its output. This script then
  - fails if "Traceback" or "Python Exception" appears anywhere (stdout or stderr): a printer or
    command must never let an exception out, whatever the memory holds;
  - fails if the output has more than --max-lines lines: damage must not make it unbounded;
  - fails if "error" (or "unreadable", for a page pointer) is missing from the output of a
    damage script (one that says "# damage: KIND" in its header): damage must be reported, not
    printed as if valid;
  - replaces addresses of the process (12 hex digits from 0x1... to 0x7...: the executable and
    heap at 0x55..., mmap and stack at 0x7f..., an ASan heap at 0x6...) by <addr1>, <addr2>...
    in order of first appearance, the same address always by the same name, so the output does
    not depend on ASLR, the allocator or the build;
  - compares the result with expected/<script>.txt (expected/<script>.core.txt instead, for a
    core, if that file exists). --update rewrites the expected file instead.

Exit status: 0 pass, 1 fail, 2 usage error.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))
DRIVER = os.path.join(HERE, "gdb_driver.py")
BEGIN_MARKER = "==== vmpl gdb test ===="
DAMAGE_KINDS = ("none", "cycle", "canary", "wild", "misaligned", "count", "unreadable-page",
                "order")
FORBIDDEN = ("Traceback", "Python Exception")
ADDRESS = re.compile(r"0x[1-7][0-9a-f]{11}\b")


def normalise(text: str) -> str:
    names: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), "<addr%d>" % (len(names) + 1))

    return ADDRESS.sub(name, text)


def script_damage(path: str) -> str:
    with open(path, encoding="utf-8") as script:
        for line in script:
            match = re.match(r"#\s*damage:\s*(\S+)", line)
            if match:
                return match.group(1)
    return "none"


def run_gdb(args: argparse.Namespace, env: dict[str, str], target: list[str],
            timeout: float) -> subprocess.CompletedProcess[str]:
    command = [
        args.gdb, "-batch", "-nx", "-iex", "set auto-load safe-path /",
        "-ex", "source " + os.path.join(args.repo, "gdb", "vmpl-gdb.py"), "-x", DRIVER,
    ] + target
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def has_sanitizer(program: str) -> bool:
    """True if |program| links a sanitizer runtime (its symbol names are in the file)."""
    with open(program, "rb") as file:
        contents = file.read()
    return any(name in contents for name in (b"__asan_init", b"__tsan_init", b"__msan_init"))


def make_cores(args: argparse.Namespace) -> int:
    # gcore copies a sanitizer's shadow memory: one core of an ASan build is tens of gigabytes.
    if has_sanitizer(args.program):
        print("not making cores of %s: it is a sanitizer build" % args.program)
        return 1
    os.makedirs(args.make_cores, exist_ok=True)
    for kind in DAMAGE_KINDS:
        path = os.path.join(args.make_cores, kind + ".core")
        if os.path.exists(path):
            os.remove(path)
        result = run_gdb(args, {"VMPL_GDB_MODE": "make-core", "VMPL_GDB_DAMAGE": kind,
                                "VMPL_GDB_CORE_OUT": path},
                         ["--args", args.program, kind], timeout=240)
        if result.returncode != 0 or not os.path.exists(path):
            sys.stdout.write(result.stdout + result.stderr)
            print("could not make the core of damage %s at %s" % (kind, path))
            return 1
        print("made %s (%d MiB)" % (path, os.path.getsize(path) >> 20))
    return 0


def run_script(args: argparse.Namespace) -> int:
    script = os.path.realpath(args.script)
    name = os.path.splitext(os.path.basename(script))[0]
    damage = script_damage(script)
    if damage not in DAMAGE_KINDS:
        print("%s: unknown damage kind %r" % (script, damage))
        return 2
    env = {"VMPL_GDB_SCRIPT": script, "VMPL_GDB_DAMAGE": damage}
    if args.cores:
        env["VMPL_GDB_MODE"] = "core"
        target = [args.program, os.path.join(args.cores, damage + ".core")]
    else:
        env["VMPL_GDB_MODE"] = "live"
        target = ["--args", args.program, damage]
    try:
        result = run_gdb(args, env, target, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        print("FAIL: gdb did not finish in %d s (a printer walking forever?)" % args.timeout)
        return 1

    failures = []
    everything = result.stdout + result.stderr
    for word in FORBIDDEN:
        if word in everything:
            failures.append("%r in gdb's output" % word)
    if BEGIN_MARKER not in result.stdout:
        failures.append("the driver never reached the script (see gdb's output)")
        output = result.stdout
    else:
        output = result.stdout.split(BEGIN_MARKER + "\n", 1)[1]
    if output.count("\n") > args.max_lines:
        failures.append("%d lines of output, more than %d" % (output.count("\n"),
                                                              args.max_lines))
    if damage != "none" and not re.search(r"error|unreadable", output, re.IGNORECASE):
        failures.append("damage %s but no error reported" % damage)
    output = normalise(output)

    expected_dir = os.path.join(HERE, "expected")
    expected_path = os.path.join(expected_dir, name + ".txt")
    core_path = os.path.join(expected_dir, name + ".core.txt")
    if args.cores and os.path.exists(core_path):
        expected_path = core_path
    if args.update:
        with open(expected_path, "w", encoding="utf-8") as file:
            file.write(output)
        print("wrote %s" % expected_path)
    else:
        try:
            with open(expected_path, encoding="utf-8") as file:
                expected = file.read()
        except OSError as error:
            expected = ""
            failures.append("no expected output: %s" % error)
        if expected != output:
            diff = difflib.unified_diff(expected.splitlines(True), output.splitlines(True),
                                        expected_path, "actual (normalised)")
            sys.stdout.writelines(diff)
            failures.append("output differs from %s" % expected_path)

    if failures:
        if result.stderr:
            print("---- gdb's stderr:\n" + result.stderr)
        for failure in failures:
            print("FAIL: " + failure)
        return 1
    print("PASS: %s (%s)" % (name, "core" if args.cores else "live"))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gdb", default="gdb")
    parser.add_argument("--repo", required=True, help="the checkout (holds gdb/vmpl-gdb.py)")
    parser.add_argument("--program", required=True, help="the built gdb_test_program")
    parser.add_argument("--script", help="a script of tests/gdb/scripts/")
    parser.add_argument("--cores", help="run on the core made by --make-cores in this directory")
    parser.add_argument("--make-cores", help="make one core per damage kind in this directory")
    parser.add_argument("--update", action="store_true", help="rewrite the expected output")
    parser.add_argument("--timeout", type=int, default=90)
    parser.add_argument("--max-lines", type=int, default=2000)
    args = parser.parse_args()
    if args.make_cores:
        return make_cores(args)
    if not args.script:
        parser.error("one of --script and --make-cores is required")
    return run_script(args)


if __name__ == "__main__":
    sys.exit(main())
