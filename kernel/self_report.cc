// The kernel's self-report (see self_report.h).

#include "self_report.h"

#include <vm/vm_page_list.h>
#include <vmpl/page_list_access.h>

#include "arch/console.h"
#include "platform/registry.h"

namespace vmpl::kernel {
namespace {

constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

struct ListSummary {
  uint64_t nodes = 0;
  uint64_t pages = 0;
  uint64_t references = 0;
  uint64_t markers = 0;
  uint64_t intervals = 0;           // zero intervals: Start and Slot sentinels
  uint64_t interval_sentinels = 0;  // every sentinel (docs/snapshot-format.md, "Words")
  uint64_t checksum = kFnvOffsetBasis;

  void Hash(uint64_t word) {
    for (int byte = 0; byte < 8; byte++) {
      checksum ^= (word >> (8 * byte)) & 0xff;
      checksum *= kFnvPrime;
    }
  }

  void AddNode(const VmPageListNode& node) {
    Hash(node.offset());
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      const VmPageOrMarker& slot = PageListAccess::slot(node, i);
      Hash(slot.raw_value());
      pages += slot.IsPage() ? 1 : 0;
      references += slot.IsReference() ? 1 : 0;
      markers += slot.IsMarker() ? 1 : 0;
      intervals += slot.IsIntervalStart() || slot.IsIntervalSlot() ? 1 : 0;
      interval_sentinels += slot.IsInterval() ? 1 : 0;
    }
  }
};

ListSummary Summarize(const vmpl_registry_entry& entry) {
  ListSummary summary;
  if (entry.kind == static_cast<uint32_t>(ListKind::kPageList)) {
    const auto& list = *reinterpret_cast<const VmPageList*>(entry.address);
    for (const VmPageListNode& node : PageListAccess::nodes(list)) {
      summary.nodes++;
      summary.AddNode(node);
    }
    return summary;
  }
  const auto& splice = *reinterpret_cast<const VmPageSpliceList*>(entry.address);
  summary.AddNode(PageListAccess::head(splice));
  for (const VmPageListNode& node : PageListAccess::middle(splice)) {
    summary.nodes++;
    summary.AddNode(node);
  }
  summary.AddNode(PageListAccess::tail(splice));
  return summary;
}

}  // namespace

void PrintSelfReport(uint64_t step) {
  kprintf("vmpl-kernel: report begin step=%lu lists=%u\n", step, vmpl_registry.live_count);
  ForEveryRegistered([](const vmpl_registry_entry& entry) {
    const ListSummary summary = Summarize(entry);
    kprintf(
        "vmpl-kernel: list id=%lu kind=%s address=%#lx nodes=%lu pages=%lu references=%lu "
        "markers=%lu intervals=%lu interval_sentinels=%lu checksum=%016lx name=%s\n",
        entry.id, entry.kind == static_cast<uint32_t>(ListKind::kPageList) ? "page-list" : "splice-list",
        entry.address, summary.nodes, summary.pages, summary.references, summary.markers,
        summary.intervals, summary.interval_sentinels, summary.checksum, entry.name);
  });
  kprintf("vmpl-kernel: report end\n");
}

}  // namespace vmpl::kernel
