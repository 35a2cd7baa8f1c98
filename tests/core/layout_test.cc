// Memory-layout tests: the x86-64 layout of docs/semantics.md section 12, read back through raw
// memory exactly as a debugger (gdb printer, `vmpl inspect`) reads it. Every private field is found
// at its offset, never through an accessor, so a layout change that the code would not notice
// breaks here.
//
// Layouts checked (offsets in bytes):
//
//   VmPageListNode (176, align 8)          VmPageList (48; the kernel's 40)
//     0  wavl_node_state_.parent_            0  list_.root_
//     8  wavl_node_state_.left_              8  list_.left_most_
//    16  wavl_node_state_.right_            16  list_.right_most_
//    24  wavl_node_state_.rank_ (bool)      24  list_.count_
//    32  canary_.magic_ = 0x504C5354        32  list_skew_
//    40  obj_offset_                        40  node_table_ (vmpl's own)
//    48  pages_[16] (8 bytes each)          VMPLCursor (16): node_ iterator @0, index_ (uint) @8
//
//   vm_page_t (48): queue_node @0, paddr_priv @0x10, object @0x18 (page_offset_priv @0x20,
//   page_queue_priv @0x28, split bitfield byte @0x29), dirty_state byte @0x2A, state_priv @0x2B,
//   loaned_state_priv @0x2C.
//
//   VmPageSpliceList: the kernel's V2 list is laid out as (offset_ 0, length_ 8, pos_ 16, head_ 24,
//   middle_ 200, tail_ 232, raw_pages_ 408; 424 bytes). Our V3 list declares two more fields after
//   pos_, in header order:
//     0 offset_   8 length_   16 pos_   24 list_skew_   32 finalized_ (bool, 7 bytes padding)
//    40 head_ (VmPageListNode, 176)   216 middle_ (WAVL tree, 32)   248 tail_ (VmPageListNode, 176)
//   424 raw_pages_ (list_node: prev, next)   sizeof 440, align 8
//   These offsets are checked for self-consistency below: each field is found where the header
//   order and natural alignment put it, by observing it change through the public API.
//
// Tree sentinels: an empty tree has root_ = null and left_most_ = right_most_ = (&tree | 1); a
// non-empty tree has root->parent_, left_most->left_ and right_most->right_ equal to that sentinel.

#include <gtest/gtest.h>
#include <stddef.h>
#include <string.h>
#include <vm/page.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>
#include <vmpl/page_list_access.h>
#include <zircon/errors.h>
#include <zircon/listnode.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <set>
#include <vector>

