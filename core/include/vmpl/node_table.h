// vmpl::NodeTable: a hash table from node offset to node, kept beside a VmPageList's WAVL tree so
// that finding the node of an offset costs one or two cache misses instead of a tree descent.
//
// The tree stays the page list's truth: it is what the kernel has, what debuggers and the
// inspector read, and what ordered walks use. The table is a cache of its membership, so it may be
// absent at any time and everything still works through the tree:
//   - it is built only once a list holds kMinNodes nodes (a small tree is as quick to descend);
//   - when growing it fails for lack of memory, it is dropped, not reported: no page-list
//     operation fails because of it, and failure injection (vmpl/alloc_failure.h) never sees it;
//   - whoever changes the tree's membership without VmPageList's node helpers must Drop() it
//     (vmpl::PageListAccess::mutable_nodes does).
//
// Layout: one pointer in the list, to a heap block holding a small header and a power-of-two
// array of {key, node} entries (open addressing with linear probing), a null node marking a free
// entry; at most half full; deletion shifts later entries of the run back, so there are no
// tombstones. Keys are node offsets (multiples of 64 KiB); the hash multiplies the node number by
// a 64-bit odd constant and keeps the top bits, so strided offsets spread evenly.
//
// Not thread-safe; the page list's callers lock.

#ifndef VMPL_NODE_TABLE_H_
#define VMPL_NODE_TABLE_H_

#include <stddef.h>
#include <stdint.h>

class VmPageListNode;

namespace vmpl {

class NodeTable {
 public:
  // Lists with fewer nodes than this have no table: their tree is shallow and usually cached, and
  // building and growing a table for every small list would cost more than it saves.
  static constexpr size_t kMinNodes = 256;

  NodeTable() = default;
  NodeTable(const NodeTable&) = delete;
  NodeTable& operator=(const NodeTable&) = delete;
  NodeTable(NodeTable&& other) noexcept : table_(other.table_) { other.table_ = nullptr; }
  NodeTable& operator=(NodeTable&& other) noexcept {
    if (this != &other) {
      Drop();
      table_ = other.table_;
      other.table_ = nullptr;
    }
    return *this;
  }
  ~NodeTable() { Drop(); }

  // True if the table mirrors the tree and Find may be used.
  bool active() const { return table_ != nullptr; }
  size_t size() const { return active() ? table_->count : 0; }
  size_t capacity() const { return active() ? table_->mask + 1 : 0; }
  // Heap bytes held.
  size_t bytes() const { return active() ? BytesFor(capacity()) : 0; }

  // The node keyed |key|, or nullptr. Only while active().
  VmPageListNode* Find(uint64_t key) const {
    const Table& table = *table_;
    for (size_t i = table.Home(key);; i = (i + 1) & table.mask) {
      const Entry& entry = table.entries()[i];
      if (entry.node == nullptr || entry.key == key) {
        return entry.node;
      }
    }
  }

  // Records |node| under |key| (not present yet), growing as needed; drops the table if growing
  // fails. Does nothing while inactive.
  void Insert(uint64_t key, VmPageListNode* node);
  // Forgets |key| (which must be present), shrinking when the table is mostly empty; the last
  // erase drops the table. Does nothing while inactive.
  void Erase(uint64_t key);

  // Builds the table for the nodes that |for_each| hands to its callback (each node with its key),
  // sized for |count| of them; stays inactive if memory is short.
  template <typename ForEach>
  void Build(size_t count, ForEach for_each) {
    Drop();
    table_ = Allocate(CapacityFor(count));
    if (table_ == nullptr) {
      return;
    }
    for_each([this](uint64_t key, VmPageListNode* node) { Place(*table_, key, node); });
  }

  // Frees the table; it stays inactive until the next Build.
  void Drop();

 private:
  struct Entry {
    uint64_t key;
    VmPageListNode* node;  // nullptr: free
  };
  // One heap block: this header, then the entries. Out of line so that a VmPageList grows by one
  // pointer, not by the header. Cache-line aligned, so that no entry straddles two lines.
  struct alignas(64) Table {
    size_t mask;     // capacity - 1; the capacity is a power of two
    unsigned shift;  // 64 - log2(capacity)
    size_t count;

    Entry* entries() { return reinterpret_cast<Entry*>(this + 1); }
    const Entry* entries() const { return reinterpret_cast<const Entry*>(this + 1); }
    size_t Home(uint64_t key) const { return ((key >> kKeyShift) * kHashMultiplier) >> shift; }
  };

  static constexpr size_t kMinCapacity = 2 * kMinNodes;
  // Node offsets are multiples of 64 KiB; the low 16 bits carry nothing.
  static constexpr unsigned kKeyShift = 16;
  // 2^64 / golden ratio, odd: multiplying by it scatters arithmetic progressions of node numbers.
  static constexpr uint64_t kHashMultiplier = 0x9e3779b97f4a7c15u;

  static size_t CapacityFor(size_t count);
  static size_t BytesFor(size_t capacity) { return sizeof(Table) + capacity * sizeof(Entry); }
  // An empty table of |capacity| entries, or nullptr if memory is short.
  static Table* Allocate(size_t capacity);
  static void Free(Table* table);
  // Adds an entry known to be absent, without growing.
  static void Place(Table& table, uint64_t key, VmPageListNode* node);
  // Rehashes into |capacity| entries; false (and the table unchanged) if memory is short.
  bool Resize(size_t capacity);

  Table* table_ = nullptr;
};

}  // namespace vmpl

#endif  // VMPL_NODE_TABLE_H_
