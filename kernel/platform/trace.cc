// The kernel's trace hooks and snapshots (see trace.h). The snapshot's events themselves are the
// core's (core/src/trace_snapshot.cc); this file only picks the lists, from the kernel registry.

#include "trace.h"

#include <vmpl/trace.h>

#include "arch/interrupts.h"
#include "registry.h"
#include "trace_ring_writer.h"

extern "C" {
volatile uint32_t vmpl_trace_active = 0;
// No USDT probes in the kernel; the hooks test these with vmpl_trace_active, so they exist, zero.
volatile unsigned short vmpl_slot_store_semaphore = 0;
volatile unsigned short vmpl_event_semaphore = 0;
}

namespace vmpl::kernel {
namespace {

uint64_t g_last_snapshot_head = 0;
uint64_t g_snapshots = 0;

void WriteKernelSnapshot() {
  g_last_snapshot_head = TraceRingHead();
  g_snapshots++;
  const uint64_t lists = vmpl_registry.live_count;
  trace::hooks::Emit(trace::EventKind::kSnapshotBegin, nullptr, 0, lists, 0, 0, 0);
  ForEveryRegistered([](const vmpl_registry_entry& entry) {
    trace::WriteListSnapshot(entry.id, entry.kind, reinterpret_cast<const void*>(entry.address),
                             {entry.name, entry.name_length});
  });
  trace::hooks::Emit(trace::EventKind::kSnapshotEnd, nullptr, 0, lists, 0, 0, 0);
}

}  // namespace

bool TraceStart(uint64_t capacity, uint64_t tsc_hz) {
  if (!TraceRingCreate(capacity, tsc_hz)) {
    return false;
  }
  vmpl_trace_active = 1;
  WriteKernelSnapshot();
  return true;
}

void TraceBetweenSteps(uint64_t step) {
  if (vmpl_trace_active == 0) {
    return;
  }
  trace::Checkpoint(step);
  const bool half_written = TraceRingHead() - g_last_snapshot_head >= TraceRingCapacity() / 2;
  if (TraceRingTakeSnapshotRequest() || half_written) {
    WriteKernelSnapshot();
  }
}

void TraceServiceRequests() {
  if (vmpl_trace_active != 0 && TraceRingTakeSnapshotRequest()) {
    WriteKernelSnapshot();
  }
}

uint64_t TraceSnapshotCount() { return g_snapshots; }

}  // namespace vmpl::kernel

namespace vmpl::trace {

uint64_t NowTicks() { return arch_rdtsc(); }

namespace hooks {

void SlotStore(const void* slot, uint64_t old_raw, uint64_t new_raw, const void* moved_from) {
  Emit(EventKind::kSlotStore, slot, 0, old_raw, new_raw, reinterpret_cast<uintptr_t>(moved_from),
       0);
}

void Emit(EventKind kind, const void* object, uint32_t aux, uint64_t a0, uint64_t a1, uint64_t a2,
          uint64_t a3) {
  if (vmpl_trace_active == 0) {
    return;
  }
  kernel::TraceRingWrite(MakeEvent(NowTicks(), /*cpu=*/0, kind, object, aux, a0, a1, a2, a3));
}

}  // namespace hooks
}  // namespace vmpl::trace
