// vmpl::trace::Ring and RingReader: the lock-free, multi-producer ring of trace events, in shared
// memory so that another process reads it live.
//
// What it is. A fixed array of 64-byte records (an 8-byte commit word, the "stamp", and a 56-byte
// vmpl::trace::Event) behind a header, in a file of /dev/shm (`/dev/shm/vmpl.<pid>`, mode 0600)
// or in an anonymous shared mapping for in-process use; the same code drives both. Any number of
// threads write events (Write: no lock, no syscall, no allocation); one reader, in this process
// or another, takes them out in order (Read). The layout is a versioned format of its own,
// documented byte for byte in docs/ring-format.md; RingHeader, RingProducerEntry and RingRecord
// below are that layout.
//
// When to use it. It is the transport between the page-list trace hooks (<vmpl/trace.h>) and
// whoever records them: `vmpl trace record --pid` in another process, or the process itself.
// It carries Events and never looks inside them. For a trace that must survive the process, the
// reader writes a trace file (docs/trace-format.md); the ring is only the live buffer.
//
// Losses. A full ring either overwrites its oldest records (RingMode::kOverwrite, the default: a
// producer never waits for the reader) or refuses new ones (kDropNewest). Every record that is
// not delivered is counted exactly once, against the producer that wrote it, in the ring's
// producer table (RingProducerEntry: overwritten, dropped, abandoned, blocked). When all
// producers have stopped and the reader has read up to the head:
//     records delivered + sum of losses == Write() calls,   per producer and in total.
//
// Synopsis:
//   struct RingOptions { capacity, mode, shared, name, max_producers, clock };
//   class Ring {                                            // the owner; producers call Write
//     static std::unique_ptr<Ring> Create(const RingOptions&, std::string* error);
//     bool Write(const Event&);                             // true: committed
//     bool TakeSnapshotRequest();                           // a reader asked for a snapshot
//     std::vector<ProducerStats> Producers() const;  RingTotals Totals() const;
//   };
//   class RingReader {                                      // the one reader
//     static std::unique_ptr<RingReader> Attach(pid_t, std::string* error, ReaderOptions = {});
//     static std::unique_ptr<RingReader> AttachPath(path, error, ReaderOptions = {});
//     static std::unique_ptr<RingReader> AttachInProcess(Ring&, error, ReaderOptions = {});
//     size_t Read(ReadRecord* out, size_t max);             // never blocks
//     void RequestSnapshot();
//     std::vector<ProducerStats> Producers() const;  RingTotals Totals() const;
//     std::vector<std::string> Check() const;               // the invariants below
//   };
//
// Threads and processes. Write may be called from any thread of any process that maps the ring
// (a child forked after Create writes through the inherited mapping under its own producer
// entry). Read, RequestSnapshot and the other RingReader methods are for one thread of the one
// reader. The Ring object is owned by the process that created it; its destructor unmaps and
// unlinks the file, so it must outlive every Write, and a forked child must leave with _exit()
// rather than destroy the parent's ring.

#ifndef VMPL_TRACE_RING_H_
#define VMPL_TRACE_RING_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vmpl/trace_clock.h>
#include <vmpl/trace_event.h>

#include <memory>
#include <string>
#include <vector>

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

// Checks the header of a mapping of |size| bytes (untrusted: another process wrote it): magic,
// version, sizes, capacity a power of two consistent with |size|, producer table in range. On
// failure returns false and sets |*error| to what is wrong, prefixed with |where|.
bool ValidateRingHeader(const void* mapping, uint64_t size, const std::string& where,
                        std::string* error);

// "/dev/shm/vmpl.<pid>", where Attach(pid) looks.
std::string RingPathForPid(pid_t pid);

// ================================================================================================
// The owner and producers.
// ================================================================================================

struct RingOptions {
  uint64_t capacity = uint64_t{1} << 18;  // records (64 bytes each): 16 MiB
  RingMode mode = RingMode::kOverwrite;
  // true: a file in /dev/shm another process can attach to; false: an anonymous shared mapping
  // (in-process readers, and children forked after Create).
  bool shared = true;
  // File name in /dev/shm; empty: "vmpl.<pid>". Tests give each ring its own.
  std::string name;
  uint32_t max_producers = 1024;
  ClockInfo clock;
};

