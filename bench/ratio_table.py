#!/usr/bin/env python3
"""Prints issue 9's table: our page list / std::map time ratios beside Zircon's.

bench/ratio_bench.cc registers each of the nine operations as BM_PageList_<Op> and
BM_StdMap_<Op>. This script reads that run's Google Benchmark JSON and prints one row per
operation: both times, our ratio (page list time / std::map time: below 1 the page list is
faster), Zircon's ratio for the same operation from the issue, and whether ours meets it
(ours <= Zircon's; for a range, <= its upper end). For BuildSparseRandom and IntervalSplit, where
Zircon's page list is slower than std::map, the issue also asks for ours to be below 1.0; the
last column says whether it is.

Usage:
  ./build/release/bench/ratio_bench --benchmark_out=ratios.json --benchmark_out_format=json
  python3 bench/ratio_table.py ratios.json     # or: ratio_bench --benchmark_format=json | ... -
  python3 bench/ratio_table.py --check ratios.json   # exit 1 if a row misses its target

With --benchmark_repetitions the median of the repetitions is used, and the noise column gives
each side's spread (half the range of its repetitions over their median). A benchmark that failed
its own check (SkipWithError) is shown as an error and counts as a miss.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from typing import Any, TextIO

PAGE_LIST_PREFIX = "BM_PageList_"
STD_MAP_PREFIX = "BM_StdMap_"


@dataclass(frozen=True)
class Row:
    """One operation of the issue: its benchmark name and Zircon's ratio (a range as lo, hi)."""

    op: str
    zircon_low: float
    zircon_high: float
    # The issue asks for a ratio below 1.0 here as well (Zircon's is above 1).
    below_one: bool = False

    def zircon_text(self) -> str:
        if self.zircon_low == self.zircon_high:
            return f"{self.zircon_low:g}"
        return f"{self.zircon_low:g}-{self.zircon_high:g}"


# In the order.
ROWS: list[Row] = [
    Row("LookupHit", 0.07, 0.07),
    Row("LookupMiss", 0.5, 0.5),
    Row("BuildDense", 0.18, 0.18),
    Row("BuildSparseRandom", 1.4, 1.4, below_one=True),
    Row("ForEveryPage", 0.08, 0.12),
    Row("RemovePages", 0.14, 0.14),
    Row("TakePages", 0.24, 0.24),
    Row("IntervalSplit", 1.17, 1.17, below_one=True),
    Row("MergeFrom", 0.25, 0.25),
]

NS_PER_UNIT: dict[str, float] = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


@dataclass
class Result:
    """Real time per iteration in ns of one benchmark (median over repetitions), or an error."""

    runs: list[float]
    median_aggregate: float | None = None
    error: str | None = None

    def value(self) -> float | None:
        if self.error is not None:
            return None
        if self.median_aggregate is not None:
            return self.median_aggregate
        if not self.runs:
            return None
        return statistics.median(self.runs)


    def spread(self) -> float | None:
        """Half the range of the runs, relative to their median; None with fewer than 2 runs."""
        if self.error is not None or len(self.runs) < 2:
            return None
        middle = statistics.median(self.runs)
        return (max(self.runs) - min(self.runs)) / 2 / middle if middle > 0 else None


def base_name(name: str) -> str:
    """BM_StdMap_RemovePages/iterations:10_median -> BM_StdMap_RemovePages."""
    return name.split("/", 1)[0].removesuffix("_median").removesuffix("_mean")


