// Clone trees: creation (a hidden parent takes the cloned VMO's list; both children get fresh,
// skewed lists) and destruction with collapse of the hidden parent into its only remaining child
// (MergeFrom, or MergeOnto when the child sits at offset 0 and so has the parent's skew).

#include <stdio.h>
#include <vm/pmm.h>
#include <zircon/errors.h>

#include <algorithm>

#include "sim_internal.h"

namespace vmpl::sim {

bool Simulator::Impl::OpCloneCreate() {
  const size_t max_total = config_.max_vmos_total != 0 ? config_.max_vmos_total : 8 * config_.vmos;
  if (vmos_.size() + 2 > max_total) {
    return false;
  }
  Vmo* original = nullptr;
  for (int attempt = 0; attempt < 4 && original == nullptr; attempt++) {
    Vmo* candidate = Pick(anon_visible_);
    if (candidate != nullptr && !candidate->aux && candidate->depth < config_.max_clone_depth) {
      original = candidate;
    }
  }
  if (original == nullptr) {
    return false;
  }

  // The hidden parent takes the original's place in the tree and its list (the same object:
  // address and registration stay, under a new name).
  auto hidden_owner = std::make_unique<Vmo>();
  Vmo* hidden = hidden_owner.get();
  hidden->id = next_vmo_id_++;
  hidden->kind = VmoKind::kHidden;
  hidden->parent = original->parent;
  hidden->parent_offset = original->parent_offset;
  hidden->size = original->size;
  hidden->depth = original->depth;
  hidden->hot = original->hot;
  char name[64];
  snprintf(name, sizeof(name), "vmo:%lu/hidden", hidden->id);
  hidden->name = name;
  if (original->parent != nullptr) {
    original->parent->children[original->side()] = hidden;
  }
  hidden->owned = std::move(original->owned);
  hidden->owned.registration.Rename(hidden->name);
  const uint64_t skew = hidden->list().GetSkew();

  RemoveFromIndexes(original);
  original->owned.list = std::make_unique<VmPageList>();
  original->owned.list->InitializeSkew(skew, 0);
  original->owned.registration = ScopedRegistration(original->owned.list.get(), original->name);
  original->parent = hidden;
  original->parent_offset = 0;

  // The clone: usually at an offset that is not a multiple of 64 KiB, near a hot region.
  const uint64_t pages = original->size / kPage;
  uint64_t offset;
  if (Chance(60)) {
    const uint64_t hot = original->hot[rng_() % original->hot.size()];
    offset = hot - std::min(hot, Between(0, 64) * kPage);
  } else {
    offset = Between(0, pages - 1) * kPage;
  }
  if (Chance(10)) {
    offset = ROUNDDOWN(offset, kNodeSpan);
  }
  const uint64_t room = (original->size - offset) / kPage;
  const uint64_t length = (Chance(50) ? room : Between(std::min<uint64_t>(16, room), room)) * kPage;

  auto clone_owner = std::make_unique<Vmo>();
  Vmo* clone = clone_owner.get();
  clone->id = next_vmo_id_++;
  clone->kind = VmoKind::kAnonymous;
  clone->parent = hidden;
  clone->parent_offset = offset;
  clone->size = length;
  clone->clone_of = original->id;
  for (uint64_t hot : original->hot) {
    if (hot >= offset && hot < offset + length) {
      clone->hot.push_back(hot - offset);
    } else if (hot < offset && hot + kHotPages * kPage > offset) {
      clone->hot.push_back(0);
    }
  }
  if (clone->hot.empty() || Chance(30)) {
    clone->hot.push_back(Between(0, length / kPage - 1) * kPage);
  }
  snprintf(name, sizeof(name), "vmo:%lu/clone-of:%lu", clone->id, original->id);
  clone->name = name;
  clone->owned.list = std::make_unique<VmPageList>();
  clone->owned.list->InitializeSkew(skew, offset);
  clone->owned.registration = ScopedRegistration(clone->owned.list.get(), clone->name);

  hidden->children[0] = original;
  hidden->children[1] = clone;
  RecomputeDepth(hidden, hidden->depth);
  vmos_.emplace(hidden->id, std::move(hidden_owner));
  vmos_.emplace(clone->id, std::move(clone_owner));
  AddToIndexes(original);
  AddToIndexes(hidden);
  AddToIndexes(clone);
  Count(OpKind::kCloneCreate);
  return true;
}

// Clones come and go; the VMOs created as roots (long-lived, holding most anonymous memory) are
// only sometimes destroyed once cloned.
Vmo* Simulator::Impl::PickDestroyable() {
  for (int attempt = 0; attempt < 8; attempt++) {
    Vmo* vmo = Pick(anon_visible_);
    if (vmo != nullptr && !vmo->aux &&
        (vmo->clone_of != 0 || (vmo->parent != nullptr && Chance(10)))) {
      return vmo;
    }
  }
  return Pick(anon_clones_);
}

bool Simulator::Impl::OpCloneDestroy() {
  Vmo* vmo = PickDestroyable();
  if (vmo == nullptr) {
    return false;
  }
  DestroyClone(vmo);
  return true;
}

void Simulator::Impl::DestroyClone(Vmo* vmo) {
  if (vmo->parent == nullptr) {
    // A clone whose tree collapsed above it: nothing to merge.
    DEBUG_ASSERT(vmo->clone_of != 0);
    DestroyVmo(vmo);
    Count(OpKind::kCloneDestroy);
    return;
  }
  Vmo* hidden = vmo->parent;
  DEBUG_ASSERT(hidden != nullptr && hidden->kind == VmoKind::kHidden);
  const int side = vmo->side();
  Vmo* sibling = hidden->children[1 - side];
  hidden->children[side] = nullptr;
  // A VMO created as a root (since cloned, so a child of a hidden parent) is replaced by a fresh
  // root, so the population keeps SimConfig::vmos roots' worth of big VMOs.
  const bool root = vmo->clone_of == 0;
  DestroyVmo(vmo);
  CollapseInto(hidden, sibling);
  Count(OpKind::kCloneDestroy);
  if (root) {
    CreateRoot(VmoKind::kAnonymous);
  }
}

void Simulator::Impl::CollapseInto(Vmo* hidden, Vmo* child) {
  VmPageList& parent_list = hidden->list();
  if (child->parent_offset == 0 && Chance(50)) {
    // Same skew: merge the child onto the parent's list (the child's content wins) and let the
    // child adopt that list. Content the child cannot see goes first; the split bits lose their
    // meaning once the page has a single user.
    if (child->size < hidden->size) {
      parent_list.RemovePages(
          [this](VmPageOrMarker* slot, uint64_t) {
            FreeContent(*slot);
            *slot = VmPageOrMarker::Empty();
            return ZX_ERR_NEXT;
          },
          child->size, hidden->size);
    }
    parent_list.ForEveryPageMutable([](VmPageOrMarkerRef slot, uint64_t) {
      if (slot->IsPageOrRef()) {
        slot.SetPageOrRefLeftSplit(false);
        slot.SetPageOrRefRightSplit(false);
      }
      return ZX_ERR_NEXT;
    });
    child->list().MergeOnto(parent_list, [this](VmPageOrMarker&& content) {
      VmPageOrMarker released = std::move(content);
      FreeContent(released);
    });
    std::swap(child->owned, hidden->owned);
    child->owned.registration.Rename(child->name);
    hidden->owned.registration.Rename(hidden->name);
    Count(OpKind::kMergeOnto);
  } else {
    // The child's content wins; what the parent held outside the child's range, or where the
    // child has its own, is released; the rest migrates without its split bits.
    child->list().MergeFrom(
        parent_list, child->parent_offset, child->parent_offset + child->size,
        [this](VmPageOrMarker&& content, uint64_t) {
          VmPageOrMarker released = std::move(content);
          FreeContent(released);
        },
        [](VmPageOrMarker* content, uint64_t) {
          content->SetPageOrRefLeftSplit(false);
          content->SetPageOrRefRightSplit(false);
        });
    Count(OpKind::kMergeFrom);
  }
  DEBUG_ASSERT(hidden->list().IsEmpty());

  // The child takes the hidden parent's place in the tree.
  if (hidden->parent != nullptr) {
    hidden->parent->children[hidden->side()] = child;
  }
  child->parent = hidden->parent;
  child->parent_offset += hidden->parent_offset;
  RecomputeDepth(child, hidden->depth);
  if (child->visible()) {
    RemoveFromIndexes(child);
    AddToIndexes(child);
  }
  hidden->children[0] = hidden->children[1] = nullptr;
  DestroyVmo(hidden);
}

}  // namespace vmpl::sim
