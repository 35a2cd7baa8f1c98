// Colour on a terminal for the demo's own lines (headers, node maps, verdicts). The lists
// themselves are printed by the one text view (<vmpl/model/text_view.h>), without colour.

#ifndef VMPL_CLI_TEXT_STYLE_H_
#define VMPL_CLI_TEXT_STYLE_H_

#include <fmt/color.h>

#include <string>
#include <string_view>

namespace vmpl::cli {

struct TextStyle {
  bool color = false;  // ANSI colours (only when writing to a terminal)
};

// Returns |text| wrapped in the escape codes of |ts| when colour is on, unchanged otherwise.
std::string Paint(const TextStyle& style, fmt::text_style ts, std::string_view text);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_TEXT_STYLE_H_
