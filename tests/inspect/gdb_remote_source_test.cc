// Tests of GdbRemoteSource: the packet codec on its own; a read-only client against a real
// gdbserver attached to a forked child whose memory we know; and against stubs run in a thread
// of the test that misbehave on purpose (hang up mid-packet, bad checksum, silence, garbage).
// The auxiliary vector (qXfer:auxv:read) and LoadBiasFromAuxv: against the test stubs, on
// hand-made vectors and ELF headers, and through gdbserver, where the bias it gives must place
// a global of this PIE test program (inherited by the forked child) at its real address.
// Also prints the throughput of reads through gdbserver (no assertion on it).

#include <elf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vmpl/inspect/elf_symbols.h>
#include <vmpl/inspect/gdb_remote_source.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rsp_packet.h"

// A global of this PIE whose running address the auxv test finds from its symbol and the load
// bias; external and C-named so that .symtab has it under this name.
extern "C" {
[[gnu::used]] volatile uint64_t vmpl_gdb_remote_test_global = 0x21'4c'50'4d'56'58'55'41;
}

namespace vmpl::inspect {
namespace {

using std::chrono::milliseconds;

// Every request a read-only client may send (see gdb_remote_source.h).
bool IsReadOnly(const std::string& payload) {
  static const std::regex allowed(R"(qSupported(:.*)?|QStartNoAckMode|\?|m[0-9a-f]+,[0-9a-f]+|)"
                                  R"(qXfer:auxv:read::[0-9a-f]+,[0-9a-f]+)");
  return std::regex_match(payload, allowed);
}

// ---- The codec -------------------------------------------------------------------------------

TEST(RspPacketTest, FrameEscapesAndSums) {
  EXPECT_EQ(rsp::Frame("m1000,4"), "$m1000,4#" + fmt::format("{:02x}", rsp::Checksum("m1000,4")));
  const std::string escaped = std::string("a}") + char{0x04} + "b";  // 0x04 is '$' ^ 0x20
  EXPECT_EQ(rsp::Frame("a$b"), "$" + escaped + fmt::format("#{:02x}", rsp::Checksum(escaped)));
  EXPECT_EQ(rsp::Checksum("OK"), 0x9a);
}

TEST(RspPacketTest, ScansAcksPacketsAndPrefixes) {
  rsp::ScanResult scan = rsp::ScanReply("+$OK#9a", 100);
  EXPECT_EQ(scan.status, rsp::ScanStatus::kAck);
  EXPECT_EQ(scan.consumed, 1u);
  scan = rsp::ScanReply("$OK#9a-", 100);
  EXPECT_EQ(scan.status, rsp::ScanStatus::kPacket);
  EXPECT_EQ(scan.payload, "OK");
  EXPECT_EQ(scan.consumed, 6u);
  EXPECT_EQ(rsp::ScanReply("$OK#9", 100).status, rsp::ScanStatus::kNeedMore);
  EXPECT_EQ(rsp::ScanReply("$OK", 100).status, rsp::ScanStatus::kNeedMore);
  EXPECT_EQ(rsp::ScanReply("-", 100).status, rsp::ScanStatus::kNack);
}

TEST(RspPacketTest, RejectsBadChecksumGarbageAndOversize) {
  rsp::ScanResult scan = rsp::ScanReply("$OK#00", 100);
  EXPECT_EQ(scan.status, rsp::ScanStatus::kBadChecksum);
  EXPECT_NE(scan.error.find("bad checksum (says 00, is 9a)"), std::string::npos) << scan.error;
  scan = rsp::ScanReply("$OK#zz", 100);
  EXPECT_EQ(scan.status, rsp::ScanStatus::kBadChecksum);
  scan = rsp::ScanReply("hello", 100);
  EXPECT_EQ(scan.status, rsp::ScanStatus::kError);
  EXPECT_NE(scan.error.find("stub sent 'h'"), std::string::npos) << scan.error;
  scan = rsp::ScanReply("$" + std::string(20, '0'), 10);
  EXPECT_EQ(scan.status, rsp::ScanStatus::kError);
  EXPECT_NE(scan.error.find("longer than 10"), std::string::npos) << scan.error;
}

TEST(RspPacketTest, ExpandsRunLength) {
  std::string out, error;
  ASSERT_TRUE(rsp::ExpandRunLength("0* ", 100, &out, &error)) << error;
  EXPECT_EQ(out, "0000");
  ASSERT_TRUE(rsp::ExpandRunLength("ab*\"c", 100, &out, &error)) << error;
  EXPECT_EQ(out, "abbbbbbc");
  EXPECT_FALSE(rsp::ExpandRunLength("*  ", 100, &out, &error));
  EXPECT_NE(error.find("nothing to repeat"), std::string::npos);
  EXPECT_FALSE(rsp::ExpandRunLength("0*", 100, &out, &error));
  EXPECT_FALSE(rsp::ExpandRunLength("0*\x01", 100, &out, &error));
  EXPECT_NE(error.find("invalid run-length count 0x01"), std::string::npos) << error;
  EXPECT_FALSE(rsp::ExpandRunLength("0*~0*~", 150, &out, &error));
  EXPECT_NE(error.find("expands beyond 150"), std::string::npos) << error;
  // Through the framing: the checksum covers the encoded form.
  std::string raw = "00*}ff";
  rsp::ScanResult scan = rsp::ScanReply(fmt::format("${}#{:02x}", raw, rsp::Checksum(raw)), 1000);
  ASSERT_EQ(scan.status, rsp::ScanStatus::kPacket) << scan.error;
  EXPECT_EQ(scan.payload, std::string(98, '0') + "ff");
}

TEST(RspPacketTest, DecodesHexAndErrors) {
  uint8_t bytes[3];
  std::string error, code;
  ASSERT_TRUE(rsp::DecodeHex("00aBff", bytes, &error));
  EXPECT_EQ(bytes[1], 0xab);
  EXPECT_EQ(bytes[2], 0xff);
  EXPECT_FALSE(rsp::DecodeHex("0a0", bytes, &error));
  EXPECT_FALSE(rsp::DecodeHex("0g", bytes, &error));
  EXPECT_NE(error.find("'g' at offset 1"), std::string::npos) << error;
  EXPECT_TRUE(rsp::ParseErrorReply("E14", &code));
  EXPECT_EQ(code, "14");
  EXPECT_TRUE(rsp::ParseErrorReply("E.no access", &code));
  EXPECT_EQ(code, "no access");
  EXPECT_FALSE(rsp::ParseErrorReply("E1", &code));
  EXPECT_FALSE(rsp::ParseErrorReply("e0ff", &code));
}

TEST(RspPacketTest, UnescapesBinary) {
  std::string out, error;
  ASSERT_TRUE(rsp::UnescapeBinary(std::string("a}\x03"
                                              "b}]}\x04}\x0a"),
                                  &out, &error))
      << error;
  EXPECT_EQ(out, "a#b}$*");
  EXPECT_FALSE(rsp::UnescapeBinary("ab}", &out, &error));
  EXPECT_NE(error.find("no byte after it at offset 2"), std::string::npos) << error;
  // Run-length encoding is undone before the escapes: "}]*!" is "}]" and four more ']', so '}'
  // then ']' four times.
  std::string raw = "m}]*!";
  rsp::ScanResult scan = rsp::ScanReply(fmt::format("${}#{:02x}", raw, rsp::Checksum(raw)), 100);
  ASSERT_EQ(scan.status, rsp::ScanStatus::kPacket) << scan.error;
  ASSERT_TRUE(rsp::UnescapeBinary(std::string_view(scan.payload).substr(1), &out, &error));
  EXPECT_EQ(out, "}]]]]");
}

// ---- Stubs that run in the test --------------------------------------------------------------

// A one-connection GDB stub on 127.0.0.1 in a thread. It serves |memory| at |base| in replies to
// 'm' (runs written with run-length encoding, "E14" outside) unless |on_read| takes the request;
// on_read returns false to end the session (hang up).
class TestStub {
 public:
  struct Script {
    bool offer_no_ack = true;
    std::string packet_size = "200";
    bool answer_handshake = true;
    uint64_t base = 0x10000;
    std::vector<uint8_t> memory;
    std::function<bool(TestStub&, const std::string&)> on_read;
    // When set, qSupported announces qXfer:auxv:read+ and reads are served from it, escaped and
    // trimmed to the requested length, unless on_auxv answers (its reply payload, unescaped).
    std::optional<std::string> auxv;
    std::function<std::string(uint64_t offset, uint64_t length)> on_auxv;
    // A packet sent as soon as a client connects, before it asks anything (QEMU's stop reply to
    // a client attaching to a running machine).
    std::string on_connect;
  };

