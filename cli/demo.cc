// `vmpl demo`: the workload, and the subcommand that prints it (see demo.h).

#include "demo.h"

#include <fmt/format.h>
#include <stdio.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/model/json_view.h>
#include <vmpl/page_allocator.h>
#include <zircon/errors.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>

#include "command.h"
#include "demo_kernel.h"
#include "demo_list.h"
#include "text_style.h"

namespace vmpl::cli {
namespace {

constexpr uint64_t kPage = PAGE_SIZE;
constexpr uint64_t kNodeSpan = VmPageListNode::kPageFanOut * kPage;

// The clone tree: mid is a child of root at kMidOffset, clone a child of mid at kCloneOffset.
constexpr uint64_t kMidOffset = 0x1000;
constexpr uint64_t kCloneOffset = 0x4000;
constexpr uint64_t kCloneSize = 0x100000;
// Clone's own pages live below kCloneContentEnd; its zero intervals at kIntervalsBase and above,
// in nodes that MergeFrom never has to merge into (MergeFrom does not take intervals).
constexpr uint64_t kCloneContentEnd = 0x28000;
constexpr uint64_t kIntervalsBase = 0x40000;

using IntervalHandling = VmPageList::IntervalHandling;
using DirtyState = VmPageOrMarker::IntervalDirtyState;

const char* StatusName(zx_status_t status) {
  switch (status) {
    case ZX_OK:
      return "ZX_OK";
    case ZX_ERR_NO_MEMORY:
      return "ZX_ERR_NO_MEMORY";
    case ZX_ERR_INVALID_ARGS:
      return "ZX_ERR_INVALID_ARGS";
    case ZX_ERR_OUT_OF_RANGE:
      return "ZX_ERR_OUT_OF_RANGE";
    case ZX_ERR_BAD_STATE:
      return "ZX_ERR_BAD_STATE";
    default:
      return "error";
  }
}

enum class Content { kPage, kReference, kMarker };

// Runs the workload: owns the random source, the allocator handles and the log.
class Workload {
 public:
  explicit Workload(uint64_t seed, DemoReport* report) : rng_(seed), report_(report) {}

  // A number in [lo, hi]. The modulo keeps results identical across standard libraries
  // (std::uniform_int_distribution is not specified bit-exactly; mt19937_64 is).
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + rng_() % (hi - lo + 1); }
  bool Chance(unsigned percent) { return rng_() % 100 < percent; }
  Content RandomContent(unsigned page_percent, unsigned reference_percent) {
    const uint64_t r = rng_() % 100;
    if (r < page_percent) {
      return Content::kPage;
    }
    return r < page_percent + reference_percent ? Content::kReference : Content::kMarker;
  }

  void Step(std::string line) { report_->steps.push_back(std::move(line)); }
  void Problem(std::string line) { report_->problems.push_back(std::move(line)); }

  // Gives a page or reference back to the allocator; anything else is simply dropped.
  void Free(VmPageOrMarker& content) {
    if (content.IsPage()) {
      pmm_free_page(content.ReleasePage());
      report_->pages_freed++;
    } else if (content.IsReference()) {
      vmpl::PageAllocator::Get().FreeReference(content.ReleaseReference().value());
      report_->references_freed++;
    }
  }

  // Writes |content| at |offset| of |list| (which must be unpopulated there). Returns false, and
  // records a problem, if the page list would not hand out the slot.
  bool Put(const char* name, VmPageList& list, uint64_t offset, Content content, bool left_split,
           bool right_split) {
    auto [slot, in_interval] = list.LookupOrAllocate(offset, IntervalHandling::CheckForInterval);
    if (slot == nullptr || in_interval || !slot->IsEmpty()) {
      if (slot != nullptr && slot->IsEmpty()) {
        list.ReturnEmptySlot(offset);
      }
      Problem(fmt::format("{}: LookupOrAllocate({:#x}) gave no empty slot outside intervals", name,
                          offset));
      return false;
    }
    switch (content) {
      case Content::kPage: {
        vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
        if (page == nullptr) {
          list.ReturnEmptySlot(offset);
          Problem(fmt::format("{}: out of pages at {:#x}", name, offset));
          return false;
        }
        *slot = VmPageOrMarker::Page(page);
        break;
      }
      case Content::kReference:
        *slot = VmPageOrMarker::Reference(
            VmPageOrMarker::ReferenceValue(vmpl::PageAllocator::Get().AllocReference()), false,
            false);
        break;
      case Content::kMarker:
        *slot = VmPageOrMarker::Marker();
        return true;
    }
    slot->SetPageOrRefLeftSplit(left_split);
    slot->SetPageOrRefRightSplit(right_split);
    return true;
  }

