// vmpl::sim: a kernel-like workload simulator that drives page lists the way Zircon's VMO layer
// does, deterministically from a seed.
//
// What it is. A Simulator owns a population of VMOs and drives their VmPageLists through every
// kind of mutation the kernel's VmCowPages performs: commit and decommit, zero-page dedup leaving
// markers, compression (pages swapped for references and back, split bits kept), copy-on-write
// clone trees with hidden parents (children's lists skewed by InitializeSkew, forks moving pages
// and setting split bits, collapse through MergeFrom and MergeOnto), pager-backed VMOs with dirty
// zero intervals (split on write, populated and returned, written back with awaiting-clean
// lengths, clipped, pages replaced by intervals) and page supply and eviction through TakePages
// and splice lists. Every live list and splice list is registered in the process-wide registry
// (<vmpl/registry.h>) under a name such as `vmo:17/clone-of:3`, `vmo:4/pager` or
// `splice:9/supply-for:vmo:4`.
//
// When to use it. To soak-test the page list and the validator (`vmpl sim --check-every N`), to
// give the inspector, the tracer and the TUI a live, changing population of lists, and in tests
// that need many lists in realistic shapes.
//
// Determinism. Every choice comes from one std::mt19937_64 seeded by SimConfig::seed. Time only
// decides when Run() stops and how it is paced, never what a step does: the same seed and config
// give the same sequence of states, which StateDigest() summarises without raw pointers (pages
// and references are identified by a per-simulator serial number).
//
// Invariants between steps (checked by vmpl::Validate on every list and splice list, which is
// what CheckAll() and SimConfig::check_every do):
//   1. Every simulator step is complete: Slot sentinels made by LookupOrAllocate(SplitInterval)
//      or PopulateSlotsInInterval have been filled or returned before the step ends, so the
//      lists hold no transiently non-maximal interval.
//   2. Anonymous clone trees never hold intervals (the kernel never has intervals in clone trees'
//      hidden parents), so MergeFrom, MergeOnto and TakePages never meet one; TakePages is only
//      applied to skew-0 lists with range ends outside intervals and no sentinel inside.
//   3. Memory stays bounded: pages plus references stay within SimConfig::page_budget after
//      every step, list nodes within SimConfig::node_budget after every 64th; a step that goes
//      over is followed by evictions (and, if those cannot help, clone destruction) until it is
//      back under.
//
// Ownership. The Simulator owns every VMO, list, splice list, page and reference it creates and
// frees all of them in its destructor (vmpl::PageAllocator's counts return to their values before
// it was constructed, and its registry entries disappear). Not thread-safe: one thread drives it;
// other threads may only read the registry.
//
// Synopsis:
//   vmpl::sim::SimConfig config;  config.seed = 7;  config.check_every = 1000;
//   vmpl::sim::Simulator sim(config);
//   sim.Run({.max_ops = 100000});          // or .duration_s, .rate, .stop
//   if (sim.failure()) puts(sim.failure()->ToString().c_str());
//   sim.stats().count(vmpl::sim::OpKind::kCowFork);
//   sim.StateDigest();  sim.Census();  sim.ForEachList([](const ListInfo& l) { ... });

#ifndef VMPL_SIM_H_
#define VMPL_SIM_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/validate.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

class VmPageList;
class VmPageSpliceList;

