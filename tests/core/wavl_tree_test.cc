// Tests for fbl::WAVLTree (core/include/fbl/intrusive_wavl_tree.h) and its validator
// vmpl::CheckWavlTree (core/include/vmpl/wavl_check.h).
//
// The randomised tests take their seed from GoogleTest, which picks a new one per run unless
// --gtest_random_seed=N is given; every failure message carries it so a run can be replayed.

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fbl/intrusive_wavl_tree.h>
#include <gtest/gtest.h>
#include <vmpl/wavl_check.h>

namespace {

class TestNode : public fbl::WAVLTreeContainable<std::unique_ptr<TestNode>> {
 public:
  explicit TestNode(uint64_t key) : key_(key) { ++live_; }
  ~TestNode() { --live_; }

  uint64_t GetKey() const { return key_; }
  void set_key(uint64_t key) { key_ = key; }

  static int64_t live() { return live_; }

 private:
  uint64_t key_;
  static inline int64_t live_ = 0;
};

using Tree = fbl::WAVLTree<uint64_t, std::unique_ptr<TestNode>>;
using NodeState = fbl::WAVLTreeNodeState<std::unique_ptr<TestNode>>;
using Containable = fbl::WAVLTreeContainable<std::unique_ptr<TestNode>>;

// ---- Layout: debuggers read these structures from raw memory. ----

static_assert(offsetof(NodeState, parent_) == 0);
static_assert(offsetof(NodeState, left_) == 8);
static_assert(offsetof(NodeState, right_) == 16);
static_assert(offsetof(NodeState, rank_) == 24);
static_assert(sizeof(NodeState) == 32);
static_assert(std::is_standard_layout_v<NodeState>);
static_assert(std::is_same_v<decltype(NodeState::parent_), TestNode*>);
static_assert(std::is_same_v<decltype(NodeState::rank_), bool>);

static_assert(offsetof(Containable, wavl_node_state_) == 0);
static_assert(sizeof(Containable) == sizeof(NodeState));

static_assert(Tree::root_offset() == 0);
static_assert(Tree::left_most_offset() == 8);
static_assert(Tree::right_most_offset() == 16);
static_assert(Tree::count_offset() == 24);
static_assert(sizeof(Tree) == 32);
static_assert(std::is_standard_layout_v<Tree>);
static_assert(Tree::kContainerSentinelBit == 1);

static_assert(std::is_convertible_v<Tree::iterator, Tree::const_iterator>);
static_assert(!std::is_convertible_v<Tree::const_iterator, Tree::iterator>);
static_assert(std::bidirectional_iterator<Tree::iterator>);
static_assert(std::bidirectional_iterator<Tree::const_iterator>);
static_assert(!std::is_copy_constructible_v<Tree>);
static_assert(std::is_nothrow_move_constructible_v<Tree>);

// A derived class's first member must start after the whole node state, never in its tail
// padding: page-list nodes put a 4-byte canary at offset 32.
struct SmallMemberNode : public fbl::WAVLTreeContainable<std::unique_ptr<SmallMemberNode>> {
  uint64_t GetKey() const { return magic; }
  uint32_t magic = 0;
};
static_assert(sizeof(SmallMemberNode) == 40);
static_assert(alignof(SmallMemberNode) == 8);

// ---- Helpers. ----

uintptr_t Addr(const void* ptr) { return reinterpret_cast<uintptr_t>(ptr); }
uintptr_t SentinelOf(const Tree& tree) { return Addr(&tree) | 1; }
NodeState& StateOf(TestNode* node) { return node->wavl_node_state_; }

std::string Hex(uintptr_t value) { return vmpl::wavl_check_internal::Hex(value); }

std::vector<vmpl::WavlProblem> Check(const Tree& tree) {
  return vmpl::CheckWavlTree(tree, size_t{1} << 22);
}

#define EXPECT_VALID(tree)                                                 \
  do {                                                                     \
    auto problems_ = Check(tree);                                          \
    EXPECT_TRUE(problems_.empty()) << vmpl::FormatWavlProblems(problems_); \
  } while (0)

// True if some problem is about `address` or mentions it.
bool Names(const std::vector<vmpl::WavlProblem>& problems, uintptr_t address) {
  const std::string hex = Hex(address);
  return std::any_of(problems.begin(), problems.end(), [&](const vmpl::WavlProblem& problem) {
    return problem.address == address || problem.what.find(hex) != std::string::npos;
  });
}

std::vector<uint64_t> Keys(const Tree& tree) {
  std::vector<uint64_t> keys;
  for (const TestNode& node : tree) {
    keys.push_back(node.GetKey());
  }
  return keys;
}

// Number of nodes on the longest root-to-leaf path.
size_t Height(const Tree& tree) {
  size_t height = 0;
  std::vector<std::pair<TestNode*, size_t>> stack;
  if (tree.root_ptr() != nullptr) {
    stack.emplace_back(tree.root_ptr(), 1);
  }
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    height = std::max(height, depth);
    for (TestNode* child : {StateOf(node).left_, StateOf(node).right_}) {
      if (child != nullptr && (Addr(child) & 1) == 0) {
        stack.emplace_back(child, depth + 1);
      }
    }
  }
  return height;
}

