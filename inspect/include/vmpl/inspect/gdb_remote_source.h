// vmpl::inspect::GdbRemoteSource: memory behind a GDB remote stub (gdbserver attached to a
// process, QEMU's stub in front of a kernel), read over TCP with the GDB Remote Serial Protocol.
//
// Read-only by construction: the only packets this client ever sends are qSupported,
// QStartNoAckMode, '?', 'm addr,len', 'qXfer:auxv:read::offset,len' and one 'D' (SendPacket
// refuses anything else), so inspecting a target cannot change its memory, registers or
// breakpoints. The target is left in the run state it was found in: QEMU stops a running machine
// when a client attaches, says so with a stop reply before anything is asked, and keeps it
// stopped after the client hangs up; so when the connection began with such a reply, closing it
// sends 'D' (detach), and the machine runs again. Otherwise closing just hangs up (gdbserver
// keeps its process stopped for the next client; a QEMU started with -S stays at reset).
//
// A stub is untrusted: every wait has a deadline (connect timeout, per-packet timeout), every
// reply is bounded by the negotiated packet size, and a stub that hangs up, sends garbage or bad
// checksums, or stops answering gives a clear error. After such an error the byte stream can no
// longer be trusted to be in step, so the connection is closed and every later read fails at
// once with the same message.

#ifndef VMPL_INSPECT_GDB_REMOTE_SOURCE_H_
#define VMPL_INSPECT_GDB_REMOTE_SOURCE_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/inspect/memory_source.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmpl::inspect {

struct GdbRemoteOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // How long to wait for each ack or reply packet.
  std::chrono::milliseconds packet_timeout{5000};
  // Upper bound of one 'm' read in bytes, below what the stub's PacketSize allows; 0: as large
  // as the stub allows.
  size_t max_read_size = 0;
  // ReadMany reads requests separated by at most this many bytes as one block: reading a small
  // gap costs less than a round trip to the stub.
  size_t coalesce_gap = 512;
  // Called with the payload of every packet sent, before it is sent (tests, protocol logs).
  std::function<void(std::string_view)> on_packet_sent;
};

class GdbRemoteSource : public MemorySource {
 public:
  // Connects to "host:port" ("[v6addr]:port" for IPv6), negotiates features and learns the stop
  // state. Null and |error| set if any of that fails.
  static std::unique_ptr<GdbRemoteSource> Connect(const std::string& host_port, std::string* error,
                                                  const GdbRemoteOptions& options = {});
  ~GdbRemoteSource() override;

  GdbRemoteSource(const GdbRemoteSource&) = delete;
  GdbRemoteSource& operator=(const GdbRemoteSource&) = delete;

  ReadResult Read(uint64_t address, void* buffer, size_t size) override;
  // Coalesces requests that are adjacent or close (coalesce_gap) into large 'm' reads; a request
  // its block could not fully cover is read again on its own, so the error names its address.
  std::vector<ReadResult> ReadMany(const std::vector<ReadRequest>& requests) override;
  std::string Describe() const override;

  // The target's auxiliary vector: for a process under gdbserver, what /proc/PID/auxv holds
  // (AT_ENTRY, AT_PHDR, ...: where the kernel loaded the program, so the load bias of a PIE; see
  // LoadBiasFromAuxv in elf_symbols.h). Read with qXfer:auxv:read in chunks the packet size
  // carries, at most 16 KiB in all. Nullopt and |error| if the stub did not announce
  // qXfer:auxv:read+ (QEMU's system stub has no process and does not), answers with an error or
  // a malformed reply, or sends too much. A malformed reply leaves the connection usable; a
  // broken connection (broken()) fails this as it fails reads.
  std::optional<std::string> ReadAuxv(std::string* error);

  // What the stub said about itself: PacketSize (bytes), whether acks are off, the reply to '?'
  // ("T05thread:..." or "S05": why the target is stopped), and the largest 'm' read used.
  size_t packet_size() const { return packet_size_; }
  bool no_ack_mode() const { return no_ack_mode_; }
  const std::string& stop_reply() const { return stop_reply_; }
  size_t max_read_size() const { return max_read_size_; }
  // Whether qSupported announced qXfer:auxv:read+.
  bool supports_auxv() const { return supports_auxv_; }
  // Whether connecting stopped a running target (and closing will let it run).
  bool stopped_by_attach() const { return stopped_by_attach_; }
  // Why the connection was given up, or empty while it is usable.
  const std::string& broken() const { return broken_; }

 private:
  GdbRemoteSource(int fd, std::string name, const GdbRemoteOptions& options);

  bool Handshake(std::string* error);
  // Sends |request| and returns the stub's reply payload; on failure closes the connection and
  // sets broken_.
  bool Transact(std::string_view request, std::string* reply);
  bool SendPacket(std::string_view payload);
  bool SendRaw(std::string_view bytes);
  enum class Incoming { kAck, kNack, kPacket, kBadChecksum };
  // Waits until |deadline| for the next ack or packet (payload in |payload|); false (broken_
  // set) on timeout, hang-up or garbage.
  bool Receive(std::chrono::steady_clock::time_point deadline, Incoming* kind,
               std::string* payload);
  void Fail(std::string message);
  // Reads up to |size| bytes with 'm' packets into |out|; returns the prefix length read and, if
  // short, sets |error|. Neither zero-fills nor counts bytes_read_.
  size_t ReadRange(uint64_t address, uint8_t* out, size_t size, std::string* error);

  int fd_;
  std::string name_;
  GdbRemoteOptions options_;
  std::string received_;  // bytes received and not yet consumed
  std::string broken_;
  size_t packet_size_ = 0;
  size_t max_read_size_ = 0;
  size_t max_reply_ = 0;
  bool no_ack_mode_ = false;
  bool supports_auxv_ = false;
  bool stopped_by_attach_ = false;
  std::string stop_reply_;
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_GDB_REMOTE_SOURCE_H_