namespace vmpl::sim {

// ----------------------------------------------------------------------------------------------
// Operation kinds
//
// Each kind counts one kind of page-list mutation. An "action" is a kind the simulator chooses
// directly, with the weight SimConfig::mix gives it; the other kinds happen as part of an action
// (a cow_move is the outcome of a cow_fork action when the sibling already forked, a merge_from
// the collapse after a clone_destroy, ...). The count unit is one per slot changed for per-slot
// kinds (commit, compress, splice_pop, ...) and one per call for range kinds (interval_add,
// take_pages, merge_from, ...).
//
//   X(enumerator, name, default weight; 0 = not an action)   what it does to the page lists
// clang-format off
#define VMPL_SIM_OP_KINDS(X)                                                                     \
  /* Anonymous memory */                                                                       \
  X(kCommit, "commit", 14)                 /* LookupOrAllocate, a new page in an empty slot */ \
  X(kDecommit, "decommit", 5)              /* RemovePages / RemoveContent of a page or ref */  \
  X(kDedupMarker, "dedup_marker", 3)       /* a zero page freed, a marker in its slot */       \
  X(kCompress, "compress", 6)              /* LookupMutable + SwapPageForReference */          \
  X(kDecompress, "decompress", 4)          /* LookupMutable + SwapReferenceForPage */          \
  X(kChangeReference, "change_reference", 2) /* LookupMutable + ChangeReferenceValue */        \
  X(kEvict, "evict", 2)                    /* reclaim: pages and refs of a window dropped */   \
  /* Copy-on-write clone trees */                                                              \
  X(kCowFork, "cow_fork", 10)              /* clone write: copy down, set parent split bit */  \
  X(kCowMove, "cow_move", 0)               /* sibling already forked: the page moves down */   \
  X(kCowRelease, "cow_release", 0)         /* both split bits set: parent's page freed */      \
  X(kCloneCreate, "clone_create", 3)       /* hidden parent takes the list; InitializeSkew */  \
  X(kCloneDestroy, "clone_destroy", 2)     /* clone freed, its hidden parent collapsed */      \
  X(kMergeFrom, "merge_from", 0)           /* collapse: child.MergeFrom(hidden parent) */      \
  X(kMergeOnto, "merge_onto", 0)           /* collapse: child.MergeOnto(hidden parent) */      \
  /* Pager-backed VMOs and dirty zero intervals */                                             \
  X(kIntervalAdd, "interval_add", 6)       /* AddZeroInterval(Dirty) */                        \
  X(kIntervalSplitWrite, "interval_split_write", 4) /* LookupOrAllocate(Split) + a page */     \
  X(kIntervalPopulate, "interval_populate", 3) /* PopulateSlotsInInterval */                   \
  X(kIntervalFill, "interval_fill", 0)     /* a populated Slot overwritten by a page */        \
  X(kIntervalReturnSlot, "interval_return_slot", 0) /* ReturnIntervalSlot, unused Slot */      \
  X(kIntervalWriteback, "interval_writeback", 3) /* SetZeroIntervalAwaitingCleanLength */      \
  X(kIntervalClipStart, "interval_clip_start", 2) /* ClipIntervalStart */                      \
  X(kIntervalClipEnd, "interval_clip_end", 2) /* ClipIntervalEnd */                            \
  X(kReplaceWithInterval, "replace_with_interval", 3) /* ReplacePageWithZeroInterval */        \
  /* Page supply through splice lists */                                                       \
  X(kTakePages, "take_pages", 2)           /* TakePages into a splice list */                  \
  X(kSpliceAppend, "splice_append", 2)     /* public ctor + Append (then Finalize) */          \
  X(kSplicePop, "splice_pop", 4)           /* Pop into the destination list */                 \
  X(kSplicePeekReference, "splice_peek_reference", 0) /* PeekReference, decompressed */
// clang-format on

enum class OpKind : uint8_t {
#define VMPL_SIM_ENUMERATOR(e, name, weight) e,
  VMPL_SIM_OP_KINDS(VMPL_SIM_ENUMERATOR)
#undef VMPL_SIM_ENUMERATOR
};

inline constexpr size_t kNumOpKinds = 0
#define VMPL_SIM_COUNT(e, name, weight) +1
    VMPL_SIM_OP_KINDS(VMPL_SIM_COUNT)
#undef VMPL_SIM_COUNT
    ;

// The name of each kind, in enumerator order ("commit", "cow_fork", ...).
inline constexpr std::array<const char*, kNumOpKinds> kOpKindNames = {
#define VMPL_SIM_NAME(e, name, weight) name,
    VMPL_SIM_OP_KINDS(VMPL_SIM_NAME)
#undef VMPL_SIM_NAME
};

// The default weight of each kind (0 for kinds that are not actions).
inline constexpr std::array<uint32_t, kNumOpKinds> kDefaultMix = {
#define VMPL_SIM_WEIGHT(e, name, weight) weight,
    VMPL_SIM_OP_KINDS(VMPL_SIM_WEIGHT)
#undef VMPL_SIM_WEIGHT
};

inline const char* OpKindName(OpKind kind) { return kOpKindNames[static_cast<size_t>(kind)]; }
// The kind called |name|, if any.
std::optional<OpKind> OpKindFromName(std::string_view name);
// True if |kind| can be given a weight in SimConfig::mix.
inline bool IsAction(OpKind kind) { return kDefaultMix[static_cast<size_t>(kind)] != 0; }

// ----------------------------------------------------------------------------------------------
// Configuration, statistics, results

struct SimConfig {
  // Seed of the one random source every choice comes from.
  uint64_t seed = 1;
  // Root VMOs: a third pager-backed (at least one), the rest anonymous, of which one per pager
  // VMO (while at least one other remains) is an "aux" VMO pages are supplied from, never
  // cloned. At least 2.
  size_t vmos = 8;
  // Largest size of a root VMO in bytes (page aligned, at least 1 MiB). Sizes are drawn
  // log-uniformly between 1 MiB and this; clones lie inside their parent.
  uint64_t max_vmo_size = uint64_t{4} << 30;
  // Pages plus references alive at the end of any step; evictions keep it.
  size_t page_budget = 8192;
  // List nodes (all lists) alive at the end of every 64th step (counting them walks every list);
  // 0 means page_budget.
  size_t node_budget = 0;
  // VMOs (visible and hidden) alive at once; 0 means 8 * vmos.
  size_t max_vmos_total = 0;
  // Deepest clone chain (a root is depth 0).
  size_t max_clone_depth = 6;
  // Weight of each action (indexed by OpKind); non-action kinds must be 0. At least one > 0.
  std::array<uint32_t, kNumOpKinds> mix = kDefaultMix;
  // Validate every list and splice list every this many steps (0: never). Never changes what
  // the steps do.
  uint64_t check_every = 0;

