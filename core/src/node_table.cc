// vmpl::NodeTable: growth, deletion and ownership. See node_table.h for why it exists.

#include <stdlib.h>
#include <string.h>
#include <vmpl/huge_pages.h>
#include <vmpl/kernel_assert.h>
#include <vmpl/node_table.h>

namespace vmpl {
namespace {

// A table of a million nodes is 32 MiB: probed at random, it would take a TLB miss per lookup on
// 4 KiB pages. From 2 MiB up it is mapped on its own, aligned to and advised as transparent huge
// pages (like the nodes themselves, vmpl/node_allocator.h), and starts out zeroed by the kernel:
// clearing 32 MiB ourselves while a list grows would also push the tree out of the cache.
// Smaller tables come from the heap and are cleared here.
//
// Not an fbl::AllocChecker allocation on purpose: the table is optional, so running short only
// drops it, and the page list's failure injection counts only allocations that can fail an
// operation.
bool IsMapped(size_t bytes) { return bytes >= kHugePageBytes; }

size_t MappedBytes(size_t bytes) { return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1); }

// Zeroed memory for |bytes|, or nullptr.
void* AllocateZeroed(size_t bytes) {
  if (!IsMapped(bytes)) {
    void* memory = aligned_alloc(64, (bytes + 63) & ~size_t{63});
    if (memory != nullptr) {
      memset(memory, 0, bytes);
    }
    return memory;
  }
  return MapHugePages(MappedBytes(bytes));
}

void FreeZeroed(void* memory, size_t bytes) {
  if (memory == nullptr) {
    return;
  }
  if (IsMapped(bytes)) {
    UnmapHugePages(memory, MappedBytes(bytes));
  } else {
    free(memory);
  }
}

}  // namespace

size_t NodeTable::CapacityFor(size_t count) {
  size_t capacity = kMinCapacity;
  while (capacity < 2 * count) {
    capacity *= 2;
  }
  return capacity;
}

NodeTable::Table* NodeTable::Allocate(size_t capacity) {
  // All-zero entries are free ones: {0, nullptr}.
  void* memory = AllocateZeroed(BytesFor(capacity));
  if (memory == nullptr) {
    return nullptr;
  }
  Table* table = static_cast<Table*>(memory);
  table->mask = capacity - 1;
  table->shift = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
  table->count = 0;
  return table;
}

void NodeTable::Free(Table* table) {
  if (table != nullptr) {
    FreeZeroed(table, BytesFor(table->mask + 1));
  }
}

void NodeTable::Place(Table& table, uint64_t key, VmPageListNode* node) {
  DEBUG_ASSERT(node != nullptr);
  Entry* entries = table.entries();
  size_t i = table.Home(key);
  while (entries[i].node != nullptr) {
    DEBUG_ASSERT(entries[i].key != key);
    i = (i + 1) & table.mask;
  }
  entries[i] = Entry{key, node};
  table.count++;
}

bool NodeTable::Resize(size_t capacity) {
  Table* bigger = Allocate(capacity);
  if (bigger == nullptr) {
    return false;
  }
  const Entry* entries = table_->entries();
  for (size_t i = 0; i <= table_->mask; i++) {
    if (entries[i].node != nullptr) {
      Place(*bigger, entries[i].key, entries[i].node);
    }
  }
  Free(table_);
  table_ = bigger;
  return true;
}

void NodeTable::Insert(uint64_t key, VmPageListNode* node) {
  if (!active()) {
    return;
  }
  if (2 * (table_->count + 1) > table_->mask + 1 && !Resize(2 * (table_->mask + 1))) {
    Drop();
    return;
  }
  Place(*table_, key, node);
}

void NodeTable::Erase(uint64_t key) {
  if (!active()) {
    return;
  }
  Table& table = *table_;
  Entry* entries = table.entries();
  const size_t mask = table.mask;
  size_t hole = table.Home(key);
  while (entries[hole].key != key || entries[hole].node == nullptr) {
    DEBUG_ASSERT(entries[hole].node != nullptr);
    hole = (hole + 1) & mask;
  }
  // Backward shift: move later entries of the run into the hole when the hole lies between their
  // home and where they sit (cyclically), so that every entry stays reachable from its home.
  size_t i = hole;
  for (;;) {
    i = (i + 1) & mask;
    if (entries[i].node == nullptr) {
      break;
    }
    const size_t home = table.Home(entries[i].key);
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      entries[hole] = entries[i];
      hole = i;
    }
  }
  entries[hole] = Entry{0, nullptr};
  table.count--;
  // Give memory back once the list has shrunk well below the table (a quarter full after halving).
  const size_t capacity = mask + 1;
  if (table.count == 0) {
    Drop();
  } else if (capacity > kMinCapacity && 8 * table.count < capacity) {
    (void)Resize(capacity / 2);  // if memory is short, the larger table does as well
  }
}

void NodeTable::Drop() {
  Free(table_);
  table_ = nullptr;
}

}  // namespace vmpl
