// Tests of the `vmpl` binary's demo subcommand and its command-line contract, run as a user would:
// the built binary in a child process (run_vmpl.h), its exit code
// and output checked. Page addresses differ between runs, so comparisons mask them.

#include <gtest/gtest.h>
#include <stdio.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "run_vmpl.h"

namespace {

using vmpl::testing::RunResult;
using vmpl::testing::RunVmpl;

uint64_t TestSeed() {
  return static_cast<uint64_t>(::testing::UnitTest::GetInstance()->random_seed());
}

std::string DemoArgs(uint64_t seed, const std::string& extra = "") {
  return "--color=never demo --seed " + std::to_string(seed) + (extra.empty() ? "" : " " + extra);
}

// Replaces the addresses of lists, nodes and vm_page_t's (the only run-dependent values) with a
// placeholder.
std::string MaskPointers(const std::string& text) {
  static const std::regex kPointer(R"((at|node|page) 0x[0-9a-f]+)");
  return std::regex_replace(text, kPointer, "$1 PTR");
}

struct Counts {
  uint64_t skew = 0;
  uint64_t nodes = 0;
  uint64_t pages = 0;
  uint64_t references = 0;
  uint64_t markers = 0;
  uint64_t intervals = 0;
  uint64_t interval_sentinels = 0;
  uint64_t slot_lines = 0;  // populated slots printed under the list
};

// Parses every list line of the one text view (docs/snapshot-format.md) and counts the slot
// lines below it.
std::map<std::string, Counts> ParseListHeaders(const std::string& text) {
  static const std::regex kHeader(
      R"(^list '(\S+)' at 0x[0-9a-f]+ \((page|splice) list\): (offset .*, )?skew (0x[0-9a-f]+), )"
      R"((\d+) nodes?, (\d+) pages?, (\d+) references?, (\d+) markers?, (\d+) intervals? )"
      R"(\((\d+) interval sentinels?\)$)");
  static const std::regex kSlotLine(R"(^    \[[ 0-9]{2}\] offset 0x[0-9a-f]+ .*)");
  std::map<std::string, Counts> lists;
  std::istringstream in(text);
  std::string line;
  Counts* current = nullptr;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kHeader)) {
      Counts& c = lists[m[1]];
      c.skew = std::stoull(m[4], nullptr, 16);
      c.nodes = std::stoull(m[5]);
      c.pages = std::stoull(m[6]);
      c.references = std::stoull(m[7]);
      c.markers = std::stoull(m[8]);
      c.intervals = std::stoull(m[9]);
      c.interval_sentinels = std::stoull(m[10]);
      current = &c;
    } else if (current != nullptr && std::regex_match(line, kSlotLine)) {
      current->slot_lines++;
    }
  }
  return lists;
}

