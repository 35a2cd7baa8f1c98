// The decoder: page lists out of untrusted memory (see decoder.h).

#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/layout_file.h>

#include <string.h>

#include <algorithm>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <vm/vm_page_list.h>
#include <vmpl/model/slot.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>

namespace vmpl::inspect {

namespace {

// The position of the lowest bit that |set| turns on in a zeroed vm_page_t.
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

}  // namespace

DecodeLayout BuiltinDecodeLayout() {
  DecodeLayout layout;
  layout.pointer_size = sizeof(void*);
  layout.node_size = sizeof(VmPageListNode);
  // fbl::WAVLTreeNodeState is the node's first member: parent_, left_, right_, rank_.
  layout.node_parent_offset = 0;
  layout.node_left_offset = sizeof(void*);
  layout.node_right_offset = 2 * sizeof(void*);
  layout.node_rank_offset = 3 * sizeof(void*);
  layout.node_rank_size = sizeof(bool);
  layout.node_canary_offset = PageListAccess::kNodeCanaryOffset;
  layout.node_key_offset = PageListAccess::kNodeOffsetOffset;
  layout.node_slots_offset = PageListAccess::kNodeSlotsOffset;
  layout.slot_size = sizeof(VmPageOrMarker);
  layout.fanout = VmPageListNode::kPageFanOut;
  layout.node_canary = PageListAccess::kNodeCanary;
  // fbl::WAVLTree: root_, left_most_, right_most_, count_.
  layout.tree_size = 4 * sizeof(void*);
  layout.tree_root_offset = 0;
  layout.tree_count_offset = 3 * sizeof(void*);
  layout.tree_count_size = sizeof(size_t);
  layout.list_size = sizeof(VmPageList);
  layout.list_tree_offset = PageListAccess::kListTreeOffset;
  layout.list_skew_offset = PageListAccess::kListSkewOffset;
  layout.splice_size = sizeof(VmPageSpliceList);
  layout.splice_offset_offset = PageListAccess::kSpliceOffsetOffset;
  layout.splice_length_offset = PageListAccess::kSpliceLengthOffset;
  layout.splice_position_offset = PageListAccess::kSplicePositionOffset;
  layout.splice_skew_offset = PageListAccess::kSpliceSkewOffset;
  layout.splice_finalized_offset = PageListAccess::kSpliceFinalizedOffset;
  layout.splice_head_offset = PageListAccess::kSpliceHeadOffset;
  layout.splice_middle_offset = PageListAccess::kSpliceMiddleOffset;
  layout.splice_tail_offset = PageListAccess::kSpliceTailOffset;
  layout.page_struct_size = sizeof(vm_page_t);
  layout.page_paddr_offset = offsetof(vm_page_t, paddr_priv);
  // offsetof cannot name a bit-field: set each one in a zeroed page and see which bits moved.
  layout.page_left_split_bit = FirstBitSet([](vm_page_t& page) { page.object.cow_left_split = 1; });
  layout.page_right_split_bit =
      FirstBitSet([](vm_page_t& page) { page.object.cow_right_split = 1; });
  layout.page_dirty_state_bit =
      FirstBitSet([](vm_page_t& page) { page.object.dirty_state = VM_PAGE_OBJECT_DIRTY_STATES_MASK; });
  layout.page_dirty_state_bits = VM_PAGE_OBJECT_DIRTY_STATE_BITS;
  layout.page_size = PAGE_SIZE;
  layout.max_size = VmPageList::MAX_SIZE;
  return layout;
}

namespace {

// The fields of an object copied out of the target, read with bounds checks (a layout from a
// file may name offsets past the object's size: such a field reads as 0).
class Fields {
 public:
  Fields() = default;
  Fields(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint64_t U64(uint64_t offset) const { return Load(offset, 8); }
  // An unsigned field of |size| bytes (a pointer, a count), little-endian.
  uint64_t Word(uint64_t offset, uint64_t size) const { return Load(offset, size); }
  uint32_t U32(uint64_t offset) const { return static_cast<uint32_t>(Load(offset, 4)); }
  uint8_t U8(uint64_t offset) const { return static_cast<uint8_t>(Load(offset, 1)); }

 protected:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;

 private:
  uint64_t Load(uint64_t offset, uint64_t n) const {
    uint64_t value = 0;
    if (n <= 8 && offset <= size_ && n <= size_ - offset) {
      memcpy(&value, data_ + offset, n);
    }
    return value;
  }
};

// One object copied out of the target, in a buffer of its own.
class Bytes : public Fields {
 public:
  explicit Bytes(size_t size) : storage_(size) {
    data_ = storage_.data();
    size_ = size;
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  uint8_t* data() { return storage_.data(); }
  size_t size() const { return size_; }

 private:
  std::vector<uint8_t> storage_;
};

class Decoder {
 public:
  Decoder(MemorySource& memory, const DecodeLayout& layout, const DecodeOptions& options,
          SnapshotList& out)
      : memory_(memory), layout_(layout), options_(options), out_(out) {}

