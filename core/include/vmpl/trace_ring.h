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
#include <vmpl/trace_ring_abi.h>

#include <memory>
#include <string>
#include <vector>

namespace vmpl::trace {

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