TEST(VmplDemo, ExitsZeroAndPrintsEveryKindOfSlot) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const RunResult run = RunVmpl(DemoArgs(seed));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  // One pattern per kind of line the demo promises (docs/snapshot-format.md: the kernel's dump
  // wording).
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"list line", R"(\nlist 'clone' at 0x[0-9a-f]+ \(page list\): skew 0x5000, \d+ nodes, )"},
      {"node line", R"(\n  node 0x[0-9a-f]+ key 0x[0-9a-f]+ offsets \[0x[0-9a-f]+, 0x[0-9a-f]+\)\n)"},
      {"page", R"(\] offset 0x[0-9a-f]+ page 0x[0-9a-f]+ paddr 0x[0-9a-f]+\([L.][R.]\)\n)"},
      {"page with left split", R"( paddr 0x[0-9a-f]+\(L[R.]\)\n)"},
      {"page with right split", R"( paddr 0x[0-9a-f]+\([L.]R\)\n)"},
      {"reference", R"(offset 0x[0-9a-f]+ reference 0x[0-9a-f]+\([L.][R.]\)\n)"},
      {"marker", R"(offset 0x[0-9a-f]+ zero page marker\n)"},
      {"interval start awaiting clean",
       R"(offset 0x[0-9a-f]+ page interval start dirty awaiting-clean 0x[0-9a-f]+\n)"},
      {"interval start", R"(offset 0x[0-9a-f]+ page interval start dirty\n)"},
      {"interval end", R"(offset 0x[0-9a-f]+ page interval end dirty\n)"},
      {"interval slot", R"(offset 0x[0-9a-f]+ page interval slot dirty( awaiting-clean 0x1000)?\n)"},
      {"split step", R"(LookupOrAllocate\(0x[0-9a-f]+, SplitInterval\) -> interval slot)"},
      {"merge step", R"(MergeFrom\(mid, 0x4000, 0x104000\): .* mid is empty\n)"},
      {"splice line", R"(\nlist 'supply' at 0x[0-9a-f]+ \(splice list\): offset 0x[0-9a-f]+, )"
                      R"(length 0x[0-9a-f]+, position 0x0, finalized, skew 0x0, )"},
      {"splice head", R"(\n  head node 0x[0-9a-f]+ key 0x0 offsets \[0x0, 0x10000\)\n)"},
      {"splice middle node", R"(\n  node 0x[0-9a-f]+ key 0x[12]0000 offsets )"},
      {"splice tail", R"(\n  tail node 0x[0-9a-f]+ key 0x0 offsets \[0x30000, 0x40000\)\n)"},
      {"splice drained", R"(\n  drained by Pop: \d+ positions, each as captured; processed\n)"},
      {"valid", R"(\n  valid\n)"},
      {"summary", R"(\nsummary: 5 structures validated, 0 invalid; 0 failed steps; .* 0 pages )"
                  R"(and 0 references outstanding: ok\n)"},
  };
  for (size_t i = 0; i < expected.size(); i++) {
    EXPECT_TRUE(std::regex_search(run.out, std::regex(expected[i].second)))
        << "case " << i << ": no " << expected[i].first << " line (/" << expected[i].second
        << "/) in:\n"
        << run.out;
  }
  EXPECT_EQ(run.out.find("INVALID"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("PROBLEM"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("\x1b["), std::string::npos) << "colour codes on a pipe";
}

TEST(VmplDemo, JsonParsesAndAgreesWithText) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const RunResult text = RunVmpl(DemoArgs(seed));
  const RunResult json_run = RunVmpl(DemoArgs(seed, "--json"));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;

  nlohmann::json json;
  ASSERT_NO_THROW(json = nlohmann::json::parse(json_run.out)) << json_run.out;
  EXPECT_EQ(json["seed"].get<uint64_t>(), seed);
  EXPECT_TRUE(json["ok"].get<bool>());
  EXPECT_EQ(json["outstanding"]["pages"].get<uint64_t>(), 0u);
  EXPECT_EQ(json["outstanding"]["references"].get<uint64_t>(), 0u);

  const std::map<std::string, Counts> headers = ParseListHeaders(text.out);
  ASSERT_EQ(headers.size(), json["lists"].size()) << text.out;
  size_t splices = 0;
  for (size_t i = 0; i < json["lists"].size(); i++) {
    const nlohmann::json& list = json["lists"][i];
    const std::string name = list["name"];
    SCOPED_TRACE("list " + name);
    auto it = headers.find(name);
    ASSERT_NE(it, headers.end()) << "list " << i << " (" << name << ") has no text line";
    const Counts& c = it->second;
    const nlohmann::json& counts = list["counts"];
    EXPECT_EQ(std::stoull(list["skew"].get<std::string>(), nullptr, 16), c.skew);
    EXPECT_EQ(counts["nodes"].get<uint64_t>(), c.nodes);
    EXPECT_EQ(counts["pages"].get<uint64_t>(), c.pages);
    EXPECT_EQ(counts["references"].get<uint64_t>(), c.references);
    EXPECT_EQ(counts["markers"].get<uint64_t>(), c.markers);
    EXPECT_EQ(counts["intervals"].get<uint64_t>(), c.intervals);
    EXPECT_EQ(counts["interval_sentinels"].get<uint64_t>(), c.interval_sentinels);
    EXPECT_TRUE(list["valid"].get<bool>());
    // The JSON's own slots add up to its counts, and match the text's slot lines.
    std::map<std::string, uint64_t> kinds;
    uint64_t slots = 0;
    uint64_t tree_nodes = 0;
    for (const nlohmann::json& node : list["nodes"]) {
      tree_nodes += node.contains("part") && node["part"] != "middle" ? 0 : 1;
      for (const nlohmann::json& slot : node["slots"]) {
        const std::string kind = slot["kind"];
        kinds[kind == "interval" ? "interval " + slot["sentinel"].get<std::string>() : kind]++;
        slots++;
      }
    }
    EXPECT_EQ(slots, c.slot_lines);
    EXPECT_EQ(kinds["page"], c.pages);
    EXPECT_EQ(kinds["reference"], c.references);
    EXPECT_EQ(kinds["marker"], c.markers);
    EXPECT_EQ(kinds["interval start"] + kinds["interval slot"], c.intervals);
    EXPECT_EQ(kinds["interval start"] + kinds["interval slot"] + kinds["interval end"],
              c.interval_sentinels);
    EXPECT_EQ(tree_nodes, c.nodes);
    if (list["kind"] == "splice-list") {
      splices++;
      // Pop returned exactly what the capture held, position by position.
      const uint64_t length = std::stoull(list["splice"]["length"].get<std::string>(), nullptr, 16);
      EXPECT_EQ(list["drain"]["popped"].get<uint64_t>() * 4096, length);
      EXPECT_TRUE(list["drain"]["processed"].get<bool>());
      EXPECT_TRUE(list["drain"]["mismatches"].empty()) << list["drain"]["mismatches"];
    }
  }
  EXPECT_EQ(splices, 1u);
}

