#!/usr/bin/env bash
# What the page-list trace costs, each figure beside its baseline: builds the trace benchmarks
# with the `release` preset (DEBUG_ASSERTs off), runs them, and prints bench/trace_ratios.py's
# table.
#
#   trace_bench_untraced  the core with the hooks compiled out (the baseline)
#   trace_bench           hooks present: off, on, on with a reader; replay; recording
#   trace_bench_lttng     our hook beside an LTTng-UST tracepoint, run three times: with no
#                         LTTng session, with a snapshot (overwrite) session and with a normal
#                         (discard) session whose consumer daemon writes the trace to disk.
#                         Needs liblttng-ust-dev at build time and lttng-tools (lttng,
#                         lttng-sessiond) to run; skipped with a message otherwise. Starts its own
#                         lttng-sessiond if none is running, and stops it at the end.
#   trace_ring_bench      the ring's own throughput (helper ring's program), if it is built
#
# The programs run in interleaved rounds (untraced, traced, lttng..., ring; again), so slow
# drifts of a shared machine hit the figure and its baseline alike; the table gives medians
# over the rounds and their spread.
#
# Usage: scripts/trace_bench.sh [--rounds N] [--no-lttng] [--check]
#   --rounds N   rounds to run (default 3)
#   --no-lttng   skip the LTTng runs
#   --check      exit 1 if a target is missed (trace_ratios.py --check)
# Environment: VMPL_JOBS (build parallelism, default 2); VMPL_BENCH_BUILD_DIR (build in this
# directory with the release preset's settings instead of build/release). The JSON outputs are
# kept in <build dir>/trace_bench/.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=3
lttng=1
check=()
while (($#)); do
  case "$1" in
    --rounds)
      rounds="${2:?--rounds needs a number}"
      shift 2
      ;;
    --no-lttng)
      lttng=0
      shift
      ;;
    --check)
      check=(--check)
      shift
      ;;
    *)
      echo "usage: $0 [--rounds N] [--no-lttng] [--check]" >&2
      exit 2
      ;;
  esac
done
if ! [[ "${rounds}" =~ ^[1-9][0-9]*$ ]]; then
  echo "trace_bench.sh: --rounds wants a positive integer, not '${rounds}'" >&2
  exit 2
fi
jobs="${VMPL_JOBS:-2}"

# ---- build ----------------------------------------------------------------------------------
./scripts/setup.sh
if [[ -n "${VMPL_BENCH_BUILD_DIR:-}" ]]; then
  build="${VMPL_BENCH_BUILD_DIR}"
  cmake -S . -B "${build}" -DCMAKE_BUILD_TYPE=Release -DVMPL_DEBUG_ASSERTS=OFF \
    -DVMPL_BUILD_TESTS=OFF
else
  build=build/release
  cmake --preset release
fi
targets=(trace_bench trace_bench_untraced)
known_targets=$(cmake --build "${build}" --target help)
for optional in trace_bench_lttng trace_ring_bench; do
  if grep -qw "${optional}" <<<"${known_targets}"; then
    targets+=("${optional}")
  fi
done
cmake --build "${build}" -j "${jobs}" --target "${targets[@]}"

