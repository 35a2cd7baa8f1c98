// ReadRegistry (inspect/src/registry_reader.cc), the C++ reader of docs/registry-format.md:
//   - on the shared vectors, tests/vectors/registry.json, which gdb/vmpl/registry_reader.py is
//     held to as well (tests/gdb/registry_reader_test.py), so the two readers agree on every
//     case: the stride (entry_size 96 read 96 bytes apart), the refusals (an entry_size below 80,
//     a version it does not know), a torn copy and each check of a slot; and the vectors'
//     "layout" block against the ABI header's own offsetof/sizeof;
//   - on this process's real registry and lists (LiveProcessSource on our own pid): a registry
//     with 96-byte entries decoded end to end, a writer held inside a write section (a stopped
//     target reports torn at once, a running one waits it out), and writers churning while it
//     reads (every copy it accepts passes every check).

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/inspect/registry_reader.h>
#include <vmpl/registry.h>
#include <vmpl/registry_abi.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/held_write_section.h"
#include "vectors/vector_file.h"

namespace vmpl::inspect {
namespace {

using nlohmann::json;

json LoadVectors() { return test::LoadVectorFile(VMPL_REGISTRY_VECTORS); }

// A JSON integer, or a string such as "0x7000".
uint64_t Number(const json& value) {
  return value.is_string() ? std::stoull(value.get<std::string>(), nullptr, 0)
                           : value.get<uint64_t>();
}

// A sparse address space of byte ranges; a read must fall inside one range. |generations|, if
// set, answers the reads of the header's generation in turn (a writer racing the reader).
class ImageSource : public MemorySource {
 public:
  void Map(uint64_t address, std::vector<uint8_t> bytes) { ranges_[address] = std::move(bytes); }

  ReadResult Read(uint64_t address, void* buffer, size_t size) override {
    if (!generations_.empty() && address == generation_at_ && size == 8) {
      const uint64_t value = generations_[std::min(generation_reads_++, generations_.size() - 1)];
      memcpy(buffer, &value, 8);
      return ReadResult{size, ""};
    }
    for (const auto& [start, bytes] : ranges_) {
      if (start <= address && address - start <= bytes.size() &&
          size <= bytes.size() - (address - start)) {
        memcpy(buffer, bytes.data() + (address - start), size);
        return ReadResult{size, ""};
      }
    }
    memset(buffer, 0, size);
    return ReadResult{0, fmt::format("{:#x}: not in the image", address)};
  }

  std::string Describe() const override { return "registry image"; }

  void RaceGenerations(uint64_t at, std::vector<uint64_t> values) {
    generation_at_ = at;
    generations_ = std::move(values);
  }