void InsertKeys(Tree& tree, const std::vector<uint64_t>& keys) {
  for (uint64_t key : keys) {
    tree.insert(std::make_unique<TestNode>(key));
  }
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {  // [first, last)
  std::vector<uint64_t> keys(last - first);
  std::iota(keys.begin(), keys.end(), first);
  return keys;
}

// Finds a leaf (both children missing) other than the left-most and right-most nodes.
TestNode* AnyLeaf(Tree& tree) {
  for (TestNode& node : tree) {
    if (&node == tree.left_most_ptr() || &node == tree.right_most_ptr()) {
      continue;
    }
    auto missing = [](TestNode* p) { return p == nullptr || (Addr(p) & 1) != 0; };
    if (missing(StateOf(&node).left_) && missing(StateOf(&node).right_)) {
      return &node;
    }
  }
  return nullptr;
}

void ExpectSentinels(const Tree& tree) {
  const uintptr_t sentinel = SentinelOf(tree);
  EXPECT_EQ(Addr(tree.sentinel()), sentinel);
  if (tree.is_empty()) {
    EXPECT_EQ(tree.root_ptr(), nullptr);
    EXPECT_EQ(Addr(tree.left_most_ptr()), sentinel);
    EXPECT_EQ(Addr(tree.right_most_ptr()), sentinel);
    return;
  }
  EXPECT_EQ(Addr(StateOf(tree.root_ptr()).parent_), sentinel);
  EXPECT_EQ(Addr(StateOf(tree.left_most_ptr()).left_), sentinel);
  EXPECT_EQ(Addr(StateOf(tree.right_most_ptr()).right_), sentinel);
}

uint32_t Seed() { return static_cast<uint32_t>(::testing::UnitTest::GetInstance()->random_seed()); }

// ---- Layout and empty form. ----

TEST(WAVLTree, LayoutMatchesFbl) {
  TestNode node(1);
  // A link value is both the object address and its node-state address.
  EXPECT_EQ(Addr(&node.wavl_node_state_), Addr(&node));
  EXPECT_EQ(Addr(&node.wavl_node_state_.parent_), Addr(&node));
  EXPECT_EQ(Addr(&node.wavl_node_state_.rank_), Addr(&node) + 24);

  SmallMemberNode small;
  EXPECT_EQ(Addr(&small.wavl_node_state_), Addr(&small));
  EXPECT_EQ(Addr(&small.magic), Addr(&small) + 32);

  Tree tree;
  EXPECT_EQ(Addr(&tree), Addr(&tree) + Tree::root_offset());
  const auto* raw = reinterpret_cast<const uintptr_t*>(&tree);
  EXPECT_EQ(raw[0], 0u);
  EXPECT_EQ(raw[1], SentinelOf(tree));
  EXPECT_EQ(raw[2], SentinelOf(tree));
  EXPECT_EQ(raw[3], 0u);
}

TEST(WAVLTree, EmptyTreeSentinelForm) {
  Tree tree;
  EXPECT_TRUE(tree.is_empty());
  EXPECT_EQ(tree.size(), 0u);
  ExpectSentinels(tree);
  EXPECT_TRUE(tree.begin() == tree.end());
  EXPECT_FALSE(tree.begin().IsValid());
  EXPECT_FALSE(static_cast<bool>(tree.end()));
  EXPECT_FALSE(tree.find(0).IsValid());
  EXPECT_EQ(tree.pop_front(), nullptr);
  EXPECT_EQ(tree.pop_back(), nullptr);
  EXPECT_VALID(tree);
}

TEST(WAVLTree, NewNodeStateIsEmpty) {
  TestNode node(7);
  EXPECT_FALSE(node.InContainer());
  EXPECT_TRUE(node.wavl_node_state_.IsValid());
  EXPECT_EQ(node.wavl_node_state_.parent_, nullptr);
  EXPECT_EQ(node.wavl_node_state_.left_, nullptr);
  EXPECT_EQ(node.wavl_node_state_.right_, nullptr);
  EXPECT_FALSE(node.wavl_node_state_.rank_);
}

TEST(WAVLTree, SingleNodeSentinelsAndErase) {
  Tree tree;
  auto owned = std::make_unique<TestNode>(42);
  TestNode* node = owned.get();
  tree.insert(std::move(owned));
  EXPECT_EQ(owned, nullptr);
  EXPECT_TRUE(node->InContainer());
  EXPECT_TRUE(node->wavl_node_state_.IsValid());
  EXPECT_EQ(tree.root_ptr(), node);
  EXPECT_EQ(tree.left_most_ptr(), node);
  EXPECT_EQ(tree.right_most_ptr(), node);
  EXPECT_EQ(Addr(StateOf(node).parent_), SentinelOf(tree));
  EXPECT_EQ(Addr(StateOf(node).left_), SentinelOf(tree));
  EXPECT_EQ(Addr(StateOf(node).right_), SentinelOf(tree));
  EXPECT_FALSE(StateOf(node).rank_);
  EXPECT_EQ(&tree.front(), node);
  EXPECT_EQ(&tree.back(), node);
  EXPECT_VALID(tree);

  std::unique_ptr<TestNode> removed = tree.erase(*node);
  ASSERT_EQ(removed.get(), node);
  EXPECT_FALSE(node->InContainer());
  EXPECT_EQ(StateOf(node).left_, nullptr);
  EXPECT_EQ(StateOf(node).right_, nullptr);
  EXPECT_FALSE(StateOf(node).rank_);
  EXPECT_TRUE(tree.is_empty());
  ExpectSentinels(tree);
  EXPECT_VALID(tree);
}

// ---- Insert / erase in fixed orders, validated after every step. ----

void InsertThenEraseChecked(const std::vector<uint64_t>& insert_order,
                            const std::vector<uint64_t>& erase_order) {
  Tree tree;
  std::set<uint64_t> model;
  for (uint64_t key : insert_order) {
    tree.insert(std::make_unique<TestNode>(key));
    model.insert(key);
    ASSERT_EQ(tree.size(), model.size());
    auto problems = Check(tree);
    ASSERT_TRUE(problems.empty()) << "after insert " << key << "\n"
                                  << vmpl::FormatWavlProblems(problems);
  }
  EXPECT_EQ(Keys(tree), std::vector<uint64_t>(model.begin(), model.end()));
  for (uint64_t key : erase_order) {
    std::unique_ptr<TestNode> removed = tree.erase(key);
    ASSERT_NE(removed, nullptr) << key;
    EXPECT_EQ(removed->GetKey(), key);
    EXPECT_FALSE(removed->InContainer());
    model.erase(key);
    ASSERT_EQ(tree.size(), model.size());
    auto problems = Check(tree);
    ASSERT_TRUE(problems.empty()) << "after erase " << key << "\n"
                                  << vmpl::FormatWavlProblems(problems);
    ExpectSentinels(tree);
  }
  EXPECT_TRUE(tree.is_empty());
}

TEST(WAVLTree, InsertEraseAscending) {
  const auto keys = Range(0, 600);
  InsertThenEraseChecked(keys, keys);
}

TEST(WAVLTree, InsertEraseDescending) {
  auto keys = Range(0, 600);
  std::reverse(keys.begin(), keys.end());
  InsertThenEraseChecked(keys, keys);
}

TEST(WAVLTree, InsertAscendingEraseDescending) {
  auto keys = Range(0, 600);
  auto reversed = keys;
  std::reverse(reversed.begin(), reversed.end());
  InsertThenEraseChecked(keys, reversed);
}

TEST(WAVLTree, InsertEraseRandomOrder) {
  const uint32_t seed = Seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 10; ++round) {
    auto insert_order = Range(0, 300);
    std::shuffle(insert_order.begin(), insert_order.end(), rng);
    auto erase_order = insert_order;
    std::shuffle(erase_order.begin(), erase_order.end(), rng);
    InsertThenEraseChecked(insert_order, erase_order);
    if (HasFatalFailure()) {
      return;
    }
  }
}

