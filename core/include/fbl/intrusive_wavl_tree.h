// fbl::WAVLTree: an intrusive, ordered container, balanced as a weak AVL (WAVL) tree.
//
// What it is
//   A binary search tree over objects that carry their own links (an fbl::WAVLTreeContainable
//   base, or any member reachable through a NodeTraits). The tree owns its elements through
//   PtrType (std::unique_ptr<T> or a raw, unmanaged T*). Keys come from the object
//   (obj.GetKey()); duplicates are not allowed. Balancing is the rank-balanced scheme of
//   Haeupler, Sen and Tarjan ("Rank-Balanced Trees", 2015), storing only each rank's parity.
//
// Memory layout (x86-64; debuggers and the inspector read it from raw memory, keep it exact)
//   WAVLTreeNodeState<PtrType>: T* parent_ @0, T* left_ @8, T* right_ @16, bool rank_ @24;
//                               sizeof 32.
//   WAVLTreeContainable<PtrType>: only `wavl_node_state_`, so for a class deriving from it
//                               first, a link value is both the object's and its state's address.
//   WAVLTree<K, PtrType>:       T* root_ @0, T* left_most_ @8, T* right_most_ @16,
//                               size_t count_ @24; sizeof 32.
//
// Sentinels
//   The tree's sentinel is its own address with bit 0 set (sentinel()), stored in T* fields but
//   never dereferenced. It marks the ends of the sequence so that iterators can run off either
//   end and come back without a pointer to the tree:
//     empty tree:  root_ == nullptr, left_most_ == right_most_ == sentinel, count_ == 0.
//     non-empty:   root->parent_ == sentinel, left_most->left_ == sentinel,
//                  right_most->right_ == sentinel; every other absent link is nullptr.
//   Moving or swapping a tree rewrites these, so `sentinel & ~1 == &tree` always holds between
//   operations. A node is in a container iff its parent_ is non-null.
//
// Ranks
//   rank_ is the parity of the node's rank. A missing child (nullptr or sentinel) has rank -1,
//   i.e. parity true; a new leaf has rank 0 (parity false). A child's rank difference is 1 when
//   the parities differ and 2 when they are equal; the algorithms know from context when a
//   difference has temporarily become 0 (insert) or 3 (erase). WAVL invariants: every rank
//   difference is 1 or 2 and every leaf has rank 0. Height is at most 2*log2(n) (at most
//   1.44*log2(n) if there were no erasures), insert does O(1) amortised rank changes and at most
//   two rotations, erase at most two rotations.
//
// Not thread-safe; callers lock.

#ifndef FBL_INTRUSIVE_WAVL_TREE_H_
#define FBL_INTRUSIVE_WAVL_TREE_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/kernel_assert.h>
#include <zircon/compiler.h>

#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

namespace fbl {

namespace wavl_internal {

// How the tree holds, releases and takes back ownership of its elements.
template <typename PtrType>
struct PtrTraits;

// Unmanaged: the tree links the objects but never frees them.
template <typename T>
struct PtrTraits<T*> {
  using ValueType = T;
  using RawPtrType = T*;
  static constexpr bool kIsManaged = false;
  static RawPtrType GetRaw(T* const& ptr) { return ptr; }
  static RawPtrType Leak(T*& ptr) { return ptr; }
  static T* Reclaim(RawPtrType raw) { return raw; }
};

// Owned: the tree holds the released pointer and rebuilds the unique_ptr on removal.
template <typename T, typename Deleter>
struct PtrTraits<std::unique_ptr<T, Deleter>> {
  using ValueType = T;
  using RawPtrType = T*;
  static constexpr bool kIsManaged = true;
  static RawPtrType GetRaw(const std::unique_ptr<T, Deleter>& ptr) { return ptr.get(); }
  static RawPtrType Leak(std::unique_ptr<T, Deleter>& ptr) { return ptr.release(); }
  static std::unique_ptr<T, Deleter> Reclaim(RawPtrType raw) {
    return std::unique_ptr<T, Deleter>(raw);
  }
};

// The key traits used when none are given: obj.GetKey(), compared with < and ==.
template <typename KeyType, typename ValueType>
struct DefaultKeyTraits {
  static KeyType GetKey(const ValueType& obj) { return obj.GetKey(); }
  static bool LessThan(const KeyType& a, const KeyType& b) { return a < b; }
  static bool EqualTo(const KeyType& a, const KeyType& b) { return a == b; }
};

}  // namespace wavl_internal

// The links one object needs to be in one WAVLTree. Plain data, all public, so that debuggers
// and vmpl::CheckWavlTree can read it. Do not reorder: see the layout note above.
template <typename PtrType>
struct WAVLTreeNodeState {
  using RawPtrType = typename wavl_internal::PtrTraits<PtrType>::RawPtrType;