// A producer's counters (RingProducerEntry), as read from the table.
struct ProducerStats {
  uint32_t index = 0;
  uint32_t tid = 0;
  uint32_t pid = 0;
  uint64_t committed = 0;
  uint64_t overwritten = 0;
  uint64_t dropped = 0;
  uint64_t abandoned = 0;
  uint64_t blocked = 0;
  uint64_t commit_failed = 0;
  uint64_t lost() const { return overwritten + dropped + abandoned + blocked; }
};

// The same counters summed over the table, and the head.
struct RingTotals {
  uint64_t head = 0;  // next position to reserve (reserved so far: head - first_position)
  uint64_t committed = 0;
  uint64_t overwritten = 0;
  uint64_t dropped = 0;
  uint64_t abandoned = 0;
  uint64_t blocked = 0;
  uint64_t commit_failed = 0;
  uint64_t lost() const { return overwritten + dropped + abandoned + blocked; }
};

// The owner's handle on a ring, and the producers' entry point.
//
// Ownership: the creating process owns the mapping and the file name; ~Ring unmaps and unlinks
// (only in the creating process, and only if the name still names its file). Threads: Write and
// TakeSnapshotRequest from any thread, for as long as the Ring lives; Producers and Totals from
// any thread (statistics, exact when producers are quiet). Create and the destructor from one
// thread, with no Write in flight. Invariants (RingReader::Check verifies them from the reader's
// side): the header never changes after Create except head, tail, reader_pid, requests and
// producer_count; head only grows; a slot's stamp only moves to a later position or a later
// state of the same position, as the transition table above says.
class Ring {
 public:
  // Creates the ring. Shared: an unnamed file in /dev/shm is sized, mapped and initialised, then
  // linked under its name, so the name only ever names a complete ring; an existing file of that
  // name is replaced if it is a ring whose owner is gone (a previous process with our pid, or a
  // crashed test), and refused otherwise. Returns null and sets |*error| on failure.
  static std::unique_ptr<Ring> Create(const RingOptions& options, std::string* error);
  // Unmaps, and unlinks the file if it is still the one we created.
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Appends |event|. Returns true if it was committed (it will be delivered unless a later lap
  // overwrites it first, which is then counted), false if it was lost (counted). Lock-free: no
  // lock, syscall or allocation, except on a thread's first Write to this ring (registration:
  // gettid, getpid, a scan of the producer table).
  bool Write(const Event& event);

  // True once per reader request for a snapshot (clears it). One relaxed load when none.
  bool TakeSnapshotRequest();

  std::vector<ProducerStats> Producers() const;
  RingTotals Totals() const;

  const std::string& path() const { return path_; }  // empty for a private ring
  uint64_t capacity() const { return capacity_; }
  RingMode mode() const { return mode_; }

  // Test support: the steps of Write, split so a test can stop a producer in the middle.
  // BeginWriteForTesting reserves a position and, if |claim_slot|, claims its slot (kWriting)
  // and stores nothing; FinishWriteForTesting does the rest of Write (claiming first if Begin
  // did not). A producer that never finishes is one that died mid-record.
  struct PendingWrite {
    bool reserved = false;  // false: dropped (kDropNewest, ring full); nothing to finish
    bool claimed = false;
    bool lost = false;  // the claim found the position already given up (counted)
    uint64_t position = 0;
    uint32_t producer = 0;
  };
  PendingWrite BeginWriteForTesting(bool claim_slot);
  bool FinishWriteForTesting(const PendingWrite& pending, const Event& event);

 private:
  friend class RingReader;
  enum class Claim { kClaimed, kLost };

  Ring() = default;
  uint32_t ProducerIndex();
  uint32_t RegisterProducer();
  bool Reserve(uint32_t me, uint64_t* position);
  Claim ClaimSlot(uint32_t me, uint64_t position);
  bool StoreAndCommit(uint32_t me, uint64_t position, const Event& event);
  RingProducerEntry& producer(uint32_t index) { return producers_[index]; }

  uint64_t serial_ = 0;  // process-unique, keys the thread-local producer-index cache
  RingHeader* header_ = nullptr;
  RingProducerEntry* producers_ = nullptr;
  RingRecord* records_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t mask_ = 0;
  uint32_t max_producers_ = 0;
  RingMode mode_ = RingMode::kOverwrite;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  std::string path_;
  uint32_t creator_pid_ = 0;
  uint64_t file_dev_ = 0;
  uint64_t file_ino_ = 0;
};

// ================================================================================================
// The reader.
// ================================================================================================

struct ReaderOptions {
  // A record its producer has not finished is waited for, in order, for at most this long; then
  // it is given up (counted as abandoned) and reading goes on. A producer thread that is gone is
  // not waited for: checked from dead_check_after_ns on, at most once per that interval.
  uint64_t abandon_timeout_ns = 200'000'000;
  uint64_t dead_check_after_ns = 1'000'000;
};

struct ReadRecord {
  uint32_t producer;  // index in the producer table (0: unknown)
  Event event;
};

// What the header says about the ring (validated at attach).
struct RingInfo {
  std::string path;  // empty for a private ring read in process
  uint64_t capacity = 0;
  RingMode mode = RingMode::kOverwrite;
  uint32_t owner_pid = 0;
  uint64_t owner_start_time = 0;
  uint32_t max_producers = 0;
  uint64_t first_position = 0;
  ClockInfo clock;
};

// The one reader of a ring: in the owning process (AttachInProcess) or in another (Attach,
// AttachPath). It claims the ring in the header (reader_pid) for its lifetime, so a second
// reader is refused; it owns the mapping it made, if any. All of its methods are for one thread.
// Everything it reads from the mapping is treated as untrusted; Check lists what it found wrong.
class RingReader {
 public:
  // Attaches to the ring of process |pid| (RingPathForPid). On failure returns null and sets
  // |*error|: no such ring, permission, not a ring / unknown version / inconsistent sizes (each
  // with its own message), or another live reader owns it.
  static std::unique_ptr<RingReader> Attach(pid_t pid, std::string* error,
                                            const ReaderOptions& options = {});
  static std::unique_ptr<RingReader> AttachPath(const std::string& path, std::string* error,
                                                const ReaderOptions& options = {});
  // Reads |ring| from this process (shared or private). |ring| must outlive the reader.
  static std::unique_ptr<RingReader> AttachInProcess(Ring& ring, std::string* error,
                                                     const ReaderOptions& options = {});
  // Detaches: gives up the reader claim (and unmaps what Attach mapped).
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Copies up to |max| records, in position order, into |out|, and returns how many. Never
  // blocks: stops at the first record still being written (or reserved and not yet claimed),
  // and gives it up on a later call once its producer is dead or abandon_timeout_ns has passed
  // since it was first seen. Never returns a record twice or a torn record. Bounded work per
  // call (at most max + capacity slots examined).
  size_t Read(ReadRecord* out, size_t max);