TEST(WAVLTree, EraseTwoChildNodeKeepsOrder) {
  // 1..15 inserted in level order gives a perfect tree: every internal node has two children.
  const std::vector<uint64_t> level_order = {8, 4, 12, 2, 6, 10, 14, 1, 3, 5, 7, 9, 11, 13, 15};
  {
    Tree tree;
    InsertKeys(tree, level_order);
    ASSERT_EQ(tree.root_ptr()->GetKey(), 8u);
    // The root's successor (9) is deep in the right subtree.
    TestNode* root = tree.root_ptr();
    auto removed = tree.erase(*root);
    EXPECT_EQ(removed.get(), root);
    EXPECT_FALSE(root->InContainer());
    EXPECT_VALID(tree);
    EXPECT_EQ(Keys(tree), std::vector<uint64_t>({1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15}));
    ExpectSentinels(tree);
  }
  {
    Tree tree;
    InsertKeys(tree, level_order);
    // 14's successor is its own right child 15, which is also the right-most node.
    auto removed = tree.erase(14);
    ASSERT_NE(removed, nullptr);
    EXPECT_VALID(tree);
    EXPECT_EQ(tree.back().GetKey(), 15u);
    EXPECT_EQ(Addr(StateOf(tree.right_most_ptr()).right_), SentinelOf(tree));
    // 2's successor is its right child 3, a leaf.
    removed = tree.erase(2);
    ASSERT_NE(removed, nullptr);
    EXPECT_VALID(tree);
    EXPECT_EQ(Keys(tree), std::vector<uint64_t>({1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15}));
  }
  {
    // Erase every internal node of the perfect tree, one at a time, in every position.
    for (uint64_t victim : {8, 4, 12, 2, 6, 10, 14}) {
      Tree tree;
      InsertKeys(tree, level_order);
      auto removed = tree.erase(victim);
      ASSERT_NE(removed, nullptr);
      EXPECT_EQ(removed->GetKey(), victim);
      EXPECT_VALID(tree);
      std::vector<uint64_t> expected = Range(1, 16);
      expected.erase(std::find(expected.begin(), expected.end(), victim));
      EXPECT_EQ(Keys(tree), expected);
    }
  }
}

TEST(WAVLTree, EraseByIteratorAndObject) {
  Tree tree;
  InsertKeys(tree, Range(0, 100));
  // erase(iterator) of every other element while walking.
  for (auto it = tree.begin(); it != tree.end();) {
    auto next = std::next(it);
    if (it->GetKey() % 2 == 0) {
      auto removed = tree.erase(it);
      ASSERT_NE(removed, nullptr);
    }
    it = next;
  }
  EXPECT_EQ(tree.size(), 50u);
  EXPECT_VALID(tree);
  for (const TestNode& node : tree) {
    EXPECT_EQ(node.GetKey() % 2, 1u);
  }
  TestNode& middle = *tree.find(51);
  auto removed = tree.erase(middle);
  EXPECT_EQ(removed.get(), &middle);
  EXPECT_EQ(tree.size(), 49u);
  EXPECT_VALID(tree);
}

TEST(WAVLTree, EraseAbsentReturnsNull) {
  Tree tree;
  EXPECT_EQ(tree.erase(5), nullptr);
  EXPECT_EQ(tree.erase(tree.end()), nullptr);
  EXPECT_EQ(tree.erase(Tree::iterator()), nullptr);
  InsertKeys(tree, {1, 3, 5});
  EXPECT_EQ(tree.erase(4), nullptr);
  EXPECT_EQ(tree.erase(0), nullptr);
  EXPECT_EQ(tree.erase(6), nullptr);
  EXPECT_EQ(tree.erase(tree.end()), nullptr);
  EXPECT_EQ(tree.size(), 3u);
  EXPECT_VALID(tree);
}

TEST(WAVLTree, PopFrontAndBack) {
  Tree tree;
  InsertKeys(tree, {5, 1, 9, 3, 7});
  EXPECT_EQ(tree.pop_front()->GetKey(), 1u);
  EXPECT_EQ(tree.pop_back()->GetKey(), 9u);
  EXPECT_VALID(tree);
  EXPECT_EQ(tree.front().GetKey(), 3u);
  EXPECT_EQ(tree.back().GetKey(), 7u);
  EXPECT_EQ(Keys(tree), std::vector<uint64_t>({3, 5, 7}));
}

