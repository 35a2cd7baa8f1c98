// A target built with another layout (alt_vm_page_list.h): it fills a page list and a splice
// list in its own memory the way a kernel would leave them, prints what it holds as one line of
// JSON — where its compiler put every field, and every list's address, skew and nodes — and
// waits until its stdin closes, so that a reader can look at it. The layout test reads it with
// the layout `vmpl layout` extracted from the header, and compares.

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "alt_vm_page_list.h"

namespace {

using Node = VmPageListNode;
using Tree = fbl::WAVLTree<uint64_t, Node>;
constexpr uint64_t kSpan = Node::kPageFanOut * PAGE_SIZE;

// The lowest bit |set| turns on in a zeroed vm_page_t (offsetof cannot name a bit-field).
template <typename Setter>
uint64_t FirstBitSet(Setter set) {
  vm_page_t page;
  memset(&page, 0, sizeof(page));
  set(page);
  const auto* bytes = reinterpret_cast<const uint8_t*>(&page);
  for (size_t i = 0; i < sizeof(page); i++) {
    if (bytes[i] != 0) {
      return i * 8 + static_cast<uint64_t>(__builtin_ctz(bytes[i]));
    }
  }
  return 0;
}

// What this program's compiler did, in the layout file's terms.
nlohmann::ordered_json CompilerLayout() {
  return {
      {"pointer_size", sizeof(void*)},
      {"node",
       {{"size", sizeof(Node)},
        {"parent", offsetof(Node, wavl_node_state_.parent_)},
        {"left", offsetof(Node, wavl_node_state_.left_)},
        {"right", offsetof(Node, wavl_node_state_.right_)},
        {"rank", offsetof(Node, wavl_node_state_.rank_)},
        {"rank_size", sizeof(Node::wavl_node_state_.rank_)},
        {"canary", offsetof(Node, canary_)},
        {"key", offsetof(Node, obj_offset_)},
        {"slots", offsetof(Node, pages_)}}},
      {"tree",
       {{"size", sizeof(Tree)}, {"root", offsetof(Tree, root_)}, {"count", offsetof(Tree, count_)}}},
      {"list",
       {{"size", sizeof(VmPageList)},
        {"tree", offsetof(VmPageList, list_)},
        {"skew", offsetof(VmPageList, list_skew_)}}},
      {"splice_list",
       {{"size", sizeof(VmPageSpliceList)},
        {"offset", offsetof(VmPageSpliceList, offset_)},
        {"length", offsetof(VmPageSpliceList, length_)},
        {"position", offsetof(VmPageSpliceList, pos_)},
        {"skew", offsetof(VmPageSpliceList, list_skew_)},
        {"finalized", offsetof(VmPageSpliceList, finalized_)},
        {"head", offsetof(VmPageSpliceList, head_)},
        {"middle", offsetof(VmPageSpliceList, middle_)},
        {"tail", offsetof(VmPageSpliceList, tail_)}}},
      {"page",
       {{"size", sizeof(vm_page_t)},
        {"left_split_bit", FirstBitSet([](vm_page_t& p) { p.object.cow_left_split = 1; })},
        {"right_split_bit", FirstBitSet([](vm_page_t& p) { p.object.cow_right_split = 1; })},
        {"dirty_state_bit", FirstBitSet([](vm_page_t& p) { p.object.dirty_state = 3; })}}},
  };
}

// Links |nodes| (sorted by key) into |tree| as a balanced binary search tree, with the root's
// parent and the extremes' outer links pointing at the tree's sentinel, as fbl does.
Node* Link(std::vector<Node*>& nodes, size_t lo, size_t hi, Node* parent) {
  if (lo >= hi) {
    return nullptr;
  }
  const size_t mid = lo + (hi - lo) / 2;
  Node* node = nodes[mid];
  node->wavl_node_state_.parent_ = parent;
  node->wavl_node_state_.rank_ = static_cast<uint32_t>(hi - lo);
  node->wavl_node_state_.left_ = Link(nodes, lo, mid, node);
  node->wavl_node_state_.right_ = Link(nodes, mid + 1, hi, node);
  return node;
}

void LinkTree(Tree& tree, std::vector<Node*>& nodes) {
  Node* sentinel = reinterpret_cast<Node*>(reinterpret_cast<uintptr_t>(&tree) | 1);
  tree.count_ = nodes.size();
  tree.modifications_ = nodes.size() * 3;
  tree.root_ = Link(nodes, 0, nodes.size(), sentinel);
  tree.left_most_ = nodes.empty() ? sentinel : nodes.front();
  tree.right_most_ = nodes.empty() ? sentinel : nodes.back();
  if (!nodes.empty()) {
    nodes.front()->wavl_node_state_.left_ = sentinel;
    nodes.back()->wavl_node_state_.right_ = sentinel;
  }
}

// Pages, a marker and a reference in a pattern that depends on the node's key; slots before the
// list's skew stay empty, as they are in a real list (they lie before its offset 0).
void Fill(Node& node, uint64_t skew, vm_page_t* pages, size_t* next_page) {
  for (size_t i = 0; i < Node::kPageFanOut; i++) {
    if (node.obj_offset_ + i * PAGE_SIZE < skew) {
      continue;
    }
    const uint64_t pick = (node.obj_offset_ / PAGE_SIZE + i) % 7;
    if (pick < 3) {
      node.pages_[i].raw_ = reinterpret_cast<uint64_t>(&pages[(*next_page)++ % 64]);
    } else if (pick == 4) {
      node.pages_[i].raw_ = 1;  // marker
    } else if (pick == 5) {
      node.pages_[i].raw_ = (uint64_t{0x1230} << 4) | 2;  // reference, no split bits
    }
  }
}

nlohmann::ordered_json NodeJson(const Node& node) {
  nlohmann::ordered_json slots = nlohmann::ordered_json::array();
  for (const VmPageOrMarker& slot : node.pages_) {
    slots.push_back(slot.raw_);
  }
  return {{"address", reinterpret_cast<uintptr_t>(&node)},
          {"key", node.obj_offset_},
          {"slots", std::move(slots)}};
}

nlohmann::ordered_json TreeJson(std::vector<Node*>& nodes) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (Node* node : nodes) {
    out.push_back(NodeJson(*node));
  }
  return out;
}

}  // namespace