  // An explanation of what is wrong with the config, or "" if it is usable.
  std::string Problem() const;
};

struct SimStats {
  // Mutations per kind, indexed by OpKind.
  std::array<uint64_t, kNumOpKinds> counts{};
  // Steps taken (one action each, plus any evictions the budget needed).
  uint64_t steps = 0;
  // Steps whose action found nothing to act on (and so changed nothing).
  uint64_t idle_steps = 0;
  // Per action kind: how often it was chosen, and how often of those it found nothing to do.
  std::array<uint64_t, kNumOpKinds> chosen{};
  std::array<uint64_t, kNumOpKinds> idle{};
  // Validation passes run (each validates every live list and splice list) and lists validated.
  uint64_t checks = 0;
  uint64_t lists_validated = 0;
  // Steps that ended over the page or node budget, and so ran reclaim (counted as evict).
  uint64_t budget_reclaims = 0;
  // Pages and references alive now, and the most alive at the end of a step.
  uint64_t live_pages = 0;
  uint64_t live_references = 0;
  uint64_t peak_pages_and_references = 0;

  uint64_t count(OpKind kind) const { return counts[static_cast<size_t>(kind)]; }
  // Name of counts[i].
  static const char* Name(size_t i) { return kOpKindNames[i]; }
  uint64_t total() const;
};

// What the live lists hold, counted by walking them.
struct Census {
  size_t visible_vmos = 0;  // anonymous and pager VMOs a user would see
  size_t hidden_vmos = 0;   // hidden parents of clone trees
  size_t pager_vmos = 0;    // of the visible ones, pager-backed
  size_t lists = 0;         // VmPageLists (one per VMO)
  size_t splice_lists = 0;  // pending VmPageSpliceLists
  size_t skewed_lists = 0;  // lists with a non-zero skew
  uint64_t pages = 0;       // in lists and splice lists
  uint64_t references = 0;
  uint64_t markers = 0;
  uint64_t intervals = 0;   // zero intervals (one per Start or Slot sentinel)
  uint64_t nodes = 0;       // list nodes (splice lists' middle nodes included)
  uint64_t heap_bytes = 0;  // nodes * sizeof(VmPageListNode)
};

// The first validation failure: which list, at which step, and what Validate reported.
struct CheckFailure {
  uint64_t seed = 0;
  // The failing check ran after this step (1-based); the violation appeared after the previous
  // check (step - check_every) and at or before this step.
  uint64_t step = 0;
  std::string list_name;
  std::vector<Violation> violations;

