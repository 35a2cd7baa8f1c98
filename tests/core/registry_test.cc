// Tests of vmpl::Registry, ScopedRegistration and the exported `vmpl_registry` ABI.
//
// The central tests read the registry back from raw memory exactly as docs/registry-format.md
// tells a debugger, a core-file reader or another process to: take the address of the symbol
// `vmpl_registry`, read bytes at the documented offsets (typed in below by hand, deliberately not
// offsetof), follow the entries address, decode each 80-byte entry, and apply the seqlock reader
// protocol. Three memory sources feed that one decoder: this process quiescent (memcpy), this
// process under concurrent writers (8-byte relaxed atomic loads), and a forked child
// (process_vm_readv, no cooperation from the child).
//
// The registry is process-wide, and when the whole binary runs in one process other tests'
// registrations may be live, so every test compares only the ids it registered itself, plus
// counts relative to a baseline.

#include <dlfcn.h>
#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/registry.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "held_write_section.h"

namespace {

using vmpl::Registry;
using vmpl::RegistryEntryView;
using vmpl::RegistryKind;
using vmpl::ScopedRegistration;

// ------------------------------------------------------------------------------------------------
// The documented layout (docs/registry-format.md), version 1, little-endian x86-64.

constexpr uint64_t kHdrMagic = 0;            // 4 bytes "VMPR"
constexpr uint64_t kHdrVersion = 4;          // u16
constexpr uint64_t kHdrEntrySize = 6;        // u16
constexpr uint64_t kHdrGeneration = 8;       // u64
constexpr uint64_t kHdrEntries = 16;         // u64
constexpr uint64_t kHdrCapacity = 24;        // u32
constexpr uint64_t kHdrLiveCount = 28;       // u32
constexpr uint64_t kHdrNextId = 32;          // u64
constexpr uint64_t kHdrHeaderSize = 40;      // u16
constexpr uint64_t kHdrNameSize = 42;        // u16
constexpr uint64_t kHdrPointerSize = 44;     // u8
constexpr uint64_t kHdrByteOrder = 45;       // u8
constexpr uint64_t kHdrPageListLayout = 46;  // u16
constexpr uint64_t kHdrPageListSize = 48;    // u32
constexpr uint64_t kHdrSpliceListSize = 52;  // u32
constexpr uint64_t kHdrNodeSize = 56;        // u32
constexpr uint64_t kHdrWriterTid = 60;       // u32
constexpr size_t kHeaderBytes = 64;

constexpr uint64_t kEntAddress = 0;      // u64, 0 = free
constexpr uint64_t kEntId = 8;           // u64
constexpr uint64_t kEntKind = 16;        // u32
constexpr uint64_t kEntNameLength = 20;  // u32
constexpr uint64_t kEntName = 24;        // char[56]
constexpr size_t kEntryBytes = 80;
constexpr size_t kNameBytes = 56;
constexpr uint32_t kMaxCapacity = 1u << 24;

template <typename T>
T Get(const std::vector<uint8_t>& bytes, size_t offset) {
  T value;
  memcpy(&value, bytes.data() + offset, sizeof(value));
  return value;
}

// ------------------------------------------------------------------------------------------------
// Memory sources: "give me |size| bytes at |address|", nothing else.

class MemorySource {
 public:
  virtual ~MemorySource() = default;
  virtual bool Read(uint64_t address, void* dst, size_t size) = 0;
};

// This process, with no writer running: plain copies.
class QuiescentSelfMemory : public MemorySource {
 public:
  bool Read(uint64_t address, void* dst, size_t size) override {
    memcpy(dst, reinterpret_cast<const void*>(address), size);
    return true;
  }
};

// This process while writers run: whole aligned 8-byte words with relaxed atomic loads (the
// writers store with atomics, so this is a race between atomics, not undefined behaviour).
class ConcurrentSelfMemory : public MemorySource {
 public:
  bool Read(uint64_t address, void* dst, size_t size) override {
    if (address % 8 != 0 || size % 8 != 0) {
      ADD_FAILURE() << "unaligned read at 0x" << std::hex << address;
      return false;
    }
    auto* out = static_cast<uint8_t*>(dst);
    for (size_t i = 0; i < size; i += 8) {
      const auto* word = reinterpret_cast<const uint64_t*>(address + i);
      uint64_t value = __atomic_load_n(word, __ATOMIC_RELAXED);
      memcpy(out + i, &value, 8);
    }
    return true;
  }
};

// Another process, through process_vm_readv (no ptrace stop, no cooperation).
class RemoteMemory : public MemorySource {
 public:
  explicit RemoteMemory(pid_t pid) : pid_(pid) {}
  bool Read(uint64_t address, void* dst, size_t size) override {
    iovec local{dst, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    ssize_t n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
    if (n < 0) {
      last_errno_ = errno;
    }
    return n == static_cast<ssize_t>(size);
  }
  int last_errno() const { return last_errno_; }

 private:
  pid_t pid_;
  int last_errno_ = 0;
};

// ------------------------------------------------------------------------------------------------
// The reader protocol of docs/registry-format.md, over a MemorySource, with the documented
// offsets only.

struct RawEntry {
  uint32_t slot = 0;
  uint64_t address = 0;
  uint64_t id = 0;
  uint32_t kind = 0;
  uint32_t name_length = 0;
  std::string name;
};

struct RawRegistry {
  // A writer was active: the generation was odd, or changed during the copy.
  bool torn = false;
  uint64_t generation = 0;
  uint16_t version = 0;
  uint16_t entry_size = 0;
  uint64_t entries = 0;
  uint32_t capacity = 0;
  uint32_t live_count = 0;
  uint64_t next_id = 0;
  uint16_t header_size = 0;
  uint16_t name_size = 0;
  uint8_t pointer_size = 0;
  uint8_t byte_order = 0;
  uint16_t page_list_layout = 0;
  uint32_t page_list_size = 0;
  uint32_t splice_list_size = 0;
  uint32_t node_size = 0;
  uint32_t writer_tid = 0;
  std::vector<RawEntry> in_use;  // slots with a non-zero address, in slot order
  // Invariant violations of the copy (expected only in a torn copy).
  std::vector<std::string> problems;
};

// One pass of the protocol, never retrying: what a reader of a core file or of a stopped
// process does. Returns nullopt if memory could not be read or the header is not a registry.
std::optional<RawRegistry> ReadRegistryOnce(MemorySource& mem, uint64_t header_address) {
  RawRegistry r;
  uint64_t g1 = 0;
  if (!mem.Read(header_address + kHdrGeneration, &g1, 8)) {
    return std::nullopt;
  }
  // For the in-process source this fence (after a relaxed load) makes the first load an acquire;
  // for other sources it is harmless.
  std::atomic_thread_fence(std::memory_order_acquire);
  std::vector<uint8_t> header(kHeaderBytes);
  if (!mem.Read(header_address, header.data(), kHeaderBytes)) {
    return std::nullopt;
  }
  if (memcmp(header.data() + kHdrMagic, "VMPR", 4) != 0) {
    return std::nullopt;
  }
  r.version = Get<uint16_t>(header, kHdrVersion);
  r.entry_size = Get<uint16_t>(header, kHdrEntrySize);
  r.entries = Get<uint64_t>(header, kHdrEntries);
  r.capacity = Get<uint32_t>(header, kHdrCapacity);
  r.live_count = Get<uint32_t>(header, kHdrLiveCount);
  r.next_id = Get<uint64_t>(header, kHdrNextId);
  r.header_size = Get<uint16_t>(header, kHdrHeaderSize);
  r.name_size = Get<uint16_t>(header, kHdrNameSize);
  r.pointer_size = Get<uint8_t>(header, kHdrPointerSize);
  r.byte_order = Get<uint8_t>(header, kHdrByteOrder);
  r.page_list_layout = Get<uint16_t>(header, kHdrPageListLayout);
  r.page_list_size = Get<uint32_t>(header, kHdrPageListSize);
  r.splice_list_size = Get<uint32_t>(header, kHdrSpliceListSize);
  r.node_size = Get<uint32_t>(header, kHdrNodeSize);
  r.writer_tid = Get<uint32_t>(header, kHdrWriterTid);
  if (r.version != 1 || r.entry_size < kEntryBytes || r.name_size != kNameBytes ||
      r.header_size < kHeaderBytes) {
    return std::nullopt;
  }

  std::vector<uint8_t> entries;
  bool capacity_ok = r.capacity <= kMaxCapacity && (r.capacity == 0 || r.entries != 0);
  if (!capacity_ok) {
    r.problems.push_back("capacity " + std::to_string(r.capacity) + " with entries 0x" +
                         std::to_string(r.entries));
  } else {
    entries.resize(size_t{r.capacity} * r.entry_size);
    if (!entries.empty() && !mem.Read(r.entries, entries.data(), entries.size())) {
      return std::nullopt;
    }
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  uint64_t g2 = 0;
  if (!mem.Read(header_address + kHdrGeneration, &g2, 8)) {
    return std::nullopt;
  }
  r.generation = g1;
  r.torn = (g1 & 1) != 0 || g1 != g2;

  std::set<uint64_t> ids;
  for (uint32_t slot = 0; capacity_ok && slot < r.capacity; ++slot) {
    size_t base = size_t{slot} * r.entry_size;
    RawEntry e;
    e.slot = slot;
    e.address = Get<uint64_t>(entries, base + kEntAddress);
    if (e.address == 0) {
      continue;
    }
    e.id = Get<uint64_t>(entries, base + kEntId);
    e.kind = Get<uint32_t>(entries, base + kEntKind);
    e.name_length = Get<uint32_t>(entries, base + kEntNameLength);
    const char* name = reinterpret_cast<const char*>(entries.data() + base + kEntName);
    std::string where = "slot " + std::to_string(slot) + ": ";
    if (e.name_length >= kNameBytes || name[e.name_length] != '\0' ||
        strnlen(name, kNameBytes) != e.name_length) {
      r.problems.push_back(where + "name_length " + std::to_string(e.name_length) +
                           " does not end the name");
      e.name.assign(name, strnlen(name, kNameBytes - 1));
    } else {
      e.name.assign(name, e.name_length);
    }
    if (e.kind != 1 && e.kind != 2) {
      r.problems.push_back(where + "kind " + std::to_string(e.kind));
    }
    if (e.id == 0 || e.id >= r.next_id) {
      r.problems.push_back(where + "id " + std::to_string(e.id) + " not in [1, next_id " +
                           std::to_string(r.next_id) + ")");
    }
    if (!ids.insert(e.id).second) {
      r.problems.push_back(where + "duplicate id " + std::to_string(e.id));
    }
    r.in_use.push_back(std::move(e));
  }
  if (capacity_ok && r.in_use.size() != r.live_count) {
    r.problems.push_back("live_count " + std::to_string(r.live_count) + " but " +
                         std::to_string(r.in_use.size()) + " entries in use");
  }
  return r;
}

uint64_t RegistryAddress() { return reinterpret_cast<uintptr_t>(&vmpl_registry); }

// Reads this (quiescent) process's registry; fails the test if it cannot or if it is torn.
RawRegistry ReadSelf() {
  QuiescentSelfMemory mem;
  std::optional<RawRegistry> r = ReadRegistryOnce(mem, RegistryAddress());
  EXPECT_TRUE(r.has_value());
  if (!r) {
    return {};
  }
  EXPECT_FALSE(r->torn) << "generation " << r->generation;
  EXPECT_THAT(r->problems, ::testing::IsEmpty());
  return *r;
}

const RawEntry* FindRaw(const RawRegistry& r, uint64_t id) {
  for (const RawEntry& e : r.in_use) {
    if (e.id == id) {
      return &e;
    }
  }
  return nullptr;
}

const RegistryEntryView* FindView(const std::vector<RegistryEntryView>& views, uint64_t id) {
  for (const RegistryEntryView& v : views) {
    if (v.id == id) {
      return &v;
    }
  }
  return nullptr;
}

uint64_t Generation() { return __atomic_load_n(&vmpl_registry.generation, __ATOMIC_ACQUIRE); }

// What a test expects to find for one of its ids.
struct Expected {
  RegistryKind kind;
  uintptr_t address;
  std::string name;
};

// Checks that both the in-process Snapshot and the raw-memory read hold exactly |expected| for
// the ids in it, and that none of |gone| is present.
void ExpectRegistryHolds(const std::map<uint64_t, Expected>& expected,
                         const std::vector<uint64_t>& gone = {}) {
  std::vector<RegistryEntryView> views = Registry::Snapshot();
  RawRegistry raw = ReadSelf();
  EXPECT_EQ(views.size(), raw.in_use.size());
  EXPECT_EQ(views.size(), Registry::live_count());
  EXPECT_TRUE(std::is_sorted(views.begin(), views.end(),
                             [](const auto& a, const auto& b) { return a.id < b.id; }));
  for (const auto& [id, want] : expected) {
    SCOPED_TRACE(::testing::Message() << "id " << id << " name " << want.name);
    const RegistryEntryView* v = FindView(views, id);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->kind, want.kind);
    EXPECT_EQ(v->address, want.address);
    EXPECT_EQ(v->name, want.name);
    const RawEntry* e = FindRaw(raw, id);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->kind, static_cast<uint32_t>(want.kind));
    EXPECT_EQ(e->address, want.address);
    EXPECT_EQ(e->name, want.name);
    EXPECT_EQ(e->name_length, want.name.size());
    EXPECT_LT(id, raw.next_id);
  }
  for (uint64_t id : gone) {
    EXPECT_EQ(FindView(views, id), nullptr) << "id " << id;
    EXPECT_EQ(FindRaw(raw, id), nullptr) << "id " << id;
  }
}

uint32_t Seed() { return static_cast<uint32_t>(::testing::UnitTest::GetInstance()->random_seed()); }

uintptr_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// ------------------------------------------------------------------------------------------------
// The header.

TEST(RegistryLayout, HeaderIsValidBeforeAnyRegistration) {
  // Read straight from the symbol's bytes: a core of a process that never registered must still
  // show a valid, empty (or current) header.
  const auto* bytes = reinterpret_cast<const uint8_t*>(&vmpl_registry);
  EXPECT_EQ(memcmp(bytes + kHdrMagic, "VMPR", 4), 0);
  uint32_t magic_le;
  memcpy(&magic_le, bytes + kHdrMagic, 4);
  EXPECT_EQ(magic_le, 0x52504D56u);
  EXPECT_EQ(magic_le, VMPL_REGISTRY_MAGIC_LE32);

  RawRegistry r = ReadSelf();
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.entry_size, kEntryBytes);
  EXPECT_EQ(r.header_size, kHeaderBytes);
  EXPECT_EQ(r.name_size, kNameBytes);
  EXPECT_EQ(r.pointer_size, sizeof(void*));
  EXPECT_EQ(r.byte_order, 1) << "x86-64 is little-endian";
  EXPECT_EQ(r.page_list_layout, 1);
  EXPECT_EQ(r.page_list_size, sizeof(VmPageList));
  EXPECT_EQ(r.page_list_size, 48u);  // the kernel's 40 plus the node table's pointer
  EXPECT_EQ(r.splice_list_size, sizeof(VmPageSpliceList));
  EXPECT_EQ(r.node_size, sizeof(VmPageListNode));
  EXPECT_EQ(r.node_size, 176u);
  EXPECT_GE(r.next_id, 1u);
  EXPECT_EQ(r.generation % 2, 0u);
  EXPECT_EQ(sizeof(vmpl_registry), kHeaderBytes);
  EXPECT_EQ(Addr(&vmpl_registry) % 64, 0u) << "the header is one cache line";
  EXPECT_EQ(sizeof(vmpl_registry_entry), kEntryBytes);
}

