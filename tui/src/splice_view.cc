// The splice list pane: range, position, state, and head, middle and tail by cell
// (splice_view.h).

#include "vmpl/tui/splice_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "vmpl/model/slot.h"
#include "vmpl/model/text_view.h"
#include "vmpl/tui/node_map.h"

namespace vmpl::tui {
namespace {

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kSlots = 16;
constexpr uint64_t kNodeBytes = kSlots * kPageSize;
constexpr int kLabelWidth = 10;

// Where VmPageSpliceList keeps the slot of one offset (VmPageSpliceList::SlotForOffset).
enum class Part { kHead, kMiddle, kTail };
struct SlotPlace {
  Part part = Part::kMiddle;
  uint64_t key = 0;  // the skewed key of the node the slot belongs to
  int index = 0;
};

// The splice list's node arithmetic: node keys are skewed offsets rounded down to a node.
class SpliceGeometry {
 public:
  explicit SpliceGeometry(const vmpl::SnapshotList& list)
      : offset_(list.splice_offset),
        end_(list.splice_offset + list.splice_length),
        skew_(list.skew) {}

  uint64_t NodeOf(uint64_t offset) const { return (offset + skew_) / kNodeBytes * kNodeBytes; }
  int IndexOf(uint64_t offset) const {
    return static_cast<int>(((offset + skew_) / kPageSize) % kSlots);
  }

  // The head holds the slots of the first node when the range does not start on its boundary.
  bool HeadUsed() const { return IndexOf(offset_) != 0; }
  // The tail holds the slots of the last node when the range ends inside it and that node is not
  // the head's.
  bool TailUsed() const {
    return IndexOf(end_) != 0 && !(HeadUsed() && NodeOf(offset_) == NodeOf(end_));
  }
  uint64_t head_key() const { return NodeOf(offset_); }
  uint64_t tail_key() const { return NodeOf(end_); }

  SlotPlace Place(uint64_t offset) const {
    SlotPlace place;
    place.key = NodeOf(offset);
    place.index = IndexOf(offset);
    if (HeadUsed() && place.key == NodeOf(offset_)) {
      place.part = Part::kHead;
    } else if (place.key != NodeOf(end_)) {
      place.part = Part::kMiddle;
    } else {
      place.part = Part::kTail;
    }
    return place;
  }

