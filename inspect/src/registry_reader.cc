// The registry reader (see registry_reader.h): docs/registry-format.md, sections 2 to 5.2, with
// every size and offset taken from <vmpl/registry_abi.h>.

#include "vmpl/inspect/registry_reader.h"

#include <fmt/format.h>
#include <stddef.h>
#include <string.h>
#include <vmpl/registry.h>
#include <vmpl/registry_abi.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

namespace vmpl::inspect {

namespace {

constexpr uint64_t kGenerationOffset = offsetof(vmpl_registry_header, generation);
constexpr size_t kGenerationBytes = sizeof(vmpl_registry_header::generation);
constexpr size_t kNameBytes = sizeof(vmpl_registry_entry::name);
static_assert(kNameBytes == VMPL_REGISTRY_NAME_SIZE);
static_assert(kGenerationOffset % kGenerationBytes == 0,
              "the generation is read with one aligned load (section 5.1)");
// The entry array is read this many bytes at a time (at least one entry), so a corrupt capacity
// costs reads, not memory. registry_reader.py reads with the same chunks, so the two name the
// same address when the array stops being readable.
constexpr size_t kChunkBytes = size_t{1} << 16;

// A slot in use as copied: its index and the fields version 1 defines.
struct Slot {
  uint32_t index = 0;
  vmpl_registry_entry fields{};
};

// What one pass of the reader protocol (section 5.1) copied.
struct Pass {
  uint64_t g1 = 0;  // the generation before the copy
  uint64_t g2 = 0;  // and after it
  vmpl_registry_header header{};
  std::vector<Slot> slots;
  std::optional<SnapshotProblem> unreadable;  // where the array stopped being readable

  bool consistent() const { return g1 % 2 == 0 && g1 == g2; }
  // The generation a torn copy is reported with: the odd one if the copy began inside a write
  // section, else the one a writer left behind during the copy.
  uint64_t torn_generation() const { return g1 % 2 != 0 ? g1 : g2; }
};

class Reader {
 public:
  Reader(MemorySource& memory, uint64_t address, RegistryContents& out)
      : memory_(memory), address_(address), out_(out) {}

  // One aligned 8-byte read of the generation into |*generation|; false, with the problem
  // recorded, if it is unreadable.
  bool ReadGeneration(uint64_t* generation) {
    // For a source that copies this process's memory, the fences keep the copy between the two
    // loads of the generation, as a seqlock reader's acquire load and acquire fence do.
    std::atomic_thread_fence(std::memory_order_acquire);
    const ReadResult result =
        memory_.Read(address_ + kGenerationOffset, generation, kGenerationBytes);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (!result.ok()) {
      Refuse(fmt::format("registry at {:#x} is unreadable: {}", address_, result.error));
      return false;
    }
    return true;
  }

  // Copies the header into |pass| and checks it (section 5.1); false, with the reason recorded,
  // if it is no registry this reader knows.
  bool CopyHeader(Pass& pass) {
    vmpl_registry_header& h = pass.header;
    const ReadResult result = memory_.Read(address_, &h, sizeof(h));
    if (!result.ok()) {
      Refuse(fmt::format("registry at {:#x} is unreadable: {}", address_, result.error));
      return false;
    }
    if (memcmp(h.magic, VMPL_REGISTRY_MAGIC, sizeof(h.magic)) != 0) {
      Refuse(
          fmt::format("no registry at {:#x}: magic is not \"{}\"", address_, VMPL_REGISTRY_MAGIC));
    } else if (h.version != VMPL_REGISTRY_VERSION) {
      Refuse(fmt::format("registry version {}: this reader knows version {}", h.version,
                         VMPL_REGISTRY_VERSION));
    } else if (h.entry_size < sizeof(vmpl_registry_entry)) {
      Refuse(fmt::format("registry entry_size {} is less than the {} bytes of a version-{} entry",
                         h.entry_size, sizeof(vmpl_registry_entry), VMPL_REGISTRY_VERSION));
    } else if (h.name_size != kNameBytes) {
      Refuse(fmt::format("registry name_size {}: version {} names are {} bytes", h.name_size,
                         VMPL_REGISTRY_VERSION, kNameBytes));
    } else if (h.capacity > VMPL_REGISTRY_MAX_CAPACITY) {
      Refuse(fmt::format("registry capacity {} is above the limit of {}: corrupt", h.capacity,
                         VMPL_REGISTRY_MAX_CAPACITY));
    } else if (h.capacity != 0 && h.entries == 0) {
      Refuse(fmt::format("registry capacity {} with no entry array (entries is 0): corrupt",
                         h.capacity));
    } else {
      return true;
    }
    return false;
  }