// ------------------------------------------------------------------------------------------------
// Semantics of the writers.

TEST(Registry, RegisterRecordsKindAddressAndName) {
  VmPageList list;
  VmPageSpliceList splice;
  uint64_t list_id = Registry::Register(&list, "vmo:17/clone-of:3");
  uint64_t splice_id = Registry::Register(&splice, "splice:vmo:17[0x0,0x10000)");
  EXPECT_NE(list_id, 0u);
  EXPECT_NE(splice_id, 0u);
  EXPECT_NE(list_id, splice_id);
  ExpectRegistryHolds({
      {list_id, {RegistryKind::kPageList, Addr(&list), "vmo:17/clone-of:3"}},
      {splice_id, {RegistryKind::kSpliceList, Addr(&splice), "splice:vmo:17[0x0,0x10000)"}},
  });
  Registry::Unregister(list_id);
  Registry::Unregister(splice_id);
  ExpectRegistryHolds({}, {list_id, splice_id});
}

TEST(Registry, IdsAreUniqueIncreasingAndNeverReused) {
  std::mt19937 rng(Seed());
  SCOPED_TRACE(::testing::Message() << "seed " << Seed());
  auto lists = std::make_unique<VmPageList[]>(8);
  std::set<uint64_t> issued;
  std::vector<uint64_t> live;
  uint64_t last = 0;
  for (int i = 0; i < 2000; ++i) {
    if (live.empty() || rng() % 3 != 0) {
      uint64_t id = Registry::Register(&lists[i % 8], "ids:" + std::to_string(i));
      EXPECT_NE(id, 0u) << "step " << i;
      EXPECT_GT(id, last) << "step " << i;
      EXPECT_TRUE(issued.insert(id).second) << "step " << i << ": id " << id << " reused";
      last = id;
      live.push_back(id);
    } else {
      size_t k = rng() % live.size();
      Registry::Unregister(live[k]);
      live.erase(live.begin() + static_cast<ptrdiff_t>(k));
    }
  }
  EXPECT_LT(last, ReadSelf().next_id);
  for (uint64_t id : live) {
    Registry::Unregister(id);
  }
  // Slots are reused, ids are not.
  uint64_t again = Registry::Register(&lists[0], "ids:again");
  EXPECT_EQ(issued.count(again), 0u);
  EXPECT_GT(again, last);
  Registry::Unregister(again);
}