  // How many items of each kind Fill wrote.
  struct Filled {
    size_t counts[3] = {};
    Filled& operator+=(const Filled& other) {
      for (int i = 0; i < 3; i++) {
        counts[i] += other.counts[i];
      }
      return *this;
    }
    std::string ToString() const {
      return fmt::format("{} page{}, {} reference{}, {} marker{}", counts[0],
                         counts[0] == 1 ? "" : "s", counts[1], counts[1] == 1 ? "" : "s", counts[2],
                         counts[2] == 1 ? "" : "s");
    }
  };

  // Fills [start, end) of |list| page by page with probability |fill_percent|, with random
  // content and (if |split_bits|) random split bits.
  Filled Fill(const char* name, VmPageList& list, uint64_t start, uint64_t end,
              unsigned fill_percent, bool split_bits) {
    Filled filled;
    for (uint64_t offset = start; offset < end; offset += kPage) {
      if (!Chance(fill_percent)) {
        continue;
      }
      const Content content = RandomContent(60, 20);
      const bool left = split_bits && Chance(30);
      const bool right = split_bits && Chance(30);
      if (Put(name, list, offset, content, left, right)) {
        filled.counts[static_cast<int>(content)]++;
      }
    }
    return filled;
  }

  // RemovePages over [start, end), freeing everything it finds.
  size_t Remove(VmPageList& list, uint64_t start, uint64_t end) {
    size_t removed = 0;
    list.RemovePages(
        [this, &removed](VmPageOrMarker* slot, uint64_t) {
          Free(*slot);
          *slot = VmPageOrMarker::Empty();
          removed++;
          return ZX_ERR_NEXT;
        },
        start, end);
    return removed;
  }

  void AddInterval(const char* name, VmPageList& list, uint64_t start, uint64_t end) {
    const zx_status_t status = list.AddZeroInterval(start, end, DirtyState::Dirty);
    const uint64_t pages = (end - start) / kPage;
    Step(fmt::format("{}: AddZeroInterval([{:#x}, {:#x}), Dirty) -> {}  ({} page{})", name, start,
                     end, StatusName(status), pages, pages == 1 ? "" : "s"));
    if (status != ZX_OK) {
      Problem(fmt::format("{}: AddZeroInterval([{:#x}, {:#x})) failed: {}", name, start, end,
                          StatusName(status)));
    }
  }

  void FreeAll(VmPageList& list) {
    list.RemoveAllContent([this](VmPageOrMarker&& content) { Free(content); });
  }

