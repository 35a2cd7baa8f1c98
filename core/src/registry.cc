// vmpl::Registry: the writers and the in-process reader of the exported page-list registry.
// The layout and protocol are described in <vmpl/registry.h> and docs/registry-format.md.

#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/registry.h>
#include <vmpl/trace.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

// The exported root. Constant-initialized (it is in .data before any code runs), so a reader of
// any process that links this file, even one that never registered, finds a valid empty header.
// `used` keeps the compiler from dropping it; default visibility keeps it global. The linker keeps
// this object file in any program that calls Register, because Register is defined here. Aligned
// to 64 so the whole header is one cache line: one line moves between writers' CPUs, and a
// reader's header copy touches one line.
extern "C" {
constinit __attribute__((used, visibility("default"), aligned(64)))
vmpl_registry_header vmpl_registry = vmpl::InitialRegistryHeader(
    sizeof(VmPageList), sizeof(VmPageSpliceList), sizeof(VmPageListNode));
}  // extern "C"

namespace vmpl {
namespace {

static_assert(std::atomic_ref<uint64_t>::is_always_lock_free);
static_assert(std::atomic_ref<uint32_t>::is_always_lock_free);
static_assert(static_cast<uint32_t>(RegistryKind::kPageList) == 1);
static_assert(static_cast<uint32_t>(RegistryKind::kSpliceList) == 2);

constexpr uint32_t kInitialCapacity = 64;
constexpr size_t kNameWords = VMPL_REGISTRY_NAME_SIZE / sizeof(uint64_t);

// ------------------------------------------------------------------------------------------------
// Atomic access to the C structs.
//
// The fields are plain integers in the C ABI; in-process they are only ever accessed through
// std::atomic_ref (or, for the name, the same __atomic builtins std::atomic_ref is built on), so a
// reader racing a writer is a race between atomics, never undefined behaviour. Relaxed order is
// enough for every field but two: the generation (its release/acquire and the fences order all
// the other stores and loads, see WriteSection and Snapshot) and `entries` (release/acquire, so
// that a reader that sees a new array also sees the plain memcpy that filled it).

template <typename T>
T LoadRelaxed(const T& field) {
  return std::atomic_ref<T>(const_cast<T&>(field)).load(std::memory_order_relaxed);
}
template <typename T>
void StoreRelaxed(T& field, T value) {
  std::atomic_ref<T>(field).store(value, std::memory_order_relaxed);
}

// The name is declared char[] (so gdb prints it as a string) and copied as whole 8-byte words.
// std::atomic_ref<uint64_t> cannot refer to char storage, so the words are accessed through a
// may_alias type (which makes the access legal for GCC/Clang's aliasing rules) with the __atomic
// builtins.
typedef uint64_t __attribute__((may_alias)) AliasingWord;

void StoreName(vmpl_registry_entry& entry, std::string_view name) {
  uint64_t words[kNameWords] = {};
  if (!name.empty()) {                        // an empty view may have a null data()
    memcpy(words, name.data(), name.size());  // the rest, including the NUL, stays zero
  }
  auto* dst = reinterpret_cast<AliasingWord*>(entry.name);
  for (size_t i = 0; i < kNameWords; ++i) {
    __atomic_store_n(&dst[i], words[i], __ATOMIC_RELAXED);
  }
  StoreRelaxed(entry.name_length, static_cast<uint32_t>(name.size()));
}

// Copies |src| field by field with relaxed atomic loads, as the writers store them.
void LoadEntry(const vmpl_registry_entry& src, vmpl_registry_entry& dst) {
  dst.address = LoadRelaxed(src.address);
  dst.id = LoadRelaxed(src.id);
  dst.kind = LoadRelaxed(src.kind);
  dst.name_length = LoadRelaxed(src.name_length);
  const auto* words = reinterpret_cast<const AliasingWord*>(src.name);
  for (size_t i = 0; i < kNameWords; ++i) {
    uint64_t word = __atomic_load_n(&words[i], __ATOMIC_RELAXED);
    memcpy(dst.name + i * sizeof(word), &word, sizeof(word));
  }
}

// The calling thread's Linux tid, cached (gettid is a system call). A forked child's only thread
// inherits its parent's cached value, so the cache is cleared in the child (see State()).
thread_local uint32_t cached_tid = 0;

uint32_t CurrentTid() {
  if (cached_tid == 0) {
    cached_tid = static_cast<uint32_t>(gettid());
  }
  return cached_tid;
}

// ------------------------------------------------------------------------------------------------
// Writer state, behind the mutex. Never destroyed: registrations made or dropped by static
// objects during exit, and readers racing exit, must still find it.

struct WriterState {
  std::mutex lock;
  // id -> slot index of every live entry.
  std::unordered_map<uint64_t, uint32_t> slot_of;
  // Free slots below high_water (LIFO, so a churning program reuses warm slots).
  std::vector<uint32_t> free_slots;
  // Slots [0, high_water) have been used at least once.
  uint32_t high_water = 0;
  // Every entry array ever published, including the current one; never freed (header comment).
  std::vector<vmpl_registry_entry*> arrays;
};

WriterState& State() {
  static WriterState* state = [] {
    pthread_atfork(nullptr, nullptr, [] { cached_tid = 0; });
    return new WriterState;
  }();
  return *state;
}

// One write section. Requires the writers' mutex (only one writer may move the generation).
//
//   begin: generation g -> g + 1 (relaxed), then a release fence. A reader whose relaxed load
//          of any field (before its acquire fence) sees a store made after this fence is then
//          guaranteed to see g + 1 or later in its second generation load, so it rejects the copy.
//   end:   generation -> g + 2 with release, pairing with the reader's acquire load of the first
//          generation: a reader that starts at g + 2 sees every store of the section.
class WriteSection {
 public:
  WriteSection() {
    generation_ =
        std::atomic_ref<uint64_t>(vmpl_registry.generation).load(std::memory_order_relaxed);
    DEBUG_ASSERT((generation_ & 1) == 0);
    StoreRelaxed(vmpl_registry.generation, generation_ + 1);
    std::atomic_thread_fence(std::memory_order_release);
    StoreRelaxed(vmpl_registry.writer_tid, CurrentTid());
  }
  ~WriteSection() {
    std::atomic_ref<uint64_t>(vmpl_registry.generation)
        .store(generation_ + 2, std::memory_order_release);
  }
  WriteSection(const WriteSection&) = delete;
  WriteSection& operator=(const WriteSection&) = delete;