TEST(VmplDemo, SameSeedGivesSameOutput) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const RunResult first = RunVmpl(DemoArgs(seed));
  const RunResult second = RunVmpl(DemoArgs(seed));
  ASSERT_EQ(first.exit_code, 0);
  ASSERT_EQ(second.exit_code, 0);
  EXPECT_EQ(MaskPointers(first.out), MaskPointers(second.out));
}

TEST(VmplDemo, ManySeedsStayValid) {
  const uint64_t base = TestSeed();
  for (uint64_t i = 0; i < 16; i++) {
    const uint64_t seed = base * 16 + i;
    const RunResult run = RunVmpl(DemoArgs(seed, "--json"));
    ASSERT_EQ(run.exit_code, 0) << "seed " << seed << " (case " << i << ")\n" << run.err;
    const nlohmann::json json = nlohmann::json::parse(run.out);
    EXPECT_TRUE(json["ok"].get<bool>()) << "seed " << seed << " (case " << i << ")";
    EXPECT_TRUE(json["problems"].empty()) << "seed " << seed << ": " << json["problems"];
  }
}

// The second half of the demo: a small simulated kernel whose lists are shown as node maps.
TEST(VmplDemo, ShowsASmallSimulatedKernel) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const RunResult text = RunVmpl(DemoArgs(seed));
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("a small simulated kernel (vmpl::sim, seed " + std::to_string(seed)),
            std::string::npos);
  // Node map rows: the key, 16 cells, the unskewed offsets.
  const std::regex row(
      R"(\n  key +0x[0-9a-f]+ \|[PpRrMS\[\]\-. ]{16}\| offsets \[0x[0-9a-f]+, 0x[0-9a-f]+\)\n)");
  EXPECT_TRUE(std::regex_search(text.out, row)) << text.out;

  const RunResult json_run = RunVmpl(DemoArgs(seed, "--json"));
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  const nlohmann::json kernel = nlohmann::json::parse(json_run.out)["simulated_kernel"];
  EXPECT_TRUE(kernel["ok"].get<bool>()) << kernel["failure"];
  EXPECT_GT(kernel["steps"].get<uint64_t>(), 0u);
  const nlohmann::json& census = kernel["census"];
  EXPECT_GE(census["lists"].get<size_t>(), 2u);
  // Every list the census counts is shown, with its skew and nodes; the text names each one.
  size_t page_lists = 0;
  size_t splice_lists = 0;
  size_t skewed = 0;
  for (const nlohmann::json& list : kernel["lists"]) {
    const std::string name = list["name"].get<std::string>();
    EXPECT_NE(text.out.find("\n" + name + "  ("), std::string::npos) << name;
    EXPECT_TRUE(list["problems"].empty()) << name << ": " << list["problems"];
    const bool splice = list["kind"] == "splice-list";
    page_lists += splice ? 0 : 1;
    splice_lists += splice ? 1 : 0;
    skewed += !splice && list["skew"] != "0x0" ? 1 : 0;
  }
  EXPECT_EQ(page_lists, census["lists"].get<size_t>());
  EXPECT_EQ(splice_lists, census["splice_lists"].get<size_t>());
  EXPECT_EQ(skewed, census["skewed_lists"].get<size_t>());
  EXPECT_GT(kernel["mutations"]["commit"].get<uint64_t>(), 0u);
}

