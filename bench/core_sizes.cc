// core_sizes: prints the sizes the page list's memory layout is pinned to (docs/semantics.md
// sections 12.4, 12.5) and exits 1 if one differs from its target (the kernel's, except where
// noted). No test framework: run it after any change to the core's classes, or read the same
// numbers in core_bench's JSON "context".

#include <stddef.h>
#include <stdio.h>
#include <vm/vm_page_list.h>

namespace {

struct Size {
  const char* name;
  size_t actual;
  size_t target;  // 0: no target, informational
};

}  // namespace

int main() {
  const Size sizes[] = {
      {"sizeof(VmPageListNode)", sizeof(VmPageListNode), 176},
      // The kernel's is 40: ours adds the node table's pointer after list_skew_.
      {"sizeof(VmPageList)", sizeof(VmPageList), 48},
      {"sizeof(VmPageOrMarker)", sizeof(VmPageOrMarker), 8},
      {"sizeof(vm_page_t)", sizeof(vm_page_t), 48},
      {"sizeof(VmPageSpliceList)", sizeof(VmPageSpliceList), 0},
  };
  int status = 0;
  for (const Size& size : sizes) {
    if (size.target == 0) {
      printf("%-26s %4zu\n", size.name, size.actual);
    } else if (size.actual == size.target) {
      printf("%-26s %4zu  target %zu: ok\n", size.name, size.actual, size.target);
    } else {
      printf("%-26s %4zu  target %zu: MISMATCH\n", size.name, size.actual, size.target);
      status = 1;
    }
  }
  return status;
}
