// fbl::Canary: a 4-byte magic value that marks a live object.
//
// Layout: one `volatile uint32_t magic_`. fbl::magic("PLST") packs the four characters big-endian,
// so a live page-list node holds 0x504C5354 (bytes 54 53 4C 50 in memory) and a destroyed one 0.
// Debuggers and the inspector recognise nodes by this value, so it must stay bit-exact.

#ifndef FBL_CANARY_H_
#define FBL_CANARY_H_

#include <stdint.h>
#include <vmpl/kernel_assert.h>

namespace fbl {

constexpr uint32_t magic(const char (&str)[5]) {
  uint32_t res = 0;
  for (int i = 0; i < 4; i++) {
    res = (res << 8) + static_cast<uint8_t>(str[i]);
  }
  return res;
}

template <uint32_t kMagic>
class Canary {
 public:
  Canary() : magic_(kMagic) {}
  ~Canary() {
    Assert();
    magic_ = 0;
  }
  Canary(const Canary&) = delete;
  Canary& operator=(const Canary&) = delete;

  // Always on, as in the kernel: a bad canary means memory corruption.
  void Assert() const {
    ZX_ASSERT_MSG(magic_ == kMagic, "Invalid canary (expt: %08x, got: %08x)", kMagic,
                  static_cast<uint32_t>(magic_));
  }
  bool Valid() const { return magic_ == kMagic; }

  // The raw value, for validators that must not abort on corruption.
  uint32_t value() const { return magic_; }
  static constexpr uint32_t kExpected = kMagic;

 private:
  volatile uint32_t magic_;
};

}  // namespace fbl

#endif  // FBL_CANARY_H_