namespace {

constexpr uint64_t kPage = PAGE_SIZE;
constexpr uint64_t kNodeSpan = 16 * kPage;
constexpr uint32_t kCanaryMagic = 0x504C5354;

// Node field offsets.
constexpr size_t kParentOff = 0;
constexpr size_t kLeftOff = 8;
constexpr size_t kRightOff = 16;
constexpr size_t kRankOff = 24;
constexpr size_t kCanaryOff = 32;
constexpr size_t kObjOffsetOff = 40;
constexpr size_t kPagesOff = 48;
// Tree (fbl::WAVLTree) field offsets.
constexpr size_t kRootOff = 0;
constexpr size_t kLeftMostOff = 8;
constexpr size_t kRightMostOff = 16;
constexpr size_t kCountOff = 24;
// VmPageList.
constexpr size_t kListSkewOff = 32;
// VmPageSpliceList (V3, see the file comment).
constexpr size_t kSpliceOffsetOff = 0;
constexpr size_t kSpliceLengthOff = 8;
constexpr size_t kSplicePosOff = 16;
constexpr size_t kSpliceSkewOff = 24;
constexpr size_t kSpliceFinalizedOff = 32;
constexpr size_t kSpliceHeadOff = 40;
constexpr size_t kSpliceMiddleOff = 216;
constexpr size_t kSpliceTailOff = 248;
constexpr size_t kSpliceRawPagesOff = 424;
constexpr size_t kSpliceSize = 440;

// ---- compile-time layout
// -------------------------------------------------------------------------

static_assert(sizeof(VmPageOrMarker) == 8);
static_assert(alignof(VmPageOrMarker) == 8);
static_assert(sizeof(VmPageListNode) == 176);
static_assert(alignof(VmPageListNode) == 8);
static_assert(VmPageListNode::kPageFanOut == 16);
// The kernel's VmPageList is 40 bytes; ours adds one pointer after list_skew_, the node table
// (vmpl/node_table.h), which debuggers never read.
static_assert(sizeof(VmPageList) == 48);
static_assert(alignof(VmPageList) == 8);
static_assert(sizeof(VMPLCursor) == 16);
static_assert(sizeof(vm_page_t) == 48);
static_assert(offsetof(vm_page_t, queue_node) == 0x00);
static_assert(offsetof(vm_page_t, paddr_priv) == 0x10);
static_assert(offsetof(vm_page_t, object) == 0x18);
static_assert(offsetof(vm_page_t, state_priv) == 0x2B);
static_assert(offsetof(vm_page_t, loaned_state_priv) == 0x2C);
static_assert(offsetof(vm_page_t, padding_bytes) == 0x2D);
static_assert(sizeof(list_node) == 16);
static_assert(sizeof(VmPageSpliceList) == kSpliceSize, "see the V3 splice layout in the comment");
static_assert(VmPageList::MAX_SIZE == 0xFFFF'FFFF'FFFE'0000);

// ---- raw memory helpers
// --------------------------------------------------------------------------

template <typename T>
T ReadAt(const void* base, size_t offset) {
  T value;
  memcpy(&value, static_cast<const unsigned char*>(base) + offset, sizeof(T));
  return value;
}
template <typename T>
T ReadAt(uintptr_t base, size_t offset) {
  return ReadAt<T>(reinterpret_cast<const void*>(base), offset);
}

uintptr_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }
uintptr_t SentinelOf(const void* tree) { return Addr(tree) | 1; }
bool IsSentinel(uintptr_t p) { return (p & 1) != 0; }

struct RawNode {
  uintptr_t address, parent, left, right;
  uint8_t rank;
  uint32_t canary;
  uint64_t key;
  uint64_t slots[16];
};

RawNode ReadNode(uintptr_t address) {
  RawNode n{};
  n.address = address;
  n.parent = ReadAt<uintptr_t>(address, kParentOff);
  n.left = ReadAt<uintptr_t>(address, kLeftOff);
  n.right = ReadAt<uintptr_t>(address, kRightOff);
  n.rank = ReadAt<uint8_t>(address, kRankOff);
  n.canary = ReadAt<uint32_t>(address, kCanaryOff);
  n.key = ReadAt<uint64_t>(address, kObjOffsetOff);
  for (size_t i = 0; i < 16; i++) {
    n.slots[i] = ReadAt<uint64_t>(address, kPagesOff + 8 * i);
  }
  return n;
}

struct RawTree {
  uintptr_t root, left_most, right_most;
  uint64_t count;
};

RawTree ReadTree(const void* tree) {
  return {ReadAt<uintptr_t>(tree, kRootOff), ReadAt<uintptr_t>(tree, kLeftMostOff),
          ReadAt<uintptr_t>(tree, kRightMostOff), ReadAt<uint64_t>(tree, kCountOff)};
}

// In-order walk over raw memory with the successor rule of docs/semantics.md section 12.3, bounded
// by |limit| steps.
std::vector<RawNode> WalkInOrder(const void* tree, size_t limit) {
  std::vector<RawNode> out;
  const RawTree t = ReadTree(tree);
  if (t.root == 0) {
    return out;
  }
  uintptr_t cur = t.left_most;
  while (!IsSentinel(cur) && cur != 0 && out.size() < limit) {
    const RawNode n = ReadNode(cur);
    out.push_back(n);
    if (n.right != 0) {
      if (IsSentinel(n.right)) {
        break;
      }
      cur = n.right;
      while (true) {
        const uintptr_t l = ReadAt<uintptr_t>(cur, kLeftOff);
        if (l == 0 || IsSentinel(l)) {
          break;
        }
        cur = l;
      }
    } else {
      uintptr_t child = cur;
      uintptr_t parent = n.parent;
      while (!IsSentinel(parent) && ReadAt<uintptr_t>(parent, kRightOff) == child) {
        child = parent;
        parent = ReadAt<uintptr_t>(parent, kParentOff);
      }
      cur = parent;
    }
  }
  return out;
}

// Address of the node holding |offset| of |list| (skew applied), found through Lookup's slot
// pointer: slot = node + 48 + 8 * index.
uintptr_t NodeAddressOf(const VmPageList& list, uint64_t offset) {
  const VmPageOrMarker* slot = list.Lookup(offset);
  if (slot == nullptr) {
    return 0;
  }
  const uint64_t index = ((offset + list.GetSkew()) / kPage) % 16;
  return Addr(slot) - kPagesOff - 8 * index;
}

void FreeAll(VmPageList& list) {
  list.RemoveAllContent([](VmPageOrMarker&& p) {
    if (p.IsPage()) {
      pmm_free_page(p.ReleasePage());
    } else if (p.IsReference()) {
      vmpl::PageAllocator::Get().FreeReference(p.ReleaseReference().value());
    }
  });
}

void AddMarker(VmPageList& list, uint64_t offset) {
  auto [slot, in_interval] =
      list.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
  ASSERT_NE(slot, nullptr) << "offset " << offset;
  ASSERT_FALSE(in_interval);
  *slot = VmPageOrMarker::Marker();
}

uint64_t Seed() { return ::testing::UnitTest::GetInstance()->random_seed(); }

// Checks every structural fact a debugger relies on for a tree at |tree| holding |expected_keys|.
void ExpectTreeShape(const void* tree, const std::set<uint64_t>& expected_keys) {
  const RawTree t = ReadTree(tree);
  const uintptr_t sentinel = SentinelOf(tree);
  EXPECT_EQ(t.count, expected_keys.size());
  if (expected_keys.empty()) {
    EXPECT_EQ(t.root, 0u);
    EXPECT_EQ(t.left_most, sentinel);
    EXPECT_EQ(t.right_most, sentinel);
    return;
  }
  ASSERT_NE(t.root, 0u);
  EXPECT_FALSE(IsSentinel(t.root));
  EXPECT_EQ(ReadAt<uintptr_t>(t.root, kParentOff), sentinel) << "root parent_ is the sentinel";
  EXPECT_EQ(ReadAt<uintptr_t>(t.left_most, kLeftOff), sentinel) << "left_most->left_ is sentinel";
  EXPECT_EQ(ReadAt<uintptr_t>(t.right_most, kRightOff), sentinel)
      << "right_most->right_ is sentinel";

  const std::vector<RawNode> nodes = WalkInOrder(tree, expected_keys.size() + 8);
  ASSERT_EQ(nodes.size(), expected_keys.size());
  EXPECT_EQ(nodes.front().address, t.left_most);
  EXPECT_EQ(nodes.back().address, t.right_most);
  auto key_it = expected_keys.begin();
  size_t sentinels_seen = 1;  // the root's parent
  for (size_t i = 0; i < nodes.size(); i++, ++key_it) {
    const RawNode& n = nodes[i];
    EXPECT_EQ(n.key, *key_it) << "in-order position " << i;
    EXPECT_EQ(n.canary, kCanaryMagic) << "node " << i;
    EXPECT_EQ(n.key % kNodeSpan, 0u) << "node " << i;
    EXPECT_LE(n.rank, 1u) << "rank_ is a bool parity, node " << i;
    // Children point back at their parent.
    for (uintptr_t child : {n.left, n.right}) {
      if (child != 0 && !IsSentinel(child)) {
        EXPECT_EQ(ReadAt<uintptr_t>(child, kParentOff), n.address) << "node " << i;
      }
      if (IsSentinel(child)) {
        EXPECT_EQ(child, sentinel) << "node " << i;
        sentinels_seen++;
      }
    }
    if (IsSentinel(n.parent)) {
      EXPECT_EQ(n.address, t.root) << "only the root has a sentinel parent, node " << i;
    }
    // A WAVL leaf always has rank 0, so parity false.
    const bool leaf = (n.left == 0 || IsSentinel(n.left)) && (n.right == 0 || IsSentinel(n.right));
    if (leaf) {
      EXPECT_EQ(n.rank, 0u) << "leaf rank parity, node " << i;
    }
    // Invariant 1: no node is empty.
    EXPECT_TRUE(std::any_of(std::begin(n.slots), std::end(n.slots), [](uint64_t s) { return s; }))
        << "node " << i;
  }
  EXPECT_EQ(sentinels_seen, 3u) << "exactly root->parent_, left_most->left_, right_most->right_";
}

// ---- tests
// ---------------------------------------------------------------------------------------

TEST(Layout, SizesAtRunTime) {
  // Mirrors the static_asserts so a run reports the numbers too.
  EXPECT_EQ(sizeof(VmPageListNode), 176u);
  EXPECT_EQ(alignof(VmPageListNode), 8u);
  EXPECT_EQ(sizeof(VmPageList), 48u);
  EXPECT_EQ(sizeof(VmPageOrMarker), 8u);
  EXPECT_EQ(sizeof(VMPLCursor), 16u);
  EXPECT_EQ(sizeof(vm_page_t), 48u);
  EXPECT_EQ(sizeof(VmPageSpliceList), kSpliceSize);
}

TEST(Layout, VmPageBitfieldsAtSpecOffsets) {
  alignas(8) vm_page_t page;
  memset(&page, 0, sizeof(page));
  const auto* bytes = reinterpret_cast<const unsigned char*>(&page);

  page.paddr_priv = 0x1122334455667788;
  EXPECT_EQ(ReadAt<uint64_t>(&page, 0x10), 0x1122334455667788u);
  page.object.object_or_stack_owner = 0xAAAA;
  EXPECT_EQ(ReadAt<uint64_t>(&page, 0x18), 0xAAAAu);
  page.object.page_offset_priv = 0xBBBB000;
  EXPECT_EQ(ReadAt<uint64_t>(&page, 0x20), 0xBBBB000u);
  page.object.page_queue_priv = 0x5A;
  EXPECT_EQ(bytes[0x28], 0x5A);

  page.object.pin_count = VM_PAGE_OBJECT_MAX_PIN_COUNT;
  EXPECT_EQ(bytes[0x29], 0x1F) << "pin_count is bits 0-4 of byte 0x29";
  page.object.pin_count = 0;
  page.object.cow_left_split = 1;
  EXPECT_EQ(bytes[0x29], 0x20) << "cow_left_split is bit 5";
  page.object.cow_left_split = 0;
  page.object.cow_right_split = 1;
  EXPECT_EQ(bytes[0x29], 0x40) << "cow_right_split is bit 6";
  page.object.cow_right_split = 0;
  page.object.always_need = 1;
  EXPECT_EQ(bytes[0x29], 0x80) << "always_need is bit 7";
  page.object.always_need = 0;
  page.object.dirty_state = 3;
  EXPECT_EQ(bytes[0x2A], 0x03) << "dirty_state is bits 0-1 of byte 0x2A";
  page.set_state(vm_page_state::WIRED);
  EXPECT_EQ(bytes[0x2B], static_cast<uint8_t>(vm_page_state::WIRED));
  page.loaned_state_priv = 3;
  EXPECT_EQ(bytes[0x2C], 3);
}

TEST(Layout, NodeFieldsInPlacementBuffer) {
  alignas(VmPageListNode) unsigned char buffer[sizeof(VmPageListNode)];
  memset(buffer, 0xAB, sizeof(buffer));
  constexpr uint64_t kKey = 0x7'0000;
  auto* node = new (buffer) VmPageListNode(kKey);
  ASSERT_EQ(Addr(node), Addr(buffer)) << "the tree node state is at offset 0 of the node";

  EXPECT_EQ(ReadAt<uintptr_t>(buffer, kParentOff), 0u);
  EXPECT_EQ(ReadAt<uintptr_t>(buffer, kLeftOff), 0u);
  EXPECT_EQ(ReadAt<uintptr_t>(buffer, kRightOff), 0u);
  EXPECT_EQ(ReadAt<uint8_t>(buffer, kRankOff), 0u) << "a fresh node has rank parity false";
  EXPECT_EQ(ReadAt<uint32_t>(buffer, kCanaryOff), kCanaryMagic);
  EXPECT_EQ(buffer[kCanaryOff + 0], 0x54);
  EXPECT_EQ(buffer[kCanaryOff + 1], 0x53);
  EXPECT_EQ(buffer[kCanaryOff + 2], 0x4C);
  EXPECT_EQ(buffer[kCanaryOff + 3], 0x50);
  EXPECT_EQ(ReadAt<uint64_t>(buffer, kObjOffsetOff), kKey);
  for (size_t i = 0; i < 16; i++) {
    EXPECT_EQ(ReadAt<uint64_t>(buffer, kPagesOff + 8 * i), 0u) << "slot " << i << " is Empty";
  }
  EXPECT_EQ(node->offset(), kKey);
  EXPECT_EQ(node->GetKey(), kKey);
  EXPECT_EQ(node->end_offset(), kKey + kNodeSpan);
  EXPECT_TRUE(node->IsEmpty());

  // Slot i lives at 48 + 8 * i.
  for (size_t i = 0; i < 16; i++) {
    EXPECT_EQ(Addr(&node->Lookup(i)), Addr(buffer) + kPagesOff + 8 * i) << "slot " << i;
  }
  node->Lookup(5) = VmPageOrMarker::Marker();
  EXPECT_EQ(ReadAt<uint64_t>(buffer, kPagesOff + 8 * 5), 1u);
  EXPECT_FALSE(node->IsEmpty());
  EXPECT_TRUE(node->HasNoPageOrRef());

  node->set_offset(0x9'0000);
  EXPECT_EQ(ReadAt<uint64_t>(buffer, kObjOffsetOff), 0x9'0000u);

  node->~VmPageListNode();
  EXPECT_EQ(ReadAt<uint32_t>(buffer, kCanaryOff), 0u) << "a destroyed node's canary reads 0";
}

TEST(Layout, EmptyListSentinelsAndSkew) {
  VmPageList list;
  EXPECT_EQ(ReadAt<uintptr_t>(&list, kRootOff), 0u);
  EXPECT_EQ(ReadAt<uintptr_t>(&list, kLeftMostOff), SentinelOf(&list));
  EXPECT_EQ(ReadAt<uintptr_t>(&list, kRightMostOff), SentinelOf(&list));
  EXPECT_EQ(ReadAt<uint64_t>(&list, kCountOff), 0u);
  EXPECT_EQ(ReadAt<uint64_t>(&list, kListSkewOff), 0u);

  list.InitializeSkew(0x3000, 0x15000);
  EXPECT_EQ(ReadAt<uint64_t>(&list, kListSkewOff), 0x8000u) << "(0x3000 + 0x15000) % 0x10000";
  EXPECT_EQ(list.GetSkew(), 0x8000u);
}

TEST(Layout, SlotsOfListNodesAreAtOffset48) {
  VmPageList list;
  AddMarker(list, 0x23 * kPage);
  const RawTree t = ReadTree(&list);
  ASSERT_NE(t.root, 0u);
  const VmPageOrMarker* slot = list.Lookup(0x23 * kPage);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(Addr(slot), t.root + kPagesOff + 8 * 3);
  EXPECT_EQ(ReadAt<uint64_t>(t.root, kObjOffsetOff), 0x20000u);
  EXPECT_EQ(ReadAt<uint64_t>(t.root, kPagesOff + 8 * 3), 1u);
  EXPECT_EQ(t.count, 1u);
  EXPECT_EQ(t.left_most, t.root);
  EXPECT_EQ(t.right_most, t.root);
  EXPECT_EQ(ReadAt<uintptr_t>(t.root, kParentOff), SentinelOf(&list));
  EXPECT_EQ(ReadAt<uintptr_t>(t.root, kLeftOff), SentinelOf(&list));
  EXPECT_EQ(ReadAt<uintptr_t>(t.root, kRightOff), SentinelOf(&list));
  EXPECT_EQ(list.HeapAllocationBytes(), 176u);
  FreeAll(list);
}

TEST(Layout, SkewedKeysAndSlotIndices) {
  // Skew P: offset 0 is key 0 index 1; offset 15P is key 0x10000 index 0 (docs/semantics.md section
  // 3.2).
  VmPageList list;
  list.InitializeSkew(0, kPage);
  AddMarker(list, 0);
  AddMarker(list, 15 * kPage);
  const std::vector<RawNode> nodes = WalkInOrder(&list, 4);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].key, 0u);
  EXPECT_EQ(nodes[0].slots[1], 1u);
  EXPECT_EQ(nodes[1].key, 0x10000u);
  EXPECT_EQ(nodes[1].slots[0], 1u);
  EXPECT_EQ(NodeAddressOf(list, 0), nodes[0].address);
  EXPECT_EQ(NodeAddressOf(list, 15 * kPage), nodes[1].address);
  FreeAll(list);
}

TEST(Layout, TreeLinksAfterRandomInserts) {
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  for (int round = 0; round < 10; round++) {
    SCOPED_TRACE(testing::Message() << "round " << round);
    VmPageList list;
    std::set<uint64_t> keys;
    const int nodes = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < nodes; i++) {
      const uint64_t key = (rng() % 4096) * kNodeSpan;
      const uint64_t offset = key + (rng() % 16) * kPage;
      AddMarker(list, offset);
      keys.insert(key);
      EXPECT_NE(NodeAddressOf(list, offset), 0u) << "i=" << i;
      EXPECT_EQ(ReadAt<uint64_t>(NodeAddressOf(list, offset), kObjOffsetOff), key) << "i=" << i;
    }
    ExpectTreeShape(&list, keys);
    EXPECT_EQ(list.HeapAllocationBytes(), keys.size() * 176);

    // Remove a random half, the shape must stay consistent.
    std::vector<uint64_t> all(keys.begin(), keys.end());
    std::shuffle(all.begin(), all.end(), rng);
    for (size_t i = 0; i < all.size() / 2; i++) {
      list.RemovePages(
          [](VmPageOrMarker* p, uint64_t) {
            *p = VmPageOrMarker::Empty();
            return ZX_ERR_NEXT;
          },
          all[i], all[i] + kNodeSpan);
      keys.erase(all[i]);
    }
    ExpectTreeShape(&list, keys);
    FreeAll(list);
    ExpectTreeShape(&list, {});
  }
}

