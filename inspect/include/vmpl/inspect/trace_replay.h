// vmpl::inspect::TraceReplay: rebuilds every list of a trace, event by event, in real
// VmPageList and VmPageSpliceList objects.
//
// Why real objects. A replayed list is then the same kind of thing the recording process had: the
// core's checker (vmpl::Validate) runs on it unchanged (`vmpl trace replay --check`), and its
// nodes, skew and slot encodings can be compared byte for byte with the live lists a process
// holds (vmpl::CaptureRegisteredLists). The recorded values are another process's page
// pointers: the replay stores them as raw encodings and never interprets them, and it empties
// every object before destroying it, so no page is ever freed or touched.
//
// Events are applied through a TraceResolver (trace_resolver.h), which names the list and slot
// each event is about. An event that contradicts the replayed state (a store whose old value is
// not what the slot holds, a node event for an unknown node) is counted as a divergence: it means
// events were lost or the trace is damaged.
//
// Checking. Invariants may be broken in the middle of an operation (a node that LookupOrAllocate
// just allocated is empty until the caller stores into it), so they are judged at checkpoints
// (kCheckpoint, which the simulator writes between steps) and at the end. Two modes:
//   kCheckpoints  validates, at each checkpoint, the lists touched since the previous one: cheap
//                 (one validation per touched list per step) and it finds every violation, but
//                 names only the window of events it appeared in;
//   kEveryEvent   validates the list an event touched after every event, and reports a violation
//                 that is still there at the next checkpoint with the event after which it first
//                 appeared and stayed. Costly (a validation per event): `vmpl trace replay
//                 --check` runs kCheckpoints, then replays again with kEveryEvent from the first
//                 failing window (CheckEveryEventFrom) to name the event.

#ifndef VMPL_INSPECT_TRACE_REPLAY_H_
#define VMPL_INSPECT_TRACE_REPLAY_H_

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/model/snapshot.h>
#include <vmpl/trace_event.h>

class VmPageList;
class VmPageListNode;
class VmPageSpliceList;

namespace vmpl::inspect {

// The state of a list, for comparing a replay with the recording process: a snapshot
// (vmpl::Capture of the replayed object), compared by content (ContentDigest,
// DescribeFirstDifference in <vmpl/model/snapshot.h>; CaptureRegisteredLists in <vmpl/capture.h>
// captures the recording process's side).

// The FINAL_STATE chunk (type kFinalStateChunk, docs/trace-format.md): a recorder that knows the
// state its trace ends in (`vmpl sim --trace`) stores its digest, so that any later replay can
// say whether it rebuilt that state. JSON: {"lists": N, "digest": "0x..."}.
inline constexpr uint32_t kFinalStateChunk = 6;
bool WriteFinalDigest(trace::TraceWriter& writer, size_t lists, uint64_t digest);
// The digest a FINAL_STATE chunk of |reader| stores (the last valid one), if any.
std::optional<uint64_t> RecordedFinalDigest(const trace::TraceReader& reader);

// A violation that survived to a checkpoint.
struct ReplayProblem {
  uint64_t event_index = 0;       // the event after which it appeared (and stayed); with
                                  // kCheckpoints, the first event of the window it appeared in
  bool exact = false;             // event_index names the event (kEveryEvent)
  uint64_t checkpoint_index = 0;  // the checkpoint (or end) where it was judged
  uint64_t list_key = 0;
  std::string list_name;
  std::string message;  // vmpl::Violation::ToString() (addresses are the replay's own)
  // What identifies the violation across two replays (the addresses in |message| differ).
  int violation_kind = 0;  // vmpl::Violation::Kind
  uint64_t offset = 0;
  bool has_offset = false;
  bool SameViolation(const ReplayProblem& other) const {
    return list_key == other.list_key && violation_kind == other.violation_kind &&
           offset == other.offset && has_offset == other.has_offset;
  }
};

class TraceReplay {
 public:
  enum class Check { kNone, kCheckpoints, kEveryEvent };
  explicit TraceReplay(const TraceLayout& layout = BuiltinTraceLayout(), Check check = Check::kNone);
  ~TraceReplay();
  TraceReplay(const TraceReplay&) = delete;
  TraceReplay& operator=(const TraceReplay&) = delete;

  // Applies the next event. |index| is the caller's number for it (reported in problems).
  Resolution Apply(const trace::Event& event, uint64_t index);
  // kEveryEvent only: no validation before event |index| (replays a prefix at full speed).
  void CheckEveryEventFrom(uint64_t index) { check_from_ = index; }
  // Call at the end of the trace: judges the last stretch as a checkpoint would.
  void Finish(uint64_t index);

  const TraceResolver& resolver() const { return resolver_; }
  // The replayed objects of live lists (null if |key| is not a live list of that kind).
  const VmPageList* PageList(uint64_t key) const;
  const VmPageSpliceList* SpliceList(uint64_t key) const;
  // Every live list as a snapshot (in registry-id order, with its id and name), registered ones
  // only when |registered_only|. Addresses (of lists and nodes) are the recording process's, as
  // the trace names them; no vm_page_t is read (the trace holds none).
  std::vector<SnapshotList> Lists(bool registered_only) const;

  uint64_t divergences() const { return divergences_; }
  const std::string& first_divergence() const { return first_divergence_; }
  // Violations judged at checkpoints (only with check on), first ones first; at most 100 kept.
  const std::vector<ReplayProblem>& problems() const { return problems_; }
  uint64_t problem_count() const { return problem_count_; }
  uint64_t checkpoints() const { return checkpoints_; }

 private:
  struct Object;
  struct NodeRef {
    VmPageListNode* node;
    uint64_t owner_key;
  };

  Object* Live(uint64_t key);
  const Object* Live(uint64_t key) const;
  void CreateObject(uint64_t key, const TracedList& info);
  void DestroyObject(uint64_t key);
  VmPageListNode* NodeFor(const SlotRef& ref);
  void InsertNode(uint64_t owner_key, uint64_t node_address, uint64_t offset, uint64_t index);
  void EraseNode(uint64_t node_address);
  void Diverged(uint64_t index, const std::string& what);
  void CheckList(uint64_t key, uint64_t index);
  void Touch(uint64_t key, uint64_t index);
  void JudgeCheckpoint(uint64_t index);

  TraceResolver resolver_;
  Check check_;
  uint64_t check_from_ = 0;
  uint64_t last_checkpoint_ = 0;  // index of the last checkpoint judged (window starts after it)
  std::unordered_map<uint64_t, bool> touched_;  // kCheckpoints: lists touched since then
  std::unordered_map<uint64_t, std::unique_ptr<Object>> objects_;  // list key -> replayed object
  std::unordered_map<uint64_t, NodeRef> nodes_;                    // recorded node address -> node
  uint64_t divergences_ = 0;
  std::string first_divergence_;
  // --check: per list, the violations present now, each with the event it appeared after.
  struct OpenViolation {
    uint64_t since;  // UINT64_MAX once reported
    int kind;
    uint64_t offset;
    bool has_offset;
  };
  std::unordered_map<uint64_t, std::map<std::string, OpenViolation>> open_violations_;
  std::vector<ReplayProblem> problems_;
  uint64_t problem_count_ = 0;
  uint64_t checkpoints_ = 0;
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_TRACE_REPLAY_H_