TEST(Registry, UnregisterRemovesOnlyThatEntry) {
  auto lists = std::make_unique<VmPageList[]>(3);
  std::map<uint64_t, Expected> expected;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    std::string name = "vmo:" + std::to_string(i);
    ids.push_back(Registry::Register(&lists[i], name));
    expected[ids.back()] = {RegistryKind::kPageList, Addr(&lists[i]), name};
  }
  size_t before = Registry::live_count();
  Registry::Unregister(ids[1]);
  expected.erase(ids[1]);
  EXPECT_EQ(Registry::live_count(), before - 1);
  ExpectRegistryHolds(expected, {ids[1]});
  Registry::Unregister(ids[0]);
  Registry::Unregister(ids[2]);
  ExpectRegistryHolds({}, ids);
  EXPECT_EQ(Registry::live_count(), before - 3);
}

TEST(Registry, RenameChangesOnlyTheName) {
  VmPageList a, b;
  uint64_t ida = Registry::Register(&a, "vmo:1");
  uint64_t idb = Registry::Register(&b, "vmo:2/clone-of:1");
  // A shorter name after a longer one: no stale bytes may remain after the NUL.
  Registry::Rename(idb, "x");
  ExpectRegistryHolds({{ida, {RegistryKind::kPageList, Addr(&a), "vmo:1"}},
                       {idb, {RegistryKind::kPageList, Addr(&b), "x"}}});
  RawRegistry raw = ReadSelf();
  const RawEntry* e = FindRaw(raw, idb);
  ASSERT_NE(e, nullptr);
  // Re-read the slot's name bytes: everything after the name is zero.
  const auto* array = reinterpret_cast<const uint8_t*>(vmpl_registry.entries);
  const uint8_t* name = array + size_t{e->slot} * kEntryBytes + kEntName;
  for (size_t i = 1; i < kNameBytes; ++i) {
    EXPECT_EQ(name[i], 0) << "byte " << i;
  }
  Registry::Rename(idb, "");
  ExpectRegistryHolds({{idb, {RegistryKind::kPageList, Addr(&b), ""}}});
  Registry::Unregister(ida);
  Registry::Unregister(idb);
}