def load_results(doc: dict[str, Any], source: str) -> dict[str, Result]:
    """Collects the runs of |doc|; malformed entries are reported on stderr and skipped."""
    results: dict[str, Result] = {}
    benchmarks = doc.get("benchmarks", [])
    if not isinstance(benchmarks, list):
        sys.stderr.write(f"ratio_table: {source}: \"benchmarks\" is not a list\n")
        return results
    for index, bench in enumerate(benchmarks):
        if not isinstance(bench, dict):
            sys.stderr.write(f"ratio_table: {source}: benchmarks[{index}] is not an object\n")
            continue
        name = base_name(str(bench.get("run_name") or bench.get("name", "")))
        result = results.setdefault(name, Result(runs=[]))
        if bench.get("error_occurred"):
            result.error = str(bench.get("error_message", "error"))
            continue
        if "real_time" not in bench:
            continue
        try:
            ns = float(bench["real_time"]) * NS_PER_UNIT[str(bench.get("time_unit", "ns"))]
        except (TypeError, ValueError, KeyError):
            sys.stderr.write(f"ratio_table: {source}: benchmarks[{index}] ({name}): bad "
                             f"real_time or time_unit, skipped\n")
            continue
        if bench.get("run_type") == "aggregate":
            if bench.get("aggregate_name") == "median":
                result.median_aggregate = ns
        else:
            result.runs.append(ns)
    return results


def format_time(ns: float | None) -> str:
    if ns is None:
        return "-"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} us"
    return f"{ns:.0f} ns"


def format_spread(result: Result | None) -> str:
    spread = result.spread() if result is not None else None
    return "-" if spread is None else f"{100 * spread:.0f}%"


def print_table(results: dict[str, Result], out: TextIO) -> bool:
    """Prints the table; returns whether every row met its target(s)."""
    header = (f"{'#':>2}  {'operation':<18} {'page list':>10} {'std::map':>10} {'ratio':>7} "
              f"{'Zircon':>9}  {'meets':<5}  {'< 1.0':<5}  {'noise':>9}")
    out.write(header + "\n" + "-" * len(header) + "\n")
    all_met = True
    for index, row in enumerate(ROWS, start=1):
        page_list = results.get(PAGE_LIST_PREFIX + row.op)
        std_map = results.get(STD_MAP_PREFIX + row.op)
        pl_ns = page_list.value() if page_list else None
        map_ns = std_map.value() if std_map else None
        errors = [r.error for r in (page_list, std_map) if r is not None and r.error]
        if pl_ns is None or map_ns is None or map_ns <= 0:
            all_met = False
            reason = errors[0] if errors else "missing from the input"
            out.write(f"{index:>2}  {row.op:<18} {format_time(pl_ns):>10} "
                      f"{format_time(map_ns):>10} {'-':>7} {row.zircon_text():>9}  "
                      f"no     ({reason})\n")
            continue
        ratio = pl_ns / map_ns
        meets = ratio <= row.zircon_high
        below = ratio < 1.0
        all_met = all_met and meets and (below or not row.below_one)
        below_text = ("yes" if below else "no") if row.below_one else ""
        noise = f"{format_spread(page_list)}/{format_spread(std_map)}"
        out.write(f"{index:>2}  {row.op:<18} {format_time(pl_ns):>10} {format_time(map_ns):>10} "
                  f"{ratio:>7.3f} {row.zircon_text():>9}  {'yes' if meets else 'no':<5}  "
                  f"{below_text:<5}  {noise:>9}\n")
    return all_met


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="ratio_bench's JSON output, or - for stdin")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every row meets its target")
    args = parser.parse_args(argv)
    try:
        if args.json == "-":
            doc = json.load(sys.stdin)
        else:
            with open(args.json, encoding="utf-8") as f:
                doc = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.stderr.write(f"ratio_table: cannot read {args.json}: {e}\n")
        return 2
    if not isinstance(doc, dict):
        sys.stderr.write(f"ratio_table: {args.json}: not a Google Benchmark JSON object\n")
        return 2
    context = doc.get("context", {})
    if isinstance(context, dict):
        for key in ("VMPL_DEBUG_ASSERTS", "sizeof(VmPageListNode)", "library_build_type"):
            if key in context:
                sys.stdout.write(f"{key}: {context[key]}\n")
    all_met = print_table(load_results(doc, args.json), sys.stdout)
    sys.stdout.write("ratio = page list time / std::map time (real time per iteration); "
                     "meets = ratio <= Zircon's;\nnoise = half the range of the repetitions, "
                     "relative to their median (page list/std::map; - with one run)\n")
    return 1 if args.check and not all_met else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