TEST(WAVLTree, InsertOrFind) {
  Tree tree;
  InsertKeys(tree, {10, 20, 30});
  Tree::iterator it;
  EXPECT_TRUE(tree.insert_or_find(std::make_unique<TestNode>(25), &it));
  ASSERT_TRUE(it.IsValid());
  EXPECT_EQ(it->GetKey(), 25u);
  auto duplicate = std::make_unique<TestNode>(20);
  TestNode* duplicate_raw = duplicate.get();
  EXPECT_FALSE(tree.insert_or_find(std::move(duplicate), &it));
  EXPECT_EQ(duplicate.get(), duplicate_raw);  // Still owned by the caller.
  EXPECT_FALSE(duplicate->InContainer());
  ASSERT_TRUE(it.IsValid());
  EXPECT_EQ(it->GetKey(), 20u);
  EXPECT_NE(&*it, duplicate_raw);
  EXPECT_EQ(tree.size(), 4u);
  EXPECT_VALID(tree);
}

// ---- Differential against std::set. ----

// Runs `ops` random operations with keys in [0, key_space); insert_percent of the mutating
// operations insert, the rest erase through the various erase flavours. `stream` keeps tests
// that share a run seed from drawing the same numbers.
void Differential(uint32_t stream, size_t ops, uint64_t key_space, unsigned insert_percent) {
  const uint32_t seed = Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (rerun with --gtest_random_seed=" + std::to_string(seed) + ")");
  std::mt19937_64 rng(uint64_t{seed} << 8 | stream);
  Tree tree;
  std::set<uint64_t> model;
  auto random_key = [&] { return rng() % key_space; };
  auto percent = [&] { return static_cast<unsigned>(rng() % 100); };

  for (size_t step = 0; step < ops; ++step) {
    const uint64_t key = random_key();
    const unsigned op = percent();
    if (op < insert_percent) {
      if (model.count(key) == 0) {
        tree.insert(std::make_unique<TestNode>(key));
        model.insert(key);
      } else {
        ASSERT_TRUE(tree.find(key).IsValid()) << key;
      }
    } else {
      // Erase: by key, by iterator (lower_bound), by object, or an end.
      switch (rng() % 5) {
        case 0: {
          auto removed = tree.erase(key);
          ASSERT_EQ(removed != nullptr, model.erase(key) == 1) << key;
          if (removed) {
            ASSERT_EQ(removed->GetKey(), key);
          }
          break;
        }
        case 1: {
          auto it = tree.lower_bound(key);
          auto mit = model.lower_bound(key);
          ASSERT_EQ(it.IsValid(), mit != model.end()) << key;
          auto removed = tree.erase(it);
          if (mit != model.end()) {
            ASSERT_NE(removed, nullptr);
            ASSERT_EQ(removed->GetKey(), *mit);
            model.erase(mit);
          } else {
            ASSERT_EQ(removed, nullptr);
          }
          break;
        }
        case 2: {
          auto it = tree.upper_bound(key);
          auto mit = model.upper_bound(key);
          ASSERT_EQ(it.IsValid(), mit != model.end()) << key;
          if (it.IsValid()) {
            ASSERT_EQ(it->GetKey(), *mit);
            auto removed = tree.erase(*it);
            ASSERT_NE(removed, nullptr);
            model.erase(mit);
          }
          break;
        }
        case 3: {
          auto removed = tree.pop_front();
          ASSERT_EQ(removed != nullptr, !model.empty());
          if (removed) {
            ASSERT_EQ(removed->GetKey(), *model.begin());
            model.erase(model.begin());
          }
          break;
        }
        default: {
          auto removed = tree.pop_back();
          ASSERT_EQ(removed != nullptr, !model.empty());
          if (removed) {
            ASSERT_EQ(removed->GetKey(), *model.rbegin());
            model.erase(std::prev(model.end()));
          }
          break;
        }
      }
    }
    ASSERT_EQ(tree.size(), model.size()) << "step " << step;

    // Spot-check lookups.
    const uint64_t probe = random_key();
    ASSERT_EQ(tree.find(probe).IsValid(), model.count(probe) == 1) << probe;
    if (!model.empty()) {
      ASSERT_EQ(tree.front().GetKey(), *model.begin());
      ASSERT_EQ(tree.back().GetKey(), *model.rbegin());
    }

    // Full checks are O(n): every step while small, then periodically.
    const bool small = model.size() <= 64;
    const size_t period = model.size() <= 4096 ? 997 : 4999;
    if (small || step % period == 0) {
      auto problems = Check(tree);
      ASSERT_TRUE(problems.empty()) << "step " << step << "\n"
                                    << vmpl::FormatWavlProblems(problems);
      if (small || step % (period * 8) == 0) {
        ASSERT_EQ(Keys(tree), std::vector<uint64_t>(model.begin(), model.end())) << "step " << step;
      }
    }
  }
  auto problems = Check(tree);
  EXPECT_TRUE(problems.empty()) << vmpl::FormatWavlProblems(problems);
  EXPECT_EQ(Keys(tree), std::vector<uint64_t>(model.begin(), model.end()));
  const int64_t live_before = TestNode::live();
  const size_t size = tree.size();
  tree.clear();
  EXPECT_EQ(TestNode::live(), live_before - static_cast<int64_t>(size));
}

TEST(WAVLTree, RandomDifferentialSmallKeySpace) {
  // Small key space: the tree hovers around a few dozen nodes and is checked on every step.
  Differential(1, 100000, 96, 50);
}

