// One list of `vmpl demo`: captured into the one model (vmpl::Capture, with the vm_page_t of every
// page), checked with vmpl::Validate (its violations become the snapshot's problems), and shown by
// the one text view and JSON schema (docs/snapshot-format.md) with the demo's one-line role.

#ifndef VMPL_CLI_DEMO_LIST_H_
#define VMPL_CLI_DEMO_LIST_H_

#include <stddef.h>
#include <vm/vm_page_list.h>
#include <vmpl/model/snapshot.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "text_style.h"

namespace vmpl::cli {

struct DemoList {
  std::string role;  // what the list stands for in the demo
  SnapshotList list;
  bool valid() const { return list.problems.empty(); }
};

// What draining a splice list with Pop found (DrainSpliceList).
struct DemoDrain {
  bool drained = false;
  size_t popped = 0;
  bool processed = false;
  std::vector<std::string> mismatches;  // items Pop returned that differ from the capture
};

DemoList DescribeList(const std::string& name, const std::string& role, const VmPageList& list);
DemoList DescribeSplice(const std::string& name, const std::string& role,
                        const VmPageSpliceList& splice);

// Pops every item of |splice| (which must be finalized), checks that each is what |captured| held
// at that offset, and hands every page or reference to |take|, which must take ownership.
DemoDrain DrainSpliceList(VmPageSpliceList& splice, const SnapshotList& captured,
                          const std::function<void(VmPageOrMarker&&)>& take);

// The list in the one text view, its role under the list line, then "valid" or the verdict.
std::string FormatDemoList(const DemoList& list, const TextStyle& style);
// "drained by Pop: ..." for a drained splice list.
std::string FormatDrain(const DemoDrain& drain, const TextStyle& style);
// The list in the one JSON schema, with "role" and "valid".
nlohmann::ordered_json DemoListToJson(const DemoList& list);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_DEMO_LIST_H_
