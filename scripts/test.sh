#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing
# (scripts/setup.sh), mounts tracefs and bpffs for the BPF tests, then configures, builds and runs ctest for the `default` preset
# (RelWithDebInfo, DEBUG_ASSERTs on), the `asan` preset (ASan + UBSan), and the trace ring's and
# the node allocator's tests under the `tsan` preset (ThreadSanitizer). Stops at the first failure with a non-zero
# exit status. VMPL_JOBS sets the build parallelism (default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs="${VMPL_JOBS:-2}"
start=${SECONDS}

./scripts/setup.sh

# The BPF tests (`vmpl trace live`) attach uprobes and use BPF maps; tracefs and bpffs are not
# mounted at boot on every machine. Mounting needs root; without it the tests say why they skip.
if [[ ${EUID} -eq 0 ]]; then
  if ! mountpoint -q /sys/kernel/tracing 2>/dev/null; then
    mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
  fi
  if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
    mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
  fi
fi

for preset in default asan; do
  preset_start=${SECONDS}
  echo "=== ${preset}: configure"
  cmake --preset "${preset}"
  echo "=== ${preset}: build"
  cmake --build --preset "${preset}" -j "${jobs}"
  echo "=== ${preset}: test"
  ctest --preset "${preset}"
  echo "=== ${preset}: passed in $((SECONDS - preset_start)) s"
done

# ThreadSanitizer over the lock-free, multi-producer trace ring's tests and the node allocator's
# (per-thread caches over a spin-locked pool): a Debug build of the core and those three test
# programs, about a minute on 2 cores. (The preset passes -Wno-tsan: GCC 12
# warns that TSan does not model std::atomic_thread_fence, which the registry's seqlock uses; the
# ring uses none.)
tsan_start=${SECONDS}
echo "=== tsan: configure"
cmake --preset tsan
echo "=== tsan: build (trace ring and node allocator tests only)"
cmake --build --preset tsan -j "${jobs}" --target trace_ring_test trace_ring_stress_test \
  node_allocator_test
echo "=== tsan: test"
ctest --preset tsan -R "trace_ring|node_allocator"
echo "=== tsan: passed in $((SECONDS - tsan_start)) s"

echo "=== all tests passed in $((SECONDS - start)) s"