  // Copies the slots in use of the entry array, |entry_size| bytes apart, into |pass|.
  void CopyEntries(Pass& pass) {
    const vmpl_registry_header& h = pass.header;
    const uint32_t per_chunk =
        static_cast<uint32_t>(std::max<size_t>(1, kChunkBytes / h.entry_size));
    std::vector<uint8_t> chunk;
    for (uint32_t first = 0; first < h.capacity; first += per_chunk) {
      const uint32_t count = std::min(per_chunk, h.capacity - first);
      const uint64_t at = h.entries + uint64_t{first} * h.entry_size;
      chunk.resize(size_t{count} * h.entry_size);
      const ReadResult result = memory_.Read(at, chunk.data(), chunk.size());
      if (!result.ok()) {
        pass.unreadable = SnapshotProblem{
            at, fmt::format("registry entries at {:#x} are unreadable, listing stopped: {}", at,
                            result.error)};
        return;
      }
      for (uint32_t i = 0; i < count; i++) {
        Slot slot{first + i, {}};
        memcpy(&slot.fields, chunk.data() + size_t{i} * h.entry_size, sizeof(slot.fields));
        if (slot.fields.address != 0) {
          pass.slots.push_back(slot);
        }
      }
    }
  }

  // Fills |out_| from the copy, checking what section 5.1 lists for a consistent copy.
  void Decode(const Pass& pass) {
    const vmpl_registry_header& h = pass.header;
    out_.found = true;
    out_.torn = !pass.consistent();
    out_.generation = pass.g1;
    out_.writer_tid = h.writer_tid;
    std::vector<SnapshotProblem> checks;
    std::unordered_map<uint64_t, uint32_t> slot_of_id;
    for (const Slot& slot : pass.slots) {
      const vmpl_registry_entry& e = slot.fields;
      const uint64_t at = h.entries + uint64_t{slot.index} * h.entry_size;
      const bool name_ok = e.name_length < kNameBytes && e.name[e.name_length] == '\0' &&
                           strnlen(e.name, e.name_length) == e.name_length;
      if (!name_ok) {
        checks.push_back({at, fmt::format("registry slot {} (id {}): name_length {} does not end "
                                          "the name",
                                          slot.index, e.id, e.name_length)});
      }
      if (e.kind != static_cast<uint32_t>(RegistryKind::kPageList) &&
          e.kind != static_cast<uint32_t>(RegistryKind::kSpliceList)) {
        checks.push_back({at, fmt::format("registry slot {} (id {}): kind {} is neither 1 "
                                          "(VmPageList) nor 2 (VmPageSpliceList)",
                                          slot.index, e.id, e.kind)});
      }
      if (e.id == 0 || e.id >= h.next_id) {
        checks.push_back({at, fmt::format("registry slot {}: id {} is not in [1, next_id {})",
                                          slot.index, e.id, h.next_id)});
      }
      if (const auto [it, inserted] = slot_of_id.emplace(e.id, slot.index); !inserted) {
        checks.push_back({at, fmt::format("registry slot {}: id {} is also in slot {}", slot.index,
                                          e.id, it->second)});
      }
      const size_t name_length = name_ok ? e.name_length : strnlen(e.name, kNameBytes - 1);
      out_.entries.push_back(
          RegistryEntry{slot.index, e.address, e.id, e.kind, std::string(e.name, name_length)});
    }
    if (!pass.unreadable && pass.slots.size() != h.live_count) {
      checks.push_back({address_, fmt::format("registry: live_count says {}, {} slots are in use",
                                              h.live_count, pass.slots.size())});
    }
    if (out_.torn) {
      const size_t n = out_.entries.size();
      out_.problems.push_back(
          {address_,
           fmt::format("registry: torn (a writer was active: thread {}, generation "
                       "{}); {} {} shown may be incomplete or stale",
                       h.writer_tid, pass.torn_generation(), n, n == 1 ? "entry" : "entries")});
    }
    if (pass.unreadable) {
      out_.problems.push_back(*pass.unreadable);
    }
    std::move(checks.begin(), checks.end(), std::back_inserter(out_.problems));
    std::stable_sort(out_.entries.begin(), out_.entries.end(),
                     [](const RegistryEntry& a, const RegistryEntry& b) { return a.id < b.id; });
  }

 private:
  void Refuse(std::string message) {
    out_.problems.push_back(SnapshotProblem{address_, std::move(message)});
  }

  MemorySource& memory_;
  const uint64_t address_;
  RegistryContents& out_;
};

}  // namespace

RegistryContents ReadRegistry(MemorySource& memory, uint64_t address,
                              const RegistryReadOptions& options) {
  RegistryContents out;
  Reader reader(memory, address, out);
  const int attempts = options.target_runs ? std::max(options.max_attempts, 1) : 1;
  Pass pass;
  for (int attempt = 1;; attempt++) {
    const bool last = attempt >= attempts;
    pass = Pass{};
    if (!reader.ReadGeneration(&pass.g1)) {
      return out;
    }
    // A writer is inside a write section: wait for it, unless this is the last try.
    if (pass.g1 % 2 != 0 && !last) {
      std::this_thread::sleep_for(options.pause);
      continue;
    }
    if (!reader.CopyHeader(pass)) {
      return out;
    }
    reader.CopyEntries(pass);
    if (!reader.ReadGeneration(&pass.g2)) {
      return out;
    }
    if (pass.consistent() || last) {
      break;
    }
    std::this_thread::sleep_for(options.pause);
  }
  reader.Decode(pass);
  return out;
}

}  // namespace vmpl::inspect