TEST(Registry, SetAddressChangesOnlyTheAddress) {
  VmPageList before_move;
  uint64_t id = Registry::Register(&before_move, "vmo:5");
  VmPageList after_move(std::move(before_move));
  Registry::SetAddress(id, &after_move);
  ExpectRegistryHolds({{id, {RegistryKind::kPageList, Addr(&after_move), "vmo:5"}}});
  Registry::Unregister(id);
}

TEST(Registry, NamesAreTruncatedToFit) {
  constexpr size_t kMax = VMPL_REGISTRY_NAME_SIZE - 1;
  ASSERT_EQ(kMax, 55u);
  std::string exact(kMax, 'a');
  std::string long_name(100, 'b');
  // "é" is two bytes (C3 A9); placed so that it straddles the cut at byte 55.
  std::string utf8 = std::string(54, 'c') + "\xC3\xA9" + "tail";
  // A three-byte sequence ending exactly at the cut fits whole.
  std::string utf8_fits = std::string(52, 'd') + "\xE2\x82\xAC" + "more";
  std::string with_nul("before\0after", 12);

  struct Case {
    std::string input;
    std::string stored;
  } cases[] = {
      {"", ""},
      {exact, exact},
      {long_name, std::string(kMax, 'b')},
      {utf8, std::string(54, 'c')},
      {utf8_fits, std::string(52, 'd') + "\xE2\x82\xAC"},
      {with_nul, "before"},
  };
  VmPageList list;
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(::testing::Message() << "case " << i);
    EXPECT_EQ(Registry::TruncateName(cases[i].input), cases[i].stored);
    uint64_t id = Registry::Register(&list, cases[i].input);
    ExpectRegistryHolds({{id, {RegistryKind::kPageList, Addr(&list), cases[i].stored}}});
    Registry::Rename(id, cases[i].input);
    ExpectRegistryHolds({{id, {RegistryKind::kPageList, Addr(&list), cases[i].stored}}});
    Registry::Unregister(id);
  }
}

TEST(Registry, GenerationIsEvenAndAdvancesByTwoPerWrite) {
  VmPageList list;
  uint64_t g = Generation();
  EXPECT_EQ(g % 2, 0u);
  uint64_t id = Registry::Register(&list, "gen");
  EXPECT_EQ(Generation(), g + 2);
  Registry::Rename(id, "gen2");
  EXPECT_EQ(Generation(), g + 4);
  Registry::SetAddress(id, &list);
  EXPECT_EQ(Generation(), g + 6);
  Registry::Unregister(id);
  EXPECT_EQ(Generation(), g + 8);
  (void)Registry::Snapshot();
  (void)Registry::live_count();
  EXPECT_EQ(Generation(), g + 8) << "readers never write";
  // A registration that grows the array is still one write section.
  std::vector<uint64_t> ids;
  uint32_t capacity = vmpl_registry.capacity;
  for (int i = 0; vmpl_registry.capacity == capacity; ++i) {
    uint64_t before = Generation();
    ids.push_back(Registry::Register(&list, "grow"));
    EXPECT_EQ(Generation(), before + 2) << "registration " << i;
  }
  for (uint64_t grown : ids) {
    Registry::Unregister(grown);
  }
}

TEST(Registry, GrowthPastInitialCapacityKeepsEveryEntry) {
  std::mt19937 rng(Seed());
  SCOPED_TRACE(::testing::Message() << "seed " << Seed());
  // At least 1000, and enough to grow the array even if earlier tests in this process grew it.
  uint32_t initial_capacity = ReadSelf().capacity;
  const int kLists = static_cast<int>(std::max<uint32_t>(1000, initial_capacity * 2));
  auto lists = std::make_unique<VmPageList[]>(kLists);
  auto splices = std::make_unique<VmPageSpliceList[]>(16);
  std::map<uint64_t, Expected> expected;

  auto register_one = [&](int i) {
    std::string name = "vmo:" + std::to_string(i) + "/clone-of:" + std::to_string(rng() % 100);
    uint64_t id;
    if (i % 64 == 0) {
      const VmPageSpliceList* s = &splices[(i / 64) % 16];
      id = Registry::Register(s, name);
      expected[id] = {RegistryKind::kSpliceList, Addr(s), name};
    } else {
      id = Registry::Register(&lists[i], name);
      expected[id] = {RegistryKind::kPageList, Addr(&lists[i]), name};
    }
  };
  for (int i = 0; i < kLists; ++i) {
    register_one(i);
  }
  RawRegistry grown = ReadSelf();
  EXPECT_GT(grown.capacity, initial_capacity);
  EXPECT_GE(grown.capacity, grown.live_count);
  EXPECT_LE(grown.capacity, kMaxCapacity);
  ExpectRegistryHolds(expected);

  // Unregister a random half, check, register again into the freed slots, check.
  std::vector<uint64_t> gone;
  for (auto it = expected.begin(); it != expected.end();) {
    if (rng() % 2) {
      Registry::Unregister(it->first);
      gone.push_back(it->first);
      it = expected.erase(it);
    } else {
      ++it;
    }
  }
  ExpectRegistryHolds(expected, gone);
  for (size_t i = 0; i < gone.size(); ++i) {
    register_one(static_cast<int>(i));
  }
  ExpectRegistryHolds(expected, gone);
  EXPECT_EQ(ReadSelf().capacity, grown.capacity) << "freed slots are reused before growing";
  for (const auto& [id, unused] : expected) {
    Registry::Unregister(id);
  }
}

