// The kernel's physical page allocator (see pmm.h).

#include "pmm.h"

#include <string.h>
#include <vm/pmm.h>
#include <vm/vm.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/page_reference.h>
#include <zircon/errors.h>

#include "arch/memory.h"

namespace vmpl::kernel {
namespace {

struct Pmm {
  list_node free_list = LIST_INITIAL_VALUE(free_list);
  vm_page_t* pages = nullptr;
  size_t page_count = 0;
  size_t free_count = 0;
  uint64_t next_reference = 0;
  uint64_t live_references = 0;
};

Pmm g_pmm;

bool OwnsPage(const vm_page_t* page) {
  return page >= g_pmm.pages && page < g_pmm.pages + g_pmm.page_count;
}

}  // namespace

void PmmInit(uint64_t base_paddr, size_t pages, vm_page_t* page_array) {
  ASSERT(g_pmm.pages == nullptr);
  g_pmm.pages = page_array;
  g_pmm.page_count = pages;
  for (size_t i = 0; i < pages; i++) {
    vm_page_t& page = page_array[i];
    memset(&page, 0, sizeof(page));
    page.paddr_priv = base_paddr + i * PAGE_SIZE;
    page.set_state(vm_page_state::FREE);
    list_add_tail(&g_pmm.free_list, &page.queue_node);
  }
  g_pmm.free_count = pages;
}

uint64_t PmmAllocReference() {
  g_pmm.live_references++;
  g_pmm.next_reference += 16;
  return g_pmm.next_reference;
}

PmmStats GetPmmStats() {
  return PmmStats{g_pmm.page_count, g_pmm.free_count, g_pmm.live_references};
}

}  // namespace vmpl::kernel

using vmpl::kernel::g_pmm;

zx_status_t pmm_alloc_page(uint32_t, vm_page_t** page_out) {
  list_node* node = list_remove_head(&g_pmm.free_list);
  if (node == nullptr) {
    return ZX_ERR_NO_MEMORY;
  }
  vm_page_t* page = containerof(node, vm_page_t, queue_node);
  DEBUG_ASSERT(page->state() == vm_page_state::FREE);
  g_pmm.free_count--;
  memset(&page->object, 0, sizeof(page->object));
  page->set_state(vm_page_state::OBJECT);
  memset(paddr_to_physmap(page->paddr()), 0, PAGE_SIZE);
  *page_out = page;
  return ZX_OK;
}

void pmm_free_page(vm_page_t* page) {
  ASSERT_MSG(vmpl::kernel::OwnsPage(page), "pmm_free_page(%p): not a page of the pmm", page);
  ASSERT_MSG(page->state() != vm_page_state::FREE, "pmm_free_page(%p): already free", page);
  page->set_state(vm_page_state::FREE);
  list_add_head(&g_pmm.free_list, &page->queue_node);
  g_pmm.free_count++;
}

void pmm_free(list_node* list) {
  while (list_node* node = list_remove_head(list)) {
    pmm_free_page(containerof(node, vm_page_t, queue_node));
  }
}

namespace vmpl {

void FreeReference(uint64_t value) {
  ASSERT_MSG(value != 0 && value % 16 == 0, "FreeReference(%#lx): not a reference", value);
  ASSERT_MSG(kernel::g_pmm.live_references > 0, "FreeReference(%#lx): none is live", value);
  kernel::g_pmm.live_references--;
}

}  // namespace vmpl
