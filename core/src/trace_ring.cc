// vmpl::trace::Ring (owner and producers) and RingReader. The layout, the stamp states and who
// counts which loss are described in <vmpl/trace_ring.h>; the byte-level format for readers in
// other processes and languages is docs/ring-format.md.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vmpl/trace_ring.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <optional>
#include <string>
#include <utility>

namespace vmpl::trace {
namespace {

static_assert(std::atomic_ref<uint64_t>::is_always_lock_free);
static_assert(std::atomic_ref<uint32_t>::is_always_lock_free);
static_assert(kRingMaxCapacity < (uint64_t{1} << (kStampPositionBits - 2)),
              "positions must compare unambiguously modulo 2^48 across a few laps");

constexpr char kShmDirectory[] = "/dev/shm";
constexpr uint64_t kTableOffset = sizeof(RingHeader);
// The header's constant part: identity, geometry and clock (cache lines 0 and 1).
constexpr size_t kConstantBytes = offsetof(RingHeader, head);

// ------------------------------------------------------------------------------------------------
// Atomic access to the shared structs: every field is a plain integer. Once the ring is
// published, the fields that change (head, tail, reader_pid, requests, producer_count, the table,
// the records) are touched only through std::atomic_ref, so two threads of this process racing on
// one race on atomics (which TSan understands); the constant ones are plain reads. Nothing read
// from the mapping is trusted to be in range.

template <typename T>
std::atomic_ref<T> Atomic(T& field) {
  return std::atomic_ref<T>(field);
}
template <typename T>
T Relaxed(const T& field) {
  return std::atomic_ref<T>(const_cast<T&>(field)).load(std::memory_order_relaxed);
}

using Counter = uint64_t RingProducerEntry::*;

// Adds |n| to a counter of entry |index| (entry 0 when the index comes from a stamp another
// process could have scribbled on and is outside the table).
void CountLoss(RingProducerEntry* table, uint32_t table_size, uint32_t index, Counter counter,
               uint64_t n = 1) {
  if (index >= table_size) {
    index = 0;
  }
  Atomic(table[index].*counter).fetch_add(n, std::memory_order_relaxed);
}
void UncountLoss(RingProducerEntry* table, uint32_t table_size, uint32_t index, Counter counter,
                 uint64_t n = 1) {
  if (index >= table_size) {
    index = 0;
  }
  Atomic(table[index].*counter).fetch_sub(n, std::memory_order_relaxed);
}

// Positions reserved between two stamps of one slot that nobody claimed: a stamp moving from
// position |from| to |from + distance| skips distance / capacity - 1 of them. A distance that is
// not a whole number of laps can only come from a scribbled stamp; it skips nothing.
uint64_t SkippedLaps(int64_t distance, uint64_t capacity) {
  const auto d = static_cast<uint64_t>(distance);
  if (distance <= 0 || d % capacity != 0) {
    return 0;
  }
  return d / capacity - 1;
}

std::vector<ProducerStats> ReadProducerTable(const RingHeader* header,
                                             const RingProducerEntry* table, uint32_t table_size) {
  const uint32_t count = std::clamp<uint32_t>(Relaxed(header->producer_count), 1, table_size);
  std::vector<ProducerStats> stats(count);
  for (uint32_t i = 0; i < count; ++i) {
    const RingProducerEntry& entry = table[i];
    ProducerStats& s = stats[i];
    s.index = i;
    s.tid = Relaxed(entry.tid);
    s.pid = Relaxed(entry.pid);
    s.committed = Relaxed(entry.committed);
    s.overwritten = Relaxed(entry.overwritten);
    s.dropped = Relaxed(entry.dropped);
    s.abandoned = Relaxed(entry.abandoned);
    s.blocked = Relaxed(entry.blocked);
    s.commit_failed = Relaxed(entry.commit_failed);
  }
  return stats;
}

RingTotals SumProducers(const RingHeader* header, const std::vector<ProducerStats>& stats) {
  RingTotals totals;
  totals.head = Atomic(const_cast<uint64_t&>(header->head)).load(std::memory_order_acquire);
  for (const ProducerStats& s : stats) {
    totals.committed += s.committed;
    totals.overwritten += s.overwritten;
    totals.dropped += s.dropped;
    totals.abandoned += s.abandoned;
    totals.blocked += s.blocked;
    totals.commit_failed += s.commit_failed;
  }
  return totals;
}

// ------------------------------------------------------------------------------------------------
// Processes and threads, from /proc: whether the owner, a reader or a producer thread still
// exists. A zombie (killed, not yet reaped) counts as gone: it will never write again.

struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;  // field 22, clock ticks after boot
};

std::optional<ProcStat> ReadProcStat(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  char buffer[1024];
  const ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
  close(fd);
  if (n <= 0) {
    return std::nullopt;
  }
  buffer[n] = '\0';
  ProcStat stat;
  // The command name (field 2) is in parentheses and may hold anything, spaces and ')'
  // included: the fields we want follow the last ')'.
  const char* p = strrchr(buffer, ')');
  if (p == nullptr || p[1] != ' ' || p[2] == '\0') {
    return stat;
  }
  p += 2;
  stat.state = *p;
  for (int field = 3; field < 22 && p != nullptr; ++field) {
    p = strchr(p, ' ');
    if (p != nullptr) {
      ++p;
    }
  }
  if (p != nullptr) {
    stat.start_time = strtoull(p, nullptr, 10);
  }
  return stat;
}

// Without /proc nothing can be known to be gone: only timeouts apply.
bool ProcAvailable() {
  static const bool available = ReadProcStat("/proc/self/stat").has_value();
  return available;
}

bool Gone(const std::optional<ProcStat>& stat) {
  return !stat.has_value() || stat->state == 'Z' || stat->state == 'X';
}

bool ProcessGone(uint32_t pid) {
  return ProcAvailable() && Gone(ReadProcStat("/proc/" + std::to_string(pid) + "/stat"));
}

bool ThreadGone(uint32_t pid, uint32_t tid) {
  return ProcAvailable() && Gone(ReadProcStat("/proc/" + std::to_string(pid) + "/task/" +
                                              std::to_string(tid) + "/stat"));
}

// The owner of a ring is (pid, start time): a process with the same pid and another start time
// reused the pid of a dead owner.
bool OwnerGone(uint32_t pid, uint64_t start_time) {
  if (!ProcAvailable()) {
    return false;
  }
  const std::optional<ProcStat> stat = ReadProcStat("/proc/" + std::to_string(pid) + "/stat");
  return Gone(stat) || (start_time != 0 && stat->start_time != start_time);
}

uint64_t SelfStartTime() {
  const std::optional<ProcStat> stat = ReadProcStat("/proc/self/stat");
  return stat ? stat->start_time : 0;
}

std::string ErrnoText(int error) { return std::string(strerror(error)); }

void SetError(std::string* error, std::string text) {
  if (error != nullptr) {
    *error = std::move(text);
  }
}

// ------------------------------------------------------------------------------------------------
// The thread-local producer index. Each thread remembers its entry in the last few rings it wrote
// to, keyed by the ring's serial (rings are created and destroyed, and a new one may get an old
// one's address). A miss looks the thread up in the ring's own table (tid, pid) before taking a
// new entry, so a thread that cycles over more rings than the cache holds does not use up the
// table. A forked child starts with an empty cache: its thread is a new producer.

struct ProducerCacheEntry {
  uint64_t serial;
  uint32_t index;
};
constexpr int kProducerCacheSize = 4;
thread_local ProducerCacheEntry t_producer_cache[kProducerCacheSize];

void ForgetProducersInChild() {
  for (ProducerCacheEntry& entry : t_producer_cache) {
    entry = {};
  }
}

std::atomic<uint64_t> g_next_serial{1};

bool ValidName(const std::string& name) {
  return !name.empty() && name.size() <= 200 && name != "." && name != ".." &&
         name.find('/') == std::string::npos;
}

// Whether the file at |path| is a ring whose owner is gone (then it may be replaced). Sets
// |*why| to why not otherwise.
bool IsStaleRing(const std::string& path, std::string* why) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    *why = path + " already exists and cannot be opened (" + ErrnoText(errno) + ")";
    return false;
  }
  RingHeader header;
  const ssize_t n = pread(fd, &header, sizeof(header), 0);
  close(fd);
  if (n != static_cast<ssize_t>(sizeof(header)) ||
      memcmp(header.magic, kRingMagic, sizeof(kRingMagic)) != 0) {
    *why = path + " already exists and is not a vmpl ring; not replacing it";
    return false;
  }
  if (!OwnerGone(header.owner_pid, header.owner_start_time)) {
    *why = path + " already exists: the ring of live process " + std::to_string(header.owner_pid);
    return false;
  }
  return true;
}

}  // namespace