  explicit TestStub(Script script) : script_(std::move(script)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(listener_, 1), 0);
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~TestStub() {
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
  }

  std::string address() const { return fmt::format("127.0.0.1:{}", port_); }
  std::vector<std::string> received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

  // False once the client has hung up.
  bool SendRaw(const std::string& bytes) {
    return fd_ >= 0 && send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                           static_cast<ssize_t>(bytes.size());
  }
  void SendPacket(const std::string& payload) {
    SendRaw(fmt::format("${}#{:02x}", payload, rsp::Checksum(payload)));
  }
  // The next byte from the client, or -1 when it hung up.
  int ReadByte() {
    char c;
    return recv(fd_, &c, 1, 0) == 1 ? static_cast<unsigned char>(c) : -1;
  }

 private:
  // The next packet's payload (acks skipped); false when the client hung up.
  bool ReadPacket(std::string* payload) {
    int c;
    do {
      c = ReadByte();
    } while (c >= 0 && c != '$');
    payload->clear();
    while ((c = ReadByte()) >= 0 && c != '#') payload->push_back(static_cast<char>(c));
    return c == '#' && ReadByte() >= 0 && ReadByte() >= 0;
  }

  std::string MemoryReply(uint64_t address, size_t size) {
    const std::vector<uint8_t>& memory = script_.memory;
    if (address < script_.base || address >= script_.base + memory.size()) return "E14";
    size_t offset = address - script_.base;
    size = std::min(size, memory.size() - offset);
    std::string hex;
    for (size_t i = 0; i < size; ++i) hex += fmt::format("{:02x}", memory[offset + i]);
    // Run-length encode runs of one character, as gdbserver does.
    std::string encoded;
    for (size_t i = 0; i < hex.size();) {
      size_t run = 1;
      while (i + run < hex.size() && hex[i + run] == hex[i] && run < 97) ++run;
      if (run >= 4 && run - 1 + 29 != '#' && run - 1 + 29 != '$') {
        encoded += fmt::format("{}*{}", hex[i], static_cast<char>(run - 1 + 29));
      } else {
        run = 1;
        encoded += hex[i];
      }
      i += run;
    }
    return encoded;
  }

  // 'm' and the next |length| bytes at |offset|, or 'l' and the rest, escaped as binary data.
  std::string AuxvReply(uint64_t offset, uint64_t length) {
    const std::string& auxv = *script_.auxv;
    std::string_view rest = offset < auxv.size() ? std::string_view(auxv).substr(offset) : "";
    std::string reply = rest.size() > length ? "m" : "l";
    for (char c : rest.substr(0, length)) {
      if (c == '$' || c == '#' || c == '}' || c == '*') {
        reply += '}';
        c = static_cast<char>(c ^ 0x20);
      }
      reply += c;
    }
    return reply;
  }