TEST(Layout, MovedListSentinelsFollowTheNewAddress) {
  std::mt19937_64 rng(Seed());
  SCOPED_TRACE(testing::Message() << "seed " << Seed());
  std::set<uint64_t> keys;
  auto source = std::make_unique<VmPageList>();
  source->InitializeSkew(0, 3 * kPage);
  for (int i = 0; i < 50; i++) {
    const uint64_t key = (rng() % 512) * kNodeSpan;
    // Skew 3P: offset key + 5P lands in node |key| at index 8.
    AddMarker(*source, key + 5 * kPage);
    keys.insert(key);
  }
  ExpectTreeShape(source.get(), keys);

  // Move construction.
  auto moved = std::make_unique<VmPageList>(std::move(*source));
  SCOPED_TRACE("after move construction");
  ExpectTreeShape(moved.get(), keys);
  ExpectTreeShape(source.get(), {});
  EXPECT_EQ(ReadAt<uint64_t>(moved.get(), kListSkewOff), 3 * kPage);
  EXPECT_EQ(moved->GetSkew(), 3 * kPage);
  for (uint64_t key : keys) {
    const VmPageOrMarker* slot = moved->Lookup(key + 5 * kPage);
    ASSERT_NE(slot, nullptr) << "key " << key;
    EXPECT_TRUE(slot->IsMarker()) << "key " << key;
  }

  // Move assignment into a list that was used before (now empty) at another address.
  auto assigned = std::make_unique<VmPageList>();
  AddMarker(*assigned, 0);
  FreeAll(*assigned);
  *assigned = std::move(*moved);
  SCOPED_TRACE("after move assignment");
  ExpectTreeShape(assigned.get(), keys);
  ExpectTreeShape(moved.get(), {});
  EXPECT_EQ(assigned->GetSkew(), 3 * kPage);

  // Moving an empty list gives an empty list with its own sentinels.
  VmPageList empty;
  VmPageList empty_moved(std::move(empty));
  ExpectTreeShape(&empty_moved, {});
  ExpectTreeShape(&empty, {});

  // Moving back and forth keeps pointing at the current owner.
  VmPageList on_stack(std::move(*assigned));
  ExpectTreeShape(&on_stack, keys);
  FreeAll(on_stack);
}

