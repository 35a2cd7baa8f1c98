// The simulated-kernel half of `vmpl demo` (see demo_kernel.h).

#include "demo_kernel.h"

#include <fmt/color.h>
#include <fmt/format.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>

#include <vmpl/model/entries.h>
#include <vmpl/model/json_view.h>
#include <vmpl/model/slot.h>

namespace vmpl::cli {
namespace {

// Small enough to read on one screen, large enough that every kind of list shows up.
vmpl::sim::SimConfig DemoConfig(uint64_t seed) {
  vmpl::sim::SimConfig config;
  config.seed = seed;
  config.vmos = 4;
  config.max_vmo_size = uint64_t{1} << 20;
  config.page_budget = 320;
  config.max_clone_depth = 3;
  config.check_every = 25;
  return config;
}
constexpr uint64_t kDemoSteps = 400;

char CellFor(const SnapshotList& list, uint64_t raw) {
  const DecodedSlot slot = DecodeRawSlot(raw);
  switch (slot.kind) {
    case SlotKind::kEmpty:
      return '.';
    case SlotKind::kPage: {
      const SnapshotPage* page = list.page(slot.page);
      return page != nullptr && (page->left_split || page->right_split) ? 'p' : 'P';
    }
    case SlotKind::kReference:
      return slot.left_split || slot.right_split ? 'r' : 'R';
    case SlotKind::kMarker:
      return 'M';
    case SlotKind::kInterval:
      return slot.sentinel == SlotSentinel::kStart ? '['
             : slot.sentinel == SlotSentinel::kEnd ? ']'
             : slot.sentinel == SlotSentinel::kSlot ? 'S'
                                                    : '?';
  }
  return '?';
}

std::string PaintCell(const TextStyle& style, char cell) {
  const std::string text(1, cell);
  switch (cell) {
    case 'P':
    case 'p':
      return Paint(style, fmt::fg(fmt::terminal_color::green), text);
    case 'R':
    case 'r':
      return Paint(style, fmt::fg(fmt::terminal_color::cyan), text);
    case 'M':
      return Paint(style, fmt::fg(fmt::terminal_color::yellow), text);
    case '[':
    case ']':
    case 'S':
    case '-':
      return Paint(style, fmt::fg(fmt::terminal_color::magenta), text);
    default:
      return text;
  }
}

}  // namespace

bool SimulatedKernelReport::ok() const {
  if (!failure.empty() || pages_outstanding != 0 || references_outstanding != 0) {
    return false;
  }
  for (const std::vector<DemoList>* group : {&lists, &splices}) {
    for (const DemoList& list : *group) {
      if (!list.valid()) {
        return false;
      }
    }
  }
  return true;
}

SimulatedKernelReport RunSimulatedKernel(uint64_t seed) {
  SimulatedKernelReport report;
  report.seed = seed;
  vmpl::PageAllocator& allocator = vmpl::PageAllocator::Get();
  const size_t pages_before = allocator.pages_outstanding();
  const size_t references_before = allocator.references_outstanding();
  {
    vmpl::sim::Simulator sim(DemoConfig(seed));
    const vmpl::sim::RunResult result = sim.Run({.max_ops = kDemoSteps});
    report.steps = result.steps;
    if (sim.failure()) {
      report.failure = sim.failure()->ToString();
    }
    report.census = sim.TakeCensus();
    const vmpl::sim::SimStats& stats = sim.stats();
    for (size_t i = 0; i < vmpl::sim::kNumOpKinds; i++) {
      if (stats.counts[i] != 0) {
        report.mutations.emplace_back(vmpl::sim::SimStats::Name(i), stats.counts[i]);
      }
    }
    sim.ForEachList([&report](const vmpl::sim::ListInfo& info) {
      std::string role = vmpl::sim::VmoKindName(info.kind);
      if (info.parent_id != 0) {
        role +=
            fmt::format(", child of vmo:{} at offset {:#x}", info.parent_id, info.parent_offset);
      }
      role += fmt::format(", size {:#x}", info.size);
      report.lists.push_back(DescribeList(std::string(info.name), role, *info.list));
    });
    sim.ForEachSplice([&report](const vmpl::sim::SpliceInfo& info) {
      const std::string role = fmt::format("pending supply for vmo:{}", info.destination_vmo);
      report.splices.push_back(DescribeSplice(std::string(info.name), role, *info.splice));
    });
  }
  report.pages_outstanding = allocator.pages_outstanding() - pages_before;
  report.references_outstanding = allocator.references_outstanding() - references_before;
  return report;
}

std::string FormatNodeMap(const DemoList& demo, const TextStyle& style) {
  const SnapshotList& list = demo.list;
  const SlotCounts counts = CountSlots(list);
  std::string out = fmt::format(
      "{}  ({})\n  skew {:#x}, {} nodes, {} pages, {} references, {} markers, {} intervals\n",
      Paint(style, fmt::emphasis::bold, list.name), demo.role, list.skew, list.nodes.size(),
      counts.pages, counts.references, counts.markers, counts.intervals);
  // Intervals can span nodes: carry "inside an interval" from one row to the next. Cells before
  // offset 0 of a skewed list (slots below the skew in node 0) are blank.
  bool inside = false;
  for (const ListNode& node : ListNodes(list)) {
    std::string row;
    for (size_t i = 0; i < kSnapshotFanOut; i++) {
      char cell = CellFor(list, node.node->slots[i]);
      if (cell == '[') {
        inside = true;
      } else if (cell == ']') {
        inside = false;
      } else if (cell == '.' && inside) {
        cell = '-';
      }
      if (node.base + i * PAGE_SIZE < list.skew) {
        cell = ' ';
      }
      row += PaintCell(style, cell);
    }
    out += fmt::format("  key {:#9x} |{}| offsets [{:#x}, {:#x})\n", node.base, row,
                       node.first_offset(), node.end_offset());
  }
  for (const SnapshotProblem& problem : list.problems) {
    out += fmt::format("  {} {}\n", Paint(style, fmt::fg(fmt::terminal_color::red), "INVALID"),
                       problem.message);
  }
  return out;
}

std::string FormatSimulatedKernel(const SimulatedKernelReport& report, const TextStyle& style) {
  const vmpl::sim::Census& c = report.census;
  std::string out = fmt::format(
      "a small simulated kernel (vmpl::sim, seed {}, {} steps; `vmpl sim` runs it at scale)\n"
      "  {} VMOs ({} pager-backed) and {} hidden clone parents; {} lists ({} skewed), {} pending "
      "splice lists\n"
      "  {} pages, {} references, {} markers, {} zero intervals in {} nodes\n",
      report.seed, report.steps, c.visible_vmos, c.pager_vmos, c.hidden_vmos, c.lists,
      c.skewed_lists, c.splice_lists, c.pages, c.references, c.markers, c.intervals, c.nodes);
  std::string mutations;
  for (const auto& [name, count] : report.mutations) {
    mutations += fmt::format(" {}={}", name, count);
  }
  out += "  mutations:" + mutations + "\n";
  out +=
      "  cells: P page, R reference (p/r: with a split bit), M marker, [ ] interval start/end,\n"
      "         S one-page interval, - inside an interval, . empty, blank: before offset 0\n";
  for (size_t i = 0; i < report.lists.size(); i++) {
    out += '\n';
    out += FormatNodeMap(report.lists[i], style);
  }
  for (const DemoList& demo : report.splices) {
    const SnapshotList& splice = demo.list;
    const SlotCounts counts = CountSlots(splice);
    out += fmt::format(
        "\n{}  ({})\n  range [{:#x}, {:#x}), position {:#x}, {}: {} pages, {} references, {} "
        "markers\n",
        Paint(style, fmt::emphasis::bold, splice.name), demo.role, splice.splice_offset,
        splice.splice_offset + splice.splice_length, splice.splice_position,
        splice.splice_finalized ? "finalized" : "being appended", counts.pages,
        counts.references, counts.markers);
    for (const SnapshotProblem& problem : splice.problems) {
      out += fmt::format("  INVALID {}\n", problem.message);
    }
  }
  if (!report.failure.empty()) {
    out += "\nsimulator check FAILED: " + report.failure + "\n";
  }
  return out;
}

nlohmann::ordered_json SimulatedKernelToJson(const SimulatedKernelReport& report) {
  nlohmann::ordered_json j;
  j["seed"] = report.seed;
  j["steps"] = report.steps;
  const vmpl::sim::Census& c = report.census;
  j["census"] = {{"visible_vmos", c.visible_vmos},
                 {"hidden_vmos", c.hidden_vmos},
                 {"pager_vmos", c.pager_vmos},
                 {"lists", c.lists},
                 {"splice_lists", c.splice_lists},
                 {"skewed_lists", c.skewed_lists},
                 {"pages", c.pages},
                 {"references", c.references},
                 {"markers", c.markers},
                 {"intervals", c.intervals},
                 {"nodes", c.nodes}};
  nlohmann::ordered_json mutations = nlohmann::ordered_json::object();
  for (const auto& [name, count] : report.mutations) {
    mutations[name] = count;
  }
  j["mutations"] = std::move(mutations);
  nlohmann::ordered_json lists = nlohmann::ordered_json::array();
  for (const std::vector<DemoList>* group : {&report.lists, &report.splices}) {
    for (const DemoList& list : *group) {
      lists.push_back(DemoListToJson(list));
    }
  }
  j["lists"] = std::move(lists);
  j["failure"] = report.failure;
  j["ok"] = report.ok();
  return j;
}

}  // namespace vmpl::cli
