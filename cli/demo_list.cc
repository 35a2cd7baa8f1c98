// The demo's lists in the one model and views (see demo_list.h).

#include "demo_list.h"

#include <fmt/format.h>
#include <vmpl/capture.h>
#include <vmpl/model/entries.h>
#include <vmpl/model/json_view.h>
#include <vmpl/model/text_view.h>
#include <vmpl/page_list_access.h>
#include <vmpl/validate.h>

#include <map>

namespace vmpl::cli {
namespace {

template <typename List>
DemoList Describe(const std::string& name, const std::string& role, const List& live) {
  DemoList out;
  out.role = role;
  out.list = Capture(live, CaptureOptions{.read_pages = true});
  out.list.name = name;
  for (const Violation& violation : Validate(live)) {
    out.list.problems.push_back(ProblemOf(violation));
  }
  return out;
}

std::string Plural(size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace

DemoList DescribeList(const std::string& name, const std::string& role, const VmPageList& list) {
  return Describe(name, role, list);
}

DemoList DescribeSplice(const std::string& name, const std::string& role,
                        const VmPageSpliceList& splice) {
  return Describe(name, role, splice);
}

DemoDrain DrainSpliceList(VmPageSpliceList& splice, const SnapshotList& captured,
                          const std::function<void(VmPageOrMarker&&)>& take) {
  std::map<uint64_t, uint64_t> expected;  // offset -> raw, for the non-empty positions
  const std::vector<ListNode> nodes = ListNodes(captured);
  for (const ListEntry& entry : ListEntries(captured, nodes)) {
    expected[entry.offset] = entry.raw;
  }
  DemoDrain drain;
  drain.drained = true;
  // Bounded by the number of positions, even if Pop failed to advance.
  const uint64_t max_pops = captured.splice_length / PAGE_SIZE;
  for (uint64_t i = 0; i < max_pops && splice.IsFinalized() && !splice.IsProcessed(); i++) {
    const uint64_t offset = captured.splice_offset + splice.Position();
    VmPageOrMarker item = splice.Pop();
    drain.popped++;
    const uint64_t raw = PageListAccess::raw(item);
    auto it = expected.find(offset);
    const uint64_t want = it == expected.end() ? 0 : it->second;
    if (raw != want) {
      drain.mismatches.push_back(fmt::format(
          "Pop at offset {:#x} returned raw {:#x}, the capture held {:#x}", offset, raw, want));
    }
    if (item.IsPageOrRef()) {
      take(std::move(item));
    }
  }
  drain.processed = splice.IsProcessed();
  return drain;
}

std::string FormatDemoList(const DemoList& list, const TextStyle& style) {
  std::string text = FormatList(list.list, /*slots=*/true);
  // The role goes under the list line.
  const size_t first_line = text.find('\n') + 1;
  text.insert(first_line, fmt::format("  {}\n", Paint(style, fmt::emphasis::faint, list.role)));
  if (list.valid()) {
    text += fmt::format("  {}\n", Paint(style, fmt::fg(fmt::terminal_color::green), "valid"));
  } else {
    text +=
        fmt::format("  {}\n", Paint(style, fmt::fg(fmt::terminal_color::red) | fmt::emphasis::bold,
                                    "INVALID: " + Plural(list.list.problems.size(), "violation")));
  }
  return text;
}

std::string FormatDrain(const DemoDrain& drain, const TextStyle& style) {
  if (!drain.drained) {
    return "";
  }
  if (drain.mismatches.empty() && drain.processed) {
    return fmt::format("  drained by Pop: {}, each as captured; processed\n",
                       Plural(drain.popped, "position"));
  }
  std::string out = fmt::format(
      "  {}\n", Paint(style, fmt::fg(fmt::terminal_color::red),
                      fmt::format("drained by Pop: {}, {}", Plural(drain.popped, "position"),
                                  drain.processed ? "processed" : "NOT processed")));
  for (const std::string& mismatch : drain.mismatches) {
    out += fmt::format("    - {}\n", Paint(style, fmt::fg(fmt::terminal_color::red), mismatch));
  }
  return out;
}

nlohmann::ordered_json DemoListToJson(const DemoList& list) {
  nlohmann::ordered_json j = ListToJson(list.list);
  j["role"] = list.role;
  j["valid"] = list.valid();
  return j;
}

}  // namespace vmpl::cli
