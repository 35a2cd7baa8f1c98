// The canary scan (inspect/src/canary_scan.cc) on real page lists of this process and of a
// gcore of a forked child, with no symbol and no registry: every list is found with its kind
// and node count, decoding what was found gives what decoding the known address gives, a
// destroyed list is not found, and damage (a cut parent link, a header that does not point back
// at its root, unreadable memory, limits) is reported with its address. Damage is done to real
// nodes and undone before the lists are destroyed. Made-up memory with links pointing anywhere
// (cycles among them) ends the scan, bounded, like any other.

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/canary_scan.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/elf_core_source.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_allocator.h>
#include <vmpl/page_list_access.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "run_gcore.h"

#if defined(__SANITIZE_ADDRESS__)
#define VMPL_SCAN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMPL_SCAN_TEST_ASAN 1
#endif
#endif

namespace vmpl::inspect {
namespace {

constexpr uint64_t kNode = VmPageListNode::kPageFanOut * PAGE_SIZE;

#ifdef VMPL_SCAN_TEST_ASAN
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif

uint64_t Address(const void* p) { return reinterpret_cast<uintptr_t>(p); }

void Set(VmPageList& list, uint64_t offset, VmPageOrMarker content) {
  auto [slot, in_interval] =
      list.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
  ASSERT_NE(slot, nullptr);
  *slot = std::move(content);
}

// Frees the pages a list holds, then empties it.
void Clear(VmPageList& list) {
  list.RemoveAllContent([](VmPageOrMarker&& content) {
    if (content.IsPage()) {
      PageAllocator::Get().FreePage(content.ReleasePage());
    }
  });
}

std::vector<VmPageListNode*> Nodes(VmPageList& list) {
  std::vector<VmPageListNode*> nodes;
  for (auto& node : PageListAccess::mutable_nodes(list)) {
    nodes.push_back(&node);
  }
  return nodes;
}

uint64_t* Link(void* object, size_t which) {  // 0 parent (or root_), 1 left, 2 right
  return reinterpret_cast<uint64_t*>(static_cast<char*>(object) + which * sizeof(void*));
}

// The lists of the main tests: dense, sparse (up to the top of the range), skewed, with
// intervals, and two splice lists (one whose middle tree is empty).
struct Lists {
  VmPageList dense;
  VmPageList sparse;
  VmPageList skewed;
  VmPageList intervals;
  VmPageList source;  // what the splice lists were taken from
  std::unique_ptr<VmPageSpliceList> splice;
  std::unique_ptr<VmPageSpliceList> small_splice;  // head only: the middle tree is empty

  void Build() {
    PageAllocator& pmm = PageAllocator::Get();
    for (uint64_t offset = 0; offset < 300 * kNode; offset += PAGE_SIZE) {
      Set(dense, offset,
          offset % (8 * PAGE_SIZE) == 0 ? VmPageOrMarker::Page(pmm.AllocPage())
                                        : VmPageOrMarker::Marker());
    }
    for (uint64_t n = 0; n < 40; n++) {
      Set(sparse, n * 977 * kNode + (n % 16) * PAGE_SIZE, VmPageOrMarker::Marker());
    }
    Set(sparse, VmPageList::MAX_SIZE - PAGE_SIZE, VmPageOrMarker::Marker());
    skewed.InitializeSkew(0, 0x7000);
    for (uint64_t offset = 0; offset < 50 * kNode; offset += 5 * PAGE_SIZE) {
      Set(skewed, offset, VmPageOrMarker::Marker());
    }
    for (uint64_t n = 0; n < 20; n++) {
      Set(intervals, n * 3 * kNode, VmPageOrMarker::Marker());
      ASSERT_EQ(
          intervals.AddZeroInterval(n * 3 * kNode + 2 * PAGE_SIZE, n * 3 * kNode + 40 * PAGE_SIZE,
                                    VmPageOrMarker::IntervalDirtyState::Dirty),
          ZX_OK);
    }
    for (uint64_t offset = 0; offset < 200 * PAGE_SIZE; offset += PAGE_SIZE) {
      Set(source, offset, VmPageOrMarker::Marker());
    }
    splice = std::make_unique<VmPageSpliceList>(source.TakePages(8 * PAGE_SIZE, 96 * PAGE_SIZE));
    small_splice =
        std::make_unique<VmPageSpliceList>(source.TakePages(130 * PAGE_SIZE, 3 * PAGE_SIZE));
  }

