// vmpl::NodeAllocator: huge-page-backed slabs for page-list nodes. See node_allocator.h.
//
// Each 2 MiB chunk starts with a header holding a bitmap of its free slots. Allocation takes the
// lowest free slot of the lowest chunk that has one, so that after nodes are freed, a list built
// again in order is laid out in order again, and an in-order walk streams through memory (a LIFO
// free list would scatter it, and a walk would then miss the cache on every node). Of the chunks
// whose slots are all free, one is kept and the others are returned to the system.

#include <fbl/alloc_checker.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/huge_pages.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/node_allocator.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define VMPL_NODE_ALLOCATOR_USES_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMPL_NODE_ALLOCATOR_USES_HEAP 1
#endif
#endif
#ifndef VMPL_NODE_ALLOCATOR_USES_HEAP
#define VMPL_NODE_ALLOCATOR_USES_HEAP 0
#endif

namespace vmpl {
namespace {

constexpr size_t kCacheLine = 64;

#if !VMPL_NODE_ALLOCATOR_USES_HEAP

constexpr size_t kChunk = NodeAllocator::kChunkBytes;
static_assert(kChunk == kHugePageBytes);
constexpr size_t kSlot = NodeAllocator::kSlotBytes;
static_assert(kSlot % kCacheLine == 0);

// The header takes the first kHeaderSlots slots of its chunk.
constexpr size_t kHeaderSlots = 8;
constexpr size_t kSlotsPerChunk = kChunk / kSlot - kHeaderSlots;
constexpr size_t kBitmapWords = (kSlotsPerChunk + 63) / 64;

struct ChunkHeader {
  uint64_t free_bits[kBitmapWords];  // bit set: slot free
  size_t free_count;
  size_t first_free_word;  // no free slot below this word