TEST(Registry, RetiredArraysStayReadable) {
  VmPageList list;
  std::vector<uint64_t> ids;
  ids.push_back(Registry::Register(&list, "retired:0"));
  RawRegistry before = ReadSelf();
  uint64_t old_entries = before.entries;
  uint32_t old_capacity = before.capacity;
  ASSERT_NE(old_entries, 0u);
  while (__atomic_load_n(&vmpl_registry.entries, __ATOMIC_ACQUIRE) == old_entries) {
    ids.push_back(Registry::Register(&list, "retired:" + std::to_string(ids.size())));
  }
  // A reader that loaded the old pointer just before the grow reads it now. Under ASan a freed
  // array would be a heap-use-after-free here.
  std::vector<uint8_t> stale(size_t{old_capacity} * kEntryBytes);
  memcpy(stale.data(), reinterpret_cast<const void*>(old_entries), stale.size());
  size_t in_use = 0;
  for (uint32_t slot = 0; slot < old_capacity; ++slot) {
    in_use += Get<uint64_t>(stale, slot * kEntryBytes + kEntAddress) != 0;
  }
  EXPECT_GE(in_use, 1u);
  for (uint64_t id : ids) {
    Registry::Unregister(id);
  }
}

TEST(Registry, SnapshotMatchesRawReadAndModel) {
  std::mt19937 rng(Seed());
  SCOPED_TRACE(::testing::Message() << "seed " << Seed());
  auto lists = std::make_unique<VmPageList[]>(64);
  std::map<uint64_t, Expected> expected;
  std::vector<uint64_t> gone;
  for (int step = 0; step < 400; ++step) {
    SCOPED_TRACE(::testing::Message() << "step " << step);
    unsigned op = rng() % 4;
    if (expected.empty() || op == 0) {
      int i = static_cast<int>(rng() % 64);
      std::string name = "s" + std::to_string(step);
      uint64_t id = Registry::Register(&lists[i], name);
      expected[id] = {RegistryKind::kPageList, Addr(&lists[i]), name};
    } else {
      auto it = expected.begin();
      std::advance(it, rng() % expected.size());
      if (op == 1) {
        gone.push_back(it->first);
        Registry::Unregister(it->first);
        expected.erase(it);
      } else if (op == 2) {
        it->second.name = "renamed:" + std::to_string(step);
        Registry::Rename(it->first, it->second.name);
      } else {
        it->second.address = Addr(&lists[rng() % 64]);
        Registry::SetAddress(it->first, reinterpret_cast<const void*>(it->second.address));
      }
    }
    if (step % 20 == 0) {
      ExpectRegistryHolds(expected, gone);
    }
  }
  ExpectRegistryHolds(expected, gone);
  for (const auto& [id, unused] : expected) {
    Registry::Unregister(id);
  }
}

// ------------------------------------------------------------------------------------------------
// ScopedRegistration.

TEST(ScopedRegistration, RegistersForItsLifetime) {
  VmPageList list;
  uint64_t id;
  {
    ScopedRegistration reg(&list, "scoped");
    id = reg.id();
    EXPECT_NE(id, 0u);
    ExpectRegistryHolds({{id, {RegistryKind::kPageList, Addr(&list), "scoped"}}});
    reg.Rename("scoped:renamed");
    VmPageList moved(std::move(list));
    reg.SetAddress(&moved);
    ExpectRegistryHolds({{id, {RegistryKind::kPageList, Addr(&moved), "scoped:renamed"}}});
  }
  ExpectRegistryHolds({}, {id});
}

TEST(ScopedRegistration, SpliceListKind) {
  VmPageSpliceList splice;
  ScopedRegistration reg(&splice, "splice");
  ExpectRegistryHolds({{reg.id(), {RegistryKind::kSpliceList, Addr(&splice), "splice"}}});
}

TEST(ScopedRegistration, DefaultHoldsNothing) {
  size_t before = Registry::live_count();
  {
    ScopedRegistration reg;
    EXPECT_EQ(reg.id(), 0u);
  }
  EXPECT_EQ(Registry::live_count(), before);
}

TEST(ScopedRegistration, MoveTransfersTheRegistration) {
  VmPageList list;
  size_t before = Registry::live_count();
  ScopedRegistration a(&list, "move");
  uint64_t id = a.id();
  ScopedRegistration b(std::move(a));
  EXPECT_EQ(a.id(), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(b.id(), id);
  EXPECT_EQ(Registry::live_count(), before + 1);
  ScopedRegistration c;
  c = std::move(b);
  EXPECT_EQ(b.id(), 0u);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.id(), id);
  ExpectRegistryHolds({{id, {RegistryKind::kPageList, Addr(&list), "move"}}});
  c = ScopedRegistration();  // unregisters
  EXPECT_EQ(c.id(), 0u);
  EXPECT_EQ(Registry::live_count(), before);
  ExpectRegistryHolds({}, {id});
}

TEST(ScopedRegistration, MoveAssignReleasesTheOldRegistration) {
  VmPageList x, y;
  ScopedRegistration a(&x, "a");
  ScopedRegistration b(&y, "b");
  uint64_t old_a = a.id();
  uint64_t old_b = b.id();
  a = std::move(b);
  EXPECT_EQ(a.id(), old_b);
  ExpectRegistryHolds({{old_b, {RegistryKind::kPageList, Addr(&y), "b"}}}, {old_a});
}

// ------------------------------------------------------------------------------------------------
// Misuse.

TEST(RegistryDeathTest, UnregisterOfADeadIdAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  VmPageList list;
  uint64_t id = Registry::Register(&list, "dead");
  Registry::Unregister(id);
  // Always-on ASSERTs (not DEBUG_ASSERT): no skip when debug asserts are compiled out.
  EXPECT_DEATH(Registry::Unregister(id), "registry id [0-9]+ is not live");
  EXPECT_DEATH(Registry::Rename(id, "x"), "is not live");
  EXPECT_DEATH(Registry::SetAddress(id, &list), "is not live");
  EXPECT_DEATH(Registry::Unregister(0), "registry id 0 is not live");
}

TEST(RegistryDeathTest, RegisteringNullAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Registry::Register(static_cast<const VmPageList*>(nullptr), "null"),
               "registering a null VmPageList");
  EXPECT_DEATH(Registry::Register(static_cast<const VmPageSpliceList*>(nullptr), "null"),
               "registering a null VmPageSpliceList");
  VmPageList list;
  ScopedRegistration reg(&list, "null-address");
  EXPECT_DEATH(reg.SetAddress(nullptr), "null address");
}

// ------------------------------------------------------------------------------------------------
// Readers: raw memory, torn reads, another process.

