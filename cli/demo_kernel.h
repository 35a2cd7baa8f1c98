// The second half of `vmpl demo`: a small simulated kernel. vmpl::sim drives a handful of VMOs
// (clone trees with skewed children, pager-backed VMOs with zero intervals, splice lists) for a
// few hundred steps from the demo's seed, then every live list is shown as a compact node map:
// one row per node, one cell per slot, so skew, node boundaries and intervals are seen at a
// glance.
//
//   cell  P page   R reference   M zero page marker   [ interval start   ] interval end
//         S interval slot (a one-page interval)   - inside an interval   . empty
//   a lower-case p or r carries a copy-on-write split bit.

#ifndef VMPL_CLI_DEMO_KERNEL_H_
#define VMPL_CLI_DEMO_KERNEL_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/sim.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "demo_list.h"
#include "text_style.h"

namespace vmpl::cli {

struct SimulatedKernelReport {
  uint64_t seed = 0;
  uint64_t steps = 0;
  vmpl::sim::Census census;
  // Mutations that ran, by kind name, in the simulator's kind order (zero counts left out).
  std::vector<std::pair<std::string, uint64_t>> mutations;
  std::vector<DemoList> lists;    // every live list, hidden parents included; role: "anonymous",
                                  // "pager" or "hidden", and parent
  std::vector<DemoList> splices;  // pending splice lists
  std::string failure;                 // the simulator's first validation failure, if any
  size_t pages_outstanding = 0;        // left allocated after the simulator was destroyed
  size_t references_outstanding = 0;

  bool ok() const;
};

// Runs the simulator for the demo's small configuration and describes what it built.
SimulatedKernelReport RunSimulatedKernel(uint64_t seed);

// The node map of one list: a header line, then one row per node.
std::string FormatNodeMap(const DemoList& list, const TextStyle& style);

std::string FormatSimulatedKernel(const SimulatedKernelReport& report, const TextStyle& style);
nlohmann::ordered_json SimulatedKernelToJson(const SimulatedKernelReport& report);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_DEMO_KERNEL_H_
