// vmpl::CheckWavlTree: a full structural audit of an fbl::WAVLTree.
//
// What it is
//   A header-only validator that reads a tree's raw fields (root_ptr(), left_most_ptr(),
//   right_most_ptr(), size(), sentinel()) and each node's public WAVLTreeNodeState, and reports
//   every inconsistency it can find rather than stopping at the first one. It never modifies
//   the tree.
//
// Robustness
//   It is meant for trees that may be corrupt, so it only dereferences pointers reached by
//   following child links down from root_, and only if they are non-null, untagged, aligned for
//   the element type, not already visited (which breaks cycles and shared subtrees), and within
//   max_nodes. Parent links, left_most_ and right_most_ are compared, never followed. A pointer
//   into unmapped memory can of course still fault; nothing portable can prevent that.
//
// Checks
//   - sentinels: empty-tree form; root->parent_, left-most->left_ and right-most->right_ equal
//     the sentinel (this tree's address | 1); no other link holds it or any other tagged value;
//   - parent links: each followed child's parent_ points back;
//   - keys strictly increase in order; count_ equals the number of reachable nodes;
//   - left_most_ / right_most_ are the minimum / maximum nodes;
//   - WAVL ranks, rebuilt bottom-up from the parities (missing child: rank -1): the rank implied
//     through the left child must equal the one implied through the right child, and every leaf
//     has rank 0. Parity alone already limits rank differences to 1 or 2.
//
// Each problem names the address it is about (a node, or the tree for tree-level fields) and
// says which relation is broken, e.g. "node 0x1000 : left child 0x2000 has parent 0x3000".

#ifndef VMPL_WAVL_CHECK_H_
#define VMPL_WAVL_CHECK_H_

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace vmpl {

struct WavlProblem {
  uintptr_t address;  // The node, or for tree-level problems the tree, that the problem is about.
  std::string what;
};

namespace wavl_check_internal {

inline std::string Hex(uintptr_t value) {
  char buf[24];
  snprintf(buf, sizeof(buf), "0x%" PRIxPTR, value);
  return buf;
}

template <typename Key>
std::string KeyString(const Key& key) {
  if constexpr (std::is_integral_v<Key> && std::is_unsigned_v<Key>) {
    char buf[24];
    snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(key));
    return buf;
  } else if constexpr (std::is_integral_v<Key>) {
    return std::to_string(key);
  } else {
    return "(key)";
  }
}

}  // namespace wavl_check_internal

