// Tests of vmpl::NodeAllocator, where every VmPageListNode lives.
//
// Every build: nodes are 64-byte aligned and distinct, checked allocation obeys the failure
// injector, and two threads allocating and freeing at once (through their caches and the shared
// chunks) never get the same slot; a thread's cached slots return to the chunks when it ends.
// Without AddressSanitizer (which makes the allocator forward to the heap, and so has no slabs to
// check): slots come from 2 MiB-aligned chunks, freed slots are reused lowest address first (a list
// rebuilt in order is laid out in order), and wholly free chunks go back to the system but one.

#include <fbl/alloc_checker.h>
#include <gtest/gtest.h>
#include <stdint.h>
#include <vm/vm_page_list.h>
#include <vmpl/alloc_failure.h>
#include <vmpl/node_allocator.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace {

using vmpl::NodeAllocator;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUsesHeap = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUsesHeap = true;
#else
constexpr bool kUsesHeap = false;
#endif
#else
constexpr bool kUsesHeap = false;
#endif

#define SKIP_IF_HEAP()                                                                   \
  do {                                                                                   \
    if (kUsesHeap) {                                                                     \
      GTEST_SKIP() << "under AddressSanitizer nodes come from the heap, not from slabs"; \
    }                                                                                    \
  } while (0)

uintptr_t Address(const void* p) { return reinterpret_cast<uintptr_t>(p); }

TEST(NodeAllocatorTest, NodesAreCacheLineAlignedAndDistinct) {
  std::vector<std::unique_ptr<VmPageListNode>> nodes;
  std::set<uintptr_t> seen;
  for (uint64_t i = 0; i < 30000; i++) {  // more than one 2 MiB chunk
    nodes.push_back(std::make_unique<VmPageListNode>(i * 16 * PAGE_SIZE));
    const uintptr_t address = Address(nodes.back().get());
    EXPECT_EQ(address % 64, 0u);
    ASSERT_TRUE(seen.insert(address).second);
  }
  // Writing every node end to end must not disturb its neighbours.
  for (auto& node : nodes) {
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      node->Lookup(i) = VmPageOrMarker::Marker();
    }
  }
  for (size_t n = 0; n < nodes.size(); n++) {
    ASSERT_EQ(nodes[n]->offset(), n * 16 * PAGE_SIZE);
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      ASSERT_TRUE(nodes[n]->Lookup(i).IsMarker());
      nodes[n]->Lookup(i) = VmPageOrMarker::Empty();
    }
  }
}

TEST(NodeAllocatorTest, CheckedAllocationObeysTheFailureInjector) {
  {
    vmpl::ScopedAllocFailure fail(1);
    fbl::AllocChecker ac;
    VmPageListNode* node = new (&ac) VmPageListNode(0);
    EXPECT_FALSE(ac.check());
    EXPECT_EQ(node, nullptr);
  }
  fbl::AllocChecker ac;
  std::unique_ptr<VmPageListNode> node(new (&ac) VmPageListNode(16 * PAGE_SIZE));
  ASSERT_TRUE(ac.check());
  EXPECT_EQ(node->offset(), 16 * PAGE_SIZE);
}

TEST(NodeAllocatorTest, SlotsComeFromTwoMiBChunks) {
  SKIP_IF_HEAP();
  NodeAllocator::ReleaseThreadCache();
  const NodeAllocator::Stats before = NodeAllocator::stats();
  std::vector<void*> slots;
  for (int i = 0; i < 25000; i++) {
    slots.push_back(NodeAllocator::Allocate(sizeof(VmPageListNode)));
  }
  std::set<uintptr_t> chunks;
  for (void* slot : slots) {
    chunks.insert(Address(slot) & ~(NodeAllocator::kChunkBytes - 1));
  }
  // 25,000 slots of 192 bytes need at least three chunks, and no more than 2 beyond that.
  EXPECT_GE(chunks.size(), 3u);
  EXPECT_LE(chunks.size(), 5u);
  NodeAllocator::ReleaseThreadCache();  // the rest of the last refill
  EXPECT_EQ(NodeAllocator::stats().live_slots, before.live_slots + slots.size());
  for (void* slot : slots) {
    NodeAllocator::Free(slot);
  }
  NodeAllocator::ReleaseThreadCache();
  EXPECT_EQ(NodeAllocator::stats().live_slots, before.live_slots);
}

