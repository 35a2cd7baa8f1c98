#!/usr/bin/env bash
# Installs the Debian 12 packages vmpl needs to build, test and benchmark.
#
# Idempotent: when every package is already installed it does nothing (no apt-get at all).
# Otherwise it runs `apt-get update` and installs only what is missing, non-interactively; that
# needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential
  cmake
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libcli11-dev
  libfmt-dev
  nlohmann-json3-dev
  python3
  systemtap-sdt-dev
  gdb
  gdbserver
  libelf-dev
  libclang-dev
  qemu-system-x86
  libncurses-dev
  tmux
  libbpf-dev
  bpftool
  clang
  pkg-config
)

missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "${package}" 2>/dev/null || true)
  if [[ "${status}" != "install ok installed" ]]; then
    missing+=("${package}")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "setup: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
