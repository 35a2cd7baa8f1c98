// The packet codec of the GDB Remote Serial Protocol, as GdbRemoteSource speaks it: framing of
// requests ("$payload#cs", escaped), and scanning of what a stub sends back (acks, framed
// packets with checksum, run-length encoded payloads, hex data, escaped binary data of qXfer
// replies, "E nn" errors).
//
// Kept apart from the socket code so that the fuzz target (tests/fuzz/rsp_packet_fuzz.cc) can
// throw arbitrary stub output at exactly the code that parses it. Everything here works on
// bytes already received; nothing blocks, and every size is bounded by the caller's limit.

#ifndef VMPL_INSPECT_SRC_RSP_PACKET_H_
#define VMPL_INSPECT_SRC_RSP_PACKET_H_

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <string_view>

namespace vmpl::inspect::rsp {

// The modulo-256 sum of |bytes|, as carried after '#'.
uint8_t Checksum(std::string_view bytes);

// "$" + escaped payload + "#" + two hex digits. '$', '#', '}' and '*' in the payload are escaped
// as '}' followed by the byte xor 0x20, so no payload can break the framing.
std::string Frame(std::string_view payload);

enum class ScanStatus {
  kNeedMore,     // the input is a prefix of something valid: wait for more bytes
  kAck,          // '+'
  kNack,         // '-': the stub asks us to send our last packet again
  kPacket,       // a framed packet with a good checksum; |payload| is its expanded content
  kBadChecksum,  // a complete frame whose checksum is wrong (ack mode may ask again)
  kError,        // bytes that cannot be a reply; |error| says what and where
};

struct ScanResult {
  ScanStatus status = ScanStatus::kNeedMore;
  size_t consumed = 0;  // bytes of the input that this result accounts for
  std::string payload;  // kPacket: the payload with run-length encoding expanded
  std::string error;    // kBadChecksum, kError: why
};

// Looks at the start of |input|, the bytes received and not yet consumed. A frame whose raw
// payload exceeds |max_payload| bytes, or expands beyond it, is an error, so a stub cannot make
// us buffer or allocate without bound.
ScanResult ScanReply(std::string_view input, size_t max_payload);

// Expands run-length encoding: "X*n" stands for X followed by (n - 29) more copies of X.
// False (and |error|) on a '*' with nothing to repeat, a missing or invalid count, or output
// beyond |max_size|.
bool ExpandRunLength(std::string_view raw, size_t max_size, std::string* out, std::string* error);

// Decodes pairs of hex digits into |out| (which holds at least hex.size() / 2 bytes). False (and
// |error|, naming the offset) on an odd length or a character that is not a hex digit.
bool DecodeHex(std::string_view hex, uint8_t* out, std::string* error);

// Undoes the escaping of binary data (qXfer replies): '}' followed by a byte stands for that byte
// xor 0x20. Run-length encoding is undone first, by ScanReply, since a stub escapes the data and
// then compresses the packet. False (and |error|) on a '}' with no byte after it; |out| is never
// longer than |escaped|.
bool UnescapeBinary(std::string_view escaped, std::string* out, std::string* error);

// True if |payload| is an error reply: "Enn" (two hex digits, |code| gets them) or "E.text"
// (|code| gets the text). Any other payload that starts with 'E' is not one.
bool ParseErrorReply(std::string_view payload, std::string* code);

}  // namespace vmpl::inspect::rsp

#endif  // VMPL_INSPECT_SRC_RSP_PACKET_H_