 private:
  std::mt19937_64 rng_;
  DemoReport* report_;
};

void BuildRoot(Workload& w, VmPageList& root) {
  // The first slots show every kind and both split bits, whatever the seed.
  w.Put("root", root, 0 * kPage, Content::kPage, true, false);
  w.Put("root", root, 1 * kPage, Content::kReference, false, true);
  w.Put("root", root, 2 * kPage, Content::kMarker, false, false);
  w.Put("root", root, 3 * kPage, Content::kPage, true, true);
  const std::string filled = w.Fill("root", root, 4 * kPage, 4 * kNodeSpan, 70, true).ToString();
  w.Step(fmt::format("root: skew {:#x}; 4 fixed slots, then [{:#x}, {:#x}) filled: {}",
                     root.GetSkew(), 4 * kPage, 4 * kNodeSpan, filled));
  const uint64_t partial_start = 8 * kPage + w.Between(0, 4) * kPage;
  const size_t removed_node = w.Remove(root, 3 * kNodeSpan, 4 * kNodeSpan);
  const size_t removed_part = w.Remove(root, partial_start, partial_start + 2 * kPage);
  w.Step(fmt::format(
      "root: RemovePages([{:#x}, {:#x})) removed {} items and the node; RemovePages([{:#x}, "
      "{:#x})) removed {}",
      3 * kNodeSpan, 4 * kNodeSpan, removed_node, partial_start, partial_start + 2 * kPage,
      removed_part));
}

void BuildMid(Workload& w, const VmPageList& root, VmPageList& mid) {
  mid.InitializeSkew(root.GetSkew(), kMidOffset);
  w.Step(fmt::format("mid: InitializeSkew({:#x}, {:#x}) -> skew {:#x}", root.GetSkew(), kMidOffset,
                     mid.GetSkew()));
  // Below kCloneOffset: content MergeFrom will release, as it lies outside the clone's range.
  w.Put("mid", mid, 1 * kPage, Content::kPage, false, true);
  w.Put("mid", mid, 2 * kPage, Content::kMarker, false, false);
  const std::string filled =
      w.Fill("mid", mid, kCloneOffset, kCloneOffset + 0x28000, 50, true).ToString();
  w.Step(
      fmt::format("mid: [{:#x}, {:#x}) filled: {}", kCloneOffset, kCloneOffset + 0x28000, filled));
}

void BuildClone(Workload& w, const VmPageList& mid, VmPageList& clone) {
  clone.InitializeSkew(mid.GetSkew(), kCloneOffset);
  w.Step(fmt::format("clone: InitializeSkew({:#x}, {:#x}) -> skew {:#x}", mid.GetSkew(),
                     kCloneOffset, clone.GetSkew()));
  // Copy-on-write copies the clone made of its own; a reference and a marker whatever the seed.
  w.Put("clone", clone, 0 * kPage, Content::kPage, false, false);
  w.Put("clone", clone, 5 * kPage, Content::kReference, false, false);
  w.Put("clone", clone, 6 * kPage, Content::kMarker, false, false);
  const std::string filled =
      w.Fill("clone", clone, 8 * kPage, kCloneContentEnd, 30, false).ToString();
  w.Step(fmt::format("clone: 3 fixed slots, then [{:#x}, {:#x}) filled: {}", 8 * kPage,
                     kCloneContentEnd, filled));

  // 1. A short Dirty interval, part of which is awaiting clean.
  const uint64_t i1_start = kIntervalsBase;
  const uint64_t i1_pages = w.Between(2, 5);
  w.AddInterval("clone", clone, i1_start, i1_start + i1_pages * kPage);
  const uint64_t acl = w.Between(1, i1_pages) * kPage;
  VmPageOrMarkerRef start_ref = clone.LookupMutable(i1_start);
  if (start_ref && start_ref->IsIntervalStart()) {
    start_ref.SetZeroIntervalAwaitingCleanLength(acl);
    w.Step(fmt::format("clone: SetZeroIntervalAwaitingCleanLength({:#x}) on the start at {:#x}",
                       acl, i1_start));
  } else {
    w.Problem(fmt::format("clone: no interval start at {:#x}", i1_start));
  }

  // 2. An interval spanning several nodes: only its two sentinels are stored.
  const uint64_t i2_start = kIntervalsBase + 0x8000;
  w.AddInterval("clone", clone, i2_start, i2_start + w.Between(34, 60) * kPage);

  // 3. An interval split around one offset by LookupOrAllocate(SplitInterval), then a page
  //    written into the slot the split returned.
  const uint64_t i3_start = kIntervalsBase + 0x50000;
  const uint64_t i3_pages = w.Between(5, 10);
  w.AddInterval("clone", clone, i3_start, i3_start + i3_pages * kPage);
  const uint64_t split = i3_start + w.Between(1, i3_pages - 2) * kPage;
  auto [checked, checked_in_interval] =
      clone.LookupOrAllocate(split, IntervalHandling::CheckForInterval);
  w.Step(fmt::format("clone: LookupOrAllocate({:#x}, CheckForInterval) -> {}, {}", split,
                     checked == nullptr ? "no slot" : "a slot",
                     checked_in_interval ? "in an interval" : "not in an interval"));
  if (checked != nullptr || !checked_in_interval) {
    w.Problem(
        fmt::format("clone: CheckForInterval at {:#x} should give no slot inside an "
                    "interval",
                    split));
  }
  auto [slot, in_interval] = clone.LookupOrAllocate(split, IntervalHandling::SplitInterval);
  if (slot != nullptr && in_interval && slot->IsIntervalSlot()) {
    vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
    *slot = VmPageOrMarker::Page(page);
    w.Step(
        fmt::format("clone: LookupOrAllocate({:#x}, SplitInterval) -> interval slot, "
                    "overwritten with a page",
                    split));
  } else {
    w.Problem(fmt::format("clone: SplitInterval at {:#x} did not return an interval slot", split));
    if (slot != nullptr && slot->IsEmpty()) {
      clone.ReturnEmptySlot(split);
    }
  }

  // 4. A one-page interval: a single Slot sentinel, sometimes awaiting clean.
  const uint64_t i4_start = kIntervalsBase + 0x60000;
  w.AddInterval("clone", clone, i4_start, i4_start + kPage);
  if (w.Chance(50)) {
    VmPageOrMarkerRef ref = clone.LookupMutable(i4_start);
    if (ref && ref->IsIntervalSlot()) {
      ref.SetZeroIntervalAwaitingCleanLength(kPage);
      w.Step(fmt::format("clone: SetZeroIntervalAwaitingCleanLength({:#x}) on the slot at {:#x}",
                         kPage, i4_start));
    }
  }
}

struct MergeCounts {
  Workload* workload;
  size_t released = 0;
  size_t migrated = 0;
};

void MergeMidIntoClone(Workload& w, VmPageList& mid, VmPageList& clone) {
  // mid's other child is gone: mid's content in the clone's range moves into the clone (the
  // clone's own content wins), the rest is released, and mid ends up empty.
  MergeCounts counts{&w};
  MergeCounts* c = &counts;
  clone.MergeFrom(
      mid, kCloneOffset, kCloneOffset + kCloneSize,
      [c](VmPageOrMarker&& content, uint64_t) {
        c->workload->Free(content);
        c->released++;
      },
      [c](VmPageOrMarker*, uint64_t) { c->migrated++; });
  w.Step(fmt::format(
      "clone: MergeFrom(mid, {:#x}, {:#x}): {} pages or references migrated, {} items released; "
      "mid is {}",
      kCloneOffset, kCloneOffset + kCloneSize, counts.migrated, counts.released,
      mid.IsEmpty() ? "empty" : "NOT empty"));
  if (!mid.IsEmpty()) {
    w.Problem("mid: not empty after MergeFrom");
  }
}

// Fills aux and takes a range of it that has a head, whole middle nodes and a tail.
VmPageSpliceList BuildAuxAndTake(Workload& w, VmPageList& aux, uint64_t* take_offset,
                                 uint64_t* take_length) {
  const uint64_t start = 0xC000 + w.Between(0, 2) * kPage;
  const uint64_t end = 3 * kNodeSpan + w.Between(1, 4) * kPage;
  w.Put("aux", aux, start, Content::kPage, false, false);
  w.Put("aux", aux, start + kPage, Content::kMarker, false, false);
  w.Put("aux", aux, kNodeSpan, Content::kPage, false, false);
  w.Put("aux", aux, 3 * kNodeSpan, Content::kReference, false, false);
  Workload::Filled filled = w.Fill("aux", aux, 0x8000, start, 60, false);
  filled += w.Fill("aux", aux, start + 2 * kPage, kNodeSpan, 60, false);
  filled += w.Fill("aux", aux, kNodeSpan + kPage, 3 * kNodeSpan, 40, false);
  filled += w.Fill("aux", aux, 3 * kNodeSpan + kPage, 0x3C000, 60, false);
  w.Step(fmt::format("aux: skew {:#x}; 4 fixed slots, then [{:#x}, {:#x}) filled: {}",
                     aux.GetSkew(), 0x8000, 0x3C000, filled.ToString()));
  *take_offset = start;
  *take_length = end - start;
  VmPageSpliceList splice = aux.TakePages(start, end - start);
  w.Step(fmt::format("aux: TakePages({:#x}, {:#x}) -> splice list supply, {}", start, end - start,
                     splice.IsFinalized() ? "finalized" : "NOT finalized"));
  return splice;
}

}  // namespace

