// The operations that core_bench.cc and ratio_bench.cc both give their page-list and std::map
// implementations: removing a range of offsets from either, and extracting one from a map.

#ifndef VMPL_BENCH_TWIN_OPS_H_
#define VMPL_BENCH_TWIN_OPS_H_

#include <stddef.h>
#include <stdint.h>
#include <vm/vm_page_list.h>
#include <zircon/errors.h>

#include <map>

namespace vmpl::bench {

using OffsetMap = std::map<uint64_t, uint64_t>;

// RemovePages over [start, end), clearing every slot it visits; returns how many there were.
inline size_t RemoveRange(VmPageList& list, uint64_t start, uint64_t end) {
  size_t removed = 0;
  list.RemovePages(
      [&removed](VmPageOrMarker* p, uint64_t) {
        *p = VmPageOrMarker::Empty();
        removed++;
        return ZX_ERR_NEXT;
      },
      start, end);
  return removed;
}

// RemovePages' twin: clears each entry of [start, end) (as the page list's callback clears its
// slot), then erases them; returns how many there were.
inline size_t RemoveRange(OffsetMap& map, uint64_t start, uint64_t end) {
  size_t removed = 0;
  auto first = map.lower_bound(start);
  auto last = map.lower_bound(end);
  for (auto it = first; it != last; ++it) {
    it->second = 0;
    removed++;
  }
  map.erase(first, last);
  return removed;
}

// TakePages' twin: moves the entries of [offset, offset + length) into a new map node by node
// (no allocation), appending each at the end.
inline OffsetMap ExtractRange(OffsetMap& map, uint64_t offset, uint64_t length) {
  OffsetMap taken;
  auto it = map.lower_bound(offset);
  const auto last = map.lower_bound(offset + length);
  while (it != last) {
    taken.insert(taken.end(), map.extract(it++));
  }
  return taken;
}

}  // namespace vmpl::bench

#endif  // VMPL_BENCH_TWIN_OPS_H_