 private:
  uint64_t generation_;
};

vmpl_registry_entry* CurrentArray() {
  // The writers are the only ones to store `entries`, and we hold their mutex: relaxed suffices.
  return reinterpret_cast<vmpl_registry_entry*>(LoadRelaxed(vmpl_registry.entries));
}

// Requires the mutex. Returns the slot a new entry goes into, without taking it (the caller does,
// once nothing else can fail). If the array is full, allocates and fills a larger one and returns
// it in |*grown| (to be published inside the write section: see PublishArray); the allocation
// happens here, outside the section, so a failure (std::bad_alloc) leaves the registry untouched
// and the odd window stays short.
uint32_t ReserveSlot(WriterState& state, std::unique_ptr<vmpl_registry_entry[]>* grown,
                     uint32_t* grown_capacity) {
  if (!state.free_slots.empty()) {
    return state.free_slots.back();
  }
  uint32_t capacity = LoadRelaxed(vmpl_registry.capacity);
  if (state.high_water < capacity) {
    return state.high_water;
  }
  ASSERT_MSG(capacity < VMPL_REGISTRY_MAX_CAPACITY, "registry full: %u entries", capacity);
  uint32_t new_capacity =
      capacity == 0 ? kInitialCapacity : std::min(capacity * 2, VMPL_REGISTRY_MAX_CAPACITY);
  state.arrays.reserve(state.arrays.size() + 1);  // so PublishArray cannot throw
  grown->reset(new vmpl_registry_entry[new_capacity]());
  if (capacity != 0) {
    // Only writers change entries and we are the writer, so plain reads of the old array are not
    // racy (concurrent readers only read). The new array reaches readers through the release
    // store of `entries`.
    memcpy(grown->get(), CurrentArray(), size_t{capacity} * sizeof(vmpl_registry_entry));
  }
  *grown_capacity = new_capacity;
  return state.high_water;
}

// Inside a write section: makes |array| the current array. The release store pairs with the
// acquire load of `entries` in readers, so a reader that sees the new pointer also sees the
// memcpy that filled the array (which happened before the section began, outside any atomic).
void PublishArray(WriterState& state, std::unique_ptr<vmpl_registry_entry[]> grown,
                  uint32_t capacity) {
  vmpl_registry_entry* array = grown.release();  // never freed from here on
  state.arrays.push_back(array);                 // capacity reserved in ReserveSlot: no throw
  std::atomic_ref<uint64_t>(vmpl_registry.entries)
      .store(reinterpret_cast<uintptr_t>(array), std::memory_order_release);
  StoreRelaxed(vmpl_registry.capacity, capacity);
}

uint64_t RegisterObject(RegistryKind kind, const void* object, std::string_view name) {
  ASSERT_MSG(object != nullptr, "registering a null %s",
             kind == RegistryKind::kPageList ? "VmPageList" : "VmPageSpliceList");
  name = Registry::TruncateName(name);
  WriterState& state = State();
  std::lock_guard guard(state.lock);

  // Everything that can fail (allocate) happens before the write section.
  std::unique_ptr<vmpl_registry_entry[]> grown;
  uint32_t grown_capacity = 0;
  uint32_t slot = ReserveSlot(state, &grown, &grown_capacity);
  uint64_t id = LoadRelaxed(vmpl_registry.next_id);
  state.slot_of.emplace(id, slot);  // may throw: |grown| is freed, nothing else changed
  if (!state.free_slots.empty() && state.free_slots.back() == slot) {
    state.free_slots.pop_back();
  } else {
    DEBUG_ASSERT(slot == state.high_water);
    ++state.high_water;
  }

  WriteSection section;
  if (grown != nullptr) {
    PublishArray(state, std::move(grown), grown_capacity);
  }
  vmpl_registry_entry& entry = CurrentArray()[slot];
  DEBUG_ASSERT(entry.address == 0);
  // id, kind and name before the address, so that a torn copy (a core dumped mid-section) shows
  // a free slot or a whole entry. The release store keeps the compiler and the CPU from moving
  // the earlier stores after it (the seqlock does not need it: consistent readers never look).
  StoreRelaxed(entry.id, id);
  StoreRelaxed(entry.kind, static_cast<uint32_t>(kind));
  StoreName(entry, name);
  std::atomic_ref<uint64_t>(entry.address)
      .store(reinterpret_cast<uintptr_t>(object), std::memory_order_release);
  StoreRelaxed(vmpl_registry.live_count, LoadRelaxed(vmpl_registry.live_count) + 1);
  StoreRelaxed(vmpl_registry.next_id, id + 1);
  // Under the mutex, so a trace sees registrations in the order the registry made them.
  trace::EmitRegistration(id, object, static_cast<uint32_t>(kind), name);
  return id;
}

// Requires the mutex. The entry of live |id|; ASSERTs that it is live.
vmpl_registry_entry& LiveEntry(WriterState& state, uint64_t id, uint32_t* slot_out = nullptr) {
  auto it = state.slot_of.find(id);
  ASSERT_MSG(it != state.slot_of.end(), "registry id %lu is not live",
             static_cast<unsigned long>(id));
  if (slot_out != nullptr) {
    *slot_out = it->second;
  }
  return CurrentArray()[it->second];
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Registry

std::string_view Registry::TruncateName(std::string_view name) {
  name = name.substr(0, name.find('\0'));  // npos keeps it whole
  constexpr size_t kMax = VMPL_REGISTRY_NAME_SIZE - 1;
  if (name.size() <= kMax) {
    return name;
  }
  size_t cut = kMax;
  // Do not split a UTF-8 sequence: back up over continuation bytes (10xxxxxx) so the cut falls
  // before the lead byte of the sequence the continuation belongs to.
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return name.substr(0, cut);
}

uint64_t Registry::Register(const VmPageList* list, std::string_view name) {
  return RegisterObject(RegistryKind::kPageList, list, name);
}

uint64_t Registry::Register(const VmPageSpliceList* list, std::string_view name) {
  return RegisterObject(RegistryKind::kSpliceList, list, name);
}

void Registry::Unregister(uint64_t id) {
  WriterState& state = State();
  std::lock_guard guard(state.lock);
  uint32_t slot = 0;
  vmpl_registry_entry& entry = LiveEntry(state, id, &slot);
  state.free_slots.reserve(state.free_slots.size() + 1);

  {
    WriteSection section;
    // The address first: a torn copy shows a free slot (possibly with a stale name), never a
    // live address under a cleared id. The release fence keeps the later stores after it.
    StoreRelaxed(entry.address, uint64_t{0});
    std::atomic_thread_fence(std::memory_order_release);
    StoreRelaxed(entry.id, uint64_t{0});
    StoreRelaxed(entry.kind, uint32_t{0});
    StoreName(entry, {});
    StoreRelaxed(vmpl_registry.live_count, LoadRelaxed(vmpl_registry.live_count) - 1);
  }
  state.slot_of.erase(id);
  state.free_slots.push_back(slot);
  VMPL_TRACE_EVENT(kUnregister, nullptr, 0, id, 0, 0, 0);
}

void Registry::SetAddress(uint64_t id, const void* address) {
  ASSERT_MSG(address != nullptr, "registry id %lu: null address", static_cast<unsigned long>(id));
  WriterState& state = State();
  std::lock_guard guard(state.lock);
  vmpl_registry_entry& entry = LiveEntry(state, id);
  WriteSection section;
  StoreRelaxed(entry.address, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(address)));
  VMPL_TRACE_EVENT(kSetAddress, address, 0, id, reinterpret_cast<uintptr_t>(address), 0, 0);
}

void Registry::Rename(uint64_t id, std::string_view name) {
  name = TruncateName(name);
  WriterState& state = State();
  std::lock_guard guard(state.lock);
  vmpl_registry_entry& entry = LiveEntry(state, id);
  WriteSection section;
  StoreName(entry, name);
  trace::EmitName(id, name);
}

void Registry::RunInWriteSectionForTesting(void (*fn)(void*), void* arg) {
  WriterState& state = State();
  std::lock_guard guard(state.lock);
  WriteSection section;
  fn(arg);
}

std::vector<RegistryEntryView> Registry::Snapshot() {
  std::vector<vmpl_registry_entry> copy;
  uint64_t entries = 0;
  uint32_t capacity = 0;
  uint32_t live = 0;
  for (;;) {
    // Acquire: pairs with the release store that ended the last write section, so the copy
    // below sees every store of that section.
    uint64_t g1 =
        std::atomic_ref<uint64_t>(vmpl_registry.generation).load(std::memory_order_acquire);
    if (g1 & 1) {
      std::this_thread::yield();  // a writer is active; it holds no lock we could wait on
      continue;
    }
    // Acquire: pairs with PublishArray's release store, so a new array's contents (written by a
    // plain memcpy) are visible before we read them.
    entries = std::atomic_ref<uint64_t>(vmpl_registry.entries).load(std::memory_order_acquire);
    capacity = LoadRelaxed(vmpl_registry.capacity);
    live = LoadRelaxed(vmpl_registry.live_count);
    if (capacity > VMPL_REGISTRY_MAX_CAPACITY) {
      continue;  // never stored by a writer: cannot pass the generation check either
    }
    if (copy.size() < capacity) {
      // Allocating inside the read section only delays the check; the retry catches any change.
      copy.resize(capacity);
    }
    // |entries| may be an array a writer has since retired; retired arrays are never freed, so
    // reading it is safe, and the generation check below rejects what we read.
    const auto* array = reinterpret_cast<const vmpl_registry_entry*>(entries);
    for (uint32_t i = 0; array != nullptr && i < capacity; ++i) {
      LoadEntry(array[i], copy[i]);
    }
    // Acquire fence: orders the loads above before the reload of the generation. If any of them
    // saw a store of a section that began after g1, this reload sees that section's odd value.
    std::atomic_thread_fence(std::memory_order_acquire);
    uint64_t g2 = LoadRelaxed(vmpl_registry.generation);
    if (g1 == g2) {
      break;
    }
    std::this_thread::yield();
  }

  std::vector<RegistryEntryView> views;
  views.reserve(live);
  for (uint32_t i = 0; i < capacity; ++i) {
    const vmpl_registry_entry& e = copy[i];
    if (e.address == 0) {
      continue;
    }
    views.push_back(RegistryEntryView{
        .id = e.id,
        .kind = static_cast<RegistryKind>(e.kind),
        .address = static_cast<uintptr_t>(e.address),
        .name = std::string(e.name, std::min<size_t>(e.name_length, VMPL_REGISTRY_NAME_SIZE - 1)),
    });
  }
  DEBUG_ASSERT_MSG(views.size() == live, "consistent snapshot with %zu entries, live_count %u",
                   views.size(), live);
  std::sort(views.begin(), views.end(),
            [](const RegistryEntryView& a, const RegistryEntryView& b) { return a.id < b.id; });
  return views;
}

size_t Registry::live_count() { return LoadRelaxed(vmpl_registry.live_count); }

// ------------------------------------------------------------------------------------------------
// ScopedRegistration

ScopedRegistration::ScopedRegistration(const VmPageList* list, std::string_view name)
    : id_(Registry::Register(list, name)) {}

ScopedRegistration::ScopedRegistration(const VmPageSpliceList* list, std::string_view name)
    : id_(Registry::Register(list, name)) {}

ScopedRegistration::~ScopedRegistration() {
  if (id_ != 0) {
    Registry::Unregister(id_);
  }
}

ScopedRegistration::ScopedRegistration(ScopedRegistration&& other) noexcept
    : id_(std::exchange(other.id_, 0)) {}

ScopedRegistration& ScopedRegistration::operator=(ScopedRegistration&& other) noexcept {
  if (this != &other) {
    if (id_ != 0) {
      Registry::Unregister(id_);
    }
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void ScopedRegistration::SetAddress(const void* address) {
  DEBUG_ASSERT(id_ != 0);
  Registry::SetAddress(id_, address);
}

void ScopedRegistration::Rename(std::string_view name) {
  DEBUG_ASSERT(id_ != 0);
  Registry::Rename(id_, name);
}

}  // namespace vmpl
