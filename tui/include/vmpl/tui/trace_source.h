// vmpl::tui trace source: `vmpl tui --trace FILE`, a recorded trace (docs/trace-format.md) shown
// as the state of every list at a time cursor that the user steps and scrubs.
//
// How. The file is read with inspect::TraceReader and rebuilt into real page-list objects with
// inspect::TraceReplay: the snapshot records at open, then the event records up to the cursor.
// Position 0 is the state right after the snapshot; position event_count() the state after every
// event. Read() copies the replayed objects into a Snapshot (nodes with their recorded
// addresses, so that events' list and slot addresses match what is drawn).
//
// Seeking. Forward applies events from the cursor. Backward cannot undo events: it rebuilds from
// a keyframe, a compact list of synthetic records that re-creates the full state at an earlier
// position (the way a late-attaching reader's snapshot does), or from the start if none is
// earlier. Keyframes are taken while the cursor moves forward past multiples of an interval; their
// total size is bounded (when over budget, the interval doubles and every other keyframe goes),
// so a seek never holds more than the replayed state, the keyframe budget and a bounded ring of
// recent events. Replay runs at roughly 20 M events/s (RelWithDebInfo, a `vmpl sim` trace), so
// even a rebuild from the start of a 15 M-event trace takes under a second.
//
// Events. EventsAround returns the events of a window, resolved to the lists they touched:
// events the cursor passed recently (the last kRecentEvents) as the resolver saw them when they
// were applied; others by looking their addresses up in the resolver's state at the cursor,
// without applying them (a store into a node that does not exist at the cursor then has no list).
//
// Damage. A truncated or damaged file opens with its readable prefix; the reader's problem is a
// Snapshot::problems entry of every Read() and part of Describe(). Replay divergences (events that
// contradict the rebuilt state: lost or damaged events) and resolver inconsistencies are problems
// too. The file must not shrink while the source is open (TraceReader maps it).

#ifndef VMPL_TUI_TRACE_SOURCE_H_
#define VMPL_TUI_TRACE_SOURCE_H_

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>

#include "vmpl/tui/source.h"

namespace vmpl::tui {

struct TraceSourceOptions {
  // Events between keyframes at first (0: no keyframes; every backward seek replays from the
  // start). The interval doubles whenever the keyframes outgrow |keyframe_budget_bytes|.
  uint64_t keyframe_interval = uint64_t{1} << 20;
  // Total bytes of keyframe records kept.
  size_t keyframe_budget_bytes = size_t{64} << 20;
};

// Opens |path|. Null, with |*error| set, if the file cannot be read at all (missing, not a
// trace) or was recorded with more slots per node than this build's nodes have. A damaged or truncated file opens with its readable prefix; the problem (the
// TraceReader's) is then a Snapshot::problems entry of every Read, and part of Describe().
std::unique_ptr<Source> OpenTraceSource(const std::string& path, std::string* error);
std::unique_ptr<Source> OpenTraceSource(const std::string& path, const TraceSourceOptions& options,
                                        std::string* error);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_TRACE_SOURCE_H_
