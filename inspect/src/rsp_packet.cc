// The GDB Remote Serial Protocol packet codec (see rsp_packet.h).

#include "rsp_packet.h"

#include <fmt/format.h>

namespace vmpl::inspect::rsp {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Messages quote stub bytes; only printable ASCII goes in as is, so a message stays valid UTF-8
// and readable on a terminal whatever the stub sent.
std::string Printable(char c) {
  unsigned char byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("0x{:02x}", byte);
}

}  // namespace

uint8_t Checksum(std::string_view bytes) {
  uint8_t sum = 0;
  for (char c : bytes) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  return sum;
}

std::string Frame(std::string_view payload) {
  std::string body;
  body.reserve(payload.size() + 8);
  for (char c : payload) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      body.push_back('}');
      body.push_back(static_cast<char>(c ^ 0x20));
    } else {
      body.push_back(c);
    }
  }
  return fmt::format("${}#{:02x}", body, Checksum(body));
}

ScanResult ScanReply(std::string_view input, size_t max_payload) {
  ScanResult result;
  if (input.empty()) return result;
  char first = input[0];
  if (first == '+' || first == '-') {
    result.status = first == '+' ? ScanStatus::kAck : ScanStatus::kNack;
    result.consumed = 1;
    return result;
  }
  if (first != '$') {
    result.status = ScanStatus::kError;
    result.consumed = 1;
    result.error =
        fmt::format("stub sent {} where a packet ('$') or an ack was expected", Printable(first));
    return result;
  }
  size_t hash = input.find('#', 1);
  if (hash == std::string_view::npos) {
    if (input.size() - 1 > max_payload) {
      result.status = ScanStatus::kError;
      result.consumed = input.size();
      result.error = fmt::format("stub sent a packet longer than {} bytes", max_payload);
    }
    return result;
  }
  std::string_view raw = input.substr(1, hash - 1);
  if (raw.size() > max_payload) {
    result.status = ScanStatus::kError;
    result.consumed = hash + 1;
    result.error =
        fmt::format("stub sent a packet of {} bytes, more than {}", raw.size(), max_payload);
    return result;
  }
  if (input.size() < hash + 3) return result;  // the checksum has not arrived yet
  result.consumed = hash + 3;
  int high = HexValue(input[hash + 1]);
  int low = HexValue(input[hash + 2]);
  uint8_t sum = Checksum(raw);
  if (high < 0 || low < 0) {
    result.status = ScanStatus::kBadChecksum;
    result.error = fmt::format("stub sent a packet whose checksum {}{} is not hex",
                               Printable(input[hash + 1]), Printable(input[hash + 2]));
    return result;
  }
  if (high * 16 + low != sum) {
    result.status = ScanStatus::kBadChecksum;
    result.error = fmt::format("stub sent a packet with a bad checksum (says {:02x}, is {:02x})",
                               high * 16 + low, sum);
    return result;
  }
  if (!ExpandRunLength(raw, max_payload, &result.payload, &result.error)) {
    result.status = ScanStatus::kError;
    result.payload.clear();
    return result;
  }
  result.status = ScanStatus::kPacket;
  return result;
}

bool ExpandRunLength(std::string_view raw, size_t max_size, std::string* out, std::string* error) {
  out->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '*') {
      if (out->size() >= max_size) {
        *error = fmt::format("stub sent a packet that expands beyond {} bytes", max_size);
        return false;
      }
      out->push_back(c);
      continue;
    }
    if (out->empty()) {
      *error = fmt::format("stub sent a run-length '*' with nothing to repeat at offset {}", i);
      return false;
    }
    if (i + 1 >= raw.size()) {
      *error = "stub sent a run-length '*' without a count at the end of a packet";
      return false;
    }
    // Counts are printable characters; the protocol never uses '#' or '$' as one, and a count
    // below 3 would be shorter written out.
    unsigned char count = static_cast<unsigned char>(raw[i + 1]);
    if (count < 29 + 3 || count > 126 || count == '#' || count == '$') {
      *error = fmt::format("stub sent an invalid run-length count {} at offset {}",
                           Printable(raw[i + 1]), i + 1);
      return false;
    }
    size_t repeat = count - 29;
    if (repeat > max_size - out->size()) {
      *error = fmt::format("stub sent a packet that expands beyond {} bytes", max_size);
      return false;
    }
    out->append(repeat, out->back());
    ++i;
  }
  return true;
}

bool DecodeHex(std::string_view hex, uint8_t* out, std::string* error) {
  if (hex.size() % 2 != 0) {
    *error = fmt::format("odd number of hex digits ({})", hex.size());
    return false;
  }
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = HexValue(hex[i]);
    int low = HexValue(hex[i + 1]);
    if (high < 0 || low < 0) {
      *error = fmt::format("{} at offset {} is not a hex digit",
                           Printable(high < 0 ? hex[i] : hex[i + 1]), high < 0 ? i : i + 1);
      return false;
    }
    out[i / 2] = static_cast<uint8_t>(high * 16 + low);
  }
  return true;
}

bool UnescapeBinary(std::string_view escaped, std::string* out, std::string* error) {
  out->clear();
  out->reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '}') {
      out->push_back(escaped[i]);
      continue;
    }
    if (i + 1 == escaped.size()) {
      *error = fmt::format("stub sent an escape '}}' with no byte after it at offset {}", i);
      return false;
    }
    out->push_back(static_cast<char>(escaped[++i] ^ 0x20));
  }
  return true;
}

bool ParseErrorReply(std::string_view payload, std::string* code) {
  if (payload.size() == 3 && payload[0] == 'E' && HexValue(payload[1]) >= 0 &&
      HexValue(payload[2]) >= 0) {
    *code = std::string(payload.substr(1));
    return true;
  }
  if (payload.size() >= 2 && payload[0] == 'E' && payload[1] == '.') {
    code->clear();
    for (char c : payload.substr(2, 200)) {
      unsigned char byte = static_cast<unsigned char>(c);
      code->push_back(byte >= 0x20 && byte < 0x7f ? c : '?');
    }
    return true;
  }
  return false;
}

}  // namespace vmpl::inspect::rsp
