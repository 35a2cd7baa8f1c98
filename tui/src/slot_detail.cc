// The slot detail pane: one slot, field by field (slot_detail.h).

#include "vmpl/tui/slot_detail.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "vmpl/model/entries.h"
#include "vmpl/model/slot.h"
#include "vmpl/model/text_view.h"

namespace vmpl::tui {
namespace {

using vmpl::DecodedSlot;
using vmpl::SlotDirtyState;
using vmpl::SlotKind;
using vmpl::SlotSentinel;

constexpr uint64_t kPageSize = 4096;
constexpr int kSlots = 16;
constexpr size_t kDumpBytesPerLine = 16;

// Lines of "label: value", collected in order.
class DetailLines {
 public:
  void Add(std::string_view label, std::string_view value, Style style = Style::kDefault) {
    lines_.push_back({std::string(label), std::string(value), style});
  }
  std::vector<DetailLine> Take() { return std::move(lines_); }

 private:
  std::vector<DetailLine> lines_;
};

std::string YesNo(bool value) { return value ? "yes" : "no"; }

// A byte offset that may be negative: "0x3000" or "-0x1000".
std::string SignedHex(uint64_t magnitude, bool negative) {
  return fmt::format("{}{:#x}", negative ? "-" : "", magnitude);
}

void AddInterval(DetailLines& lines, const DecodedSlot& decoded) {
  if (decoded.sentinel == SlotSentinel::kInvalid) {
    lines.Add("sentinel", "3: invalid, no page list writes it", Style::kProblem);
  } else {
    lines.Add("sentinel", vmpl::SlotSentinelName(decoded.sentinel));
  }
  if (decoded.dirty == SlotDirtyState::kInvalid) {
    lines.Add("dirty state", "3: invalid, no page list writes it", Style::kProblem);
  } else {
    lines.Add("dirty state", vmpl::SlotDirtyStateName(decoded.dirty));
  }
  if (decoded.awaiting_clean == 0) {
    lines.Add("awaiting clean", decoded.sentinel == SlotSentinel::kEnd
                                    ? "- (the start sentinel carries it)"
                                    : "0 (not awaiting clean)");
    return;
  }
  const std::string length = fmt::format("{:#x} bytes ({} pages)", decoded.awaiting_clean,
                                         decoded.awaiting_clean / kPageSize);
  // Only the start (or single-slot) sentinel carries the length: anywhere else it is stray.
  if (decoded.sentinel == SlotSentinel::kStart || decoded.sentinel == SlotSentinel::kSlot) {
    lines.Add("awaiting clean", length);
  } else {
    lines.Add("awaiting clean", length + ", on a sentinel that does not carry it", Style::kProblem);
  }
}

void AddPageStruct(DetailLines& lines, const PageStruct* page, std::string_view page_error) {
  if (page == nullptr) {
    lines.Add("vm_page_t", Printable(page_error), Style::kProblem);
    return;
  }
  lines.Add("vm_page_t", fmt::format("at {:#x}, {} bytes", page->address, page->bytes.size()));
  lines.Add("left split", YesNo(page->left_split));
  lines.Add("right split", YesNo(page->right_split));
  const std::string_view name = PageDirtyStateName(page->dirty_state);
  if (name.empty()) {
    lines.Add("page dirty", fmt::format("{}: invalid, no kernel writes it", page->dirty_state),
              Style::kProblem);
  } else {
    lines.Add("page dirty", fmt::format("{} {}", page->dirty_state, name));
  }
  for (size_t offset = 0; offset < page->bytes.size(); offset += kDumpBytesPerLine) {
    std::string hex;
    const size_t end = std::min(page->bytes.size(), offset + kDumpBytesPerLine);
    for (size_t i = offset; i < end; i++) {
      hex += fmt::format("{}{:02x}", i == offset ? "" : " ", page->bytes[i]);
    }
    lines.Add(fmt::format("+{:#04x}", offset), hex);
  }
}

}  // namespace

std::string_view PageDirtyStateName(unsigned dirty_state) {
  switch (dirty_state) {
    case 0:
      return "Untracked";
    case 1:
      return "Clean";
    case 2:
      return "Dirty";
    case 3:
      return "AwaitingClean";
    default:
      return "";
  }
}

std::vector<DetailLine> FormatSlotDetail(const vmpl::SnapshotList& list,
                                         const vmpl::SnapshotNode& node, int slot,
                                         uint64_t slot_address, const PageStruct* page,
                                         std::string_view page_error) {
  DetailLines lines;
  const bool splice = list.kind == vmpl::SnapshotListKind::kSpliceList;
  const std::string name = list.name.empty() ? "-" : Printable(list.name);
  lines.Add("list",
            fmt::format("{} ({} list at {:#x})", name, splice ? "splice" : "page", list.address));

  // A splice list's inline head and tail keep key 0 in memory; the VMO offsets they hold are
  // those of the node of the list's first and last offset (docs/semantics.md section 9.1).
  uint64_t key = node.key;
  std::string_view role;
  if (splice && &node == &list.head) {
    key = vmpl::InlineNodeBase(list, vmpl::NodePart::kHead);
    role = "splice head, ";
  } else if (splice && &node == &list.tail) {
    key = vmpl::InlineNodeBase(list, vmpl::NodePart::kTail);
    role = "splice tail, ";
  }
  lines.Add("node", fmt::format("{}key {:#x} at {:#x}", role, key, node.address));
  if (slot < 0 || slot >= kSlots) {
    lines.Add("slot", fmt::format("{}: not a slot index (0..15)", slot), Style::kProblem);
    return lines.Take();
  }
  lines.Add("slot", fmt::format("{} of 16", slot));

  const uint64_t skewed = key + static_cast<uint64_t>(slot) * kPageSize;
  if (skewed >= list.skew) {
    lines.Add("vmo offset", SignedHex(skewed - list.skew, false));
  } else {
    lines.Add("vmo offset", fmt::format("{}: before the VMO's start (skew {:#x})",
                                        SignedHex(list.skew - skewed, true), list.skew));
  }
  lines.Add("slot address", fmt::format("{:#x}", slot_address));

  const uint64_t raw = node.slots[static_cast<size_t>(slot)];
  const DecodedSlot decoded = vmpl::DecodeRawSlot(raw);
  lines.Add("raw", fmt::format("{:#018x}", raw));
  const bool invalid =
      decoded.kind == SlotKind::kInterval &&
      (decoded.sentinel == SlotSentinel::kInvalid || decoded.dirty == SlotDirtyState::kInvalid);
  // The slot's line in the one text view (docs/snapshot-format.md), as `vmpl inspect --list`
  // and gdb's `vmpl dump` print it.
  std::optional<SnapshotPage> fields;
  if (decoded.kind == SlotKind::kPage && page != nullptr && page->has_paddr) {
    fields = SnapshotPage{page->paddr, page->left_split, page->right_split,
                          static_cast<uint8_t>(page->dirty_state)};
  }
  lines.Add("as dumped",
            vmpl::SlotLine(static_cast<size_t>(slot), skewed - list.skew, raw,
                           fields ? &*fields : nullptr),
            invalid ? Style::kProblem : Style::kDefault);
  lines.Add("kind", vmpl::SlotKindName(decoded.kind));
  switch (decoded.kind) {
    case SlotKind::kEmpty:
    case SlotKind::kMarker:
      break;
    case SlotKind::kPage:
      lines.Add("page", fmt::format("{:#x}", decoded.page));
      AddPageStruct(lines, page, page_error);
      break;
    case SlotKind::kReference:
      lines.Add("reference", fmt::format("{:#x}", decoded.reference));
      lines.Add("split bits",
                fmt::format("L {}, R {}", decoded.left_split ? 1 : 0, decoded.right_split ? 1 : 0));
      break;
    case SlotKind::kInterval:
      AddInterval(lines, decoded);
      break;
  }
  return lines.Take();
}

void RenderDetailLines(Frame& frame, int x, int y, int width, int height,
                       const std::vector<DetailLine>& lines) {
  Region region(frame, x, y, width, height);
  const int rows = std::min(static_cast<int>(lines.size()), std::max(height, 0));
  for (int row = 0; row < rows; row++) {
    const DetailLine& line = lines[static_cast<size_t>(row)];
    const int indent = kDetailLabelWidth - static_cast<int>(line.label.size());
    const int pen = region.Put(std::max(indent, 0), row, line.label, Style::kHeader);
    region.Put(pen, row, ": ", Style::kHeader);
    region.Put(pen + 2, row, line.value, line.style);
  }
}

void RenderSlotDetail(Frame& frame, int x, int y, int width, int height,
                      const vmpl::SnapshotList& list, const vmpl::SnapshotNode& node,
                      int slot, uint64_t slot_address, const PageStruct* page,
                      std::string_view page_error) {
  RenderDetailLines(frame, x, y, width, height,
                    FormatSlotDetail(list, node, slot, slot_address, page, page_error));
}

}  // namespace vmpl::tui