  ~Lists() {
    for (VmPageSpliceList* s : {splice.get(), small_splice.get()}) {
      while (s != nullptr && !s->IsProcessed()) {
        VmPageOrMarker content = s->Pop();
      }
    }
    for (VmPageList* list : {&dense, &sparse, &skewed, &intervals, &source}) {
      Clear(*list);
    }
  }

  // Address -> (kind, tree nodes) of every list that must be found.
  std::map<uint64_t, std::pair<SnapshotListKind, size_t>> Expected() {
    std::map<uint64_t, std::pair<SnapshotListKind, size_t>> expected;
    for (VmPageList* list : {&dense, &sparse, &skewed, &intervals, &source}) {
      expected[Address(list)] = {SnapshotListKind::kPageList, Nodes(*list).size()};
    }
    for (VmPageSpliceList* s : {splice.get(), small_splice.get()}) {
      expected[Address(s)] = {SnapshotListKind::kSpliceList, PageListAccess::middle(*s).size()};
    }
    return expected;
  }

  std::vector<uint64_t> Objects() {
    std::vector<uint64_t> objects;
    for (const auto& [address, kind] : Expected()) {
      objects.push_back(address);
    }
    for (VmPageList* list : {&dense, &sparse, &skewed, &intervals, &source}) {
      for (VmPageListNode* node : Nodes(*list)) {
        objects.push_back(Address(node));
      }
    }
    for (const auto& node : PageListAccess::middle(*splice)) {
      objects.push_back(Address(&node));
    }
    return objects;
  }
};

// The regions of this process that hold |objects|.
std::vector<MemoryRegion> RegionsHolding(const std::vector<uint64_t>& objects) {
  std::vector<MemoryRegion> regions;
  for (const MemoryRegion& region : LiveProcessSource(getpid()).Regions()) {
    for (uint64_t object : objects) {
      if (object >= region.start && object < region.end) {
        regions.push_back(region);
        break;
      }
    }
  }
  return regions;
}

// The scan of this process. Without sanitizers, every writable region; under ASan, whose shadow
// memory is terabytes, only the regions that hold |objects|.
ScanOptions OwnProcessOptions(const std::vector<uint64_t>& objects) {
  ScanOptions options;
  if (kAsan) {
    options.ranges = RegionsHolding(objects);
  }
  return options;
}

std::string Problems(const std::vector<SnapshotProblem>& problems) {
  std::string out;
  for (const SnapshotProblem& p : problems) {
    out += fmt::format("{:#x}: {}\n", p.address, p.message);
  }
  return out;
}

bool HasProblem(const std::vector<SnapshotProblem>& problems, const std::string& needle,
                uint64_t address) {
  for (const SnapshotProblem& p : problems) {
    if (p.address == address && p.message.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

const FoundList* FindList(const ScanResult& result, uint64_t address) {
  for (const FoundList& list : result.lists) {
    if (list.address == address) {
      return &list;
    }
  }
  return nullptr;
}

void ExpectSameNodes(const SnapshotList& a, const SnapshotList& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.skew, b.skew);
  EXPECT_EQ(a.tree_count, b.tree_count);
  ASSERT_EQ(a.nodes.size(), b.nodes.size()) << fmt::format("list {:#x}", a.address);
  for (size_t n = 0; n < a.nodes.size(); n++) {
    EXPECT_EQ(a.nodes[n].address, b.nodes[n].address);
    EXPECT_EQ(a.nodes[n].key, b.nodes[n].key);
    EXPECT_EQ(a.nodes[n].slots, b.nodes[n].slots);
  }
  EXPECT_EQ(a.head.slots, b.head.slots);
  EXPECT_EQ(a.tail.slots, b.tail.slots);
}

TEST(CanaryScanTest, FindsEveryListWithItsKindAndDecodesItAsTheDecoderDoes) {
  Lists lists;
  lists.Build();
  const auto expected = lists.Expected();
  ASSERT_EQ(PageListAccess::middle(*lists.small_splice).size(), 0u);
  ASSERT_GT(PageListAccess::middle(*lists.splice).size(), 0u);
  LiveProcessSource memory(getpid());
  const DecodeLayout layout = BuiltinDecodeLayout();
  ScanResult result;
  const Snapshot snapshot =
      ScanSnapshot(memory, layout, OwnProcessOptions(lists.Objects()), &result);

  EXPECT_TRUE(result.problems.empty()) << Problems(result.problems);
  EXPECT_GT(result.regions_scanned, 0u);
  EXPECT_GT(result.bytes_scanned, 0u);
  EXPECT_GE(result.unattached_nodes, 4u) << "the splice lists' inline heads and tails";
  std::map<uint64_t, std::pair<SnapshotListKind, size_t>> found;
  for (const FoundList& list : result.lists) {
    found[list.address] = {list.kind, list.nodes};
  }
  EXPECT_EQ(found, expected);
  for (size_t i = 1; i < result.lists.size(); i++) {
    EXPECT_LT(result.lists[i - 1].address, result.lists[i].address);
  }

  ASSERT_EQ(snapshot.lists.size(), result.lists.size());
  EXPECT_EQ(snapshot.source, memory.Describe());
  for (const SnapshotList& decoded : snapshot.lists) {
    EXPECT_EQ(decoded.registry_id, 0u);
    EXPECT_TRUE(decoded.name.empty());
    EXPECT_TRUE(decoded.problems.empty()) << Problems(decoded.problems);
    const SnapshotList direct = decoded.kind == SnapshotListKind::kSpliceList
                                    ? DecodeSpliceList(memory, decoded.address, layout)
                                    : DecodePageList(memory, decoded.address, layout);
    ExpectSameNodes(decoded, direct);
  }
}

TEST(CanaryScanTest, ChunkBoundariesDoNotChangeWhatIsFound) {
  Lists lists;
  lists.Build();
  LiveProcessSource memory(getpid());
  ScanOptions options;
  options.ranges = RegionsHolding(lists.Objects());
  const ScanResult whole = ScanForPageLists(memory, BuiltinDecodeLayout(), options);
  // Chunks of 1000 bytes (rounded up to two nodes and to 8) put node boundaries everywhere.
  options.chunk_bytes = 1000;
  const ScanResult small = ScanForPageLists(memory, BuiltinDecodeLayout(), options);
  EXPECT_EQ(small.bytes_scanned, whole.bytes_scanned);
  // Candidates are not compared: this process's stale copies of nodes (the scan's own read
  // buffer among them) differ between the two scans, and they are never part of a list.
  ASSERT_EQ(small.lists.size(), whole.lists.size());
  for (size_t i = 0; i < whole.lists.size(); i++) {
    EXPECT_EQ(small.lists[i].address, whole.lists[i].address);
    EXPECT_EQ(small.lists[i].nodes, whole.lists[i].nodes);
  }
  const FoundList* dense = FindList(small, Address(&lists.dense));
  ASSERT_NE(dense, nullptr);
  EXPECT_EQ(dense->nodes, Nodes(lists.dense).size());
}

TEST(CanaryScanTest, ADestroyedListIsNotFound) {
  auto doomed = std::make_unique<VmPageList>();
  for (uint64_t offset = 0; offset < 64 * kNode; offset += 4 * PAGE_SIZE) {
    Set(*doomed, offset, VmPageOrMarker::Marker());
  }
  const uint64_t address = Address(doomed.get());
  std::vector<uint64_t> objects = {address};
  for (VmPageListNode* node : Nodes(*doomed)) {
    objects.push_back(Address(node));
  }
  LiveProcessSource memory(getpid());
  const ScanOptions options = OwnProcessOptions(objects);
  ASSERT_NE(FindList(ScanForPageLists(memory, BuiltinDecodeLayout(), options), address), nullptr);
  Clear(*doomed);
  doomed.reset();
  const ScanResult after = ScanForPageLists(memory, BuiltinDecodeLayout(), options);
  EXPECT_EQ(FindList(after, address), nullptr);
  EXPECT_TRUE(after.problems.empty()) << Problems(after.problems);
}

TEST(CanaryScanTest, ACutParentLinkIsAnOrphanedSubtree) {
  VmPageList list;
  for (uint64_t n = 0; n < 60; n++) {
    Set(list, n * kNode, VmPageOrMarker::Marker());
  }
  // An inner node that is not the root: both children are nodes.
  const uint64_t root = *Link(reinterpret_cast<char*>(&list) + PageListAccess::kListTreeOffset, 0);
  VmPageListNode* victim = nullptr;
  for (VmPageListNode* node : Nodes(list)) {
    if (Address(node) != root && *Link(node, 1) % 8 == 0 && *Link(node, 1) != 0 &&
        *Link(node, 2) % 8 == 0 && *Link(node, 2) != 0) {
      victim = node;
      break;
    }
  }
  ASSERT_NE(victim, nullptr);
  // The subtree below the victim, counted before the damage.
  size_t subtree = 0;
  std::vector<uint64_t> stack = {Address(victim)};
  while (!stack.empty()) {
    void* node = reinterpret_cast<void*>(stack.back());
    stack.pop_back();
    subtree++;
    for (size_t which : {1, 2}) {
      if (*Link(node, which) % 8 == 0 && *Link(node, which) != 0) {
        stack.push_back(*Link(node, which));
      }
    }
  }
  ASSERT_GT(subtree, 1u);
  std::vector<uint64_t> objects = {Address(&list)};
  for (VmPageListNode* node : Nodes(list)) {
    objects.push_back(Address(node));
  }

  const uint64_t saved = *Link(victim, 0);
  *Link(victim, 0) = 0x5a5a5a5a5a5a5a58;  // a wild parent
  LiveProcessSource memory(getpid());
  const ScanResult result =
      ScanForPageLists(memory, BuiltinDecodeLayout(), OwnProcessOptions(objects));
  *Link(victim, 0) = saved;

  EXPECT_TRUE(
      HasProblem(result.problems,
                 fmt::format("orphaned subtree: node {:#x} ({} nodes)", Address(victim), subtree),
                 Address(victim)))
      << Problems(result.problems);
  const FoundList* found = FindList(result, Address(&list));
  ASSERT_NE(found, nullptr) << "the root is intact";
  EXPECT_EQ(found->nodes, 60 - subtree);
  Clear(list);
}

TEST(CanaryScanTest, AHeaderThatDoesNotPointBackIsNotAList) {
  VmPageList list;
  for (uint64_t n = 0; n < 25; n++) {
    Set(list, n * kNode, VmPageOrMarker::Marker());
  }
  uint64_t* root_link = Link(reinterpret_cast<char*>(&list) + PageListAccess::kListTreeOffset, 0);
  const uint64_t root = *root_link;
  const std::vector<VmPageListNode*> nodes = Nodes(list);
  std::vector<uint64_t> objects = {Address(&list)};
  for (VmPageListNode* node : nodes) {
    objects.push_back(Address(node));
  }
  LiveProcessSource memory(getpid());
  const ScanOptions options = OwnProcessOptions(objects);

  *root_link = Address(nodes.front());  // a leaf, not the node whose parent is the sentinel
  const ScanResult result = ScanForPageLists(memory, BuiltinDecodeLayout(), options);
  *root_link = root;
  EXPECT_EQ(FindList(result, Address(&list)), nullptr);
  EXPECT_TRUE(HasProblem(
      result.problems,
      fmt::format("but that header's root_ is {:#x}: not taken as a list", Address(nodes.front())),
      root))
      << Problems(result.problems);
  Clear(list);
}

// This process, through a source that lists no regions (as a gdb stub).
class NoRegionsSource : public MemorySource {
 public:
  ReadResult Read(uint64_t address, void* buffer, size_t size) override {
    return live_.Read(address, buffer, size);
  }
  std::string Describe() const override { return "no regions"; }

 private:
  LiveProcessSource live_{getpid()};
};

// Memory with nothing behind a page in its middle; a source with no regions; both limits.
TEST(CanaryScanTest, UnreadableRangesAndLimitsAreProblemsNotTheEnd) {
  VmPageList list;
  for (uint64_t n = 0; n < 10; n++) {
    Set(list, n * kNode, VmPageOrMarker::Marker());
  }
  std::vector<uint64_t> objects = {Address(&list)};
  for (VmPageListNode* node : Nodes(list)) {
    objects.push_back(Address(node));
  }
  char* hole = static_cast<char*>(
      mmap(nullptr, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(hole, MAP_FAILED);
  ASSERT_EQ(munmap(hole + PAGE_SIZE, PAGE_SIZE), 0);

  NoRegionsSource memory;
  ScanOptions options;
  options.ranges = RegionsHolding(objects);
  options.ranges.push_back(MemoryRegion{Address(hole), Address(hole) + 3 * PAGE_SIZE, true, ""});
  const ScanResult result = ScanForPageLists(memory, BuiltinDecodeLayout(), options);
  EXPECT_TRUE(HasProblem(result.problems,
                         fmt::format("{:#x}..{:#x} (anonymous) is unreadable, skipped",
                                     Address(hole) + PAGE_SIZE, Address(hole) + 2 * PAGE_SIZE),
                         Address(hole) + PAGE_SIZE))
      << Problems(result.problems);
  EXPECT_NE(FindList(result, Address(&list)), nullptr) << "the scan went on";

  const ScanResult none = ScanForPageLists(memory, BuiltinDecodeLayout(), {});
  ASSERT_EQ(none.problems.size(), 1u);
  EXPECT_NE(none.problems[0].message.find("lists no writable memory regions"), std::string::npos);
  EXPECT_TRUE(none.lists.empty());

  options.max_bytes = 2 * PAGE_SIZE;
  const ScanResult limited = ScanForPageLists(memory, BuiltinDecodeLayout(), options);
  EXPECT_EQ(limited.bytes_scanned, 2 * PAGE_SIZE);
  bool stopped = false;
  for (const SnapshotProblem& p : limited.problems) {
    stopped |= p.message.find("bytes read, the limit") != std::string::npos;
  }
  EXPECT_TRUE(stopped) << Problems(limited.problems);

  options.max_bytes = ScanOptions{}.max_bytes;
  options.max_nodes = 3;
  const ScanResult few = ScanForPageLists(memory, BuiltinDecodeLayout(), options);
  EXPECT_EQ(few.candidate_nodes, 3u);
  bool capped = false;
  for (const SnapshotProblem& p : few.problems) {
    capped |= p.message.find("more than 3 candidate nodes") != std::string::npos;
  }
  EXPECT_TRUE(capped) << Problems(few.problems);
  munmap(hole, PAGE_SIZE);
  munmap(hole + 2 * PAGE_SIZE, PAGE_SIZE);
  Clear(list);
}

// Bytes at a made-up address, as a target: for memory no real list would leave behind.
class BufferSource : public MemorySource {
 public:
  static constexpr uint64_t kBase = 0x10000000;
  explicit BufferSource(size_t size) : bytes_(size) {}
  ReadResult Read(uint64_t address, void* buffer, size_t size) override {
    memset(buffer, 0, size);
    if (address < kBase || address - kBase > bytes_.size()) {
      return ReadResult{0, fmt::format("{:#x}: outside the buffer", address)};
    }
    const size_t got = std::min<size_t>(size, bytes_.size() - (address - kBase));
    memcpy(buffer, bytes_.data() + (address - kBase), got);
    return ReadResult{got, got == size ? "" : "past the end of the buffer"};
  }
  std::vector<MemoryRegion> Regions() const override {
    return {MemoryRegion{kBase, kBase + bytes_.size(), true, "buffer"}};
  }
  std::string Describe() const override { return "buffer"; }
  void Put(uint64_t address, uint64_t value, size_t size = 8) {
    memcpy(bytes_.data() + (address - kBase), &value, size);
  }

 private:
  std::vector<uint8_t> bytes_;
};

// Nodes whose links point anywhere among each other: the scan ends, bounded, with its counts
// adding up; a two-node cycle of parent links is a problem, not a loop.
TEST(CanaryScanTest, RandomLinksNeverCrashOrHang) {
  const DecodeLayout layout = BuiltinDecodeLayout();
  constexpr size_t kSize = 2 << 20;
  BufferSource memory(kSize);
  std::mt19937_64 random(7);
  std::vector<uint64_t> nodes;
  for (uint64_t at = 4096; at + 4096 < kSize; at += 192 + 8 * (random() % 64)) {
    nodes.push_back(BufferSource::kBase + at);
  }
  for (uint64_t node : nodes) {
    memory.Put(node + layout.node_canary_offset, layout.node_canary, 4);
    memory.Put(node + layout.node_key_offset, (random() % 1000) * kNode);
    for (size_t link = 0; link < 3; link++) {
      const uint64_t pick = random() % 8;
      const uint64_t other = nodes[random() % nodes.size()];
      memory.Put(node + link * 8, pick < 4 ? other : pick < 6 ? 0 : (other | 1));
    }
  }
  // A: parent B, right B; B: parent A, left A.
  const uint64_t a = BufferSource::kBase + 64;
  const uint64_t b = BufferSource::kBase + 64 + 512;
  for (uint64_t node : {a, b}) {
    memory.Put(node + layout.node_canary_offset, layout.node_canary, 4);
  }
  memory.Put(a + 0, b);
  memory.Put(a + 16, b);
  memory.Put(b + 0, a);
  memory.Put(b + 8, a);

  ScanOptions options;
  options.chunk_bytes = 64 << 10;
  const ScanResult result = ScanForPageLists(memory, layout, options);
  EXPECT_EQ(result.bytes_scanned, kSize);
  EXPECT_GT(result.candidate_nodes, nodes.size() / 2) << "those whose sentinels differ are not";
  EXPECT_LE(result.unattached_nodes + result.lists.size(), result.candidate_nodes);
  bool cycle = false;
  for (const SnapshotProblem& p : result.problems) {
    cycle |= (p.address == a || p.address == b) &&
             p.message.find("run on for more than") != std::string::npos;
  }
  EXPECT_TRUE(cycle) << Problems(result.problems);
  // Decoding what was found (if anything) is bounded too.
  const Snapshot snapshot = ScanSnapshot(memory, layout, options);
  EXPECT_EQ(snapshot.lists.size(), result.lists.size());
}

// Runs `gcore -o PREFIX PID` quietly; true if it made the core.
bool RunGcore(const std::string& prefix, pid_t pid) {
  return vmpl::testing::RunGcore(prefix, pid) == 0;
}

TEST(CanaryScanTest, AScanOfACoreFindsWhatALiveScanFinds) {
  if (kAsan) {
    GTEST_SKIP() << "a core of an ASan process holds its shadow memory: too large to scan here";
  }
  Lists lists;
  lists.Build();
  const auto expected = lists.Expected();
  char pattern[] = "/vmpl_scan_test.XXXXXX";
  std::string dir = std::filesystem::temp_directory_path().string() + pattern;
  ASSERT_NE(mkdtemp(dir.data()), nullptr);

  // The child is a copy of this process at the fork: the same lists at the same addresses.
  int release[2];
  ASSERT_EQ(pipe2(release, O_CLOEXEC), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(release[1]);
    char byte;
    while (read(release[0], &byte, 1) < 0) {
    }
    _exit(0);
  }
  close(release[0]);
  LiveProcessSource live(child);
  const ScanResult live_result = ScanForPageLists(live, BuiltinDecodeLayout());
  const bool cored = RunGcore(dir + "/core", child);
  close(release[1]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(cored) << "gcore failed (is gdb installed?)";

  std::string error;
  std::unique_ptr<ElfCoreSource> core =
      ElfCoreSource::Open(dir + "/core." + std::to_string(child), &error);
  ASSERT_NE(core, nullptr) << error;
  ScanResult core_result;
  const Snapshot snapshot = ScanSnapshot(*core, BuiltinDecodeLayout(), {}, &core_result);
  std::filesystem::remove_all(dir);

  EXPECT_TRUE(live_result.problems.empty()) << Problems(live_result.problems);
  EXPECT_TRUE(core_result.problems.empty()) << Problems(core_result.problems);
  std::map<uint64_t, std::pair<SnapshotListKind, size_t>> from_live;
  std::map<uint64_t, std::pair<SnapshotListKind, size_t>> from_core;
  for (const FoundList& list : live_result.lists) {
    from_live[list.address] = {list.kind, list.nodes};
  }
  for (const FoundList& list : core_result.lists) {
    from_core[list.address] = {list.kind, list.nodes};
  }
  EXPECT_EQ(from_live, expected);
  EXPECT_EQ(from_core, from_live);
  EXPECT_EQ(core_result.candidate_nodes, live_result.candidate_nodes);
  // What the core holds is what this process holds: the child never changed a list.
  ASSERT_EQ(snapshot.lists.size(), expected.size());
  LiveProcessSource self(getpid());
  for (const SnapshotList& decoded : snapshot.lists) {
    EXPECT_TRUE(decoded.problems.empty()) << Problems(decoded.problems);
    ExpectSameNodes(decoded, decoded.kind == SnapshotListKind::kSpliceList
                                 ? DecodeSpliceList(self, decoded.address, BuiltinDecodeLayout())
                                 : DecodePageList(self, decoded.address, BuiltinDecodeLayout()));
  }
}

}  // namespace
}  // namespace vmpl::inspect
