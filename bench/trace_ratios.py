#!/usr/bin/env python3
"""Prints what the page-list trace costs, each figure beside its baseline, from trace_bench runs.

bench/trace_bench.cc builds three programs; their Google Benchmark JSON outputs (any number of
each, e.g. several interleaved runs on a noisy machine) are given as arguments. Each file says
which program wrote it in its context ("vmpl_trace_bench_build": untraced, traced or lttng) and,
for trace_bench_lttng, which LTTng session was active ("lttng_session": none, overwrite or
discard, passed with --benchmark_context). Every figure is the median over all runs and
repetitions of that benchmark; the spread column is (max - min) / median over the same runs.

Sections and targets (issue 4):
  hooks off vs compiled out   extra time per mutation          <= 1 ns
  hooks on vs compiled out    extra time per event emitted     <= 15 ns
  replay of a recorded trace  events per second                >= 10 M/s
  in-process recording        nothing lost
  ring throughput             writes per second, one producer (trace_ring_bench) >= 50 M/s
LTTng-UST rows put our hook beside a tracepoint with the same payload; they have no target.

Usage:
  python3 bench/trace_ratios.py untraced-1.json traced-1.json ... [--ring ring.json]
      [--lttng-discarded SESSION=N ...] [--time cpu|real] [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from dataclasses import dataclass, field
from typing import Callable

NS_PER_UNIT: dict[str, float] = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

MUTATIONS: list[tuple[str, str]] = [
    ("StorePair", "slot store pair"),
    ("LookupStoreClear", "LookupOrAllocate+store+clear"),
    ("SimStep", "simulator step"),
]
RECORD_DIRS: list[str] = ["tmp", "shm"]

OFF_TARGET_NS = 1.0
ON_TARGET_NS_PER_EVENT = 15.0
REPLAY_TARGET_PER_S = 10e6
RING_TARGET_PER_S = 50e6


@dataclass
class Samples:
    """Every measurement of one benchmark in one build (one entry per run or repetition)."""

    cpu_ns: list[float] = field(default_factory=list)
    real_ns: list[float] = field(default_factory=list)
    items_per_second: list[float] = field(default_factory=list)
    counters: dict[str, list[float]] = field(default_factory=dict)

    def time(self, clock: str) -> float:
        return statistics.median(self.cpu_ns if clock == "cpu" else self.real_ns)

    def spread(self, clock: str) -> float:
        values = self.cpu_ns if clock == "cpu" else self.real_ns
        middle = statistics.median(values)
        return (max(values) - min(values)) / middle if middle > 0 else 0.0

    def counter(self, name: str, default: float = 0.0) -> float:
        values = self.counters.get(name)
        return statistics.median(values) if values else default

    def counter_max(self, name: str) -> float:
        values = self.counters.get(name)
        return max(values) if values else 0.0

    def runs(self) -> int:
        return len(self.cpu_ns)


# Samples by (build, benchmark name); build is "untraced", "traced", or "lttng:<session>".
Results = dict[tuple[str, str], Samples]

STANDARD_FIELDS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
    "items_per_second", "bytes_per_second", "aggregate_name", "aggregate_unit", "label",
    "error_occurred", "error_message",
}


def base_name(name: str) -> str:
    """BM_SimStep_Off/iterations:200/real_time -> BM_SimStep_Off; keeps /tmp, /shm."""
    return re.sub(r"/(iterations:\d+|real_time|manual_time|repeats:\d+)", "", name)


def load(path: str, results: Results, ring: bool = False) -> None:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    context = report.get("context", {})
    if ring:
        build = "ring"
    else:
        build = context.get("vmpl_trace_bench_build")
        if build is None:
            raise ValueError(f"{path}: no vmpl_trace_bench_build in the context (not trace_bench?)")
        if build == "lttng":
            build = "lttng:" + context.get("lttng_session", "none")
    for bench in report.get("benchmarks", []):
        if bench.get("run_type") == "aggregate" or bench.get("error_occurred"):
            continue
        scale = NS_PER_UNIT[bench.get("time_unit", "ns")]
        samples = results.setdefault((build, base_name(bench.get("run_name", bench["name"]))),
                                     Samples())
        samples.cpu_ns.append(float(bench["cpu_time"]) * scale)
        samples.real_ns.append(float(bench["real_time"]) * scale)
        if "items_per_second" in bench:
            samples.items_per_second.append(float(bench["items_per_second"]))
        for key, value in bench.items():
            if key not in STANDARD_FIELDS and isinstance(value, (int, float)):
                samples.counters.setdefault(key, []).append(float(value))
        # Events per second of the benchmark thread's own CPU time (threads it started excluded).
        cpu_s = float(bench["cpu_time"]) * scale * 1e-9 * float(bench.get("iterations", 0))
        if "events" in bench and cpu_s > 0:
            samples.counters.setdefault("events_per_cpu_second", []).append(
                float(bench["events"]) / cpu_s)


def format_ns(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def format_rate(per_second: float) -> str:
    return f"{per_second / 1e6:.3g} M/s"


class Table:
    """Rows of: what, ours, baseline, ratio, extra, target, verdict, spread."""

    HEADER = ("row", "ours", "baseline", "ratio", "extra", "target", "verdict", "spread")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.missed: list[str] = []

    def section(self, title: str) -> None:
        self.rows.append((f"== {title}",))

    def add(self, what: str, ours: str, baseline: str = "", ratio: float | None = None,
            extra: str = "", target: str = "", met: bool | None = None,
            spread: str = "") -> None:
        verdict = "" if met is None else ("met" if met else "MISSED")
        if met is False:
            self.missed.append(what)
        self.rows.append((what, ours, baseline, "" if ratio is None else f"{ratio:.2f}x", extra,
                          target, verdict, spread))

    def note(self, text: str) -> None:
        self.rows.append((f"   {text}",))

    def print(self) -> None:
        widths = [len(h) for h in self.HEADER]
        for row in self.rows:
            if len(row) == len(self.HEADER):
                widths = [max(w, len(c)) for w, c in zip(widths, row)]
        line = "  ".join(h.ljust(w) for h, w in zip(self.HEADER, widths))
        print(line)
        print("-" * len(line))
        for row in self.rows:
            if len(row) == 1:
                print(row[0])
            else:
                print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def spread_of(*samples: Samples, clock: str) -> str:
    return "/".join(f"{s.spread(clock) * 100:.0f}%" for s in samples)


def mutation_rows(table: Table, results: Results, clock: str) -> None:
    table.section(f"cost per mutation ({clock} time; baseline: hooks compiled out, "
                  "trace_bench_untraced)")
    for key, label in MUTATIONS:
        out = results.get(("untraced", f"BM_{key}_CompiledOut"))
        off = results.get(("traced", f"BM_{key}_Off"))
        on = results.get(("traced", f"BM_{key}_On"))
        on_reader = results.get(("traced", f"BM_{key}_OnReader"))
        if out is None:
            table.note(f"{label}: no trace_bench_untraced run")
            continue

        def per_mutation(s: Samples) -> float:
            return s.time(clock) / s.counter("mutations_per_iter", 1.0)

        base = per_mutation(out)
        events = on.counter("events_per_mutation") if on else 0.0
        if off is not None:
            extra = per_mutation(off) - base
            per_event = f", {format_ns(extra / events)}/event" if events else ""
            # A simulator step is many mutations: its target is per event (per hook that fired).
            if key == "SimStep" and events:
                target, met = f"<= +{OFF_TARGET_NS:g} ns/event", extra / events <= OFF_TARGET_NS
            else:
                target, met = f"<= +{OFF_TARGET_NS:g} ns/mutation", extra <= OFF_TARGET_NS
            table.add(f"{label}: off", format_ns(per_mutation(off)), format_ns(base),
                      per_mutation(off) / base, f"{format_ns(extra)}{per_event}", target, met,
                      spread_of(off, out, clock=clock))
        for name, samples in (("on", on), ("on+reader", on_reader)):
            if samples is None or not events:
                continue
            extra = per_mutation(samples) - base
            lost = ""
            if name == "on+reader":
                delivered = samples.counter("delivered")
                lost_events = samples.counter_max("lost")
                lost = f" lost {lost_events:.0f} of {delivered + lost_events:.0f}"
            table.add(f"{label}: {name}", format_ns(per_mutation(samples)), format_ns(base),
                      per_mutation(samples) / base,
                      f"{format_ns(extra / events)}/event ({events:.2f} ev/mut){lost}",
                      f"<= +{ON_TARGET_NS_PER_EVENT:g} ns/event",
                      extra / events <= ON_TARGET_NS_PER_EVENT,
                      spread_of(samples, out, clock=clock))


def event_part_notes(table: Table, results: Results, clock: str) -> None:
    parts = [(label, results.get(("traced", name))) for label, name in
             (("rdtsc (trace::NowTicks)", "BM_EventPart_NowTicks"),
              ("sched_getcpu", "BM_EventPart_SchedGetcpu"))]
    known = [f"{label} {format_ns(s.time(clock))}" for label, s in parts if s is not None]
    if known:
        table.note(f"parts of every event's cost: {', '.join(known)}")


def event_rows(table: Table, results: Results, clock: str,
               discarded: dict[str, str]) -> None:
    order = {"none": 0, "overwrite": 1, "discard": 2}
    sessions = sorted({build.split(":", 1)[1] for build, _ in results if build.startswith("lttng:")},
                      key=lambda session: (order.get(session, 3), session))
    if not sessions:
        hook = results.get(("traced", "BM_Event_Hook_On"))
        if hook is not None:
            table.section(f"one hook, 7 x u64 payload ({clock} time)")
            table.add("vmpl hook on (no reader)", format_ns(hook.time(clock) / 1024))
        event_part_notes(table, results, clock)
        table.note("LTTng-UST: no trace_bench_lttng run (see scripts/trace_bench.sh's message)")
        return
    table.section(f"one event, 7 x u64 payload: vmpl hook vs LTTng-UST tracepoint ({clock} time, "
                  "same run)")
    # Which of our variants compares with which LTTng session.
    pairs = {"none": ("BM_Event_Hook_Off", "off (no session)"),
             "overwrite": ("BM_Event_Hook_On", "on, overwrite (lttng snapshot session)"),
             "discard": ("BM_Event_Hook_OnReader", "on, drained (lttng session + consumerd)")}
    for session in sessions:
        build = f"lttng:{session}"
        ours_name, label = pairs.get(session, ("BM_Event_Hook_On", session))
        ours = results.get((build, ours_name))
        lttng = results.get((build, "BM_Event_Lttng"))
        if ours is None or lttng is None:
            table.note(f"{label}: incomplete run")
            continue
        per = ours.counter("mutations_per_iter", 1024.0)
        ours_ns = ours.time(clock) / per
        lttng_ns = lttng.time(clock) / lttng.counter("mutations_per_iter", 1024.0)
        enabled = lttng.counter("enabled")
        extra = f"lttng tracepoint {'enabled' if enabled else 'disabled'}"
        if session in discarded:
            extra += f", lttng discarded {discarded[session]}"
        if session == "discard":
            extra += f", ours lost {ours.counter_max('lost'):.0f}"
        table.add(f"event {label}", format_ns(ours_ns), format_ns(lttng_ns), ours_ns / lttng_ns,
                  extra, spread=spread_of(ours, lttng, clock=clock))
        if (session == "none") == bool(enabled):
            table.note(f"warning: the LTTng tracepoint was {'on' if enabled else 'off'} in the "
                       f"'{session}' run")
    event_part_notes(table, results, clock)


def replay_rows(table: Table, results: Results) -> None:
    read = results.get(("traced", "BM_Trace_ReadAll"))
    resolve = results.get(("traced", "BM_Trace_Resolve"))
    replay = results.get(("traced", "BM_Trace_Replay"))
    if replay is None and resolve is None:
        return
    table.section("recorded trace (vmpl sim --seed 3 --ops 200000), records/s, cpu time "
                  "(baseline: TraceReader::Open + one pass over the records)")
    if read is not None:
        table.add("read: Open + iterate", format_rate(statistics.median(read.items_per_second)),
                  extra=f"{read.counter('records') / 1e6:.2f} M records",
                  spread=spread_of(read, clock="cpu"))
    base = statistics.median(read.items_per_second) if read else None
    for label, samples, target in (("resolve (TraceResolver)", resolve, None),
                                   ("replay (TraceReplay)", replay, REPLAY_TARGET_PER_S)):
        if samples is None:
            continue
        rate = statistics.median(samples.items_per_second)
        table.add(label, format_rate(rate), format_rate(base) if base else "",
                  rate / base if base else None, "",
                  f">= {format_rate(target)}" if target else "",
                  rate >= target if target else None, spread_of(samples, clock="cpu"))


def record_rows(table: Table, results: Results) -> None:
    rows = [(d, k) for d in RECORD_DIRS for k in ("Sim", "SimLive", "StorePairs")
            if ("traced", f"BM_Record_{k}/{d}") in results]
    if not rows:
        return
    table.section("in-process recording into a file, real time (baselines: the same steps with "
                  "hooks off; store pairs into a ring nobody reads)")
    sim_off = results.get(("traced", "BM_SimStep_Off"))
    pair_on = results.get(("traced", "BM_StorePair_On"))
    for directory, kind in rows:
        samples = results[("traced", f"BM_Record_{kind}/{directory}")]
        rate = statistics.median(samples.items_per_second)
        lost = samples.counter_max("lost")
        per_iter = samples.counter("mutations_per_iter", 1.0)
        # The same per second of the producer thread's CPU (the live recorder's thread excluded).
        cpu_rate = samples.counter("events_per_cpu_second")
        cpu_rate = f" (per cpu s {format_rate(cpu_rate)})" if cpu_rate else ""
        label = {"Sim": "sim, drain after each step",
                 "SimLive": "sim, recorder thread (live)",
                 "StorePairs": "store pairs, drain per 32768 events"}[kind]
        if kind in ("Sim", "SimLive") and sim_off is not None:
            ours = samples.time("real") / per_iter
            base = sim_off.time("real") / sim_off.counter("mutations_per_iter", 1.0)
            table.add(f"/{directory}: {label}", f"{format_ns(ours)}/step", f"{format_ns(base)}/step",
                      ours / base, f"{format_rate(rate)} events{cpu_rate}, lost {lost:.0f}",
                      "no loss", lost == 0, spread_of(samples, clock="real"))
        elif kind == "StorePairs" and pair_on is not None:
            ours = 1e9 / rate
            base = pair_on.time("real") / (pair_on.counter("mutations_per_iter", 1.0) *
                                            pair_on.counter("events_per_mutation", 2.0))
            table.add(f"/{directory}: {label}", f"{format_ns(ours)}/event",
                      f"{format_ns(base)}/event", ours / base,
                      f"{format_rate(rate)} events{cpu_rate}, lost {lost:.0f}", "no loss",
                      lost == 0, spread_of(samples, clock="real"))
        else:
            table.add(f"/{directory}: {label}", format_rate(rate), extra=f"lost {lost:.0f}")


def ring_rows(table: Table, results: Results) -> None:
    rows = sorted(name for build, name in results
                  if build == "ring" and name.startswith("BM_Ring_"))
    if not rows:
        return
    table.section("ring throughput (bench/trace_ring_bench, helper ring's program), writes/s; "
                  "rows with a reader thread in real time (baseline: plain stores into an array; "
                  "the target is for one producer alone)")
    for name in rows:
        samples = results[("ring", name)]
        if not samples.items_per_second:
            continue
        rate = statistics.median(samples.items_per_second)
        op, _, arg = name[len("BM_Ring_"):].partition("/")
        plain = results.get(("ring", f"BM_PlainArray_Write/{arg}"))
        mutex = results.get(("ring", f"BM_MutexRing_Write/{arg}"))
        single = op in ("Write", "DropWrite")
        base = statistics.median(plain.items_per_second) if plain and "Write" in op else None
        extra = ""
        if mutex and "Write" in op and mutex.items_per_second:
            extra = f"mutex ring {format_rate(statistics.median(mutex.items_per_second))}"
        for counter in ("delivered%", "dropped%", "refused"):
            if counter in samples.counters:
                extra += f"{', ' if extra else ''}{counter} {samples.counter(counter):.3g}"
        table.add(name, format_rate(rate), format_rate(base) if base else "",
                  rate / base if base else None, extra,
                  f">= {format_rate(RING_TARGET_PER_S)}" if single else "",
                  (rate >= RING_TARGET_PER_S) if single else None,
                  spread_of(samples, clock="cpu"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json_files", nargs="+",
                        help="trace_bench, trace_bench_untraced and trace_bench_lttng JSON outputs")
    parser.add_argument("--ring", action="append", default=[],
                        help="trace_ring_bench JSON output (may repeat)")
    parser.add_argument("--lttng-discarded", action="append", default=[], metavar="SESSION=N",
                        help="events LTTng reported discarded in a run of that session (may "
                             "repeat, one per run)")
    parser.add_argument("--time", choices=("cpu", "real"), default="cpu",
                        help="clock of the per-mutation and per-event rows (default cpu: the "
                             "benchmark thread's own time, steadier on a shared machine)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    results: Results = {}
    try:
        for path in args.json_files:
            load(path, results)
        for path in args.ring:
            load(path, results, ring=True)
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        print(f"trace_ratios.py: cannot read {e} (an unfinished run?)", file=sys.stderr)
        return 2
    # Several runs of one session: their counts, in order, comma separated.
    discarded: dict[str, str] = {}
    for item in args.lttng_discarded:
        session, _, count = item.partition("=")
        discarded[session] = f"{discarded[session]}, {count}" if session in discarded else count

    table = Table()
    sections: list[Callable[[], None]] = [
        lambda: mutation_rows(table, results, args.time),
        lambda: event_rows(table, results, args.time, discarded),
        lambda: replay_rows(table, results),
        lambda: record_rows(table, results),
        lambda: ring_rows(table, results),
    ]
    for section in sections:
        section()
    table.print()

    runs = [s.runs() for (build, _), s in results.items() if build != "ring"]
    print()
    print(f"figures: medians of {min(runs)}..{max(runs)} samples per benchmark; spread = "
          "(max - min) / median of ours (and of the baseline after the slash)")
    contexts = sorted({build for build, _ in results})
    print(f"builds: {', '.join(contexts)}")
    if table.missed:
        print(f"missed: {'; '.join(table.missed)}")
    return 1 if (args.check and table.missed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
