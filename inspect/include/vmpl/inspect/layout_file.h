// Layout files: a DecodeLayout as JSON (docs/layout-format.md).
//
// `vmpl layout` extracts the sizes, offsets and constants of the page-list types from a build's
// headers and writes them in this form; every reader (`vmpl inspect`, `vmpl check`, and later the
// TUI) accepts one with --layout FILE, so a kernel built with another compiler, another field
// order or a wider rank is read as faithfully as our own core. A layout file is outside input: it
// is parsed strictly, and CheckLayout refuses one whose fields would make the decoder read past
// an object or divide by zero.

#ifndef VMPL_INSPECT_LAYOUT_FILE_H_
#define VMPL_INSPECT_LAYOUT_FILE_H_

#include <optional>
#include <string>
#include <string_view>

#include <vmpl/inspect/decoder.h>

namespace vmpl::inspect {

// The JSON text of |layout|; |origin| says where it came from ("built in", the headers).
std::string LayoutToJson(const DecodeLayout& layout, const std::string& origin);

// Parses a layout file's text and checks it; nullopt with *error naming the field on failure.
std::optional<DecodeLayout> ParseLayoutJson(std::string_view text, std::string* error);

// ParseLayoutJson on the file at |path| (messages start with the path).
std::optional<DecodeLayout> ReadLayoutFile(const std::string& path, std::string* error);

// Empty if the decoder can use |layout|; otherwise the first reason why not, naming the field as
// the file does ("node.slots: 16 slots of 8 bytes at 49 run past the node's 176 bytes").
std::string CheckLayout(const DecodeLayout& layout);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_LAYOUT_FILE_H_