bool DemoReport::ok() const {
  if (!problems.empty() || pages_outstanding != 0 || references_outstanding != 0) {
    return false;
  }
  for (const std::vector<DemoList>* group : {&lists, &splices}) {
    for (const DemoList& list : *group) {
      if (!list.valid()) {
        return false;
      }
    }
  }
  for (const DemoDrain& drain : drains) {
    if (!drain.processed || !drain.mismatches.empty()) {
      return false;
    }
  }
  return true;
}

DemoReport RunDemo(uint64_t seed) {
  DemoReport report;
  report.seed = seed;
  vmpl::PageAllocator& allocator = vmpl::PageAllocator::Get();
  const size_t pages_before = allocator.pages_outstanding();
  const size_t references_before = allocator.references_outstanding();
  {
    Workload w(seed, &report);
    VmPageList root;
    VmPageList mid;
    VmPageList clone;
    VmPageList aux;

    BuildRoot(w, root);
    BuildMid(w, root, mid);
    BuildClone(w, mid, clone);
    MergeMidIntoClone(w, mid, clone);
    uint64_t take_offset = 0;
    uint64_t take_length = 0;
    VmPageSpliceList supply = BuildAuxAndTake(w, aux, &take_offset, &take_length);

    report.lists.push_back(DescribeList(
        "root", "the hidden root of a clone tree; its pages carry copy-on-write split bits", root));
    report.lists.push_back(DescribeList(
        "mid", "a hidden child of root at offset 0x1000, merged into clone (so now empty)", mid));
    report.lists.push_back(DescribeList(
        "clone",
        "the visible child of mid at offset 0x4000: own pages, zero intervals, mid's merge",
        clone));
    report.lists.push_back(DescribeList(
        "aux", "a pager's auxiliary VMO; a range of it went to the splice list supply", aux));
    report.splices.push_back(DescribeSplice(
        "supply",
        fmt::format("pages TakePages({:#x}, {:#x}) took from aux; drained with Pop after this",
                    take_offset, take_length),
        supply));
    report.drains.push_back(DrainSpliceList(supply, report.splices.back().list,
                                            [&w](VmPageOrMarker&& content) { w.Free(content); }));

    for (VmPageList* list : {&root, &mid, &clone, &aux}) {
      w.FreeAll(*list);
    }
  }
  report.pages_outstanding = allocator.pages_outstanding() - pages_before;
  report.references_outstanding = allocator.references_outstanding() - references_before;
  return report;
}