  // A layout that would make the walk read past an object (or divide by zero) stops the decode
  // before it starts; layouts from files are checked when read, this is for every other caller.
  bool UsableLayout() {
    if (std::string problem = CheckLayout(layout_); !problem.empty()) {
      Problem(out_.address, "unusable layout: " + problem);
      out_.complete = false;
      return false;
    }
    return true;
  }

  // Reads the list object itself (|what| names it in problems); false if that failed, which
  // leaves the snapshot incomplete.
  bool ReadList(uint64_t address, Bytes& bytes, const char* what) {
    if (address % layout_.pointer_size != 0) {
      Problem(address, fmt::format("{} address {:#x} is misaligned", what, address));
    } else if (ReadObject(address, bytes, what)) {
      return true;
    }
    out_.complete = false;
    return false;
  }

  void Problem(uint64_t address, std::string message) {
    out_.problems.push_back(SnapshotProblem{address, std::move(message)});
  }

  // Reads |size| bytes at |address|; on failure records the problem (naming |what|).
  bool ReadObject(uint64_t address, Bytes& bytes, const char* what) {
    const ReadResult result = memory_.Read(address, bytes.data(), bytes.size());
    if (!result.ok()) {
      Problem(address, fmt::format("{} at {:#x} is unreadable: {}", what, address, result.error));
      return false;
    }
    return true;
  }

  SnapshotNode NodeFrom(uint64_t address, const Fields& bytes) {
    SnapshotNode node;
    node.address = address;
    node.key = bytes.U64(layout_.node_key_offset);
    node.canary = bytes.U32(layout_.node_canary_offset);
    for (size_t i = 0; i < node.slots.size() && i < layout_.fanout; i++) {
      node.slots[i] = bytes.U64(layout_.node_slots_offset + i * layout_.slot_size);
    }
    if (node.canary != layout_.node_canary) {
      Problem(address, fmt::format("node {:#x}: canary {:#010x}, expected {:#010x} (\"PLST\")",
                                   address, node.canary, layout_.node_canary));
    }
    return node;
  }

  // Reads the WAVL tree whose header is at |tree| into out_.nodes, in key order. Bounded and
  // cycle-safe. The tree is read a level at a time, each level in batches of one ReadMany, so a
  // source turns a level into one system call (process_vm_readv) or a few large packets (a stub
  // coalesces nearby nodes); then an in-order pass over what was read gives the key order.
  void WalkTree(uint64_t tree) {
    Bytes header(layout_.tree_size);
    if (!ReadObject(tree, header, "tree header")) {
      out_.complete = false;
      return;
    }
    const uint64_t root = Pointer(header, layout_.tree_root_offset);
    const uint64_t count = header.Word(layout_.tree_count_offset, layout_.tree_count_size);
    const uint64_t sentinel = tree | 1;
    out_.tree_count = count;
    if (count > options_.max_nodes) {
      Problem(tree, fmt::format("tree {:#x}: count {} is absurd (limit {}); walking at most the "
                                "limit",
                                tree, count, options_.max_nodes));
    }
    std::vector<ReadNode> nodes;
    // Growing by doubling would copy every node read so far each time; a count that lies costs
    // at most the cap, and only address space.
    constexpr uint64_t kMaxReserve = uint64_t{1} << 18;
    nodes.reserve(static_cast<size_t>(std::min({count, uint64_t{options_.max_nodes}, kMaxReserve})));
    const int32_t top = ReadLevels(root, sentinel, tree + layout_.tree_root_offset, nodes);
    EmitInOrder(top, nodes);
    if (out_.complete && nodes.size() != count) {
      Problem(tree, fmt::format("tree {:#x}: count says {} nodes, the walk found {}", tree, count,
                                nodes.size()));
    }
  }