  bool InContainer() const { return parent_ != nullptr; }
  // A node outside any tree has all links null; a node inside one always has a parent (the
  // root's parent is the sentinel).
  bool IsValid() const { return parent_ != nullptr || (left_ == nullptr && right_ == nullptr); }

  RawPtrType parent_ = nullptr;
  RawPtrType left_ = nullptr;
  RawPtrType right_ = nullptr;
  bool rank_ = false;  // Rank parity.
};

static_assert(offsetof(WAVLTreeNodeState<int*>, parent_) == 0);
static_assert(offsetof(WAVLTreeNodeState<int*>, left_) == sizeof(void*));
static_assert(offsetof(WAVLTreeNodeState<int*>, right_) == 2 * sizeof(void*));
static_assert(offsetof(WAVLTreeNodeState<int*>, rank_) == 3 * sizeof(void*));
static_assert(sizeof(WAVLTreeNodeState<int*>) == 4 * sizeof(void*));

// Derive from this (as the first base, in a class without a vtable, to keep the node state at
// offset 0) to make objects storable in a WAVLTree<K, PtrType>.
template <typename PtrType>
class WAVLTreeContainable {
 public:
  WAVLTreeContainable() = default;
  // Membership is a property of one object's address, not of its value: copying or moving an
  // object that is linked into a tree would corrupt the tree, so neither is offered.
  WAVLTreeContainable(const WAVLTreeContainable&) = delete;
  WAVLTreeContainable& operator=(const WAVLTreeContainable&) = delete;
  ~WAVLTreeContainable() { DEBUG_ASSERT(!InContainer()); }

  bool InContainer() const { return wavl_node_state_.InContainer(); }

  // Public so that debug tools and the validator can read it; only the tree writes it.
  WAVLTreeNodeState<PtrType> wavl_node_state_;
};

// Finds an object's node state. The default is the WAVLTreeContainable member.
template <typename PtrType>
struct DefaultWAVLTreeTraits {
  using ValueType = typename wavl_internal::PtrTraits<PtrType>::ValueType;
  static WAVLTreeNodeState<PtrType>& node_state(ValueType& obj) { return obj.wavl_node_state_; }
  static const WAVLTreeNodeState<PtrType>& node_state(const ValueType& obj) {
    return obj.wavl_node_state_;
  }
};

template <typename KeyType_, typename PtrType_,
          typename KeyTraits_ = wavl_internal::DefaultKeyTraits<
              KeyType_, typename wavl_internal::PtrTraits<PtrType_>::ValueType>,
          typename NodeTraits_ = DefaultWAVLTreeTraits<PtrType_>>
class WAVLTree {
 private:
  template <bool kConst>
  class IteratorImpl;

 public:
  using PtrType = PtrType_;
  using PtrTraits = wavl_internal::PtrTraits<PtrType>;
  using RawPtrType = typename PtrTraits::RawPtrType;
  using ValueType = typename PtrTraits::ValueType;
  using KeyType = KeyType_;
  using KeyTraits = KeyTraits_;
  using NodeTraits = NodeTraits_;
  using NodeState = WAVLTreeNodeState<PtrType>;
  using iterator = IteratorImpl<false>;
  using const_iterator = IteratorImpl<true>;

  static constexpr uintptr_t kContainerSentinelBit = 1;

  WAVLTree() = default;
  WAVLTree(const WAVLTree&) = delete;
  WAVLTree& operator=(const WAVLTree&) = delete;

  WAVLTree(WAVLTree&& other) noexcept
      : root_(other.root_),
        left_most_(other.left_most_),
        right_most_(other.right_most_),
        count_(other.count_) {
    other.ResetToEmpty();
    RewriteSentinels();
  }

  WAVLTree& operator=(WAVLTree&& other) noexcept {
    if (this != &other) {
      DEBUG_ASSERT(is_empty());
      clear();  // Never leak, even if the assert is compiled out.
      root_ = other.root_;
      left_most_ = other.left_most_;
      right_most_ = other.right_most_;
      count_ = other.count_;
      other.ResetToEmpty();
      RewriteSentinels();
    }
    return *this;
  }

