// The one text view of a page list (see text_view.h and docs/snapshot-format.md).

#include <fmt/format.h>
#include <vmpl/model/text_view.h>

namespace vmpl {
namespace {

std::string SplitBits(bool left, bool right) {
  return fmt::format("({}{})", left ? 'L' : '.', right ? 'R' : '.');
}

std::string Plural(uint64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string IntervalText(const DecodedSlot& slot) {
  const uint64_t raw = slot.raw;
  std::string text = "page interval ";
  text += slot.sentinel == SlotSentinel::kInvalid
              ? fmt::format("sentinel{}", (raw >> slot_bits::kSentinelShift) & 3)
              : std::string(SlotSentinelName(slot.sentinel));
  text += " ";
  text += slot.dirty == SlotDirtyState::kInvalid
              ? fmt::format("dirty-state{}", (raw >> slot_bits::kDirtyShift) & 3)
              : std::string(SlotDirtyStateName(slot.dirty));
  if (slot.awaiting_clean != 0) {
    text += fmt::format(" awaiting-clean {:#x}", slot.awaiting_clean);
  }
  if (slot.interval_type != 0) {
    text += fmt::format(" (type {})", slot.interval_type);
  }
  if ((raw & slot_bits::kUnusedMask) != 0) {
    text += fmt::format(" (stray bits {:#x})", raw & slot_bits::kUnusedMask);
  }
  return text;
}

// The list line, with |counts| of its entries.
std::string ListLineWith(const SnapshotList& list, const SlotCounts& counts) {
  std::string title = "list ";
  if (list.registry_id != 0) {
    title += fmt::format("{} ", list.registry_id);
  }
  if (list.registry_id != 0 || !list.name.empty()) {
    title += fmt::format("'{}' ", EscapeText(list.name, true));
  }
  std::string splice;
  if (list.kind == SnapshotListKind::kSpliceList) {
    splice = fmt::format("offset {:#x}, length {:#x}, position {:#x}, {}, ", list.splice_offset,
                         list.splice_length, list.splice_position,
                         list.splice_finalized ? "finalized" : "not finalized");
  }
  return fmt::format(
      "{}at {:#x} ({}): {}skew {:#x}, {}, {}, {}, {}, {} ({}){}", title, list.address,
      list.kind == SnapshotListKind::kSpliceList ? "splice list" : "page list", splice, list.skew,
      Plural(list.nodes.size(), "node"), Plural(counts.pages, "page"),
      Plural(counts.references, "reference"), Plural(counts.markers, "marker"),
      Plural(counts.intervals, "interval"), Plural(counts.interval_sentinels, "interval sentinel"),
      list.complete ? "" : " INCOMPLETE");
}

}  // namespace

std::string SlotContentText(uint64_t raw, const SnapshotPage* page) {
  const DecodedSlot slot = DecodeRawSlot(raw);
  switch (slot.kind) {
    case SlotKind::kEmpty:
      return "empty";
    case SlotKind::kPage:
      if (page == nullptr) {
        return fmt::format("page {:#x}", slot.page);
      }
      return fmt::format("page {:#x} paddr {:#x}{}", slot.page, page->paddr,
                         SplitBits(page->left_split, page->right_split));
    case SlotKind::kReference:
      return fmt::format("reference {:#x}{}", slot.reference,
                         SplitBits(slot.left_split, slot.right_split));
    case SlotKind::kMarker:
      return raw == slot_bits::kTypeMarker ? "zero page marker"
                                           : fmt::format("zero page marker (raw {:#x})", raw);
    case SlotKind::kInterval:
      return IntervalText(slot);
  }
  return "empty";
}

std::string EntryText(const SnapshotList& list, const ListEntry& entry) {
  const DecodedSlot slot = DecodeRawSlot(entry.raw);
  const SnapshotPage* page = slot.kind == SlotKind::kPage ? list.page(slot.page) : nullptr;
  return fmt::format("offset {:#x} {}", entry.offset, SlotContentText(entry.raw, page));
}

std::string EntryLine(const SnapshotList& list, const ListEntry& entry) {
  return fmt::format("[{:2}] {}", entry.index, EntryText(list, entry));
}

std::string SlotLine(size_t index, uint64_t offset, uint64_t raw, const SnapshotPage* page) {
  return fmt::format("[{:2}] offset {:#x} {}", index, offset, SlotContentText(raw, page));
}

std::string NodeLine(const ListNode& node) {
  const char* part = node.part == NodePart::kHead   ? "head "
                     : node.part == NodePart::kTail ? "tail "
                                                    : "";
  bool empty = true;
  for (uint64_t raw : node.node->slots) {
    empty = empty && raw == 0;
  }
  return fmt::format("{}node {:#x} key {:#x} offsets [{:#x}, {:#x}){}", part, node.node->address,
                     node.node->key, node.first_offset(), node.end_offset(),
                     empty ? ": EMPTY" : "");
}

std::string ListLine(const SnapshotList& list) { return ListLineWith(list, CountSlots(list)); }

std::string FormatList(const SnapshotList& list, bool slots) {
  const std::vector<ListNode> nodes = ListNodes(list);
  const std::vector<ListEntry> entries = ListEntries(list, nodes);
  std::string out = ListLineWith(list, CountSlots(entries)) + "\n";
  if (slots) {
    size_t next = 0;
    for (const ListNode& node : nodes) {
      out += "  " + NodeLine(node) + "\n";
      for (; next < entries.size() && entries[next].node == &node; next++) {
        out += "    " + EntryLine(list, entries[next]) + "\n";
      }
    }
  }
  for (const SnapshotProblem& problem : list.problems) {
    out += fmt::format("  PROBLEM at {:#x}: {}\n", problem.address,
                       EscapeText(problem.message, false));
  }
  return out;
}

std::string EscapeText(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || (quote && c == '\'')) {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace vmpl
