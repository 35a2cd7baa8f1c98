// The JSON view of PageListDump models: the same data as the text view (page_list_text.h), with
// numbers as JSON numbers (offsets, keys, paddrs, references and raw encodings are unsigned 64-bit
// integers; page addresses too) so that tools need not parse hex strings. Keys keep the order
// in which they are written (ordered_json), so the JSON reads like the text.
//
//   {"name": "clone", "skew": 20480, "nodes": 4, "pages": 9, "references": 2, "markers": 2,
//    "intervals": 4, "heap_bytes": 704, "empty_nodes": 0, "valid": true, "violations": [],
//    "node_list": [{"key": 262144, "first_offset": ..., "end_offset": ...,
//                   "slots": [{"index": 5, "offset": 262144, "kind": "interval start",
//                              "interval_type": "zero", "dirty_state": "dirty",
//                              "awaiting_clean_length": 8192, "interval_start": ...,
//                              "interval_end": ..., "raw": ...}, ...]}]}

#ifndef VMPL_CLI_PAGE_LIST_JSON_H_
#define VMPL_CLI_PAGE_LIST_JSON_H_

#include <nlohmann/json.hpp>

#include "page_list_dump.h"

namespace vmpl::cli {

nlohmann::ordered_json SlotToJson(const SlotDump& slot);
nlohmann::ordered_json ListToJson(const ListDump& list);
nlohmann::ordered_json SpliceToJson(const SpliceDump& splice);

}  // namespace vmpl::cli

#endif  // VMPL_CLI_PAGE_LIST_JSON_H_