 private:
  std::map<uint64_t, std::vector<uint8_t>> ranges_;
  uint64_t generation_at_ = 0;
  std::vector<uint64_t> generations_;
  size_t generation_reads_ = 0;
};

// The memory a case of the vectors describes (see the file's "comment").
ImageSource ImageOf(const json& vectors, const json& c) {
  json h = vectors["header_defaults"];
  h.update(c["header"]);
  vmpl_registry_header header{};
  const std::string magic = h["magic"].get<std::string>();
  EXPECT_EQ(magic.size(), sizeof(header.magic));
  memcpy(header.magic, magic.data(), sizeof(header.magic));
  header.version = Number(h["version"]);
  header.entry_size = Number(h["entry_size"]);
  header.generation = Number(h["generation"]);
  header.entries = Number(h["entries"]);
  header.capacity = Number(h["capacity"]);
  header.live_count = Number(h["live_count"]);
  header.next_id = Number(h["next_id"]);
  header.header_size = Number(h["header_size"]);
  header.name_size = Number(h["name_size"]);
  header.pointer_size = Number(h["pointer_size"]);
  header.byte_order = Number(h["byte_order"]);
  header.page_list_layout = Number(h["page_list_layout"]);
  header.page_list_size = Number(h["page_list_size"]);
  header.splice_list_size = Number(h["splice_list_size"]);
  header.node_size = Number(h["node_size"]);
  header.writer_tid = Number(h["writer_tid"]);

  ImageSource image;
  if (c.value("header_readable", true)) {
    std::vector<uint8_t> bytes(sizeof(header));
    memcpy(bytes.data(), &header, sizeof(header));
    image.Map(Number(vectors["header_address"]), std::move(bytes));
  }
  if (header.capacity > VMPL_REGISTRY_MAX_CAPACITY) {
    return image;  // refused before the array is read
  }
  std::vector<uint8_t> array(size_t{header.capacity} * header.entry_size);
  for (const json& slot : c["slots"]) {
    vmpl_registry_entry entry{};
    const std::string name = slot["name"].get<std::string>();
    entry.address = Number(slot["address"]);
    entry.id = Number(slot["id"]);
    entry.kind = Number(slot["kind"]);
    entry.name_length = slot.contains("name_length") ? Number(slot["name_length"]) : name.size();
    memcpy(entry.name, name.data(), std::min(name.size(), sizeof(entry.name)));
    uint8_t* base = array.data() + Number(slot["slot"]) * header.entry_size;
    memset(base, static_cast<int>(Number(vectors["slot_padding_byte"])), header.entry_size);
    memcpy(base, &entry, sizeof(entry));
  }
  array.resize(std::min<size_t>(array.size(), c.value("entries_readable", array.size())));
  image.Map(header.entries, std::move(array));
  return image;
}

// |actual| says |expected|, perhaps followed by ": " and the source's reason.
bool Says(const std::string& actual, const std::string& expected) {
  return actual == expected || actual.rfind(expected + ": ", 0) == 0;
}

// Checks what ReadRegistry made of |c| against the case's expectation.
void ExpectCase(const json& c, const RegistryContents& got) {
  const json& expect = c["expect"];
  if (expect.contains("refused")) {
    EXPECT_FALSE(got.found);
    EXPECT_TRUE(got.entries.empty());
    ASSERT_EQ(got.problems.size(), 1u);
    EXPECT_PRED2(Says, got.problems[0].message, expect["refused"].get<std::string>());
    return;
  }
  EXPECT_TRUE(got.found);
  EXPECT_EQ(got.torn, expect["torn"].get<bool>());
  ASSERT_EQ(got.problems.size(), expect["problems"].size());
  for (size_t i = 0; i < got.problems.size(); i++) {
    EXPECT_PRED2(Says, got.problems[i].message, expect["problems"][i].get<std::string>()) << i;
  }
  ASSERT_EQ(got.entries.size(), expect["entries"].size());
  for (size_t i = 0; i < got.entries.size(); i++) {
    const json& want = expect["entries"][i];
    SCOPED_TRACE(want.dump());
    EXPECT_EQ(got.entries[i].slot, Number(want["slot"]));
    EXPECT_EQ(got.entries[i].address, Number(want["address"]));
    EXPECT_EQ(got.entries[i].id, Number(want["id"]));
    EXPECT_EQ(got.entries[i].kind, Number(want["kind"]));
    EXPECT_EQ(got.entries[i].name, want["name"].get<std::string>());
  }
}

TEST(RegistryReaderVectors, LayoutIsTheAbiHeaders) {
  const json layout = LoadVectors()["layout"];
  EXPECT_EQ(layout["magic"].get<std::string>(), VMPL_REGISTRY_MAGIC);
  EXPECT_EQ(Number(layout["version"]), VMPL_REGISTRY_VERSION);
  EXPECT_EQ(Number(layout["header_size"]), sizeof(vmpl_registry_header));
  EXPECT_EQ(Number(layout["entry_size"]), sizeof(vmpl_registry_entry));
  EXPECT_EQ(Number(layout["name_size"]), VMPL_REGISTRY_NAME_SIZE);
  EXPECT_EQ(Number(layout["max_capacity"]), VMPL_REGISTRY_MAX_CAPACITY);
#define VMPL_EXPECT_OFFSET(group, type, field) \
  EXPECT_EQ(Number(layout[group][#field]), offsetof(type, field)) << #field
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, magic);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, version);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, entry_size);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, generation);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, entries);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, capacity);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, live_count);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, next_id);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, header_size);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, name_size);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, pointer_size);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, byte_order);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, page_list_layout);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, page_list_size);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, splice_list_size);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, node_size);
  VMPL_EXPECT_OFFSET("header_offsets", vmpl_registry_header, writer_tid);
  VMPL_EXPECT_OFFSET("entry_offsets", vmpl_registry_entry, address);
  VMPL_EXPECT_OFFSET("entry_offsets", vmpl_registry_entry, id);
  VMPL_EXPECT_OFFSET("entry_offsets", vmpl_registry_entry, kind);
  VMPL_EXPECT_OFFSET("entry_offsets", vmpl_registry_entry, name_length);
  VMPL_EXPECT_OFFSET("entry_offsets", vmpl_registry_entry, name);
#undef VMPL_EXPECT_OFFSET
  EXPECT_EQ(layout["header_offsets"].size(), 17u) << "a header field the test does not check";
  EXPECT_EQ(layout["entry_offsets"].size(), 5u) << "an entry field the test does not check";
}