  ~WAVLTree() {
    // The class is complete here, so this is where the layout can be pinned down.
    static_assert(std::is_standard_layout_v<WAVLTree>);
    static_assert(offsetof(WAVLTree, root_) == 0);
    static_assert(offsetof(WAVLTree, left_most_) == sizeof(void*));
    static_assert(offsetof(WAVLTree, right_most_) == 2 * sizeof(void*));
    static_assert(offsetof(WAVLTree, count_) == 3 * sizeof(void*));
    static_assert(sizeof(WAVLTree) == 4 * sizeof(void*));
    clear();
  }

  // Raw views for debuggers and validators.
  RawPtrType root_ptr() const { return root_; }
  RawPtrType left_most_ptr() const { return left_most_; }
  RawPtrType right_most_ptr() const { return right_most_; }
  RawPtrType sentinel() const {
    return reinterpret_cast<RawPtrType>(reinterpret_cast<uintptr_t>(this) | kContainerSentinelBit);
  }
  // Field offsets, for code that reads a tree out of raw memory (offsetof needs the complete
  // class, hence functions rather than constants).
  static constexpr size_t root_offset() { return offsetof(WAVLTree, root_); }
  static constexpr size_t left_most_offset() { return offsetof(WAVLTree, left_most_); }
  static constexpr size_t right_most_offset() { return offsetof(WAVLTree, right_most_); }
  static constexpr size_t count_offset() { return offsetof(WAVLTree, count_); }

  size_t size() const { return count_; }
  bool is_empty() const { return count_ == 0; }