std::string RingPathForPid(pid_t pid) {
  return std::string(kShmDirectory) + "/vmpl." + std::to_string(pid);
}

// ================================================================================================
// Header validation (untrusted input).

bool ValidateRingHeader(const void* mapping, uint64_t size, const std::string& where,
                        std::string* error) {
  auto fail = [&](const std::string& what) {
    SetError(error, where + ": " + what);
    return false;
  };
  if (size < sizeof(RingHeader)) {
    return fail(std::to_string(size) + " bytes, too small for a ring header (" +
                std::to_string(sizeof(RingHeader)) + " bytes)");
  }
  // The identity and clock lines are constant once the file has its name: a copy is as good as
  // the original, and every check below works on the copy. (The lines after them change under
  // the producers' and the reader's atomics; they are not copied.)
  RingHeader h{};
  memcpy(&h, mapping, kConstantBytes);
  if (memcmp(h.magic, kRingMagic, sizeof(kRingMagic)) != 0) {
    char text[64];
    snprintf(text, sizeof(text), "bad magic %02x %02x %02x %02x (expected \"VMPT\")",
             static_cast<unsigned char>(h.magic[0]), static_cast<unsigned char>(h.magic[1]),
             static_cast<unsigned char>(h.magic[2]), static_cast<unsigned char>(h.magic[3]));
    return fail(std::string(text) + ": not a vmpl trace ring");
  }
  if (h.version != kRingVersion) {
    return fail("ring format version " + std::to_string(h.version) +
                ", this reader knows version " + std::to_string(kRingVersion));
  }
  if (h.record_size != kRingRecordSize) {
    return fail("record size " + std::to_string(h.record_size) + ", expected " +
                std::to_string(kRingRecordSize));
  }
  if (h.producer_entry_size != kRingProducerEntrySize) {
    return fail("producer entry size " + std::to_string(h.producer_entry_size) + ", expected " +
                std::to_string(kRingProducerEntrySize));
  }
  if (h.header_size % kRingPageSize != 0 || h.header_size < sizeof(RingHeader)) {
    return fail("header size " + std::to_string(h.header_size) +
                " is not a multiple of 4096 of at least " + std::to_string(sizeof(RingHeader)));
  }
  if (h.max_producers < 1 || h.max_producers > kRingMaxProducers) {
    return fail("max_producers " + std::to_string(h.max_producers) + " outside [1, " +
                std::to_string(kRingMaxProducers) + "]");
  }
  const uint64_t table_end =
      h.producer_table_offset + uint64_t{h.max_producers} * kRingProducerEntrySize;
  if (h.producer_table_offset < sizeof(RingHeader) || h.producer_table_offset % 64 != 0 ||
      h.producer_table_offset > h.header_size || table_end > h.header_size) {
    return fail("producer table at offset " + std::to_string(h.producer_table_offset) + " (" +
                std::to_string(h.max_producers) + " entries) does not fit in the " +
                std::to_string(h.header_size) + "-byte header");
  }
  if (!std::has_single_bit(h.capacity) || h.capacity < kRingMinCapacity ||
      h.capacity > kRingMaxCapacity) {
    return fail("capacity " + std::to_string(h.capacity) + " is not a power of two in [" +
                std::to_string(kRingMinCapacity) + ", " + std::to_string(kRingMaxCapacity) + "]");
  }
  if (h.first_position != h.capacity) {
    return fail("first position " + std::to_string(h.first_position) + ", expected " +
                std::to_string(h.capacity) + " (the capacity)");
  }
  if (h.mode != static_cast<uint32_t>(RingMode::kOverwrite) &&
      h.mode != static_cast<uint32_t>(RingMode::kDropNewest)) {
    return fail("unknown mode " + std::to_string(h.mode));
  }
  const uint64_t expected_size = uint64_t{h.header_size} + h.capacity * kRingRecordSize;
  if (size != expected_size) {
    return fail("file is " + std::to_string(size) + " bytes, but a " +
                std::to_string(h.header_size) + "-byte header and " + std::to_string(h.capacity) +
                " records make " + std::to_string(expected_size));
  }
  return true;
}

