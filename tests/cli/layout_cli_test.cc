// `vmpl layout` and `--layout FILE` end to end: the layout of our own headers, extracted with
// libclang, is the built-in one; a header that lays the types out differently gives a layout file
// with which `vmpl inspect` and `vmpl check` read a live program built from that header, where the
// built-in layout finds only problems.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "layouts/alt_target_process.h"
#include "run_vmpl.h"

namespace {

using vmpl::testing::RunResult;
using vmpl::testing::RunVmpl;

std::string Temp(const std::string& name) {
  return ::testing::TempDir() + "vmpl_layout_cli_" + std::to_string(getpid()) + "_" + name;
}

TEST(LayoutCliTest, OurHeadersGiveTheBuiltinLayout) {
  const std::string builtin = Temp("builtin.json");
  RunResult result = RunVmpl("layout --builtin -o " + builtin);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  result = RunVmpl("layout --compare " + builtin + " " VMPL_CORE_INCLUDE_DIR
                   "/vm/vm_page_list.h -- -I" VMPL_CORE_INCLUDE_DIR);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out, "the same layout as " + builtin + "\n");
  unlink(builtin.c_str());
}

TEST(LayoutCliTest, AnotherLayoutReadsATargetBuiltWithIt) {
  const std::string alt = Temp("alt.json");
  RunResult result = RunVmpl("layout -o " + alt + " " VMPL_ALT_LAYOUT_HEADER);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  result = RunVmpl("layout --builtin --compare " + alt);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("node.rank_size: 1 here, 4 in " + alt), std::string::npos)
      << result.out;

  vmpl::testing::AltTargetProcess target;
  const nlohmann::json& report = target.report();
  ASSERT_TRUE(report.is_object());
  const std::string where = "--pid " + std::to_string(report["pid"].get<int>()) + " --list " +
                            std::to_string(report["list"]["address"].get<uint64_t>());

  result = RunVmpl("inspect " + where + " --layout " + alt + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json j = nlohmann::json::parse(result.out);
  ASSERT_EQ(j["lists"].size(), 1u);
  const nlohmann::json& list = j["lists"][0];
  EXPECT_EQ(list["skew"], fmt::format("{:#x}", report["list"]["skew"].get<uint64_t>()));
  EXPECT_EQ(list["problems"].size(), 0u) << list["problems"].dump();
  ASSERT_EQ(list["nodes"].size(), report["list"]["nodes"].size());
  for (size_t i = 0; i < list["nodes"].size(); i++) {
    const nlohmann::json& expected = report["list"]["nodes"][i];
    EXPECT_EQ(list["nodes"][i]["key"], fmt::format("{:#x}", expected["key"].get<uint64_t>()));
    size_t non_empty = 0;
    for (const auto& raw : expected["slots"]) {
      non_empty += raw.get<uint64_t>() != 0;
    }
    EXPECT_EQ(list["nodes"][i]["slots"].size(), non_empty);
  }

  // Without an address: the scan finds both lists by their canaries, laid out as the file says.
  result = RunVmpl("inspect --pid " + std::to_string(report["pid"].get<int>()) +
                   " --scan --layout " + alt + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json scanned = nlohmann::json::parse(result.out);
  std::set<uint64_t> found;
  for (const auto& list : scanned["lists"]) {
    found.insert(std::stoull(list["address"].get<std::string>(), nullptr, 16));
  }
  EXPECT_EQ(found, (std::set<uint64_t>{report["list"]["address"].get<uint64_t>(),
                                       report["splice"]["address"].get<uint64_t>()}))
      << result.out;

  result = RunVmpl("check " + where + " --layout " + alt);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  result = RunVmpl("check " + where);
  EXPECT_EQ(result.exit_code, 1) << "the built-in layout should misread it\n" << result.out;
  unlink(alt.c_str());
}

TEST(LayoutCliTest, BadLayoutFilesAndArgumentsAreRefused) {
  const std::string bad = Temp("bad.json");
  std::ofstream(bad) << R"({"format": "vmpl-layout", "version": 1, "pointer_size": 8})";
  RunResult result = RunVmpl("inspect --pid " + std::to_string(getpid()) + " --layout " + bad);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.err, "vmpl inspect: " + bad + ": page_size: missing\n");
  unlink(bad.c_str());

  result = RunVmpl("layout " VMPL_CORE_INCLUDE_DIR "/vm/vm_page_list.h");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("'align.h' file not found"), std::string::npos) << result.err;

  result = RunVmpl("layout");
  EXPECT_EQ(result.exit_code, 2);
  result = RunVmpl("demo -- --seed 3");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "vmpl demo: takes nothing after --\n");
}

}  // namespace
