// The kernel's trace ring writer (see trace_ring_writer.h).

#include "trace_ring_writer.h"

#include <string.h>
#include <vmpl/kernel_assert.h>

#include "heap.h"

extern "C" {
__attribute__((used)) volatile uint64_t vmpl_kernel_trace_ring = 0;
}

namespace vmpl::kernel {
namespace {

using trace::MakeStamp;
using trace::RingHeader;
using trace::RingProducerEntry;
using trace::RingRecord;
using trace::SlotState;

// Producers: entry 0 (unknown) and the kernel.
constexpr uint32_t kMaxProducers = 2;

struct KernelRing {
  RingHeader* header = nullptr;
  RingProducerEntry* producers = nullptr;
  RingRecord* records = nullptr;
  uint64_t capacity = 0;
};

KernelRing g_ring;

// The ring format stores the clock rate as an IEEE-754 double; the kernel is built without
// floating point, so the bits of an integer rate are put together by hand (exact below 2^53).
uint64_t DoubleBitsOf(uint64_t value) {
  if (value == 0) {
    return 0;
  }
  int exponent = 63 - __builtin_clzll(value);
  const uint64_t mantissa = exponent >= 52 ? value >> (exponent - 52) : value << (52 - exponent);
  return (uint64_t{1023 + static_cast<uint64_t>(exponent)} << 52) |
         (mantissa & ((uint64_t{1} << 52) - 1));
}

template <typename T>
void StoreRelease(T& field, T value) {
  __atomic_store_n(&field, value, __ATOMIC_RELEASE);
}

}  // namespace

bool TraceRingCreate(uint64_t capacity, uint64_t tsc_hz) {
  ASSERT(g_ring.header == nullptr);
  ASSERT(capacity >= trace::kRingMinCapacity && (capacity & (capacity - 1)) == 0);
  const uint64_t table_offset = sizeof(RingHeader);
  const uint64_t table_end = table_offset + kMaxProducers * sizeof(RingProducerEntry);
  const uint64_t header_size =
      (table_end + trace::kRingPageSize - 1) / trace::kRingPageSize * trace::kRingPageSize;
  const uint64_t bytes = header_size + capacity * sizeof(RingRecord);
  auto* memory = static_cast<uint8_t*>(HeapAlloc(bytes, trace::kRingPageSize));
  if (memory == nullptr) {
    return false;
  }
  memset(memory, 0, header_size);
  auto* header = reinterpret_cast<RingHeader*>(memory);
  memcpy(header->magic, trace::kRingMagic, sizeof(header->magic));
  header->version = trace::kRingVersion;
  header->header_size = static_cast<uint32_t>(header_size);
  header->record_size = trace::kRingRecordSize;
  header->capacity = capacity;
  header->mode = static_cast<uint32_t>(trace::RingMode::kOverwrite);
  header->owner_pid = 0;  // no process: the kernel
  header->max_producers = kMaxProducers;
  header->producer_entry_size = trace::kRingProducerEntrySize;
  header->producer_table_offset = table_offset;
  header->first_position = capacity;
  memcpy(header->clock_name, "tsc", 4);
  const uint64_t rate_bits = DoubleBitsOf(tsc_hz);
  memcpy(&header->ticks_per_second, &rate_bits, sizeof(rate_bits));
  header->base_ticks = 0;  // TSC 0 is reset: times read as "since boot"
  header->base_monotonic_ns = 0;
  header->head = capacity;
  header->producer_count = kMaxProducers;

  g_ring.header = header;
  g_ring.producers = reinterpret_cast<RingProducerEntry*>(memory + table_offset);
  g_ring.producers[kKernelProducer].tid = 1;
  g_ring.records = reinterpret_cast<RingRecord*>(memory + header_size);
  g_ring.capacity = capacity;
  // Slot i starts out as if position i had come and gone (docs/ring-format.md, section 4).
  for (uint64_t i = 0; i < capacity; i++) {
    RingRecord& record = g_ring.records[i];
    memset(&record, 0, sizeof(record));
    record.stamp = MakeStamp(i, 0, SlotState::kEmpty);
  }
  vmpl_kernel_trace_ring = reinterpret_cast<uint64_t>(header);
  return true;
}

bool TraceRingWrite(const trace::Event& event) {
  if (g_ring.header == nullptr) {
    return false;
  }
  RingHeader& header = *g_ring.header;
  const uint64_t position = header.head;
  StoreRelease(header.head, position + 1);
  RingRecord& record = g_ring.records[position & (g_ring.capacity - 1)];
  const uint64_t old = record.stamp;
  if (trace::StampState(old) == SlotState::kCommitted) {
    g_ring.producers[trace::StampProducer(old)].overwritten++;  // never reached a reader
  }
  StoreRelease(record.stamp, MakeStamp(position, kKernelProducer, SlotState::kWriting));
  memcpy(record.payload, &event, sizeof(record.payload));
  StoreRelease(record.stamp, MakeStamp(position, kKernelProducer, SlotState::kCommitted));
  g_ring.producers[kKernelProducer].committed++;
  return true;
}

uint64_t TraceRingHead() { return g_ring.header == nullptr ? 0 : g_ring.header->head; }
uint64_t TraceRingCapacity() { return g_ring.capacity; }

bool TraceRingTakeSnapshotRequest() {
  if (g_ring.header == nullptr) {
    return false;
  }
  return (__atomic_exchange_n(&g_ring.header->requests, 0u, __ATOMIC_ACQ_REL) & 1) != 0;
}

}  // namespace vmpl::kernel