// ================================================================================================
// Ring: creation.

std::unique_ptr<Ring> Ring::Create(const RingOptions& options, std::string* error) {
  // A forked child's thread is a new producer; see ForgetProducersInChild.
  static const int atfork = pthread_atfork(nullptr, nullptr, &ForgetProducersInChild);
  (void)atfork;

  if (!std::has_single_bit(options.capacity) || options.capacity < kRingMinCapacity ||
      options.capacity > kRingMaxCapacity) {
    SetError(error, "ring capacity " + std::to_string(options.capacity) +
                        " is not a power of two in [" + std::to_string(kRingMinCapacity) + ", " +
                        std::to_string(kRingMaxCapacity) + "]");
    return nullptr;
  }
  if (options.max_producers < 1 || options.max_producers > kRingMaxProducers) {
    SetError(error, "max_producers " + std::to_string(options.max_producers) + " outside [1, " +
                        std::to_string(kRingMaxProducers) + "]");
    return nullptr;
  }
  const uint64_t table_bytes = uint64_t{options.max_producers} * kRingProducerEntrySize;
  const uint64_t header_size =
      (kTableOffset + table_bytes + kRingPageSize - 1) / kRingPageSize * kRingPageSize;
  const uint64_t size = header_size + options.capacity * kRingRecordSize;

  std::unique_ptr<Ring> ring(new Ring);
  int fd = -1;
  if (options.shared) {
    const std::string name =
        options.name.empty() ? "vmpl." + std::to_string(getpid()) : options.name;
    if (!ValidName(name)) {
      SetError(error, "ring name \"" + name + "\" is not a plain file name");
      return nullptr;
    }
    ring->path_ = std::string(kShmDirectory) + "/" + name;
    // Unnamed until it is complete (linked below): no reader ever sees a half-made ring.
    fd = open(kShmDirectory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
      SetError(error,
               std::string("cannot create a file in ") + kShmDirectory + ": " + ErrnoText(errno));
      return nullptr;
    }
    // fallocate, not ftruncate: a full tmpfs fails here rather than with SIGBUS on first touch.
    const int falloc =
        fchmod(fd, 0600) == 0 ? posix_fallocate(fd, 0, static_cast<off_t>(size)) : errno;
    if (falloc != 0) {
      SetError(error, "cannot allocate " + std::to_string(size) + " bytes for " + ring->path_ +
                          ": " + ErrnoText(falloc));
      close(fd);
      return nullptr;
    }
  }
  void* mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                       MAP_SHARED | (options.shared ? 0 : MAP_ANONYMOUS), fd, 0);
  if (mapping == MAP_FAILED) {
    SetError(error,
             "cannot map " + std::to_string(size) + " bytes for the ring: " + ErrnoText(errno));
    if (fd >= 0) {
      close(fd);
    }
    return nullptr;
  }
  ring->mapping_ = mapping;
  ring->mapping_size_ = size;
  ring->serial_ = g_next_serial.fetch_add(1, std::memory_order_relaxed);
  ring->creator_pid_ = static_cast<uint32_t>(getpid());
  ring->header_ = static_cast<RingHeader*>(mapping);
  ring->producers_ =
      reinterpret_cast<RingProducerEntry*>(static_cast<char*>(mapping) + kTableOffset);
  ring->records_ = reinterpret_cast<RingRecord*>(static_cast<char*>(mapping) + header_size);
  ring->capacity_ = options.capacity;
  ring->mask_ = options.capacity - 1;
  ring->max_producers_ = options.max_producers;
  ring->mode_ = options.mode;

  // The mapping is fresh zeroes; fill in the rest. Nobody else can see it yet.
  RingHeader& h = *ring->header_;
  memcpy(h.magic, kRingMagic, sizeof(kRingMagic));
  h.version = kRingVersion;
  h.header_size = static_cast<uint32_t>(header_size);
  h.record_size = kRingRecordSize;
  h.capacity = options.capacity;
  h.mode = static_cast<uint32_t>(options.mode);
  h.owner_pid = static_cast<uint32_t>(getpid());
  h.owner_start_time = SelfStartTime();
  h.max_producers = options.max_producers;
  h.producer_entry_size = kRingProducerEntrySize;
  h.producer_table_offset = kTableOffset;
  h.first_position = options.capacity;
  static_assert(sizeof(h.clock_name) == sizeof(options.clock.name));
  memcpy(h.clock_name, options.clock.name, sizeof(h.clock_name));
  h.clock_name[sizeof(h.clock_name) - 1] = '\0';
  h.ticks_per_second = options.clock.ticks_per_second;
  h.base_ticks = options.clock.base_ticks;
  h.base_monotonic_ns = options.clock.base_monotonic_ns;
  h.head = options.capacity;
  h.tail = options.capacity;
  h.producer_count = 1;  // entry 0 is "unknown"
  // Slot i starts out holding position i, free: the first lap (positions capacity ...) claims
  // each slot from a stamp exactly one lap behind it, like every later lap.
  for (uint64_t i = 0; i < options.capacity; ++i) {
    ring->records_[i].stamp = MakeStamp(i, 0, SlotState::kEmpty);
  }

  if (options.shared) {
    // Give the file its name. An existing ring of the same name whose owner is gone (a previous
    // process with our pid, a crashed test) is replaced, once.
    const std::string fd_path = "/proc/self/fd/" + std::to_string(fd);
    for (int attempt = 0;; ++attempt) {
      if (linkat(AT_FDCWD, fd_path.c_str(), AT_FDCWD, ring->path_.c_str(), AT_SYMLINK_FOLLOW) ==
          0) {
        break;
      }
      const int link_error = errno;
      std::string why;
      if (link_error == EEXIST && attempt == 0 && IsStaleRing(ring->path_, &why)) {
        unlink(ring->path_.c_str());
        continue;
      }
      SetError(error, link_error == EEXIST
                          ? why
                          : "cannot create " + ring->path_ + ": " + ErrnoText(link_error));
      close(fd);
      ring->path_.clear();  // not ours: the destructor must not unlink it
      return nullptr;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
      ring->file_dev_ = st.st_dev;
      ring->file_ino_ = st.st_ino;
    }
    close(fd);
  }
  return ring;
}