  void Serve() {
    fd_ = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd_ < 0) return;
    if (!script_.on_connect.empty()) SendPacket(script_.on_connect);
    bool ack_mode = true;
    std::string request;
    while (ReadPacket(&request)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        received_.push_back(request);
      }
      if (ack_mode) SendRaw("+");
      if (!script_.answer_handshake) continue;
      if (request.starts_with("qSupported")) {
        SendPacket(fmt::format("PacketSize={};qXfer:features:read+{}{}", script_.packet_size,
                               script_.auxv ? ";qXfer:auxv:read+" : "",
                               script_.offer_no_ack ? ";QStartNoAckMode+" : ""));
      } else if (request == "QStartNoAckMode") {
        SendPacket("OK");
        ack_mode = false;
      } else if (request == "?") {
        SendPacket("S05");
      } else if (request.starts_with("qXfer:auxv:read::") && script_.auxv) {
        unsigned long long offset = 0, length = 0;
        sscanf(request.c_str(), "qXfer:auxv:read::%llx,%llx", &offset, &length);
        SendPacket(script_.on_auxv ? script_.on_auxv(offset, length) : AuxvReply(offset, length));
      } else if (request[0] == 'm') {
        if (script_.on_read && !script_.on_read(*this, request)) break;
        if (script_.on_read) continue;
        unsigned long long address = 0, size = 0;
        sscanf(request.c_str(), "m%llx,%llx", &address, &size);
        SendPacket(MemoryReply(address, size));
      } else {
        SendPacket("");
      }
    }
    close(fd_);
    fd_ = -1;
  }

  Script script_;
  int listener_ = -1;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

std::vector<uint8_t> Pattern(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>((i * 131) >> 3);
  // A run, so that replies use run-length encoding.
  for (size_t i = 40; i < 140 && i < size; ++i) bytes[i] = 0;
  return bytes;
}

// An auxiliary vector of (type, value) pairs, as the kernel lays it out, ended by AT_NULL.
std::string Auxv(const std::vector<std::pair<uint64_t, uint64_t>>& entries) {
  std::string bytes;
  auto put = [&](uint64_t word) { bytes.append(reinterpret_cast<const char*>(&word), 8); };
  for (auto [type, value] : entries) {
    put(type);
    put(value);
  }
  put(AT_NULL);
  put(0);
  return bytes;
}

GdbRemoteOptions ShortTimeouts() {
  GdbRemoteOptions options;
  options.connect_timeout = milliseconds(2000);
  options.packet_timeout = milliseconds(300);
  return options;
}

TEST(GdbRemoteStubTest, ReadsInAckModeAcrossPacketsWithRunLength) {
  TestStub::Script script;
  script.offer_no_ack = false;
  script.packet_size = "80";  // 128 bytes: several 'm' packets per read
  script.memory = Pattern(1000);
  TestStub stub(script);
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  ASSERT_NE(source, nullptr) << error;
  EXPECT_FALSE(source->no_ack_mode());
  EXPECT_EQ(source->packet_size(), 128u);
  EXPECT_EQ(source->stop_reply(), "S05");
  std::vector<uint8_t> buffer(900);
  ReadResult result = source->Read(0x10010, buffer.data(), buffer.size());
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.bytes, 900u);
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.end(), script.memory.begin() + 0x10));
  EXPECT_GT(source->target_reads(), 5u);
  EXPECT_EQ(source->bytes_read(), 900u);
}

// QEMU's stub, when a client attaches to a running machine, stops it and sends a stop reply
// before it has read (or acked) anything; the client must not take it for the reply to its
// first request.
TEST(GdbRemoteStubTest, StopReplySentOnAttachIsNotTakenForAReply) {
  TestStub::Script script;
  script.offer_no_ack = false;
  script.on_connect = "T02thread:01;";
  script.memory = Pattern(256);
  TestStub stub(script);
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  ASSERT_NE(source, nullptr) << error;
  EXPECT_EQ(source->packet_size(), 0x200u);
  EXPECT_EQ(source->stop_reply(), "S05");
  EXPECT_TRUE(source->stopped_by_attach());
  uint8_t buffer[64];
  ReadResult result = source->Read(0x10000, buffer, sizeof(buffer));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_TRUE(std::equal(buffer, buffer + sizeof(buffer), script.memory.begin()));
  // The attach stopped a running machine: leaving detaches, so it runs again.
  source.reset();
  const std::vector<std::string> received = stub.received();
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(received.back(), "D");
}

TEST(GdbRemoteStubTest, UnreadableMemoryGivesPrefixAndAddress) {
  TestStub::Script script;
  script.memory = Pattern(100);
  TestStub stub(script);
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  ASSERT_NE(source, nullptr) << error;
  EXPECT_TRUE(source->no_ack_mode());
  std::vector<uint8_t> buffer(100, 0xee);
  ReadResult result = source->Read(0x10000 + 50, buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 50u);
  EXPECT_NE(result.error.find("0x10064: gdb stub 127.0.0.1:"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("could not read memory (error 14)"), std::string::npos)
      << result.error;
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.begin() + 50, script.memory.begin() + 50));
  EXPECT_EQ(buffer[50], 0);
  EXPECT_EQ(buffer[99], 0);
  // The connection survives an unreadable address.
  result = source->Read(0x10000, buffer.data(), 10);
  EXPECT_TRUE(result.ok()) << result.error;
}