bin="${build}/bench"
out="${build}/trace_bench"
mkdir -p "${out}"
rm -f "${out}"/*.json

run() {  # run NAME PROGRAM ARGS...: one program's run, its JSON kept as NAME.json
  local name="$1" program="$2"
  shift 2
  echo "=== ${name}"
  "${bin}/${program}" --benchmark_out="${out}/${name}.json" --benchmark_out_format=json "$@"
}

# ---- LTTng: is it usable here, and a session daemon ------------------------------------------
lttng_reason=""
if ((!lttng)); then
  lttng_reason="--no-lttng given"
elif [[ ! -x "${bin}/trace_bench_lttng" ]]; then
  lttng_reason="trace_bench_lttng is not built (liblttng-ust-dev not installed)"
elif ! command -v lttng >/dev/null || ! command -v lttng-sessiond >/dev/null; then
  lttng_reason="lttng-tools is not installed (lttng, lttng-sessiond)"
fi

session="vmpl-trace-bench-$$"
lttng_tmp=""
sessiond_pid=""
cleanup() {
  if [[ -n "${lttng_tmp}" ]]; then
    lttng destroy "${session}" >/dev/null 2>&1 || true
    if [[ -n "${sessiond_pid}" ]]; then
      kill "${sessiond_pid}" 2>/dev/null || true
    fi
    rm -rf "${lttng_tmp}"
  fi
}
trap cleanup EXIT

if [[ -z "${lttng_reason}" ]]; then
  lttng_tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmpl-trace-bench-lttng.XXXXXX")
  # A root session daemon keeps its pid file in /var/run/lttng, a user's in ~/.lttng.
  if ((EUID == 0)); then
    rundir=/var/run/lttng
  else
    rundir="${LTTNG_HOME:-${HOME}}/.lttng"
  fi
  # --no-sessiond: only ask; a plain `lttng` command would spawn a daemon nobody stops.
  if ! lttng --no-sessiond list >/dev/null 2>&1; then
    if lttng-sessiond --daemonize --no-kernel >"${lttng_tmp}/sessiond.log" 2>&1 &&
      [[ -s "${rundir}/lttng-sessiond.pid" ]]; then
      sessiond_pid=$(<"${rundir}/lttng-sessiond.pid")
      echo "=== lttng: started lttng-sessiond (pid ${sessiond_pid})"
    else
      lttng_reason="lttng-sessiond would not start: $(tr '\n' ' ' <"${lttng_tmp}/sessiond.log")"
    fi
  fi
fi

# Runs trace_bench_lttng's event benchmarks inside LTTng session |mode| (none, overwrite,
# discard) and records what LTTng says it discarded.
discarded=()
run_lttng() {
  local mode="$1" round="$2"
  local args=(--benchmark_filter='^BM_Event' "--benchmark_context=lttng_session=${mode}")
  if [[ "${mode}" == none ]]; then
    run "lttng-none-${round}" trace_bench_lttng "${args[@]}"
    return
  fi
  if [[ "${mode}" == overwrite ]]; then
    # A snapshot session: overwrite mode, nothing written unless a snapshot is taken.
    lttng create "${session}" --snapshot --output="${lttng_tmp}/${mode}" >/dev/null
  else
    lttng create "${session}" --output="${lttng_tmp}/${mode}" >/dev/null
  fi
  lttng enable-event --userspace --session="${session}" vmpl_bench:event >/dev/null
  lttng start "${session}" >/dev/null
  run "lttng-${mode}-${round}" trace_bench_lttng "${args[@]}"
  lttng stop "${session}" >/dev/null 2>&1
  local lost
  lost=$(lttng list "${session}" | awk '/Discarded events:/ {n += $3} END {print n + 0}')
  discarded+=("--lttng-discarded" "${mode}=${lost}")
  echo "=== lttng ${mode}: ${lost} events discarded"
  lttng destroy "${session}" >/dev/null
  rm -rf "${lttng_tmp:?}/${mode}"
}

# ---- the rounds -------------------------------------------------------------------------------
for ((round = 1; round <= rounds; round++)); do
  run "untraced-${round}" trace_bench_untraced
  run "traced-${round}" trace_bench
  if [[ -z "${lttng_reason}" ]]; then
    for mode in none overwrite discard; do
      run_lttng "${mode}" "${round}"
    done
  fi
  if [[ -x "${bin}/trace_ring_bench" ]]; then
    run "ring-${round}" trace_ring_bench
  fi
done

# ---- the table --------------------------------------------------------------------------------
ring_args=()
for file in "${out}"/ring-*.json; do
  ring_args+=(--ring "${file}")
done
echo
echo "=== trace_ratios.py (${rounds} rounds)"
if [[ -n "${lttng_reason}" ]]; then
  echo "LTTng-UST not measured: ${lttng_reason}"
fi
python3 bench/trace_ratios.py "${check[@]}" "${discarded[@]}" "${ring_args[@]}" \
  "${out}"/untraced-*.json "${out}"/traced-*.json "${out}"/lttng-*.json