Ring::~Ring() {
  if (mapping_ != nullptr) {
    munmap(mapping_, mapping_size_);
  }
  // Only the creating process removes the name (a forked child that destroys its inherited copy
  // leaves it), and only if it still names our file.
  struct stat st;
  if (!path_.empty() && static_cast<uint32_t>(getpid()) == creator_pid_ &&
      stat(path_.c_str(), &st) == 0 && st.st_dev == file_dev_ && st.st_ino == file_ino_) {
    unlink(path_.c_str());
  }
}

// ================================================================================================
// Ring: producers.

uint32_t Ring::ProducerIndex() {
  if (t_producer_cache[0].serial == serial_) [[likely]] {
    return t_producer_cache[0].index;
  }
  return RegisterProducer();
}

uint32_t Ring::RegisterProducer() {
  uint32_t index = 0;
  int found = kProducerCacheSize - 1;  // the entry to drop (the oldest) unless we hit
  bool hit = false;
  for (int i = 1; i < kProducerCacheSize; ++i) {
    if (t_producer_cache[i].serial == serial_) {
      index = t_producer_cache[i].index;
      found = i;
      hit = true;
      break;
    }
  }
  if (!hit) {
    const auto tid = static_cast<uint32_t>(gettid());
    const auto pid = static_cast<uint32_t>(getpid());
    const uint32_t count =
        std::min(Atomic(header_->producer_count).load(std::memory_order_acquire), max_producers_);
    for (uint32_t i = 1; i < count && index == 0; ++i) {
      if (Relaxed(producers_[i].tid) == tid && Relaxed(producers_[i].pid) == pid) {
        index = i;
      }
    }
    if (index == 0) {
      const uint32_t taken =
          Atomic(header_->producer_count).fetch_add(1, std::memory_order_acq_rel);
      if (taken < max_producers_) {
        index = taken;
        Atomic(producers_[index].pid).store(pid, std::memory_order_relaxed);
        Atomic(producers_[index].tid).store(tid, std::memory_order_relaxed);
      }
    }
  }
  // Most recent first.
  for (int i = found; i > 0; --i) {
    t_producer_cache[i] = t_producer_cache[i - 1];
  }
  t_producer_cache[0] = {serial_, index};
  return index;
}

