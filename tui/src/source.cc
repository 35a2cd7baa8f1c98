// What every source shares: turning a resolved trace event into the TUI's StreamEvent.

#include "vmpl/tui/source.h"

#include <vmpl/inspect/decoder.h>

namespace vmpl::tui {

uint64_t Source::SlotAddress(const vmpl::SnapshotNode& node, int slot) const {
  const inspect::DecodeLayout& layout = inspect::BuiltinDecodeLayout();
  return node.address + layout.node_slots_offset + static_cast<uint64_t>(slot) * layout.slot_size;
}

uint64_t EventClock::ToNs(uint64_t ticks) const {
  // Ticks before the base (a clock read before the ring's) count backwards from it.
  const double delta = static_cast<double>(ticks) - static_cast<double>(base_ticks);
  const double ns = static_cast<double>(base_ns) + delta * 1e9 / ticks_per_second;
  return ns <= 0 ? 0 : static_cast<uint64_t>(ns);
}

StreamEvent MakeStreamEvent(const inspect::TraceResolver& resolver,
                            const inspect::Resolution& resolution, const trace::Event& event,
                            uint64_t index, const EventClock& clock) {
  StreamEvent out;
  out.index = index;
  out.time_ns = clock.ToNs(event.timestamp);
  out.event = event;
  if (resolution.list_key == 0) {
    return out;
  }
  const inspect::TracedList* list = resolver.FindList(resolution.list_key);
  if (list == nullptr) {
    return out;
  }
  out.list_address = list->address;
  if (event.kind == trace::EventKind::kSlotStore && resolution.slot.valid()) {
    // The node's offset is its tree key, skewed; the VMO sees it |skew| bytes earlier.
    const uint64_t page_size = resolver.layout().page_size;
    const uint64_t skewed = static_cast<uint64_t>(resolution.slot.node_offset) +
                            static_cast<uint64_t>(resolution.slot.index) * page_size;
    out.vmo_offset = static_cast<int64_t>(skewed - list->skew);
  }
  return out;
}

}  // namespace vmpl::tui
