// The printf engine: parses one conversion at a time and emits it through the sink, padded.

#include "arch/format.h"

#include <stdint.h>

namespace {

struct Spec {
  bool left = false;       // '-': pad on the right.
  bool zero = false;       // '0': pad numbers with zeros (after the sign or 0x).
  bool alternate = false;  // '#': 0x (0X) before a non-zero %x (%X), as in C.
  int width = 0;           // Minimum field width.
  int precision = -1;      // For %s: at most this many bytes.
  int length = 0;          // 0: int, 1: long (l, ll, z, j, t: all 64-bit here).
};

class Emitter {
 public:
  explicit Emitter(FormatSink* sink) : sink_(sink) {}

  void Write(const char* data, size_t len) {
    if (len == 0) return;
    sink_->write(sink_, data, len);
    count_ += static_cast<int>(len);
  }

  void Repeat(char c, int n) {
    char chunk[16];
    for (char& slot : chunk) slot = c;
    while (n > 0) {
      int piece = n < 16 ? n : 16;
      Write(chunk, static_cast<size_t>(piece));
      n -= piece;
    }
  }

  // Emits prefix (sign or "0x") and body within the field described by spec.
  void Field(const Spec& spec, const char* prefix, int prefix_len, const char* body, int body_len) {
    int pad = spec.width - prefix_len - body_len;
    if (pad < 0) pad = 0;
    if (!spec.left && !spec.zero) Repeat(' ', pad);
    Write(prefix, static_cast<size_t>(prefix_len));
    if (!spec.left && spec.zero) Repeat('0', pad);
    Write(body, static_cast<size_t>(body_len));
    if (spec.left) Repeat(' ', pad);
  }

  int count() const { return count_; }

 private:
  FormatSink* sink_;
  int count_ = 0;
};

// Writes the digits of value in base (10 or 16) to the end of buf; returns where they start.
char* Digits(uint64_t value, unsigned base, bool upper, char* end) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char* p = end;
  do {
    *--p = digits[value % base];
    value /= base;
  } while (value != 0);
  return p;
}

size_t StrLen(const char* s, int max) {
  size_t n = 0;
  while (s[n] != '\0' && (max < 0 || n < static_cast<size_t>(max))) ++n;
  return n;
}

}  // namespace

int kformat(FormatSink* sink, const char* fmt, va_list args) {
  Emitter out(sink);
  while (*fmt != '\0') {
    // Copy the literal run up to the next conversion in one write.
    const char* run = fmt;
    while (*fmt != '\0' && *fmt != '%') ++fmt;
    out.Write(run, static_cast<size_t>(fmt - run));
    if (*fmt == '\0') break;
    ++fmt;  // '%'

    Spec spec;
    for (;; ++fmt) {
      if (*fmt == '-') {
        spec.left = true;
      } else if (*fmt == '0') {
        spec.zero = true;
      } else if (*fmt == '#') {
        spec.alternate = true;
      } else {
        break;
      }
    }
    if (*fmt == '*') {
      spec.width = va_arg(args, int);
      if (spec.width < 0) {
        spec.left = true;
        spec.width = -spec.width;
      }
      ++fmt;
    }
    while (*fmt >= '0' && *fmt <= '9') spec.width = spec.width * 10 + (*fmt++ - '0');
    if (*fmt == '.') {
      ++fmt;
      spec.precision = 0;
      if (*fmt == '*') {
        spec.precision = va_arg(args, int);
        ++fmt;
      }
      while (*fmt >= '0' && *fmt <= '9') spec.precision = spec.precision * 10 + (*fmt++ - '0');
    }
    // hh and h still take an int argument (default promotions); the others are 64-bit.
    while (*fmt == 'h') ++fmt;
    while (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't') {
      spec.length = 1;
      ++fmt;
    }
    if (spec.left) spec.zero = false;

    char buf[24];  // Enough for 2^64 in decimal (20 digits) or hex (16).
    char* end = buf + sizeof(buf);
    char conv = *fmt;
    if (conv == '\0') break;  // A lone '%' at the end: print nothing for it.
    ++fmt;
    switch (conv) {
      case 'd':
      case 'i': {
        int64_t value = spec.length ? va_arg(args, int64_t) : va_arg(args, int);
        // Negate in unsigned arithmetic so INT64_MIN works.
        uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : value;
        char* start = Digits(magnitude, 10, false, end);
        out.Field(spec, "-", value < 0 ? 1 : 0, start, static_cast<int>(end - start));
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        uint64_t value = spec.length ? va_arg(args, uint64_t) : va_arg(args, unsigned int);
        char* start = Digits(value, conv == 'u' ? 10 : 16, conv == 'X', end);
        const bool prefixed = spec.alternate && conv != 'u' && value != 0;
        out.Field(spec, conv == 'X' ? "0X" : "0x", prefixed ? 2 : 0, start,
                  static_cast<int>(end - start));
        break;
      }
      case 'p': {
        // Always the full 16 digits: kernel addresses are easier to compare aligned.
        uint64_t value = reinterpret_cast<uintptr_t>(va_arg(args, void*));
        char* start = Digits(value, 16, false, end);
        while (end - start < 16) *--start = '0';
        spec.zero = false;
        out.Field(spec, "0x", 2, start, static_cast<int>(end - start));
        break;
      }
      case 's': {
        const char* s = va_arg(args, const char*);
        if (s == nullptr) s = "(null)";
        spec.zero = false;
        out.Field(spec, "", 0, s, static_cast<int>(StrLen(s, spec.precision)));
        break;
      }
      case 'c': {
        char c = static_cast<char>(va_arg(args, int));
        spec.zero = false;
        out.Field(spec, "", 0, &c, 1);
        break;
      }
      case '%':
        out.Write("%", 1);
        break;
      default:
        // An unknown conversion: show it verbatim rather than guess at its argument.
        out.Write("%", 1);
        out.Write(&conv, 1);
        break;
    }
  }
  return out.count();
}
