// vmpl::tui::RenderEvents: the TUI's events pane, the live stream (or a replay's neighbourhood of
// the cursor) one event per row, under a summary of counts and rates.
//
// Layout of the window, top to bottom:
//   line 0   " 1.23 M ev/s  total 12,345,678  lost 0  filter: list vmo:3, kinds: nodes"
//            (lost in the problem style once it is not 0: the rows below have gaps)
//   line 1   the busiest kinds, " slot-store 1.10 M/s  node-alloc 52.3 K/s  ...", as many as
//            fit; before the log has rates (no two ticks yet, or a paused source) their totals,
//            " totals: slot-store 1,234  node-alloc 12"
//   rows     the newest events that pass the filter, oldest at the top and newest at the bottom,
//            |skip| newest ones left out (scrolled back). Columns:
//              index   the event's position in the source's stream
//              time    seconds.microseconds since the first event the log was given
//              kind    trace::EventKindName ("unknown", in the problem style, for a kind this
//                      build does not know)
//              list    the list it belongs to, named by the ListNamer ("-": none)
//              offset  slot stores: the VMO byte offset of the slot written
//              detail  per kind, see DescribeEventDetail
// The row of the event whose index is |highlight_index| (the replay cursor) is marked '>' and
// drawn in the selected style. A non-empty |status| (the source has no event stream) is drawn
// where the rows would be.
//
// Everything that comes from the target (list names, name chunks) is untrusted: control
// characters are drawn as '?'. Columns are as wide as their widest value among the rows shown,
// the list column at most kMaxListNameWidth; the detail runs to the window's edge and is clipped.
// Any window is accepted, down to nothing at all.

#ifndef VMPL_TUI_EVENTS_VIEW_H_
#define VMPL_TUI_EVENTS_VIEW_H_

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>

#include "vmpl/tui/event_log.h"
#include "vmpl/tui/frame.h"
#include "vmpl/tui/source.h"

namespace vmpl::tui {

inline constexpr int kMaxListNameWidth = 20;
// Lines above the first event row.
inline constexpr int kEventsHeaderLines = 2;

void RenderEvents(Frame& frame, int x, int y, int width, int height, const EventLog& log,
                  const EventFilter& filter, const ListNamer& name, size_t skip,
                  std::string_view status, std::optional<uint64_t> highlight_index);

// A rate (or any non-negative quantity) in three significant digits with a K/M/G/T suffix:
// "0", "0.5", "850", "1.23 K", "45.6 M", "999 G". Negative and non-finite values give "0".
std::string FormatRate(double value);
// |value| with thousands separated by commas: "12,345,678".
std::string FormatCount(uint64_t value);

// The kind-specific part of an event's row, unsanitized (lists named by |name|):
//   slot-store       "empty -> page 0x7f00001000", "(moved)" appended when the value came from
//                    another slot; slots as SlotContentText says, shortened ("ref", "awaiting")
//   node-alloc/free  "node 0x40000" (its offset)
//   node-transfer    "node 0x40000 from <old owner>"
//   skew-set         "skew 0x3000"
//   list-create      "page list", "splice list 0x0+0x10000 skew 0x0"
//   list-move        "from <list>"
//   register         "id 5 page list"; unregister "id 5"; set-address "id 5 at 0x7f..";
//   name             "id 5 [0] \"vmo:3\"" (the chunk at its byte offset)
//   op-begin         "RemovePages 0x0 0x10000", " with <other list>" when it names one;
//   op-end           the op's name when it carries one
//   interval-*       their offsets ("0x1000..0x4fff", "at 0x2000", "start 0x1000 -> 0x2000",
//                    "0x1000..0x1fff left right")
//   others           their arguments in short ("pos 0x2000", "on", "3 lists", "#12")
std::string DescribeEventDetail(const StreamEvent& event, const ListNamer& name);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_EVENTS_VIEW_H_