TEST(GdbRemoteStubTest, ReadManyCoalescesAdjacentNodes) {
  TestStub::Script script;
  script.memory = Pattern(176 * 40);
  TestStub stub(script);
  std::string error;
  GdbRemoteOptions options = ShortTimeouts();
  auto source = GdbRemoteSource::Connect(stub.address(), &error, options);
  ASSERT_NE(source, nullptr) << error;
  // 40 nodes, listed out of order, one more outside the stub's memory.
  std::vector<std::vector<uint8_t>> nodes(41, std::vector<uint8_t>(176, 0xee));
  std::vector<ReadRequest> requests;
  for (size_t i = 0; i < 40; ++i) {
    size_t index = (i * 7) % 40;
    requests.push_back({0x10000 + index * 176, nodes[i].data(), 176});
  }
  requests.push_back({0x90000, nodes[40].data(), 176});
  uint64_t reads_before = source->target_reads();
  std::vector<ReadResult> results = source->ReadMany(requests);
  ASSERT_EQ(results.size(), 41u);
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].error;
    size_t index = (i * 7) % 40;
    EXPECT_TRUE(std::equal(nodes[i].begin(), nodes[i].end(), script.memory.begin() + index * 176))
        << i;
  }
  EXPECT_EQ(results[40].bytes, 0u);
  EXPECT_NE(results[40].error.find("0x90000:"), std::string::npos) << results[40].error;
  EXPECT_EQ(nodes[40][0], 0);
  // 7040 bytes at the stub's 0x200-byte packets (about 240 bytes a read): far fewer than 41.
  EXPECT_LT(source->target_reads() - reads_before, 41u);
}

TEST(GdbRemoteStubTest, AsksAgainOnBadChecksumInAckMode) {
  TestStub::Script script;
  script.offer_no_ack = false;
  script.on_read = [](TestStub& stub, const std::string&) {
    stub.SendRaw("$0102#00");
    if (stub.ReadByte() != '-') return false;
    stub.SendPacket("0102");
    return true;
  };
  TestStub stub(script);
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  ASSERT_NE(source, nullptr) << error;
  uint8_t buffer[2];
  ReadResult result = source->Read(0x10000, buffer, 2);
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(buffer[1], 2);
}

// Connects to a stub whose reads misbehave; returns the error of a read of 16 bytes at 0x10000,
// after checking that the read says so and that a second read fails at once the same way.
std::string MisbehavingReadError(std::function<bool(TestStub&, const std::string&)> on_read) {
  TestStub::Script script;
  script.on_read = std::move(on_read);
  TestStub stub(script);
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  EXPECT_NE(source, nullptr) << error;
  if (source == nullptr) return error;
  uint8_t buffer[16];
  memset(buffer, 0xee, sizeof(buffer));
  ReadResult result = source->Read(0x10000, buffer, sizeof(buffer));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(buffer[0], 0);
  EXPECT_EQ(result.error.rfind("0x10000: gdb stub 127.0.0.1:", 0), 0u) << result.error;
  auto start = std::chrono::steady_clock::now();
  ReadResult again = source->Read(0x10000, buffer, sizeof(buffer));
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.error, result.error);
  // Not a timing assertion on speed: only that a broken source does not wait a timeout again.
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(250));
  return result.error;
}

TEST(GdbRemoteStubTest, HangUpMidPacket) {
  std::string error = MisbehavingReadError([](TestStub& stub, const std::string&) {
    stub.SendRaw("$0102");
    return false;
  });
  EXPECT_NE(error.find("stub closed the connection in the middle of a reply (5 bytes received)"),
            std::string::npos)
      << error;
}

TEST(GdbRemoteStubTest, BadChecksumInNoAckMode) {
  std::string error = MisbehavingReadError([](TestStub& stub, const std::string&) {
    stub.SendRaw("$0102#00");
    return true;
  });
  EXPECT_NE(error.find("bad checksum (says 00, is c3) (reply to 'm10000,10')"), std::string::npos)
      << error;
}

TEST(GdbRemoteStubTest, NeverAnswers) {
  std::string error = MisbehavingReadError([](TestStub&, const std::string&) { return true; });
  EXPECT_NE(error.find("stub did not answer within 300 ms"), std::string::npos) << error;
}

TEST(GdbRemoteStubTest, StopsMidPacket) {
  std::string error = MisbehavingReadError([](TestStub& stub, const std::string&) {
    stub.SendRaw("$01");
    return true;
  });
  EXPECT_NE(error.find("stub stopped in the middle of a reply (3 bytes received) for 300 ms"),
            std::string::npos)
      << error;
}

TEST(GdbRemoteStubTest, EndlessAcks) {
  std::string error = MisbehavingReadError([](TestStub& stub, const std::string&) {
    // Acks (ignored in no-ack mode) until the client gives up and hangs up.
    for (int i = 0; i < 5000 && stub.SendRaw(std::string(64, '+')); ++i) usleep(1000);
    return true;
  });
  // "sent no reply" or "did not answer", depending on whether acks were waiting at the deadline.
  EXPECT_NE(error.find(" within 300 ms"), std::string::npos) << error;
}

TEST(GdbRemoteStubTest, Garbage) {
  std::string error = MisbehavingReadError([](TestStub& stub, const std::string&) {
    stub.SendRaw("hello\x01");
    return true;
  });
  EXPECT_NE(error.find("stub sent 'h' where a packet ('$') or an ack was expected"),
            std::string::npos)
      << error;
}

TEST(GdbRemoteStubTest, EndlessPacketIsBounded) {
  std::string error = MisbehavingReadError([](TestStub& stub, const std::string&) {
    stub.SendRaw("$" + std::string(1 << 18, '0'));
    return true;
  });
  EXPECT_NE(error.find("stub sent a packet longer than"), std::string::npos) << error;
}

