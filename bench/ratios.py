#!/usr/bin/env python3
"""Prints the PageList / std::map ratio of every operation of a core_bench run.

core_bench registers each operation twice, as BM_PageList_<Op> and BM_StdMap_<Op>, so one run
gives both. This script reads Google Benchmark's JSON output and prints, per operation, both
times and the speed-up of the page list (std::map time / PageList time: above 1 the page list is
faster), then the layout facts core_bench records in the JSON context, and checks the issue's
targets:

  LookupHit     page list no slower than std::map   (speed-up >= 1.0)
  ForEveryPage  page list at least 5x faster         (speed-up >= 5.0)

Usage:
  ./build/release/bench/core_bench --benchmark_out=core.json --benchmark_out_format=json
  python3 bench/ratios.py core.json            # or: core_bench --benchmark_format=json | ratios.py -
  python3 bench/ratios.py --check core.json    # exit 1 if a target is missed

With --benchmark_repetitions the median of the repetitions is used.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

PAGE_LIST_PREFIX = "BM_PageList_"
STD_MAP_PREFIX = "BM_StdMap_"

# Minimum speed-up of the page list over std::map, per operation (from the issue).
TARGETS: dict[str, float] = {
    "LookupHit": 1.0,
    "ForEveryPage": 5.0,
}

# Layout targets core_bench reports in its JSON context.
LAYOUT_TARGETS: dict[str, int] = {
    "sizeof(VmPageListNode)": 176,
    "sizeof(VmPageList)": 48,  # the kernel's 40 plus the node table's pointer
}

NS_PER_UNIT: dict[str, float] = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


@dataclass
class Timings:
    """Times (in ns per iteration) of one benchmark, one entry per repetition."""

    runs: list[float] = field(default_factory=list)
    median_aggregate: float | None = None

    def value(self) -> float:
        if self.median_aggregate is not None:
            return self.median_aggregate
        return statistics.median(self.runs)


def load(stream: TextIO) -> dict[str, Any]:
    return json.load(stream)


def collect(report: dict[str, Any], time_field: str) -> dict[str, Timings]:
    """Maps each benchmark name (without aggregate suffix) to its timings in ns."""
    timings: dict[str, Timings] = {}
    for bench in report.get("benchmarks", []):
        if bench.get("error_occurred"):
            continue
        name = bench.get("run_name", bench["name"])
        ns = float(bench[time_field]) * NS_PER_UNIT[bench.get("time_unit", "ns")]
        entry = timings.setdefault(name, Timings())
        if bench.get("run_type") == "aggregate":
            if bench.get("aggregate_name") == "median":
                entry.median_aggregate = ns
        else:
            entry.runs.append(ns)
    return {name: t for name, t in timings.items() if t.runs or t.median_aggregate is not None}


def format_ns(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json_file", help="core_bench JSON output, or - for stdin")
    parser.add_argument("--time", choices=("cpu", "real"), default="cpu",
                        help="compare CPU time (default; steadier on a shared machine) or "
                             "wall-clock time")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a target of the issue is missed")
    args = parser.parse_args(argv)

    try:
        if args.json_file == "-":
            report = load(sys.stdin)
        else:
            with open(args.json_file, encoding="utf-8") as f:
                report = load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"ratios.py: cannot read {args.json_file}: {e} (an unfinished run?)",
              file=sys.stderr)
        return 2

    timings = collect(report, "cpu_time" if args.time == "cpu" else "real_time")
    ops = sorted({name[len(PAGE_LIST_PREFIX):] for name in timings
                  if name.startswith(PAGE_LIST_PREFIX)})
    missed: list[str] = []
    print(f"{'operation':<28} {'PageList':>10} {'std::map':>10} {'speed-up':>9}  target")
    for op in ops:
        page_list = timings.get(PAGE_LIST_PREFIX + op)
        std_map = timings.get(STD_MAP_PREFIX + op)
        if page_list is None or std_map is None:
            print(f"{op:<28} (no std::map counterpart)")
            continue
        ratio = std_map.value() / page_list.value()
        target = TARGETS.get(op.split("/")[0])
        verdict = ""
        if target is not None:
            met = ratio >= target
            verdict = f">= {target:.1f}x: {'met' if met else 'MISSED'}"
            if not met:
                missed.append(op)
        print(f"{op:<28} {format_ns(page_list.value()):>10} {format_ns(std_map.value()):>10} "
              f"{ratio:>8.2f}x  {verdict}")

    context = report.get("context", {})
    print()
    print(f"times: {args.time} time per iteration, median of repetitions")
    for key, expected in LAYOUT_TARGETS.items():
        actual = context.get(key)
        if actual is None:
            print(f"{key}: not recorded")
            continue
        ok = int(actual) == expected
        print(f"{key} = {actual} (target {expected}: {'ok' if ok else 'MISMATCH'})")
        if not ok:
            missed.append(key)
    if context.get("VMPL_DEBUG_ASSERTS") == "1":
        print("warning: built with DEBUG_ASSERTs on; use the release preset for real numbers")
    if context.get("library_build_type") == "debug":
        print("note: Google Benchmark reports its own library as a debug build (Debian's "
              "package does); this does not affect the code measured")

    if missed:
        print(f"missed: {', '.join(missed)}")
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
