// Fuzz target for the GDB remote protocol reply codec (inspect/src/rsp_packet.h): the input is
// what a stub sent, scanned as GdbRemoteSource scans it (acks, "$...#cs" framing, checksum,
// run-length encoding) with every packet then decoded as a memory reply (hex), as escaped binary
// data (a qXfer reply) and as an error reply. Whatever the bytes, scanning must advance, stay
// within its size limit and produce messages that survive JSON output; and framing the input as
// a request must scan back as one packet. Runs under libFuzzer (scripts/fuzz.sh) and, in the
// normal build, under fuzz_driver.cc.

#include <stdlib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "../../inspect/src/rsp_packet.h"

namespace {

namespace rsp = vmpl::inspect::rsp;

// Small enough that the limit is reached by mutated inputs, as a lying stub would.
constexpr size_t kMaxPayload = 512;

volatile uint64_t g_sink;

void Check(bool condition) {
  if (!condition) abort();
}

void CheckMessage(const std::string& message) {
  Check(!message.empty());
  try {
    Check(!nlohmann::json(message).dump().empty());
  } catch (const nlohmann::json::exception&) {
    Check(false);
  }
}

void DecodePacket(const std::string& payload) {
  std::string error;
  std::vector<uint8_t> bytes(payload.size() / 2 + 1);
  if (rsp::DecodeHex(payload, bytes.data(), &error)) {
    Check(payload.size() % 2 == 0);
    for (size_t i = 0; i < payload.size() / 2; ++i) g_sink = g_sink + bytes[i];
  } else {
    CheckMessage(error);
  }
  std::string binary;
  if (rsp::UnescapeBinary(payload, &binary, &error)) {
    Check(binary.size() <= payload.size());
  } else {
    CheckMessage(error);
  }
  std::string code;
  if (rsp::ParseErrorReply(payload, &code)) {
    Check(payload[0] == 'E');
    Check(nlohmann::json(code).dump().size() >= 2);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view rest = input;
  while (!rest.empty()) {
    rsp::ScanResult scan = rsp::ScanReply(rest, kMaxPayload);
    if (scan.status == rsp::ScanStatus::kNeedMore) {
      Check(scan.consumed == 0);
      Check(rest.size() <= kMaxPayload + 3);
      break;
    }
    Check(scan.consumed >= 1 && scan.consumed <= rest.size());
    rest.remove_prefix(scan.consumed);
    switch (scan.status) {
      case rsp::ScanStatus::kPacket:
        Check(scan.payload.size() <= kMaxPayload);
        DecodePacket(scan.payload);
        break;
      case rsp::ScanStatus::kBadChecksum:
      case rsp::ScanStatus::kError:
        CheckMessage(scan.error);
        break;
      default:
        break;
    }
  }

  // Any request payload frames into exactly one packet with a good checksum, with no '*' left
  // for the run-length decoder to misread.
  std::string_view request = input.substr(0, kMaxPayload / 2);
  std::string framed = rsp::Frame(request);
  rsp::ScanResult scan = rsp::ScanReply(framed, kMaxPayload);
  Check(scan.status == rsp::ScanStatus::kPacket);
  Check(scan.consumed == framed.size());
  if (request.find_first_of("$#}*") == std::string_view::npos) Check(scan.payload == request);
  return 0;
}
