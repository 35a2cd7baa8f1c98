// GdbRemoteSource: a read-only GDB Remote Serial Protocol client over TCP (see
// gdb_remote_source.h; the packet codec is in rsp_packet.cc).

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vmpl/inspect/gdb_remote_source.h>

#include <algorithm>
#include <charconv>
#include <numeric>

#include "rsp_packet.h"

namespace vmpl::inspect {
namespace {

using Clock = std::chrono::steady_clock;

// gdb's own assumption when a stub does not say, and a ceiling on what a stub may claim, so a
// lying PacketSize cannot make us allocate much.
constexpr size_t kDefaultPacketSize = 400;
constexpr size_t kMaxPacketSize = 1 << 20;
// Retransmissions in ack mode before giving up on a packet.
constexpr int kMaxRetransmissions = 3;
// A reply to 'm' carries two hex digits per byte; this is room for the "$...#cs" framing and
// leaves a margin stubs are known to want.
constexpr size_t kPacketOverhead = 32;
constexpr uint64_t kPageSize = 4096;
// Linux keeps a process's auxiliary vector in a fixed array of a few hundred bytes
// (AT_VECTOR_SIZE entries); a stub that sends more than this is not describing one.
constexpr size_t kMaxAuxvSize = 16 << 10;
// The request for the auxiliary vector, up to its "offset,length" (the annex is empty).
constexpr std::string_view kAuxvRead = "qXfer:auxv:read::";
// Replies that are not memory (qSupported lists every feature of gdbserver, about 1 KiB) may
// exceed a small PacketSize; this much is accepted whatever the stub claims.
constexpr size_t kMinReplyLimit = 64 << 10;

// "hex,hex": the address (or offset) and length of a read request.
bool IsHexRange(std::string_view text) {
  size_t comma = text.find(',');
  if (comma == 0 || comma == std::string_view::npos || comma + 1 == text.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i != comma && !isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// The only requests this client may send: queries that read, and the one detach that gives back
// a machine our connection stopped (see ~GdbRemoteSource). Anything else (M, X, G, P, Z, c, s,
// vCont, k, qXfer:...:write, ...) could change the target.
bool IsReadOnlyRequest(std::string_view payload) {
  if (payload.starts_with("qSupported") || payload == "QStartNoAckMode" || payload == "?" ||
      payload == "D") {
    return true;
  }
  if (payload.starts_with('m')) return IsHexRange(payload.substr(1));
  if (payload.starts_with(kAuxvRead)) return IsHexRange(payload.substr(kAuxvRead.size()));
  return false;
}

int64_t MillisecondsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max<int64_t>(0, left.count());
}

// Splits "host:port" or "[host]:port".
bool SplitHostPort(const std::string& host_port, std::string* host, std::string* port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon + 1 == host_port.size()) return false;
  *host = host_port.substr(0, colon);
  *port = host_port.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "localhost";
  return true;
}

// A non-blocking connect bounded by |timeout|; -1 and |error| on failure.
int ConnectWithTimeout(const std::string& host_port, std::chrono::milliseconds timeout,
                       std::string* error) {
  std::string host, port;
  if (!SplitHostPort(host_port, &host, &port)) {
    *error = fmt::format("'{}' is not host:port", host_port);
    return -1;
  }
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  int status = getaddrinfo(host.c_str(), port.c_str(), &hints, &addresses);
  if (status != 0) {
    *error = fmt::format("{}: {}", host_port, gai_strerror(status));
    return -1;
  }
  Clock::time_point deadline = Clock::now() + timeout;
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* address = addresses; address != nullptr && fd < 0; address = address->ai_next) {
    fd = socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                address->ai_protocol);
    if (fd < 0) {
      last_error = strerror(errno);
      continue;
    }
    int result = connect(fd, address->ai_addr, address->ai_addrlen);
    if (result != 0 && errno == EINPROGRESS) {
      pollfd waiter = {fd, POLLOUT, 0};
      int ready;
      do {
        ready = poll(&waiter, 1, static_cast<int>(MillisecondsLeft(deadline)));
      } while (ready < 0 && errno == EINTR);
      if (ready == 0) {
        last_error = fmt::format("no connection within {} ms", timeout.count());
      } else {
        int socket_error = 0;
        socklen_t length = sizeof(socket_error);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length);
        result = socket_error == 0 ? 0 : -1;
        if (socket_error != 0) last_error = strerror(socket_error);
      }
    } else if (result != 0) {
      last_error = strerror(errno);
    }
    if (result != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addresses);
  if (fd < 0) {
    *error = fmt::format("cannot connect to gdb stub {}: {}", host_port, last_error);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// The value of "name=value" in a qSupported reply, or empty.
std::string_view Feature(std::string_view reply, std::string_view name, bool* present) {
  *present = false;
  while (!reply.empty()) {
    size_t end = reply.find(';');
    std::string_view item = reply.substr(0, end);
    reply = end == std::string_view::npos ? std::string_view() : reply.substr(end + 1);
    if (item.starts_with(name)) {
      std::string_view rest = item.substr(name.size());
      if (rest.empty() || rest == "+" || rest.starts_with("=")) {
        *present = true;
        return rest.starts_with("=") ? rest.substr(1) : rest;
      }
    }
  }
  return {};
}

}  // namespace

std::unique_ptr<GdbRemoteSource> GdbRemoteSource::Connect(const std::string& host_port,
                                                          std::string* error,
                                                          const GdbRemoteOptions& options) {
  int fd = ConnectWithTimeout(host_port, options.connect_timeout, error);
  if (fd < 0) return nullptr;
  std::unique_ptr<GdbRemoteSource> source(
      new GdbRemoteSource(fd, fmt::format("gdb stub {}", host_port), options));
  if (!source->Handshake(error)) return nullptr;
  return source;
}

GdbRemoteSource::GdbRemoteSource(int fd, std::string name, const GdbRemoteOptions& options)
    : fd_(fd), name_(std::move(name)), options_(options) {
  packet_size_ = kDefaultPacketSize;
  max_reply_ = kMinReplyLimit;
}

GdbRemoteSource::~GdbRemoteSource() {
  if (stopped_by_attach_ && broken_.empty()) {
    // Our attach stopped a running machine (QEMU said so): leave it running, as it was found.
    // QEMU, unlike gdbserver, keeps a machine stopped after its client hangs up.
    std::string reply;
    Transact("D", &reply);
  }
  if (fd_ >= 0) close(fd_);
}

std::string GdbRemoteSource::Describe() const { return name_; }

void GdbRemoteSource::Fail(std::string message) {
  if (broken_.empty()) broken_ = fmt::format("{}: {}", name_, message);
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

bool GdbRemoteSource::Handshake(std::string* error) {
  std::string reply;
  // A stub waits for an ack of anything it sent before we connected; one '+' settles that.
  if (!SendRaw("+") || !Transact("qSupported", &reply)) {
    *error = broken_;
    return false;
  }
  bool present = false;
  std::string_view size = Feature(reply, "PacketSize", &present);
  if (present && !size.empty()) {
    // Hex, as every number in the protocol. A value we cannot parse, or too small to carry a
    // useful read, leaves gdb's default.
    uint64_t value = 0;
    auto [end, status] = std::from_chars(size.data(), size.data() + size.size(), value, 16);
    if (status == std::errc() && end == size.data() + size.size() && value >= 64) {
      packet_size_ = static_cast<size_t>(std::min<uint64_t>(value, kMaxPacketSize));
    }
  }
  // The largest reply we accept: twice PacketSize, as a margin for stubs that count it
  // differently, and never less than kMinReplyLimit.
  max_reply_ = std::max(packet_size_ * 2 + kPacketOverhead, kMinReplyLimit);
  max_read_size_ = (packet_size_ - kPacketOverhead) / 2;
  if (options_.max_read_size != 0)
    max_read_size_ = std::min(max_read_size_, options_.max_read_size);
  max_read_size_ = std::max<size_t>(max_read_size_, 1);

  Feature(reply, "qXfer:auxv:read", &present);
  supports_auxv_ = present;

  Feature(reply, "QStartNoAckMode", &present);
  if (present) {
    if (!Transact("QStartNoAckMode", &reply)) {
      *error = broken_;
      return false;
    }
    no_ack_mode_ = reply == "OK";
  }
  if (!Transact("?", &stop_reply_)) {
    *error = broken_;
    return false;
  }
  if (stop_reply_.empty()) {
    *error = fmt::format("{}: empty reply to '?' (no stop state)", name_);
    return false;
  }
  return true;
}

bool GdbRemoteSource::SendRaw(std::string_view bytes) {
  if (fd_ < 0) return false;
  Clock::time_point deadline = Clock::now() + options_.packet_timeout;
  while (!bytes.empty()) {
    ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd waiter = {fd_, POLLOUT, 0};
      if (poll(&waiter, 1, static_cast<int>(MillisecondsLeft(deadline))) == 0) {
        Fail(fmt::format("stub did not take our packet within {} ms",
                         options_.packet_timeout.count()));
        return false;
      }
      continue;
    }
    Fail(fmt::format("sending failed: {}", strerror(errno)));
    return false;
  }
  return true;
}

bool GdbRemoteSource::SendPacket(std::string_view payload) {
  if (!IsReadOnlyRequest(payload)) {
    // Unreachable from the public interface; kept as the one gate every packet passes through.
    Fail(fmt::format("refused to send '{}': not a read-only request", payload.substr(0, 16)));
    return false;
  }
  if (options_.on_packet_sent) options_.on_packet_sent(payload);
  return SendRaw(rsp::Frame(payload));
}

bool GdbRemoteSource::Receive(std::chrono::steady_clock::time_point deadline, Incoming* kind,
                              std::string* payload) {
  // Checked before anything else, so that a stub flooding acks cannot keep us here.
  if (Clock::now() >= deadline) {
    Fail(fmt::format("stub sent no reply within {} ms", options_.packet_timeout.count()));
    return false;
  }
  for (;;) {
    if (fd_ < 0) return false;
    rsp::ScanResult scan = rsp::ScanReply(received_, max_reply_);
    if (scan.status != rsp::ScanStatus::kNeedMore) {
      received_.erase(0, scan.consumed);
      switch (scan.status) {
        case rsp::ScanStatus::kAck:
          *kind = Incoming::kAck;
          return true;
        case rsp::ScanStatus::kNack:
          *kind = Incoming::kNack;
          return true;
        case rsp::ScanStatus::kPacket:
          *kind = Incoming::kPacket;
          *payload = std::move(scan.payload);
          return true;
        case rsp::ScanStatus::kBadChecksum:
          *kind = Incoming::kBadChecksum;
          *payload = std::move(scan.error);
          return true;
        default:
          Fail(scan.error);
          return false;
      }
    }
    pollfd waiter = {fd_, POLLIN, 0};
    int ready = poll(&waiter, 1, static_cast<int>(MillisecondsLeft(deadline)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      Fail(fmt::format("waiting for the stub failed: {}", strerror(errno)));
      return false;
    }
    if (ready == 0) {
      Fail(received_.empty()
               ? fmt::format("stub did not answer within {} ms", options_.packet_timeout.count())
               : fmt::format("stub stopped in the middle of a reply ({} bytes received) for {} ms",
                             received_.size(), options_.packet_timeout.count()));
      return false;
    }
    char buffer[16384];
    ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (got < 0) {
      Fail(fmt::format("receiving failed: {}", strerror(errno)));
      return false;
    }
    if (got == 0) {
      Fail(received_.empty() ? std::string("stub closed the connection")
                             : fmt::format("stub closed the connection in the middle of a reply "
                                           "({} bytes received)",
                                           received_.size()));
      return false;
    }
    received_.append(buffer, static_cast<size_t>(got));
  }
}

bool GdbRemoteSource::Transact(std::string_view request, std::string* reply) {
  if (!broken_.empty()) return false;
  if (!SendPacket(request)) return false;
  int retransmissions = 0;
  bool acked = no_ack_mode_;
  // One deadline for the reply; a retransmission, at most kMaxRetransmissions, starts another.
  Clock::time_point deadline = Clock::now() + options_.packet_timeout;
  for (;;) {
    Incoming kind;
    std::string payload;
    if (!Receive(deadline, &kind, &payload)) return false;
    switch (kind) {
      case Incoming::kAck:
        acked = true;
        break;
      case Incoming::kNack:
        // In no-ack mode a '-' means nothing; in ack mode, before the reply, it asks for our
        // packet again.
        if (!no_ack_mode_ && !acked) {
          if (++retransmissions > kMaxRetransmissions) {
            Fail(
                fmt::format("stub rejected '{}' {} times", request.substr(0, 24), retransmissions));
            return false;
          }
          if (!SendPacket(request)) return false;
          deadline = Clock::now() + options_.packet_timeout;
        }
        break;
      case Incoming::kBadChecksum:
        if (no_ack_mode_ || ++retransmissions > kMaxRetransmissions) {
          Fail(fmt::format("{} (reply to '{}')", payload, request.substr(0, 24)));
          return false;
        }
        if (!SendRaw("-")) return false;
        deadline = Clock::now() + options_.packet_timeout;
        break;
      case Incoming::kPacket:
        if (!no_ack_mode_ && !SendRaw("+")) return false;
        if (!acked) {
          // In ack mode a stub acks a request before it replies, so this packet was sent
          // before it read ours: QEMU sends a stop reply ("T02thread:01;") to a client that
          // attaches to a running machine, before anything is asked. Not the reply; but the
          // machine ran before we came, so it runs again when we leave.
          if (payload.starts_with('T') || payload.starts_with('S')) {
            stopped_by_attach_ = true;
          }
          break;
        }
        *reply = std::move(payload);
        return true;
    }
  }
}

size_t GdbRemoteSource::ReadRange(uint64_t address, uint8_t* out, size_t size, std::string* error) {
  size_t done = 0;
  std::string reply;
  while (done < size) {
    uint64_t at = address + done;
    if (at < address) {
      *error = fmt::format("0x{:x}: beyond the end of the address space", at);
      return done;
    }
    // Never ask across the top of the address space.
    size_t chunk = std::min(size - done, max_read_size_);
    if (at + chunk - 1 < at) chunk = static_cast<size_t>(0 - at);
    if (!broken_.empty()) {
      *error = fmt::format("0x{:x}: {}", at, broken_);
      return done;
    }
    ++target_reads_;
    if (!Transact(fmt::format("m{:x},{:x}", at, chunk), &reply)) {
      *error = fmt::format("0x{:x}: {}", at, broken_);
      return done;
    }
    std::string code;
    if (rsp::ParseErrorReply(reply, &code)) {
      // gdbserver fails a whole request that runs into an unmapped page. Ask again up to the
      // next page boundary (4 KiB, the smallest page size of the targets we read), so the
      // readable prefix is kept; within one page, the error stands.
      uint64_t page_end = (at | (kPageSize - 1)) + 1;
      if (page_end > at && page_end - at < chunk) {
        chunk = static_cast<size_t>(page_end - at);
        ++target_reads_;
        if (!Transact(fmt::format("m{:x},{:x}", at, chunk), &reply)) {
          *error = fmt::format("0x{:x}: {}", at, broken_);
          return done;
        }
      }
    }
    if (rsp::ParseErrorReply(reply, &code)) {
      *error = fmt::format("0x{:x}: {} could not read memory (error {})", at, name_, code);
      return done;
    }
    if (reply.empty()) {
      *error = fmt::format("0x{:x}: {} does not support reading memory ('m')", at, name_);
      return done;
    }
    std::string hex_error;
    if (reply.size() > chunk * 2) {
      *error =
          fmt::format("0x{:x}: {} sent {} hex digits for {} bytes", at, name_, reply.size(), chunk);
      return done;
    }
    if (!rsp::DecodeHex(reply, out + done, &hex_error)) {
      *error = fmt::format("0x{:x}: {} sent a malformed memory reply: {}", at, name_, hex_error);
      return done;
    }
    // A short reply is the readable prefix; the next request starts where it ended, and the
    // stub answers it with an error if that is where readable memory ends.
    done += reply.size() / 2;
  }
  return done;
}

std::optional<std::string> GdbRemoteSource::ReadAuxv(std::string* error) {
  if (!broken_.empty()) {
    *error = broken_;
    return std::nullopt;
  }
  if (!supports_auxv_) {
    *error = fmt::format(
        "{} does not offer the auxiliary vector (no qXfer:auxv:read+ in its "
        "qSupported reply)",
        name_);
    return std::nullopt;
  }
  // Binary replies are escaped, and a stub trims the data to what fits its packet after
  // escaping; asking for the packet size (less framing) lets it send as much as it can.
  const size_t chunk = std::max<size_t>(packet_size_ - kPacketOverhead, 1);
  std::string auxv;
  std::string reply;
  for (;;) {
    ++target_reads_;
    if (!Transact(fmt::format("{}{:x},{:x}", kAuxvRead, auxv.size(), chunk), &reply)) {
      *error = broken_;
      return std::nullopt;
    }
    std::string code;
    if (reply.empty()) {
      *error =
          fmt::format("{} gave an empty reply to qXfer:auxv:read (not supported after all)", name_);
      return std::nullopt;
    }
    if (rsp::ParseErrorReply(reply, &code)) {
      *error = fmt::format("{} could not read the auxiliary vector at offset {} (error {})", name_,
                           auxv.size(), code);
      return std::nullopt;
    }
    if (reply[0] != 'm' && reply[0] != 'l') {
      *error = fmt::format(
          "{} sent a reply to qXfer:auxv:read that starts with neither 'm' nor "
          "'l' ({} bytes)",
          name_, reply.size());
      return std::nullopt;
    }
    std::string data, escape_error;
    if (!rsp::UnescapeBinary(std::string_view(reply).substr(1), &data, &escape_error)) {
      *error =
          fmt::format("{}: auxiliary vector at offset {}: {}", name_, auxv.size(), escape_error);
      return std::nullopt;
    }
    if (data.size() > chunk) {
      *error = fmt::format("{} sent {} bytes of the auxiliary vector where {} were asked for",
                           name_, data.size(), chunk);
      return std::nullopt;
    }
    if (data.size() > kMaxAuxvSize - auxv.size()) {
      *error =
          fmt::format("{} sent an auxiliary vector of more than {} bytes", name_, kMaxAuxvSize);
      return std::nullopt;
    }
    auxv += data;
    if (reply[0] == 'l') return auxv;
    // 'm' says there is more; one that brings nothing would have us ask forever.
    if (data.empty()) {
      *error = fmt::format(
          "{} sent an empty auxiliary vector chunk at offset {} that does not "
          "end it",
          name_, auxv.size());
      return std::nullopt;
    }
  }
}

ReadResult GdbRemoteSource::Read(uint64_t address, void* buffer, size_t size) {
  ReadResult result;
  uint8_t* out = static_cast<uint8_t*>(buffer);
  result.bytes = ReadRange(address, out, size, &result.error);
  if (result.bytes < size) {
    memset(out + result.bytes, 0, size - result.bytes);
    if (result.error.empty()) result.error = fmt::format("0x{:x}: short read", address);
  }
  bytes_read_ += result.bytes;
  return result;
}

std::vector<ReadResult> GdbRemoteSource::ReadMany(const std::vector<ReadRequest>& requests) {
  std::vector<ReadResult> results(requests.size());
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].address < requests[b].address; });
  // A block is kept to a size a few packets carry, so one bad gap costs little.
  const size_t max_block = std::max<size_t>(max_read_size_ * 8, 4096);
  std::vector<uint8_t> block;
  size_t first = 0;
  while (first < order.size()) {
    const ReadRequest& head = requests[order[first]];
    uint64_t start = head.address;
    uint64_t end = start + head.size;
    if (end < start) end = UINT64_MAX;
    size_t last = first + 1;
    while (last < order.size()) {
      const ReadRequest& next = requests[order[last]];
      uint64_t next_end = next.address + next.size;
      if (next_end < next.address || next.address - start > max_block ||
          next.address > end + options_.coalesce_gap || next_end - start > max_block) {
        break;
      }
      end = std::max(end, next_end);
      ++last;
    }
    if (last - first == 1) {
      results[order[first]] = Read(head.address, head.buffer, head.size);
      first = last;
      continue;
    }
    block.assign(end - start, 0);
    std::string block_error;
    size_t got = ReadRange(start, block.data(), block.size(), &block_error);
    for (size_t i = first; i < last; ++i) {
      const ReadRequest& request = requests[order[i]];
      uint64_t offset = request.address - start;
      if (offset + request.size <= got) {
        if (request.size != 0) memcpy(request.buffer, block.data() + offset, request.size);
        results[order[i]].bytes = request.size;
        bytes_read_ += request.size;
      } else {
        // Read alone, so the error names this request's own address and its readable prefix
        // is kept; on a broken connection this fails at once.
        results[order[i]] = Read(request.address, request.buffer, request.size);
      }
    }
    first = last;
  }
  return results;
}

}  // namespace vmpl::inspect
