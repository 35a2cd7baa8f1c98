// What the kernel says about its own page lists on the serial console, so that a test (or a
// person) can compare it with what a debugger reads out of the same memory.
//
// One line per registered list, in registry slot order:
//
//   vmpl-kernel: list id=7 kind=page-list address=0xffffff8000a3c040 nodes=12 pages=301
//     references=9 markers=4 intervals=6 checksum=9f1c... name=vmo:3/anon
//
// (on one line). `nodes` counts a page list's tree nodes, or a splice list's middle nodes;
// `intervals` counts interval sentinels (start, end and slot); `checksum` is FNV-1a (64-bit)
// over the little-endian bytes of, for each node in order, its offset and then its 16
// (kPageFanOut) raw slot values: a page list's nodes in offset order; a splice list's head,
// middle nodes, then tail. docs/kernel.md gives the same definition for readers that recompute
// it.

#ifndef VMPL_KERNEL_SELF_REPORT_H_
#define VMPL_KERNEL_SELF_REPORT_H_

#include <stdint.h>

namespace vmpl::kernel {

// Prints the report, framed by "vmpl-kernel: report begin step=N lists=M" and
// "vmpl-kernel: report end".
void PrintSelfReport(uint64_t step);

}  // namespace vmpl::kernel

#endif  // VMPL_KERNEL_SELF_REPORT_H_