TEST(NodeAllocatorTest, FreedSlotsAreReusedLowestAddressFirst) {
  SKIP_IF_HEAP();
  std::vector<void*> slots;
  for (int i = 0; i < 20000; i++) {
    slots.push_back(NodeAllocator::Allocate(sizeof(VmPageListNode)));
  }
  // Free in a random order, as a tree's teardown would.
  std::vector<void*> shuffled = slots;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(7));
  for (void* slot : shuffled) {
    NodeAllocator::Free(slot);
  }
  // The last few freed wait in this thread's cache, and would be handed out first.
  NodeAllocator::ReleaseThreadCache();
  // Allocated again, they come back in ascending address order.
  std::vector<void*> again;
  for (int i = 0; i < 20000; i++) {
    again.push_back(NodeAllocator::Allocate(sizeof(VmPageListNode)));
  }
  size_t ascending = 0;
  for (size_t i = 1; i < again.size(); i++) {
    ascending += Address(again[i]) > Address(again[i - 1]) ? 1 : 0;
  }
  // Allow a jump where one chunk ends and the next (mapped anew, anywhere) begins.
  EXPECT_GE(ascending, again.size() - 3);
  for (void* slot : again) {
    NodeAllocator::Free(slot);
  }
}

TEST(NodeAllocatorTest, WhollyFreeChunksAreReturnedButOne) {
  SKIP_IF_HEAP();
  NodeAllocator::ReleaseThreadCache();
  const size_t chunks_before = NodeAllocator::stats().chunks;
  std::vector<void*> slots;
  for (int i = 0; i < 60000; i++) {  // about six chunks
    slots.push_back(NodeAllocator::Allocate(sizeof(VmPageListNode)));
  }
  EXPECT_GE(NodeAllocator::stats().chunks, chunks_before + 5);
  for (void* slot : slots) {
    NodeAllocator::Free(slot);
  }
  NodeAllocator::ReleaseThreadCache();
  EXPECT_LE(NodeAllocator::stats().chunks, chunks_before + 1);
}

TEST(NodeAllocatorTest, ThreadsAllocatingAtOnceNeverShareASlot) {
  constexpr int kRounds = 20000;
  auto worker = [](uint64_t tag, bool* ok) {
    std::vector<std::unique_ptr<VmPageListNode>> mine;
    std::mt19937_64 rng(tag);
    for (int i = 0; i < kRounds; i++) {
      if (mine.empty() || rng() % 3 != 0) {
        mine.push_back(std::make_unique<VmPageListNode>((tag << 32) + i * 16 * PAGE_SIZE));
      } else {
        const size_t victim = rng() % mine.size();
        // Whatever another thread did, this node still holds what this thread put there.
        if (mine[victim]->offset() >> 32 != tag) {
          *ok = false;
        }
        mine[victim] = std::move(mine.back());
        mine.pop_back();
      }
    }
    for (auto& node : mine) {
      if (node->offset() >> 32 != tag) {
        *ok = false;
      }
    }
  };
  bool ok_a = true;
  bool ok_b = true;
  std::thread a(worker, 1, &ok_a);
  std::thread b(worker, 2, &ok_b);
  a.join();
  b.join();
  EXPECT_TRUE(ok_a);
  EXPECT_TRUE(ok_b);
}

TEST(NodeAllocatorTest, AThreadsCachedSlotsReturnWhenItEnds) {
  SKIP_IF_HEAP();
  NodeAllocator::ReleaseThreadCache();
  const size_t live_before = NodeAllocator::stats().live_slots;
  std::thread worker([] {
    std::vector<void*> slots;
    for (int i = 0; i < 100; i++) {
      slots.push_back(NodeAllocator::Allocate(sizeof(VmPageListNode)));
    }
    for (void* slot : slots) {
      NodeAllocator::Free(slot);  // the last ones stay in this thread's cache
    }
  });
  worker.join();
  EXPECT_EQ(NodeAllocator::stats().live_slots, live_before);
}

}  // namespace