TEST(GdbRemoteStubTest, MalformedHexAndOverlongReplies) {
  std::string error = MisbehavingReadError([](TestStub& stub, const std::string&) {
    stub.SendPacket("01zz");
    return true;
  });
  EXPECT_NE(error.find("malformed memory reply: 'z' at offset 2"), std::string::npos) << error;
  // Not a broken connection: the stream is in step, so only the read fails.
  TestStub::Script script;
  script.on_read = [](TestStub& stub, const std::string&) {
    stub.SendPacket(std::string(40, '0'));
    return true;
  };
  TestStub stub(script);
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  ASSERT_NE(source, nullptr) << error;
  uint8_t buffer[4];
  ReadResult result = source->Read(0x10000, buffer, 4);
  EXPECT_NE(result.error.find("sent 40 hex digits for 4 bytes"), std::string::npos) << result.error;
}

TEST(GdbRemoteStubTest, SilentStubFailsConnect) {
  TestStub::Script script;
  script.answer_handshake = false;
  TestStub stub(script);
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  EXPECT_EQ(source, nullptr);
  EXPECT_NE(error.find("stub did not answer within 300 ms"), std::string::npos) << error;
}

TEST(GdbRemoteStubTest, NothingListening) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  std::string target = fmt::format("127.0.0.1:{}", ntohs(address.sin_port));
  close(fd);  // bound, never listened: the port is closed
  std::string error;
  EXPECT_EQ(GdbRemoteSource::Connect(target, &error, ShortTimeouts()), nullptr);
  EXPECT_NE(error.find("cannot connect to gdb stub " + target), std::string::npos) << error;
  EXPECT_EQ(GdbRemoteSource::Connect("nonsense", &error), nullptr);
  EXPECT_NE(error.find("is not host:port"), std::string::npos) << error;
}

TEST(GdbRemoteStubTest, SendsOnlyReadRequests) {
  TestStub::Script script;
  script.memory = Pattern(4096);
  script.auxv = Auxv({{AT_ENTRY, 0x1000}});
  TestStub stub(script);
  std::vector<std::string> sent;
  GdbRemoteOptions options = ShortTimeouts();
  options.on_packet_sent = [&](std::string_view payload) { sent.emplace_back(payload); };
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, options);
  ASSERT_NE(source, nullptr) << error;
  std::vector<uint8_t> buffer(8192);
  source->Read(0x10000, buffer.data(), buffer.size());
  source->ReadMany({{0x10100, buffer.data(), 16}, {0x10110, buffer.data() + 16, 16}});
  EXPECT_TRUE(source->ReadAuxv(&error)) << error;
  source.reset();
  std::vector<std::string> received = stub.received();
  EXPECT_EQ(received, sent);
  ASSERT_GE(received.size(), 4u);
  for (const std::string& payload : received) EXPECT_TRUE(IsReadOnly(payload)) << payload;
}

// ---- The auxiliary vector -------------------------------------------------------------------

