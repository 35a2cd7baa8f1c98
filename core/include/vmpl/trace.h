// vmpl::trace: switching the page-list trace hooks on and off, and where their events go.
//
// The hooks (<vmpl/trace_hooks.h>) are compiled into every mutation of a page list. They are off
// until a process calls Start() with a Ring (<vmpl/trace_ring.h>): from then on every mutation in
// the process is stamped (rdtsc, CPU) and written to that ring. Another process can read the ring
// live (`vmpl trace record --pid`), or the process drains it itself (`vmpl sim --trace FILE`).
//
// A reader that attaches to a process already running needs the state its events apply to. The
// reader sets a request bit in the ring; the process answers from the thread that owns its lists
// by calling ServiceRequests() between mutations (the simulator does so between steps): it
// switches tracing on if it was armed but off, and writes a snapshot of every registered list as
// events (kSnapshotBegin ... kSnapshotEnd), so the stream after it is self-contained.
//
// Per-list switch: SetListTracing writes a kListTracing event; readers drop that list's events
// while it is off. The hooks cannot skip them where they fire, because a slot store does not know
// its list (see <vmpl/trace_event.h>): the per-process switch is the one that saves time.
//
// Threads: Start/Stop/Arm are for one controlling thread; the hooks may fire on any thread.
// Stop() does not wait for hooks already past their check: keep the Ring alive until the threads
// that may mutate lists are quiet.

#ifndef VMPL_TRACE_H_
#define VMPL_TRACE_H_

#include <stdint.h>
#include <vmpl/trace_clock.h>
#include <vmpl/trace_event.h>
#include <vmpl/trace_hooks.h>

#include <string_view>

class VmPageList;
class VmPageSpliceList;

namespace vmpl::trace {

class Ring;

// Sends every event of this process to |ring| from now on (tracing on). |ring| must outlive
// Stop().
void Start(Ring* ring);
// Tracing off; events stop reaching the ring.
void Stop();
// Installs |ring| without switching tracing on: a reader's request (ServiceRequests) will.
void Arm(Ring* ring);
// The ring events go to (or would go to once on), or null.
Ring* CurrentRing();
// True while the hooks write to a ring.
bool IsOn();

// Answers a reader's requests on the armed ring: if a snapshot was asked for, switches tracing on
// and writes the snapshot. Call from the thread that mutates the lists, between mutations. Cheap
// (one load) when nothing is asked. Returns true if a snapshot was written.
bool ServiceRequests();
// Writes a snapshot of every registered list now (tracing must be on).
void WriteSnapshot();

// Says that every list is consistent now (kCheckpoint); |counter| is the caller's own position
// (the simulator passes its step number). One branch when tracing is off.
inline void Checkpoint(uint64_t counter) {
  VMPL_TRACE_EVENT(kCheckpoint, nullptr, 0, counter, 0, 0, 0);
}

// Switches the events of one list on or off for readers (see above).
void SetListTracing(const void* list, bool on);

// Registry hooks (called by vmpl::Registry under its lock).
void EmitRegistration(uint64_t id, const void* object, uint32_t kind, std::string_view name);
void EmitName(uint64_t id, std::string_view name);

// The snapshot events of one registered list (kListCreate, its registration, its skew or splice
// state, every node and non-empty slot); WriteSnapshot brackets them with kSnapshotBegin/End.
// |kind| is the registry's: 1 = VmPageList, 2 = VmPageSpliceList (core/src/trace_snapshot.cc).
void WriteListSnapshot(uint64_t id, uint32_t kind, const void* address, std::string_view name);

}  // namespace vmpl::trace

#endif  // VMPL_TRACE_H_
