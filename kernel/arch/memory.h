// The kernel's address-space layout, set up by start32.S: physical 0-1 GiB is mapped three times,
// read-write, cached: the identity map (2 MiB pages), and the physmap and the kernel window (2 MiB
// pages except for the first 2 MiB, 4 KiB pages without the VGA hole [0xa0000, 0xc0000), which
// is MMIO and would otherwise spoil QEMU's `dump-guest-memory -p`; see start32.S).
#ifndef VMPL_KERNEL_ARCH_MEMORY_H_
#define VMPL_KERNEL_ARCH_MEMORY_H_

#include <stddef.h>
#include <stdint.h>

// Zircon's PHYSMAP_BASE: all of (mapped) physical memory, at virtual kPhysmapBase + paddr.
constexpr uint64_t kPhysmapBase = 0xffffff8000000000;
constexpr uint64_t kPhysmapSize = uint64_t{1} << 30;
// The kernel window: the image runs at kKernelVirtBase + its physical address.
constexpr uint64_t kKernelVirtBase = 0xffffffff80000000;
constexpr uint64_t kPageSize = 4096;

inline void* paddr_to_physmap(uint64_t paddr) {
  return reinterpret_cast<void*>(kPhysmapBase + paddr);
}

inline uint64_t physmap_to_paddr(const void* ptr) {
  return reinterpret_cast<uint64_t>(ptr) - kPhysmapBase;
}

// Linker-script symbols: their addresses are the bounds of the image (stack and page tables
// included), in the kernel window.
extern "C" char __kernel_image_start[];
extern "C" char __kernel_image_end[];

inline uint64_t kernel_image_start_paddr() {
  return reinterpret_cast<uint64_t>(__kernel_image_start) - kKernelVirtBase;
}

// The first physical byte after the image (page aligned): free RAM starts here.
inline uint64_t kernel_image_end_paddr() {
  return reinterpret_cast<uint64_t>(__kernel_image_end) - kKernelVirtBase;
}

#endif  // VMPL_KERNEL_ARCH_MEMORY_H_