TEST(WAVLTree, RandomDifferentialLargeTree) {
  // Insert-heavy over a big key space: grows to tens of thousands of nodes.
  Differential(2, 100000, uint64_t{1} << 40, 70);
}

TEST(WAVLTree, RandomDifferentialMediumChurn) { Differential(3, 100000, 4096, 50); }

// ---- Iterators. ----

TEST(WAVLTree, IteratorWalksBothWays) {
  Tree tree;
  InsertKeys(tree, {50, 20, 80, 10, 30, 70, 90, 60});
  const std::vector<uint64_t> sorted = {10, 20, 30, 50, 60, 70, 80, 90};

  std::vector<uint64_t> forward;
  for (auto it = tree.begin(); it != tree.end(); ++it) {
    forward.push_back(it->GetKey());
  }
  EXPECT_EQ(forward, sorted);

  std::vector<uint64_t> backward;
  auto it = tree.end();
  for (--it; it.IsValid(); --it) {
    backward.push_back((*it).GetKey());
  }
  EXPECT_EQ(backward, std::vector<uint64_t>(sorted.rbegin(), sorted.rend()));
  // Walking off the front lands on the sentinel, which compares equal to end().
  EXPECT_FALSE(it.IsValid());
  EXPECT_TRUE(it == tree.end());

  EXPECT_EQ(std::distance(tree.begin(), tree.end()), 8);
  EXPECT_EQ(std::distance(tree.cbegin(), tree.cend()), 8);
}

TEST(WAVLTree, IteratorEnds) {
  Tree tree;
  InsertKeys(tree, {1, 2, 3});

  // end()-- is the last element; end()++ stays at end().
  auto end = tree.end();
  auto old = end--;
  EXPECT_TRUE(old == tree.end());
  ASSERT_TRUE(end.IsValid());
  EXPECT_EQ(end->GetKey(), 3u);
  auto at_end = tree.end();
  ++at_end;
  EXPECT_TRUE(at_end == tree.end());

  // Last element ++ is end().
  auto last = tree.find(3);
  auto prev_last = last++;
  EXPECT_EQ(prev_last->GetKey(), 3u);
  EXPECT_TRUE(last == tree.end());
  EXPECT_EQ(Addr(&*prev_last), Addr(tree.right_most_ptr()));

  // begin()-- is an invalid iterator holding the sentinel.
  auto begin = tree.begin();
  --begin;
  EXPECT_FALSE(begin.IsValid());
  EXPECT_FALSE(static_cast<bool>(begin));
  ++begin;  // Incrementing an invalid iterator is a no-op.
  EXPECT_FALSE(begin.IsValid());

  // A default-constructed iterator stays null.
  Tree::iterator null_it;
  EXPECT_FALSE(null_it.IsValid());
  ++null_it;
  --null_it;
  EXPECT_FALSE(null_it.IsValid());
  EXPECT_TRUE(null_it == Tree::iterator());
  EXPECT_FALSE(null_it == tree.end());

  // Empty tree: end()-- stays invalid.
  Tree empty;
  auto empty_end = empty.end();
  --empty_end;
  EXPECT_FALSE(empty_end.IsValid());
  EXPECT_TRUE(empty_end == empty.end());
}

TEST(WAVLTree, IteratorPostfixAndConversion) {
  Tree tree;
  InsertKeys(tree, {1, 2, 3});
  auto it = tree.begin();
  auto before = it++;
  EXPECT_EQ(before->GetKey(), 1u);
  EXPECT_EQ(it->GetKey(), 2u);
  Tree::const_iterator cit = it;  // iterator -> const_iterator.
  EXPECT_TRUE(cit == it);
  EXPECT_TRUE(it == cit);
  EXPECT_FALSE(cit != it);
  auto cbefore = cit--;
  EXPECT_EQ(cbefore->GetKey(), 2u);
  EXPECT_EQ(cit->GetKey(), 1u);
  Tree::const_iterator copy = cit;
  EXPECT_TRUE(copy == cit);
  it->set_key(it->GetKey());  // Mutable access through iterator.

  uint64_t sum = 0;
  for (auto& node : tree) {
    sum += node.GetKey();
  }
  const Tree& const_tree = tree;
  for (const auto& node : const_tree) {
    sum += node.GetKey();
  }
  EXPECT_EQ(sum, 12u);
}

TEST(WAVLTree, MakeIterator) {
  Tree tree;
  InsertKeys(tree, Range(0, 20));
  TestNode& node = *tree.find(7);
  auto it = tree.make_iterator(node);
  ASSERT_TRUE(it.IsValid());
  EXPECT_EQ(&*it, &node);
  ++it;
  EXPECT_EQ(it->GetKey(), 8u);
  const Tree& const_tree = tree;
  auto cit = const_tree.make_iterator(node);
  --cit;
  EXPECT_EQ(cit->GetKey(), 6u);
}

// ---- Lookups. ----