  char* slot(size_t index) {
    return reinterpret_cast<char*>(this) + (kHeaderSlots + index) * kSlot;
  }
  size_t index_of(const void* memory) const {
    return static_cast<size_t>(static_cast<const char*>(memory) -
                               reinterpret_cast<const char*>(this)) /
               kSlot -
           kHeaderSlots;
  }
};
static_assert(sizeof(ChunkHeader) <= kHeaderSlots * kSlot);

// A test-and-set lock: the critical sections are a handful of instructions, where a futex-based
// mutex would cost more than the work it protects.
class SpinLock {
 public:
  void lock() {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) {
        __builtin_ia32_pause();
      }
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

struct Pool {
  SpinLock lock;
  // Every chunk, by address.
  std::vector<ChunkHeader*> chunks;
  // The lowest chunk with a free slot, or nullptr if none has one.
  ChunkHeader* current = nullptr;
  // Chunks with every slot free (at most one is kept).
  size_t empty_chunks = 0;
  size_t live_slots = 0;
};

Pool& ThePool() {
  // Never destroyed: nodes may still be freed by static destructors running after this file's.
  static Pool* pool = new Pool;
  return *pool;
}

// A fresh chunk aligned to its size (so that it can be one huge page), or nullptr.
ChunkHeader* MapChunk() {
  void* memory = MapHugePages(kChunk);
  if (memory == nullptr) {
    return nullptr;
  }
  auto* header = new (memory) ChunkHeader;
  for (size_t word = 0; word < kBitmapWords; word++) {
    const size_t slots_left = kSlotsPerChunk - word * 64;
    header->free_bits[word] = slots_left >= 64 ? ~uint64_t{0} : (uint64_t{1} << slots_left) - 1;
  }
  header->free_count = kSlotsPerChunk;
  header->first_free_word = 0;
  return header;
}

ChunkHeader* ChunkOf(const void* memory) {
  return reinterpret_cast<ChunkHeader*>(reinterpret_cast<uintptr_t>(memory) & ~(kChunk - 1));
}

// The lowest chunk with a free slot; nullptr if all are full.
ChunkHeader* LowestWithFreeSlot(const Pool& pool) {
  for (ChunkHeader* chunk : pool.chunks) {
    if (chunk->free_count > 0) {
      return chunk;
    }
  }
  return nullptr;
}

// The lowest free slot (mapping a chunk if none is free), or nullptr. Under pool.lock.
void* TakeSlotLocked(Pool& pool) {
  if (pool.current == nullptr) {
    ChunkHeader* chunk = MapChunk();
    if (chunk == nullptr) {
      return nullptr;
    }
    // The bookkeeping vector grows once per 2 MiB of nodes; if even that fails, so does this.
    try {
      pool.chunks.insert(std::upper_bound(pool.chunks.begin(), pool.chunks.end(), chunk), chunk);
    } catch (const std::bad_alloc&) {
      UnmapHugePages(chunk, kChunk);
      return nullptr;
    }
    pool.current = chunk;
    pool.empty_chunks++;
  }
  ChunkHeader* chunk = pool.current;
  if (chunk->free_count == kSlotsPerChunk) {
    pool.empty_chunks--;
  }
  size_t word = chunk->first_free_word;
  while (chunk->free_bits[word] == 0) {
    word++;
  }
  DEBUG_ASSERT(word < kBitmapWords);
  const size_t bit = static_cast<size_t>(__builtin_ctzll(chunk->free_bits[word]));
  chunk->free_bits[word] &= chunk->free_bits[word] - 1;
  chunk->first_free_word = word;
  if (--chunk->free_count == 0) {
    pool.current = LowestWithFreeSlot(pool);
  }
  pool.live_slots++;
  return chunk->slot(word * 64 + bit);
}

// Marks |memory| free; unmaps its chunk if that leaves two wholly free. Under pool.lock.
void ReturnSlotLocked(Pool& pool, void* memory) {
  ChunkHeader* chunk = ChunkOf(memory);
  const size_t index = chunk->index_of(memory);
  DEBUG_ASSERT(index < kSlotsPerChunk);
  DEBUG_ASSERT((chunk->free_bits[index / 64] & (uint64_t{1} << (index % 64))) == 0);
  chunk->free_bits[index / 64] |= uint64_t{1} << (index % 64);
  chunk->first_free_word = std::min(chunk->first_free_word, index / 64);
  chunk->free_count++;
  pool.live_slots--;
  if (pool.current == nullptr || chunk < pool.current) {
    pool.current = chunk;
  }
  if (chunk->free_count == kSlotsPerChunk && ++pool.empty_chunks > 1) {
    // Wholly free, and another chunk is too: give this one back. One empty chunk is kept so that
    // a list growing and shrinking across a chunk boundary does not map and unmap 2 MiB each time.
    pool.empty_chunks--;
    pool.chunks.erase(std::lower_bound(pool.chunks.begin(), pool.chunks.end(), chunk));
    if (pool.current == chunk) {
      pool.current = LowestWithFreeSlot(pool);
    }
    UnmapHugePages(chunk, kChunk);
  }
}

// Each thread keeps a few free slots of its own, so that most allocations and frees take no lock.
// That matters beyond the lock's own cost: a locked instruction waits for every earlier load, so
// with one in the allocation, the table probe that precedes a node's allocation (a likely cache
// miss in a big list) could not overlap the tree descent that follows it.
//
// Trivially destructible on purpose: it must stay usable (as closed) while static destructors run
// after this thread's thread_local destructors, and those may free nodes. ThreadCacheCloser
// empties it when the thread ends.
constexpr size_t kCacheSlots = 32;
constexpr size_t kRefillSlots = 16;

struct ThreadCache {
  void* slots[kCacheSlots];
  size_t count;
  bool closed;  // the thread is ending: go straight to the pool
};
thread_local ThreadCache t_cache;

// Gives every slot of |cache| back to the chunks.
void DrainThreadCache(ThreadCache& cache) {
  if (cache.count == 0) {
    return;
  }
  Pool& pool = ThePool();
  std::lock_guard<SpinLock> guard(pool.lock);
  while (cache.count > 0) {
    ReturnSlotLocked(pool, cache.slots[--cache.count]);
  }
}

struct ThreadCacheCloser {
  ~ThreadCacheCloser() {
    DrainThreadCache(t_cache);
    t_cache.closed = true;
  }
};
thread_local ThreadCacheCloser t_cache_closer;

#endif  // !VMPL_NODE_ALLOCATOR_USES_HEAP

}  // namespace

void* NodeAllocator::Allocate(size_t size) {
  DEBUG_ASSERT(size <= kSlotBytes);
  if (size > kSlotBytes) {
    return nullptr;
  }
#if VMPL_NODE_ALLOCATOR_USES_HEAP
  return ::operator new (size, std::align_val_t{kCacheLine}, std::nothrow);
#else
  ThreadCache& cache = t_cache;
  if (cache.count > 0) {
    return cache.slots[--cache.count];
  }
  Pool& pool = ThePool();
  std::lock_guard<SpinLock> guard(pool.lock);
  if (cache.closed) {
    return TakeSlotLocked(pool);
  }
  (void)&t_cache_closer;  // constructs it on this thread's first allocation
  // Refill with the lowest free slots, stacked so that they are handed out in ascending order.
  size_t taken = 0;
  void* batch[kRefillSlots];
  while (taken < kRefillSlots) {
    void* slot = TakeSlotLocked(pool);
    if (slot == nullptr) {
      break;
    }
    batch[taken++] = slot;
  }
  if (taken == 0) {
    return nullptr;
  }
  for (size_t i = taken; i-- > 1;) {
    cache.slots[cache.count++] = batch[i];
  }
  return batch[0];
#endif
}

void* NodeAllocator::AllocateOrFail(size_t size) {
  void* memory = Allocate(size);
  if (memory == nullptr) {
    throw std::bad_alloc();
  }
  return memory;
}

void* NodeAllocator::AllocateChecked(size_t size, fbl::AllocChecker* ac) {
  void* memory = nullptr;
  if (!AllocFailureInjector::ShouldFail()) {
    memory = Allocate(size);
  }
  ac->arm(size, memory != nullptr);
  return memory;
}

void NodeAllocator::Free(void* memory) {
  if (memory == nullptr) {
    return;
  }
#if VMPL_NODE_ALLOCATOR_USES_HEAP
  ::operator delete (memory, std::align_val_t{kCacheLine});
#else
  ThreadCache& cache = t_cache;
  if (!cache.closed && cache.count < kCacheSlots) {
    cache.slots[cache.count++] = memory;
    return;
  }
  Pool& pool = ThePool();
  std::lock_guard<SpinLock> guard(pool.lock);
  ReturnSlotLocked(pool, memory);
  // A full cache gives back its older half, so that freeing in bulk reaches the bitmaps (and the
  // lowest-address order) rather than circulating through the cache.
  if (!cache.closed) {
    const size_t keep = kCacheSlots / 2;
    for (size_t i = 0; i < cache.count - keep; i++) {
      ReturnSlotLocked(pool, cache.slots[i]);
    }
    for (size_t i = 0; i < keep; i++) {
      cache.slots[i] = cache.slots[cache.count - keep + i];
    }
    cache.count = keep;
  }
#endif
}

void NodeAllocator::ReleaseThreadCache() {
#if !VMPL_NODE_ALLOCATOR_USES_HEAP
  DrainThreadCache(t_cache);
#endif
}

NodeAllocator::Stats NodeAllocator::stats() {
#if VMPL_NODE_ALLOCATOR_USES_HEAP
  return Stats{};
#else
  Pool& pool = ThePool();
  std::lock_guard<SpinLock> guard(pool.lock);
  return Stats{pool.chunks.size(), pool.live_slots};
#endif
}

}  // namespace vmpl
