#!/usr/bin/env bash
# Boots vmpl-kernel.elf under QEMU's software emulation (TCG) through its PVH loader, with the
# serial console on stdio (or a file) and QEMU's isa-debug-exit device, so the kernel's
# arch_exit_qemu(code) makes QEMU exit with status (code << 1) | 1 (a panic: 7).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
elf="${repo_root}/build/default/kernel/vmpl-kernel.elf"
gdb_port=""
serial_file=""
append=""
monitor_socket=""
stopped=0
extra=()

usage() {
  cat <<USAGE
Usage: $(basename "$0") [options] [-- QEMU-ARGS...]

Boots the vmpl kernel in qemu-system-x86_64 (-m 256M -nographic -no-reboot).

Options:
  --elf PATH         the kernel ELF (default: build/default/kernel/vmpl-kernel.elf)
  --gdb PORT         QEMU's gdb stub on tcp:127.0.0.1:PORT
  -s                 same as --gdb 1234
  --serial FILE      the serial console to FILE instead of stdio
  --append "ARGS"    the kernel command line (docs/kernel.md), e.g. "seed=7 pause=20000"
  --monitor SOCKET   the HMP monitor on a unix socket (e.g. for dump-guest-memory)
  --stopped          start with the CPU stopped (QEMU's -S; continue from gdb or the monitor)
  -h, --help         this text
  -- QEMU-ARGS...    passed to QEMU as they are

Exit status: QEMU's. The kernel ends it with 1 after steps=N, with 7 on a panic.
USAGE
}

die() {
  echo "boot_kernel.sh: $*" >&2
  exit 2
}

need_value() {
  [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --elf) need_value "$@"; elf="$2"; shift 2 ;;
    --gdb) need_value "$@"; gdb_port="$2"; shift 2 ;;
    -s) gdb_port=1234; shift ;;
    --serial) need_value "$@"; serial_file="$2"; shift 2 ;;
    --append) [[ $# -ge 2 ]] || die "--append needs a value"; append="$2"; shift 2 ;;
    --monitor) need_value "$@"; monitor_socket="$2"; shift 2 ;;
    --stopped) stopped=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

if [[ ! -f "${elf}" ]]; then
  die "no kernel at ${elf}
  build it with: cmake --preset default && cmake --build build/default --target vmpl-kernel.elf
  (or pass --elf PATH)"
fi
[[ -z "${gdb_port}" || "${gdb_port}" =~ ^[0-9]+$ ]] || die "--gdb wants a port number, not '${gdb_port}'"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (Debian: apt-get install qemu-system-x86)"

args=(
  -accel tcg
  -kernel "${elf}"
  -m 256M
  -nographic
  -no-reboot
  -device isa-debug-exit,iobase=0xf4,iosize=0x04
  -append "${append}"
)
# -nographic puts the serial port and the monitor on stdio by default; with explicit
# -serial/-monitor options the defaults are off, so say where each goes.
if [[ -n "${serial_file}" ]]; then
  args+=(-serial "file:${serial_file}")
else
  # mon:stdio keeps QEMU's Ctrl-A escapes (Ctrl-A x quits, Ctrl-A c toggles the monitor).
  args+=(-serial mon:stdio)
fi
if [[ -n "${monitor_socket}" ]]; then
  args+=(-monitor "unix:${monitor_socket},server,nowait")
elif [[ -n "${serial_file}" ]]; then
  args+=(-monitor none)
fi
[[ -n "${gdb_port}" ]] && args+=(-gdb "tcp:127.0.0.1:${gdb_port}")
[[ ${stopped} -eq 1 ]] && args+=(-S)

exec qemu-system-x86_64 "${args[@]}" "${extra[@]}"
