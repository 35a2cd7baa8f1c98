// Internals of vmpl::sim::Simulator (<vmpl/sim.h>), shared by the files of core/src/sim/:
//
//   vmo.cc        the VMO model: VMOs, clone trees, pages and references with serial numbers,
//                 offset choice, slot searches, the census and the state digest
//   ops_anon.cc   commit, decommit, zero-page dedup, compression, copy-on-write forks, eviction
//   ops_pager.cc  pager-backed VMOs: zero intervals added, split by writes, populated and
//                 returned, written back, clipped, and pages replaced by intervals
//   ops_splice.cc TakePages and hand-built splice lists, popped into a destination list
//   ops_clone.cc  clone creation (hidden parents, skewed children) and collapse (MergeFrom,
//                 MergeOnto)
//   simulator.cc  the step loop, the op mix, the budget, validation, stats and Run()
//
// The model. A VMO is one of
//   anonymous  a visible VMO whose pages are committed by writes; a root or a leaf of a clone tree;
//              some roots are "aux" VMOs, never cloned, that TakePages supplies pager VMOs from
//   pager      a visible, skew-0 root backed by a (simulated) user pager: pages supplied through
//              splice lists, dirty zero intervals for ranges written as zero; never cloned
//   hidden     the hidden parent of a clone tree (kernel VmCowPages' hidden node): exactly two
//              children (left = the VMO that was cloned, right = the clone), no intervals
// Cloning visible V makes a hidden H that takes V's list (the list object, so its address and
// registration stay, renamed), takes V's place in the tree, and gets V (at offset 0) and the new
// clone C (at any page-aligned offset, usually not a multiple of 64 KiB) as children, whose fresh
// lists get InitializeSkew(H's skew, offset). Visible VMOs are therefore always leaves.
//
// Copy-on-write. A page in a hidden node is shared by both subtrees until a child forks it. A
// write by a descendant D at an offset whose nearest content is a page or reference in ancestor
// A walks from A down to D: at each hidden level, if the other child's split bit is already set
// the page moves down (cow_move), otherwise a copy goes down and this child's split bit is set
// on the parent's page (cow_fork). A decommit or dedup in a child whose parent holds a page there
// leaves a marker in the child and sets the child's split bit; a parent page with both bits set
// is needed by no one and is freed (cow_release). Pages in visible VMOs carry no split bits.

#ifndef VMPL_CORE_SRC_SIM_SIM_INTERNAL_H_
#define VMPL_CORE_SRC_SIM_SIM_INTERNAL_H_

#include <stdint.h>
#include <vm/vm_page_list.h>
#include <vmpl/registry.h>
#include <vmpl/sim.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vmpl::sim {

inline constexpr uint64_t kPage = PAGE_SIZE;
inline constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * kPage;

using IntervalHandling = VmPageList::IntervalHandling;
using DirtyState = VmPageOrMarker::IntervalDirtyState;

// A list and its registry entry travel together: when a hidden parent takes a VMO's list, both
// move (the list object itself never moves, so its address stays valid).
struct OwnedList {
  std::unique_ptr<VmPageList> list;
  ScopedRegistration registration;
};

struct Vmo {
  uint64_t id = 0;
  VmoKind kind = VmoKind::kAnonymous;
  // Hidden parent (nullptr for a root) and where this VMO's offset 0 lies in it.
  Vmo* parent = nullptr;
  uint64_t parent_offset = 0;
  uint64_t size = 0;
  // Hidden VMOs: [0] left (the VMO that was cloned), [1] right (the clone).
  Vmo* children[2] = {nullptr, nullptr};
  // The VMO this one was cloned from (0 if not a clone), for its name.
  uint64_t clone_of = 0;
  // An anonymous root kept for a pager's page supply (TakePages needs skew 0): never cloned.
  bool aux = false;
  // Distance from the root of its tree.
  size_t depth = 0;
  // Page-aligned starts of the regions most offsets are drawn from (kHotPages pages each).
  std::vector<uint64_t> hot;
  OwnedList owned;
  std::string name;

  VmPageList& list() { return *owned.list; }
  const VmPageList& list() const { return *owned.list; }
  bool visible() const { return kind != VmoKind::kHidden; }
  // Index of this VMO among its parent's children.
  int side() const { return parent->children[0] == this ? 0 : 1; }
};

// A splice list waiting to be popped into its destination.
struct PendingSplice {
  uint64_t id = 0;
  std::unique_ptr<VmPageSpliceList> splice;
  ScopedRegistration registration;
  std::string name;
  uint64_t destination_vmo = 0;
  uint64_t destination_offset = 0;
};

