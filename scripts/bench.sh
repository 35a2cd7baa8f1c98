#!/usr/bin/env bash
# Builds the benchmarks with the `release` preset (DEBUG_ASSERTs off), prints the layout sizes,
# runs core_bench and prints every PageList / std::map ratio (bench/ratios.py).
# Extra arguments go to core_bench, e.g. scripts/bench.sh --benchmark_repetitions=3
# or --benchmark_filter=Lookup. The JSON results are kept in build/release/core_bench.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/setup.sh
cmake --preset release
cmake --build --preset release -j "${VMPL_JOBS:-2}" --target core_bench core_sizes
./build/release/bench/core_sizes
./build/release/bench/core_bench --benchmark_out=build/release/core_bench.json \
  --benchmark_out_format=json "$@"
python3 bench/ratios.py build/release/core_bench.json
