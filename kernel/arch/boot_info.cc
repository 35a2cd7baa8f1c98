// hvm_start_info parsing (the layout is Xen's public ABI, arch-x86/hvm/start_info.h) and the
// command-line lookups.

#include "arch/boot_info.h"

#include "arch/memory.h"

namespace {

constexpr uint32_t kStartInfoMagic = 0x336ec578;
constexpr uint32_t kE820Ram = 1;

struct HvmStartInfo {
  uint32_t magic;
  uint32_t version;  // 1 adds memmap_paddr and memmap_entries.
  uint32_t flags;
  uint32_t nr_modules;
  uint64_t modlist_paddr;
  uint64_t cmdline_paddr;
  uint64_t rsdp_paddr;
  uint64_t memmap_paddr;
  uint32_t memmap_entries;
  uint32_t reserved;
};
static_assert(sizeof(HvmStartInfo) == 56);

struct HvmMemmapEntry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;
  uint32_t reserved;
};
static_assert(sizeof(HvmMemmapEntry) == 24);

// Whether [paddr, paddr + size) is reachable through the physmap.
bool InPhysmap(uint64_t paddr, uint64_t size) {
  return paddr < kPhysmapSize && size <= kPhysmapSize - paddr;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }

}  // namespace

bool ParseBootInfo(uint64_t start_info_paddr, BootInfo* out) {
  out->cmdline = "";
  out->ram_count = 0;
  if (!InPhysmap(start_info_paddr, sizeof(HvmStartInfo))) return false;
  const auto* info = static_cast<const HvmStartInfo*>(paddr_to_physmap(start_info_paddr));
  if (info->magic != kStartInfoMagic) return false;

  // The string's length is unknown; its first byte being mapped is the check we can make.
  if (info->cmdline_paddr != 0 && InPhysmap(info->cmdline_paddr, 1)) {
    out->cmdline = static_cast<const char*>(paddr_to_physmap(info->cmdline_paddr));
  }
  if (info->version < 1 || info->memmap_paddr == 0) return true;
  if (!InPhysmap(info->memmap_paddr, uint64_t{info->memmap_entries} * sizeof(HvmMemmapEntry))) {
    return false;
  }
  const auto* map = static_cast<const HvmMemmapEntry*>(paddr_to_physmap(info->memmap_paddr));
  constexpr size_t kMaxRanges = sizeof(out->ram) / sizeof(out->ram[0]);
  for (uint32_t i = 0; i < info->memmap_entries && out->ram_count < kMaxRanges; ++i) {
    if (map[i].type != kE820Ram || map[i].size == 0) continue;
    out->ram[out->ram_count++] = {map[i].addr, map[i].size};
  }
  return true;
}

const char* BootOption(const BootInfo& info, const char* key, size_t* value_len) {
  size_t key_len = 0;
  while (key[key_len] != '\0') ++key_len;
  const char* p = info.cmdline;
  while (*p != '\0') {
    while (IsSpace(*p)) ++p;
    const char* word = p;
    while (*p != '\0' && !IsSpace(*p)) ++p;
    size_t word_len = static_cast<size_t>(p - word);
    if (word_len < key_len) continue;
    bool match = true;
    for (size_t i = 0; i < key_len && match; ++i) match = word[i] == key[i];
    if (!match) continue;
    if (word_len == key_len) {
      if (value_len != nullptr) *value_len = 0;
      return p;
    }
    if (word[key_len] == '=') {
      if (value_len != nullptr) *value_len = word_len - key_len - 1;
      return word + key_len + 1;
    }
  }
  return nullptr;
}

bool BootFlag(const BootInfo& info, const char* key) { return BootOption(info, key) != nullptr; }

uint64_t BootOptionUint(const BootInfo& info, const char* key, uint64_t fallback) {
  size_t len = 0;
  const char* value = BootOption(info, key, &len);
  if (value == nullptr || len == 0) return fallback;
  uint64_t base = 10;
  if (len > 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
    base = 16;
    value += 2;
    len -= 2;
  }
  uint64_t result = 0;
  for (size_t i = 0; i < len; ++i) {
    char c = value[i];
    uint64_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = static_cast<uint64_t>(c - 'A' + 10);
    } else {
      return fallback;
    }
    result = result * base + digit;
  }
  return result;
}