TEST(Layout, CursorHoldsNodePointerAndIndex) {
  VmPageList list;
  AddMarker(list, 0x12 * kPage);
  const uintptr_t node = NodeAddressOf(list, 0x12 * kPage);
  ASSERT_NE(node, 0u);

  VMPLCursor cursor = list.LookupMutableCursor(0x12 * kPage);
  EXPECT_EQ(ReadAt<uintptr_t>(&cursor, 0), node) << "the iterator is one node pointer";
  EXPECT_EQ(ReadAt<uint32_t>(&cursor, 8), 2u) << "index_ at 8";
  EXPECT_EQ(Addr(&*cursor.current()), node + kPagesOff + 8 * 2);

  cursor.step();
  EXPECT_EQ(ReadAt<uint32_t>(&cursor, 8), 3u);

  VMPLCursor invalid;
  EXPECT_EQ(ReadAt<uint32_t>(&invalid, 8), 16u) << "index_ == kPageFanOut means invalid";
  EXPECT_FALSE(invalid.current());

  VMPLCursor missing = list.LookupMutableCursor(0x100 * kPage);
  EXPECT_EQ(ReadAt<uint32_t>(&missing, 8), 16u);
  FreeAll(list);
}

TEST(Layout, PageListAccessAgreesWithRawOffsets) {
  // The friend accessor used by the validator and the raw offsets a debugger uses must name the
  // same bytes.
  VmPageList list;
  list.InitializeSkew(0, 2 * kPage);
  EXPECT_EQ(Addr(&vmpl::PageListAccess::nodes(list)), Addr(&list)) << "list_ at 0";
  EXPECT_EQ(vmpl::PageListAccess::skew(list), ReadAt<uint64_t>(&list, kListSkewOff));
  AddMarker(list, 5 * kPage);
  const uintptr_t node = NodeAddressOf(list, 5 * kPage);
  const auto& tree = vmpl::PageListAccess::nodes(list);
  EXPECT_EQ(Addr(tree.root_ptr()), node);
  EXPECT_EQ(vmpl::PageListAccess::canary(*tree.root_ptr()), ReadAt<uint32_t>(node, kCanaryOff));
  EXPECT_EQ(Addr(&vmpl::PageListAccess::slot(*tree.root_ptr(), 7)), node + kPagesOff + 8 * 7);
  EXPECT_EQ(vmpl::PageListAccess::raw(*list.Lookup(5 * kPage)), 1u);

  VmPageSpliceList splice(0x12000, 0x30000, 0);
  const uintptr_t s = Addr(&splice);
  EXPECT_EQ(Addr(&vmpl::PageListAccess::head(splice)), s + kSpliceHeadOff);
  EXPECT_EQ(Addr(&vmpl::PageListAccess::middle(splice)), s + kSpliceMiddleOff);
  EXPECT_EQ(Addr(&vmpl::PageListAccess::tail(splice)), s + kSpliceTailOff);
  EXPECT_EQ(Addr(&vmpl::PageListAccess::raw_pages(splice)), s + kSpliceRawPagesOff);
  EXPECT_EQ(vmpl::PageListAccess::skew(splice), ReadAt<uint64_t>(&splice, kSpliceSkewOff));
  EXPECT_EQ(splice.offset(), ReadAt<uint64_t>(&splice, kSpliceOffsetOff));
  EXPECT_EQ(splice.length(), ReadAt<uint64_t>(&splice, kSpliceLengthOff));
  splice.Finalize();
  FreeAll(list);
}

