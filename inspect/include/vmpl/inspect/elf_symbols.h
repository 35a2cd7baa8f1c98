// vmpl::inspect::ElfSymbols: the symbol table of the binary a target runs, to find globals such
// as the registry `vmpl_registry` in a process or a core.
//
// Reads .symtab (the full table, absent from stripped binaries) and .dynsym (the exported
// symbols) of a 64-bit little-endian executable or shared object. The file is untrusted like a
// core: every section header, table and string is checked against the file size.
//
// A symbol's value is a link-time address. For a PIE (ET_DYN) the running address is that value
// plus the load bias; LoadBiasFromCore finds the bias in a core from the NT_FILE mapping of the
// binary at file offset 0 (the toolchains we meet link PIEs with their first segment at 0, so the
// start of that mapping is the bias). LoadBiasFromAuxv finds it in the auxiliary vector the
// kernel gave the process (read through a gdb stub, or /proc/PID/auxv): AT_ENTRY is the running
// address of the entry point, so the bias is AT_ENTRY minus e_entry, with no assumption about
// the segments.

#ifndef VMPL_INSPECT_ELF_SYMBOLS_H_
#define VMPL_INSPECT_ELF_SYMBOLS_H_

#include <stdint.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vmpl::inspect {

class ElfCoreSource;

class ElfSymbols {
 public:
  // Reads the symbols of the ELF file at |path|. On failure returns null and sets |*error|.
  // A binary without any symbol table opens fine and finds nothing.
  static std::unique_ptr<ElfSymbols> Open(const std::string& path, std::string* error);

  // The value of the defined symbol |name| (.symtab first, then .dynsym), if there is one.
  std::optional<uint64_t> Find(std::string_view name) const;

  // True for ET_DYN (PIE executables, shared objects): values are relative to the load bias.
  bool is_pie() const { return is_pie_; }
  // e_entry: the link-time address of the entry point (0 for most shared objects).
  uint64_t entry() const { return entry_; }
  // The link-time address of the program headers (PT_PHDR, or the PT_LOAD segment that holds
  // e_phoff), which the kernel passes as AT_PHDR; nullopt if no loaded segment holds them.
  std::optional<uint64_t> phdr_address() const { return phdr_address_; }
  size_t symbol_count() const { return symbols_.size(); }
  // Empty if all went well; otherwise what was damaged and skipped.
  const std::string& problem() const { return problem_; }

 private:
  ElfSymbols() = default;

  bool is_pie_ = false;
  uint64_t entry_ = 0;
  std::optional<uint64_t> phdr_address_;
  std::unordered_map<std::string, uint64_t> symbols_;
  std::string problem_;
};

// The load address of |binary_path| in the process the core was taken of: the start of its
// NT_FILE mapping at file offset 0. Matches the path exactly first; if no mapping has that path
// (the binary was moved or is named through a symlink), the basename. Nothing if neither matches.
std::optional<uint64_t> LoadBiasFromCore(const ElfCoreSource& core,
                                         const std::string& binary_path);

// The load bias of |binary| in the process whose auxiliary vector is |auxv| (pairs of 64-bit
// little-endian words, type then value, up to AT_NULL): 0 for a binary that is not
// position-independent, whose addresses are absolute; for a PIE, AT_ENTRY minus entry(). When
// AT_PHDR is there too and phdr_address() is known, the two must give the same bias: if they do
// not, or the bias is not page-aligned, the vector describes another program (--binary names the
// wrong file, or the program was started through ld.so) and the answer is nullopt with |error|
// saying so. Nullopt with |error| also when a PIE's vector has no AT_ENTRY.
std::optional<uint64_t> LoadBiasFromAuxv(std::string_view auxv, const ElfSymbols& binary,
                                         std::string* error = nullptr);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_ELF_SYMBOLS_H_
