// vmpl::tui::Source: where the TUI's state comes from. The TUI draws a Snapshot and a stream of
// events and knows nothing else about a source (docs/architecture.md, Principles: sources and
// views).
//
// Sources (source_factory.h opens the one the command line names):
//   demo     the simulator, run in this process on a thread; events from its private ring
//   pid      a live process, read with process_vm_readv; events from its shared ring if it has one
//   core     an ELF core file: one snapshot, no events
//   remote   a gdb stub (gdbserver, QEMU): re-read on every refresh; no events
//   trace    a trace file replayed up to a time cursor that the user steps and scrubs
//
// Threads: a source is used by one thread, the TUI's. Sources that run work of their own (the
// demo's simulator) hide their threads behind these calls.

#ifndef VMPL_TUI_SOURCE_H_
#define VMPL_TUI_SOURCE_H_

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include <vmpl/model/snapshot.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace_event.h>

namespace vmpl::tui {

class EventLog;

// One event as the TUI shows it: the event itself, where it sits in the stream, and what the
// source's TraceResolver said it was about.
struct StreamEvent {
  uint64_t index = 0;    // position in the source's stream, from 0 (a trace: the event's index)
  uint64_t time_ns = 0;  // the event's time on the recording machine's CLOCK_MONOTONIC
  trace::Event event{};
  uint64_t list_address = 0;  // the list object it belongs to, as snapshots name lists (0: none)
  int64_t vmo_offset = -1;    // a slot store: the VMO byte offset of the slot written (-1: none)
};

// |event| after |resolver| applied it (the caller has already called resolver.Apply and passes
// its result), with its time converted by |clock| (trace::ClockInfo or inspect's TraceClock
// numbers: ns = base_ns + (ticks - base_ticks) * 1e9 / ticks_per_second).
struct EventClock {
  double ticks_per_second = 1e9;
  uint64_t base_ticks = 0;
  uint64_t base_ns = 0;
  uint64_t ToNs(uint64_t ticks) const;
};
StreamEvent MakeStreamEvent(const inspect::TraceResolver& resolver,
                            const inspect::Resolution& resolution, const trace::Event& event,
                            uint64_t index, const EventClock& clock);

// The vm_page_t a page slot points at, as far as the layout describes it (DecodeLayout's page
// fields), for the slot detail pane.
struct PageStruct {
  uint64_t address = 0;
  std::vector<uint8_t> bytes;  // page_struct_size bytes as read
  bool left_split = false;
  bool right_split = false;
  unsigned dirty_state = 0;  // the raw bit-field value
  // The physical address, when the layout says where it is.
  bool has_paddr = false;
  uint64_t paddr = 0;
};

// The time cursor of a source that replays a recording: the state shown is the state after the
// first |position| events.
struct CursorState {
  uint64_t position = 0;  // events applied, 0..size
  uint64_t size = 0;      // events in the recording
  uint64_t time_ns = 0;   // time of the last event applied (of the first, at position 0)
  uint64_t start_ns = 0;  // time of the first event
  uint64_t end_ns = 0;    // time of the last event
};

class Source {
 public:
  virtual ~Source() = default;

  // One line naming the source: "demo (seed 1)", "pid 1234", "core FILE", "remote HOST:PORT",
  // "trace FILE".
  virtual std::string Describe() const = 0;

  // True if the state changes by itself: the TUI takes a new snapshot on every refresh.
  virtual bool live() const = 0;

  // The state now (a trace: at the cursor). Every problem met reading it is inside the snapshot.
  virtual vmpl::Snapshot Read() = 0;

  // Adds the events that arrived since the last call to |log| (which counts them all and keeps
  // the newest: no per-event copy beyond that, since a demo at full speed delivers millions a
  // second) and returns how many were lost on the way (a ring that overflowed). Sources without
  // events add nothing.
  virtual uint64_t PollEvents(EventLog& log) {
    (void)log;
    return 0;
  }
  // Why the source has no event stream ("" if it has one): shown in the events pane.
  virtual std::string EventsStatus() const { return "this source has no event stream"; }

  // The vm_page_t at |address|, or nullopt with |*error| saying why (a trace holds no pages).
  virtual std::optional<PageStruct> ReadPage(uint64_t address, std::string* error) {
    (void)address;
    *error = "no target memory to read the vm_page_t from";
    return std::nullopt;
  }

  // Reads the vm_page_t of every page slot of |list| into list.pages (inspect::DecodePages), for
  // a saved snapshot that must hold what `vmpl inspect --json` holds; a source without target
  // memory (a trace) leaves it as it is.
  virtual void ReadPages(vmpl::SnapshotList& list) { (void)list; }

  // The address of slot |slot| of |node| in the target (where the layout puts node slots).
  virtual uint64_t SlotAddress(const vmpl::SnapshotNode& node, int slot) const;

  // Called when the App has drawn a frame and reads nothing more until its next refresh. A source
  // whose reads stop the target (a gdb stub: QEMU stops its machine while a client is connected)
  // hangs up here, so the target runs between refreshes.
  virtual void LetTargetRun() {}

  // Pausing freezes what the TUI shows; a source that drives its own workload (the demo) also
  // stops it, so that nothing is lost while the user looks.
  virtual void SetPaused(bool paused) { (void)paused; }

  // The time cursor, for sources that replay a recording; nullopt for the others.
  virtual std::optional<CursorState> Cursor() const { return std::nullopt; }
  // Moves the cursor to |position| (clamped to 0..size). The next Read shows the state there.
  // Returns false, with a message in |*error|, if the recording cannot be replayed that far.
  virtual bool Seek(uint64_t position, std::string* error) {
    (void)position;
    *error = "this source has no time cursor";
    return false;
  }
  // The events of the recording in [first, first + count), for the events pane of a replay
  // (live sources deliver events through PollEvents instead).
  virtual std::vector<StreamEvent> EventsAround(uint64_t first, size_t count) {
    (void)first;
    (void)count;
    return {};
  }
};

}  // namespace vmpl::tui

#endif  // VMPL_TUI_SOURCE_H_
