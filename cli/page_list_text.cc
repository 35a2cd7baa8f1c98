// Text rendering of PageListDump models (see page_list_text.h).

#include "page_list_text.h"

#include <align.h>
#include <fmt/color.h>
#include <fmt/format.h>

#include <string_view>

namespace vmpl::cli {

std::string Paint(const TextStyle& style, fmt::text_style ts, std::string_view text) {
  if (!style.color) {
    return std::string(text);
  }
  return fmt::format(ts, "{}", text);
}

namespace {

constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * PAGE_SIZE;

fmt::text_style KindStyle(SlotKind kind) {
  switch (kind) {
    case SlotKind::kPage:
      return fmt::fg(fmt::terminal_color::green);
    case SlotKind::kReference:
      return fmt::fg(fmt::terminal_color::cyan);
    case SlotKind::kMarker:
      return fmt::fg(fmt::terminal_color::yellow);
    case SlotKind::kIntervalStart:
    case SlotKind::kIntervalEnd:
    case SlotKind::kIntervalSlot:
      return fmt::fg(fmt::terminal_color::magenta);
  }
  return {};
}

std::string SplitFlags(const SlotDump& slot) {
  return fmt::format("({}{})", slot.left_split ? 'L' : '.', slot.right_split ? 'R' : '.');
}

std::string FormatViolations(const std::vector<std::string>& violations, const TextStyle& style,
                             std::string_view indent) {
  if (violations.empty()) {
    return fmt::format("{}{}\n", indent,
                       Paint(style, fmt::fg(fmt::terminal_color::green), "valid"));
  }
  std::string out =
      fmt::format("{}{}\n", indent,
                  Paint(style, fmt::fg(fmt::terminal_color::red) | fmt::emphasis::bold,
                        fmt::format("INVALID: {} violation{}", violations.size(),
                                    violations.size() == 1 ? "" : "s")));
  for (const std::string& v : violations) {
    out += fmt::format("{}  - {}\n", indent, Paint(style, fmt::fg(fmt::terminal_color::red), v));
  }
  return out;
}

std::string Plural(size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace

std::string FormatSlot(const SlotDump& slot, const TextStyle& style) {
  const fmt::text_style ks = KindStyle(slot.kind);
  switch (slot.kind) {
    case SlotKind::kPage:
      return fmt::format("offset {:#x} {} {:#x} paddr {:#x}{}", slot.offset,
                         Paint(style, ks, "page"), slot.page, slot.paddr, SplitFlags(slot));
    case SlotKind::kReference:
      return fmt::format("offset {:#x} {} {:#x}{}", slot.offset, Paint(style, ks, "reference"),
                         slot.reference, SplitFlags(slot));
    case SlotKind::kMarker:
      return fmt::format("offset {:#x} {}", slot.offset, Paint(style, ks, "zero page marker"));
    case SlotKind::kIntervalStart:
    case SlotKind::kIntervalEnd:
    case SlotKind::kIntervalSlot: {
      std::string line = fmt::format("offset {:#x} {} {} {}", slot.offset,
                                     Paint(style, ks, SlotKindName(slot.kind)), slot.interval_type,
                                     slot.dirty_state);
      if (slot.awaiting_clean_length != 0) {
        line += fmt::format(" awaiting clean {:#x}", slot.awaiting_clean_length);
      }
      if (slot.interval_range_known) {
        line += fmt::format(" covers [{:#x}, {:#x})", slot.interval_start, slot.interval_end);
      } else {
        line += " covers ?";
      }
      return line;
    }
  }
  return fmt::format("offset {:#x} ?", slot.offset);
}

std::string FormatList(const ListDump& list, const TextStyle& style) {
  std::string out =
      Paint(style, fmt::emphasis::bold,
            fmt::format("list {}: skew {:#x}, {}, {}, {}, {}, {}, {} heap bytes", list.name,
                        list.skew, Plural(list.nodes, "node"), Plural(list.counts.pages, "page"),
                        Plural(list.counts.references, "reference"),
                        Plural(list.counts.markers, "marker"),
                        Plural(list.counts.intervals, "interval"), list.heap_bytes));
  out += "\n";
  if (!list.role.empty()) {
    out += fmt::format("  {}\n", Paint(style, fmt::emphasis::faint, list.role));
  }
  for (const NodeDump& node : list.node_dumps) {
    out += fmt::format("  node key {:#x} covers offsets [{:#x}, {:#x}){}\n", node.key,
                       node.first_offset, node.end_offset, node.slots.empty() ? ": EMPTY" : "");
    for (const SlotDump& slot : node.slots) {
      out += fmt::format("    [{:2}] {}\n", slot.index, FormatSlot(slot, style));
    }
  }
  out += FormatViolations(list.violations, style, "  ");
  return out;
}

std::string FormatSplice(const SpliceDump& splice, const TextStyle& style) {
  std::string out = Paint(
      style, fmt::emphasis::bold,
      fmt::format(
          "splice list {}: offset {:#x}, length {:#x}, skew {:#x}, position {:#x}, {}, {}, "
          "{}, {}, {}, {}",
          splice.name, splice.offset, splice.length, splice.skew, splice.position,
          splice.finalized ? "finalized" : "not finalized", Plural(splice.counts.pages, "page"),
          Plural(splice.counts.references, "reference"), Plural(splice.counts.markers, "marker"),
          Plural(splice.counts.intervals, "interval"), Plural(splice.counts.gaps, "gap")));
  out += "\n";
  if (!splice.role.empty()) {
    out += fmt::format("  {}\n", Paint(style, fmt::emphasis::faint, splice.role));
  }
  for (const SplicePartDump& part : splice.parts) {
    const std::string nodes =
        part.name == "middle" ? Plural(splice.middle_nodes, "node") + " stored, " : "";
    out += fmt::format("  {} [{:#x}, {:#x}): {}{}, {}, {}, {}, {}\n",
                       Paint(style, fmt::emphasis::bold, part.name), part.start, part.end, nodes,
                       Plural(part.positions, "position"), Plural(part.counts.pages, "page"),
                       Plural(part.counts.references, "reference"),
                       Plural(part.counts.markers, "marker"), Plural(part.counts.gaps, "gap"));
    // The middle holds whole nodes under their original (skewed) keys; show where each begins.
    uint64_t node_key = UINT64_MAX;
    for (const SlotDump& item : part.items) {
      const uint64_t key = ROUNDDOWN(item.offset + splice.skew, kNodeSpan);
      if (part.name == "middle" && key != node_key) {
        node_key = key;
        out += fmt::format("    node key {:#x}\n", node_key);
      }
      out += fmt::format("    [{:2}] {}\n", item.index, FormatSlot(item, style));
    }
  }
  if (splice.raw_pages != 0) {
    out += fmt::format("  raw pages (CreateFromPageList): {}\n", splice.raw_pages);
  }
  out += FormatViolations(splice.violations, style, "  ");
  if (splice.drained) {
    if (splice.pop_mismatches.empty() && splice.processed_after_drain) {
      out += fmt::format("  drained by Pop: {}, each as dumped; processed\n",
                         Plural(splice.popped, "position"));
    } else {
      out += fmt::format(
          "  {}\n",
          Paint(style, fmt::fg(fmt::terminal_color::red),
                fmt::format("drained by Pop: {}, {}", Plural(splice.popped, "position"),
                            splice.processed_after_drain ? "processed" : "NOT processed")));
      for (const std::string& mismatch : splice.pop_mismatches) {
        out += fmt::format("    - {}\n", Paint(style, fmt::fg(fmt::terminal_color::red), mismatch));
      }
    }
  }
  return out;
}

}  // namespace vmpl::cli
