// See memory_image.h.

#include "memory_image.h"

#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <stdexcept>

namespace vmpl::testing {
namespace {

// fbl's layouts (core/include/fbl/intrusive_wavl_tree.h), which DecodeLayout does not describe
// because the decoder never reads these fields: the tree header is root_, left_most_,
// right_most_, count_; a node's link state is parent_, left_, right_, then the rank parity.
constexpr uint64_t kLeftMostSlot = 1;
constexpr uint64_t kRightMostSlot = 2;
constexpr uint64_t kRankSlot = 3;

constexpr size_t kAlignment = 64;

}  // namespace

MemoryImage::MemoryImage(uint64_t base, const inspect::DecodeLayout& layout)
    : base_(base), layout_(layout) {}

uint64_t MemoryImage::Allocate(size_t size) {
  const size_t offset = (bytes_.size() + kAlignment - 1) / kAlignment * kAlignment;
  bytes_.resize(offset + size, 0);
  return base_ + offset;
}

uint8_t* MemoryImage::At(uint64_t address, size_t size) {
  if (address < base_ || address - base_ > bytes_.size() ||
      size > bytes_.size() - (address - base_)) {
    throw std::out_of_range("MemoryImage: write outside the image");
  }
  return bytes_.data() + (address - base_);
}

void MemoryImage::Write64(uint64_t address, uint64_t value) { memcpy(At(address, 8), &value, 8); }

void MemoryImage::Write32(uint64_t address, uint32_t value) { memcpy(At(address, 4), &value, 4); }

uint64_t MemoryImage::Link(const std::vector<uint64_t>& nodes, size_t first, size_t last,
                           uint64_t parent, uint64_t sentinel, int* height) {
  if (first == last) {
    *height = -1;
    return 0;
  }
  const size_t middle = first + (last - first) / 2;
  const uint64_t node = nodes[middle];
  int left_height, right_height;
  uint64_t left = Link(nodes, first, middle, node, sentinel, &left_height);
  uint64_t right = Link(nodes, middle + 1, last, node, sentinel, &right_height);
  // The first node's missing left child and the last node's missing right child are the
  // sentinel; any other missing child is null.
  if (left == 0 && middle == 0) left = sentinel;
  if (right == 0 && middle + 1 == nodes.size()) right = sentinel;
  Write64(node + layout_.node_parent_offset, parent);
  Write64(node + layout_.node_left_offset, left);
  Write64(node + layout_.node_right_offset, right);
  *height = std::max(left_height, right_height) + 1;
  *At(node + kRankSlot * layout_.pointer_size, 1) = static_cast<uint8_t>(*height & 1);
  return node;
}

MemoryImage::PlacedList MemoryImage::AddPageList(const vmpl::SnapshotList& decoded) {
  PlacedList placed;
  placed.address = Allocate(layout_.list_size);
  memcpy(At(placed.address, layout_.list_size), reinterpret_cast<const void*>(decoded.address),
         layout_.list_size);
  const size_t count = decoded.nodes.size();
  placed.nodes.resize(count);
  for (size_t i = count; i-- > 0;) {
    placed.nodes[i] = Allocate(layout_.node_size);
    memcpy(At(placed.nodes[i], layout_.node_size),
           reinterpret_cast<const void*>(decoded.nodes[i].address), layout_.node_size);
  }
  const uint64_t tree = placed.address + layout_.list_tree_offset;
  const uint64_t sentinel = tree | 1;
  int height;
  const uint64_t root = Link(placed.nodes, 0, count, sentinel, sentinel, &height);
  Write64(tree + layout_.tree_root_offset, root);
  Write64(tree + layout_.tree_root_offset + kLeftMostSlot * layout_.pointer_size,
          count == 0 ? sentinel : placed.nodes.front());
  Write64(tree + layout_.tree_root_offset + kRightMostSlot * layout_.pointer_size,
          count == 0 ? sentinel : placed.nodes.back());
  Write64(tree + layout_.tree_count_offset, count);
  return placed;
}

bool MemoryImage::WriteFile(const std::string& path) const {
  FILE* file = fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return false;
  }
  const bool written = fwrite(bytes_.data(), 1, bytes_.size(), file) == bytes_.size();
  return fclose(file) == 0 && written;
}

}  // namespace vmpl::testing