TEST(WAVLTree, BoundsAndFindEdgeCases) {
  Tree tree;
  EXPECT_TRUE(tree.lower_bound(0) == tree.end());
  EXPECT_TRUE(tree.upper_bound(0) == tree.end());
  EXPECT_TRUE(tree.find(0) == tree.end());

  InsertKeys(tree, {10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
  auto key_or_end = [&](Tree::iterator it) -> int64_t {
    return it.IsValid() ? static_cast<int64_t>(it->GetKey()) : -1;
  };
  EXPECT_EQ(key_or_end(tree.lower_bound(0)), 10);
  EXPECT_EQ(key_or_end(tree.lower_bound(5)), 10);
  EXPECT_EQ(key_or_end(tree.lower_bound(10)), 10);
  EXPECT_EQ(key_or_end(tree.lower_bound(11)), 20);
  EXPECT_EQ(key_or_end(tree.lower_bound(55)), 60);
  EXPECT_EQ(key_or_end(tree.lower_bound(100)), 100);
  EXPECT_EQ(key_or_end(tree.lower_bound(101)), -1);
  EXPECT_EQ(key_or_end(tree.lower_bound(UINT64_MAX)), -1);

  EXPECT_EQ(key_or_end(tree.upper_bound(0)), 10);
  EXPECT_EQ(key_or_end(tree.upper_bound(9)), 10);
  EXPECT_EQ(key_or_end(tree.upper_bound(10)), 20);
  EXPECT_EQ(key_or_end(tree.upper_bound(55)), 60);
  EXPECT_EQ(key_or_end(tree.upper_bound(99)), 100);
  EXPECT_EQ(key_or_end(tree.upper_bound(100)), -1);
  EXPECT_EQ(key_or_end(tree.upper_bound(UINT64_MAX)), -1);

  EXPECT_EQ(key_or_end(tree.find(10)), 10);
  EXPECT_EQ(key_or_end(tree.find(100)), 100);
  EXPECT_EQ(key_or_end(tree.find(50)), 50);
  EXPECT_EQ(key_or_end(tree.find(0)), -1);
  EXPECT_EQ(key_or_end(tree.find(55)), -1);
  EXPECT_EQ(key_or_end(tree.find(101)), -1);
  EXPECT_TRUE(tree.find(55) == tree.end());

  // Const overloads.
  const Tree& const_tree = tree;
  Tree::const_iterator cit = const_tree.lower_bound(31);
  ASSERT_TRUE(cit.IsValid());
  EXPECT_EQ(cit->GetKey(), 40u);
  EXPECT_EQ(const_tree.upper_bound(40)->GetKey(), 50u);
  EXPECT_EQ(const_tree.find(70)->GetKey(), 70u);
  EXPECT_TRUE(const_tree.find(71) == const_tree.end());

  // Extreme keys.
  InsertKeys(tree, {0, UINT64_MAX});
  EXPECT_EQ(key_or_end(tree.lower_bound(0)), 0);
  EXPECT_EQ(tree.lower_bound(UINT64_MAX)->GetKey(), UINT64_MAX);
  EXPECT_TRUE(tree.upper_bound(UINT64_MAX) == tree.end());
  EXPECT_EQ(tree.upper_bound(0)->GetKey(), 10u);
  EXPECT_VALID(tree);
}

// ---- Moves and swaps. ----

TEST(WAVLTree, MoveConstructRewritesSentinels) {
  Tree source;
  InsertKeys(source, Range(0, 50));
  auto moved = std::make_unique<Tree>(std::move(source));
  EXPECT_TRUE(source.is_empty());
  ExpectSentinels(source);
  EXPECT_VALID(source);
  EXPECT_EQ(moved->size(), 50u);
  ExpectSentinels(*moved);
  EXPECT_EQ(Addr(StateOf(moved->root_ptr()).parent_), Addr(moved.get()) | 1);
  EXPECT_EQ(Addr(StateOf(moved->left_most_ptr()).left_), Addr(moved.get()) | 1);
  EXPECT_EQ(Addr(StateOf(moved->right_most_ptr()).right_), Addr(moved.get()) | 1);
  EXPECT_VALID(*moved);
  EXPECT_EQ(Keys(*moved), Range(0, 50));
  // Iterating off the end of the moved tree reaches its end(), not the source's.
  auto it = moved->find(49);
  ++it;
  EXPECT_TRUE(it == moved->end());
  --it;
  EXPECT_EQ(it->GetKey(), 49u);

  Tree empty_source;
  Tree empty_dest(std::move(empty_source));
  ExpectSentinels(empty_dest);
  EXPECT_VALID(empty_dest);
}

TEST(WAVLTree, MoveAssignRewritesSentinels) {
  Tree source;
  InsertKeys(source, Range(100, 110));
  Tree dest;
  dest = std::move(source);
  EXPECT_TRUE(source.is_empty());
  ExpectSentinels(source);
  EXPECT_EQ(dest.size(), 10u);
  ExpectSentinels(dest);
  EXPECT_VALID(dest);
  EXPECT_VALID(source);

  // Moving back and forth, and self-move, keep everything consistent.
  source = std::move(dest);
  ExpectSentinels(source);
  EXPECT_VALID(source);
  Tree& alias = source;
  source = std::move(alias);
  EXPECT_EQ(source.size(), 10u);
  EXPECT_VALID(source);
}

TEST(WAVLTree, SwapRewritesSentinels) {
  Tree a;
  Tree b;
  InsertKeys(a, Range(0, 30));
  InsertKeys(b, Range(1000, 1005));
  a.swap(b);
  EXPECT_EQ(Keys(a), Range(1000, 1005));
  EXPECT_EQ(Keys(b), Range(0, 30));
  ExpectSentinels(a);
  ExpectSentinels(b);
  EXPECT_VALID(a);
  EXPECT_VALID(b);

  Tree empty;
  a.swap(empty);
  EXPECT_TRUE(a.is_empty());
  ExpectSentinels(a);
  ExpectSentinels(empty);
  EXPECT_VALID(a);
  EXPECT_VALID(empty);
  EXPECT_EQ(empty.size(), 5u);

  b.swap(b);
  EXPECT_VALID(b);

  std::swap(b, empty);
  EXPECT_EQ(Keys(b), Range(1000, 1005));
  EXPECT_EQ(Keys(empty), Range(0, 30));
  ExpectSentinels(b);
  ExpectSentinels(empty);
  EXPECT_VALID(b);
  EXPECT_VALID(empty);
}

// ---- Ownership. ----

TEST(WAVLTree, ClearDeletesAll) {
  const int64_t live_before = TestNode::live();
  {
    Tree tree;
    InsertKeys(tree, Range(0, 1000));
    EXPECT_EQ(TestNode::live(), live_before + 1000);
    tree.clear();
    EXPECT_EQ(TestNode::live(), live_before);
    EXPECT_TRUE(tree.is_empty());
    ExpectSentinels(tree);
    EXPECT_VALID(tree);
    // Usable after clear.
    InsertKeys(tree, Range(0, 10));
    EXPECT_VALID(tree);
    EXPECT_EQ(TestNode::live(), live_before + 10);
  }
  // The destructor clears too.
  EXPECT_EQ(TestNode::live(), live_before);
}

TEST(WAVLTree, UnmanagedPointers) {
  struct RawNode : public fbl::WAVLTreeContainable<RawNode*> {
    explicit RawNode(int k) : key(k) {}
    int GetKey() const { return key; }
    int key;
  };
  using RawTree = fbl::WAVLTree<int, RawNode*>;
  static_assert(sizeof(RawTree) == 32);

  std::vector<std::unique_ptr<RawNode>> storage;
  for (int i = 0; i < 64; ++i) {
    storage.push_back(std::make_unique<RawNode>((i * 37) % 64 - 20));
  }
  {
    RawTree tree;
    for (auto& node : storage) {
      tree.insert(node.get());
    }
    RawNode* lvalue = new RawNode(1000);
    tree.insert(lvalue);
    EXPECT_EQ(tree.size(), 65u);
    auto problems = vmpl::CheckWavlTree(tree, 1000);
    EXPECT_TRUE(problems.empty()) << vmpl::FormatWavlProblems(problems);
    EXPECT_EQ(tree.front().GetKey(), -20);
    EXPECT_EQ(tree.erase(1000), lvalue);
    delete lvalue;
    RawNode* removed = tree.erase(0);
    ASSERT_NE(removed, nullptr);
    EXPECT_FALSE(removed->InContainer());
    tree.insert(removed);
    // Destroying the tree unlinks but does not free.
  }
  for (auto& node : storage) {
    EXPECT_FALSE(node->InContainer());
  }
}

// ---- Balance. ----

TEST(WAVLTree, HeightBound) {
  const uint32_t seed = Seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  constexpr size_t kCount = size_t{1} << 16;

  auto bound = [](size_t n) {
    return static_cast<size_t>(2.0 * std::log2(static_cast<double>(n))) + 1;
  };

  Tree tree;
  std::set<uint64_t> keys;
  while (keys.size() < kCount) {
    const uint64_t key = rng();
    if (keys.insert(key).second) {
      tree.insert(std::make_unique<TestNode>(key));
    }
  }
  EXPECT_VALID(tree);
  // Insert-only WAVL trees are AVL trees: height <= 1.44 log2(n) + O(1).
  EXPECT_LE(Height(tree), static_cast<size_t>(1.45 * 16) + 2);
  EXPECT_LE(Height(tree), bound(kCount));

  // Erase three quarters at random; the bound becomes 2 log2(n).
  std::vector<uint64_t> order(keys.begin(), keys.end());
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i = 0; i < kCount * 3 / 4; ++i) {
    ASSERT_NE(tree.erase(order[i]), nullptr);
  }
  EXPECT_VALID(tree);
  EXPECT_LE(Height(tree), bound(tree.size()));

  // Sequential inserts are the classic worst case for unbalanced trees.
  Tree sequential;
  InsertKeys(sequential, Range(0, kCount));
  EXPECT_LE(Height(sequential), bound(kCount));
  EXPECT_VALID(sequential);
}

// ---- The validator catches corruption. ----

class WAVLTreeCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    // A fixed shape: these tests are about the checker, not about the tree's balancing.
    std::mt19937_64 rng(20240601);
    auto keys = Range(0, 64);
    std::shuffle(keys.begin(), keys.end(), rng);
    for (uint64_t& key : keys) {
      key *= 10;
    }
    InsertKeys(tree_, keys);
    auto problems = Check(tree_);
    ASSERT_TRUE(problems.empty()) << vmpl::FormatWavlProblems(problems);
  }

  void TearDown() override {
    // Every test restores what it broke before the tree is destroyed.
    auto problems = Check(tree_);
    EXPECT_TRUE(problems.empty()) << vmpl::FormatWavlProblems(problems);
  }

  size_t& RawCount() {
    return *reinterpret_cast<size_t*>(reinterpret_cast<char*>(&tree_) + Tree::count_offset());
  }
  TestNode*& RawField(size_t offset) {
    return *reinterpret_cast<TestNode**>(reinterpret_cast<char*>(&tree_) + offset);
  }

  Tree tree_;
};

