// vmpl::NodeAllocator: where VmPageListNodes live.
//
// The kernel allocates page-list nodes from its heap, which sits in the physmap and is mapped with
// large pages, so a walk down a big node tree pays cache misses but almost no TLB misses. A
// userspace heap hands out 4 KiB-mapped memory, and a tree of a million nodes (190 MiB) then pays
// a page-table walk at nearly every level. This allocator gives nodes the kernel's footing: 2 MiB
// chunks aligned to 2 MiB and advised as transparent huge pages, carved into slots of kSlotBytes
// (a multiple of the 64-byte cache line, so a node's tree links and key share its first line).
//
// Freed slots are reused lowest address first, so that a list rebuilt in order is laid out in
// order again; wholly free chunks go back to the system (one is kept). Under AddressSanitizer the
// allocator forwards to the ordinary heap so that use-after-free and overflows of nodes are still
// caught.
//
// Thread-safe: each thread allocates from and frees to a small cache of its own, and refills or
// drains it in batches under one spin lock.
//
// A platform seam (docs/architecture.md, "One core, two platforms"): the above is the userspace
// allocator, core/src/node_allocator.cc; the QEMU kernel defines the same members over its heap,
// kernel/platform/node_allocator.cc.

#ifndef VMPL_NODE_ALLOCATOR_H_
#define VMPL_NODE_ALLOCATOR_H_

#include <stddef.h>
#include <stdint.h>

namespace fbl {
class AllocChecker;
}

namespace vmpl {

class NodeAllocator {
 public:
  // Every slot: the node rounded up to whole cache lines.
  static constexpr size_t kSlotBytes = 192;
  static constexpr size_t kChunkBytes = size_t{2} << 20;

  // |size| bytes (at most kSlotBytes), 64-byte aligned; nullptr when memory is exhausted.
  static void* Allocate(size_t size);
  // As Allocate, but never returns null, like plain operator new: out of memory, it throws
  // std::bad_alloc in userspace and panics in the kernel (which is built without exceptions).
  static void* AllocateOrFail(size_t size);
  // As Allocate, but asks vmpl::AllocFailureInjector first and arms |ac| with the outcome, like
  // the global operator new(size_t, fbl::AllocChecker*).
  static void* AllocateChecked(size_t size, fbl::AllocChecker* ac);
  static void Free(void* memory);
  // Gives the calling thread's cached free slots back to the chunks (each thread keeps up to 32
  // for lock-free allocation; they are given back when it ends, or now).
  static void ReleaseThreadCache();

  struct Stats {
    size_t chunks = 0;      // 2 MiB chunks obtained from the system
    size_t live_slots = 0;  // slots handed out or held in threads' caches
  };
  static Stats stats();
};

}  // namespace vmpl

#endif  // VMPL_NODE_ALLOCATOR_H_