// Returns every problem found in `tree`; empty means the tree is a valid WAVL tree. Visits at
// most `max_nodes` nodes (exceeding it is itself reported).
template <typename Tree>
std::vector<WavlProblem> CheckWavlTree(const Tree& tree, size_t max_nodes) {
  using RawPtr = typename Tree::RawPtrType;
  using Value = typename Tree::ValueType;
  using NodeTraits = typename Tree::NodeTraits;
  using KeyTraits = typename Tree::KeyTraits;
  using wavl_check_internal::Hex;
  using wavl_check_internal::KeyString;

  std::vector<WavlProblem> problems;
  auto report = [&problems](uintptr_t address, std::string what) {
    problems.push_back(WavlProblem{address, std::move(what)});
  };

  const uintptr_t tree_addr = reinterpret_cast<uintptr_t>(&tree);
  auto tree_name = [tree_addr] { return "tree " + Hex(tree_addr) + " : "; };
  const uintptr_t sentinel = reinterpret_cast<uintptr_t>(tree.sentinel());
  const uintptr_t expected_sentinel = tree_addr | Tree::kContainerSentinelBit;
  if (sentinel != expected_sentinel) {
    report(tree_addr,
           tree_name() + "sentinel() is " + Hex(sentinel) + ", expected " + Hex(expected_sentinel));
  }
  const uintptr_t root = reinterpret_cast<uintptr_t>(tree.root_ptr());
  const uintptr_t left_most = reinterpret_cast<uintptr_t>(tree.left_most_ptr());
  const uintptr_t right_most = reinterpret_cast<uintptr_t>(tree.right_most_ptr());
  const size_t count = tree.size();

  // Names a link value for messages.
  auto describe = [&](uintptr_t value) -> std::string {
    if (value == 0) {
      return "nullptr";
    }
    if (value == expected_sentinel) {
      return "the sentinel " + Hex(value);
    }
    if (value & Tree::kContainerSentinelBit) {
      return Hex(value) + " (a foreign or stale sentinel)";
    }
    return Hex(value);
  };
  auto is_followable = [](uintptr_t value) {
    return value != 0 && (value & Tree::kContainerSentinelBit) == 0 && value % alignof(Value) == 0;
  };
  auto state_of = [](uintptr_t node) -> const auto& {
    return NodeTraits::node_state(*reinterpret_cast<const Value*>(node));
  };

  if (root == 0) {
    if (left_most != expected_sentinel) {
      report(tree_addr, tree_name() + "empty tree's left_most_ is " + describe(left_most) +
                            ", expected the sentinel " + Hex(expected_sentinel));
    }
    if (right_most != expected_sentinel) {
      report(tree_addr, tree_name() + "empty tree's right_most_ is " + describe(right_most) +
                            ", expected the sentinel " + Hex(expected_sentinel));
    }
    if (count != 0) {
      report(tree_addr, tree_name() + "root_ is nullptr but count_ is " + std::to_string(count));
    }
    return problems;
  }
  if (!is_followable(root)) {
    report(tree_addr, tree_name() + "root_ " + describe(root) + " is not a node pointer");
    return problems;
  }
  {
    const uintptr_t parent = reinterpret_cast<uintptr_t>(state_of(root).parent_);
    if (parent != expected_sentinel) {
      report(root, "node " + Hex(root) + " : root has parent " + describe(parent) +
                       ", expected the sentinel " + Hex(expected_sentinel));
    }
  }

  // Discover the reachable nodes (pre-order), following only links that are safe to follow.
  constexpr ptrdiff_t kMissing = -1;  // nullptr or our sentinel.
  constexpr ptrdiff_t kBroken = -2;   // A link we refused to follow.
  struct Info {
    uintptr_t node;
    ptrdiff_t child[2];     // Index of the left / right child, or kMissing / kBroken.
    bool sentinel_link[2];  // left_ / right_ holds our sentinel.
  };
  std::vector<Info> nodes;
  std::unordered_map<uintptr_t, size_t> index_of;
  // count_ may be corrupt: it is only a sizing hint, capped so that a wild value cannot make
  // the checker itself allocate without bound (the vectors still grow as nodes are found).
  constexpr size_t kMaxReserve = size_t{1} << 16;
  const size_t expected_nodes = std::min({count, max_nodes, kMaxReserve}) + 1;
  nodes.reserve(expected_nodes);
  index_of.reserve(expected_nodes);
  bool truncated = false;
  nodes.push_back(Info{root, {kMissing, kMissing}, {false, false}});
  index_of.emplace(root, 0);
  std::vector<size_t> stack{0};
  while (!stack.empty()) {
    const size_t i = stack.back();
    stack.pop_back();
    const uintptr_t node = nodes[i].node;
    const auto& state = state_of(node);
    const RawPtr links[2] = {state.left_, state.right_};
    for (int side = 0; side < 2; ++side) {
      const char* side_name = side == 0 ? "left" : "right";
      const uintptr_t child = reinterpret_cast<uintptr_t>(links[side]);
      ptrdiff_t result = kMissing;
      if (child == 0) {
        result = kMissing;
      } else if (child == expected_sentinel) {
        nodes[i].sentinel_link[side] = true;
      } else if (!is_followable(child)) {
        report(node, "node " + Hex(node) + " : " + side_name + " link " + describe(child) +
                         " is not a node pointer");
        result = kBroken;
      } else if (index_of.count(child) != 0) {
        report(node, "node " + Hex(node) + " : " + side_name + " child " + Hex(child) +
                         " was already reached by another path (cycle or shared node)");
        result = kBroken;
      } else if (nodes.size() >= max_nodes) {
        if (!truncated) {
          report(tree_addr, tree_name() + "more than max_nodes (" + std::to_string(max_nodes) +
                                ") nodes are reachable; stopped following links");
          truncated = true;
        }
        result = kBroken;
      } else {
        const uintptr_t back = reinterpret_cast<uintptr_t>(state_of(child).parent_);
        if (back != node) {
          report(child, "node " + Hex(node) + " : " + side_name + " child " + Hex(child) +
                            " has parent " + describe(back));
        }
        result = static_cast<ptrdiff_t>(nodes.size());
        index_of.emplace(child, nodes.size());
        nodes.push_back(Info{child, {kMissing, kMissing}, {false, false}});
        stack.push_back(nodes.size() - 1);
      }
      nodes[i].child[side] = result;
    }
  }

  // In-order sequence over the discovered (acyclic by construction) shape.
  std::vector<size_t> in_order;
  in_order.reserve(nodes.size());
  {
    std::vector<size_t> path;
    ptrdiff_t cur = 0;
    while (cur >= 0 || !path.empty()) {
      while (cur >= 0) {
        path.push_back(static_cast<size_t>(cur));
        cur = nodes[static_cast<size_t>(cur)].child[0];
      }
      const size_t i = path.back();
      path.pop_back();
      in_order.push_back(i);
      cur = nodes[i].child[1];
    }
  }

  // Keys strictly increase.
  for (size_t k = 1; k < in_order.size(); ++k) {
    const Value& prev = *reinterpret_cast<const Value*>(nodes[in_order[k - 1]].node);
    const Value& cur = *reinterpret_cast<const Value*>(nodes[in_order[k]].node);
    const auto prev_key = KeyTraits::GetKey(prev);
    const auto cur_key = KeyTraits::GetKey(cur);
    if (!KeyTraits::LessThan(prev_key, cur_key)) {
      const uintptr_t node = nodes[in_order[k]].node;
      report(node, "node " + Hex(node) + " : key " + KeyString(cur_key) +
                       " is not greater than key " + KeyString(prev_key) +
                       " of its in-order predecessor " + Hex(nodes[in_order[k - 1]].node));
    }
  }

  // Extremes and sentinel placement.
  const uintptr_t first = nodes[in_order.front()].node;
  const uintptr_t last = nodes[in_order.back()].node;
  if (left_most != first) {
    report(tree_addr, tree_name() + "left_most_ is " + describe(left_most) +
                          " but the minimum node is " + Hex(first));
  }
  if (right_most != last) {
    report(tree_addr, tree_name() + "right_most_ is " + describe(right_most) +
                          " but the maximum node is " + Hex(last));
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    const uintptr_t node = nodes[i].node;
    for (int side = 0; side < 2; ++side) {
      const char* link_name = side == 0 ? "left_" : "right_";
      const uintptr_t extreme = side == 0 ? first : last;
      const char* extreme_name = side == 0 ? "left-most" : "right-most";
      if (node == extreme) {
        if (!nodes[i].sentinel_link[side] && nodes[i].child[side] == kMissing) {
          report(node, "node " + Hex(node) + " : " + extreme_name + " node's " + link_name +
                           " is nullptr, expected the sentinel " + Hex(expected_sentinel));
        }
      } else if (nodes[i].sentinel_link[side]) {
        report(node, "node " + Hex(node) + " : " + link_name + " holds the sentinel but the " +
                         extreme_name + " node is " + Hex(extreme));
      }
    }
  }

  // Count.
  if (!truncated ? count != nodes.size() : count < nodes.size()) {
    report(tree_addr, tree_name() + "count_ is " + std::to_string(count) + " but " +
                          std::to_string(nodes.size()) + (truncated ? "+" : "") +
                          " nodes are reachable from root_");
  }

  // Ranks, bottom-up. Discovery order puts parents before children, so walk it backwards. A
  // node below a broken link or an inconsistent node gets no rank, so one fault is reported
  // once rather than at every ancestor.
  std::vector<std::optional<int64_t>> rank(nodes.size());
  for (size_t i = nodes.size(); i-- > 0;) {
    const uintptr_t node = nodes[i].node;
    const bool parity = state_of(node).rank_;
    std::optional<int64_t> via[2];
    bool known = true;
    for (int side = 0; side < 2; ++side) {
      const ptrdiff_t c = nodes[i].child[side];
      if (c == kBroken || (c >= 0 && !rank[static_cast<size_t>(c)].has_value())) {
        known = false;
        break;
      }
      const int64_t child_rank = c == kMissing ? -1 : *rank[static_cast<size_t>(c)];
      // A missing child has rank -1, so parity "odd".
      const bool child_parity = c == kMissing || state_of(nodes[static_cast<size_t>(c)].node).rank_;
      via[side] = child_rank + (parity != child_parity ? 1 : 2);
    }
    if (!known) {
      continue;
    }
    const bool leaf = nodes[i].child[0] == kMissing && nodes[i].child[1] == kMissing;
    if (leaf) {
      if (*via[0] != 0) {
        report(node, "node " + Hex(node) + " : leaf has rank " + std::to_string(*via[0]) +
                         " (parity " + (parity ? "1" : "0") + "), leaves must have rank 0");
        continue;
      }
    } else if (*via[0] != *via[1]) {
      report(node, "node " + Hex(node) + " : rank parity " + (parity ? "1" : "0") + " gives rank " +
                       std::to_string(*via[0]) + " through the left child " +
                       describe(reinterpret_cast<uintptr_t>(state_of(node).left_)) + " but " +
                       std::to_string(*via[1]) + " through the right child " +
                       describe(reinterpret_cast<uintptr_t>(state_of(node).right_)) +
                       " (rank differences must be 1 or 2)");
      continue;
    }
    rank[i] = via[0];
  }

  return problems;
}

// One problem per line, for test failure messages and logs.
inline std::string FormatWavlProblems(const std::vector<WavlProblem>& problems) {
  std::string out;
  for (const WavlProblem& problem : problems) {
    out += problem.what;
    out += '\n';
  }
  return out;
}

}  // namespace vmpl

#endif  // VMPL_WAVL_CHECK_H_
