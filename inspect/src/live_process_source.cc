// LiveProcessSource (process_vm_readv, /proc/PID/mem) and the /proc/PID/maps parser; see
// <vmpl/inspect/live_process_source.h>.

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vmpl/inspect/live_process_source.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace vmpl::inspect {
namespace {

// process_vm_readv takes at most IOV_MAX iovecs per side.
constexpr size_t kMaxIovecs = IOV_MAX;
// The sum of one call's iovec lengths must fit in ssize_t; we stay far below that. A single
// request larger than this is read in a call of its own.
constexpr uint64_t kMaxBatchBytes = uint64_t{1} << 40;
// pread on /proc/PID/mem takes a signed offset: addresses from 2^63 on cannot be reached.
constexpr uint64_t kProcMemLimit = uint64_t{1} << 63;
// A maps file larger than this is not what the kernel writes; stop rather than grow without end.
constexpr size_t kMaxMapsBytes = size_t{256} << 20;

// How many bytes of [address, address + size) lie below 2^64 (the rest wraps around).
size_t SizeBelowEnd(uint64_t address, size_t size) {
  const uint64_t room = std::numeric_limits<uint64_t>::max() - address;  // bytes after address
  if (size == 0 || room >= size - 1) {
    return size;
  }
  return static_cast<size_t>(room + 1);
}

// Zeroes the unread tail of a request, as ReadResult promises.
void ZeroTail(const ReadRequest& request, size_t bytes) {
  if (bytes < request.size) {
    memset(static_cast<char*>(request.buffer) + bytes, 0, request.size - bytes);
  }
}

std::string WrapError(uint64_t address, size_t size) {
  return fmt::format("{:#x}: range of {} bytes runs past the end of the address space", address,
                     size);
}

}  // namespace

LiveProcessSource::LiveProcessSource(pid_t pid, Method method) : pid_(pid), method_(method) {}

LiveProcessSource::~LiveProcessSource() {
  if (mem_fd_ >= 0) {
    close(mem_fd_);
  }
}

std::string LiveProcessSource::Describe() const { return fmt::format("pid {}", pid_); }

std::vector<MemoryRegion> LiveProcessSource::Regions() const {
  std::vector<MemoryRegion> regions;
  for (const MappedFile& map : ReadProcessMaps(pid_, nullptr)) {
    // [vvar] faults on read through process_vm_readv; [vsyscall] is not in the page tables.
    if (!map.readable() || map.path == "[vvar]" || map.path == "[vsyscall]") {
      continue;
    }
    regions.push_back(MemoryRegion{map.start, map.end, map.perms.size() > 1 && map.perms[1] == 'w',
                                   map.path});
  }
  return regions;
}

ReadResult LiveProcessSource::Read(uint64_t address, void* buffer, size_t size) {
  const ReadRequest request{.address = address, .buffer = buffer, .size = size};
  ReadResult result;
  ReadAll(&request, 1, &result);
  return result;
}

std::vector<ReadResult> LiveProcessSource::ReadMany(const std::vector<ReadRequest>& requests) {
  std::vector<ReadResult> results(requests.size());
  ReadAll(requests.data(), requests.size(), results.data());
  return results;
}

void LiveProcessSource::ReadAll(const ReadRequest* requests, size_t count, ReadResult* results) {
  size_t done = 0;
  if (method_ != Method::kProcMem) {
    done = ReadVm(requests, count, results);
    if (done == count) {
      if (method_ == Method::kAuto) {
        method_ = Method::kProcessVmReadv;
      }
      return;
    }
    if (method_ == Method::kProcessVmReadv) {
      // Refused, and this source may not fall back: every remaining request fails with why.
      for (size_t i = done; i < count; ++i) {
        ZeroTail(requests[i], 0);
        results[i] = ReadResult{.bytes = 0, .error = vm_error_};
      }
      return;
    }
    method_ = Method::kProcMem;
  }
  for (size_t i = done; i < count; ++i) {
    results[i] = ReadProcMem(requests[i].address, requests[i].buffer, requests[i].size);
  }
}

size_t LiveProcessSource::ReadVm(const ReadRequest* requests, size_t count, ReadResult* results) {
  local_.resize(kMaxIovecs);
  remote_.resize(kMaxIovecs);
  index_.resize(kMaxIovecs);
  size_t next = 0;  // the first request not yet handled
  while (next < count) {
    // Gather one call's worth of requests; empty ones are complete as they are.
    size_t iovecs = 0;
    uint64_t batch_bytes = 0;
    size_t scan = next;
    for (; scan < count && iovecs < kMaxIovecs; ++scan) {
      const ReadRequest& request = requests[scan];
      const size_t size = SizeBelowEnd(request.address, request.size);
      if (size == 0) {
        results[scan] = ReadResult{};
        continue;
      }
      if (iovecs > 0 && batch_bytes + size > kMaxBatchBytes) {
        break;
      }
      batch_bytes += size;
      local_[iovecs] = {.iov_base = request.buffer, .iov_len = size};
      remote_[iovecs] = {.iov_base = reinterpret_cast<void*>(request.address), .iov_len = size};
      index_[iovecs] = scan;
      ++iovecs;
    }
    if (iovecs == 0) {
      next = scan;
      continue;
    }

    const ssize_t got = process_vm_readv(pid_, local_.data(), iovecs, remote_.data(), iovecs, 0);
    const int error_number = errno;
    ++target_reads_;
    if (got < 0) {
      if (error_number == EPERM || error_number == ENOSYS) {
        vm_error_ =
            fmt::format("pid {}: process_vm_readv refused ({})", pid_, strerror(error_number));
        return index_[0];
      }
      // Nothing was read. With EFAULT the first request is unreadable at its first byte; any
      // other error (ESRCH: gone) we name on that request and go on past it, so that a batch
      // costs at most one call per failed request.
      const size_t failed = index_[0];
      ZeroTail(requests[failed], 0);
      results[failed] =
          ReadResult{.bytes = 0, .error = ErrorAt(requests[failed].address, error_number)};
      if (error_number == ESRCH) {
        // Gone for good: the rest would fail the same way.
        for (size_t i = failed + 1; i < count; ++i) {
          ZeroTail(requests[i], 0);
          results[i] = results[failed];
        }
        return count;
      }
      next = failed + 1;
      continue;
    }

    // process_vm_readv fills the iovecs in order and stops at the first page it cannot read:
    // every request before that one is complete, that one has a prefix, the rest were not tried.
    bytes_read_ += static_cast<uint64_t>(got);
    size_t remaining = static_cast<size_t>(got);
    next = scan;
    for (size_t k = 0; k < iovecs; ++k) {
      const size_t i = index_[k];
      const ReadRequest& request = requests[i];
      const size_t size = local_[k].iov_len;
      if (remaining >= size) {
        remaining -= size;
        results[i] =
            size == request.size
                ? ReadResult{.bytes = size, .error = {}}
                : ReadResult{.bytes = size, .error = WrapError(request.address, request.size)};
        ZeroTail(request, size);
        continue;
      }
      ZeroTail(request, remaining);
      results[i] =
          ReadResult{.bytes = remaining, .error = ErrorAt(request.address + remaining, EFAULT)};
      next = i + 1;
      break;
    }
  }
  return count;
}

ReadResult LiveProcessSource::ReadProcMem(uint64_t address, void* buffer, size_t size) {
  const ReadRequest request{.address = address, .buffer = buffer, .size = size};
  if (size == 0) {
    return {};
  }
  if (!OpenMem()) {
    ZeroTail(request, 0);
    return {.bytes = 0, .error = mem_error_};
  }
  if (address >= kProcMemLimit) {
    ZeroTail(request, 0);
    return {.bytes = 0,
            .error = fmt::format("{:#x}: beyond what /proc/{}/mem can address", address, pid_)};
  }
  const size_t reachable = static_cast<size_t>(std::min<uint64_t>(size, kProcMemLimit - address));
  size_t done = 0;
  std::string error;
  while (done < reachable) {
    const ssize_t got = pread(mem_fd_, static_cast<char*>(buffer) + done, reachable - done,
                              static_cast<off_t>(address + done));
    const int error_number = errno;
    ++target_reads_;
    if (got > 0) {
      done += static_cast<size_t>(got);
      bytes_read_ += static_cast<uint64_t>(got);
      continue;
    }
    if (got < 0 && error_number == EINTR) {
      continue;
    }
    // 0: the process no longer has an address space (it exited; the file stays bound to it even
    // if its pid is reused). EIO: the page at address + done cannot be read.
    error = got == 0 ? fmt::format("process {} has exited", pid_)
                     : ErrorAt(address + done, error_number == EIO ? EFAULT : error_number);
    break;
  }
  if (error.empty() && done < size) {
    error = fmt::format("{:#x}: beyond what /proc/{}/mem can address", address + done, pid_);
  }
  ZeroTail(request, done);
  return {.bytes = done, .error = std::move(error)};
}

bool LiveProcessSource::OpenMem() {
  if (mem_fd_ >= 0) {
    return true;
  }
  const std::string path = fmt::format("/proc/{}/mem", pid_);
  mem_fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (mem_fd_ >= 0) {
    return true;
  }
  const int error_number = errno;
  std::string why;
  if (error_number == ENOENT || HasExited()) {
    why = fmt::format("process {} has exited", pid_);
  } else {
    why = fmt::format("cannot open {}: {}", path, strerror(error_number));
    if (error_number == EACCES || error_number == EPERM) {
      why +=
          " (reading another process needs ptrace permission: same user, Yama "
          "ptrace_scope 0, or CAP_SYS_PTRACE)";
    }
  }
  mem_error_ = vm_error_.empty() ? fmt::format("pid {}: {}", pid_, why)
                                 : fmt::format("{}, and {}", vm_error_, why);
  return false;
}

std::string LiveProcessSource::ErrorAt(uint64_t address, int error_number) const {
  switch (error_number) {
    case EFAULT:
      return fmt::format(
          "{:#x}: not readable in pid {} (not mapped, or mapped without read "
          "permission)",
          address, pid_);
    case ESRCH:
      return fmt::format("process {} has exited", pid_);
    default:
      return fmt::format("{:#x}: read from pid {} failed: {}", address, pid_,
                         strerror(error_number));
  }
}

bool LiveProcessSource::HasExited() const {
  const std::string path = fmt::format("/proc/{}/stat", pid_);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT || errno == ESRCH;
  }
  char text[512];
  const ssize_t got = read(fd, text, sizeof(text));
  close(fd);
  if (got <= 0) {
    return got == 0;
  }
  // "pid (comm) S ...": the state follows the last ')', since comm may hold anything.
  const std::string_view stat(text, static_cast<size_t>(got));
  const size_t paren = stat.rfind(')');
  if (paren == std::string_view::npos || paren + 2 >= stat.size()) {
    return false;
  }
  const char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

// ----------------------------------------------------------------------------------------------
// /proc/PID/maps.

namespace {

// Splits the next space-delimited field off |line|.
std::string_view NextField(std::string_view& line) {
  const size_t start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  const size_t end = std::min(line.find(' '), line.size());
  const std::string_view field = line.substr(0, end);
  line.remove_prefix(end);
  return field;
}

bool ParseHex(std::string_view text, uint64_t* value) {
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), *value, 16);
  return status == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::vector<MappedFile> ParseProcessMaps(const std::string& text, const std::string& origin,
                                         std::string* error) {
  std::vector<MappedFile> maps;
  if (error != nullptr) {
    error->clear();
  }
  size_t line_start = 0;
  for (size_t line_number = 1; line_start < text.size(); ++line_number) {
    const size_t newline = std::min(text.find('\n', line_start), text.size());
    std::string_view line(text.data() + line_start, newline - line_start);
    line_start = newline + 1;
    if (line.empty()) {
      continue;
    }
    const std::string_view whole = line;
    // "start-end perms offset major:minor inode   path"; the path may hold spaces.
    const std::string_view range = NextField(line);
    const std::string_view perms = NextField(line);
    const std::string_view offset = NextField(line);
    const std::string_view device = NextField(line);
    const std::string_view inode = NextField(line);
    const size_t dash = range.find('-');
    MappedFile file;
    const bool valid = dash != std::string_view::npos &&
                       ParseHex(range.substr(0, dash), &file.start) &&
                       ParseHex(range.substr(dash + 1), &file.end) && file.start <= file.end &&
                       perms.size() == 4 && ParseHex(offset, &file.offset) &&
                       device.find(':') != std::string_view::npos && !inode.empty();
    if (!valid) {
      if (error != nullptr) {
        *error = fmt::format("{}:{}: not a maps line: \"{}\"", origin, line_number,
                             whole.substr(0, 120));
      }
      return maps;
    }
    file.perms = std::string(perms);
    const size_t path_start = line.find_first_not_of(' ');
    if (path_start != std::string_view::npos) {
      file.path = std::string(line.substr(path_start));
    }
    maps.push_back(std::move(file));
  }
  return maps;
}

std::vector<MappedFile> ReadProcessMaps(pid_t pid, std::string* error) {
  const std::string path = fmt::format("/proc/{}/maps", pid);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error != nullptr) {
      *error = errno == ENOENT ? fmt::format("{}: process {} has exited", path, pid)
                               : fmt::format("{}: {}", path, strerror(errno));
    }
    return {};
  }
  std::string text;
  char chunk[16384];
  std::string read_error;
  for (;;) {
    const ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got > 0) {
      text.append(chunk, static_cast<size_t>(got));
      if (text.size() > kMaxMapsBytes) {
        read_error = fmt::format("{}: larger than {} bytes, read no further", path, kMaxMapsBytes);
        break;
      }
      continue;
    }
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      read_error = fmt::format("{}: {}", path, strerror(errno));
    }
    break;
  }
  close(fd);
  if (!read_error.empty()) {
    // Keep the whole lines read so far.
    text.resize(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  }
  std::vector<MappedFile> maps = ParseProcessMaps(text, path, error);
  if (!read_error.empty() && error != nullptr && error->empty()) {
    *error = read_error;
  }
  return maps;
}

std::optional<uint64_t> LoadBias(const std::vector<MappedFile>& maps, const std::string& path) {
  std::optional<uint64_t> bias;
  for (const MappedFile& file : maps) {
    if (file.offset == 0 && file.path == path && (!bias || file.start < *bias)) {
      bias = file.start;
    }
  }
  return bias;
}

std::string ExecutablePath(pid_t pid) {
  const std::string link = fmt::format("/proc/{}/exe", pid);
  std::string target(PATH_MAX, '\0');
  const ssize_t got = readlink(link.c_str(), target.data(), target.size());
  if (got <= 0 || static_cast<size_t>(got) >= target.size()) {
    return {};
  }
  target.resize(static_cast<size_t>(got));
  return target;
}

}  // namespace vmpl::inspect