TEST_F(WAVLTreeCheck, CatchesParentLink) {
  // A leaf of a 64-node tree is at least two levels below the root, so pointing its parent at
  // the root is wrong.
  TestNode* victim = AnyLeaf(tree_);
  ASSERT_NE(victim, nullptr);
  TestNode* saved = StateOf(victim).parent_;
  ASSERT_NE(saved, tree_.root_ptr());
  StateOf(victim).parent_ = tree_.root_ptr();
  auto problems = Check(tree_);
  StateOf(victim).parent_ = saved;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(victim))) << vmpl::FormatWavlProblems(problems);
  EXPECT_NE(problems.front().what.find("has parent " + Hex(Addr(tree_.root_ptr()))),
            std::string::npos)
      << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesRootParent) {
  TestNode* root = tree_.root_ptr();
  TestNode* saved = StateOf(root).parent_;
  StateOf(root).parent_ = nullptr;
  auto problems = Check(tree_);
  StateOf(root).parent_ = saved;
  EXPECT_TRUE(Names(problems, Addr(root))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesLeafRankParity) {
  TestNode* leaf = AnyLeaf(tree_);
  ASSERT_NE(leaf, nullptr);
  StateOf(leaf).rank_ = !StateOf(leaf).rank_;
  auto problems = Check(tree_);
  StateOf(leaf).rank_ = !StateOf(leaf).rank_;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(leaf))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesInconsistentRank) {
  // A unary node must have rank 1 (parity 1); with parity 0 the two sides disagree.
  Tree small;
  InsertKeys(small, {1, 2});
  TestNode* unary = small.find(1).operator->();
  ASSERT_TRUE(StateOf(unary).rank_);
  StateOf(unary).rank_ = false;
  auto problems = Check(small);
  StateOf(unary).rank_ = true;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(unary))) << vmpl::FormatWavlProblems(problems);
  EXPECT_VALID(small);
}