namespace {

struct DemoOptions {
  uint64_t seed = 1;
  bool json = false;
};

constexpr char kDemoFooter[] = R"(EXAMPLES:
  vmpl demo                      the workload for seed 1, node by node
  vmpl demo --seed 42            another seed: other offsets, lengths and split bits
  vmpl demo --json | jq '.lists[] | {name, counts}'
  vmpl --color=never demo        no colours even on a terminal

OUTPUT:
  Every list in the one text view of docs/snapshot-format.md: a list line (skew, nodes, pages,
  references, markers, intervals and interval sentinels); per node its address, key (skewed)
  and the VMO offsets it covers; one line per populated slot in the kernel dump's wording:
    [ 3] offset 0x3000 page 0x5581c0e3a030 paddr 0x103000(L.)   split bits: L/. left, R/. right
    [ 4] offset 0x4000 reference 0x20(.R)
    [ 5] offset 0x5000 zero page marker
    [ 0] offset 0x40000 page interval start dirty awaiting-clean 0x2000
  then "valid" or the violations vmpl::Validate found. Addresses differ between runs;
  everything else is fixed by the seed.

EXIT STATUS:
  0 every list valid and nothing leaked, 1 a violation, a failed step or a leak, 2 usage error)";

void PrintText(const DemoReport& report, const TextStyle& style) {
  std::string out = fmt::format(
      "vmpl demo, seed {}: a clone tree root -> mid -> clone, and a pager's aux list\n\n",
      report.seed);
  out += "workload:\n";
  for (const std::string& step : report.steps) {
    out += fmt::format("  {}\n", step);
  }
  for (const std::string& problem : report.problems) {
    out += fmt::format("  PROBLEM: {}\n", problem);
  }
  size_t invalid = 0;
  for (const DemoList& list : report.lists) {
    out += '\n';
    out += FormatDemoList(list, style);
    invalid += list.valid() ? 0 : 1;
  }
  for (size_t i = 0; i < report.splices.size(); i++) {
    out += '\n';
    out += FormatDemoList(report.splices[i], style);
    out += i < report.drains.size() ? FormatDrain(report.drains[i], style) : "";
    invalid += report.splices[i].valid() ? 0 : 1;
  }
  out += fmt::format(
      "\nsummary: {} structures validated, {} invalid; {} failed steps; freed {} pages and {} "
      "references, {} pages and {} references outstanding: {}\n",
      report.lists.size() + report.splices.size(), invalid, report.problems.size(),
      report.pages_freed, report.references_freed, report.pages_outstanding,
      report.references_outstanding, report.ok() ? "ok" : "FAILED");
  fputs(out.c_str(), stdout);
}

