// The trace ring's shared layout (docs/ring-format.md, version 1): the structs, constants and
// stamp arithmetic that a producer and a reader agree on, split from <vmpl/trace_ring.h> so that
// the freestanding QEMU kernel (kernel/platform/trace_ring_writer.cc) writes the same layout
// without the hosted Ring and RingReader classes around them.

#ifndef VMPL_TRACE_RING_ABI_H_
#define VMPL_TRACE_RING_ABI_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/trace_clock.h>
#include <vmpl/trace_event.h>

namespace vmpl::trace {

// ================================================================================================
// The shared layout (docs/ring-format.md, version 1).
//
//   offset 0                  RingHeader (512 bytes; hot fields each on their own cache line)
//   producer_table_offset     RingProducerEntry[max_producers] (64 bytes each)
//   header_size               RingRecord[capacity] (64 bytes each, 64-byte aligned)
//
// Every field is a plain fixed-width integer, read and written only through std::atomic_ref
// (in another language: aligned single loads and stores, and the named atomic operations).
// Positions. Records are numbered by a 64-bit *position* that only grows. The first record ever
// reserved has position `capacity` (positions below it are "before the start", and slot i starts
// out stamped as if position i had come and gone); position p lives in slot p & (capacity - 1).
// ================================================================================================

inline constexpr char kRingMagic[4] = {'V', 'M', 'P', 'T'};
inline constexpr uint32_t kRingVersion = 1;
inline constexpr uint32_t kRingRecordSize = 64;
inline constexpr uint32_t kRingProducerEntrySize = 64;
inline constexpr uint32_t kRingPageSize = 4096;
// Capacity is a power of two in [kRingMinCapacity, kRingMaxCapacity] records.
inline constexpr uint64_t kRingMinCapacity = 2;
inline constexpr uint64_t kRingMaxCapacity = uint64_t{1} << 30;

enum class RingMode : uint32_t {
  kOverwrite = 1,   // a full ring overwrites its oldest unread records
  kDropNewest = 2,  // a full ring refuses new records
};

// ------------------------------------------------------------------------------------------------
// The stamp: the commit word in front of each record's payload.
//
//   bits 0..47   position of the record the slot holds (or last held), mod 2^48
//   bits 48..60  producer index (the writer's entry in the producer table; 0 = unknown)
//   bits 61..63  state
//
// States of a slot holding position p:
//   kEmpty      never written (the initial stamp, p < capacity); free.
//   kWriting    producer k claimed the slot for p and is storing the payload.
//   kCommitted  the payload of p is complete; the reader may take it.
//   kConsumed   the reader took p; free.
//   kAbandoned  p was given up and counted as lost; free.
//   kOrphaned   p was given up and counted as lost while producer k (the field) may still be
//               storing a payload into the slot (it stalled, or it died): the slot is *not* free
//               until k's commit attempt fails and releases it, or the reader sees k is dead.
//               A later position that finds the slot orphaned is itself lost (counted as
//               `blocked`) and re-stamps the slot kOrphaned with its own position, same k.
//
// Transitions, each a compare-and-swap on the stamp (a stamp's position never decreases). The
// counter on the right is incremented by whoever makes the transition:
//   free, q < p         -> (p, k, kWriting)    producer k of p claims the slot
//   (q, j, kCommitted)  -> (p, k, kWriting)    ... over j's unread record      overwritten[j]
//   (p, k, kWriting)    -> (p, k, kCommitted)  k commits                       committed[k]
//   (p, k, kCommitted)  -> (p, k, kConsumed)   the reader takes the record
//   (q, j, kWriting)    -> (p, j, kOrphaned)   k of p finds j a lap behind     overwritten[j],
//                                                                              blocked[k]
//   (q, j, kOrphaned)   -> (p, j, kOrphaned)   k of p finds the slot held      blocked[k]
//   (p, k, kOrphaned)   -> (p, k, kAbandoned)  k's commit failed; k releases   commit_failed[k]
//   (p, k, kWriting)    -> (p, k, kAbandoned)  the reader: k is dead           abandoned[k]
//   (p, k, kWriting)    -> (p, k, kOrphaned)   the reader: k timed out         abandoned[k]
//   q < p               -> (p, 0, kAbandoned)  the reader: p never claimed,    abandoned[0]
//                                              timed out (kOrphaned, keeping j, if a writer j of
//                                              an earlier lap still holds the slot)
// Whoever moves a stamp from position q to p > q + capacity also counts the skipped positions
// q + capacity, ..., p - capacity (reserved, never claimed) as abandoned[0]. A producer that
// reaches its slot to find its own position already given up (the stamp is at or past it) moves
// one count from abandoned[0] to abandoned[itself]. Losses by unknown producers are counted
// before the compare-and-swap that makes them visible (and undone if it fails), so that move
// never sees abandoned[0] below zero.
// ------------------------------------------------------------------------------------------------

enum class SlotState : uint32_t {
  kEmpty = 0,
  kWriting = 1,
  kCommitted = 2,
  kConsumed = 3,
  kAbandoned = 4,
  kOrphaned = 5,
};

inline constexpr int kStampPositionBits = 48;
inline constexpr int kStampProducerBits = 13;
inline constexpr int kStampStateBits = 3;
inline constexpr int kStampProducerShift = kStampPositionBits;
inline constexpr int kStampStateShift = kStampProducerShift + kStampProducerBits;
static_assert(kStampStateShift + kStampStateBits == 64);
inline constexpr uint64_t kStampPositionMask = (uint64_t{1} << kStampPositionBits) - 1;
inline constexpr uint32_t kRingMaxProducers = uint32_t{1} << kStampProducerBits;

constexpr uint64_t MakeStamp(uint64_t position, uint32_t producer, SlotState state) {
  return (position & kStampPositionMask) | (uint64_t{producer} << kStampProducerShift) |
         (uint64_t{static_cast<uint32_t>(state)} << kStampStateShift);
}
constexpr uint64_t StampPosition(uint64_t stamp) { return stamp & kStampPositionMask; }
constexpr uint32_t StampProducer(uint64_t stamp) {
  return static_cast<uint32_t>(stamp >> kStampProducerShift) & (kRingMaxProducers - 1);
}
constexpr SlotState StampState(uint64_t stamp) {
  return static_cast<SlotState>(stamp >> kStampStateShift);
}
// a - b for two 48-bit positions, as a signed distance (positions compare modulo 2^48).
constexpr int64_t PositionDistance(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(((a - b) & kStampPositionMask) << (64 - kStampPositionBits)) >>
         (64 - kStampPositionBits);
}

// The header. "Owner" is the process that created the ring; it writes the constant fields once,
// before the file appears under its name, so a reader never sees a half-initialised header.
struct RingHeader {
  // Cache line 0: identity and geometry. Constant; written by the owner at creation.
  char magic[4];                   // "VMPT"
  uint32_t version;                // kRingVersion
  uint32_t header_size;            // bytes before the first record: a multiple of 4096
  uint32_t record_size;            // 64
  uint64_t capacity;               // records, a power of two
  uint32_t mode;                   // RingMode
  uint32_t owner_pid;              // the creating process
  uint64_t owner_start_time;       // its start time (/proc/<pid>/stat field 22), to tell a reused
                                   // pid from the owner
  uint32_t max_producers;          // entries in the producer table, [1, kRingMaxProducers]
  uint32_t producer_entry_size;    // 64
  uint64_t producer_table_offset;  // from the start of the header; a multiple of 64
  uint64_t first_position;         // the position of the first record: == capacity
  // Cache line 1: the clock events are stamped with (ClockInfo). Constant.
  char clock_name[16];  // NUL-padded
  double ticks_per_second;
  uint64_t base_ticks;
  uint64_t base_monotonic_ns;
  uint64_t reserved1[3];
  // Cache line 2. Producers: the next position to reserve (fetch_add, or a CAS loop in
  // kDropNewest mode; relaxed: the stamps order everything else).
  uint64_t head;
  uint64_t reserved2[7];
  // Cache line 3. Reader: the next position it will read, published (release) after each Read.
  // kDropNewest producers load it (acquire) to see whether the ring is full.
  uint64_t tail;
  uint64_t reserved3[7];
  // Cache line 4. The reader that owns the ring (pid, 0 = none; claimed by CAS from 0 or from a
  // dead pid), and `requests`: bit 0 = the reader asks for a snapshot (reader sets it with
  // fetch_or, the owner clears it with exchange).
  uint32_t reader_pid;
  uint32_t requests;
  uint64_t reserved4[7];
  // Cache line 5. Producers: table entries handed out so far, including entry 0 (fetch_add;
  // may exceed max_producers, which readers clamp to).
  uint32_t producer_count;
  uint32_t reserved5[15];
  // Cache lines 6, 7: reserved (zero).
  uint64_t reserved6[16];
};
static_assert(sizeof(RingHeader) == 512);
static_assert(offsetof(RingHeader, capacity) == 16);
static_assert(offsetof(RingHeader, owner_start_time) == 32);
static_assert(offsetof(RingHeader, first_position) == 56);
static_assert(offsetof(RingHeader, clock_name) == 64);
static_assert(offsetof(RingHeader, ticks_per_second) == 80);
static_assert(offsetof(RingHeader, head) == 128);
static_assert(offsetof(RingHeader, tail) == 192);
static_assert(offsetof(RingHeader, reader_pid) == 256);
static_assert(offsetof(RingHeader, requests) == 260);
static_assert(offsetof(RingHeader, producer_count) == 320);

// One producer: a thread of some process. Entry 0 stands for "unknown" (table full, or a position
// given up before its producer claimed the slot). tid and pid are written once by the producer
// when it registers; `committed` by the producer itself; the loss counters by whoever detects
// the loss (fetch_add, relaxed: they are statistics, exact once everyone is quiet).
struct RingProducerEntry {
  uint32_t tid;
  uint32_t pid;
  uint64_t committed;      // records committed
  uint64_t overwritten;    // lost: a later lap took the slot before the reader took the record
  uint64_t dropped;        // lost: kDropNewest and the ring was full
  uint64_t abandoned;      // lost: given up by the reader (producer dead or too slow), or its
                           // position was given up before the producer reached its slot
  uint64_t blocked;        // lost: the slot was still held by a stalled writer of an earlier lap
  uint64_t commit_failed;  // not a loss of its own: how many of the records above lost while
                           // being written, the producer found out about at commit
  uint64_t reserved;
};
static_assert(sizeof(RingProducerEntry) == kRingProducerEntrySize);

struct alignas(64) RingRecord {
  uint64_t stamp;
  uint64_t payload[7];  // the Event's 56 bytes
};
static_assert(sizeof(RingRecord) == kRingRecordSize);
static_assert(sizeof(Event) == sizeof(RingRecord::payload));

}  // namespace vmpl::trace

#endif  // VMPL_TRACE_RING_ABI_H_