  // Reads the vm_page_t of every page slot of |nodes| into out_.pages, in batches; a page that
  // cannot be read is left out (the views then show the slot without its paddr).
  void ReadPages(const std::vector<const SnapshotNode*>& nodes, size_t max_pages) {
    const uint64_t size = layout_.page_struct_size;
    if (size == 0 || layout_.page_paddr_offset == DecodeLayout::kNoField) {
      return;
    }
    std::vector<uint64_t> addresses;
    std::unordered_set<uint64_t> seen;
    for (const SnapshotNode* node : nodes) {
      for (uint64_t raw : node->slots) {
        if (DecodeRawSlot(raw).kind == SlotKind::kPage && raw % layout_.pointer_size == 0 &&
            seen.size() < max_pages && seen.insert(raw).second) {
          addresses.push_back(raw);
        }
      }
    }
    std::vector<uint8_t> buffer;
    std::vector<ReadRequest> requests;
    for (size_t first = 0; first < addresses.size(); first += kBatch) {
      const size_t count = std::min(kBatch, addresses.size() - first);
      buffer.resize(count * size);
      requests.clear();
      for (size_t i = 0; i < count; i++) {
        requests.push_back(ReadRequest{addresses[first + i], buffer.data() + i * size, size});
      }
      const std::vector<ReadResult> results = memory_.ReadMany(requests);
      for (size_t i = 0; i < count; i++) {
        if (results[i].ok()) {
          out_.pages[addresses[first + i]] = DecodePageFields(buffer.data() + i * size, size,
                                                              layout_);
        }
      }
    }
  }

 private:
  // A node the walk read, and the children it was the first to reach (indexes into the walk's
  // vector; -1 for none). A node is reached once, so these links always form a tree, whatever
  // the target's links say.
  struct ReadNode {
    SnapshotNode node;
    int32_t left = -1;
    int32_t right = -1;
  };
  // A link still to follow: where it points, where it was read, and who holds it.
  struct Link {
    uint64_t to;
    uint64_t at;
    uint64_t expected_parent;
    int32_t parent;  // index of the node holding the link, -1 for the tree header
    bool left;
  };
  // Nodes read in one ReadMany: enough to make system calls and packets few, little enough that
  // the buffer stays small (a level of a million-node tree is half a million nodes).
  static constexpr size_t kBatch = 4096;

