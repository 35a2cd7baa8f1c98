// What the PVH loader tells the kernel: the command line and the RAM ranges, from the
// hvm_start_info struct whose physical address arrives in %ebx.
#ifndef VMPL_KERNEL_ARCH_BOOT_INFO_H_
#define VMPL_KERNEL_ARCH_BOOT_INFO_H_

#include <stddef.h>
#include <stdint.h>

struct BootInfo {
  const char* cmdline;  // Through the physmap; "" when there is none. Never null after parsing.
  struct Range {
    uint64_t base, length;
  } ram[32];  // The e820 type-1 (RAM) ranges, in the loader's order.
  size_t ram_count;
};

// Fills *out from the hvm_start_info at start_info_paddr. Returns false (with out->cmdline ""
// and no RAM) if the magic is wrong or the struct is outside the physmap. Version 0 structs
// have no memory map: true with ram_count 0. More than 32 RAM ranges: the first 32.
bool ParseBootInfo(uint64_t start_info_paddr, BootInfo* out);

// Finds the word `key` or `key=value` in the command line (words are separated by spaces).
// Returns the start of the value (just after '='; for a bare `key`, the end of the word, so
// *value_len is 0) and stores the value's length in *value_len if non-null; null if absent.
// The value is not NUL-terminated: it ends at the next space.
const char* BootOption(const BootInfo& info, const char* key, size_t* value_len = nullptr);

// True if `key` or `key=...` is on the command line.
bool BootFlag(const BootInfo& info, const char* key);

// The decimal (or 0x-prefixed hex) value of `key=N`; fallback if absent or malformed.
uint64_t BootOptionUint(const BootInfo& info, const char* key, uint64_t fallback);

#endif  // VMPL_KERNEL_ARCH_BOOT_INFO_H_
