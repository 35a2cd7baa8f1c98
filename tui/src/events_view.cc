// RenderEvents: the events pane, summary lines over one row per event (events_view.h).

#include "vmpl/tui/events_view.h"

#include <fmt/format.h>
#include <string.h>
#include <vmpl/model/slot.h>
#include <vmpl/model/text_view.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace vmpl::tui {
namespace {

using trace::EventKind;
using trace::OpKind;

// Number of code points in |text| (continuation bytes do not start one).
int CodePoints(std::string_view text) {
  int n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      n++;
    }
  }
  return n;
}

// Kinds a producer writes: not kInvalid, not beyond what this build knows.
bool KnownKind(EventKind kind) {
  return kind != EventKind::kInvalid &&
         static_cast<size_t>(kind) < static_cast<size_t>(EventKind::kKindCount);
}

std::string ListName(uint64_t address, const ListNamer& name) {
  if (address == 0) {
    return "-";
  }
  std::string text = name ? name(address) : std::string();
  return text.empty() ? fmt::format("{:#x}", address) : text;
}

// SlotContentText, shortened for a row that shows two of them.
std::string ShortSlot(uint64_t raw) {
  std::string text = vmpl::SlotContentText(raw);
  auto replace = [&text](std::string_view from, std::string_view to) {
    const size_t at = text.find(from);
    if (at != std::string::npos) {
      text.replace(at, from.size(), to);
    }
  };
  replace("reference ", "ref ");
  replace(" untracked", "");
  replace(" awaiting-clean ", " awaiting ");
  return text;
}

// The operations whose arg[1] is an end offset, and those whose arg[1] is a length
// (core/src/vm_page_list.cc's VMPL_TRACE_OP calls); the others carry a flag or nothing there.
bool OpHasEnd(OpKind op) {
  return op == OpKind::kRemovePages || op == OpKind::kMergeFrom || op == OpKind::kAddZeroInterval ||
         op == OpKind::kPopulateSlotsInInterval;
}
bool OpHasLength(OpKind op) {
  return op == OpKind::kTakePages || op == OpKind::kClipIntervalStart ||
         op == OpKind::kClipIntervalEnd;
}

std::string Seconds(uint64_t ns) {
  return fmt::format("{}.{:06}", ns / 1'000'000'000, ns % 1'000'000'000 / 1000);
}

// The time column: relative to the first event the log was given.
std::string RelativeTime(uint64_t time_ns, uint64_t first_ns) {
  if (time_ns >= first_ns) {
    return Seconds(time_ns - first_ns);
  }
  std::string before = "-";  // two steps: GCC 12 -O3 warns falsely (-Wrestrict) on "-" + string
  before += Seconds(first_ns - time_ns);
  return before;
}

std::string OffsetText(const StreamEvent& event) {
  if (event.event.kind != EventKind::kSlotStore || event.vmo_offset == -1) {
    return "";
  }
  // Slots before the VMO's start in the first node of a skewed list have negative offsets.
  if (event.vmo_offset < 0) {
    return fmt::format("-{:#x}", -static_cast<uint64_t>(event.vmo_offset));
  }
  return fmt::format("{:#x}", event.vmo_offset);
}

// The second summary line: the busiest kinds by rate, or by total when there are no rates.
void RenderBusiest(Region& region, const EventLog& log) {
  struct Busy {
    EventKind kind;
    double rate;
    uint64_t total;
  };
  const bool by_rate = log.rate() > 0;
  std::vector<Busy> busy;
  for (size_t b = 0; b < EventLog::kBuckets; b++) {
    const auto kind = static_cast<EventKind>(b);
    const Busy entry{kind, log.rate(kind), log.total(kind)};
    if (by_rate ? entry.rate > 0 : entry.total > 0) {
      busy.push_back(entry);
    }
  }
  if (busy.empty()) {
    region.Put(1, 1, log.total() == 0 ? "(no events yet)" : "(no events in the last second)",
               Style::kHeader);
    return;
  }
  std::stable_sort(busy.begin(), busy.end(), [by_rate](const Busy& a, const Busy& b) {
    if (by_rate && a.rate != b.rate) {
      return a.rate > b.rate;
    }
    return a.total > b.total;
  });
  int pen = 1;
  if (!by_rate) {
    pen = region.Put(pen, 1, "totals:", Style::kHeader) + 1;
  }
  bool first = true;
  for (const Busy& entry : busy) {
    const std::string text =
        fmt::format("{} {}", trace::EventKindName(entry.kind),
                    by_rate ? FormatRate(entry.rate) + "/s" : FormatCount(entry.total));
    // Whole entries only: a cut "node-al" would read as a kind.
    if (!first && pen + CodePoints(text) > region.width()) {
      break;
    }
    region.Put(pen, 1, text, KnownKind(entry.kind) ? Style::kHeader : Style::kProblem);
    pen += CodePoints(text) + 2;
    first = false;
  }
}

}  // namespace

