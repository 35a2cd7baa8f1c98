// Tracing in the kernel: the page list's trace hooks (<vmpl/trace_hooks.h>) write every mutation
// into the kernel's ring (trace_ring_writer.h), stamped with the TSC and CPU 0.
//
// A reader copies the ring out while the kernel is stopped, so it needs a snapshot of the lists
// (kSnapshotBegin ... kSnapshotEnd) from which the events that follow apply. The kernel writes
// one when tracing starts (before any list exists), when a reader sets the ring's request bit,
// and again each time half the ring has been written since the last one, so a ring that has
// wrapped still holds a whole snapshot and everything after it.

#ifndef VMPL_KERNEL_PLATFORM_TRACE_H_
#define VMPL_KERNEL_PLATFORM_TRACE_H_

#include <stdint.h>

namespace vmpl::kernel {

// Creates the ring (|capacity| records) and switches tracing on; false if out of memory.
bool TraceStart(uint64_t capacity, uint64_t tsc_hz);

// Between two workload steps (every list consistent): writes a snapshot if one is due.
void TraceBetweenSteps(uint64_t step);

// Answers a reader's snapshot request, if one was made (while the kernel idles at a pause).
void TraceServiceRequests();

// Snapshots written so far.
uint64_t TraceSnapshotCount();

}  // namespace vmpl::kernel

#endif  // VMPL_KERNEL_PLATFORM_TRACE_H_