 private:
  uint64_t offset_;
  uint64_t end_;
  uint64_t skew_;
};

// Draws a label, a key and |node|'s 16 cells on line |row_y|, slot |mark| (if 0..15) selected.
void PutNodeRow(Region& region, int row_y, std::string_view label, uint64_t key, int key_width,
                const vmpl::SnapshotNode& node, int mark) {
  region.Put(0, row_y, label, Style::kHeader);
  const std::string key_text = fmt::format("{:#x}", key);
  region.Put(kLabelWidth + key_width - static_cast<int>(key_text.size()), row_y, key_text,
             Style::kRuler);
  const int cells = kLabelWidth + key_width + 2;
  for (int i = 0; i < static_cast<int>(kSlots); i++) {
    const Cell cell = RawSlotCell(node.slots[static_cast<size_t>(i)]);
    region.PutGlyph(cells + i, row_y, cell.glyph, i == mark ? Style::kSelected : cell.style);
  }
}

bool Empty(const vmpl::SnapshotNode& node) {
  return std::all_of(node.slots.begin(), node.slots.end(), [](uint64_t raw) { return raw == 0; });
}

std::string_view PartName(Part part) {
  switch (part) {
    case Part::kHead:
      return "head";
    case Part::kMiddle:
      return "middle";
    case Part::kTail:
      return "tail";
  }
  return "?";
}

}  // namespace

void RenderSpliceView(Frame& frame, int x, int y, int width, int height,
                      const vmpl::SnapshotList& list) {
  Region region(frame, x, y, width, height);
  const std::string name = list.name.empty() ? "-" : Printable(list.name);
  if (list.kind != vmpl::SnapshotListKind::kSpliceList) {
    region.Put(0, 0, fmt::format("{} is a page list, not a splice list", name), Style::kDefault);
    return;
  }
  const SpliceGeometry geometry(list);
  int row_y = 0;
  auto line = [&](std::string_view label, std::string_view value, Style style = Style::kDefault) {
    region.Put(0, row_y, label, Style::kHeader);
    region.Put(kLabelWidth, row_y, value, style);
    row_y++;
  };

  const uint64_t total_pages = list.splice_length / kPageSize;
  const bool processed = list.splice_position >= list.splice_length;
  line("splice", fmt::format("{} at {:#x}", name, list.address));
  line("range", fmt::format("offset {:#x}, length {:#x} ({} pages), skew {:#x}", list.splice_offset,
                            list.splice_length, total_pages, list.skew));
  line("position", fmt::format("{:#x} {} ({} of {} pages)", list.splice_position,
                               list.splice_finalized ? "popped" : "appended",
                               list.splice_position / kPageSize, total_pages));
  line("state", fmt::format("finalized {}, processed {}", list.splice_finalized ? "yes" : "no",
                            processed ? "yes" : "no"));

  // The next Pop reads offset + position, from the part SlotForOffset picks.
  const bool poppable = list.splice_finalized && !processed;
  const SlotPlace next = geometry.Place(list.splice_offset + list.splice_position);
  const vmpl::SnapshotNode* next_middle = nullptr;
  if (poppable && next.part == Part::kMiddle) {
    for (const vmpl::SnapshotNode& node : list.nodes) {
      if (node.key == next.key) {
        next_middle = &node;
        break;
      }
    }
  }
  std::string next_text;
  if (!list.splice_finalized) {
    next_text = "none: not finalized (Pop is not allowed yet)";
  } else if (processed) {
    next_text = "none: processed";
  } else {
    next_text = fmt::format("offset {:#x}: {} node {:#x}, slot {}",
                            list.splice_offset + list.splice_position, PartName(next.part),
                            next.key, next.index);
    if (next.part == Part::kMiddle && next_middle == nullptr) {
      next_text += " (no node: a gap, Pop returns empty)";
    }
  }
  line("next Pop", next_text);

  // Key column as wide as the largest key shown.
  uint64_t widest = std::max(geometry.head_key(), geometry.tail_key());
  for (const vmpl::SnapshotNode& node : list.nodes) {
    widest = std::max(widest, node.key);
  }
  const int key_width = std::max(7, static_cast<int>(fmt::format("{:#x}", widest).size()));
  const int cells = kLabelWidth + key_width + 2;
  region.Put(kLabelWidth, row_y, "key", Style::kHeader);
  region.Put(cells, row_y, "0123456789abcdef", Style::kHeader);
  row_y++;

  // An unused head or tail is drawn anyway if it holds something: that is worth seeing.
  const int head_mark = poppable && next.part == Part::kHead ? next.index : -1;
  if (geometry.HeadUsed() || !Empty(list.head)) {
    PutNodeRow(region, row_y++, "head", geometry.head_key(), key_width, list.head, head_mark);
  } else {
    line("head", "(not used: the range starts on a node boundary)");
  }

  vmpl::SlotCounts counts;
  for (const vmpl::SnapshotNode& node : list.nodes) {
    for (uint64_t raw : node.slots) {
      counts.Add(raw);
    }
  }
  const int pen = region.Put(0, row_y, "middle", Style::kHeader);
  region.Put(std::max(pen, kLabelWidth), row_y,
             fmt::format("{} nodes: {} pages, {} references, {} markers", list.nodes.size(),
                         counts.pages, counts.references, counts.markers),
             Style::kDefault);
  if (counts.interval_sentinels != 0) {
    region.Put(kLabelWidth, row_y + 1,
               fmt::format("{} interval sentinels: none belong in a splice list",
                           counts.interval_sentinels),
               Style::kProblem);
    row_y++;
  }
  row_y++;

  // As many middle nodes as fit above the tail's line; the last of them gives way to a count of
  // the rest when they do not all fit.
  const int room = std::max(height - row_y - 1, 0);
  const size_t shown = std::min(list.nodes.size(), static_cast<size_t>(room));
  const bool cut = shown < list.nodes.size();
  const size_t drawn = cut && shown > 0 ? shown - 1 : shown;
  for (size_t i = 0; i < drawn; i++) {
    const vmpl::SnapshotNode& node = list.nodes[i];
    PutNodeRow(region, row_y, "", node.key, key_width, node,
               &node == next_middle ? next.index : -1);
    row_y++;
  }
  if (cut && shown > 0) {
    region.Put(kLabelWidth, row_y, fmt::format("... {} more nodes", list.nodes.size() - drawn),
               Style::kDefault);
    row_y++;
  }

  const int tail_mark = poppable && next.part == Part::kTail ? next.index : -1;
  if (geometry.TailUsed() || !Empty(list.tail)) {
    PutNodeRow(region, row_y, "tail", geometry.tail_key(), key_width, list.tail, tail_mark);
  } else {
    line("tail", "(not used: the range ends on a node boundary or inside the head's node)");
  }
}

}  // namespace vmpl::tui
