// Colour for the demo's own lines (see text_style.h).

#include "text_style.h"

#include <fmt/format.h>

namespace vmpl::cli {

std::string Paint(const TextStyle& style, fmt::text_style ts, std::string_view text) {
  if (!style.color) {
    return std::string(text);
  }
  return fmt::format(ts, "{}", text);
}

}  // namespace vmpl::cli