TEST(GdbRemoteStubTest, ReadsAuxvInChunksWithEscapes) {
  TestStub::Script script;
  script.packet_size = "80";  // 128 bytes: 96-byte chunks
  script.memory = Pattern(16);
  // Values with every byte that must be escaped ('#', '$', '}', '*'), and enough entries for
  // several chunks.
  std::vector<std::pair<uint64_t, uint64_t>> entries;
  for (uint64_t i = 0; i < 30; ++i) entries.push_back({100 + i, 0x2a7d2423'2a7d2423 + i});
  script.auxv = Auxv(entries);
  TestStub stub(script);
  std::vector<std::string> sent;
  GdbRemoteOptions options = ShortTimeouts();
  options.on_packet_sent = [&](std::string_view payload) { sent.emplace_back(payload); };
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, options);
  ASSERT_NE(source, nullptr) << error;
  EXPECT_TRUE(source->supports_auxv());
  std::optional<std::string> auxv = source->ReadAuxv(&error);
  ASSERT_TRUE(auxv) << error;
  EXPECT_EQ(*auxv, *script.auxv);
  // 496 bytes in 96-byte chunks, each asked for at the offset the last one ended.
  std::vector<std::string> auxv_requests;
  for (const std::string& payload : sent) {
    if (payload.starts_with("qXfer")) auxv_requests.push_back(payload);
  }
  ASSERT_EQ(auxv_requests.size(), 6u);
  EXPECT_EQ(auxv_requests[0], "qXfer:auxv:read::0,60");
  EXPECT_EQ(auxv_requests[5], "qXfer:auxv:read::1e0,60");
  // The connection is still good for memory.
  uint8_t byte;
  EXPECT_TRUE(source->Read(0x10000, &byte, 1).ok());
}

TEST(GdbRemoteStubTest, NoAuxvUnlessAnnounced) {
  TestStub::Script script;
  TestStub stub(script);
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  ASSERT_NE(source, nullptr) << error;
  EXPECT_FALSE(source->supports_auxv());
  EXPECT_FALSE(source->ReadAuxv(&error));
  EXPECT_NE(error.find("no qXfer:auxv:read+"), std::string::npos) << error;
  source.reset();
  for (const std::string& payload : stub.received()) EXPECT_FALSE(payload.starts_with("qXfer"));
}

// Connects to a stub whose auxv replies come from |on_auxv| and returns ReadAuxv's error, after
// checking that it failed and that memory can still be read.
std::string AuxvError(std::function<std::string(uint64_t, uint64_t)> on_auxv) {
  TestStub::Script script;
  script.memory = Pattern(16);
  script.auxv = "";
  script.on_auxv = std::move(on_auxv);
  TestStub stub(script);
  std::string error;
  auto source = GdbRemoteSource::Connect(stub.address(), &error, ShortTimeouts());
  EXPECT_NE(source, nullptr) << error;
  if (source == nullptr) return error;
  EXPECT_FALSE(source->ReadAuxv(&error));
  uint8_t byte;
  ReadResult read = source->Read(0x10000, &byte, 1);
  EXPECT_TRUE(read.ok()) << read.error;
  return error;
}

TEST(GdbRemoteStubTest, AuxvRepliesThatAreWrong) {
  EXPECT_NE(AuxvError([](uint64_t, uint64_t) {
              return std::string("E01");
            }).find("could not read the auxiliary vector at offset 0 (error 01)"),
            std::string::npos);
  EXPECT_NE(AuxvError([](uint64_t, uint64_t) {
              return std::string("x1234");
            }).find("starts with neither 'm' nor 'l'"),
            std::string::npos);
  EXPECT_NE(
      AuxvError([](uint64_t, uint64_t) { return std::string("l12}"); }).find("no byte after it"),
      std::string::npos);
  // 'm' with nothing in it would have us ask forever.
  EXPECT_NE(AuxvError([](uint64_t, uint64_t) {
              return std::string("m");
            }).find("empty auxiliary vector chunk at offset 0"),
            std::string::npos);
  // More than asked for.
  EXPECT_NE(AuxvError([](uint64_t, uint64_t length) {
              return "m" + std::string(length + 1, 'a');
            }).find("bytes of the auxiliary vector where"),
            std::string::npos);
  // A vector that never ends is cut at the bound.
  std::string error =
      AuxvError([](uint64_t, uint64_t length) { return "m" + std::string(length, 'a'); });
  EXPECT_NE(error.find("auxiliary vector of more than 16384 bytes"), std::string::npos) << error;
}

// A minimal 64-bit ELF file of |type| with entry point |entry| and, if |phdr| is set, a PT_PHDR
// segment at that link-time address (no sections, so no symbols): what LoadBiasFromAuxv needs.
std::unique_ptr<ElfSymbols> HandMadeElf(uint16_t type, uint64_t entry,
                                        std::optional<uint64_t> phdr) {
  Elf64_Ehdr header = {};
  memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = type;
  header.e_machine = EM_X86_64;
  header.e_version = EV_CURRENT;
  header.e_entry = entry;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_phentsize = sizeof(Elf64_Phdr);
  Elf64_Phdr segment = {};
  if (phdr) {
    header.e_phoff = sizeof(Elf64_Ehdr);
    header.e_phnum = 1;
    segment.p_type = PT_PHDR;
    segment.p_offset = sizeof(Elf64_Ehdr);
    segment.p_vaddr = *phdr;
    segment.p_filesz = sizeof(Elf64_Phdr);
  }
  const std::string path = ::testing::TempDir() + "vmpl_auxv_elf_" + std::to_string(getpid());
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(&header), sizeof(header));
    out.write(reinterpret_cast<const char*>(&segment), sizeof(segment));
  }
  std::string error;
  std::unique_ptr<ElfSymbols> symbols = ElfSymbols::Open(path, &error);
  EXPECT_NE(symbols, nullptr) << error;
  unlink(path.c_str());
  return symbols;
}

TEST(LoadBiasFromAuxvTest, PieBiasIsEntryMinusEntry) {
  auto pie = HandMadeElf(ET_DYN, 0x1060, 0x40);
  ASSERT_NE(pie, nullptr);
  EXPECT_TRUE(pie->is_pie());
  EXPECT_EQ(pie->entry(), 0x1060u);
  EXPECT_EQ(pie->phdr_address(), 0x40u);
  constexpr uint64_t kBias = 0x5555'5555'4000;
  std::string error;
  EXPECT_EQ(LoadBiasFromAuxv(
                Auxv({{AT_PAGESZ, 4096}, {AT_PHDR, kBias + 0x40}, {AT_ENTRY, kBias + 0x1060}}),
                *pie, &error),
            kBias)
      << error;
  // Without AT_PHDR there is nothing to cross-check; entries after AT_NULL and a trailing
  // partial entry are not read.
  std::string auxv = Auxv({{AT_ENTRY, kBias + 0x1060}}) + Auxv({{AT_ENTRY, 0x1060}}) + "abc";
  EXPECT_EQ(LoadBiasFromAuxv(auxv, *pie, &error), kBias) << error;
  // A program headers address the file does not know is not checked either.
  auto no_phdr = HandMadeElf(ET_DYN, 0x1060, std::nullopt);
  ASSERT_NE(no_phdr, nullptr);
  EXPECT_FALSE(no_phdr->phdr_address());
  EXPECT_EQ(LoadBiasFromAuxv(Auxv({{AT_PHDR, 0x1234}, {AT_ENTRY, kBias + 0x1060}}), *no_phdr),
            kBias);
}