// ---- splice list
// ---------------------------------------------------------------------------------

TEST(Layout, SpliceListFieldsOfAFreshList) {
  auto splice = std::make_unique<VmPageSpliceList>(0x12000, 0x30000, 0x3000);
  const void* s = splice.get();
  EXPECT_EQ(ReadAt<uint64_t>(s, kSpliceOffsetOff), 0x12000u);
  EXPECT_EQ(ReadAt<uint64_t>(s, kSpliceLengthOff), 0x30000u);
  EXPECT_EQ(ReadAt<uint64_t>(s, kSplicePosOff), 0u);
  EXPECT_EQ(ReadAt<uint64_t>(s, kSpliceSkewOff), 0x3000u);
  EXPECT_EQ(ReadAt<uint8_t>(s, kSpliceFinalizedOff), 0u);

  // head_ and tail_ are whole nodes with key 0, live canaries and no links.
  for (size_t node_off : {kSpliceHeadOff, kSpliceTailOff}) {
    SCOPED_TRACE(testing::Message() << "node at +" << node_off);
    const RawNode n = ReadNode(Addr(s) + node_off);
    EXPECT_EQ(n.parent, 0u);
    EXPECT_EQ(n.left, 0u);
    EXPECT_EQ(n.right, 0u);
    EXPECT_EQ(n.canary, kCanaryMagic);
    EXPECT_EQ(n.key, 0u);
    for (uint64_t slot : n.slots) {
      EXPECT_EQ(slot, 0u);
    }
  }
  // middle_ is an empty tree whose sentinel is its own address.
  const void* middle = static_cast<const unsigned char*>(s) + kSpliceMiddleOff;
  ExpectTreeShape(middle, {});
  // raw_pages_ is an empty circular list pointing at itself.
  const uintptr_t raw_pages = Addr(s) + kSpliceRawPagesOff;
  EXPECT_EQ(ReadAt<uintptr_t>(raw_pages, 0), raw_pages);
  EXPECT_EQ(ReadAt<uintptr_t>(raw_pages, 8), raw_pages);

  splice->Finalize();
  EXPECT_EQ(ReadAt<uint8_t>(s, kSpliceFinalizedOff), 1u) << "finalized_ at 32";
  EXPECT_TRUE(splice->IsFinalized());
  // Pop everything (all Empty) so the list is processed.
  for (uint64_t i = 0; i < 0x30; i++) {
    EXPECT_TRUE(splice->Pop().IsEmpty()) << "i=" << i;
    EXPECT_EQ(ReadAt<uint64_t>(s, kSplicePosOff), (i + 1) * kPage) << "pos_ at 16, i=" << i;
  }
  EXPECT_TRUE(splice->IsProcessed());
}