TEST(VmplCli, UnknownOptionIsUsageError) {
  const RunResult run = RunVmpl("--bogus");
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("--bogus"), std::string::npos) << run.err;
}

TEST(VmplCli, BadArgumentsAreUsageErrors) {
  const std::vector<std::string> cases = {
      "",                                  // no subcommand
      "nosuchcommand",                     // unknown subcommand
      "demo --bogus",                      // unknown option of a subcommand
      "demo --seed",                       // missing value
      "demo --seed -1",                    // negative
      "demo --seed abc",                   // not a number
      "demo --seed 18446744073709551616",  // 2^64
      "--color=sometimes demo",            // bad colour mode
  };
  for (size_t i = 0; i < cases.size(); i++) {
    const RunResult run = RunVmpl(cases[i]);
    EXPECT_EQ(run.exit_code, 2) << "case " << i << ": vmpl " << cases[i] << "\n" << run.err;
    EXPECT_FALSE(run.err.empty()) << "case " << i << ": no message for vmpl " << cases[i];
  }
}

TEST(VmplCli, HelpHasExamplesAndExitsZero) {
  const std::vector<std::string> cases = {"--help", "demo --help", "demo -h"};
  for (size_t i = 0; i < cases.size(); i++) {
    const RunResult run = RunVmpl(cases[i]);
    EXPECT_EQ(run.exit_code, 0) << "case " << i << ": vmpl " << cases[i];
    EXPECT_NE(run.out.find("EXAMPLES:"), std::string::npos)
        << "case " << i << ": vmpl " << cases[i] << "\n"
        << run.out;
  }
}

TEST(VmplCli, SeedAcceptsHexAndMaximum) {
  const RunResult hex = RunVmpl("--color=never demo --seed 0x2a");
  const RunResult dec = RunVmpl("--color=never demo --seed 42");
  ASSERT_EQ(hex.exit_code, 0) << hex.err;
  ASSERT_EQ(dec.exit_code, 0) << dec.err;
  EXPECT_EQ(MaskPointers(hex.out), MaskPointers(dec.out));
  const RunResult max = RunVmpl("--color=never demo --seed 18446744073709551615");
  EXPECT_EQ(max.exit_code, 0) << max.err;
  EXPECT_NE(max.out.find("seed 18446744073709551615"), std::string::npos);
}

TEST(VmplCli, ColorOnlyWhenAsked) {
  const RunResult never = RunVmpl("--color=never demo");
  const RunResult always = RunVmpl("--color=always demo");
  ASSERT_EQ(never.exit_code, 0);
  ASSERT_EQ(always.exit_code, 0);
  EXPECT_EQ(never.out.find("\x1b["), std::string::npos);
  EXPECT_NE(always.out.find("\x1b["), std::string::npos);
  // Auto on a pipe: no colour.
  const RunResult automatic = RunVmpl("demo");
  EXPECT_EQ(automatic.out.find("\x1b["), std::string::npos);
}

}  // namespace