  iterator begin() { return iterator(left_most_); }
  iterator end() { return iterator(sentinel()); }
  const_iterator begin() const { return const_iterator(left_most_); }
  const_iterator end() const { return const_iterator(sentinel()); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  ValueType& front() {
    DEBUG_ASSERT(!is_empty());
    return *left_most_;
  }
  const ValueType& front() const {
    DEBUG_ASSERT(!is_empty());
    return *left_most_;
  }
  ValueType& back() {
    DEBUG_ASSERT(!is_empty());
    return *right_most_;
  }
  const ValueType& back() const {
    DEBUG_ASSERT(!is_empty());
    return *right_most_;
  }

  iterator make_iterator(ValueType& obj) {
    DEBUG_ASSERT(Contains(&obj));
    return iterator(&obj);
  }
  const_iterator make_iterator(const ValueType& obj) const {
    DEBUG_ASSERT(Contains(&obj));
    return const_iterator(const_cast<RawPtrType>(&obj));
  }

  void insert(PtrType&& ptr) {
    RawPtrType node = PtrTraits::GetRaw(ptr);
    DEBUG_ASSERT(node != nullptr);
    [[maybe_unused]] RawPtrType collision = InsertInternal(node, /*allow_collision=*/false);
    DEBUG_ASSERT(collision == nullptr);
    PtrTraits::Leak(ptr);
  }

  // Copyable pointer types (raw pointers) may also be inserted from an lvalue.
  template <typename P = PtrType>
  requires std::is_copy_constructible_v<P>
  void insert(const PtrType& ptr) {
    PtrType copy(ptr);
    insert(std::move(copy));
  }

  // Inserts `ptr` unless an element with the same key is present. On a collision `ptr` is left
  // untouched (still owning its object), *iter (if given) refers to the present element, and
  // false is returned. On success *iter refers to the new element.
  bool insert_or_find(PtrType&& ptr, iterator* iter = nullptr) {
    RawPtrType node = PtrTraits::GetRaw(ptr);
    DEBUG_ASSERT(node != nullptr);
    RawPtrType collision = InsertInternal(node, /*allow_collision=*/true);
    if (collision != nullptr) {
      if (iter != nullptr) {
        *iter = iterator(collision);
      }
      return false;
    }
    PtrTraits::Leak(ptr);
    if (iter != nullptr) {
      *iter = iterator(node);
    }
    return true;
  }

  PtrType erase(const iterator& iter) {
    if (!iter.IsValid()) {
      return PtrType();
    }
    return EraseInternal(iter.node_);
  }

  PtrType erase(ValueType& obj) {
    DEBUG_ASSERT(Contains(&obj));
    return EraseInternal(&obj);
  }

  PtrType erase(const KeyType& key) {
    RawPtrType node = FindNode(key);
    return node == nullptr ? PtrType() : EraseInternal(node);
  }

  PtrType pop_front() { return is_empty() ? PtrType() : EraseInternal(left_most_); }
  PtrType pop_back() { return is_empty() ? PtrType() : EraseInternal(right_most_); }

  iterator find(const KeyType& key) { return MakeIter<iterator>(FindNode(key)); }
  const_iterator find(const KeyType& key) const { return MakeIter<const_iterator>(FindNode(key)); }

  // First element whose key is >= key (end() if none).
  iterator lower_bound(const KeyType& key) { return MakeIter<iterator>(Bound(key, false)); }
  const_iterator lower_bound(const KeyType& key) const {
    return MakeIter<const_iterator>(Bound(key, false));
  }
  // First element whose key is > key (end() if none).
  iterator upper_bound(const KeyType& key) { return MakeIter<iterator>(Bound(key, true)); }
  const_iterator upper_bound(const KeyType& key) const {
    return MakeIter<const_iterator>(Bound(key, true));
  }

  // Unlinks every element and, for managed pointers, destroys it.
  void clear() {
    // Detach first, so the tree is a valid empty tree while element destructors run.
    RawPtrType node = root_;
    ResetToEmpty();
    // Post-order walk that frees each node once both its subtrees are gone: O(n), no stack.
    while (node != nullptr) {
      NodeState& state = ns(node);
      if (IsNode(state.left_)) {
        node = state.left_;
        continue;
      }
      if (IsNode(state.right_)) {
        node = state.right_;
        continue;
      }
      RawPtrType parent = state.parent_;
      ResetNodeState(state);
      if (IsSentinel(parent)) {
        parent = nullptr;
      } else if (ns(parent).left_ == node) {
        ns(parent).left_ = nullptr;
      } else {
        ns(parent).right_ = nullptr;
      }
      PtrTraits::Reclaim(node);  // Destroys the element if the pointer is managed.
      node = parent;
    }
  }

  void swap(WAVLTree& other) {
    if (this == &other) {
      return;
    }
    std::swap(root_, other.root_);
    std::swap(left_most_, other.left_most_);
    std::swap(right_most_, other.right_most_);
    std::swap(count_, other.count_);
    RewriteSentinels();
    other.RewriteSentinels();
  }

 private:
  // Iterators hold one node pointer: a node, a sentinel (end(), or before begin()), or nullptr
  // (default-constructed).
  template <bool kConst>
  class IteratorImpl {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = ValueType;
    using difference_type = ptrdiff_t;
    using pointer = std::conditional_t<kConst, const ValueType*, ValueType*>;
    using reference = std::conditional_t<kConst, const ValueType&, ValueType&>;

    IteratorImpl() = default;
    IteratorImpl(const IteratorImpl&) = default;
    IteratorImpl& operator=(const IteratorImpl&) = default;
    // iterator -> const_iterator.
    template <bool kOtherConst>
    requires(kConst && !kOtherConst) IteratorImpl(const IteratorImpl<kOtherConst>& other)
        : node_(other.node_) {}

    bool IsValid() const { return IsNode(node_); }
    explicit operator bool() const { return IsValid(); }

    reference operator*() const {
      DEBUG_ASSERT(IsValid());
      return *node_;
    }
    pointer operator->() const {
      DEBUG_ASSERT(IsValid());
      return node_;
    }

    // Past the last element: end(). On end() or a null iterator: no-op.
    IteratorImpl& operator++() {
      if (IsValid()) {
        node_ = Next(node_);
      }
      return *this;
    }
    // From the first element: the sentinel (== end()). From a sentinel (end()): the last
    // element. On a null iterator: no-op.
    IteratorImpl& operator--() {
      if (IsValid()) {
        node_ = Prev(node_);
      } else if (node_ != nullptr) {
        node_ = TreeFromSentinel(node_)->right_most_;
      }
      return *this;
    }
    IteratorImpl operator++(int) {
      IteratorImpl ret(*this);
      ++*this;
      return ret;
    }
    IteratorImpl operator--(int) {
      IteratorImpl ret(*this);
      --*this;
      return ret;
    }

    template <bool kOtherConst>
    bool operator==(const IteratorImpl<kOtherConst>& other) const {
      return node_ == other.node_;
    }

   private:
    friend class WAVLTree;
    template <bool>
    friend class IteratorImpl;

    explicit IteratorImpl(RawPtrType node) : node_(node) {}

    RawPtrType node_ = nullptr;
  };

  // Link helpers. `right` selects a side: false = left_, true = right_.
  static NodeState& ns(RawPtrType node) { return NodeTraits::node_state(*node); }
  static bool IsSentinel(RawPtrType ptr) {
    return (reinterpret_cast<uintptr_t>(ptr) & kContainerSentinelBit) != 0;
  }
  static bool IsNode(RawPtrType ptr) { return ptr != nullptr && !IsSentinel(ptr); }
  // Starts loading both children while the caller compares keys at |node|: a descent through a
  // big tree waits on a cache miss per level, and this way the next level's miss starts before
  // the comparison (and any mispredicted branch on it) resolves. Missing children (nullptr, the
  // sentinel) are harmless to prefetch.
  static void PrefetchChildren(RawPtrType node) {
    __builtin_prefetch(ns(node).left_);
    __builtin_prefetch(ns(node).right_);
  }
  static RawPtrType& Child(RawPtrType node, bool right) {
    return right ? ns(node).right_ : ns(node).left_;
  }
  // Missing children (nullptr or sentinel) have rank -1: odd.
  static bool Parity(RawPtrType ptr) { return IsNode(ptr) ? ns(ptr).rank_ : true; }
  static void Flip(RawPtrType node) { ns(node).rank_ = !ns(node).rank_; }
  static bool IsLeaf(RawPtrType node) {
    return !IsNode(ns(node).left_) && !IsNode(ns(node).right_);
  }
  static void ResetNodeState(NodeState& state) {
    state.parent_ = nullptr;
    state.left_ = nullptr;
    state.right_ = nullptr;
    state.rank_ = false;
  }
  static const WAVLTree* TreeFromSentinel(RawPtrType sentinel) {
    return reinterpret_cast<const WAVLTree*>(reinterpret_cast<uintptr_t>(sentinel) &
                                             ~kContainerSentinelBit);
  }

  template <typename Iter>
  Iter MakeIter(RawPtrType node) const {
    return Iter(node != nullptr ? node : sentinel());
  }

  // In-order successor; the sentinel after the last node.
  static RawPtrType Next(RawPtrType node) {
    RawPtrType right = ns(node).right_;
    if (right != nullptr) {
      if (IsSentinel(right)) {
        return right;
      }
      while (IsNode(ns(right).left_)) {
        right = ns(right).left_;
      }
      return right;
    }
    for (;;) {
      RawPtrType parent = ns(node).parent_;
      if (IsSentinel(parent) || ns(parent).left_ == node) {
        return parent;
      }
      node = parent;
    }
  }

  // In-order predecessor; the sentinel before the first node.
  static RawPtrType Prev(RawPtrType node) {
    RawPtrType left = ns(node).left_;
    if (left != nullptr) {
      if (IsSentinel(left)) {
        return left;
      }
      while (IsNode(ns(left).right_)) {
        left = ns(left).right_;
      }
      return left;
    }
    for (;;) {
      RawPtrType parent = ns(node).parent_;
      if (IsSentinel(parent) || ns(parent).right_ == node) {
        return parent;
      }
      node = parent;
    }
  }

  void ResetToEmpty() {
    root_ = nullptr;
    left_most_ = sentinel();
    right_most_ = sentinel();
    count_ = 0;
  }

  // After the fields were copied from another tree, replace its sentinel with ours.
  void RewriteSentinels() {
    if (root_ == nullptr) {
      left_most_ = sentinel();
      right_most_ = sentinel();
      return;
    }
    ns(root_).parent_ = sentinel();
    ns(left_most_).left_ = sentinel();
    ns(right_most_).right_ = sentinel();
  }

  // Walks up from `node` to the root; true if that root is ours. Debug checks only.
  bool Contains(const ValueType* obj) const {
    RawPtrType node = const_cast<RawPtrType>(obj);
    if (!ns(node).InContainer()) {
      return false;
    }
    // Bounded so that a corrupt cycle cannot hang the check.
    for (size_t steps = 0; steps <= count_; ++steps) {
      RawPtrType parent = ns(node).parent_;
      if (IsSentinel(parent)) {
        return parent == sentinel();
      }
      node = parent;
    }
    return false;
  }

  RawPtrType FindNode(const KeyType& key) const {
    RawPtrType node = root_;
    while (IsNode(node)) {
      PrefetchChildren(node);
      const KeyType node_key = KeyTraits::GetKey(*node);
      if (KeyTraits::EqualTo(key, node_key)) {
        return node;
      }
      node = Child(node, KeyTraits::LessThan(node_key, key));
    }
    return nullptr;
  }

  // lower_bound (strict == false) or upper_bound (strict == true); nullptr if none.
  RawPtrType Bound(const KeyType& key, bool strict) const {
    RawPtrType node = root_;
    RawPtrType found = nullptr;
    while (IsNode(node)) {
      PrefetchChildren(node);
      const KeyType node_key = KeyTraits::GetKey(*node);
      const bool go_right =
          strict ? !KeyTraits::LessThan(key, node_key) : KeyTraits::LessThan(node_key, key);
      if (!go_right) {
        found = node;
      }
      node = Child(node, go_right);
    }
    return found;
  }

  // Puts `child` where `old_child` hangs below `parent` (or at the root).
  void ReplaceChild(RawPtrType parent, RawPtrType old_child, RawPtrType child) {
    if (IsSentinel(parent)) {
      root_ = child;
    } else if (ns(parent).left_ == old_child) {
      ns(parent).left_ = child;
    } else {
      DEBUG_ASSERT(ns(parent).right_ == old_child);
      ns(parent).right_ = child;
    }
  }

  // Rotates `child`, the child of `node` on side `right`, into node's position. Ranks are the
  // caller's business. The inner subtree that changes parent is never a sentinel: the sentinels
  // hang off the extreme nodes, on their outer sides, and a rotation preserves the order.
  void Rotate(RawPtrType node, RawPtrType child, bool right) {
    RawPtrType inner = Child(child, !right);
    RawPtrType parent = ns(node).parent_;
    DEBUG_ASSERT(!IsSentinel(inner));
    Child(node, right) = inner;
    if (inner != nullptr) {
      ns(inner).parent_ = node;
    }
    Child(child, !right) = node;
    ns(node).parent_ = child;
    ns(child).parent_ = parent;
    ReplaceChild(parent, node, child);
  }

  // Returns nullptr after linking `node`, or (only if allow_collision) the element that already
  // has node's key, leaving the tree unchanged.
  RawPtrType InsertInternal(RawPtrType node, bool allow_collision) {
    static_assert(alignof(ValueType) > kContainerSentinelBit,
                  "bit 0 of element addresses must be free for the sentinel");
    NodeState& state = ns(node);
    DEBUG_ASSERT(!state.InContainer());
    DEBUG_ASSERT(state.IsValid());

    if (root_ == nullptr) {
      state.parent_ = sentinel();
      state.left_ = sentinel();
      state.right_ = sentinel();
      state.rank_ = false;
      root_ = left_most_ = right_most_ = node;
      count_ = 1;
      return nullptr;
    }

    const KeyType key = KeyTraits::GetKey(*node);
    RawPtrType parent;
    bool right;
    // A key beyond either end hangs off that end's node, with no descent: lists are often filled
    // in order, and splice lists and merges always are.
    if (KeyTraits::LessThan(KeyTraits::GetKey(*right_most_), key)) {
      parent = right_most_;
      right = true;
    } else if (KeyTraits::LessThan(key, KeyTraits::GetKey(*left_most_))) {
      parent = left_most_;
      right = false;
    } else {
      parent = root_;
      for (;;) {
        PrefetchChildren(parent);
        const KeyType parent_key = KeyTraits::GetKey(*parent);
        if (unlikely(KeyTraits::EqualTo(key, parent_key))) {
          if (allow_collision) {
            return parent;
          }
          DEBUG_ASSERT_MSG(false, "WAVLTree: duplicate key");
        }
        right = !KeyTraits::LessThan(key, parent_key);
        RawPtrType next = Child(parent, right);
        if (!IsNode(next)) {
          break;
        }
        parent = next;
      }
    }

    // The new leaf takes over a sentinel if it lands on the outside of an extreme node.
    RawPtrType& slot = Child(parent, right);
    state.parent_ = parent;
    state.left_ = nullptr;
    state.right_ = nullptr;
    state.rank_ = false;
    if (IsSentinel(slot)) {
      Child(node, right) = slot;
      (right ? right_most_ : left_most_) = node;
    }
    slot = node;
    ++count_;

    // A leaf parent (rank 0) now has a 0-child; a unary parent (rank 1) just became 1,1.
    if (ns(parent).rank_ == state.rank_) {
      RebalanceAfterInsert(node);
    }
    return nullptr;
  }

  // `node` is a 0-child: its rank equals its parent's.
  void RebalanceAfterInsert(RawPtrType node) {
    for (;;) {
      RawPtrType parent = ns(node).parent_;
      const bool right = ns(parent).right_ == node;
      RawPtrType sibling = Child(parent, !right);
      if (Parity(sibling) != ns(parent).rank_) {
        // Parent is 0,1: promote it. That may make it a 0-child in turn: it was a 1-child
        // exactly when, after the promotion, its parity matches its parent's.
        Flip(parent);
        RawPtrType grandparent = ns(parent).parent_;
        if (IsSentinel(grandparent) || ns(grandparent).rank_ != ns(parent).rank_) {
          return;
        }
        node = parent;
        continue;
      }
      // Parent is 0,2. `node` was just promoted, so it is 1,2 (never a fresh leaf here: a leaf
      // parent's other child is missing, which makes it 0,1).
      RawPtrType inner = Child(node, !right);
      if (Parity(inner) == ns(node).rank_) {
        // Inner child is a 2-child: one rotation, and the old parent drops a rank.
        Rotate(parent, node, right);
        Flip(parent);
      } else {
        // Inner child is a 1-child: it rises above both, gaining a rank; both lose one.
        Rotate(node, inner, !right);
        Rotate(parent, inner, right);
        Flip(inner);
        Flip(node);
        Flip(parent);
      }
      return;
    }
  }

  PtrType EraseInternal(RawPtrType node) {
    DEBUG_ASSERT(count_ > 0);
    NodeState& state = ns(node);
    if (IsNode(state.left_) && IsNode(state.right_)) {
      // Trade places with the in-order successor, which has no left child, so that `node` can
      // be unlinked as a leaf or unary node. We move links, not contents: the objects are owned
      // and may be referenced from elsewhere.
      RawPtrType successor = state.right_;
      while (IsNode(ns(successor).left_)) {
        successor = ns(successor).left_;
      }
      SwapWithSuccessor(node, successor);
    }
    RemoveLeafOrUnary(node);
    ResetNodeState(state);
    return PtrTraits::Reclaim(node);
  }

  // `succ` is the left-most node of node's right subtree; node has two children.
  void SwapWithSuccessor(RawPtrType node, RawPtrType succ) {
    NodeState& n = ns(node);
    NodeState& s = ns(succ);
    DEBUG_ASSERT(s.left_ == nullptr);
    RawPtrType node_parent = n.parent_;
    RawPtrType node_left = n.left_;
    RawPtrType node_right = n.right_;
    RawPtrType succ_parent = s.parent_;
    RawPtrType succ_right = s.right_;
    std::swap(n.rank_, s.rank_);

    ReplaceChild(node_parent, node, succ);
    s.parent_ = node_parent;
    s.left_ = node_left;
    ns(node_left).parent_ = succ;
    if (succ_parent == node) {
      s.right_ = node;
      n.parent_ = succ;
    } else {
      s.right_ = node_right;
      ns(node_right).parent_ = succ;
      ns(succ_parent).left_ = node;
      n.parent_ = succ_parent;
    }
    n.left_ = nullptr;
    n.right_ = succ_right;  // Possibly the sentinel; then `node` is now the right-most.
    if (IsNode(succ_right)) {
      ns(succ_right).parent_ = node;
    }
    if (right_most_ == succ) {
      right_most_ = node;
    }
  }

  // Unlinks `node`, which has at most one child, and rebalances.
  void RemoveLeafOrUnary(RawPtrType node) {
    NodeState& state = ns(node);
    DEBUG_ASSERT(!(IsNode(state.left_) && IsNode(state.right_)));
    RawPtrType child =
        IsNode(state.left_) ? state.left_ : (IsNode(state.right_) ? state.right_ : nullptr);
    RawPtrType parent = state.parent_;
    const bool has_parent = !IsSentinel(parent);
    const bool right = has_parent && ns(parent).right_ == node;
    const bool was_2_child = has_parent && ns(parent).rank_ == state.rank_;

    if (child != nullptr) {
      ns(child).parent_ = parent;
    }
    if (has_parent) {
      Child(parent, right) = child;
    } else {
      root_ = child;
    }

    // Hand the sentinels on. A removed extreme with a child is succeeded by the extreme of that
    // child's subtree; without one, by its parent (it was that parent's outer child).
    if (left_most_ == node) {
      // node's left link was the sentinel, so `child`, if any, is its right child.
      RawPtrType next = child;
      if (next != nullptr) {
        while (IsNode(ns(next).left_)) {
          next = ns(next).left_;
        }
      } else if (has_parent) {
        next = parent;
      }
      if (next != nullptr) {
        ns(next).left_ = sentinel();
        left_most_ = next;
      } else {
        left_most_ = sentinel();
      }
    }
    if (right_most_ == node) {
      RawPtrType next = child;
      if (next != nullptr) {
        while (IsNode(ns(next).right_)) {
          next = ns(next).right_;
        }
      } else if (has_parent) {
        next = parent;
      }
      if (next != nullptr) {
        ns(next).right_ = sentinel();
        right_most_ = next;
      } else {
        right_most_ = sentinel();
      }
    }
    --count_;

    if (!has_parent) {
      return;  // The child (a leaf, if any) is the new root; ranks are fine.
    }
    if (was_2_child) {
      // The replacement (a rank-0 leaf or a missing child) is one rank lower: a 3-child.
      RebalanceAfterErase(parent, right);
    } else if (IsLeaf(parent)) {
      // A rank-1 parent lost its only (leaf) child and is a 2,2 leaf: demote it.
      DEBUG_ASSERT(ns(parent).rank_);
      DemoteAndContinue(parent);
    }
  }

  // Demotes `node`; if that makes it a 3-child, rebalances above it.
  void DemoteAndContinue(RawPtrType node) {
    RawPtrType parent = ns(node).parent_;
    const bool was_2_child = !IsSentinel(parent) && ns(parent).rank_ == ns(node).rank_;
    Flip(node);
    if (was_2_child) {
      RebalanceAfterErase(parent, ns(parent).right_ == node);
    }
  }

  // The child of `node` on side `right` (possibly missing) is a 3-child.
  void RebalanceAfterErase(RawPtrType node, bool right) {
    for (;;) {
      // The sibling exists: node's rank is at least 2, and a missing child would be a 3-child
      // from before this erase.
      RawPtrType sibling = Child(node, !right);
      DEBUG_ASSERT(IsNode(sibling));
      const bool sibling_parity = ns(sibling).rank_;
      if (sibling_parity != ns(node).rank_) {
        // Sibling is a 1-child. Unless it is 2,2 (then demote both), a rotation finishes.
        const bool sibling_is_22 = Parity(ns(sibling).left_) == sibling_parity &&
                                   Parity(ns(sibling).right_) == sibling_parity;
        if (!sibling_is_22) {
          RotateAfterErase(node, sibling, !right);
          return;
        }
        Flip(sibling);
      }
      // Sibling was a 2-child (or has just been demoted): demoting `node` makes both children
      // fit, but may make `node` a 3-child of its own parent.
      RawPtrType parent = ns(node).parent_;
      const bool was_2_child = !IsSentinel(parent) && ns(parent).rank_ == ns(node).rank_;
      Flip(node);
      if (!was_2_child) {
        return;
      }
      right = ns(parent).right_ == node;
      node = parent;
    }
  }

  // `node` has a 3-child on side !sibling_right and a 1-child `sibling` that is not 2,2.
  void RotateAfterErase(RawPtrType node, RawPtrType sibling, bool sibling_right) {
    RawPtrType outer = Child(sibling, sibling_right);
    if (Parity(outer) != ns(sibling).rank_) {
      // Outer nephew is a 1-child: single rotation. Sibling gains a rank; `node` loses one, or
      // two if it ends up a leaf (a 2,2 leaf is not allowed), which leaves its parity as is.
      Rotate(node, sibling, sibling_right);
      Flip(sibling);
      if (!IsLeaf(node)) {
        Flip(node);
      }
    } else {
      // Outer nephew is a 2-child, so the inner one is a 1-child: double rotation. The inner
      // nephew gains two ranks and `node` loses two (parities unchanged); sibling loses one.
      RawPtrType inner = Child(sibling, !sibling_right);
      Rotate(sibling, inner, !sibling_right);
      Rotate(node, inner, sibling_right);
      Flip(sibling);
    }
  }

  // The only data. Do not reorder or add: see the layout note at the top.
  RawPtrType root_ = nullptr;
  RawPtrType left_most_ = sentinel();
  RawPtrType right_most_ = sentinel();
  size_t count_ = 0;
};

}  // namespace fbl

#endif  // FBL_INTRUSIVE_WAVL_TREE_H_
