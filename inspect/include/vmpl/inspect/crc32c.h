// vmpl::Crc32c: the CRC-32C (Castagnoli) checksum that guards every chunk of a trace file.
//
// Why CRC-32C. It detects every burst error up to 32 bits and every odd number of flipped bits,
// it is what storage formats of the same kind use (iSCSI, ext4 metadata, LevelDB/RocksDB logs),
// and x86-64 computes it in hardware (SSE4.2 `crc32`), so checking a 640 MB trace of 10 M events
// costs a fraction of reading it. The parameters are the standard ones: reflected polynomial
// 0x82F63B78, initial value and final XOR 0xFFFFFFFF, so Crc32c("123456789") == 0xE3069283.
//
// Synopsis:
//   uint32_t Crc32c(const void* data, size_t size);
//   uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);  // crc of a || data
//   namespace internal {
//   uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t size);  // tables only
//   bool Crc32cHardwareAvailable();
//   }
//
// Threads: pure functions, safe from any thread.

#ifndef VMPL_INSPECT_CRC32C_H_
#define VMPL_INSPECT_CRC32C_H_

#include <stddef.h>
#include <stdint.h>

namespace vmpl {

// Continues |crc| (the CRC-32C of some bytes a) over |size| more bytes b at |data|: returns the
// CRC-32C of a followed by b. Crc32cExtend(0, ...) is the CRC-32C of b alone. |data| may be null
// when |size| is 0.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

// The CRC-32C of |size| bytes at |data|.
inline uint32_t Crc32c(const void* data, size_t size) { return Crc32cExtend(0, data, size); }

namespace internal {

// The table-driven implementation (slicing by 8), used where SSE4.2 is missing. Exposed so the
// tests can check the two paths against each other.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t size);

// Whether Crc32cExtend uses the CPU's crc32 instruction on this machine.
bool Crc32cHardwareAvailable();

}  // namespace internal
}  // namespace vmpl

#endif  // VMPL_INSPECT_CRC32C_H_
