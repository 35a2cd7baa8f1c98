// The out-of-line half of the trace hooks: stamping events, the USDT probe sites, the process
// switch, and the snapshot a late reader asks for. See <vmpl/trace.h> and <vmpl/trace_hooks.h>.

#include <sched.h>
#include <string.h>
#include <time.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>
#include <vmpl/trace.h>
#include <vmpl/trace_ring.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

// USDT probes with semaphores: a tracer attaching to vmpl:slot_store or vmpl:event increments
// the probe's semaphore, which the hooks test together with vmpl_trace_active.
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

extern "C" {
volatile uint32_t vmpl_trace_active = 0;
__extension__ volatile unsigned short vmpl_slot_store_semaphore
    __attribute__((unused, section(".probes"))) = 0;
__extension__ volatile unsigned short vmpl_event_semaphore
    __attribute__((unused, section(".probes"))) = 0;
}

namespace vmpl::trace {
namespace {

std::atomic<Ring*> g_ring{nullptr};

uint16_t CurrentCpu() {
  const int cpu = sched_getcpu();
  return cpu < 0 ? uint16_t{0xffff} : static_cast<uint16_t>(cpu);
}

void WriteToRing(const Event& event) {
  Ring* ring = g_ring.load(std::memory_order_acquire);
  if (ring != nullptr && vmpl_trace_active != 0) {
    ring->Write(event);
  }
}

Event StampedEvent(EventKind kind, const void* object, uint32_t aux, uint64_t a0, uint64_t a1,
                   uint64_t a2, uint64_t a3) {
  return MakeEvent(NowTicks(), CurrentCpu(), kind, object, aux, a0, a1, a2, a3);
}

}  // namespace

namespace hooks {

void SlotStore(const void* slot, uint64_t old_raw, uint64_t new_raw, const void* moved_from) {
  STAP_PROBE4(vmpl, slot_store, slot, old_raw, new_raw, moved_from);
  if (vmpl_trace_active != 0) {
    WriteToRing(StampedEvent(EventKind::kSlotStore, slot, 0, old_raw, new_raw,
                             reinterpret_cast<uintptr_t>(moved_from), 0));
  }
}

void Emit(EventKind kind, const void* object, uint32_t aux, uint64_t a0, uint64_t a1, uint64_t a2,
          uint64_t a3) {
  STAP_PROBE7(vmpl, event, static_cast<uint32_t>(kind), object, aux, a0, a1, a2, a3);
  if (vmpl_trace_active != 0) {
    WriteToRing(StampedEvent(kind, object, aux, a0, a1, a2, a3));
  }
}

}  // namespace hooks

uint64_t NowTicks() { return __rdtsc(); }

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

ClockInfo MeasureClock(int calibration_ms) {
  static std::once_flag once;
  static ClockInfo measured;
  std::call_once(once, [calibration_ms] {
    const uint64_t ns0 = MonotonicNs();
    const uint64_t t0 = NowTicks();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(calibration_ms, 1)));
    const uint64_t ns1 = MonotonicNs();
    const uint64_t t1 = NowTicks();
    ClockInfo info;
    snprintf(info.name, sizeof(info.name), "tsc");
    info.ticks_per_second =
        static_cast<double>(t1 - t0) * 1e9 / static_cast<double>(std::max<uint64_t>(ns1 - ns0, 1));
    info.base_ticks = t1;
    info.base_monotonic_ns = ns1;
    measured = info;
  });
  return measured;
}

void Start(Ring* ring) {
  g_ring.store(ring, std::memory_order_release);
  vmpl_trace_active = ring != nullptr ? 1 : 0;
}

void Stop() { vmpl_trace_active = 0; }

void Arm(Ring* ring) {
  vmpl_trace_active = 0;
  g_ring.store(ring, std::memory_order_release);
}

Ring* CurrentRing() { return g_ring.load(std::memory_order_acquire); }

bool IsOn() { return vmpl_trace_active != 0 && CurrentRing() != nullptr; }

bool ServiceRequests() {
  Ring* ring = CurrentRing();
  if (ring == nullptr || !ring->TakeSnapshotRequest()) {
    return false;
  }
  vmpl_trace_active = 1;
  WriteSnapshot();
  return true;
}

void WriteSnapshot() {
  const std::vector<RegistryEntryView> entries = Registry::Snapshot();
  hooks::Emit(EventKind::kSnapshotBegin, nullptr, 0, entries.size(), 0, 0, 0);
  for (const RegistryEntryView& entry : entries) {
    WriteListSnapshot(entry.id, static_cast<uint32_t>(entry.kind),
                      reinterpret_cast<const void*>(entry.address), entry.name);
  }
  hooks::Emit(EventKind::kSnapshotEnd, nullptr, 0, entries.size(), 0, 0, 0);
}

}  // namespace vmpl::trace
