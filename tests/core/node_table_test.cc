// Tests of vmpl::NodeTable (the node-offset hash beside a page list's tree) and of the page list's
// use of it.
//
// The table alone is checked against a std::map under random inserts and erases, with key patterns
// that defeat weak hashes (dense runs, large power-of-two strides, clusters), across growth and
// shrinking. In a page list, the table must mirror the tree after every kind of operation that
// links or unlinks nodes (allocation, removal, TakePages, MergeFrom, MergeOnto, moves): the
// validator's node-table check says so, and lookups through the table must agree with a walk of
// the tree. The validator must also catch a table that disagrees with the tree.

#include <gtest/gtest.h>
#include <stdint.h>
#include <vm/vm_page_list.h>
#include <vmpl/node_table.h>
#include <vmpl/page_list_access.h>
#include <vmpl/validate.h>
#include <zircon/errors.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using vmpl::NodeTable;
using vmpl::PageListAccess;

constexpr uint64_t kPage = PAGE_SIZE;
constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * kPage;
// The page-list tests below build lists of 400 nodes and more so that they have a table.
static_assert(NodeTable::kMinNodes <= 400);

uint64_t Seed() { return ::testing::UnitTest::GetInstance()->random_seed(); }

std::string Describe(const std::vector<vmpl::Violation>& violations) {
  std::string text;
  for (const vmpl::Violation& v : violations) {
    text += v.ToString() + "\n";
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// The table alone, against a std::map.

// Distinct fake node pointers: the table never dereferences them.
VmPageListNode* FakeNode(uint64_t key) {
  return reinterpret_cast<VmPageListNode*>((key >> 10) | 0x40);
}

// Builds an active table from an empty start (Build with no nodes).
void Activate(NodeTable& table) {
  table.Build(0, [](auto) {});
}

void ExpectMirrors(const NodeTable& table, const std::map<uint64_t, VmPageListNode*>& model,
                   const std::vector<uint64_t>& absent_probes) {
  ASSERT_TRUE(table.active());
  EXPECT_EQ(table.size(), model.size());
  EXPECT_LE(2 * table.size(), table.capacity());
  for (const auto& [key, node] : model) {
    ASSERT_EQ(table.Find(key), node) << "key " << key;
  }
  for (uint64_t key : absent_probes) {
    if (model.count(key) == 0) {
      ASSERT_EQ(table.Find(key), nullptr) << "key " << key;
    }
  }
}

struct KeyPattern {
  const char* name;
  uint64_t (*key)(uint64_t i, std::mt19937_64& rng);
};

const KeyPattern kPatterns[] = {
    {"dense", [](uint64_t i, std::mt19937_64&) { return i * kNodeSpan; }},
    // Node numbers that are multiples of 2^20: every one has the same low 20 bits.
    {"stride_2^20_nodes", [](uint64_t i, std::mt19937_64&) { return (i << 20) * kNodeSpan; }},
    {"stride_2^30_nodes", [](uint64_t i, std::mt19937_64&) { return (i << 30) * kNodeSpan; }},
    {"random_wide", [](uint64_t, std::mt19937_64& rng) { return (rng() >> 24) * kNodeSpan; }},
    {"clusters",
     [](uint64_t i, std::mt19937_64& rng) {
       return ((rng() % 8) << 32) * kNodeSpan + (i % 512) * kNodeSpan;
     }},
};

TEST(NodeTableTest, InactiveUntilBuiltAndAfterDrop) {
  NodeTable table;
  EXPECT_FALSE(table.active());
  table.Insert(0, FakeNode(0));  // ignored while inactive
  table.Erase(0);
  EXPECT_FALSE(table.active());
  EXPECT_EQ(table.size(), 0u);

  std::vector<std::pair<uint64_t, VmPageListNode*>> nodes;
  for (uint64_t i = 0; i < 100; i++) {
    nodes.emplace_back(i * kNodeSpan, FakeNode(i * kNodeSpan));
  }
  table.Build(nodes.size(), [&nodes](auto place) {
    for (auto& [key, node] : nodes) {
      place(key, node);
    }
  });
  ASSERT_TRUE(table.active());
  EXPECT_EQ(table.size(), 100u);
  EXPECT_GE(table.capacity(), 200u);  // at most half full
  EXPECT_EQ(table.capacity() & (table.capacity() - 1), 0u);
  EXPECT_EQ(table.Find(42 * kNodeSpan), FakeNode(42 * kNodeSpan));
  EXPECT_EQ(table.Find(100 * kNodeSpan), nullptr);

  NodeTable moved(std::move(table));
  EXPECT_FALSE(table.active());
  ASSERT_TRUE(moved.active());
  EXPECT_EQ(moved.Find(7 * kNodeSpan), FakeNode(7 * kNodeSpan));

  moved.Drop();
  EXPECT_FALSE(moved.active());
  EXPECT_EQ(moved.bytes(), 0u);
}

TEST(NodeTableTest, ErasingTheLastEntryDropsTheTable) {
  NodeTable table;
  Activate(table);
  table.Insert(kNodeSpan, FakeNode(kNodeSpan));
  table.Erase(kNodeSpan);
  EXPECT_FALSE(table.active());
}

TEST(NodeTableTest, RandomInsertsAndErasesMatchAStdMap) {
  for (const KeyPattern& pattern : kPatterns) {
    SCOPED_TRACE(pattern.name);
    std::mt19937_64 rng(Seed());
    NodeTable table;
    Activate(table);
    std::map<uint64_t, VmPageListNode*> model;
    std::vector<uint64_t> keys;  // every key ever used, present or not
    // Grow to 3000 entries, shrink to a handful, grow again: crosses every resize both ways.
    const size_t phases[] = {3000, 5, 2000, 1};
    uint64_t next = 0;
    for (size_t target : phases) {
      while (model.size() != target) {
        const bool grow = model.size() < target;
        if (grow) {
          const uint64_t key = pattern.key(next++, rng);
          if (model.count(key) != 0) {
            continue;
          }
          if (!table.active()) {
            Activate(table);  // the last erase dropped it
          }
          table.Insert(key, FakeNode(key));
          model[key] = FakeNode(key);
          keys.push_back(key);
        } else {
          auto it = model.begin();
          std::advance(it, rng() % model.size());
          table.Erase(it->first);
          model.erase(it);
        }
        if (model.size() % 97 == 0 && !model.empty()) {
          ExpectMirrors(table, model, keys);
        }
      }
      if (!model.empty()) {
        ExpectMirrors(table, model, keys);
        // Memory follows the size: shrinking keeps the table at least a sixteenth full.
        EXPECT_LE(table.capacity(), std::max<size_t>(2 * NodeTable::kMinNodes, 16 * model.size()));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The table inside a page list.

void ExpectTableMirrorsTree(const VmPageList& list) {
  const std::vector<vmpl::Violation> violations = vmpl::Validate(list);
  EXPECT_TRUE(violations.empty()) << Describe(violations);
  const NodeTable& table = PageListAccess::node_table(list);
  const size_t nodes = PageListAccess::nodes(list).size();
  if (nodes >= NodeTable::kMinNodes) {
    EXPECT_TRUE(table.active()) << nodes << " nodes";
  }
  if (table.active()) {
    EXPECT_EQ(table.size(), nodes);
  }
}

void AddMarkers(VmPageList& list, uint64_t first_page, uint64_t pages, uint64_t stride = 1) {
  for (uint64_t i = 0; i < pages; i++) {
    auto [slot, in_interval] = list.LookupOrAllocate((first_page + i * stride) * kPage,
                                                     VmPageList::IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    *slot = VmPageOrMarker::Marker();
  }
}

size_t CountMarkers(const VmPageList& list) {
  size_t markers = 0;
  list.ForEveryPage([&markers](const VmPageOrMarker* p, uint64_t) {
    markers += p->IsMarker() ? 1 : 0;
    return ZX_ERR_NEXT;
  });
  return markers;
}

void DropAll(VmPageList& list) {
  list.RemoveAllContent([](VmPageOrMarker&&) {});
}

TEST(NodeTableInPageListTest, SmallListsHaveNoTable) {
  VmPageList list;
  AddMarkers(list, 0, (NodeTable::kMinNodes - 1) * 16);
  EXPECT_EQ(PageListAccess::nodes(list).size(), NodeTable::kMinNodes - 1);
  EXPECT_FALSE(PageListAccess::node_table(list).active());
  AddMarkers(list, (NodeTable::kMinNodes - 1) * 16, 1);
  EXPECT_TRUE(PageListAccess::node_table(list).active());
  ExpectTableMirrorsTree(list);
  DropAll(list);
  EXPECT_FALSE(PageListAccess::node_table(list).active());
}

TEST(NodeTableInPageListTest, LookupsThroughTheTableAgreeWithTheTree) {
  VmPageList list;
  AddMarkers(list, 5, 500, 37);  // 500 nodes, one marker each, not node-aligned
  ExpectTableMirrorsTree(list);
  std::mt19937_64 rng(Seed());
  for (int i = 0; i < 5000; i++) {
    const uint64_t page = rng() % (5 + 500 * 37 + 100);
    const bool expected = page >= 5 && (page - 5) % 37 == 0 && (page - 5) / 37 < 500;
    const VmPageOrMarker* slot = list.Lookup(page * kPage);
    ASSERT_EQ(slot != nullptr && slot->IsMarker(), expected) << "page " << page;
  }
  DropAll(list);
}

TEST(NodeTableInPageListTest, RemovePagesKeepsTheTableInStep) {
  VmPageList list;
  AddMarkers(list, 0, 1024 * 16);
  list.RemovePages(
      [](VmPageOrMarker* p, uint64_t) {
        *p = VmPageOrMarker::Empty();
        return ZX_ERR_NEXT;
      },
      100 * kNodeSpan + 3 * kPage, 500 * kNodeSpan);
  ExpectTableMirrorsTree(list);
  EXPECT_TRUE(PageListAccess::node_table(list).active());
  EXPECT_EQ(list.Lookup(200 * kNodeSpan), nullptr);
  ASSERT_NE(list.Lookup(600 * kNodeSpan), nullptr);
  DropAll(list);
}

TEST(NodeTableInPageListTest, RemovingAcrossEveryNodeRebuildsTheTableFromWhatIsLeft) {
  VmPageList list;
  AddMarkers(list, 0, 1024 * 16);
  // The range spans every node, so the table is dropped and rebuilt at the end; the callback keeps
  // the markers of every second node, and 512 nodes remain.
  list.RemovePages(
      [](VmPageOrMarker* p, uint64_t offset) {
        if ((offset / kNodeSpan) % 2 != 0) {
          *p = VmPageOrMarker::Empty();
        }
        return ZX_ERR_NEXT;
      },
      0, VmPageList::MAX_SIZE);
  EXPECT_EQ(PageListAccess::nodes(list).size(), 512u);
  EXPECT_TRUE(PageListAccess::node_table(list).active());
  ExpectTableMirrorsTree(list);
  ASSERT_NE(list.Lookup(8 * kNodeSpan), nullptr);
  EXPECT_EQ(list.Lookup(9 * kNodeSpan), nullptr);
  // Removing everything leaves no table.
  list.RemovePages(
      [](VmPageOrMarker* p, uint64_t) {
        *p = VmPageOrMarker::Empty();
        return ZX_ERR_NEXT;
      },
      0, 1024 * kNodeSpan);
  EXPECT_TRUE(list.IsEmpty());
  EXPECT_FALSE(PageListAccess::node_table(list).active());
}

TEST(NodeTableInPageListTest, TakePagesUnlinksTheTakenNodes) {
  // Fewer nodes taken than left: the table erases them one by one.
  VmPageList list;
  AddMarkers(list, 0, 800 * 16);
  VmPageSpliceList splice = list.TakePages(3 * kPage, 300 * kNodeSpan);
  ExpectTableMirrorsTree(list);
  EXPECT_TRUE(PageListAccess::node_table(list).active());
  EXPECT_EQ(list.Lookup(40 * kNodeSpan), nullptr);
  ASSERT_NE(list.Lookup(305 * kNodeSpan), nullptr);
  size_t popped = 0;
  while (!splice.IsProcessed()) {
    popped += splice.Pop().IsMarker() ? 1 : 0;
  }
  EXPECT_EQ(popped, 300 * 16u);
  // More taken than left: the table is rebuilt from what is left.
  VmPageList most;
  AddMarkers(most, 0, 1200 * 16);
  VmPageSpliceList big = most.TakePages(16 * kPage, 800 * kNodeSpan);
  EXPECT_EQ(PageListAccess::nodes(most).size(), 400u);
  EXPECT_TRUE(PageListAccess::node_table(most).active());
  ExpectTableMirrorsTree(most);
  // A sparse range: only the nodes present are walked, and every one is taken.
  VmPageList sparse;
  AddMarkers(sparse, 0, 20, 1 << 20);
  VmPageSpliceList wide = sparse.TakePages(0, 15 * (uint64_t{1} << 20) * kPage);
  ExpectTableMirrorsTree(sparse);
  EXPECT_EQ(CountMarkers(sparse), 5u);
  DropAll(list);
  DropAll(most);
  DropAll(sparse);
}

TEST(NodeTableInPageListTest, MergeFromMovesNodesBetweenTables) {
  VmPageList parent;
  AddMarkers(parent, 0, 800 * 16);
  VmPageList child;
  child.InitializeSkew(parent.GetSkew(), 7 * kPage);
  AddMarkers(child, 0, 20);  // the child keeps these; the parent's land around them
  size_t released = 0;
  child.MergeFrom(
      parent, 7 * kPage, 7 * kPage + 600 * kNodeSpan,
      [&released](VmPageOrMarker&&, uint64_t) { released++; }, [](VmPageOrMarker*, uint64_t) {});
  ExpectTableMirrorsTree(parent);
  ExpectTableMirrorsTree(child);
  EXPECT_TRUE(parent.IsEmpty());
  EXPECT_EQ(CountMarkers(child), 600 * 16u);
  EXPECT_TRUE(PageListAccess::node_table(child).active());
  for (uint64_t page = 0; page < 600 * 16; page += 13) {
    ASSERT_NE(child.Lookup(page * kPage), nullptr) << page;
  }
  DropAll(child);
}

TEST(NodeTableInPageListTest, MergeOntoAndMovesCarryTheTable) {
  VmPageList a;
  VmPageList b;
  AddMarkers(a, 0, 400 * 16, 1);
  AddMarkers(b, 320 * 16, 400 * 16, 1);
  a.MergeOnto(b, [](VmPageOrMarker&&) {});
  ExpectTableMirrorsTree(a);
  ExpectTableMirrorsTree(b);
  EXPECT_EQ(PageListAccess::nodes(b).size(), 720u);
  EXPECT_TRUE(PageListAccess::node_table(b).active());

  VmPageList moved(std::move(b));
  ExpectTableMirrorsTree(moved);
  ExpectTableMirrorsTree(b);
  VmPageList assigned;
  assigned = std::move(moved);
  ExpectTableMirrorsTree(assigned);
  ASSERT_NE(assigned.Lookup(719 * kNodeSpan), nullptr);
  EXPECT_EQ(assigned.Lookup(720 * kNodeSpan), nullptr);
  DropAll(assigned);
}

TEST(NodeTableInPageListTest, DirectTreeAccessDropsTheTableAndAllocationRebuildsIt) {
  VmPageList list;
  AddMarkers(list, 0, 400 * 16);
  ASSERT_TRUE(PageListAccess::node_table(list).active());
  (void)PageListAccess::mutable_nodes(list);
  EXPECT_FALSE(PageListAccess::node_table(list).active());
  ASSERT_NE(list.Lookup(5 * kNodeSpan), nullptr);  // through the tree
  AddMarkers(list, 400 * 16, 1);
  ExpectTableMirrorsTree(list);
  DropAll(list);
}

TEST(NodeTableInPageListTest, ValidateReportsATableThatDisagreesWithTheTree) {
  VmPageList list;
  AddMarkers(list, 0, 400 * 16);
  ASSERT_TRUE(PageListAccess::node_table(list).active());
  // Re-key one node behind the table's back. (The replay interface does this only to lists whose
  // table it has dropped; here it stands for memory corruption.) The tree's order survives: node
  // 399 becomes node 4000.
  VmPageListNode& last = const_cast<VmPageListNode&>(PageListAccess::nodes(list).back());
  PageListAccess::set_node_offset(last, 4000 * kNodeSpan);
  const std::vector<vmpl::Violation> violations = vmpl::Validate(list);
  bool reported = false;
  for (const vmpl::Violation& v : violations) {
    reported |= v.kind == vmpl::Violation::Kind::kTree &&
                v.message.find("node table") != std::string::npos &&
                v.address == reinterpret_cast<uintptr_t>(&last);
  }
  EXPECT_TRUE(reported) << Describe(violations);
  PageListAccess::set_node_offset(last, 399 * kNodeSpan);
  ExpectTableMirrorsTree(list);
  DropAll(list);
}

}  // namespace