  // Asks the owner for a snapshot (Ring::TakeSnapshotRequest).
  void RequestSnapshot();

  std::vector<ProducerStats> Producers() const;
  RingTotals Totals() const;
  const RingInfo& info() const { return info_; }
  // The next position Read will look at.
  uint64_t position() const { return position_; }
  // Whether the owning process still exists (same pid and start time).
  bool OwnerAlive() const;

  // The ring's invariants, as far as a reader can see them; each problem found, empty if none:
  //   1. the header is valid (ValidateRingHeader);
  //   2. every slot's stamp holds a position of that slot (p & (capacity-1) == slot index), no
  //      further ahead of the head than one lap, a known state and a producer in the table;
  //   3. tail <= head.
  // Meaningful at any time (no producer breaks them mid-write); tests call it after each phase.
  std::vector<std::string> Check() const;

 private:
  RingReader() = default;
  static std::unique_ptr<RingReader> FromMapping(void* mapping, size_t size, bool owns_mapping,
                                                 const std::string& path, std::string* error,
                                                 const ReaderOptions& options);
  bool ClaimReader(const std::string& where, std::string* error);
  // Decides what to do with the record at |position| whose stamp is |stamp| (not committed, not
  // given up). Returns true if the position was given up (and counted), false to stop for now.
  bool ResolvePending(uint64_t position, uint64_t stamp);
  bool ProducerGone(uint32_t index);
  void ReleaseIfWriterGone(RingRecord& record, uint64_t stamp);
  uint64_t NowNs() const;

  ReaderOptions options_;
  RingInfo info_;
  RingHeader* header_ = nullptr;
  RingProducerEntry* producers_ = nullptr;
  RingRecord* records_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t mask_ = 0;
  uint32_t max_producers_ = 0;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  bool owns_mapping_ = false;
  uint32_t self_pid_ = 0;
  bool claimed_ = false;

  uint64_t position_ = 0;
  // The position Read stopped at, and since when (CLOCK_MONOTONIC ns).
  uint64_t pending_position_ = 0;
  uint64_t pending_since_ns_ = 0;
  bool pending_ = false;
  uint64_t last_dead_check_ns_ = 0;
};

}  // namespace vmpl::trace

#endif  // VMPL_TRACE_RING_H_