// Where content visible to a VMO at some offset comes from.
struct Ancestor {
  Vmo* vmo = nullptr;
  uint64_t offset = 0;       // in |vmo|'s coordinates
  bool page_or_ref = false;  // false: a marker (the content reads as zero)
};

class Simulator::Impl {
 public:
  explicit Impl(SimConfig config);
  ~Impl();

  // ---- simulator.cc: the loop
  bool Step();
  RunResult Run(const RunLimits& limits);
  std::optional<CheckFailure> CheckAll();

  SimConfig config_;
  SimStats stats_;
  std::optional<CheckFailure> failure_;

  // ---- vmo.cc: the model
  // Random numbers. Modulo keeps results identical across standard libraries.
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + rng_() % (hi - lo + 1); }
  bool Chance(unsigned percent) { return rng_() % 100 < percent; }
  template <typename T>
  T* Pick(const std::vector<T*>& v) {
    return v.empty() ? nullptr : v[rng_() % v.size()];
  }

  // Pages and references, each with a serial number for the digest.
  vm_page_t* NewPage();
  void FreePage(vm_page_t* page);
  VmPageOrMarker::ReferenceValue NewReference();
  void FreeReference(VmPageOrMarker::ReferenceValue ref);
  // Frees a page or reference held by |content| (markers and empties are dropped).
  void FreeContent(VmPageOrMarker& content);
  // Accounting for content freed behind our back (VmPageSpliceList::Append on failure).
  void ForgetPage(const vm_page_t* page);
  void ForgetReference(uint64_t value);
  uint64_t PageSerial(const vm_page_t* page) const;
  uint64_t ReferenceSerial(uint64_t value) const;

  Vmo* CreateRoot(VmoKind kind, bool aux = false);
  // Frees |vmo|'s content and forgets it (it must have no children).
  void DestroyVmo(Vmo* vmo);
  void Rename(Vmo* vmo);
  Vmo* FindVmo(uint64_t id) const;
  void AddToIndexes(Vmo* vmo);
  void RemoveFromIndexes(Vmo* vmo);
  void RecomputeDepth(Vmo* vmo, size_t depth);
  size_t TotalNodes() const;

  uint64_t PickOffset(const Vmo& vmo);
  // Nearest ancestor of |vmo| holding a non-empty slot at |offset| (in |vmo|'s coordinates).
  std::optional<Ancestor> ContentAbove(const Vmo& vmo, uint64_t offset) const;
  // The first populated slot in [start, limit) satisfying |pred|, then (wrapping once) in
  // [lo, start), visiting at most |max_visits| populated slots.
  std::optional<uint64_t> FindSlot(const VmPageList& list, uint64_t lo, uint64_t start,
                                   uint64_t limit,
                                   const std::function<bool(const VmPageOrMarker&, uint64_t)>& pred,
                                   size_t max_visits = 512) const;
  // The first populated slot in [start, limit), or nullopt.
  std::optional<std::pair<uint64_t, const VmPageOrMarker*>> FirstPopulated(const VmPageList& list,
                                                                           uint64_t start,
                                                                           uint64_t limit) const;
  // Finds an interval at or after a random point of |vmo| (wrapping once): its Start (or Slot)
  // offset and the offset of its End (equal for a Slot).
  std::optional<std::pair<uint64_t, uint64_t>> FindInterval(const Vmo& vmo, uint64_t min_pages = 1);
  // A pager VMO and one of its intervals of at least |min_pages| pages: the prologue of every
  // interval operation (Pick, then FindInterval, so the random draws keep their order).
  struct PickedInterval {
    Vmo* vmo;
    uint64_t start;  // offset of the Start (or Slot)
    uint64_t last;   // offset of the End (== start for a Slot)
    uint64_t pages() const { return (last - start) / kPage + 1; }
  };
  std::optional<PickedInterval> PickPagerInterval(uint64_t min_pages = 1);
  // Moves |start| forward and |end| forward so that neither end of [start, end) cuts an
  // interval. Returns false if the range became empty.
  bool AdjustOutsideIntervals(const VmPageList& list, uint64_t& start, uint64_t& end) const;
  // True if [start, end) holds no interval sentinel and neither end is inside an interval.
  bool RangeFreeOfIntervals(const VmPageList& list, uint64_t start, uint64_t end) const;

  // Puts |content| (a page, reference or marker) into |vmo| at |offset| if the slot there is free
  // (empty, not in an interval; a marker may be overwritten by a page or reference). Otherwise
  // frees it. Returns true if it was placed.
  bool Place(Vmo& vmo, uint64_t offset, VmPageOrMarker content);

  uint64_t StateDigest() const;
  Census TakeCensus() const;

  void Count(OpKind kind, uint64_t n = 1) { stats_.counts[static_cast<size_t>(kind)] += n; }

  // ---- ops_anon.cc (each returns true if it changed something)
  bool OpCommit();
  bool OpDecommit();
  bool OpDedupMarker();
  bool OpCompress();
  bool OpDecompress();
  bool OpChangeReference();
  bool OpCowFork();
  bool OpEvict();
  // Drops the content of [start, end) of |vmo| the way a decommit does (markers where an ancestor
  // still has content, split bits and cow_release in the parent); counts |kind| per page/ref.
  uint64_t DropRange(Vmo& vmo, uint64_t start, uint64_t end, OpKind kind);
  // Forks content of |path[0]| at |offset0| down to the last element of |path|.
  void ForkDown(const std::vector<Vmo*>& path, uint64_t offset0);
  // Records in |vmo|'s parent that |vmo| no longer needs its content at |offset| (a marker or
  // its own copy shadows it): sets the split bit, frees the page if both are set.
  void ReleaseParentContent(Vmo& vmo, uint64_t offset);
  // A random list holding a slot satisfying |pred| (anonymous, optionally hidden ones too).
  std::optional<std::pair<Vmo*, uint64_t>> FindContent(
      bool include_hidden, bool include_pager,
      const std::function<bool(const VmPageOrMarker&, uint64_t)>& pred);

  // ---- ops_pager.cc
  bool OpIntervalAdd();
  bool OpIntervalSplitWrite();
  bool OpIntervalPopulate();
  bool OpIntervalWriteback();
  bool OpIntervalClipStart();
  bool OpIntervalClipEnd();
  bool OpReplaceWithInterval();

  // ---- ops_splice.cc
  bool OpTakePages();
  bool OpSpliceAppend();
  bool OpSplicePop();
  // Pops everything left in |pending| into its destination and destroys it.
  void DrainSplice(size_t index, bool free_everything);
  PendingSplice& AddPending(std::unique_ptr<VmPageSpliceList> splice, std::string role,
                            uint64_t destination_vmo, uint64_t destination_offset);
  static constexpr size_t kMaxPendingSplices = 4;

  // ---- ops_clone.cc
  bool OpCloneCreate();
  bool OpCloneDestroy();
  // Destroys visible |vmo| (a clone, or a VMO created as a root that has since been cloned) and
  // collapses its hidden parent into the sibling. A VMO created as a root is replaced by a new
  // root.
  Vmo* PickDestroyable();
  void DestroyClone(Vmo* vmo);
  void CollapseInto(Vmo* hidden, Vmo* child);

  // ---- simulator.cc
  bool RunAction(OpKind kind);
  void EnforceBudget(bool check_nodes);
  static constexpr uint64_t kNodeCheckSteps = 64;
  size_t node_budget() const;

  std::mt19937_64 rng_;
  uint64_t next_vmo_id_ = 1;
  uint64_t next_splice_id_ = 1;
  // Every VMO by id (id order makes walks deterministic).
  std::map<uint64_t, std::unique_ptr<Vmo>> vmos_;
  // Indexes for random choice (insertion order, swap-removal: deterministic).
  std::vector<Vmo*> anon_visible_;
  std::vector<Vmo*> anon_clones_;  // visible anonymous VMOs that have a parent
  std::vector<Vmo*> anon_roots_;   // visible anonymous VMOs without a parent
  std::vector<Vmo*> pagers_;
  std::vector<Vmo*> hidden_;
  std::vector<PendingSplice> pending_;
  // Cumulative action weights, for the mix.
  std::vector<std::pair<uint64_t, OpKind>> cumulative_;
  uint64_t total_weight_ = 0;

  // Serial numbers of live pages and references.
  uint64_t next_serial_ = 1;
  std::unordered_map<const vm_page_t*, uint64_t> page_serial_;
  std::unordered_map<uint64_t, uint64_t> reference_serial_;
  // PageAllocator counts when the simulator started (for the destructor's sanity check).
  size_t pages_at_start_ = 0;
  size_t references_at_start_ = 0;

  static constexpr uint64_t kHotPages = 2048;
};

}  // namespace vmpl::sim

#endif  // VMPL_CORE_SRC_SIM_SIM_INTERNAL_H_