TEST(Layout, SpliceListAppendedContentLandsInHeadMiddleTail) {
  // offset 0x12000, length 0x30000: head = node 0x10000 indices 2..15 (14 slots), middle = nodes
  // 0x20000 and 0x30000, tail = node 0x40000 indices 0..1.
  constexpr uint64_t kOffset = 0x12000;
  constexpr uint64_t kLength = 0x30000;
  auto splice = std::make_unique<VmPageSpliceList>(kOffset, kLength, 0);
  const uintptr_t s = Addr(splice.get());
  for (uint64_t pos = 0; pos < kLength; pos += kPage) {
    // Distinct reference values so each slot is recognisable in memory.
    const uint64_t value = (pos / kPage + 1) << 4;
    ASSERT_EQ(splice->Append(
                  VmPageOrMarker::Reference(VmPageOrMarker::ReferenceValue(value), false, false)),
              ZX_OK)
        << "pos " << pos;
    EXPECT_EQ(ReadAt<uint64_t>(s, kSplicePosOff), pos + kPage) << "pos " << pos;
  }
  // Middle nodes keep their real keys.
  const void* middle = reinterpret_cast<const void*>(s + kSpliceMiddleOff);
  ExpectTreeShape(middle, {0x20000, 0x30000});
  const std::vector<RawNode> middle_nodes = WalkInOrder(middle, 4);
  ASSERT_EQ(middle_nodes.size(), 2u);

  auto expected_slot_address = [&](uint64_t offset) -> uintptr_t {
    const uint64_t key = offset & ~(kNodeSpan - 1);
    const uint64_t index = (offset / kPage) % 16;
    if (key == (kOffset & ~(kNodeSpan - 1))) {
      return s + kSpliceHeadOff + kPagesOff + 8 * index;
    }
    if (key == ((kOffset + kLength) & ~(kNodeSpan - 1))) {
      return s + kSpliceTailOff + kPagesOff + 8 * index;
    }
    for (const RawNode& n : middle_nodes) {
      if (n.key == key) {
        return n.address + kPagesOff + 8 * index;
      }
    }
    return 0;
  };
  // Check every slot's raw value where the layout says it must be.
  for (uint64_t pos = 0; pos < kLength; pos += kPage) {
    const uintptr_t addr = expected_slot_address(kOffset + pos);
    ASSERT_NE(addr, 0u) << "pos " << pos;
    EXPECT_EQ(ReadAt<uint64_t>(addr, 0), (((pos / kPage) + 1) << 4) | 0x2) << "pos " << pos;
  }

  splice->Finalize();
  EXPECT_EQ(ReadAt<uint64_t>(s, kSplicePosOff), 0u) << "Finalize rewinds pos_";
  for (uint64_t pos = 0; pos < kLength; pos += kPage) {
    VmPageOrMarkerRef peek = splice->PeekReference();
    ASSERT_TRUE(peek) << "pos " << pos;
    EXPECT_EQ(Addr(&*peek), expected_slot_address(kOffset + pos)) << "pos " << pos;
    VmPageOrMarker popped = splice->Pop();
    EXPECT_EQ(popped.ReleaseReference().value(), ((pos / kPage) + 1) << 4) << "pos " << pos;
  }
  EXPECT_TRUE(splice->IsProcessed());
}