void PrintJson(const DemoReport& report, const SimulatedKernelReport& kernel) {
  nlohmann::ordered_json j;
  j["seed"] = report.seed;
  j["steps"] = report.steps;
  j["problems"] = report.problems;
  nlohmann::ordered_json lists = nlohmann::ordered_json::array();
  for (const DemoList& list : report.lists) {
    lists.push_back(DemoListToJson(list));
  }
  for (size_t i = 0; i < report.splices.size(); i++) {
    nlohmann::ordered_json splice = DemoListToJson(report.splices[i]);
    if (i < report.drains.size()) {
      const DemoDrain& drain = report.drains[i];
      splice["drain"] = {{"popped", drain.popped},
                         {"processed", drain.processed},
                         {"mismatches", drain.mismatches}};
    }
    lists.push_back(std::move(splice));
  }
  j["lists"] = std::move(lists);
  j["freed"] = {{"pages", report.pages_freed}, {"references", report.references_freed}};
  j["outstanding"] = {{"pages", report.pages_outstanding},
                      {"references", report.references_outstanding}};
  j["ok"] = report.ok();
  j["simulated_kernel"] = SimulatedKernelToJson(kernel);
  fputs((DumpJson(j) + "\n").c_str(), stdout);
}

// Accepts a decimal or 0x-prefixed hexadecimal integer that fits in 64 bits, and rewrites it in
// decimal (CLI11 itself would read a leading 0 as octal).
CLI::Validator UnsignedInteger() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::string error = "expected an unsigned 64-bit integer, got '" + text + "'";
        const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
        const uint64_t base = hex ? 16 : 10;
        const std::string digits = hex ? text.substr(2) : text;
        if (digits.empty()) {
          return error;
        }
        uint64_t value = 0;
        for (char c : digits) {
          uint64_t digit;
          if (c >= '0' && c <= '9') {
            digit = c - '0';
          } else if (hex && c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
          } else if (hex && c >= 'A' && c <= 'F') {
            digit = c - 'A' + 10;
          } else {
            return error;
          }
          if (value > (UINT64_MAX - digit) / base) {
            return error;
          }
          value = value * base + digit;
        }
        text = std::to_string(value);
        return "";
      },
      "UINT64");
}

}  // namespace

Subcommand RegisterDemoCommand(CLI::App& root, const GlobalOptions& globals) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* demo = root.add_subcommand(
      "demo", "Build page lists like a VMO clone tree and print them slot by slot");
  demo->description(
      "Run a small deterministic workload on page lists built like a VMO clone tree (pages,\n"
      "references with split bits, markers, zero intervals, TakePages, MergeFrom) and print\n"
      "every list node by node, slot by slot, with the result of vmpl::Validate. Then run a\n"
      "small simulated kernel (vmpl::sim: clone trees, pager VMOs, splice lists) and show each\n"
      "of its lists as a node map, one cell per slot.");
  demo->footer(kDemoFooter);
  demo->add_option("--seed", options->seed, "Seed of the workload's random choices")
      ->check(UnsignedInteger())
      ->option_text("N")
      ->default_str("1");
  demo->add_flag("--json", options->json, "Print the same data as JSON");

  const GlobalOptions* global_options = &globals;
  return Subcommand{demo, [options, global_options]() {
                      const DemoReport report = RunDemo(options->seed);
                      const SimulatedKernelReport kernel = RunSimulatedKernel(options->seed);
                      if (options->json) {
                        PrintJson(report, kernel);
                      } else {
                        const TextStyle style{.color = UseColor(*global_options)};
                        PrintText(report, style);
                        fputc('\n', stdout);
                        fputs(FormatSimulatedKernel(kernel, style).c_str(), stdout);
                      }
                      fflush(stdout);
                      return report.ok() && kernel.ok() ? kExitOk : kExitProblems;
                    }};
}

}  // namespace vmpl::cli
