// Tests of `vmpl trace report` and `vmpl trace export`, run as a user would (run_vmpl.h) on a
// trace `vmpl sim --trace` records: the text report's sections, the JSON report's counts against
// the simulator's own summary, the SVG plot, both export formats, and exit code 3 with the
// readable part shown for a truncated file.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "run_vmpl.h"

namespace {

using vmpl::testing::RunResult;
using vmpl::testing::RunVmpl;

std::string Temp(const std::string& name) {
  return ::testing::TempDir() + "vmpl_report_cli_" + std::to_string(getpid()) + "_" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One recorded simulator run shared by the tests of this program.
class TraceReportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    trace_ = new std::string(Temp("sim.vmpltrace"));
    const RunResult sim = RunVmpl("sim --seed 3 --ops 1500 --json --trace '" + *trace_ + "'");
    ASSERT_EQ(sim.exit_code, 0) << sim.out << sim.err;
    sim_ = new nlohmann::json(nlohmann::json::parse(sim.out));
  }
  static void TearDownTestSuite() {
    std::remove(trace_->c_str());
    delete trace_;
    delete sim_;
  }
  static std::string* trace_;
  static nlohmann::json* sim_;
};
std::string* TraceReportCli::trace_ = nullptr;
nlohmann::json* TraceReportCli::sim_ = nullptr;

TEST_F(TraceReportCli, TextReportHasEverySection) {
  const RunResult result = RunVmpl("trace report --plot --width 90 '" + *trace_ + "'");
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  for (const char* section :
       {"vmpl trace report: ", "recorded by vmpl sim", "file complete and intact", "losses: none",
        "events by kind", "slot-store", "operations", "LookupOrAllocate",
        "lists: ", "operations per list", "zero intervals per list", "rates over time",
        "slot stores", "seconds", "attribution", "resolver inconsistencies: 0"}) {
    EXPECT_NE(result.out.find(section), std::string::npos) << section << "\n" << result.out;
  }
}

TEST_F(TraceReportCli, JsonReportAgreesWithTheSimulator) {
  const RunResult result = RunVmpl("trace report --json '" + *trace_ + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);
  uint64_t kinds = 0;
  for (const auto& [kind, count] : report["event_kinds"].items()) {
    kinds += count.get<uint64_t>();
  }
  EXPECT_EQ(kinds + report["unknown_kinds"].get<uint64_t>(), report["events"].get<uint64_t>());
  // The simulator checkpoints once per step.
  EXPECT_EQ(report["event_kinds"]["checkpoint"], (*sim_)["steps"]);
  EXPECT_EQ(report["inconsistencies"]["count"], 0);
  EXPECT_EQ(report["unmatched_op_ends"], 0);
  EXPECT_EQ(report["unterminated_ops"], 0);
  EXPECT_TRUE(report["problem"].is_null());
  // Every list the simulator still has is alive at the end of the trace, with the nodes it has.
  uint64_t alive = 0;
  uint64_t nodes = 0;
  uint64_t allocs = 0;
  uint64_t frees = 0;
  for (const nlohmann::json& list : report["lists"]) {
    alive += list["alive_at_end"].get<bool>() && list["registry_id"] != 0 ? 1 : 0;
    nodes += list["nodes"]["at_end"].get<uint64_t>();
    allocs += list["nodes"]["allocs"].get<uint64_t>();
    frees += list["nodes"]["frees"].get<uint64_t>();
  }
  EXPECT_EQ(alive, (*sim_)["live"]["lists"].get<uint64_t>() +
                       (*sim_)["live"]["splice_lists"].get<uint64_t>());
  EXPECT_EQ(allocs, report["event_kinds"]["node-alloc"].get<uint64_t>());
  EXPECT_EQ(frees, report["event_kinds"]["node-free"].get<uint64_t>());
  EXPECT_GT(report["rates"]["buckets"].get<uint64_t>(), 50u);
}

TEST_F(TraceReportCli, SvgPlotIsWritten) {
  const std::string svg = Temp("rates.svg");
  const RunResult result = RunVmpl("trace report --no-plot --svg '" + svg + "' '" + *trace_ + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find("seconds"), std::string::npos);  // --no-plot
  const std::string content = ReadFile(svg);
  EXPECT_EQ(content.rfind("<?xml", 0), 0u);
  EXPECT_NE(content.find("</svg>"), std::string::npos);
  EXPECT_NE(content.find("slot stores"), std::string::npos);
  std::remove(svg.c_str());
}

TEST_F(TraceReportCli, ExportsBothFormats) {
  const std::string json_path = Temp("out.json");
  const std::string fxt_path = Temp("out.fxt");
  RunResult result =
      RunVmpl("trace export '" + *trace_ + "' --format chrome -o '" + json_path + "'");
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("operations"), std::string::npos) << result.out;
  const nlohmann::json chrome = nlohmann::json::parse(ReadFile(json_path));
  EXPECT_GT(chrome["traceEvents"].size(), 1000u);
  result = RunVmpl("trace export '" + *trace_ + "' --format fxt -o '" + fxt_path + "'");
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string fxt = ReadFile(fxt_path);
  ASSERT_GE(fxt.size(), 8u);
  EXPECT_EQ(fxt.substr(0, 8), std::string("\x10\x00\x04\x46\x78\x54\x16\x00", 8));
  EXPECT_EQ(fxt.size() % 8, 0u);
  // To standard output, with the summary on stderr.
  result = RunVmpl("trace export '" + *trace_ + "' --format chrome --no-slot-stores -o -");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NO_THROW(nlohmann::json::parse(result.out));
  EXPECT_EQ(result.out.find("slot-store"), std::string::npos);
  EXPECT_NE(result.err.find("operations"), std::string::npos);
  std::remove(json_path.c_str());
  std::remove(fxt_path.c_str());
}

TEST_F(TraceReportCli, TruncatedFileIsReportedAsFarAsReadableWithExit3) {
  const std::string cut = Temp("cut.vmpltrace");
  std::string bytes = ReadFile(*trace_);
  bytes.resize(bytes.size() / 2 + 13);
  std::ofstream(cut, std::ios::binary) << bytes;
  RunResult result = RunVmpl("trace report --no-plot '" + cut + "'");
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.out.find("DAMAGED: "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("events by kind"), std::string::npos);
  EXPECT_NE(result.err.find("are readable"), std::string::npos) << result.err;
  const std::string out = Temp("cut.json");
  result = RunVmpl("trace export '" + cut + "' --format chrome -o '" + out + "'");
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NO_THROW(nlohmann::json::parse(ReadFile(out)));
  std::remove(cut.c_str());
  std::remove(out.c_str());
}

TEST(TraceReportCliUsage, MissingFileAndBadOptions) {
  RunResult result = RunVmpl("trace report /nonexistent/trace.vmpltrace");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("/nonexistent/trace.vmpltrace"), std::string::npos) << result.err;
  result = RunVmpl("trace export /nonexistent/trace.vmpltrace -o x.json");
  EXPECT_EQ(result.exit_code, 2) << result.err;  // --format is required
  result = RunVmpl("trace export /nonexistent/trace.vmpltrace --format pdf -o x.pdf");
  EXPECT_EQ(result.exit_code, 2) << result.err;
  for (const char* verb : {"report", "export"}) {
    result = RunVmpl(std::string("trace ") + verb + " --help");
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("EXAMPLES:"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("EXIT STATUS:"), std::string::npos) << result.out;
  }
}

}  // namespace
