#!/usr/bin/env python3
"""Speed of the vmpl gdb printers against libstdc++'s std::map printer, in one gdb session.

gdb_test_program (tests/gdb) is stopped at vmpl_gdb_stop(), where it holds big_list, a
VmPageList of 10,000 full nodes (160,000 slots), and big_map, a std::map<uint64_t, uint64_t> with
as many entries. With `set print elements unlimited`, this times `print big_list` and
`print big_map`, the output captured into a string (gdb.execute(..., to_string=True): no
terminal, nothing written), and reports for each the best and median of its runs (--repeat,
--map-repeat), the time per element and the bytes printed, then the ratio of the two. Not a
CTest: the goal (printing big_list in at most 1 s) is checked by reading this benchmark's
output. Measured here (RelWithDebInfo, this machine, quiet): big_list 0.49 s (3.1 us per slot),
big_map 128 s (800 us per entry; libstdc++'s printer), a ratio of about 260; with the printers
of issue 18 (paddr on every page: 28% more text), on 2 cores busy with other builds: big_list
0.82 s (5.1 us per slot), big_map 458 s.

    python3 bench/gdb_printer_bench.py --program build/<dir>/tests/gdb/gdb_test_program

The same file runs inside gdb (gdb -x): there it does the measuring.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ELEMENTS = 160000


def measure_in_gdb() -> None:
    import gdb  # type: ignore

    repeats = {"big_list": int(os.environ.get("VMPL_BENCH_REPEAT", "3")),
               "big_map": int(os.environ.get("VMPL_BENCH_MAP_REPEAT", "1"))}
    for setting in ("pagination off", "confirm off", "print elements unlimited",
                    "print repeats unlimited", "width 0", "height 0"):
        gdb.execute("set " + setting, to_string=True)
    gdb.execute("break vmpl_gdb_stop", to_string=True)
    gdb.execute("run none", to_string=True)
    results = {}
    for expression in ("big_list", "big_map"):
        times = []
        size = 0
        for _ in range(repeats[expression]):
            start = time.perf_counter()
            output = gdb.execute("print " + expression, to_string=True)
            times.append(time.perf_counter() - start)
            size = len(output)
        results[expression] = {"best": min(times), "median": statistics.median(times),
                               "bytes": size, "head": output[:100]}
    print("VMPL_BENCH " + json.dumps(results))
    gdb.execute("kill", to_string=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--program", required=True, help="the built gdb_test_program")
    parser.add_argument("--gdb", default="gdb")
    parser.add_argument("--repeat", type=int, default=3, help="runs of print big_list")
    # libstdc++'s printer needs about two minutes for big_map here: once is the default.
    parser.add_argument("--map-repeat", type=int, default=1, help="runs of print big_map")
    args = parser.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    command = [args.gdb, "-batch", "-nx", "-iex", "set auto-load safe-path /",
               "-ex", "source " + os.path.join(repo, "gdb", "vmpl-gdb.py"),
               "-x", os.path.realpath(__file__), "--args", args.program, "none"]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={**os.environ, "VMPL_BENCH_REPEAT": str(args.repeat),
                                 "VMPL_BENCH_MAP_REPEAT": str(args.map_repeat)})
    lines = [line for line in result.stdout.splitlines() if line.startswith("VMPL_BENCH ")]
    if not lines:
        sys.stdout.write(result.stdout + result.stderr)
        print("gdb_printer_bench: no measurement came back from gdb")
        return 1
    results = json.loads(lines[-1][len("VMPL_BENCH "):])
    for expression, r in results.items():
        print("print %-9s best %7.3f s  median %7.3f s  %6.2f us/element  %9d bytes   %s..." % (
            expression, r["best"], r["median"], r["best"] / ELEMENTS * 1e6, r["bytes"],
            r["head"].split("{")[0].strip()))
    ratio = results["big_map"]["best"] / results["big_list"]["best"]
    print("big_map takes %.1f times as long as big_list (best times)" % ratio)
    return 0


if __name__ == "__main__":
    try:
        import gdb  # type: ignore  # noqa: F401
    except ImportError:
        sys.exit(main())
    measure_in_gdb()