  std::string ToString() const;
};

enum class VmoKind : uint8_t { kAnonymous, kPager, kHidden };
const char* VmoKindName(VmoKind kind);

// A read-only view of one live list, for printers and tests.
struct ListInfo {
  uint64_t vmo_id = 0;
  VmoKind kind = VmoKind::kAnonymous;
  std::string_view name;       // the registry name, e.g. "vmo:17/clone-of:3"
  uint64_t registry_id = 0;    // ScopedRegistration::id()
  uint64_t parent_id = 0;      // 0 for a root
  uint64_t parent_offset = 0;  // where this VMO's offset 0 lies in its parent
  uint64_t size = 0;           // bytes
  const VmPageList* list = nullptr;
};

// A read-only view of one pending splice list.
struct SpliceInfo {
  uint64_t splice_id = 0;
  std::string_view name;  // e.g. "splice:9/supply-for:vmo:4"
  uint64_t registry_id = 0;
  uint64_t destination_vmo = 0;     // 0 if the destination is gone (popped content is freed)
  uint64_t destination_offset = 0;  // where the splice list's offset() lands in the destination
  const VmPageSpliceList* splice = nullptr;
};

struct RunLimits {
  // Steps to take in this call; 0 means no limit.
  uint64_t max_ops = 0;
  // Seconds to run; 0 means no limit.
  double duration_s = 0;
  // Steps per second; 0 means flat out.
  double rate = 0;
  // Polled between steps (every few steps); returning true stops the run.
  std::function<bool()> stop = nullptr;
  // Called about every progress_interval_s seconds with the elapsed time.
  std::function<void(double elapsed_s)> progress = nullptr;
  double progress_interval_s = 0.5;
  // Called after every step (e.g. to drain a trace ring the process reads itself).
  std::function<void()> after_step = nullptr;
};

struct RunResult {
  uint64_t steps = 0;  // steps taken by this call
  double elapsed_s = 0;
  bool violation = false;  // stopped by a validation failure (see Simulator::failure())
};

// ----------------------------------------------------------------------------------------------
// Simulator

class Simulator {
 public:
  // |config| must be usable (config.Problem() is empty); asserts otherwise.
  explicit Simulator(SimConfig config);
  // Frees every page, reference, list and splice list, and unregisters them.
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Takes one step: one action chosen by the mix, then evictions if over budget, then the
  // validation pass if one is due. Returns false if that validation found a violation (also after
  // one was found earlier: a failed simulator keeps running but the first failure is kept).
  bool Step();

  // Takes steps until a limit is reached, |limits.stop| says so, or a validation fails.
  RunResult Run(const RunLimits& limits);

  // Validates every live list and splice list now; records and returns the first failure.
  std::optional<CheckFailure> CheckAll();

  const SimConfig& config() const;
  const SimStats& stats() const;
  // The first validation failure, if any.
  const std::optional<CheckFailure>& failure() const;

  // A 64-bit digest of the state of every VMO (id, kind, tree position, size, skew) and every
  // slot of its list (offset, kind, page/reference serial numbers, split bits, interval sentinel,
  // dirty state and awaiting-clean length), and of every pending splice list. No raw pointers or
  // physical addresses: two simulators with the same config reach the same digest.
  uint64_t StateDigest() const;

  // Walks every list and splice list and counts what they hold.
  Census TakeCensus() const;

  // Calls |fn| for every live list, in VMO id order (hidden parents included).
  void ForEachList(const std::function<void(const ListInfo&)>& fn) const;
  // Calls |fn| for every pending splice list, oldest first.
  void ForEachSplice(const std::function<void(const SpliceInfo&)>& fn) const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vmpl::sim

#endif  // VMPL_SIM_H_