// Every case read as a stopped target reads (once) and as a running one does (retrying): a
// static image gives both the same answer.
TEST(RegistryReaderVectors, EveryCaseStoppedOrRunning) {
  const json vectors = LoadVectors();
  ASSERT_TRUE(vectors.contains("cases"));
  EXPECT_GE(vectors["cases"].size(), 15u);
  for (const bool runs : {false, true}) {
    for (const json& c : vectors["cases"]) {
      SCOPED_TRACE(c["name"].get<std::string>() + (runs ? " (running)" : " (stopped)"));
      ImageSource image = ImageOf(vectors, c);
      ExpectCase(c, ReadRegistry(image, Number(vectors["header_address"]),
                                 {.target_runs = runs, .max_attempts = 3, .pause = {}}));
    }
  }
}

// A writer ran between the two reads of the generation (6, then 8; then 8 for good).
TEST(RegistryReaderVectors, ACopyThatRacedAWriterIsTornWhenStoppedAndTakenAgainWhenRunning) {
  const json vectors = LoadVectors();
  const json& c = vectors["cases"][0];
  const uint64_t address = Number(vectors["header_address"]);
  const uint64_t generation_at = address + offsetof(vmpl_registry_header, generation);

  ImageSource stopped = ImageOf(vectors, c);
  stopped.RaceGenerations(generation_at, {6, 8});
  const RegistryContents once = ReadRegistry(stopped, address, {.target_runs = false});
  EXPECT_TRUE(once.torn);
  ASSERT_FALSE(once.problems.empty());
  EXPECT_EQ(once.problems[0].message,
            "registry: torn (a writer was active: thread 0, generation 8); 2 entries shown may be "
            "incomplete or stale");

  ImageSource running = ImageOf(vectors, c);
  running.RaceGenerations(generation_at, {6, 8, 8, 8});
  const RegistryContents again =
      ReadRegistry(running, address, {.target_runs = true, .max_attempts = 5, .pause = {}});
  EXPECT_FALSE(again.torn);
  EXPECT_EQ(again.generation, 8u);
  EXPECT_TRUE(again.problems.empty()) << again.problems[0].message;
  EXPECT_EQ(again.entries.size(), 2u);
}

// ------------------------------------------------------------------------------------------------
// This process's registry and lists.