  // Breadth-first read of the tree from |root|; returns the root's index in |nodes| (-1 if it
  // could not be read).
  int32_t ReadLevels(uint64_t root, uint64_t sentinel, uint64_t root_at,
                     std::vector<ReadNode>& nodes) {
    auto is_child = [&](uint64_t p) { return p != 0 && p != sentinel; };
    int32_t top = -1;
    std::unordered_set<uint64_t> visited;
    std::vector<Link> level;
    if (is_child(root)) {
      level.push_back(Link{root, root_at, sentinel, -1, false});
    }
    std::vector<Link> next;
    std::vector<Link> batch;
    std::vector<uint8_t> buffer;
    std::vector<ReadRequest> requests;
    while (!level.empty()) {
      next.clear();
      for (size_t first = 0; first < level.size(); first += kBatch) {
        // Admit the links worth following: aligned, not seen before, within the limit.
        batch.clear();
        for (size_t i = first; i < level.size() && i < first + kBatch; i++) {
          const Link& link = level[i];
          if (link.to % layout_.pointer_size != 0) {
            Problem(link.at, fmt::format("pointer {:#x} at {:#x} is misaligned{}", link.to,
                                         link.at,
                                         (link.to & 1) ? " (a sentinel of another tree?)" : ""));
            out_.complete = false;
          } else if (!visited.insert(link.to).second) {
            Problem(link.to, fmt::format("cycle: node {:#x} is reached again through {:#x}",
                                         link.to, link.at));
            out_.complete = false;
          } else if (visited.size() > options_.max_nodes) {
            Problem(link.to, fmt::format("more than {} nodes: walk stopped", options_.max_nodes));
            out_.complete = false;
            return top;
          } else {
            batch.push_back(link);
          }
        }
        // Not zeroed first: a read fills its buffer, zeroing what it could not read.
        buffer.resize(batch.size() * layout_.node_size);
        requests.clear();
        for (size_t i = 0; i < batch.size(); i++) {
          requests.push_back(
              ReadRequest{batch[i].to, buffer.data() + i * layout_.node_size, layout_.node_size});
        }
        const std::vector<ReadResult> results = memory_.ReadMany(requests);
        for (size_t i = 0; i < batch.size(); i++) {
          const Link& link = batch[i];
          if (!results[i].ok()) {
            Problem(link.to, fmt::format("node at {:#x} is unreadable: {}", link.to,
                                         results[i].error));
            out_.complete = false;
            continue;
          }
          const Fields bytes(buffer.data() + i * layout_.node_size, layout_.node_size);
          const uint64_t parent = Pointer(bytes, layout_.node_parent_offset);
          if (parent != link.expected_parent) {
            Problem(link.to, fmt::format("node {:#x}: parent link {:#x}, expected {:#x}", link.to,
                                         parent, link.expected_parent));
          }
          const auto index = static_cast<int32_t>(nodes.size());
          nodes.push_back(ReadNode{NodeFrom(link.to, bytes)});
          if (link.parent < 0) {
            top = index;
          } else if (link.left) {
            nodes[link.parent].left = index;
          } else {
            nodes[link.parent].right = index;
          }
          const uint64_t left = Pointer(bytes, layout_.node_left_offset);
          const uint64_t right = Pointer(bytes, layout_.node_right_offset);
          if (is_child(left)) {
            next.push_back(Link{left, link.to + layout_.node_left_offset, link.to, index, true});
          }
          if (is_child(right)) {
            next.push_back(
                Link{right, link.to + layout_.node_right_offset, link.to, index, false});
          }
        }
      }
      std::swap(level, next);
    }
    return top;
  }

  // Appends the nodes read to out_.nodes in order (left subtree, node, right subtree), checking
  // each key's alignment and range and that keys rise.
  void EmitInOrder(int32_t top, std::vector<ReadNode>& nodes) {
    const uint64_t span = layout_.fanout * layout_.page_size;
    out_.nodes.reserve(nodes.size());
    std::vector<int32_t> stack;
    bool have_key = false;
    uint64_t last_key = 0;
    int32_t cur = top;
    while (cur >= 0 || !stack.empty()) {
      while (cur >= 0) {
        stack.push_back(cur);
        cur = nodes[cur].left;
      }
      cur = stack.back();
      stack.pop_back();
      SnapshotNode& node = nodes[cur].node;
      if (span != 0 && node.key % span != 0) {
        Problem(node.address, fmt::format("node {:#x}: key {:#x} is not a multiple of {:#x}",
                                          node.address, node.key, span));
      }
      if (layout_.max_size != 0 && node.key >= layout_.max_size + span) {
        Problem(node.address,
                fmt::format("node {:#x}: key {:#x} is out of range", node.address, node.key));
      }
      if (have_key && node.key <= last_key) {
        Problem(node.address,
                fmt::format("node {:#x}: key {:#x} is not above the previous key {:#x}",
                            node.address, node.key, last_key));
      }
      have_key = true;
      last_key = node.key;
      out_.nodes.push_back(node);
      cur = nodes[cur].right;
    }
  }

  uint64_t Pointer(const Fields& bytes, uint64_t offset) const {
    return bytes.Word(offset, layout_.pointer_size);
  }

