// vmpl::inspect::LiveProcessSource: the memory of a running process, read without stopping it.
//
// Reads go through process_vm_readv, which copies straight from the target's pages into ours:
// no ptrace attach, no stop, one system call for a whole batch (ReadMany puts one iovec per
// request, IOV_MAX of them per call). Where process_vm_readv is refused (seccomp filters in some
// containers answer EPERM or ENOSYS), the source falls back to pread on /proc/PID/mem, one call
// per request. Both need the same permission as ptrace attach (same user and, where Yama is on,
// ptrace_scope 0 or CAP_SYS_PTRACE); when neither works the error says so.
//
// The target keeps running while we read, so what we read may be torn; the decoder checks what it
// reads. A target that exits turns every later read into "process PID has exited".
//
// Also here: the maps of a process (where its files are mapped, for symbols and load bias) and
// the path of its executable.

#ifndef VMPL_INSPECT_LIVE_PROCESS_SOURCE_H_
#define VMPL_INSPECT_LIVE_PROCESS_SOURCE_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <vmpl/inspect/memory_source.h>

#include <optional>
#include <string>
#include <vector>

namespace vmpl::inspect {

class LiveProcessSource final : public MemorySource {
 public:
  // How reads reach the target. kAuto starts with process_vm_readv and moves to /proc/PID/mem
  // for good the first time process_vm_readv is refused; the others use one method only (tests
  // and benchmarks use them to exercise each path).
  enum class Method { kAuto, kProcessVmReadv, kProcMem };

  explicit LiveProcessSource(pid_t pid, Method method = Method::kAuto);
  ~LiveProcessSource() override;
  LiveProcessSource(const LiveProcessSource&) = delete;
  LiveProcessSource& operator=(const LiveProcessSource&) = delete;

  ReadResult Read(uint64_t address, void* buffer, size_t size) override;
  std::vector<ReadResult> ReadMany(const std::vector<ReadRequest>& requests) override;
  std::string Describe() const override;
  // The readable mappings of /proc/PID/maps, except [vvar] and [vsyscall].
  std::vector<MemoryRegion> Regions() const override;

  pid_t pid() const { return pid_; }
  // The method reads use now: kProcessVmReadv or kProcMem (kAuto only before the first read).
  Method method() const { return method_; }

 private:
  // Reads requests[0, count) into results[0, count) with whichever method is in use.
  void ReadAll(const ReadRequest* requests, size_t count, ReadResult* results);
  // Reads with process_vm_readv, up to IOV_MAX requests per call. Returns how many requests it
  // handled: fewer than |count| if process_vm_readv was refused (EPERM, ENOSYS; the reason is
  // left in vm_error_), so that the caller can read the rest another way.
  size_t ReadVm(const ReadRequest* requests, size_t count, ReadResult* results);
  // One request through /proc/PID/mem.
  ReadResult ReadProcMem(uint64_t address, void* buffer, size_t size);
  // Opens /proc/PID/mem once; false (with the reason in mem_error_) if it cannot.
  bool OpenMem();
  // The message for a read that stopped at |address| because of |error_number|.
  std::string ErrorAt(uint64_t address, int error_number) const;
  // Whether the process has exited (gone, or a zombie).
  bool HasExited() const;

  pid_t pid_;
  Method method_;
  int mem_fd_ = -1;
  std::string mem_error_;  // why /proc/PID/mem could not be opened, once tried
  std::string vm_error_;   // why process_vm_readv was refused, when it was
  // Scratch for ReadVm, kept to avoid allocating per call: the iovecs of one system call and the
  // request each belongs to. This makes a source single-threaded: one source per thread.
  std::vector<struct iovec> local_;
  std::vector<struct iovec> remote_;
  std::vector<size_t> index_;
};

// One line of /proc/PID/maps.
struct MappedFile {
  uint64_t start = 0;   // first address
  uint64_t end = 0;     // one past the last address
  std::string perms;    // as the kernel prints them: "r-xp", "rw-s", ...
  uint64_t offset = 0;  // file offset of |start|
  std::string path;     // file path, "[heap]", "[stack]", ... or empty for anonymous memory

  bool readable() const { return !perms.empty() && perms[0] == 'r'; }
};

// Parses /proc/PID/maps. On failure returns what was parsed so far and sets *error (if not null)
// to a message naming the file and the line; *error is cleared on success.
std::vector<MappedFile> ReadProcessMaps(pid_t pid, std::string* error);

// Parses the text of a maps file (what ReadProcessMaps reads); |origin| names it in messages.
std::vector<MappedFile> ParseProcessMaps(const std::string& text, const std::string& origin,
                                         std::string* error);

// The address where |path|'s offset-0 mapping starts, or nullopt if |path| has none. For a file
// whose first PT_LOAD segment has virtual address 0 (PIE executables, shared libraries) this is
// the load bias: a symbol's run-time address is its st_value plus this. A fixed-address
// executable (ET_EXEC) is not relocated; its bias is 0 whatever this returns.
std::optional<uint64_t> LoadBias(const std::vector<MappedFile>& maps, const std::string& path);

// The target of /proc/PID/exe, or empty if it cannot be read. The kernel appends " (deleted)"
// when the file was removed or replaced since the process started; the same text is in the maps.
std::string ExecutablePath(pid_t pid);

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_LIVE_PROCESS_SOURCE_H_