void FillMarkers(VmPageList& list, uint64_t pages) {
  for (uint64_t i = 0; i < pages; i++) {
    auto [slot, in_interval] =
        list.LookupOrAllocate(i * PAGE_SIZE, VmPageList::IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    *slot = VmPageOrMarker::Marker();
  }
}

void Clear(VmPageList& list) {
  list.RemoveAllContent([](VmPageOrMarker&&) {});
}

// A registry as a later version could write it: entries of 96 bytes, the 16 past version 1's
// fields holding something this reader does not know. It names two real lists of this process.
TEST(RegistryReader, NinetySixByteEntriesDecodeEndToEnd) {
  constexpr uint16_t kEntrySize = 96;
  VmPageList a;
  VmPageList b;
  FillMarkers(a, 3);
  FillMarkers(b, 40);
  alignas(8) uint8_t array[3 * kEntrySize];
  memset(array, 0xa5, sizeof(array));
  const auto put = [&](uint32_t slot, const VmPageList& list, uint64_t id, const char* name) {
    vmpl_registry_entry entry{};
    entry.address = reinterpret_cast<uintptr_t>(&list);
    entry.id = id;
    entry.kind = static_cast<uint32_t>(RegistryKind::kPageList);
    entry.name_length = static_cast<uint32_t>(strlen(name));
    memcpy(entry.name, name, entry.name_length);
    memcpy(array + slot * kEntrySize, &entry, sizeof(entry));
  };
  put(0, b, 2, "ninety-six/b");
  memset(array + kEntrySize, 0, kEntrySize);  // a free slot
  put(2, a, 1, "ninety-six/a");
  alignas(64) vmpl_registry_header header = vmpl::InitialRegistryHeader(
      sizeof(VmPageList), sizeof(VmPageSpliceList), sizeof(VmPageListNode));
  header.entry_size = kEntrySize;
  header.entries = reinterpret_cast<uintptr_t>(array);
  header.capacity = 3;
  header.live_count = 2;
  header.next_id = 3;

  LiveProcessSource memory(getpid());
  const Snapshot s =
      DecodeRegistry(memory, reinterpret_cast<uintptr_t>(&header), BuiltinDecodeLayout());
  ASSERT_TRUE(s.problems.empty()) << s.problems[0].message;
  ASSERT_EQ(s.lists.size(), 2u);
  EXPECT_EQ(s.lists[0].registry_id, 1u);
  EXPECT_EQ(s.lists[0].name, "ninety-six/a");
  EXPECT_EQ(s.lists[0].address, reinterpret_cast<uintptr_t>(&a));
  EXPECT_EQ(s.lists[0].nodes.size(), 1u);
  EXPECT_EQ(s.lists[1].name, "ninety-six/b");
  EXPECT_EQ(s.lists[1].nodes.size(), 3u);  // 40 pages: slots 0..39, three nodes
  EXPECT_TRUE(s.lists[1].problems.empty());
  Clear(a);
  Clear(b);
}

struct InSection {
  RegistryContents stopped;
  RegistryContents running;
};

void ReadInsideTheSection(void* arg) {
  auto* out = static_cast<InSection*>(arg);
  LiveProcessSource memory(getpid());
  const uint64_t address = reinterpret_cast<uintptr_t>(&vmpl_registry);
  out->stopped = ReadRegistry(memory, address, {.target_runs = false});
  out->running = ReadRegistry(memory, address, {.target_runs = true, .max_attempts = 3});
}

TEST(RegistryReader, AWriterInsideItsSectionMakesTheCopyTornButReadable) {
  VmPageList list;
  ScopedRegistration registration(&list, "registry-reader/torn");
  InSection in;
  Registry::RunInWriteSectionForTesting(&ReadInsideTheSection, &in);
  for (const RegistryContents* r : {&in.stopped, &in.running}) {
    EXPECT_TRUE(r->found);
    EXPECT_TRUE(r->torn);
    EXPECT_EQ(r->generation % 2, 1u);
    EXPECT_EQ(r->writer_tid, static_cast<uint32_t>(gettid()));
    ASSERT_FALSE(r->problems.empty());
    EXPECT_EQ(r->problems[0].message.rfind("registry: torn (a writer was active: thread ", 0), 0u)
        << r->problems[0].message;
    bool listed = false;
    for (const RegistryEntry& e : r->entries) {
      listed |= e.id == registration.id() && e.name == "registry-reader/torn";
    }
    EXPECT_TRUE(listed);
  }
}

TEST(RegistryReader, ARunningTargetIsWaitedFor) {
  VmPageList list;
  ScopedRegistration registration(&list, "registry-reader/waits");
  vmpl::test::HeldWriteSection writer;
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    writer.Release();
  });
  LiveProcessSource memory(getpid());
  const RegistryContents r = ReadRegistry(
      memory, reinterpret_cast<uintptr_t>(&vmpl_registry),
      {.target_runs = true, .max_attempts = 100000, .pause = std::chrono::microseconds(50)});
  releaser.join();
  EXPECT_TRUE(r.found);
  EXPECT_FALSE(r.torn);
  EXPECT_EQ(r.generation % 2, 0u);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].message;
}

// Writers register, rename and unregister without pause while two readers read: one as a
// stopped target is read (once), one as a running target is (retrying). The first must meet
// writers (some of its copies torn), or the test proves nothing; the second must never accept a
// copy that fails a check of section 5.1.
TEST(RegistryReader, UnderChurnEveryAcceptedCopyIsConsistent) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; w++) {
    writers.emplace_back([&stop, w] {
      VmPageList lists[8];
      for (uint64_t round = 0; !stop.load(std::memory_order_relaxed); round++) {
        std::vector<uint64_t> ids;
        for (VmPageList& list : lists) {
          ids.push_back(Registry::Register(&list, fmt::format("churn/{}/{}", w, round)));
        }
        for (uint64_t id : ids) {
          Registry::Rename(id, std::string(static_cast<size_t>(round % 50), 'r'));
          Registry::Unregister(id);
        }
      }
    });
  }
  LiveProcessSource memory(getpid());
  const uint64_t address = reinterpret_cast<uintptr_t>(&vmpl_registry);
  int once_torn = 0;
  int accepted = 0;
  std::vector<std::string> failures;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0; (i < 200 || once_torn == 0) && std::chrono::steady_clock::now() < deadline; i++) {
    once_torn += ReadRegistry(memory, address, {.target_runs = false}).torn;
    const RegistryContents r = ReadRegistry(memory, address, {.target_runs = true});
    if (!r.found || r.torn) {
      continue;
    }
    accepted++;
    if (!r.problems.empty()) {
      failures.push_back(fmt::format("copy {}: {}", i, r.problems[0].message));
    }
  }
  stop.store(true);
  for (std::thread& writer : writers) {
    writer.join();
  }
  ::testing::Test::RecordProperty("once_torn", once_torn);
  EXPECT_GT(once_torn, 0) << "the writers never raced a reader: the test proves nothing";
  EXPECT_GT(accepted, 0);
  EXPECT_TRUE(failures.empty()) << failures.size() << " inconsistent copies accepted, first "
                                << failures[0];
}

}  // namespace
}  // namespace vmpl::inspect
