// The kernel's workload: page lists driven the way the simulator (core/src/sim) drives them, in
// kernel memory. A few root VMOs (anonymous ones, one of them a sparse 1 GiB object whose list
// grows past the node table's threshold, and pager-backed ones with zero intervals), clones made
// at skewed offsets and later collapsed into their parent (MergeFrom) or destroyed, pages taken
// into splice lists (TakePages) and supplied to another VMO slot by slot, pages compressed into
// references and back, zero page markers, decommits and evictions. Every list is registered
// under a name, so the tools find them through `vmpl_registry`.
//
// It is the simulator's workload in kind, written again for a freestanding kernel: the simulator
// itself is hosted code (std::map, std::function, <random>) and checks its lists against a model,
// which the kernel does not. Choices come from one xorshift generator seeded from the command
// line, so a boot with the same seed does the same work.

#ifndef VMPL_KERNEL_WORKLOAD_H_
#define VMPL_KERNEL_WORKLOAD_H_

#include <stddef.h>
#include <stdint.h>

namespace vmpl::kernel {

struct WorkloadConfig {
  uint64_t seed = 1;
  // Pages the workload's objects may hold at once (the pmm may have more).
  uint64_t page_budget = 12000;
};

struct WorkloadStats {
  uint64_t steps = 0;
  uint64_t pages_held = 0;       // pages in lists and pending splices
  uint64_t references_held = 0;  // references in lists and pending splices
  uint64_t clones_made = 0;
  uint64_t clones_collapsed = 0;
  uint64_t splices_taken = 0;
  uint64_t splices_drained = 0;
};

// Creates the root VMOs. Once, before Step.
void WorkloadStart(const WorkloadConfig& config);

// One operation, chosen at random; every list is consistent again when it returns.
void WorkloadStep();

WorkloadStats GetWorkloadStats();

}  // namespace vmpl::kernel

#endif  // VMPL_KERNEL_WORKLOAD_H_
