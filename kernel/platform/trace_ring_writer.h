// The kernel's trace ring: the shared-memory ring's layout (docs/ring-format.md,
// <vmpl/trace_ring_abi.h>) in kernel memory, written by the kernel's one producer. A host reads
// it through QEMU's gdb stub or from a dump (`vmpl trace record --remote`/`--core`), copying it
// into a file that the userspace RingReader then reads like any ring; the symbol
// `vmpl_kernel_trace_ring` holds its address.
//
// One CPU, and interrupts never trace, so the writer is the protocol's producer with every race
// gone: reserve (head + 1), claim the slot (stamp WRITING), store the payload, commit. It counts
// what it overwrites before a reader took it, as the protocol says.

#ifndef VMPL_KERNEL_PLATFORM_TRACE_RING_WRITER_H_
#define VMPL_KERNEL_PLATFORM_TRACE_RING_WRITER_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/trace_ring_abi.h>

extern "C" {
// Address of the ring's header (0 until TraceRingCreate). A debugger reads it to find the ring.
extern volatile uint64_t vmpl_kernel_trace_ring;
}

namespace vmpl::kernel {

// The producer-table entry the kernel writes as (entry 0 is the protocol's "unknown producer").
inline constexpr uint32_t kKernelProducer = 1;

// Creates the ring in the kernel heap: |capacity| records (a power of two), timestamps in TSC
// ticks at |tsc_hz| counted from boot. False if the heap cannot hold it.
bool TraceRingCreate(uint64_t capacity, uint64_t tsc_hz);

// Appends one event; false if there is no ring.
bool TraceRingWrite(const trace::Event& event);

// The next position to be written (head), or 0 without a ring.
uint64_t TraceRingHead();
uint64_t TraceRingCapacity();

// Takes the reader's snapshot request (bit 0 of `requests`), if one was made.
bool TraceRingTakeSnapshotRequest();

}  // namespace vmpl::kernel

#endif  // VMPL_KERNEL_PLATFORM_TRACE_RING_WRITER_H_
