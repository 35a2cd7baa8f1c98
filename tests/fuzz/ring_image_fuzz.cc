// Fuzz target for ReadRingImage (inspect/src/ring_image.cc): the input is the memory of a target
// at a kernel address, the ring's header at its start, as the QEMU kernel's ring is read through a
// gdb stub or from a dump. Any bytes must give either an error or an image that keeps the
// promises of <vmpl/inspect/ring_image.h>. Runs under libFuzzer (scripts/fuzz.sh) and, in the
// normal build, under tests/fuzz/fuzz_driver.cc.

#include <stdlib.h>
#include <string.h>
#include <vmpl/inspect/memory_source.h>
#include <vmpl/inspect/ring_image.h>
#include <vmpl/trace_ring.h>

#include <algorithm>
#include <optional>
#include <string>

namespace {

using vmpl::inspect::MemorySource;
using vmpl::inspect::ReadResult;
using vmpl::inspect::RingImage;
using vmpl::trace::RingHeader;

constexpr uint64_t kAddress = 0xffffffff80200000;

// A broken promise is a bug the fuzzer must report: abort, which both drivers catch.
void Check(bool condition) {
  if (!condition) {
    abort();
  }
}

// The input as the target's memory at kAddress; reads past its end get the prefix and an error.
// No copy of the input: the driver runs thousands of inputs, some of them large.
class InputSource : public MemorySource {
 public:
  InputSource(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  ReadResult Read(uint64_t address, void* buffer, size_t size) override {
    size_t available = 0;
    if (address >= kAddress && address - kAddress <= size_) {
      available = std::min<size_t>(size, size_ - static_cast<size_t>(address - kAddress));
      if (available > 0) {
        memcpy(buffer, data_ + (address - kAddress), available);
      }
    }
    memset(static_cast<uint8_t*>(buffer) + available, 0, size - available);
    ReadResult result;
    result.bytes = available;
    if (available < size) {
      result.error = "not in the input";
    }
    return result;
  }

  std::string Describe() const override { return "fuzz input"; }

 private:
  const uint8_t* data_;
  size_t size_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputSource memory(data, size);
  std::string error;
  const std::optional<RingImage> image = vmpl::inspect::ReadRingImage(memory, kAddress, &error);
  if (!image) {
    Check(!error.empty());
    return 0;
  }
  // The copy is a valid ring of exactly the size its header gives, within the bound.
  Check(image->bytes.size() >= sizeof(RingHeader));
  Check(image->bytes.size() <= vmpl::inspect::kMaxRingImageBytes);
  Check(image->bytes.size() <= size);
  RingHeader header;
  memcpy(&header, image->bytes.data(), sizeof(header));
  Check(image->bytes.size() ==
        uint64_t{header.header_size} + header.capacity * sizeof(vmpl::trace::RingRecord));
  std::string invalid;
  Check(
      vmpl::trace::ValidateRingHeader(image->bytes.data(), image->bytes.size(), "copy", &invalid));
  // The reader starts at a complete snapshot inside the ring, before the head.
  Check(image->head == header.head);
  Check(image->start <= image->head);
  Check(image->records == image->head - image->start);
  Check(image->records <= header.capacity);
  Check(image->start >= header.first_position);
  Check(image->snapshots >= 1);
  Check(image->skipped < image->records);
  Check(header.tail == image->start);
  Check(header.reader_pid == 0);
  return 0;
}