bool Ring::Reserve(uint32_t me, uint64_t* position) {
  auto head = Atomic(header_->head);
  if (mode_ == RingMode::kOverwrite) {
    *position = head.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  uint64_t h = head.load(std::memory_order_relaxed);
  for (;;) {
    // The reader publishes tail after taking records; a stale (smaller) tail only makes the ring
    // look fuller. A tail past the head (scribbled) makes it look full: everything is dropped
    // and counted, nothing is overwritten.
    const uint64_t t = Atomic(header_->tail).load(std::memory_order_acquire);
    if (h - t >= capacity_) {
      CountLoss(producers_, max_producers_, me, &RingProducerEntry::dropped);
      return false;
    }
    if (head.compare_exchange_weak(h, h + 1, std::memory_order_relaxed)) {
      *position = h;
      return true;
    }
  }
}

Ring::Claim Ring::ClaimSlot(uint32_t me, uint64_t position) {
  auto stamp = Atomic(records_[position & mask_].stamp);
  uint64_t seen = stamp.load(std::memory_order_acquire);
  for (;;) {
    const int64_t distance = PositionDistance(position, StampPosition(seen));
    if (distance <= 0) {
      // Our position was given up before we got here (the reader timed out on it, or a later lap
      // went past it) and counted against entry 0: take the count over.
      if (me != 0) {
        CountLoss(producers_, max_producers_, me, &RingProducerEntry::abandoned);
        UncountLoss(producers_, max_producers_, 0, &RingProducerEntry::abandoned);
      }
      return Claim::kLost;
    }
    // Positions of this slot between the stamp's and ours that were never claimed are lost
    // (counted before the CAS that makes them visible as lost: see the header).
    const uint64_t skipped = SkippedLaps(distance, capacity_);
    if (skipped != 0) {
      CountLoss(producers_, max_producers_, 0, &RingProducerEntry::abandoned, skipped);
    }
    const SlotState state = StampState(seen);
    const uint32_t writer = StampProducer(seen);
    if (state == SlotState::kWriting || state == SlotState::kOrphaned) {
      // A writer of an earlier lap still holds the slot and may still be storing into it: using
      // the slot could tear our record. Give ours up, and mark the slot so that its writer's
      // commit fails (kOrphaned keeps the writer's index: it releases the slot when it gets to
      // its commit, or the reader does once it is gone).
      if (stamp.compare_exchange_strong(seen, MakeStamp(position, writer, SlotState::kOrphaned),
                                        std::memory_order_acq_rel, std::memory_order_acquire)) {
        if (state == SlotState::kWriting) {
          CountLoss(producers_, max_producers_, writer, &RingProducerEntry::overwritten);
        }
        CountLoss(producers_, max_producers_, me, &RingProducerEntry::blocked);
        return Claim::kLost;
      }
    } else if (stamp.compare_exchange_strong(seen, MakeStamp(position, me, SlotState::kWriting),
                                             std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
      // acq_rel: our payload stores come after the reader's loads of the record we replace (its
      // consume CAS released them) and after the previous writer's stores (its commit released
      // them).
      if (state == SlotState::kCommitted) {
        CountLoss(producers_, max_producers_, writer, &RingProducerEntry::overwritten);
      }
      return Claim::kClaimed;
    }
    if (skipped != 0) {
      UncountLoss(producers_, max_producers_, 0, &RingProducerEntry::abandoned, skipped);
    }
  }
}

bool Ring::StoreAndCommit(uint32_t me, uint64_t position, const Event& event) {
  RingRecord& record = records_[position & mask_];
  uint64_t words[7];
  memcpy(words, &event, sizeof(words));
  for (int i = 0; i < 7; ++i) {
    Atomic(record.payload[i]).store(words[i], std::memory_order_relaxed);
  }
  uint64_t expected = MakeStamp(position, me, SlotState::kWriting);
  auto stamp = Atomic(record.stamp);
  if (stamp.compare_exchange_strong(expected, MakeStamp(position, me, SlotState::kCommitted),
                                    std::memory_order_release, std::memory_order_relaxed))
      [[likely]] {
    // Only this thread commits under its own entry (entry 0 is shared).
    auto committed = Atomic(producers_[me].committed);
    if (me != 0) {
      committed.store(committed.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    } else {
      committed.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
  }
  // The record was given up while we wrote it (a lap later, or the reader stopped waiting), and
  // counted by whoever did. We are done storing: release the slot for the next lap.
  CountLoss(producers_, max_producers_, me, &RingProducerEntry::commit_failed);
  while (StampState(expected) == SlotState::kOrphaned && StampProducer(expected) == me) {
    if (stamp.compare_exchange_strong(expected,
                                      MakeStamp(StampPosition(expected), me, SlotState::kAbandoned),
                                      std::memory_order_release, std::memory_order_relaxed)) {
      break;
    }
  }
  return false;
}

bool Ring::Write(const Event& event) {
  const uint32_t me = ProducerIndex();
  uint64_t position;
  if (!Reserve(me, &position)) {
    return false;
  }
  if (ClaimSlot(me, position) != Claim::kClaimed) {
    return false;
  }
  return StoreAndCommit(me, position, event);
}

bool Ring::TakeSnapshotRequest() {
  auto requests = Atomic(header_->requests);
  if ((requests.load(std::memory_order_relaxed) & 1u) == 0) [[likely]] {
    return false;
  }
  return (requests.fetch_and(~1u, std::memory_order_acq_rel) & 1u) != 0;
}

std::vector<ProducerStats> Ring::Producers() const {
  return ReadProducerTable(header_, producers_, max_producers_);
}

RingTotals Ring::Totals() const { return SumProducers(header_, Producers()); }

Ring::PendingWrite Ring::BeginWriteForTesting(bool claim_slot) {
  PendingWrite pending;
  pending.producer = ProducerIndex();
  pending.reserved = Reserve(pending.producer, &pending.position);
  if (pending.reserved && claim_slot) {
    pending.claimed = ClaimSlot(pending.producer, pending.position) == Claim::kClaimed;
    pending.lost = !pending.claimed;
  }
  return pending;
}

bool Ring::FinishWriteForTesting(const PendingWrite& pending, const Event& event) {
  if (!pending.reserved || pending.lost) {
    return false;
  }
  if (!pending.claimed && ClaimSlot(pending.producer, pending.position) != Claim::kClaimed) {
    return false;
  }
  return StoreAndCommit(pending.producer, pending.position, event);
}

// ================================================================================================
// RingReader.

std::unique_ptr<RingReader> RingReader::Attach(pid_t pid, std::string* error,
                                               const ReaderOptions& options) {
  const std::string path = RingPathForPid(pid);
  if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    SetError(error, "no trace ring for process " + std::to_string(pid) + ": " + path +
                        " does not exist (is the process running, with tracing armed?)");
    return nullptr;
  }
  return AttachPath(path, error, options);
}

std::unique_ptr<RingReader> RingReader::AttachPath(const std::string& path, std::string* error,
                                                   const ReaderOptions& options) {
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int open_error = errno;
    if (open_error == ENOENT) {
      SetError(error, "no trace ring at " + path);
    } else if (open_error == EACCES || open_error == EPERM) {
      SetError(error, path +
                          ": permission denied (a ring is readable and writable by its "
                          "owner's user only; the reader needs both)");
    } else {
      SetError(error, path + ": " + ErrnoText(open_error));
    }
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    SetError(error, path + ": " + ErrnoText(errno));
    close(fd);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    SetError(error, path + ": not a regular file");
    close(fd);
    return nullptr;
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < sizeof(RingHeader)) {
    ValidateRingHeader(nullptr, size, path, error);
    close(fd);
    return nullptr;
  }
  void* mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_error = errno;
  close(fd);
  if (mapping == MAP_FAILED) {
    SetError(error,
             path + ": cannot map " + std::to_string(size) + " bytes: " + ErrnoText(map_error));
    return nullptr;
  }
  return FromMapping(mapping, size, /*owns_mapping=*/true, path, error, options);
}

std::unique_ptr<RingReader> RingReader::AttachInProcess(Ring& ring, std::string* error,
                                                        const ReaderOptions& options) {
  return FromMapping(ring.mapping_, ring.mapping_size_, /*owns_mapping=*/false, ring.path_, error,
                     options);
}

std::unique_ptr<RingReader> RingReader::FromMapping(void* mapping, size_t size, bool owns_mapping,
                                                    const std::string& path, std::string* error,
                                                    const ReaderOptions& options) {
  std::unique_ptr<RingReader> reader(new RingReader);
  reader->mapping_ = mapping;
  reader->mapping_size_ = size;
  reader->owns_mapping_ = owns_mapping;  // from here on the destructor unmaps it
  reader->options_ = options;
  const std::string where = path.empty() ? std::string("private ring") : path;
  if (!ValidateRingHeader(mapping, size, where, error)) {
    return nullptr;
  }
  // Geometry is copied once, from the validated header; everything read later (head, tail,
  // stamps, counters) is checked where it is used.
  RingHeader h{};
  memcpy(&h, mapping, kConstantBytes);
  reader->header_ = static_cast<RingHeader*>(mapping);
  reader->producers_ =
      reinterpret_cast<RingProducerEntry*>(static_cast<char*>(mapping) + h.producer_table_offset);
  reader->records_ = reinterpret_cast<RingRecord*>(static_cast<char*>(mapping) + h.header_size);
  reader->capacity_ = h.capacity;
  reader->mask_ = h.capacity - 1;
  reader->max_producers_ = h.max_producers;
  RingInfo& info = reader->info_;
  info.path = path;
  info.capacity = h.capacity;
  info.mode = static_cast<RingMode>(h.mode);
  info.owner_pid = h.owner_pid;
  info.owner_start_time = h.owner_start_time;
  info.max_producers = h.max_producers;
  info.first_position = h.first_position;
  memcpy(info.clock.name, h.clock_name, sizeof(info.clock.name));
  info.clock.name[sizeof(info.clock.name) - 1] = '\0';
  info.clock.ticks_per_second = h.ticks_per_second;
  info.clock.base_ticks = h.base_ticks;
  info.clock.base_monotonic_ns = h.base_monotonic_ns;

  if (!reader->ClaimReader(where, error)) {
    return nullptr;
  }
  // Start where the previous reader stopped, or, if that is not a sane place (never read, or
  // more than a lap behind, or scribbled), at the oldest record the ring can still hold.
  const uint64_t head = Atomic(reader->header_->head).load(std::memory_order_acquire);
  uint64_t start = Atomic(reader->header_->tail).load(std::memory_order_acquire);
  if (head < h.first_position) {
    start = head;
  } else {
    if (start < h.first_position || start > head) {
      start = h.first_position;
    }
    if (head - start > h.capacity) {
      start = head - h.capacity;
    }
  }
  reader->position_ = start;
  return reader;
}

bool RingReader::ClaimReader(const std::string& where, std::string* error) {
  self_pid_ = static_cast<uint32_t>(getpid());
  auto reader_pid = Atomic(header_->reader_pid);
  uint32_t current = reader_pid.load(std::memory_order_acquire);
  // Each failed CAS means someone else changed the claim; a few rounds settle it.
  for (int attempt = 0; attempt < 16; ++attempt) {
    if (current == self_pid_) {
      SetError(error, where + ": this process already has a reader attached");
      return false;
    }
    if (current != 0 && !ProcessGone(current)) {
      SetError(error, where + ": another reader (pid " + std::to_string(current) +
                          ") owns the ring; a ring has one reader at a time");
      return false;
    }
    if (reader_pid.compare_exchange_strong(current, self_pid_, std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
      claimed_ = true;
      return true;
    }
  }
  SetError(error, where + ": cannot claim the ring (the reader pid keeps changing)");
  return false;
}

RingReader::~RingReader() {
  if (claimed_) {
    uint32_t expected = self_pid_;
    Atomic(header_->reader_pid)
        .compare_exchange_strong(expected, 0, std::memory_order_acq_rel, std::memory_order_relaxed);
  }
  if (owns_mapping_ && mapping_ != nullptr) {
    munmap(mapping_, mapping_size_);
  }
}

uint64_t RingReader::NowNs() const { return MonotonicNs(); }

bool RingReader::ProducerGone(uint32_t index) {
  if (index == 0 || index >= max_producers_) {
    return false;  // unknown: only the timeout applies
  }
  const uint32_t tid = Relaxed(producers_[index].tid);
  const uint32_t pid = Relaxed(producers_[index].pid);
  return tid != 0 && pid != 0 && ThreadGone(pid, tid);
}

void RingReader::ReleaseIfWriterGone(RingRecord& record, uint64_t stamp) {
  const uint64_t now = NowNs();
  if (now - last_dead_check_ns_ < options_.dead_check_after_ns) {
    return;
  }
  last_dead_check_ns_ = now;
  const uint32_t writer = StampProducer(stamp);
  if (ProducerGone(writer)) {
    // The stalled writer will never store again: the slot is free. (Already counted.)
    Atomic(record.stamp)
        .compare_exchange_strong(stamp,
                                 MakeStamp(StampPosition(stamp), writer, SlotState::kAbandoned),
                                 std::memory_order_acq_rel, std::memory_order_relaxed);
  }
}

bool RingReader::ResolvePending(uint64_t position, uint64_t seen) {
  const uint64_t now = NowNs();
  if (!pending_ || pending_position_ != position) {
    pending_ = true;
    pending_position_ = position;
    pending_since_ns_ = now;
    return false;
  }
  const uint64_t waited = now - pending_since_ns_;
  const int64_t behind = PositionDistance(position, StampPosition(seen));  // >= 0
  const SlotState state = StampState(seen);
  const uint32_t writer = StampProducer(seen);
  const bool held = state == SlotState::kWriting || state == SlotState::kOrphaned;
  bool writer_gone = false;
  if (held && waited >= options_.dead_check_after_ns &&
      now - last_dead_check_ns_ >= options_.dead_check_after_ns) {
    last_dead_check_ns_ = now;
    writer_gone = ProducerGone(writer);
  }
  auto stamp = Atomic(records_[position & mask_].stamp);
  if (behind == 0) {
    // Being written by |writer|. A dead writer stores nothing more: the slot is free at once.
    // A live one that is too slow may still store: the slot stays held (kOrphaned) until its
    // commit fails and it releases the slot.
    if (!writer_gone && waited < options_.abandon_timeout_ns) {
      return false;
    }
    const uint64_t given_up =
        MakeStamp(position, writer, writer_gone ? SlotState::kAbandoned : SlotState::kOrphaned);
    if (stamp.compare_exchange_strong(seen, given_up, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      CountLoss(producers_, max_producers_, writer, &RingProducerEntry::abandoned);
    }
    return true;  // look again: given up, or changed under us
  }
  // Reserved but not claimed: its producer is slow, died between reserving and claiming, or is
  // about to claim. Which producer it is, nobody knows yet; it is counted against entry 0 (and
  // moved to the producer if it ever turns up, see Ring::ClaimSlot).
  if (waited < options_.abandon_timeout_ns) {
    return false;
  }
  const uint64_t lost = SkippedLaps(behind, capacity_) + 1;
  CountLoss(producers_, max_producers_, 0, &RingProducerEntry::abandoned, lost);
  const uint64_t given_up =
      held ? MakeStamp(position, writer, writer_gone ? SlotState::kAbandoned : SlotState::kOrphaned)
           : MakeStamp(position, 0, SlotState::kAbandoned);
  if (stamp.compare_exchange_strong(seen, given_up, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
    // What the slot held before is lost too, if it was not resolved.
    if (state == SlotState::kWriting) {
      CountLoss(producers_, max_producers_, writer, &RingProducerEntry::abandoned);
    } else if (state == SlotState::kCommitted) {
      CountLoss(producers_, max_producers_, writer, &RingProducerEntry::overwritten);
    }
  } else {
    UncountLoss(producers_, max_producers_, 0, &RingProducerEntry::abandoned, lost);
  }
  return true;
}

size_t RingReader::Read(ReadRecord* out, size_t max) {
  const uint64_t head = Atomic(header_->head).load(std::memory_order_acquire);
  uint64_t r = position_;
  if (head > r && head - r > capacity_) {
    // More than a lap behind: everything before the last lap has been overwritten (and counted
    // by the producers that took the slots).
    r = head - capacity_;
  }
  size_t n = 0;
  // Each round either moves r, delivers a record, or follows a stamp that changed under us
  // (someone else made progress); the budget bounds the work even on a scribbled ring.
  uint64_t budget = max + capacity_ + 1;
  while (n < max && r < head && budget-- > 0) {
    RingRecord& record = records_[r & mask_];
    auto stamp = Atomic(record.stamp);
    const uint64_t seen = stamp.load(std::memory_order_acquire);
    const int64_t ahead = PositionDistance(StampPosition(seen), r);
    if (ahead > 0) {
      ++r;  // lapped: whoever moved the stamp past r counted r
      continue;
    }
    const SlotState state = StampState(seen);
    if (ahead == 0 && state == SlotState::kCommitted) {
      uint64_t words[7];
      for (int i = 0; i < 7; ++i) {
        words[i] = Atomic(record.payload[i]).load(std::memory_order_relaxed);
      }
      // The copy is good only if the record was still ours to take after it: a producer of the
      // next lap claims the slot by CAS before storing anything, so a successful CAS here means
      // no store of its can be in the copy.
      uint64_t expected = seen;
      if (stamp.compare_exchange_strong(expected,
                                        MakeStamp(r, StampProducer(seen), SlotState::kConsumed),
                                        std::memory_order_acq_rel, std::memory_order_acquire)) {
        const uint32_t producer = StampProducer(seen);
        out[n].producer = producer < max_producers_ ? producer : 0;
        memcpy(&out[n].event, words, sizeof(words));
        ++n;
        ++r;
      }
      continue;  // on failure the slot was taken by a later lap: look again
    }
    if (ahead == 0 && state != SlotState::kWriting) {
      // Given up and counted (or consumed by an earlier reader that died before publishing its
      // tail). A slot still held by a stalled writer is released once that writer is gone.
      if (state == SlotState::kOrphaned) {
        ReleaseIfWriterGone(record, seen);
      }
      ++r;
      continue;
    }
    if (!ResolvePending(r, seen)) {
      break;
    }
  }
  if (pending_ && pending_position_ != r) {
    pending_ = false;
  }
  position_ = r;
  Atomic(header_->tail).store(r, std::memory_order_release);
  return n;
}

void RingReader::RequestSnapshot() {
  Atomic(header_->requests).fetch_or(1u, std::memory_order_release);
}

std::vector<ProducerStats> RingReader::Producers() const {
  return ReadProducerTable(header_, producers_, max_producers_);
}

RingTotals RingReader::Totals() const { return SumProducers(header_, Producers()); }

bool RingReader::OwnerAlive() const { return !OwnerGone(info_.owner_pid, info_.owner_start_time); }

std::vector<std::string> RingReader::Check() const {
  std::vector<std::string> problems;
  std::string error;
  if (!ValidateRingHeader(mapping_, mapping_size_, info_.path, &error)) {
    problems.push_back(error);
    return problems;
  }
  // The reader publishes a tail it read from the head: load the tail first, the head after.
  const uint64_t tail = Atomic(header_->tail).load(std::memory_order_acquire);
  if (tail > Atomic(header_->head).load(std::memory_order_acquire)) {
    problems.push_back("tail " + std::to_string(tail) + " is past the head " +
                       std::to_string(Atomic(header_->head).load(std::memory_order_acquire)));
  }
  constexpr size_t kMaxReported = 16;
  uint64_t bad_slots = 0;
  // Producers may be running: a stamp loaded after |head| may hold a position reserved after it.
  // Every position in a stamp was reserved before the stamp was written, so a head loaded after
  // the stamp is past it; reload the head before calling a stamp ahead of it.
  uint64_t head = Atomic(header_->head).load(std::memory_order_acquire);
  for (uint64_t i = 0; i < capacity_; ++i) {
    const uint64_t stamp = Atomic(records_[i].stamp).load(std::memory_order_acquire);
    const uint64_t position = StampPosition(stamp);
    if (PositionDistance(position, head & kStampPositionMask) >= 0) {
      head = Atomic(header_->head).load(std::memory_order_acquire);
    }
    std::string what;
    if ((position & mask_) != i) {
      what = "holds position " + std::to_string(position) + ", which lives in slot " +
             std::to_string(position & mask_);
    } else if (PositionDistance(position, head & kStampPositionMask) >= 0) {
      what = "holds position " + std::to_string(position) + ", not before the head " +
             std::to_string(head);
    } else if (static_cast<uint32_t>(StampState(stamp)) >
               static_cast<uint32_t>(SlotState::kOrphaned)) {
      what = "has unknown state " + std::to_string(static_cast<uint32_t>(StampState(stamp)));
    } else if (StampProducer(stamp) >= max_producers_) {
      what = "names producer " + std::to_string(StampProducer(stamp)) + ", outside the table of " +
             std::to_string(max_producers_);
    }
    if (!what.empty() && ++bad_slots <= kMaxReported) {
      problems.push_back("slot " + std::to_string(i) + " " + what);
    }
  }
  if (bad_slots > kMaxReported) {
    problems.push_back("... and " + std::to_string(bad_slots - kMaxReported) + " more bad slots");
  }
  return problems;
}

}  // namespace vmpl::trace
