// The one text view of a page list (docs/snapshot-format.md, "Text"): the kernel's own dump
// wording, one line per slot with its VMO offset. Every tool that prints a list as text prints
// these lines; gdb's `vmpl dump` prints the same ones (gdb/vmpl/text.py), and both are held to
// tests/vectors/lists.json.
//
//   list 3 'vmo:3' at 0x55d0c0e3a000 (page list): skew 0x1000, 2 nodes, 3 pages, ...
//     node 0x55d0c0e3b000 key 0x0 offsets [0x0, 0xf000)
//       [ 1] offset 0x0 page 0x55d0c0e40030 paddr 0x103000(L.)
//       [ 3] offset 0x2000 zero page marker
//       [ 0] offset 0xf000 page interval start dirty awaiting-clean 0x2000

#ifndef VMPL_MODEL_TEXT_VIEW_H_
#define VMPL_MODEL_TEXT_VIEW_H_

#include <stdint.h>
#include <vmpl/model/entries.h>
#include <vmpl/model/slot.h>
#include <vmpl/model/snapshot.h>

#include <string>
#include <string_view>

namespace vmpl {

// What a slot holds, in the kernel's wording, without the offset: "page 0x... paddr 0x...(L.)"
// (the paddr part only when |page| is known), "reference 0x...(.R)", "zero page marker",
// "page interval start dirty awaiting-clean 0x2000"; "empty" for 0.
std::string SlotContentText(uint64_t raw, const SnapshotPage* page = nullptr);

// "offset 0x3000 " + SlotContentText, the vm_page_t taken from |list| when it holds it.
std::string EntryText(const SnapshotList& list, const ListEntry& entry);

// "[ 3] offset 0x3000 ...", the slot line without its indentation.
std::string EntryLine(const SnapshotList& list, const ListEntry& entry);
// The same line for slot |index| at VMO |offset| holding |raw|, with |page| if it is known: for
// a view that shows one slot (the TUI's detail).
std::string SlotLine(size_t index, uint64_t offset, uint64_t raw, const SnapshotPage* page);

// "node 0x... key 0x... offsets [0x..., 0x...)" (with "head "/"tail " before it for a splice
// list's inline nodes, ": EMPTY" after it for a node without a populated slot).
std::string NodeLine(const ListNode& node);

// The list line: "list 3 'vmo:3' at 0x... (page list): skew 0x..., N nodes, ...".
std::string ListLine(const SnapshotList& list);

// The list line; with |slots|, every node and slot line after it; then every problem. Each line
// ends with a newline.
std::string FormatList(const SnapshotList& list, bool slots);

// |text| with every byte that is not printable ASCII as \xNN and a backslash doubled, and with
// |quote| a single quote as \': a string from a target (a name, a message quoting one) made safe
// for a terminal.
std::string EscapeText(std::string_view text, bool quote);

}  // namespace vmpl

#endif  // VMPL_MODEL_TEXT_VIEW_H_
