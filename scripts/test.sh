#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing
# (scripts/setup.sh), then configures, builds and runs ctest for the `default` preset
# (RelWithDebInfo, DEBUG_ASSERTs on) and then the `asan` preset (ASan + UBSan). Stops at the first
# failure with a non-zero exit status. VMPL_JOBS sets the build parallelism (default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs="${VMPL_JOBS:-2}"
start=${SECONDS}

./scripts/setup.sh

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

echo "=== all tests passed in $((SECONDS - start)) s"
