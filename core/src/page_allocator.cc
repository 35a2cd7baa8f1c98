// PageAllocator: slabs of vm_page_t standing in for physical pages, and unique reference values
// standing in for the page compressor's handles.

#include <string.h>
#include <vm/pmm.h>
#include <vm/vm.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/page_allocator.h>
#include <zircon/errors.h>

namespace vmpl {

PageAllocator& PageAllocator::Get() {
  // Never destroyed: pages may be freed from static destructors of other objects.
  static PageAllocator* allocator = new PageAllocator();
  return *allocator;
}

PageAllocator::PageAllocator() { list_initialize(&free_list_); }

PageAllocator::~PageAllocator() = default;

vm_page_t* PageAllocator::AllocPage() {
  std::lock_guard guard(lock_);
  if (limit_pages_ != 0 && pages_outstanding_ >= limit_pages_) {
    return nullptr;
  }
  if (list_is_empty(&free_list_)) {
    const size_t slab_index = slabs_.size();
    auto slab = std::make_unique<vm_page_t[]>(kPagesPerSlab);
    for (size_t i = 0; i < kPagesPerSlab; i++) {
      vm_page_t* page = &slab[i];
      memset(page, 0, sizeof(*page));
      page->paddr_priv = kPhysBase + (slab_index * kPagesPerSlab + i) * PAGE_SIZE;
      page->set_state(vm_page_state::FREE);
      list_add_tail(&free_list_, &page->queue_node);
    }
    slabs_.push_back(std::move(slab));
  }
  vm_page_t* page = list_remove_head_type(&free_list_, vm_page_t, queue_node);
  const paddr_t paddr = page->paddr_priv;
  memset(page, 0, sizeof(*page));
  page->paddr_priv = paddr;
  page->set_state(vm_page_state::OBJECT);
  pages_outstanding_++;
  pages_allocated_total_++;
  return page;
}

bool PageAllocator::IsAllocatedPage(const vm_page_t* page) const {
  std::lock_guard guard(lock_);
  for (const auto& slab : slabs_) {
    if (page >= slab.get() && page < slab.get() + kPagesPerSlab) {
      return page->state() != vm_page_state::FREE;
    }
  }
  return false;
}

void PageAllocator::FreePage(vm_page_t* page) {
  ASSERT(page != nullptr);
  std::lock_guard guard(lock_);
  ASSERT_MSG(page->state() != vm_page_state::FREE, "double free of page %p (paddr %#lx)",
             static_cast<void*>(page), page->paddr_priv);
  // A page that still carries split bits would leak copy-on-write state into its next owner.
  page->object.cow_left_split = 0;
  page->object.cow_right_split = 0;
  page->set_state(vm_page_state::FREE);
  list_add_tail(&free_list_, &page->queue_node);
  pages_outstanding_--;
  pages_freed_total_++;
}

uint64_t PageAllocator::AllocReference() {
  std::lock_guard guard(lock_);
  // Low 4 bits are the page list's metadata bits (VmPageOrMarker::ReferenceValue::kAlignBits).
  const uint64_t value = ++next_reference_ << 4;
  live_references_.insert(value);
  return value;
}

void PageAllocator::FreeReference(uint64_t value) {
  std::lock_guard guard(lock_);
  ASSERT_MSG(live_references_.erase(value) == 1, "free of unknown reference %#lx", value);
}

bool PageAllocator::IsLiveReference(uint64_t value) const {
  std::lock_guard guard(lock_);
  return live_references_.count(value) != 0;
}

void PageAllocator::SetPageFreeHook(PageFreeHook hook) {
  std::lock_guard guard(lock_);
  page_free_hook_ = std::move(hook);
}

void PageAllocator::SetReferenceFreeHook(ReferenceFreeHook hook) {
  std::lock_guard guard(lock_);
  reference_free_hook_ = std::move(hook);
}

void PageAllocator::FreePageThroughHook(vm_page_t* page) {
  PageFreeHook hook;
  {
    std::lock_guard guard(lock_);
    hook = page_free_hook_;
  }
  if (hook) {
    hook(page);
  } else {
    FreePage(page);
  }
}

void PageAllocator::FreeReferenceThroughHook(uint64_t value) {
  ReferenceFreeHook hook;
  {
    std::lock_guard guard(lock_);
    hook = reference_free_hook_;
  }
  if (hook) {
    hook(value);
  } else {
    FreeReference(value);
  }
}

void PageAllocator::set_limit_pages(size_t limit) {
  std::lock_guard guard(lock_);
  limit_pages_ = limit;
}

size_t PageAllocator::pages_outstanding() const {
  std::lock_guard guard(lock_);
  return pages_outstanding_;
}

size_t PageAllocator::references_outstanding() const {
  std::lock_guard guard(lock_);
  return live_references_.size();
}

uint64_t PageAllocator::pages_allocated_total() const {
  std::lock_guard guard(lock_);
  return pages_allocated_total_;
}

uint64_t PageAllocator::pages_freed_total() const {
  std::lock_guard guard(lock_);
  return pages_freed_total_;
}

void FreeReference(uint64_t value) { PageAllocator::Get().FreeReferenceThroughHook(value); }

}  // namespace vmpl

zx_status_t pmm_alloc_page(uint32_t alloc_flags, vm_page_t** page) {
  (void)alloc_flags;
  *page = vmpl::PageAllocator::Get().AllocPage();
  return *page ? ZX_OK : ZX_ERR_NO_MEMORY;
}

void pmm_free_page(vm_page_t* page) { vmpl::PageAllocator::Get().FreePageThroughHook(page); }

void pmm_free(list_node* list) {
  while (vm_page_t* page = list_remove_head_type(list, vm_page_t, queue_node)) {
    pmm_free_page(page);
  }
}
