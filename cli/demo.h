// `vmpl demo`: a small, deterministic workload on page lists built the way a VMO clone tree builds
// them, printed node by node and slot by slot.
//
// The workload (every random choice comes from one std::mt19937_64 seeded with --seed, so a seed
// always gives the same lists, the same offsets and the same physical addresses):
//   root   skew 0       the hidden root of a clone tree: pages and references with copy-on-write
//                       split bits, zero page markers; RemovePages clears one node whole and part
//                       of another.
//   mid    skew 0x1000  a hidden child of root at offset 0x1000 (InitializeSkew(0, 0x1000)).
//   clone  skew 0x5000  the visible child of mid at offset 0x4000 (InitializeSkew(0x1000, 0x4000)):
//                       its own pages, a reference and a marker; four Dirty zero intervals: one
//                       with an awaiting-clean length, one spanning several nodes, one split by
//                       LookupOrAllocate(SplitInterval) and filled with a page, one single-page
//                       slot; finally MergeFrom(mid) merges mid's content in (mid ends empty).
//   aux    skew 0       a pager's auxiliary VMO; TakePages moves a range of it into the splice
//                       list `supply` (head, middle and tail parts).
// Every list and the splice list are captured (vmpl::Capture, read as a debugger would) and
// validated (vmpl::Validate); the splice list is then drained with Pop, each item checked against
// the capture; everything is freed and the page allocator must end with nothing
// outstanding.

#ifndef VMPL_CLI_DEMO_H_
#define VMPL_CLI_DEMO_H_

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "demo_list.h"

namespace vmpl::cli {

struct DemoReport {
  uint64_t seed = 0;
  std::vector<std::string> steps;     // what the workload did, one line per operation
  std::vector<std::string> problems;  // operations that did not do what the workload expected
  std::vector<DemoList> lists;
  std::vector<DemoList> splices;
  std::vector<DemoDrain> drains;  // per splice list: what Pop returned after the capture
  size_t pages_freed = 0;
  size_t references_freed = 0;
  size_t pages_outstanding = 0;  // left allocated after everything was freed (leaks)
  size_t references_outstanding = 0;

  // True if no list or splice list has a violation, no step failed and nothing leaked.
  bool ok() const;
};

// Runs the workload for |seed|, describes every list, frees everything and checks for leaks.
DemoReport RunDemo(uint64_t seed);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_DEMO_H_