int main() {
  static vm_page_t pages[64];
  size_t next_page = 0;

  // A page list with gaps between its nodes and a skew.
  auto list = std::make_unique<VmPageList>();
  list->list_skew_ = 3 * PAGE_SIZE;
  list->flags_ = 0xf1a9;
  std::vector<std::unique_ptr<Node>> owned;
  std::vector<Node*> list_nodes;
  for (uint64_t index : {0, 1, 2, 5, 6, 9, 10, 11, 12, 40, 41, 1000, 1001, 70000}) {
    owned.push_back(std::make_unique<Node>());
    Node* node = owned.back().get();
    node->obj_offset_ = index * kSpan;
    node->generation_ = static_cast<uint32_t>(index);
    Fill(*node, list->list_skew_, pages, &next_page);
    list_nodes.push_back(node);
  }
  LinkTree(list->list_, list_nodes);

  // A splice list taken from [offset, offset + length), partly processed.
  auto splice = std::make_unique<VmPageSpliceList>();
  splice->offset_ = 5 * PAGE_SIZE;
  splice->length_ = 100 * kSpan;
  splice->list_skew_ = 5 * PAGE_SIZE;
  splice->pos_ = 7 * PAGE_SIZE;
  splice->finalized_ = true;
  splice->head_.obj_offset_ = 0;
  Fill(splice->head_, splice->list_skew_, pages, &next_page);
  splice->tail_.obj_offset_ = 100 * kSpan;
  Fill(splice->tail_, splice->list_skew_, pages, &next_page);
  std::vector<Node*> middle_nodes;
  for (uint64_t index : {1, 2, 3, 50, 99}) {
    owned.push_back(std::make_unique<Node>());
    Node* node = owned.back().get();
    node->obj_offset_ = index * kSpan;
    Fill(*node, splice->list_skew_, pages, &next_page);
    middle_nodes.push_back(node);
  }
  LinkTree(splice->middle_, middle_nodes);

  nlohmann::ordered_json out;
  out["pid"] = getpid();
  out["layout"] = CompilerLayout();
  out["list"] = {{"address", reinterpret_cast<uintptr_t>(list.get())},
                 {"skew", list->list_skew_},
                 {"nodes", TreeJson(list_nodes)}};
  out["splice"] = {{"address", reinterpret_cast<uintptr_t>(splice.get())},
                   {"offset", splice->offset_},
                   {"length", splice->length_},
                   {"position", splice->pos_},
                   {"skew", splice->list_skew_},
                   {"finalized", splice->finalized_},
                   {"head", NodeJson(splice->head_)},
                   {"tail", NodeJson(splice->tail_)},
                   {"nodes", TreeJson(middle_nodes)}};
  printf("%s\n", out.dump().c_str());
  fflush(stdout);

  char byte;
  while (read(STDIN_FILENO, &byte, 1) > 0) {
  }
  return 0;
}