TEST(RegistryRawMemory, ReadBackMatchesRegistrations) {
  // The key test: only &vmpl_registry and the documented offsets, as gdb or a core reader does.
  auto lists = std::make_unique<VmPageList[]>(5);
  VmPageSpliceList splice;
  std::map<uint64_t, Expected> expected;
  for (int i = 0; i < 5; ++i) {
    std::string name = "vmo:" + std::to_string(10 + i) + "/clone-of:" + std::to_string(i);
    expected[Registry::Register(&lists[i], name)] = {RegistryKind::kPageList, Addr(&lists[i]),
                                                     name};
  }
  expected[Registry::Register(&splice, "splice:vmo:10")] = {RegistryKind::kSpliceList,
                                                            Addr(&splice), "splice:vmo:10"};
  RawRegistry raw = ReadSelf();
  EXPECT_EQ(raw.entries, reinterpret_cast<uintptr_t>(vmpl_registry.entries));
  EXPECT_EQ(raw.live_count, Registry::live_count());
  for (const auto& [id, want] : expected) {
    SCOPED_TRACE(::testing::Message() << "id " << id);
    const RawEntry* e = FindRaw(raw, id);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->address, want.address);
    EXPECT_EQ(e->kind, static_cast<uint32_t>(want.kind));
    EXPECT_EQ(e->name, want.name);
    // The same entry through the C struct.
    const auto* entries = reinterpret_cast<const vmpl_registry_entry*>(vmpl_registry.entries);
    EXPECT_EQ(entries[e->slot].id, id);
    EXPECT_STREQ(entries[e->slot].name, want.name.c_str());
  }
  // Every raw entry is in the Snapshot and vice versa, field for field.
  std::vector<RegistryEntryView> views = Registry::Snapshot();
  ASSERT_EQ(views.size(), raw.in_use.size());
  for (const RawEntry& e : raw.in_use) {
    const RegistryEntryView* v = FindView(views, e.id);
    ASSERT_NE(v, nullptr) << "id " << e.id;
    EXPECT_EQ(v->address, e.address);
    EXPECT_EQ(static_cast<uint32_t>(v->kind), e.kind);
    EXPECT_EQ(v->name, e.name);
  }
  for (const auto& [id, unused] : expected) {
    Registry::Unregister(id);
  }
}

void HoldSection(void* arg) {
  auto* result = static_cast<std::optional<RawRegistry>*>(arg);
  QuiescentSelfMemory mem;  // the only writer is this thread, and it is not writing
  *result = ReadRegistryOnce(mem, RegistryAddress());
}

TEST(RegistryRawMemory, OneShotReaderReportsTornWhileAWriterIsActive) {
  VmPageList list;
  ScopedRegistration reg(&list, "torn-but-readable");
  std::optional<RawRegistry> during;
  Registry::RunInWriteSectionForTesting(&HoldSection, &during);
  ASSERT_TRUE(during.has_value());
  EXPECT_TRUE(during->torn);
  EXPECT_EQ(during->generation % 2, 1u);
  EXPECT_EQ(during->writer_tid, static_cast<uint32_t>(gettid()));
  // Torn, yet everything is still decoded (a core file taken mid-write stays readable).
  const RawEntry* e = FindRaw(*during, reg.id());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "torn-but-readable");

  RawRegistry after = ReadSelf();
  EXPECT_FALSE(after.torn);
  EXPECT_EQ(after.generation, during->generation + 1);
}