TEST(Layout, SpliceListMiddleSentinelsFollowMoves) {
  VmPageList list;
  for (uint64_t key = 0; key < 8 * kNodeSpan; key += kNodeSpan) {
    AddMarker(list, key + 4 * kPage);
  }
  // [3P, 7 nodes + 9P): head node 0, middle nodes 1..6, tail node 7.
  VmPageSpliceList taken = list.TakePages(3 * kPage, 7 * kNodeSpan + 6 * kPage);
  const void* middle = reinterpret_cast<const unsigned char*>(&taken) + kSpliceMiddleOff;
  std::set<uint64_t> middle_keys;
  for (uint64_t key = kNodeSpan; key < 7 * kNodeSpan; key += kNodeSpan) {
    middle_keys.insert(key);
  }
  ExpectTreeShape(middle, middle_keys);
  EXPECT_EQ(ReadAt<uint64_t>(Addr(&taken) + kSpliceHeadOff, kPagesOff + 8 * 4), 1u)
      << "marker at 4P sits in head_ index 4";
  EXPECT_EQ(ReadAt<uint64_t>(Addr(&taken) + kSpliceTailOff, kPagesOff + 8 * 4), 1u)
      << "marker at 7 nodes + 4P sits in tail_ index 4";
  EXPECT_EQ(ReadAt<uint8_t>(&taken, kSpliceFinalizedOff), 1u) << "TakePages finalizes";

  auto moved = std::make_unique<VmPageSpliceList>(std::move(taken));
  const void* moved_middle = reinterpret_cast<const unsigned char*>(moved.get()) + kSpliceMiddleOff;
  ExpectTreeShape(moved_middle, middle_keys);
  ExpectTreeShape(middle, {});
  EXPECT_EQ(ReadAt<uint64_t>(Addr(moved.get()) + kSpliceHeadOff, kPagesOff + 8 * 4), 1u);
  EXPECT_EQ(ReadAt<uint64_t>(Addr(&taken) + kSpliceHeadOff, kPagesOff + 8 * 4), 0u)
      << "the source's head_ is emptied";

  while (!moved->IsProcessed()) {
    VmPageOrMarker p = moved->Pop();
    EXPECT_FALSE(p.IsPageOrRef());
  }
  FreeAll(list);
}

