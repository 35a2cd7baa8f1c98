// A snapshot list's populated slots in offset order (see entries.h).

#include <vmpl/model/entries.h>

namespace vmpl {
namespace {

uint64_t RoundDownToNode(uint64_t value) { return value - value % kSnapshotNodeSpan; }

}  // namespace

const char* NodePartName(NodePart part, SnapshotListKind kind) {
  switch (part) {
    case NodePart::kTree:
      return kind == SnapshotListKind::kSpliceList ? "middle" : "tree";
    case NodePart::kHead:
      return "head";
    case NodePart::kTail:
      return "tail";
  }
  return "tree";
}

uint64_t ListNode::first_offset() const { return base >= skew ? base - skew : 0; }

uint64_t ListNode::end_offset() const { return base + kSnapshotNodeSpan - skew; }

uint64_t InlineNodeBase(const SnapshotList& list, NodePart part) {
  const uint64_t start = list.splice_offset + list.skew;
  return RoundDownToNode(part == NodePart::kTail ? start + list.splice_length : start);
}

std::vector<ListNode> ListNodes(const SnapshotList& list) {
  std::vector<ListNode> nodes;
  nodes.reserve(list.nodes.size() + 2);
  if (list.kind == SnapshotListKind::kPageList) {
    for (const SnapshotNode& node : list.nodes) {
      nodes.push_back(ListNode{&node, NodePart::kTree, node.key, list.skew});
    }
    return nodes;
  }
  // A splice list: VmPageSpliceList's rule for where an offset lives.
  nodes.push_back(
      ListNode{&list.head, NodePart::kHead, InlineNodeBase(list, NodePart::kHead), list.skew});
  for (const SnapshotNode& node : list.nodes) {
    nodes.push_back(ListNode{&node, NodePart::kTree, node.key, list.skew});
  }
  nodes.push_back(
      ListNode{&list.tail, NodePart::kTail, InlineNodeBase(list, NodePart::kTail), list.skew});
  return nodes;
}

std::vector<ListEntry> ListEntries(const SnapshotList& list, const std::vector<ListNode>& nodes) {
  std::vector<ListEntry> entries;
  for (const ListNode& node : nodes) {
    for (size_t i = 0; i < kSnapshotFanOut; i++) {
      const uint64_t raw = node.node->slots[i];
      if (raw == 0) {
        continue;
      }
      const uint64_t offset = node.base + i * kSnapshotPageSize - list.skew;
      entries.push_back(ListEntry{&node, i, offset, raw});
    }
  }
  // Interval ranges: a Slot covers its page; a Start's End is the next populated slot.
  for (size_t i = 0; i < entries.size(); i++) {
    const DecodedSlot slot = DecodeRawSlot(entries[i].raw);
    if (slot.IsIntervalSlot()) {
      entries[i].has_range = true;
      entries[i].range_start = entries[i].offset;
      entries[i].range_end = entries[i].offset + kSnapshotPageSize;
    } else if (slot.IsIntervalStart() && i + 1 < entries.size() &&
               DecodeRawSlot(entries[i + 1].raw).IsIntervalEnd()) {
      for (ListEntry* sentinel : {&entries[i], &entries[i + 1]}) {
        sentinel->has_range = true;
        sentinel->range_start = entries[i].offset;
        sentinel->range_end = entries[i + 1].offset + kSnapshotPageSize;
      }
    }
  }
  return entries;
}

SlotCounts CountSlots(const std::vector<ListEntry>& entries) {
  SlotCounts counts;
  for (const ListEntry& entry : entries) {
    counts.Add(entry.raw);
  }
  return counts;
}

SlotCounts CountSlots(const SnapshotList& list) {
  return CountSlots(ListEntries(list, ListNodes(list)));
}

}  // namespace vmpl
