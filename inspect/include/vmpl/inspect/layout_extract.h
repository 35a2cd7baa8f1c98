// Extracting a DecodeLayout from a build's headers with libclang (`vmpl layout`).
//
// The page-list types are laid out by the compiler that built the target, with that build's
// flags; only a compiler front end can say where each field landed. ExtractLayout parses the
// given headers with libclang and the given compiler arguments, together with a generated
// probe file whose constant expressions name each size, offset and constant the decoder needs
// (sizeof(VmPageListNode), offsetof(VmPageListNode, wavl_node_state_.left_),
// VmPageList::MAX_SIZE, the canary's template argument, ...), and evaluates them. Private
// members are reached by parsing with access control off. The vm_page_t split and dirty bits are
// bit-fields, which offsetof cannot name; their bit positions come from the record layout
// libclang reports for vm_page_t's `object` member.
//
// Names the headers must declare (as Zircon's do): VmPageListNode (with fbl's
// wavl_node_state_ {parent_, left_, right_, rank_}, canary_ (an fbl::Canary<MAGIC>),
// obj_offset_, pages_, kPageFanOut), VmPageOrMarker, VmPageList (list_: an fbl::WAVLTree with
// root_ and count_; list_skew_; MAX_SIZE), VmPageSpliceList (offset_, length_, pos_,
// list_skew_, finalized_, head_, middle_, tail_), vm_page_t (object.cow_left_split,
// object.cow_right_split, object.dirty_state) and PAGE_SIZE.

#ifndef VMPL_INSPECT_LAYOUT_EXTRACT_H_
#define VMPL_INSPECT_LAYOUT_EXTRACT_H_

#include <optional>
#include <string>
#include <vector>

#include <vmpl/inspect/decoder.h>

namespace vmpl::inspect {

// Parses |headers| with |clang_args| (include paths, defines, --target, -std...) and extracts
// the layout. On failure returns nullopt and sets *error to every reason, one per line: a
// header that does not parse (clang's diagnostic with file and line), or the fields that could
// not be found ("splice_list.middle: offsetof(VmPageSpliceList, middle_): no member named
// 'middle_' in 'VmPageSpliceList'").
std::optional<DecodeLayout> ExtractLayout(const std::vector<std::string>& headers,
                                          const std::vector<std::string>& clang_args,
                                          std::string* error);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_LAYOUT_EXTRACT_H_