TEST(Layout, SpliceListRawPagesListIsRelinkedOnMove) {
  list_node pages = LIST_INITIAL_VALUE(pages);
  std::vector<vm_page_t*> allocated;
  for (int i = 0; i < 3; i++) {
    vm_page_t* p = vmpl::PageAllocator::Get().AllocPage();
    ASSERT_NE(p, nullptr);
    allocated.push_back(p);
    list_add_tail(&pages, &p->queue_node);
  }
  VmPageSpliceList from_list = VmPageSpliceList::CreateFromPageList(0, 3 * kPage, &pages);
  EXPECT_TRUE(list_is_empty(&pages));
  const uintptr_t raw_pages = Addr(&from_list) + kSpliceRawPagesOff;
  EXPECT_EQ(ReadAt<uintptr_t>(raw_pages, 8), Addr(&allocated[0]->queue_node)) << "next = first";
  EXPECT_EQ(ReadAt<uintptr_t>(raw_pages, 0), Addr(&allocated[2]->queue_node)) << "prev = last";
  EXPECT_EQ(Addr(allocated[0]->queue_node.prev), raw_pages);
  EXPECT_EQ(Addr(allocated[2]->queue_node.next), raw_pages);

  auto moved = std::make_unique<VmPageSpliceList>(std::move(from_list));
  const uintptr_t moved_raw = Addr(moved.get()) + kSpliceRawPagesOff;
  EXPECT_EQ(ReadAt<uintptr_t>(moved_raw, 8), Addr(&allocated[0]->queue_node));
  EXPECT_EQ(Addr(allocated[0]->queue_node.prev), moved_raw) << "first page links to the new head";
  EXPECT_EQ(Addr(allocated[2]->queue_node.next), moved_raw);
  EXPECT_EQ(ReadAt<uintptr_t>(raw_pages, 0), raw_pages) << "source list empty again";
  EXPECT_EQ(ReadAt<uintptr_t>(raw_pages, 8), raw_pages);

  for (int i = 0; i < 3; i++) {
    VmPageOrMarker p = moved->Pop();
    ASSERT_TRUE(p.IsPage()) << "i=" << i;
    vm_page_t* page = p.ReleasePage();
    EXPECT_EQ(page, allocated[i]) << "i=" << i;
    pmm_free_page(page);
  }
}

}  // namespace
