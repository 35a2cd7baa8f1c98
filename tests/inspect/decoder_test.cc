// The decoder (inspect/src/decoder.cc) on real page lists of this process, read back through a
// real LiveProcessSource (process_vm_readv on our own pid): what it decodes equals what the
// lists hold, and each kind of damage (a bad canary, a cycle, a wild pointer, a misaligned
// pointer, an absurd count) gives its own problem, with its address, while the nodes that were
// readable are still in the snapshot. Damage is done to real nodes and undone before the lists
// are destroyed.

#include <gtest/gtest.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/model/check.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>

#include <string>
#include <vector>

namespace {

using vmpl::PageListAccess;
using vmpl::inspect::BuiltinDecodeLayout;
using vmpl::inspect::DecodePageList;
using vmpl::inspect::DecodeSpliceList;
using vmpl::inspect::LiveProcessSource;
using vmpl::SnapshotList;

constexpr uint64_t kNode = VmPageListNode::kPageFanOut * PAGE_SIZE;

// A list with markers spread over |nodes| nodes (a marker needs no page) and a zero interval.
void Fill(VmPageList& list, size_t nodes) {
  for (size_t n = 0; n < nodes; n++) {
    for (uint64_t i = 0; i < 3; i++) {
      auto [slot, in_interval] =
          list.LookupOrAllocate(n * kNode + i * PAGE_SIZE, VmPageList::IntervalHandling::NoIntervals);
      ASSERT_NE(slot, nullptr);
      *slot = VmPageOrMarker::Marker();
    }
  }
  ASSERT_EQ(list.AddZeroInterval(nodes * kNode + 2 * PAGE_SIZE, nodes * kNode + 40 * PAGE_SIZE,
                                 VmPageOrMarker::IntervalDirtyState::Dirty),
            ZX_OK);
}

void Clear(VmPageList& list) { list.RemoveAllContent([](VmPageOrMarker&&) {}); }

bool HasProblem(const SnapshotList& s, const std::string& needle, uint64_t address) {
  for (const auto& p : s.problems) {
    if (p.message.find(needle) != std::string::npos && p.address == address) {
      return true;
    }
  }
  return false;
}

std::string Problems(const SnapshotList& s) {
  std::string out;
  for (const auto& p : s.problems) {
    out += p.message + "\n";
  }
  return out;
}

// The nodes of |list| in key order, by address.
std::vector<VmPageListNode*> Nodes(VmPageList& list) {
  std::vector<VmPageListNode*> nodes;
  for (auto& node : PageListAccess::mutable_nodes(list)) {
    nodes.push_back(&node);
  }
  return nodes;
}

uint64_t* Link(VmPageListNode* node, size_t which) {  // 0 parent, 1 left, 2 right
  return reinterpret_cast<uint64_t*>(reinterpret_cast<char*>(node) + which * sizeof(void*));
}

TEST(DecoderTest, DecodesWhatTheListHolds) {
  VmPageList list;
  list.InitializeSkew(0, 0x5000);
  Fill(list, 40);
  LiveProcessSource memory(getpid());
  const SnapshotList s = DecodePageList(memory, reinterpret_cast<uintptr_t>(&list),
                                        BuiltinDecodeLayout());
  EXPECT_TRUE(s.problems.empty()) << Problems(s);
  EXPECT_TRUE(s.complete);
  EXPECT_EQ(s.skew, 0x5000u);
  const std::vector<VmPageListNode*> nodes = Nodes(list);
  ASSERT_EQ(s.nodes.size(), nodes.size());
  EXPECT_EQ(s.tree_count, nodes.size());
  for (size_t n = 0; n < nodes.size(); n++) {
    EXPECT_EQ(s.nodes[n].address, reinterpret_cast<uintptr_t>(nodes[n]));
    EXPECT_EQ(s.nodes[n].key, nodes[n]->offset());
    for (size_t i = 0; i < 16; i++) {
      EXPECT_EQ(s.nodes[n].slots[i], PageListAccess::raw(PageListAccess::slot(*nodes[n], i)));
    }
  }
  Clear(list);
}

TEST(DecoderTest, BadCanaryIsReportedAndTheNodeKept) {
  VmPageList list;
  Fill(list, 8);
  VmPageListNode* victim = Nodes(list)[3];
  auto* canary = reinterpret_cast<uint32_t*>(reinterpret_cast<char*>(victim) +
                                             PageListAccess::kNodeCanaryOffset);
  const uint32_t saved = *canary;
  *canary = 0x41414141;
  LiveProcessSource memory(getpid());
  const SnapshotList s = DecodePageList(memory, reinterpret_cast<uintptr_t>(&list),
                                        BuiltinDecodeLayout());
  *canary = saved;
  EXPECT_TRUE(HasProblem(s, "canary 0x41414141", reinterpret_cast<uintptr_t>(victim)))
      << Problems(s);
  EXPECT_EQ(s.nodes.size(), Nodes(list).size());
  Clear(list);
}

TEST(DecoderTest, CycleEndsTheWalkWithAProblem) {
  VmPageList list;
  Fill(list, 30);
  // Point some leaf's left link back at the root.
  const uint64_t root = *reinterpret_cast<uint64_t*>(
      reinterpret_cast<char*>(&list) + PageListAccess::kListTreeOffset);
  VmPageListNode* leaf = nullptr;
  for (VmPageListNode* node : Nodes(list)) {
    const uint64_t left = *Link(node, 1);
    if (left == 0 || (left & 1)) {
      leaf = node;
      break;
    }
  }
  ASSERT_NE(leaf, nullptr);
  const uint64_t saved = *Link(leaf, 1);
  *Link(leaf, 1) = root;
  LiveProcessSource memory(getpid());
  const SnapshotList s = DecodePageList(memory, reinterpret_cast<uintptr_t>(&list),
                                        BuiltinDecodeLayout());
  *Link(leaf, 1) = saved;
  EXPECT_TRUE(HasProblem(s, "cycle", root)) << Problems(s);
  EXPECT_FALSE(s.complete);
  Clear(list);
}

TEST(DecoderTest, WildAndMisalignedPointersAreReportedWithTheirAddress) {
  VmPageList list;
  Fill(list, 12);
  // Take every address before damaging the tree: its iterators follow the damaged links too.
  VmPageListNode* node = Nodes(list)[5];
  const uint64_t misaligned = reinterpret_cast<uintptr_t>(Nodes(list)[7]) + 3;
  const uint64_t saved = *Link(node, 2);
  LiveProcessSource memory(getpid());

  *Link(node, 2) = 0x10;  // an unmapped page
  SnapshotList wild = DecodePageList(memory, reinterpret_cast<uintptr_t>(&list),
                                     BuiltinDecodeLayout());
  EXPECT_TRUE(HasProblem(wild, "unreadable", 0x10)) << Problems(wild);
  EXPECT_GE(wild.nodes.size(), 6u) << "nodes before the wild pointer are kept";

  *Link(node, 2) = misaligned;
  SnapshotList odd = DecodePageList(memory, reinterpret_cast<uintptr_t>(&list),
                                    BuiltinDecodeLayout());
  *Link(node, 2) = saved;
  EXPECT_TRUE(HasProblem(odd, "misaligned",
                         reinterpret_cast<uintptr_t>(node) + 2 * sizeof(void*)))
      << Problems(odd);
  Clear(list);
}

TEST(DecoderTest, AbsurdCountIsBoundedAndReported) {
  VmPageList list;
  Fill(list, 4);
  auto* count = reinterpret_cast<uint64_t*>(reinterpret_cast<char*>(&list) +
                                            PageListAccess::kListTreeOffset + 3 * sizeof(void*));
  const uint64_t saved = *count;
  *count = uint64_t{1} << 50;
  LiveProcessSource memory(getpid());
  const SnapshotList s = DecodePageList(memory, reinterpret_cast<uintptr_t>(&list),
                                        BuiltinDecodeLayout());
  *count = saved;
  EXPECT_TRUE(HasProblem(s, "absurd", reinterpret_cast<uintptr_t>(&list) +
                                          PageListAccess::kListTreeOffset))
      << Problems(s);
  EXPECT_EQ(s.nodes.size(), Nodes(list).size());
  Clear(list);
}

TEST(DecoderTest, SpliceListHeadMiddleAndTail) {
  VmPageList list;
  for (uint64_t offset = 0; offset < 48 * PAGE_SIZE; offset += PAGE_SIZE) {
    auto [slot, in_interval] =
        list.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    *slot = VmPageOrMarker::Marker();
  }
  VmPageSpliceList splice = list.TakePages(8 * PAGE_SIZE, 32 * PAGE_SIZE);
  LiveProcessSource memory(getpid());
  const SnapshotList s = DecodeSpliceList(memory, reinterpret_cast<uintptr_t>(&splice),
                                          BuiltinDecodeLayout());
  EXPECT_TRUE(s.problems.empty()) << Problems(s);
  EXPECT_EQ(s.splice_offset, 8 * PAGE_SIZE);
  EXPECT_EQ(s.splice_length, 32 * PAGE_SIZE);
  EXPECT_TRUE(s.splice_finalized);
  ASSERT_EQ(s.nodes.size(), 1u);  // the node at 0x10000 moved whole
  EXPECT_EQ(s.nodes[0].key, kNode);
  EXPECT_EQ(s.head.slots[8], 1u);   // markers at 0x8000.. in the head
  EXPECT_EQ(s.tail.slots[7], 1u);   // and up to 0x27000 in the tail
  while (!splice.IsProcessed()) {
    VmPageOrMarker content = splice.Pop();
  }
  Clear(list);
}

TEST(DecoderTest, TheCoresCheckerRunsOnTheDecodedCopyAndNamesTheTargetNode) {
  VmPageList list;
  Fill(list, 3);
  LiveProcessSource memory(getpid());
  SnapshotList clean = DecodePageList(memory, reinterpret_cast<uintptr_t>(&list),
                                      BuiltinDecodeLayout());
  vmpl::CheckSnapshotList(clean);
  EXPECT_TRUE(clean.problems.empty()) << Problems(clean);

  // Drop the interval's End sentinel in the target: a Start without its End.
  VmPageListNode* last = Nodes(list).back();
  VmPageOrMarker& end = PageListAccess::mutable_slot(*last, (40 - 1 - 32) % 16);
  const uint64_t saved = PageListAccess::raw(end);
  ASSERT_TRUE(end.IsIntervalEnd());
  PageListAccess::set_raw(end, 0);
  SnapshotList broken = DecodePageList(memory, reinterpret_cast<uintptr_t>(&list),
                                       BuiltinDecodeLayout());
  PageListAccess::set_raw(end, saved);
  vmpl::CheckSnapshotList(broken);
  bool found = false;
  for (const auto& p : broken.problems) {
    found |= p.message.rfind("interval", 0) == 0;
  }
  EXPECT_TRUE(found) << Problems(broken);
  Clear(list);
}

TEST(DecoderTest, RegistryGivesEveryRegisteredListWithItsNameAndId) {
  VmPageList a;
  VmPageList b;
  Fill(a, 5);
  Fill(b, 2);
  vmpl::ScopedRegistration ra(&a, "decoder-test/a");
  vmpl::ScopedRegistration rb(&b, "decoder-test/b");
  LiveProcessSource memory(getpid());
  const vmpl::Snapshot s = vmpl::inspect::DecodeRegistry(
      memory, reinterpret_cast<uintptr_t>(&vmpl_registry), BuiltinDecodeLayout());
  EXPECT_TRUE(s.problems.empty());
  size_t found = 0;
  for (const SnapshotList& list : s.lists) {
    if (list.registry_id == ra.id()) {
      EXPECT_EQ(list.name, "decoder-test/a");
      EXPECT_EQ(list.nodes.size(), Nodes(a).size());
      found++;
    }
    if (list.registry_id == rb.id()) {
      EXPECT_EQ(list.name, "decoder-test/b");
      EXPECT_EQ(list.address, reinterpret_cast<uintptr_t>(&b));
      found++;
    }
  }
  EXPECT_EQ(found, 2u);
  Clear(a);
  Clear(b);
}

TEST(DecoderTest, NoRegistryAtAWrongAddress) {
  LiveProcessSource memory(getpid());
  static const char kNotARegistry[64] = "not a registry";
  const vmpl::Snapshot s = vmpl::inspect::DecodeRegistry(
      memory, reinterpret_cast<uintptr_t>(kNotARegistry), BuiltinDecodeLayout());
  ASSERT_EQ(s.problems.size(), 1u);
  EXPECT_NE(s.problems[0].message.find("magic"), std::string::npos);
}

}  // namespace
