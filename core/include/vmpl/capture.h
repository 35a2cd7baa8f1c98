// vmpl::Capture: a live VmPageList or VmPageSpliceList of this process as a snapshot
// (<vmpl/model/snapshot.h>), the one model every view renders and the checker judges. `vmpl demo`
// and `vmpl sim` print their lists through it, a trace replay compares its rebuilt lists with the
// recording process's through it, and vmpl::Validate checks a list by capturing it.
//
// Capturing reads the structures the way a debugger does, through vmpl::PageListAccess; nothing
// is changed. The tree is walked from its root, bounded by |max_nodes| and by a visited set, and
// only links that are non-null, untagged and aligned are followed, so a corrupted tree yields a
// snapshot (sorted by key), not a hang. A node's canary and key are copied as they are.
//
// Pages. With |read_pages|, the vm_page_t of every page slot is read (paddr, split bits, dirty
// state) into SnapshotList::pages. Only for lists whose page pointers are this process's pages:
// never for a list rebuilt from a trace (its values are another process's pointers) or a list a
// test filled with made-up values.

#ifndef VMPL_CAPTURE_H_
#define VMPL_CAPTURE_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/model/snapshot.h>

#include <vector>

class VmPageList;
class VmPageSpliceList;

namespace vmpl {

struct CaptureOptions {
  bool read_pages = false;
  size_t max_nodes = size_t{1} << 32;  // nodes walked per tree
};

SnapshotList Capture(const VmPageList& list, const CaptureOptions& options = {});
SnapshotList Capture(const VmPageSpliceList& splice, const CaptureOptions& options = {});

// Every list registered in this process now (vmpl::Registry), in registry-id order, with its id
// and name.
std::vector<SnapshotList> CaptureRegisteredLists(const CaptureOptions& options = {});

}  // namespace vmpl

#endif  // VMPL_CAPTURE_H_
