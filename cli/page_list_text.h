// The text view of PageListDump models: one header line per list, then per node its key and the VMO
// offsets it covers, then one line per populated slot in the wording of the kernel's own page list
// dump (the words of docs/snapshot-format.md), so the output reads familiar to kernel engineers:
//
//   list clone: skew 0x5000, 4 nodes, 9 pages, 2 references, 2 markers, 4 intervals, 704 heap bytes
//     node key 0x40000 covers offsets [0x3b000, 0x4b000)
//       [ 5] offset 0x40000 interval start zero dirty awaiting clean 0x2000 covers [0x40000, ...)
//       [ 3] offset 0x3000 page 0x55d0c1e2f030 paddr 0x103000(L.)
//       [ 4] offset 0x4000 reference 0x30(.R)
//       [ 6] offset 0x6000 zero page marker
//
// The two characters after a page or reference are its copy-on-write split bits: L or . for
// left, R or . for right. Offsets are VMO offsets (unskewed); node keys are skewed.

#ifndef VMPL_CLI_PAGE_LIST_TEXT_H_
#define VMPL_CLI_PAGE_LIST_TEXT_H_

#include <fmt/color.h>

#include <string>
#include <string_view>

#include "page_list_dump.h"

namespace vmpl::cli {

struct TextStyle {
  bool color = false;  // ANSI colours (only when writing to a terminal)
};

// Returns |text| wrapped in the escape codes of |ts| when colour is on, unchanged otherwise.
std::string Paint(const TextStyle& style, fmt::text_style ts, std::string_view text);

// "offset 0x3000 page 0x... paddr 0x103000(L.)" and so on, without indentation or newline.
std::string FormatSlot(const SlotDump& slot, const TextStyle& style);

// The list's header line, its nodes and slots, and its validation result; ends with a newline.
std::string FormatList(const ListDump& list, const TextStyle& style);

// The splice list's header line, its head, middle and tail with their items, and its validation
// result; ends with a newline.
std::string FormatSplice(const SpliceDump& splice, const TextStyle& style);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_PAGE_LIST_TEXT_H_
