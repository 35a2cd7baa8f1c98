#!/usr/bin/env bash
# Issue 9's table: builds bench/ratio_bench with the `release` preset, runs the nine page-list /
# std::map operations and prints our ratios beside Zircon's (bench/ratio_table.py).
#
# By default every benchmark runs 5 times, the runs of all benchmarks shuffled together
# (--benchmark_enable_random_interleaving), so that a slow spell of a shared machine falls on both
# sides of a ratio rather than on one; the table uses each side's median, which one or two slow
# repetitions (common here: see the table's noise column) do not move. Extra arguments replace
# those defaults, e.g. scripts/ratio_bench.sh --benchmark_filter=Lookup. The JSON is kept in
# build/release/ratio_bench.json; with VMPL_RATIO_CHECK=1 the script exits 1 if a row misses.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cmake --preset release >/dev/null
cmake --build --preset release -j "${VMPL_JOBS:-2}" --target ratio_bench
if [[ $# -eq 0 ]]; then
  set -- --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
fi
./build/release/bench/ratio_bench --benchmark_out=build/release/ratio_bench.json \
  --benchmark_out_format=json "$@" >/dev/null
check=()
if [[ "${VMPL_RATIO_CHECK:-0}" == 1 ]]; then
  check=(--check)
fi
python3 bench/ratio_table.py "${check[@]}" build/release/ratio_bench.json
