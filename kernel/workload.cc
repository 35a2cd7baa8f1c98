// The kernel's workload (see workload.h).

#include "workload.h"

#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/page_reference.h>
#include <zircon/errors.h>

#include "arch/console.h"
#include "platform/pmm.h"
#include "platform/registry.h"

namespace vmpl::kernel {
namespace {

constexpr uint64_t kPage = PAGE_SIZE;
constexpr size_t kMaxVmos = 12;
constexpr size_t kMaxSplices = 3;
constexpr size_t kNameBytes = 48;

enum class VmoKind : uint8_t { kFree, kAnon, kPager, kClone };

struct Vmo {
  VmoKind kind = VmoKind::kFree;
  VmPageList* list = nullptr;
  uint64_t registry_id = 0;
  uint64_t number = 0;  // the N of "vmo:N"
  uint64_t size = 0;
  uint64_t hot = 0;            // start of the region most operations touch
  uint32_t hot_percent = 75;   // how often they touch it
  Vmo* parent = nullptr;       // a clone's root
  uint64_t parent_offset = 0;  // where the clone starts in it
  uint32_t clones = 0;         // a root's live clones
  // Whether clones are made of it. Collapsing a clone skews its root's list, and TakePages
  // needs an unskewed one, so some roots are never cloned.
  bool cloneable = true;
};

struct PendingSplice {
  VmPageSpliceList* splice = nullptr;
  uint64_t registry_id = 0;
  Vmo* destination = nullptr;
  uint64_t destination_offset = 0;
};

struct Workload {
  WorkloadConfig config;
  uint64_t rng = 1;
  Vmo vmos[kMaxVmos];
  PendingSplice splices[kMaxSplices];
  uint64_t next_vmo_number = 1;
  uint64_t next_splice_number = 1;
  WorkloadStats stats;
};

Workload g;

// ------------------------------------------------------------------------------------------------
// Choices

uint64_t Next() {  // xorshift64*
  g.rng ^= g.rng >> 12;
  g.rng ^= g.rng << 25;
  g.rng ^= g.rng >> 27;
  return g.rng * 0x2545F4914F6CDD1Dull;
}
uint64_t Between(uint64_t low, uint64_t high) { return low + Next() % (high - low + 1); }
bool Chance(uint32_t percent) { return Next() % 100 < percent; }

uint64_t PickOffset(const Vmo& vmo) {
  const uint64_t pages = vmo.size / kPage;
  if (Chance(vmo.hot_percent)) {
    const uint64_t offset = vmo.hot + Between(0, 255) * kPage;
    if (offset < vmo.size) {
      return offset;
    }
  }
  return Between(0, pages - 1) * kPage;
}

// A live VMO for which |wanted| holds, or null after a few tries.
template <typename F>
Vmo* PickVmo(F wanted) {
  for (int attempt = 0; attempt < 8; attempt++) {
    Vmo& vmo = g.vmos[Next() % kMaxVmos];
    if (vmo.kind != VmoKind::kFree && wanted(vmo)) {
      return &vmo;
    }
  }
  return nullptr;
}

bool IsAnonOrClone(const Vmo& vmo) {
  return vmo.kind == VmoKind::kAnon || vmo.kind == VmoKind::kClone;
}
bool IsPager(const Vmo& vmo) { return vmo.kind == VmoKind::kPager; }

// ------------------------------------------------------------------------------------------------
// Content

vm_page_t* NewPage() {
  if (g.stats.pages_held >= g.config.page_budget) {
    return nullptr;
  }
  vm_page_t* page = nullptr;
  if (pmm_alloc_page(0, &page) != ZX_OK) {
    return nullptr;
  }
  g.stats.pages_held++;
  return page;
}

void FreePage(vm_page_t* page) {
  pmm_free_page(page);
  g.stats.pages_held--;
}

VmPageOrMarker::ReferenceValue NewReference() {
  g.stats.references_held++;
  return VmPageOrMarker::ReferenceValue(PmmAllocReference());
}

void FreeReferenceValue(VmPageOrMarker::ReferenceValue reference) {
  vmpl::FreeReference(reference.value());
  g.stats.references_held--;
}

// Gives back whatever |content| owns and leaves it empty.
void FreeContent(VmPageOrMarker& content) {
  if (content.IsPage()) {
    FreePage(content.ReleasePage());
  } else if (content.IsReference()) {
    FreeReferenceValue(content.ReleaseReference());
  } else {
    content = VmPageOrMarker::Empty();
  }
}

// ------------------------------------------------------------------------------------------------
// Objects

Vmo* FreeVmoSlot() {
  for (Vmo& vmo : g.vmos) {
    if (vmo.kind == VmoKind::kFree) {
      return &vmo;
    }
  }
  return nullptr;
}

void NameOf(const Vmo& vmo, char (&name)[kNameBytes]) {
  switch (vmo.kind) {
    case VmoKind::kAnon:
      ksnprintf(name, sizeof(name), "vmo:%lu/anon", vmo.number);
      break;
    case VmoKind::kPager:
      ksnprintf(name, sizeof(name), "vmo:%lu/pager", vmo.number);
      break;
    case VmoKind::kClone:
      ksnprintf(name, sizeof(name), "vmo:%lu/clone-of:%lu@%#lx", vmo.number, vmo.parent->number,
                vmo.parent_offset);
      break;
    case VmoKind::kFree:
      name[0] = '\0';
      break;
  }
}

void RegisterVmo(Vmo& vmo) {
  char name[kNameBytes];
  NameOf(vmo, name);
  vmo.registry_id = RegistryRegister(ListKind::kPageList, vmo.list, name);
}

void CreateRoot(VmoKind kind, uint64_t size, uint32_t hot_percent, bool cloneable) {
  Vmo* vmo = FreeVmoSlot();
  ASSERT(vmo != nullptr);
  vmo->kind = kind;
  vmo->list = new VmPageList();
  vmo->number = g.next_vmo_number++;
  vmo->size = size;
  vmo->hot_percent = hot_percent;
  vmo->cloneable = cloneable;
  vmo->hot = Between(0, size / kPage - 1) * kPage;
  RegisterVmo(*vmo);
}

// ------------------------------------------------------------------------------------------------
// Operations. Each returns whether it changed anything.

// Writes pages into a run of an anonymous VMO, a clone, or (outside its intervals) a pager VMO.
bool Commit() {
  Vmo* vmo = Chance(20) ? PickVmo(IsPager) : PickVmo(IsAnonOrClone);
  if (vmo == nullptr) {
    return false;
  }
  const auto handling = vmo->kind == VmoKind::kPager
                            ? VmPageList::IntervalHandling::CheckForInterval
                            : VmPageList::IntervalHandling::NoIntervals;
  const uint64_t start = PickOffset(*vmo);
  const uint64_t pages = Between(1, 16);
  bool committed = false;
  for (uint64_t offset = start; offset < start + pages * kPage && offset < vmo->size;
       offset += kPage) {
    const VmPageOrMarker* existing = vmo->list->Lookup(offset);
    if (existing != nullptr && (existing->IsPageOrRef() || existing->IsInterval())) {
      continue;
    }
    auto [slot, in_interval] = vmo->list->LookupOrAllocate(offset, handling);
    if (slot == nullptr || in_interval) {
      continue;
    }
    vm_page_t* page = NewPage();
    if (page == nullptr) {
      if (slot->IsEmpty()) {
        vmo->list->ReturnEmptySlot(offset);
      }
      break;
    }
    *slot = VmPageOrMarker::Page(page);  // over an empty slot or a zero page marker
    committed = true;
  }
  return committed;
}

// Empties a range of an anonymous VMO or a clone.
bool Decommit() {
  Vmo* vmo = PickVmo(IsAnonOrClone);
  if (vmo == nullptr) {
    return false;
  }
  const uint64_t start = PickOffset(*vmo);
  uint64_t end = start + Between(1, 64) * kPage;
  end = end < vmo->size ? end : vmo->size;
  vmo->list->RemovePages(
      [](VmPageOrMarker* slot, uint64_t) {
        FreeContent(*slot);
        return ZX_ERR_NEXT;
      },
      start, end);
  return true;
}

// Swaps a page for a compressed reference (its split bits move with it).
bool Compress() {
  Vmo* vmo = PickVmo(IsAnonOrClone);
  if (vmo == nullptr) {
    return false;
  }
  VmPageOrMarkerRef slot = vmo->list->LookupMutable(PickOffset(*vmo));
  if (!slot || !slot->IsPage()) {
    return false;
  }
  FreePage(slot.SwapPageForReference(NewReference()));
  return true;
}

bool Decompress() {
  Vmo* vmo = PickVmo(IsAnonOrClone);
  if (vmo == nullptr) {
    return false;
  }
  VmPageOrMarkerRef slot = vmo->list->LookupMutable(PickOffset(*vmo));
  if (!slot || !slot->IsReference()) {
    return false;
  }
  vm_page_t* page = NewPage();
  if (page == nullptr) {
    return false;
  }
  FreeReferenceValue(slot.SwapReferenceForPage(page));
  return true;
}

// A zero page marker where there is nothing (as a clone gets where it must read zeros).
bool Marker() {
  Vmo* vmo = PickVmo(IsAnonOrClone);
  if (vmo == nullptr) {
    return false;
  }
  const uint64_t offset = PickOffset(*vmo);
  auto [slot, in_interval] =
      vmo->list->LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
  if (slot == nullptr || !slot->IsEmpty()) {
    return false;
  }
  *slot = VmPageOrMarker::Marker();
  return true;
}

// A pager VMO learns that a range it never supplied reads as zeros: a zero interval, kept one
// page away from any content or other interval so that intervals never touch.
bool IntervalAdd() {
  Vmo* vmo = PickVmo(IsPager);
  if (vmo == nullptr) {
    return false;
  }
  const uint64_t start = PickOffset(*vmo);
  uint64_t end = start + (Chance(50) ? Between(1, 4) : Between(1, 32)) * kPage;
  end = end < vmo->size ? end : vmo->size;
  const uint64_t low = start >= kPage ? start - kPage : 0;
  const uint64_t high = end + kPage < vmo->size ? end + kPage : vmo->size;
  if (start >= end || vmo->list->AnyPagesOrIntervalsInRange(low, high)) {
    return false;
  }
  return vmo->list->AddZeroInterval(start, end, VmPageOrMarker::IntervalDirtyState::Dirty) == ZX_OK;
}

// A write into a zero interval: the interval splits around the page written.
bool IntervalWrite() {
  Vmo* vmo = PickVmo(IsPager);
  if (vmo == nullptr) {
    return false;
  }
  for (int attempt = 0; attempt < 8; attempt++) {
    const uint64_t offset = PickOffset(*vmo);
    if (!vmo->list->IsOffsetInZeroInterval(offset)) {
      continue;
    }
    auto [slot, in_interval] =
        vmo->list->LookupOrAllocate(offset, VmPageList::IntervalHandling::SplitInterval);
    if (slot == nullptr) {
      return false;
    }
    DEBUG_ASSERT(in_interval && slot->IsIntervalSlot());
    vm_page_t* page = NewPage();
    if (page == nullptr) {
      vmo->list->ReturnIntervalSlot(offset);
      return false;
    }
    *slot = VmPageOrMarker::Page(page);
    return true;
  }
  return false;
}

// The pager's page is evicted: it is clean, the pager can supply it again.
bool Evict() {
  Vmo* vmo = PickVmo(IsPager);
  if (vmo == nullptr) {
    return false;
  }
  const uint64_t offset = PickOffset(*vmo);
  const VmPageOrMarker* existing = vmo->list->Lookup(offset);
  if (existing == nullptr || !existing->IsPage()) {
    return false;
  }
  VmPageOrMarker content = vmo->list->RemoveContent(offset);
  FreeContent(content);
  return true;
}

// Pages taken out of an anonymous root with TakePages, to be supplied to another root later.
bool TakePages() {
  PendingSplice* pending = nullptr;
  for (PendingSplice& candidate : g.splices) {
    if (candidate.splice == nullptr) {
      pending = &candidate;
      break;
    }
  }
  auto unskewed_root = [](const Vmo& vmo) {
    return vmo.kind == VmoKind::kAnon && vmo.list->GetSkew() == 0;
  };
  Vmo* source = PickVmo(unskewed_root);
  Vmo* destination = PickVmo([](const Vmo& vmo) { return vmo.kind == VmoKind::kAnon; });
  if (pending == nullptr || source == nullptr || destination == nullptr || destination == source) {
    return false;
  }
  const uint64_t start = PickOffset(*source);
  uint64_t length = Between(1, 64) * kPage;
  length = start + length <= source->size ? length : source->size - start;
  pending->splice = new VmPageSpliceList(source->list->TakePages(start, length));
  pending->destination = destination;
  pending->destination_offset = PickOffset(*destination);
  char name[kNameBytes];
  ksnprintf(name, sizeof(name), "splice:%lu/from:vmo:%lu/for:vmo:%lu", g.next_splice_number++,
            source->number, destination->number);
  pending->registry_id = RegistryRegister(ListKind::kSpliceList, pending->splice, name);
  g.stats.splices_taken++;
  return true;
}

// Supplies a pending splice's content, slot by slot, to its destination where that is empty;
// what cannot be placed is freed.
bool DrainSplice() {
  PendingSplice& pending = g.splices[Next() % kMaxSplices];
  if (pending.splice == nullptr) {
    return false;
  }
  Vmo& destination = *pending.destination;
  while (!pending.splice->IsProcessed()) {
    const uint64_t offset = pending.destination_offset + pending.splice->Position();
    VmPageOrMarker content = pending.splice->Pop();
    if (content.IsEmpty()) {
      continue;
    }
    if (offset < destination.size) {
      auto [slot, in_interval] =
          destination.list->LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
      if (slot != nullptr && slot->IsEmpty()) {
        *slot = ktl::move(content);
        continue;
      }
    }
    FreeContent(content);
  }
  RegistryUnregister(pending.registry_id);
  delete pending.splice;
  pending = PendingSplice{};
  g.stats.splices_drained++;
  return true;
}

// A clone of an anonymous root, usually at an offset that is not a multiple of a node's span,
// so its list is skewed against its parent's.
bool CloneCreate() {
  Vmo* clone = FreeVmoSlot();
  Vmo* parent = PickVmo(
      [](const Vmo& vmo) { return vmo.kind == VmoKind::kAnon && vmo.cloneable && vmo.clones < 2; });
  if (clone == nullptr || parent == nullptr) {
    return false;
  }
  const uint64_t offset = Between(0, 255) * kPage % parent->size;
  clone->kind = VmoKind::kClone;
  clone->parent = parent;
  clone->parent_offset = offset;
  clone->number = g.next_vmo_number++;
  clone->size = parent->size - offset;
  clone->hot = parent->hot >= offset ? parent->hot - offset : 0;
  clone->hot_percent = parent->hot_percent;
  clone->list = new VmPageList();
  clone->list->InitializeSkew(parent->list->GetSkew(), offset);
  RegisterVmo(*clone);
  parent->clones++;
  g.stats.clones_made++;
  return true;
}

void ForgetVmo(Vmo& vmo) {
  RegistryUnregister(vmo.registry_id);
  delete vmo.list;
  vmo = Vmo{};
}

bool CloneDestroy() {
  Vmo* clone = PickVmo([](const Vmo& vmo) { return vmo.kind == VmoKind::kClone; });
  if (clone == nullptr) {
    return false;
  }
  clone->list->RemoveAllContent([](VmPageOrMarker&& content) {
    VmPageOrMarker owned = ktl::move(content);
    FreeContent(owned);
  });
  clone->parent->clones--;
  ForgetVmo(*clone);
  return true;
}

// The root's only clone absorbs it (MergeFrom: the clone's content wins, the root's moves over
// where the clone has none, the rest is freed) and takes its place as the root.
bool CloneCollapse() {
  Vmo* clone = PickVmo(
      [](const Vmo& vmo) { return vmo.kind == VmoKind::kClone && vmo.parent->clones == 1; });
  if (clone == nullptr) {
    return false;
  }
  Vmo& root = *clone->parent;
  clone->list->MergeFrom(
      *root.list, clone->parent_offset, clone->parent_offset + clone->size,
      [](VmPageOrMarker&& content, uint64_t) {
        VmPageOrMarker released = ktl::move(content);
        FreeContent(released);
      },
      [](VmPageOrMarker* content, uint64_t) {
        content->SetPageOrRefLeftSplit(false);
        content->SetPageOrRefRightSplit(false);
      });
  DEBUG_ASSERT(root.list->IsEmpty());
  for (PendingSplice& pending : g.splices) {
    if (pending.destination == clone) {
      pending.destination = &root;
    }
  }
  Vmo merged = *clone;
  merged.kind = VmoKind::kAnon;
  merged.parent = nullptr;
  merged.parent_offset = 0;
  merged.clones = 0;
  ForgetVmo(root);
  RegistryUnregister(clone->registry_id);
  *clone = Vmo{};
  root = merged;
  RegisterVmo(root);
  g.stats.clones_collapsed++;
  return true;
}

struct Operation {
  bool (*run)();
  uint32_t weight;
};

constexpr Operation kOperations[] = {
    {Commit, 30},     {Decommit, 10},     {Compress, 6},      {Decompress, 3}, {Marker, 4},
    {IntervalAdd, 6}, {IntervalWrite, 6}, {Evict, 4},         {TakePages, 2},  {DrainSplice, 1},
    {CloneCreate, 2}, {CloneDestroy, 1},  {CloneCollapse, 1},
};

constexpr uint32_t TotalWeight() {
  uint32_t total = 0;
  for (const Operation& operation : kOperations) {
    total += operation.weight;
  }
  return total;
}

}  // namespace

void WorkloadStart(const WorkloadConfig& config) {
  g.config = config;
  g.rng = config.seed == 0 ? 1 : config.seed;
  CreateRoot(VmoKind::kAnon, uint64_t{4} << 20, 75, /*cloneable=*/false);
  CreateRoot(VmoKind::kAnon, uint64_t{16} << 20, 75, true);
  // Sparse and large: its list grows past NodeTable::kMinNodes, so the node table is used.
  CreateRoot(VmoKind::kAnon, uint64_t{1} << 30, 10, true);
  CreateRoot(VmoKind::kAnon, uint64_t{2} << 20, 75, /*cloneable=*/false);
  CreateRoot(VmoKind::kPager, uint64_t{8} << 20, 75, false);
  CreateRoot(VmoKind::kPager, uint64_t{32} << 20, 50, false);
}

void WorkloadStep() {
  // Near the budget, give pages back first.
  if (g.stats.pages_held * 10 >= g.config.page_budget * 9 && Chance(50)) {
    Decommit();
  } else {
    uint32_t pick = static_cast<uint32_t>(Next() % TotalWeight());
    for (const Operation& operation : kOperations) {
      if (pick < operation.weight) {
        operation.run();
        break;
      }
      pick -= operation.weight;
    }
  }
  g.stats.steps++;
}

WorkloadStats GetWorkloadStats() { return g.stats; }

}  // namespace vmpl::kernel