TEST(RegistryRawMemory, SnapshotWaitsForAnActiveWriter) {
  VmPageList list;
  ScopedRegistration reg(&list, "waits");
  std::atomic<bool> snapshot_done{false};
  vmpl::test::HeldWriteSection writer;
  std::vector<RegistryEntryView> views;
  std::thread reader([&] {
    views = Registry::Snapshot();
    snapshot_done.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(snapshot_done.load()) << "Snapshot accepted a copy while the generation was odd";
  writer.Release();
  reader.join();
  EXPECT_TRUE(snapshot_done.load());
  EXPECT_NE(FindView(views, reg.id()), nullptr);
}

// A forked child registers entries, sends their ids and addresses, and waits; the parent reads
// the child's registry with process_vm_readv only. Then the child stops inside a write section
// and the parent's one-shot read must say "torn".
TEST(RegistryRawMemory, AnotherProcessReadsTheRegistry) {
  constexpr int kEntries = 100;  // past the initial capacity of a fresh registry
  int to_parent[2];
  int to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child: no gtest assertions, _exit only.
    close(to_parent[0]);
    close(to_child[1]);
    auto lists = std::make_unique<VmPageList[]>(kEntries);
    uint64_t record[kEntries][2];
    for (int i = 0; i < kEntries; ++i) {
      record[i][0] = Registry::Register(&lists[i], "child:" + std::to_string(i));
      record[i][1] = Addr(&lists[i]);
    }
    bool ok = write(to_parent[1], record, sizeof(record)) == static_cast<ssize_t>(sizeof(record));
    char go;
    ok = ok && read(to_child[0], &go, 1) == 1;  // the parent has read the clean registry
    struct Pipes {
      int out, in;
    } pipes{to_parent[1], to_child[0]};
    Registry::RunInWriteSectionForTesting(
        [](void* arg) {
          auto* p = static_cast<Pipes*>(arg);
          char c = 's';
          if (write(p->out, &c, 1) == 1) {
            (void)read(p->in, &c, 1);  // held mid-write until the parent has looked
          }
        },
        &pipes);
    for (int i = 0; i < kEntries; ++i) {
      Registry::Unregister(record[i][0]);
    }
    _exit(ok ? 0 : 1);
  }
  close(to_parent[1]);
  close(to_child[0]);
  auto finish_child = [&] {
    close(to_child[1]);  // EOF releases the child wherever it waits
    close(to_parent[0]);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    return status;
  };

  uint64_t record[kEntries][2];
  ASSERT_EQ(read(to_parent[0], record, sizeof(record)), static_cast<ssize_t>(sizeof(record)));
  RemoteMemory mem(pid);
  // The child is a fork of this process: the symbol is at the same address there.
  std::optional<RawRegistry> clean;
  for (int attempt = 0; attempt < 100 && !(clean && !clean->torn); ++attempt) {
    clean = ReadRegistryOnce(mem, RegistryAddress());
    if (!clean && (mem.last_errno() == EPERM || mem.last_errno() == ENOSYS)) {
      finish_child();
      GTEST_SKIP() << "process_vm_readv not permitted here (errno " << mem.last_errno() << ")";
    }
  }
  ASSERT_TRUE(clean.has_value());
  EXPECT_FALSE(clean->torn);
  EXPECT_THAT(clean->problems, ::testing::IsEmpty());
  for (int i = 0; i < kEntries; ++i) {
    SCOPED_TRACE(::testing::Message() << "child entry " << i);
    const RawEntry* e = FindRaw(*clean, record[i][0]);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->address, record[i][1]);
    EXPECT_EQ(e->kind, 1u);
    EXPECT_EQ(e->name, "child:" + std::to_string(i));
  }

  // Now the child stops inside a write section, like a process dumped mid-write.
  char c = 'g';
  ASSERT_EQ(write(to_child[1], &c, 1), 1);
  ASSERT_EQ(read(to_parent[0], &c, 1), 1);
  std::optional<RawRegistry> torn = ReadRegistryOnce(mem, RegistryAddress());
  ASSERT_TRUE(torn.has_value());
  EXPECT_TRUE(torn->torn);
  EXPECT_EQ(torn->generation % 2, 1u);
  EXPECT_EQ(torn->writer_tid, static_cast<uint32_t>(pid)) << "the child is single-threaded";
  EXPECT_EQ(torn->in_use.size(), clean->in_use.size()) << "still fully decodable";

  int status = finish_child();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

// ------------------------------------------------------------------------------------------------
// Concurrency: writers churn while two readers (Snapshot, and the raw protocol over atomic loads)
// check every accepted copy.

struct Observed {
  uint64_t id;
  uint32_t kind;
  uint64_t address;
  std::string name;
  bool operator<(const Observed& o) const {
    return std::tie(id, kind, address, name) < std::tie(o.id, o.kind, o.address, o.name);
  }
};

TEST(RegistryConcurrency, ReadersOnlyAcceptConsistentCopiesUnderChurn) {
  constexpr int kWriters = 3;
  constexpr int kListsPerWriter = 32;
  // Each writer does at least kMinOpsPerWriter operations, and goes on until each reader has
  // accepted kWantedCopies copies taken during the churn (on 2 CPUs, 3 writers at full speed can
  // starve the readers for a while: a seqlock favours writers) or until kMaxChurn has passed.
  constexpr int kMinOpsPerWriter = 20000;
  constexpr int kWantedCopies = 20;
  constexpr auto kMaxChurn = std::chrono::seconds(20);
  const uint32_t seed = Seed();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);

  std::vector<std::unique_ptr<VmPageList[]>> lists;
  std::unordered_set<uint64_t> valid_addresses;
  for (int t = 0; t < kWriters; ++t) {
    lists.push_back(std::make_unique<VmPageList[]>(kListsPerWriter));
    for (int i = 0; i < kListsPerWriter; ++i) {
      valid_addresses.insert(Addr(&lists[t][i]));
    }
  }
  // Every (name, address) state each id ever had, recorded by its writer after the write.
  struct History {
    uint32_t kind = 1;
    std::set<std::pair<std::string, uint64_t>> states;
  };
  std::vector<std::map<uint64_t, History>> histories(kWriters);
  std::atomic<int> writers_running{kWriters};
  // Copies accepted by each reader that showed at least one writer's entry (so were taken while
  // the churn was on).
  std::atomic<int> snapshots_during_churn{0}, raw_accepted_during_churn{0};
  const auto deadline = std::chrono::steady_clock::now() + kMaxChurn;
  // All five threads start together, so the readers run while the writers churn.
  std::atomic<int> ready{0};
  auto start_gate = [&] {
    ready.fetch_add(1);
    while (ready.load() < kWriters + 2) {
      std::this_thread::yield();
    }
  };

  auto keep_churning = [&](int op) {
    if (op < kMinOpsPerWriter) {
      return true;
    }
    bool readers_done = snapshots_during_churn.load() >= kWantedCopies &&
                        raw_accepted_during_churn.load() >= kWantedCopies;
    return !readers_done && std::chrono::steady_clock::now() < deadline;
  };

  auto writer = [&](int t) {
    std::mt19937 rng(seed + static_cast<uint32_t>(t));
    std::map<uint64_t, std::pair<std::string, uint64_t>> live;
    start_gate();
    for (int op = 0; keep_churning(op); ++op) {
      if (op % 64 == 0) {
        std::this_thread::yield();  // let the readers in now and then
      }
      unsigned choice = rng() % 8;
      if (live.size() < 4 || choice < 3) {
        const VmPageList* l = &lists[t][rng() % kListsPerWriter];
        std::string name = "w" + std::to_string(t) + "/" + std::to_string(op);
        uint64_t id = Registry::Register(l, name);
        live[id] = {name, Addr(l)};
        histories[t][id].states.insert(live[id]);
      } else {
        auto it = live.begin();
        std::advance(it, rng() % live.size());
        if (choice < 6) {
          Registry::Unregister(it->first);
          live.erase(it);
        } else if (choice == 6) {
          // Names of very different lengths, so a torn name shows.
          it->second.first = "w" + std::to_string(t) + "/renamed/" + std::to_string(op) +
                             std::string(rng() % 40, 'z');
          Registry::Rename(it->first, it->second.first);
          histories[t][it->first].states.insert(it->second);
        } else {
          const VmPageList* l = &lists[t][rng() % kListsPerWriter];
          it->second.second = Addr(l);
          Registry::SetAddress(it->first, l);
          histories[t][it->first].states.insert(it->second);
        }
      }
    }
    for (const auto& [id, unused] : live) {
      Registry::Unregister(id);
    }
    writers_running.fetch_sub(1);
  };

  // Reader 1: Snapshot. Reader 2: the documented protocol over raw memory (one-shot reads; torn
  // ones are counted and dropped, as a live reader would retry them).
  std::set<Observed> observed_snapshot, observed_raw;
  // One list per reader thread (no sharing while they run).
  std::vector<std::string> snapshot_failures, raw_failures;
  int snapshots = 0, raw_accepted = 0, raw_torn = 0;
  auto check_ids = [&](const std::vector<uint64_t>& ids, const char* who, int n) {
    std::set<uint64_t> unique(ids.begin(), ids.end());
    if (unique.size() != ids.size() || unique.count(0) != 0) {
      snapshot_failures.push_back(std::string(who) + " copy " + std::to_string(n) +
                                  ": duplicate or zero id");
    }
  };
  std::thread snapshot_reader([&] {
    start_gate();
    do {
      std::vector<RegistryEntryView> views = Registry::Snapshot();
      std::vector<uint64_t> ids;
      bool churn = false;
      for (const RegistryEntryView& v : views) {
        ids.push_back(v.id);
        if (v.name.rfind("w", 0) == 0) {
          churn = true;
          observed_snapshot.insert({v.id, static_cast<uint32_t>(v.kind), v.address, v.name});
        }
      }
      check_ids(ids, "snapshot", snapshots);
      ++snapshots;
      snapshots_during_churn += churn;
    } while (writers_running.load() > 0);
  });
  std::thread raw_reader([&] {
    ConcurrentSelfMemory mem;
    start_gate();
    do {
      std::optional<RawRegistry> r = ReadRegistryOnce(mem, RegistryAddress());
      if (!r) {
        raw_failures.push_back("raw read failed");
        break;
      }
      if (r->torn) {
        ++raw_torn;
        continue;
      }
      ++raw_accepted;
      // count == number of non-free entries, ids unique and below next_id, names terminated.
      for (const std::string& p : r->problems) {
        raw_failures.push_back("raw copy " + std::to_string(raw_accepted) + ": " + p);
      }
      bool churn = false;
      for (const RawEntry& e : r->in_use) {
        if (e.name.rfind("w", 0) == 0) {
          churn = true;
          observed_raw.insert({e.id, e.kind, e.address, e.name});
        }
      }
      raw_accepted_during_churn += churn;
    } while (writers_running.load() > 0 || raw_accepted == 0);
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back(writer, t);
  }
  for (std::thread& w : writers) {
    w.join();
  }
  snapshot_reader.join();
  raw_reader.join();

  EXPECT_THAT(snapshot_failures, ::testing::IsEmpty());
  EXPECT_THAT(raw_failures, ::testing::IsEmpty());
  // Each writer keeps >= 4 entries live from its first operations to its last, so a copy taken
  // during the churn shows some; without this the test could pass by reading only before or
  // after it.
  EXPECT_GE(snapshots_during_churn.load(), kWantedCopies) << snapshots << " snapshots";
  EXPECT_GE(raw_accepted_during_churn.load(), kWantedCopies) << raw_accepted << " raw copies";
  ::testing::Test::RecordProperty("snapshots", snapshots);
  ::testing::Test::RecordProperty("snapshots_during_churn", snapshots_during_churn.load());
  ::testing::Test::RecordProperty("raw_accepted", raw_accepted);
  ::testing::Test::RecordProperty("raw_accepted_during_churn", raw_accepted_during_churn.load());
  ::testing::Test::RecordProperty("raw_torn", raw_torn);

  // Every entry any accepted copy showed is a state its id really had: the name and address
  // that the id's writer gave it, together.
  std::map<uint64_t, History> all;
  for (auto& h : histories) {
    all.merge(h);
  }
  for (const auto* observed : {&observed_snapshot, &observed_raw}) {
    for (const Observed& o : *observed) {
      SCOPED_TRACE(::testing::Message()
                   << (observed == &observed_raw ? "raw" : "snapshot") << " id " << o.id
                   << " name '" << o.name << "' address 0x" << std::hex << o.address);
      auto it = all.find(o.id);
      ASSERT_NE(it, all.end()) << "an id no writer was given";
      EXPECT_EQ(o.kind, it->second.kind);
      EXPECT_EQ(it->second.states.count({o.name, o.address}), 1u)
          << "a torn or mixed entry was accepted";
      EXPECT_EQ(valid_addresses.count(o.address), 1u);
    }
  }
  // All writers unregistered everything they registered.
  for (const RegistryEntryView& v : Registry::Snapshot()) {
    EXPECT_EQ(all.count(v.id), 0u) << "id " << v.id << " still registered";
  }
}

// ------------------------------------------------------------------------------------------------
// Finding the symbol by name.

TEST(RegistrySymbol, DlsymFindsTheRegistry) {
  // The test executable is linked with ENABLE_EXPORTS (-rdynamic), so the symbol is in .dynsym.
  void* found = dlsym(RTLD_DEFAULT, "vmpl_registry");
  EXPECT_EQ(found, static_cast<void*>(&vmpl_registry)) << (found ? "" : dlerror());
}

struct ElfSymbol {
  uint64_t value = 0;
  uint64_t size = 0;
  unsigned type = 0;
  unsigned bind = 0;
  unsigned visibility = 0;
};

// Looks |name| up in the section of type |section_type| (SHT_SYMTAB or SHT_DYNSYM) of the ELF
// file |image|, as a core reader does with the executable named in the core's NT_FILE note.
std::optional<ElfSymbol> FindElfSymbol(const std::vector<char>& image, uint32_t section_type,
                                       const char* name) {
  if (image.size() < sizeof(Elf64_Ehdr) || memcmp(image.data(), ELFMAG, SELFMAG) != 0) {
    return std::nullopt;
  }
  Elf64_Ehdr eh;
  memcpy(&eh, image.data(), sizeof(eh));
  auto section = [&](size_t i) {
    Elf64_Shdr sh;
    memcpy(&sh, image.data() + eh.e_shoff + i * eh.e_shentsize, sizeof(sh));
    return sh;
  };
  if (eh.e_shoff + size_t{eh.e_shnum} * eh.e_shentsize > image.size()) {
    return std::nullopt;
  }
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh = section(i);
    if (sh.sh_type != section_type || sh.sh_entsize != sizeof(Elf64_Sym) ||
        sh.sh_link >= eh.e_shnum) {
      continue;
    }
    Elf64_Shdr strtab = section(sh.sh_link);
    for (size_t k = 0; k < sh.sh_size / sizeof(Elf64_Sym); ++k) {
      Elf64_Sym sym;
      memcpy(&sym, image.data() + sh.sh_offset + k * sizeof(Elf64_Sym), sizeof(sym));
      if (sym.st_name >= strtab.sh_size) {
        continue;
      }
      const char* sym_name = image.data() + strtab.sh_offset + sym.st_name;
      if (strcmp(sym_name, name) == 0 && sym.st_shndx != SHN_UNDEF) {
        return ElfSymbol{sym.st_value, sym.st_size, ELF64_ST_TYPE(sym.st_info),
                         ELF64_ST_BIND(sym.st_info), ELF64_ST_VISIBILITY(sym.st_other)};
      }
    }
  }
  return std::nullopt;
}

TEST(RegistrySymbol, ElfSymbolTablesExportTheRegistry) {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  ASSERT_TRUE(file.good());
  std::vector<char> image((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The main program's load bias (PIE): the first object dl_iterate_phdr reports.
  uintptr_t bias = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        *static_cast<uintptr_t*>(data) = info->dlpi_addr;
        return 1;
      },
      &bias);
  for (uint32_t type : {uint32_t{SHT_SYMTAB}, uint32_t{SHT_DYNSYM}}) {
    SCOPED_TRACE(type == SHT_SYMTAB ? ".symtab" : ".dynsym");
    std::optional<ElfSymbol> sym = FindElfSymbol(image, type, "vmpl_registry");
    ASSERT_TRUE(sym.has_value());
    EXPECT_EQ(sym->type, unsigned{STT_OBJECT});
    EXPECT_EQ(sym->bind, unsigned{STB_GLOBAL});
    EXPECT_EQ(sym->visibility, unsigned{STV_DEFAULT});
    EXPECT_EQ(sym->size, kHeaderBytes);
    EXPECT_EQ(bias + sym->value, Addr(&vmpl_registry));
  }
}

}  // namespace