TEST(LoadBiasFromAuxvTest, VectorsOfAnotherProgramOrWithoutEntry) {
  auto pie = HandMadeElf(ET_DYN, 0x1060, 0x40);
  ASSERT_NE(pie, nullptr);
  constexpr uint64_t kBias = 0x7f00'0000'0000;
  std::string error;
  EXPECT_FALSE(LoadBiasFromAuxv(Auxv({{AT_PHDR, kBias + 0x40}}), *pie, &error));
  EXPECT_NE(error.find("has no AT_ENTRY"), std::string::npos) << error;
  EXPECT_FALSE(LoadBiasFromAuxv("", *pie, &error));
  EXPECT_FALSE(LoadBiasFromAuxv(Auxv({{AT_ENTRY, kBias + 0x1234}}), *pie, &error));
  EXPECT_NE(error.find("not page-aligned"), std::string::npos) << error;
  EXPECT_FALSE(LoadBiasFromAuxv(Auxv({{AT_ENTRY, kBias + 0x1060}, {AT_PHDR, kBias + 0x1040}}), *pie,
                                &error));
  EXPECT_NE(error.find("AT_PHDR 0x7f0000001040 gives 0x7f0000001000"), std::string::npos) << error;
  EXPECT_NE(error.find("describes another program"), std::string::npos) << error;
}

TEST(LoadBiasFromAuxvTest, FixedAddressBinaryHasNoBias) {
  auto fixed = HandMadeElf(ET_EXEC, 0x401020, 0x400040);
  ASSERT_NE(fixed, nullptr);
  EXPECT_FALSE(fixed->is_pie());
  EXPECT_EQ(LoadBiasFromAuxv(Auxv({{AT_ENTRY, 0x401020}}), *fixed), 0u);
  EXPECT_EQ(LoadBiasFromAuxv("", *fixed), 0u);
}

// ---- A real gdbserver ------------------------------------------------------------------------

constexpr size_t kPage = 4096;
constexpr size_t kRegionSize = 4 << 20;

// A forked child that holds a 4 MiB pattern followed by an unmapped page, and gdbserver
// attached to it, listening on a port it chose.
class GdbServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (system("command -v gdbserver >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "gdbserver is not installed (scripts/setup.sh installs it)";
    }
    void* mapping = mmap(nullptr, kRegionSize + kPage, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mapping, MAP_FAILED);
    region_ = static_cast<uint8_t*>(mapping);
    munmap(region_ + kRegionSize, kPage);
    for (size_t i = 0; i < kRegionSize; ++i) region_[i] = static_cast<uint8_t>(i * 7 + (i >> 12));
    int hold[2];
    ASSERT_EQ(pipe(hold), 0);
    child_ = fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      // Where Yama restricts ptrace to ancestors, let gdbserver (our sibling) attach.
      prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
      close(hold[1]);
      char byte;
      while (read(hold[0], &byte, 1) < 0) {
      }
      _exit(0);
    }
    close(hold[0]);
    hold_ = hold[1];
    int output[2];
    ASSERT_EQ(pipe(output), 0);
    server_ = fork();
    ASSERT_GE(server_, 0);
    if (server_ == 0) {
      dup2(output[1], 1);
      dup2(output[1], 2);
      close(output[0]);
      std::string pid = std::to_string(child_);
      execlp("gdbserver", "gdbserver", "--once", "127.0.0.1:0", "--attach", pid.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(output[1]);
    // gdbserver says "Listening on port N" once it is attached and ready.
    std::string said;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    size_t at;
    while ((at = said.find("Listening on port ")) == std::string::npos ||
           said.find('\n', at) == std::string::npos) {
      pollfd waiter = {output[0], POLLIN, 0};
      int left = static_cast<int>(
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now())
              .count());
      char buffer[256];
      ssize_t got;
      if (left <= 0 || poll(&waiter, 1, left) <= 0 ||
          (got = read(output[0], buffer, sizeof(buffer))) <= 0) {
        close(output[0]);
        FAIL() << "gdbserver did not start listening; it said: " << said;
      }
      said.append(buffer, static_cast<size_t>(got));
    }
    // The rest of its output goes nowhere: it exits when we disconnect.
    close(output[0]);
    port_ = std::stoi(said.substr(at + strlen("Listening on port ")));
  }

  void TearDown() override {
    if (server_ > 0) {
      // gdbserver --once detaches and exits when the client hangs up; kill it if it lingers.
      for (int i = 0; i < 100 && waitpid(server_, nullptr, WNOHANG) == 0; ++i) usleep(50000);
      if (kill(server_, 0) == 0) {
        kill(server_, SIGKILL);
        waitpid(server_, nullptr, 0);
      }
    }
    if (hold_ >= 0) close(hold_);
    if (child_ > 0) {
      kill(child_, SIGCONT);
      waitpid(child_, nullptr, 0);
    }
    if (region_ != nullptr) munmap(region_, kRegionSize);
  }

  std::unique_ptr<GdbRemoteSource> Connect(GdbRemoteOptions options = {}) {
    std::string error;
    auto source = GdbRemoteSource::Connect(fmt::format("127.0.0.1:{}", port_), &error, options);
    EXPECT_NE(source, nullptr) << error;
    return source;
  }

  uint64_t Address(size_t offset) const { return reinterpret_cast<uintptr_t>(region_) + offset; }

  uint8_t* region_ = nullptr;
  pid_t child_ = -1;
  pid_t server_ = -1;
  int hold_ = -1;
  int port_ = 0;
};

TEST_F(GdbServerTest, ReadsKnownBytes) {
  std::vector<std::string> sent;
  GdbRemoteOptions options;
  options.on_packet_sent = [&](std::string_view payload) { sent.emplace_back(payload); };
  auto source = Connect(options);
  ASSERT_NE(source, nullptr);
  EXPECT_TRUE(source->no_ack_mode());
  EXPECT_FALSE(source->stop_reply().empty());
  EXPECT_GT(source->max_read_size(), 1000u);
  uint8_t small[176];
  ReadResult result = source->Read(Address(12345), small, sizeof(small));
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(memcmp(small, region_ + 12345, sizeof(small)), 0);
  for (const std::string& payload : sent) EXPECT_TRUE(IsReadOnly(payload)) << payload;
}

