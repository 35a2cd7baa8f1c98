#!/usr/bin/env bash
# Builds every fuzz target (tests/fuzz/<name>_fuzz.cc) with clang-14, libFuzzer, ASan and UBSan in
# build/fuzz, then runs each for SECONDS (default 60). Each target works on its own corpus in
# build/fuzz/corpus/<name> (kept between runs, so fuzzing resumes where it stopped), seeded from
# tests/fuzz/corpus/<name>, with tests/fuzz/<name>.dict as a dictionary if there is one. A crash,
# leak, timeout or sanitizer report stops that target and leaves the input that caused it in
# build/fuzz/artifacts/<name>/; the other targets still run, and the script exits 1.
#
# Usage: scripts/fuzz.sh [SECONDS] [NAME...]       e.g. scripts/fuzz.sh 600 trace_reader
# Rerun one input: build/fuzz/tests/fuzz/<name>_fuzz build/fuzz/artifacts/<name>/crash-<sha1>
# (the gcc build's driver runs it too: build/default/tests/fuzz/<name>_fuzz FILE --budget 0).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage="usage: scripts/fuzz.sh [SECONDS] [NAME...]"
seconds="${1:-60}"
if [[ ! "${seconds}" =~ ^[0-9]+$ ]]; then
  echo "${usage}" >&2
  exit 2
fi
(($# > 0)) && shift
names=("$@")
if ((${#names[@]} == 0)); then
  for source in tests/fuzz/*_fuzz.cc; do
    names+=("$(basename "${source}" _fuzz.cc)")
  done
fi
for name in "${names[@]}"; do
  if [[ ! -f "tests/fuzz/${name}_fuzz.cc" ]]; then
    echo "scripts/fuzz.sh: no fuzz target tests/fuzz/${name}_fuzz.cc" >&2
    exit 2
  fi
done

# Everything is instrumented for coverage (fuzzer-no-link) and checked by the sanitizers; only
# the fuzz targets themselves link libFuzzer's main (VMPL_LIBFUZZER, tests/fuzz/CMakeLists.txt).
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S . -B build/fuzz \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMPL_BUILD_BENCH=OFF -DVMPL_LIBFUZZER=ON \
  -DCMAKE_C_FLAGS="${flags}" -DCMAKE_CXX_FLAGS="${flags}"
cmake --build build/fuzz -j "${VMPL_JOBS:-2}" --target "${names[@]/%/_fuzz}"

failed=()
for name in "${names[@]}"; do
  corpus="build/fuzz/corpus/${name}"
  artifacts="build/fuzz/artifacts/${name}/"
  mkdir -p "${corpus}" "${artifacts}"
  args=(-max_total_time="${seconds}" -print_final_stats=1 -artifact_prefix="${artifacts}")
  if [[ -f "tests/fuzz/${name}.dict" ]]; then
    args+=(-dict="tests/fuzz/${name}.dict")
  fi
  echo "=== ${name}: fuzzing for ${seconds} s"
  if ! "build/fuzz/tests/fuzz/${name}_fuzz" "${args[@]}" "${corpus}" "tests/fuzz/corpus/${name}"; then
    failed+=("${name}")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "=== failed: ${failed[*]} (inputs in build/fuzz/artifacts/)" >&2
  exit 1
fi
echo "=== no failures in ${names[*]}"