TEST_F(WAVLTreeCheck, CatchesCount) {
  RawCount() += 1;
  auto problems = Check(tree_);
  RawCount() -= 1;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(&tree_))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesKeyOrder) {
  TestNode* victim = tree_.find(200).operator->();
  victim->set_key(215);  // Past its successor 210.
  auto problems = Check(tree_);
  victim->set_key(200);
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(victim))) << vmpl::FormatWavlProblems(problems);

  // Equal keys are not allowed either.
  victim->set_key(210);
  problems = Check(tree_);
  victim->set_key(200);
  EXPECT_TRUE(Names(problems, Addr(victim))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesMissingSentinel) {
  TestNode* right_most = tree_.right_most_ptr();
  TestNode* saved = StateOf(right_most).right_;
  StateOf(right_most).right_ = nullptr;
  auto problems = Check(tree_);
  StateOf(right_most).right_ = saved;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(right_most))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesStaleSentinel) {
  // As if the tree had been moved without rewriting the sentinels.
  TestNode* left_most = tree_.left_most_ptr();
  TestNode* saved = StateOf(left_most).left_;
  Tree other;
  StateOf(left_most).left_ = other.sentinel();
  auto problems = Check(tree_);
  StateOf(left_most).left_ = saved;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(left_most))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesMisplacedSentinel) {
  TestNode* leaf = nullptr;
  for (TestNode& node : tree_) {
    if (&node != tree_.left_most_ptr() && StateOf(&node).left_ == nullptr) {
      leaf = &node;
      break;
    }
  }
  ASSERT_NE(leaf, nullptr);
  StateOf(leaf).left_ = tree_.sentinel();
  auto problems = Check(tree_);
  StateOf(leaf).left_ = nullptr;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(leaf))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesExtremePointers) {
  const size_t offset = Tree::left_most_offset();
  TestNode* saved = RawField(offset);
  RawField(offset) = tree_.root_ptr();
  auto problems = Check(tree_);
  RawField(offset) = saved;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(&tree_))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, CatchesCycleWithoutHanging) {
  TestNode* leaf = AnyLeaf(tree_);
  ASSERT_NE(leaf, nullptr);
  ASSERT_NE(leaf, tree_.left_most_ptr());
  TestNode* saved = StateOf(leaf).left_;
  StateOf(leaf).left_ = tree_.root_ptr();
  auto problems = Check(tree_);
  StateOf(leaf).left_ = saved;
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(leaf))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, ReportsEveryProblem) {
  // Two independent faults: both are reported.
  TestNode* leaf = AnyLeaf(tree_);
  ASSERT_NE(leaf, nullptr);
  StateOf(leaf).rank_ = !StateOf(leaf).rank_;
  RawCount() += 5;
  auto problems = Check(tree_);
  RawCount() -= 5;
  StateOf(leaf).rank_ = !StateOf(leaf).rank_;
  EXPECT_GE(problems.size(), 2u);
  EXPECT_TRUE(Names(problems, Addr(leaf))) << vmpl::FormatWavlProblems(problems);
  EXPECT_TRUE(Names(problems, Addr(&tree_))) << vmpl::FormatWavlProblems(problems);
}

TEST_F(WAVLTreeCheck, StopsAtMaxNodes) {
  auto problems = vmpl::CheckWavlTree(tree_, 10);
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Names(problems, Addr(&tree_))) << vmpl::FormatWavlProblems(problems);
}

TEST(WAVLTreeCheckEmpty, CatchesEmptyTreeForm) {
  Tree tree;
  auto* fields = reinterpret_cast<uintptr_t*>(&tree);
  const uintptr_t saved_right_most = fields[2];
  fields[2] = 0;  // right_most_ should be the sentinel.
  fields[3] = 3;  // count_ should be 0.
  auto problems = Check(tree);
  fields[2] = saved_right_most;
  fields[3] = 0;
  EXPECT_EQ(problems.size(), 2u) << vmpl::FormatWavlProblems(problems);
  EXPECT_TRUE(Names(problems, Addr(&tree)));
  EXPECT_VALID(tree);
}

// ---- Debug assertions. ----

#if VMPL_DEBUG_ASSERTS
TEST(WAVLTreeDeathTest, DuplicateKeyAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tree tree;
  InsertKeys(tree, {1, 2, 3});
  EXPECT_DEATH(tree.insert(std::make_unique<TestNode>(2)), "ASSERT FAILED");
}

TEST(WAVLTreeDeathTest, FrontOfEmptyAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tree tree;
  EXPECT_DEATH(tree.front(), "ASSERT FAILED");
}

TEST(WAVLTreeDeathTest, MoveAssignToNonEmptyAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tree a;
  Tree b;
  InsertKeys(a, {1});
  InsertKeys(b, {2});
  EXPECT_DEATH(a = std::move(b), "ASSERT FAILED");
}

TEST(WAVLTreeDeathTest, EraseForeignObjectAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tree a;
  Tree b;
  InsertKeys(a, {1});
  InsertKeys(b, {2});
  EXPECT_DEATH(a.erase(b.front()), "ASSERT FAILED");
}
#endif  // VMPL_DEBUG_ASSERTS

}  // namespace