TEST_F(GdbServerTest, LargeRead) {
  auto source = Connect();
  ASSERT_NE(source, nullptr);
  std::vector<uint8_t> buffer(kRegionSize);
  ReadResult result = source->Read(Address(0), buffer.data(), buffer.size());
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(memcmp(buffer.data(), region_, kRegionSize), 0);
  EXPECT_EQ(source->bytes_read(), kRegionSize);
  EXPECT_LT(source->target_reads(), kRegionSize / 1000);
}

TEST_F(GdbServerTest, UnmappedAddress) {
  auto source = Connect();
  ASSERT_NE(source, nullptr);
  std::vector<uint8_t> buffer(200, 0xee);
  ReadResult result = source->Read(Address(kRegionSize), buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_NE(result.error.find(fmt::format("0x{:x}: gdb stub", Address(kRegionSize))),
            std::string::npos)
      << result.error;
  EXPECT_NE(result.error.find("could not read memory"), std::string::npos) << result.error;
  EXPECT_EQ(buffer[0], 0);
  // Across the end of the mapping: the mapped prefix, then the error at the first unmapped byte.
  result = source->Read(Address(kRegionSize - 100), buffer.data(), buffer.size());
  EXPECT_EQ(result.bytes, 100u) << result.error;
  EXPECT_EQ(memcmp(buffer.data(), region_ + kRegionSize - 100, 100), 0);
  EXPECT_EQ(buffer[150], 0);
  EXPECT_NE(result.error.find(fmt::format("0x{:x}:", Address(kRegionSize))), std::string::npos)
      << result.error;
  // Still connected.
  result = source->Read(Address(0), buffer.data(), 8);
  EXPECT_TRUE(result.ok()) << result.error;
}

TEST_F(GdbServerTest, AuxvPlacesAGlobalOfThisPie) {
  std::vector<std::string> sent;
  GdbRemoteOptions options;
  options.on_packet_sent = [&](std::string_view payload) { sent.emplace_back(payload); };
  auto source = Connect(options);
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->supports_auxv());
  std::string error;
  std::optional<std::string> auxv = source->ReadAuxv(&error);
  ASSERT_TRUE(auxv) << error;
  // What the kernel gave the child (a fork of this process, so this program's vector).
  std::ifstream file("/proc/" + std::to_string(child_) + "/auxv", std::ios::binary);
  std::stringstream kernel;
  kernel << file.rdbuf();
  EXPECT_EQ(*auxv, kernel.str());

  std::unique_ptr<ElfSymbols> self = ElfSymbols::Open("/proc/self/exe", &error);
  ASSERT_NE(self, nullptr) << error;
  ASSERT_TRUE(self->is_pie()) << "gdb_remote_source.cmake builds this test as a PIE";
  std::optional<uint64_t> symbol = self->Find("vmpl_gdb_remote_test_global");
  ASSERT_TRUE(symbol);
  std::optional<uint64_t> bias = LoadBiasFromAuxv(*auxv, *self, &error);
  ASSERT_TRUE(bias) << error;
  EXPECT_NE(*bias, 0u);
  const uint64_t address = *symbol + *bias;
  EXPECT_EQ(address, reinterpret_cast<uintptr_t>(&vmpl_gdb_remote_test_global));
  // And the child holds the global's value there.
  uint64_t value = 0;
  ReadResult result = source->Read(address, &value, sizeof(value));
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(value, vmpl_gdb_remote_test_global);
  for (const std::string& payload : sent) EXPECT_TRUE(IsReadOnly(payload)) << payload;
  printf("gdbserver: PacketSize %zu, auxv of %zu bytes, load bias 0x%llx\n", source->packet_size(),
         auxv->size(), static_cast<unsigned long long>(*bias));
}

TEST_F(GdbServerTest, Throughput) {
  auto source = Connect();
  ASSERT_NE(source, nullptr);
  using Clock = std::chrono::steady_clock;
  std::vector<uint8_t> buffer(kRegionSize);
  auto start = Clock::now();
  ReadResult result = source->Read(Address(0), buffer.data(), buffer.size());
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_TRUE(result.ok()) << result.error;
  printf("gdbserver: %.1f MB/s (4 MiB in %llu 'm' packets of up to %zu bytes)\n",
         kRegionSize / seconds / 1e6, static_cast<unsigned long long>(source->target_reads()),
         source->max_read_size());

  constexpr size_t kNodes = 2000;
  std::vector<uint8_t> nodes(kNodes * 176);
  uint64_t reads_before = source->target_reads();
  start = Clock::now();
  for (size_t i = 0; i < kNodes; ++i) {
    // Scattered: one node in every 2 KiB.
    result = source->Read(Address(i * 2048), nodes.data() + i * 176, 176);
    ASSERT_TRUE(result.ok()) << result.error;
  }
  seconds = std::chrono::duration<double>(Clock::now() - start).count();
  printf("gdbserver: %.0f scattered 176-byte node reads/s (one packet each)\n", kNodes / seconds);

  std::vector<ReadRequest> requests;
  for (size_t i = 0; i < kNodes; ++i) {
    requests.push_back({Address(i * 176), nodes.data() + i * 176, 176});
  }
  reads_before = source->target_reads();
  start = Clock::now();
  std::vector<ReadResult> results = source->ReadMany(requests);
  seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (const ReadResult& r : results) ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(memcmp(nodes.data(), region_, nodes.size()), 0);
  printf("gdbserver: %.0f adjacent 176-byte node reads/s through ReadMany (%llu packets)\n",
         kNodes / seconds, static_cast<unsigned long long>(source->target_reads() - reads_before));
}

}  // namespace
}  // namespace vmpl::inspect