std::string FormatRate(double value) {
  if (!std::isfinite(value) || !(value > 0)) {
    return "0";
  }
  // The thresholds are where a format would round up into the next one ("10.0", "1000").
  if (value < 9.95) {
    return fmt::format("{:.1f}", value);
  }
  if (value < 999.5) {
    return fmt::format("{:.0f}", value);
  }
  static constexpr const char* kSuffixes[] = {"K", "M", "G", "T"};
  double scaled = value;
  for (size_t i = 0; i < std::size(kSuffixes); i++) {
    scaled /= 1000;
    const bool last = i + 1 == std::size(kSuffixes);
    if (scaled < 9.995) {
      return fmt::format("{:.2f} {}", scaled, kSuffixes[i]);
    }
    if (scaled < 99.95) {
      return fmt::format("{:.1f} {}", scaled, kSuffixes[i]);
    }
    if (scaled < 999.5 || last) {
      return fmt::format("{:.0f} {}", scaled, kSuffixes[i]);
    }
  }
  return "0";  // not reached: the last suffix takes every value
}

std::string FormatCount(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); i++) {
    if (i != 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

std::string DescribeEventDetail(const StreamEvent& stream_event, const ListNamer& name) {
  const trace::Event& e = stream_event.event;
  const uint64_t* arg = e.arg;
  switch (e.kind) {
    case EventKind::kSlotStore:
      return fmt::format("{} -> {}{}", ShortSlot(arg[0]), ShortSlot(arg[1]),
                         arg[2] != 0 ? " (moved)" : "");
    case EventKind::kNodeAlloc:
    case EventKind::kNodeFree:
      return fmt::format("node {:#x}", arg[1]);
    case EventKind::kNodeTransfer:
      return fmt::format("node {:#x} from {}", arg[1], ListName(arg[2], name));
    case EventKind::kSkewSet:
      return fmt::format("skew {:#x}", arg[0]);
    case EventKind::kListCreate:
      if (arg[0] == static_cast<uint64_t>(trace::ListKind::kSpliceList)) {
        return fmt::format("splice list {:#x}+{:#x} skew {:#x}", arg[1], arg[2], arg[3]);
      }
      return "page list";
    case EventKind::kListMove:
      return "from " + ListName(arg[0], name);
    case EventKind::kInlineNodeOffset:
      return fmt::format("inline node {:#x} offset {:#x}", arg[0], arg[1]);
    case EventKind::kRegister:
      return fmt::format("id {} {}", arg[0],
                         arg[2] == static_cast<uint64_t>(trace::ListKind::kSpliceList)
                             ? "splice list"
                             : "page list");
    case EventKind::kUnregister:
      return fmt::format("id {}", arg[0]);
    case EventKind::kSetAddress:
      return fmt::format("id {} at {:#x}", arg[0], arg[1]);
    case EventKind::kName: {
      char chunk[sizeof(e.arg)];
      memcpy(chunk, e.arg, sizeof(chunk));
      return fmt::format("id {} [{}] \"{}\"", e.object, e.aux,
                         std::string_view(chunk, strnlen(chunk, sizeof(chunk))));
    }
    case EventKind::kSplicePosition:
      return fmt::format("pos {:#x}", arg[0]);
    case EventKind::kOpBegin: {
      const auto op = static_cast<OpKind>(e.aux);
      std::string text = trace::OpKindName(op);
      if (OpHasEnd(op)) {
        text += fmt::format(" {:#x}..{:#x}", arg[0], arg[1]);
      } else if (OpHasLength(op)) {
        text += fmt::format(" {:#x}+{:#x}", arg[0], arg[1]);
      } else if (op != OpKind::kMergeOnto && op != OpKind::kRemoveAllContent &&
                 op != OpKind::kSpliceFinalize) {
        text += fmt::format(" {:#x}", arg[0]);
      }
      if (arg[2] != 0) {
        text += " with " + ListName(arg[2], name);
      }
      return text;
    }
    case EventKind::kOpEnd:
      return e.aux != 0 ? trace::OpKindName(static_cast<OpKind>(e.aux)) : "";
    case EventKind::kIntervalAdd:
      return fmt::format("{:#x}..{:#x}", arg[0], arg[1]);
    case EventKind::kIntervalSplit:
    case EventKind::kIntervalReplace:
      return fmt::format("at {:#x}", arg[0]);
    case EventKind::kIntervalClip:
      return fmt::format("{} {:#x} -> {:#x}", e.aux == 0 ? "start" : "end", arg[0], arg[1]);
    case EventKind::kIntervalMerge:
      return fmt::format("{:#x}..{:#x}{}{}", arg[0], arg[1], (e.aux & 1) ? " left" : "",
                         (e.aux & 2) ? " right" : "");
    case EventKind::kSnapshotBegin:
      return fmt::format("{} lists", arg[0]);
    case EventKind::kListTracing:
      return arg[0] != 0 ? "on" : "off";
    case EventKind::kCheckpoint:
      return fmt::format("#{}", arg[0]);
    case EventKind::kListDestroy:
    case EventKind::kSpliceFinalize:
    case EventKind::kSnapshotEnd:
      return "";
    case EventKind::kInvalid:
    case EventKind::kKindCount:
      break;
  }
  // A kind this build does not know: its raw fields, for whoever debugs the producer.
  return fmt::format("kind {} object {:#x} aux {} args {:#x} {:#x} {:#x} {:#x}",
                     static_cast<unsigned>(e.kind), e.object, e.aux, arg[0], arg[1], arg[2],
                     arg[3]);
}

void RenderEvents(Frame& frame, int x, int y, int width, int height, const EventLog& log,
                  const EventFilter& filter, const ListNamer& name, size_t skip,
                  std::string_view status, std::optional<uint64_t> highlight_index) {
  if (width <= 0 || height <= 0) {
    return;
  }
  Region region(frame, x, y, width, height);

  int pen = region.Put(
      1, 0, fmt::format("{} ev/s  total {}  ", FormatRate(log.rate()), FormatCount(log.total())),
      Style::kHeader);
  pen = region.Put(pen, 0, "lost " + FormatCount(log.lost()),
                   log.lost() != 0 ? Style::kProblem : Style::kHeader);
  region.Put(pen, 0, "  filter: " + Printable(filter.Describe(name)), Style::kHeader);
  RenderBusiest(region, log);

  const int rows = height - kEventsHeaderLines;
  if (rows <= 0) {
    return;
  }
  if (!status.empty()) {
    region.Put(1, kEventsHeaderLines, Printable(status), Style::kDefault);
    return;
  }
  const std::vector<const StreamEvent*> shown = log.Newest(filter, static_cast<size_t>(rows), skip);
  if (shown.empty()) {
    const char* message = log.size() == 0 ? "(no events)"
                          : skip == 0     ? "(no event kept passes the filter)"
                                          : "(scrolled past the oldest event kept)";
    region.Put(1, kEventsHeaderLines, message, Style::kDefault);
    return;
  }

  // Format every cell first: the columns are as wide as their widest value.
  enum Column { kIndex, kTime, kKind, kList, kOffset, kDetail, kColumns };
  const uint64_t first_ns = log.first_time_ns().value_or(0);
  std::vector<std::array<std::string, kColumns>> cells(shown.size());
  std::array<int, kColumns> widths{};
  for (size_t r = 0; r < shown.size(); r++) {
    const StreamEvent& event = *shown[r];
    auto& row = cells[r];
    row[kIndex] = std::to_string(event.index);
    row[kTime] = RelativeTime(event.time_ns, first_ns);
    row[kKind] = trace::EventKindName(event.event.kind);
    row[kList] = Printable(ListName(event.list_address, name));
    row[kOffset] = OffsetText(event);
    row[kDetail] = Printable(DescribeEventDetail(event, name));
    for (int c = 0; c < kColumns; c++) {
      widths[c] = std::max(widths[c], CodePoints(row[c]));
    }
  }
  widths[kList] = std::min(widths[kList], kMaxListNameWidth);
  // Column c starts after the selection mark and the columns before it, two apart; a column with
  // nothing in any row shown (no slot store, no offset) takes no room.
  std::array<int, kColumns> starts{};
  pen = 1;
  for (int c = 0; c < kColumns; c++) {
    starts[c] = pen;
    if (widths[c] > 0) {
      pen += widths[c] + 2;
    }
  }

  for (size_t r = 0; r < shown.size(); r++) {
    const StreamEvent& event = *shown[r];
    const int row_y = kEventsHeaderLines + static_cast<int>(r);
    const bool selected = highlight_index && event.index == *highlight_index;
    const Style style = selected ? Style::kSelected : Style::kDefault;
    if (selected) {
      region.PutGlyph(0, row_y, U'>', Style::kSelected);
    }
    for (int c = 0; c < kColumns; c++) {
      const std::string& text = cells[r][c];
      if (c == kDetail) {
        region.Put(starts[c], row_y, text, style);
        continue;
      }
      // Numbers right-aligned, names left-aligned; a sub-region cuts a long list name at its
      // column.
      const bool numeric = c == kIndex || c == kTime || c == kOffset;
      const int left = numeric ? starts[c] + widths[c] - CodePoints(text) : starts[c];
      const Style cell_style = c == kKind && !KnownKind(event.event.kind) ? Style::kProblem : style;
      Region cell(frame, x + left, y + row_y, std::min(widths[c], width - left), 1);
      cell.Put(0, 0, text, cell_style);
    }
  }
}

}  // namespace vmpl::tui