  MemorySource& memory_;
  const DecodeLayout& layout_;
  const DecodeOptions& options_;
  SnapshotList& out_;
};

}  // namespace

SnapshotList DecodePageList(MemorySource& memory, uint64_t address, const DecodeLayout& layout,
                            const DecodeOptions& options) {
  SnapshotList out;
  out.address = address;
  out.kind = SnapshotListKind::kPageList;
  Decoder decoder(memory, layout, options, out);
  if (!decoder.UsableLayout()) {
    return out;
  }
  Bytes list(layout.list_size);
  if (!decoder.ReadList(address, list, "list")) {
    return out;
  }
  out.skew = list.U64(layout.list_skew_offset);
  if (out.skew >= layout.fanout * layout.page_size) {
    decoder.Problem(address, fmt::format("list {:#x}: skew {:#x} is out of range", address,
                                         out.skew));
  }
  decoder.WalkTree(address + layout.list_tree_offset);
  return out;
}

SnapshotList DecodeSpliceList(MemorySource& memory, uint64_t address, const DecodeLayout& layout,
                              const DecodeOptions& options) {
  SnapshotList out;
  out.address = address;
  out.kind = SnapshotListKind::kSpliceList;
  Decoder decoder(memory, layout, options, out);
  if (!decoder.UsableLayout()) {
    return out;
  }
  Bytes splice(layout.splice_size);
  if (!decoder.ReadList(address, splice, "splice list")) {
    return out;
  }
  out.splice_offset = splice.U64(layout.splice_offset_offset);
  out.splice_length = splice.U64(layout.splice_length_offset);
  out.splice_position = splice.U64(layout.splice_position_offset);
  out.skew = splice.U64(layout.splice_skew_offset);
  out.splice_finalized = splice.U8(layout.splice_finalized_offset) != 0;
  // The inline head and tail nodes live inside the object.
  Bytes head(layout.node_size);
  Bytes tail(layout.node_size);
  if (decoder.ReadObject(address + layout.splice_head_offset, head, "splice head")) {
    out.head = decoder.NodeFrom(address + layout.splice_head_offset, head);
  }
  if (decoder.ReadObject(address + layout.splice_tail_offset, tail, "splice tail")) {
    out.tail = decoder.NodeFrom(address + layout.splice_tail_offset, tail);
  }
  decoder.WalkTree(address + layout.splice_middle_offset);
  return out;
}

SnapshotPage DecodePageFields(const uint8_t* data, size_t size, const DecodeLayout& layout) {
  const Fields bytes(data, size);
  auto bits = [&](uint64_t first, uint64_t count) {
    uint64_t value = 0;
    for (uint64_t i = 0; i < count && i < 8; i++) {
      const uint64_t bit = first + i;
      value |= static_cast<uint64_t>((bytes.U8(bit / 8) >> (bit % 8)) & 1) << i;
    }
    return value;
  };
  SnapshotPage page;
  if (layout.page_paddr_offset != DecodeLayout::kNoField) {
    page.paddr = bytes.Word(layout.page_paddr_offset, layout.pointer_size);
  }
  page.left_split = bits(layout.page_left_split_bit, 1) != 0;
  page.right_split = bits(layout.page_right_split_bit, 1) != 0;
  page.dirty_state =
      static_cast<uint8_t>(bits(layout.page_dirty_state_bit, layout.page_dirty_state_bits));
  return page;
}

void DecodePages(MemorySource& memory, const DecodeLayout& layout, SnapshotList& list,
                 size_t max_pages) {
  const DecodeOptions options;
  Decoder decoder(memory, layout, options, list);
  std::vector<const SnapshotNode*> nodes;
  if (list.kind == SnapshotListKind::kSpliceList) {
    nodes = {&list.head, &list.tail};
  }
  for (const SnapshotNode& node : list.nodes) {
    nodes.push_back(&node);
  }
  decoder.ReadPages(nodes, max_pages);
}

Snapshot DecodeRegistry(MemorySource& memory, uint64_t registry_address, const DecodeLayout& layout,
                        const DecodeOptions& options, const RegistryReadOptions& registry_options) {
  Snapshot snapshot;
  snapshot.source = memory.Describe();
  RegistryContents registry = ReadRegistry(memory, registry_address, registry_options);
  snapshot.problems = std::move(registry.problems);
  for (RegistryEntry& entry : registry.entries) {
    SnapshotList list;
    if (entry.kind == static_cast<uint32_t>(RegistryKind::kPageList)) {
      list = DecodePageList(memory, entry.address, layout, options);
    } else if (entry.kind == static_cast<uint32_t>(RegistryKind::kSpliceList)) {
      list = DecodeSpliceList(memory, entry.address, layout, options);
    } else {
      continue;  // ReadRegistry reported the kind
    }
    list.registry_id = entry.id;
    list.name = std::move(entry.name);
    snapshot.lists.push_back(std::move(list));
  }
  return snapshot;
}

}  // namespace vmpl::inspect
