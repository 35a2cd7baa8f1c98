// `vmpl layout`: where a build put the page-list fields, as a layout file every reader accepts
// with --layout FILE (docs/layout-format.md).
//
//   vmpl layout HEADER... -- CLANG_ARGS   extract it from headers with libclang
//   vmpl layout --builtin                 the layout this vmpl was built with
//   ... --compare FILE                    list the fields that differ from FILE; exit 1 if any

#include <stdio.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/layout_extract.h>
#include <vmpl/inspect/layout_file.h>

#include "command.h"

namespace vmpl::cli {
namespace {

struct LayoutOptions {
  std::vector<std::string> headers;
  bool builtin = false;
  std::string output;
  std::string compare;
};

// "node.left: 8 here, 16 in FILE" for each field whose value differs (the origin aside).
std::vector<std::string> Differences(const inspect::DecodeLayout& ours,
                                     const inspect::DecodeLayout& theirs,
                                     const std::string& their_name) {
  const nlohmann::json a = nlohmann::json::parse(inspect::LayoutToJson(ours, "")).flatten();
  const nlohmann::json b = nlohmann::json::parse(inspect::LayoutToJson(theirs, "")).flatten();
  std::vector<std::string> out;
  for (auto it = a.begin(); it != a.end(); ++it) {
    if (b.contains(it.key()) && b[it.key()] != it.value()) {
      std::string field = it.key().substr(1);
      std::replace(field.begin(), field.end(), '/', '.');
      out.push_back(fmt::format("{}: {} here, {} in {}", field, it.value().dump(),
                                b[it.key()].dump(), their_name));
    }
  }
  return out;
}

int RunLayout(const LayoutOptions& options, const GlobalOptions& globals) {
  inspect::DecodeLayout layout;
  std::string origin;
  if (options.builtin) {
    layout = inspect::BuiltinDecodeLayout();
    origin = "built in";
  } else {
    std::string error;
    std::optional<inspect::DecodeLayout> extracted =
        inspect::ExtractLayout(options.headers, globals.passthrough, &error);
    if (!extracted) {
      fprintf(stderr, "vmpl layout: %s\n", error.c_str());
      return kExitUnreadable;
    }
    layout = *extracted;
    origin = fmt::format("vmpl layout {}", fmt::join(options.headers, " "));
    if (!globals.passthrough.empty()) {
      origin += fmt::format(" -- {}", fmt::join(globals.passthrough, " "));
    }
  }

  if (!options.compare.empty()) {
    std::string error;
    std::optional<inspect::DecodeLayout> other = inspect::ReadLayoutFile(options.compare, &error);
    if (!other) {
      fprintf(stderr, "vmpl layout: %s\n", error.c_str());
      return kExitUnreadable;
    }
    const std::vector<std::string> differences = Differences(layout, *other, options.compare);
    for (const std::string& line : differences) {
      printf("%s\n", line.c_str());
    }
    if (differences.empty()) {
      printf("the same layout as %s\n", options.compare.c_str());
    }
    return differences.empty() ? kExitOk : kExitProblems;
  }

  const std::string json = inspect::LayoutToJson(layout, origin);
  if (options.output.empty() || options.output == "-") {
    fputs(json.c_str(), stdout);
    return kExitOk;
  }
  std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
  out << json;
  out.close();
  if (!out) {
    fprintf(stderr, "vmpl layout: %s: cannot write\n", options.output.c_str());
    return kExitUnreadable;
  }
  return kExitOk;
}

constexpr char kLayoutFooter[] = R"(Arguments after -- go to clang as they would on a compile line: include paths, defines,
--target, -std. The headers must declare the page-list types with Zircon's names
(docs/layout-format.md).

EXAMPLES:
  vmpl layout -o ours.json core/include/vm/vm_page_list.h -- -Icore/include
                                   the layout of a build's headers, as a layout file
  vmpl layout --compare ours.json kernel/vm/include/vm/vm_page_list.h -- -Ikernel/include ...
                                   which fields a kernel lays out differently
  vmpl layout --builtin            the layout built into this vmpl
  vmpl inspect --core vmcore --layout kernel.json
                                   read a target with that layout

EXIT STATUS:
  0 fine, 1 (--compare) the layouts differ, 2 usage error, 3 the headers could not be parsed)";

}  // namespace

Subcommand RegisterLayoutCommand(CLI::App& root, const GlobalOptions& globals) {
  auto options = std::make_shared<LayoutOptions>();
  CLI::App* app = root.add_subcommand(
      "layout", "Extract the page-list types' layout from headers (libclang) into a layout file");
  app->footer(kLayoutFooter);
  auto* headers = app->add_option("headers", options->headers, "Headers that declare the types")
                      ->option_text("HEADER...");
  auto* builtin =
      app->add_flag("--builtin", options->builtin, "The layout this vmpl was built with");
  headers->excludes(builtin);
  app->add_option("-o,--output", options->output, "Write the layout file here (default stdout)")
      ->option_text("FILE");
  app->add_option("--compare", options->compare,
                  "Print the fields that differ from this layout file instead")
      ->option_text("FILE");
  app->callback([options, app] {
    if (options->headers.empty() && !options->builtin) {
      throw CLI::ValidationError(app->get_name(), "give HEADER... or --builtin");
    }
  });
  return Subcommand{app, [options, &globals]() { return RunLayout(*options, globals); },
                    /*takes_passthrough=*/true};
}

}  // namespace vmpl::cli
