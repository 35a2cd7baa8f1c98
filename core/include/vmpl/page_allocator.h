// PageAllocator: the userspace stand-in for the kernel's PMM and page compressor.
//
// What it is. The page list stores vm_page_t pointers and compressed-page references but never
// allocates either; the VMO layer above it does. Tests, benchmarks and the simulator need real,
// distinct, properly aligned vm_page_t objects and reference values, and need to see that every
// one handed out comes back exactly once. PageAllocator provides both:
//   - pages: vm_page_t structures carved out of slabs (never returned to the heap while the
//     allocator lives, as physical pages never are), each with a distinct fake physical address;
//   - references: ReferenceValue-compatible numbers (low 4 bits clear), unique while live.
//
// Ownership. A page or reference is owned by whoever holds it after AllocPage/AllocReference until
// it is given to FreePage/FreeReference. Freeing twice, or freeing something never allocated,
// panics: that is a lost or double-owned page in the page list.
//
// Hooks. VmPageSpliceList::FreeAllPages frees through pmm_free_page() and vmpl::FreeReference(),
// which call the allocator's free hooks. A test may install its own hooks to observe them.
//
// Threads. All methods are thread-safe (one mutex); counters may be read at any time.
//
// Synopsis:
//   vmpl::PageAllocator& pmm = vmpl::PageAllocator::Get();
//   vm_page_t* p = pmm.AllocPage();           // nullptr on failure
//   uint64_t ref = pmm.AllocReference();      // a value with the low 4 bits clear
//   pmm.FreePage(p); pmm.FreeReference(ref);
//   pmm.pages_outstanding(), pmm.references_outstanding()

#ifndef VMPL_PAGE_ALLOCATOR_H_
#define VMPL_PAGE_ALLOCATOR_H_

#include <stddef.h>
#include <stdint.h>
#include <vm/page.h>
#include <vmpl/page_reference.h>

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace vmpl {

class PageAllocator {
 public:
  using PageFreeHook = std::function<void(vm_page_t*)>;
  using ReferenceFreeHook = std::function<void(uint64_t)>;

  // The process-wide allocator that pmm_free_page() and FreeReference() use.
  static PageAllocator& Get();

  PageAllocator();
  ~PageAllocator();
  PageAllocator(const PageAllocator&) = delete;
  PageAllocator& operator=(const PageAllocator&) = delete;

  // Returns a zeroed page in state OBJECT, or nullptr if |limit_pages| would be exceeded.
  vm_page_t* AllocPage();
  void FreePage(vm_page_t* page);
  // True if |page| is a page handed out by this allocator and not yet freed.
  bool IsAllocatedPage(const vm_page_t* page) const;

  // Returns a fresh reference value (non-zero, low 4 bits clear).
  uint64_t AllocReference();
  void FreeReference(uint64_t value);
  bool IsLiveReference(uint64_t value) const;

  // Hooks called instead of the plain FreePage/FreeReference by pmm_free_page() and
  // vmpl::FreeReference(). Passing an empty function restores the default.
  void SetPageFreeHook(PageFreeHook hook);
  void SetReferenceFreeHook(ReferenceFreeHook hook);
  // Used by pmm_free_page() / FreeReference().
  void FreePageThroughHook(vm_page_t* page);
  void FreeReferenceThroughHook(uint64_t value);

  // Caps the number of pages outstanding at once; 0 means no limit.
  void set_limit_pages(size_t limit);

  size_t pages_outstanding() const;
  size_t references_outstanding() const;
  uint64_t pages_allocated_total() const;
  uint64_t pages_freed_total() const;

 private:
  static constexpr size_t kPagesPerSlab = 1024;
  // Fake physical addresses start here so that 0 is never a valid paddr.
  static constexpr paddr_t kPhysBase = 0x100000;

  mutable std::mutex lock_;
  std::vector<std::unique_ptr<vm_page_t[]>> slabs_;
  list_node free_list_;
  size_t pages_outstanding_ = 0;
  size_t limit_pages_ = 0;
  uint64_t pages_allocated_total_ = 0;
  uint64_t pages_freed_total_ = 0;
  uint64_t next_reference_ = 0;
  std::unordered_set<uint64_t> live_references_;
  PageFreeHook page_free_hook_;
  ReferenceFreeHook reference_free_hook_;
};

// vmpl::FreeReference (<vmpl/page_reference.h>) frees through the process-wide allocator's
// reference free hook, the way the kernel's compressor Free() does.

}  // namespace vmpl

#endif  // VMPL_PAGE_ALLOCATOR_H_
