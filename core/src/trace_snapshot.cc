// The platform-neutral half of the trace hooks: the events that describe a list whole (a
// snapshot, for a reader that attaches late) and the registry's events. Needs nothing hosted, so
// the QEMU kernel's build of the core (kernel/) uses it as is; core/src/trace.cc (userspace) and
// kernel/platform/trace.cc decide where events go and which lists a snapshot covers.

#include <string.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_list_access.h>
#include <vmpl/trace.h>

#include <algorithm>

namespace vmpl::trace {
namespace {

// The registry's kind values (vmpl_registry_entry::kind).
constexpr uint32_t kRegistryKindPageList = 1;

void EmitAlways(EventKind kind, const void* object, uint32_t aux, uint64_t a0 = 0, uint64_t a1 = 0,
                uint64_t a2 = 0, uint64_t a3 = 0) {
  hooks::Emit(kind, object, aux, a0, a1, a2, a3);
}

uintptr_t Address(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// The snapshot of one node: its allocation, then one store per non-empty slot.
void SnapshotNode(const void* owner, const VmPageListNode& node, bool inline_node) {
  if (!inline_node) {
    EmitAlways(EventKind::kNodeAlloc, owner, 0, Address(&node), node.offset());
  }
  for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
    const VmPageOrMarker& slot = PageListAccess::slot(node, i);
    if (!slot.IsEmpty()) {
      hooks::SlotStore(&slot, 0, slot.raw_value(), nullptr);
    }
  }
}

}  // namespace

void WriteListSnapshot(uint64_t id, uint32_t kind, const void* address, std::string_view name) {
  if (kind == kRegistryKindPageList) {
    const auto* list = static_cast<const VmPageList*>(address);
    EmitAlways(EventKind::kListCreate, list, 0, static_cast<uint64_t>(ListKind::kPageList));
    EmitRegistration(id, list, kind, name);
    EmitAlways(EventKind::kSkewSet, list, 0, list->GetSkew());
    for (const VmPageListNode& node : PageListAccess::nodes(*list)) {
      SnapshotNode(list, node, false);
    }
    return;
  }
  const auto* splice = static_cast<const VmPageSpliceList*>(address);
  EmitAlways(EventKind::kListCreate, splice, 0, static_cast<uint64_t>(ListKind::kSpliceList),
             splice->offset(), splice->length(), PageListAccess::skew(*splice));
  EmitRegistration(id, splice, kind, name);
  if (PageListAccess::finalized(*splice)) {
    EmitAlways(EventKind::kSpliceFinalize, splice, 0);
  }
  EmitAlways(EventKind::kSplicePosition, splice, 0, PageListAccess::position(*splice));
  SnapshotNode(splice, PageListAccess::head(*splice), true);
  for (const VmPageListNode& node : PageListAccess::middle(*splice)) {
    SnapshotNode(splice, node, false);
  }
  SnapshotNode(splice, PageListAccess::tail(*splice), true);
}

void SetListTracing(const void* list, bool on) {
  EmitAlways(EventKind::kListTracing, list, 0, on ? 1 : 0);
}

void EmitRegistration(uint64_t id, const void* object, uint32_t kind, std::string_view name) {
  if (!hooks::EventWanted()) {
    return;
  }
  EmitAlways(EventKind::kRegister, object, 0, id, Address(object), kind);
  EmitName(id, name);
}

void EmitName(uint64_t id, std::string_view name) {
  if (!hooks::EventWanted()) {
    return;
  }
  // 32 bytes per event; an empty name still sends one (empty) chunk so a rename to "" is seen.
  size_t offset = 0;
  do {
    uint64_t words[4] = {};
    const size_t n = std::min<size_t>(sizeof(words), name.size() - offset);
    memcpy(words, name.data() + offset, n);
    hooks::Emit(EventKind::kName, reinterpret_cast<const void*>(id), static_cast<uint32_t>(offset),
                words[0], words[1], words[2], words[3]);
    offset += n;
  } while (offset < name.size());
}

}  // namespace vmpl::trace
