// BlockCacheSource, differentially: random batches of reads through the cache and straight from
// the wrapped source give the same bytes, the same counts and the same error messages, over
// memory with an unreadable page in the middle and nothing past its ends; and many small reads
// in the same pages cost one read per page.

#include <gtest/gtest.h>
#include <vmpl/inspect/block_cache_source.h>

#include <random>
#include <string>
#include <vector>

namespace {

using vmpl::inspect::BlockCacheSource;
using vmpl::inspect::MemorySource;
using vmpl::inspect::ReadRequest;
using vmpl::inspect::ReadResult;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kBase = 0x7000'0000;
constexpr uint64_t kPages = 16;
constexpr uint64_t kHole = 9;  // this page is not mapped

// kPages pages at kBase, each byte a function of its address, except page kHole.
class FakeTarget : public MemorySource {
 public:
  ReadResult Read(uint64_t address, void* buffer, size_t size) override {
    target_reads_++;
    ReadResult result;
    auto* out = static_cast<uint8_t*>(buffer);
    for (size_t i = 0; i < size; i++) {
      const uint64_t at = address + i;
      if (!Readable(at)) {
        memset(out + i, 0, size - i);
        result.error = "0x" + std::to_string(at) + ": not mapped";
        return result;
      }
      out[i] = static_cast<uint8_t>(at * 7 + (at >> 12));
      result.bytes++;
    }
    bytes_read_ += size;
    return result;
  }
  std::string Describe() const override { return "fake"; }

 private:
  static bool Readable(uint64_t at) {
    return at >= kBase && at < kBase + kPages * kPage && (at - kBase) / kPage != kHole;
  }
};

TEST(BlockCacheSourceTest, SameBytesAndErrorsAsTheWrappedSource) {
  std::mt19937_64 random(42);
  FakeTarget direct_target;
  FakeTarget cached_target;
  BlockCacheSource cache(cached_target, kPage, /*max_bytes=*/6 * kPage);  // evicts, too
  for (int round = 0; round < 400; round++) {
    const size_t count = 1 + random() % 12;
    std::vector<std::vector<uint8_t>> direct_buffers(count), cached_buffers(count);
    std::vector<ReadRequest> direct, cached;
    for (size_t i = 0; i < count; i++) {
      const uint64_t address = kBase - 2 * kPage + random() % ((kPages + 4) * kPage);
      const size_t size = random() % 8 == 0 ? random() % (6 * kPage) : random() % 400;
      direct_buffers[i].assign(size, 0xaa);
      cached_buffers[i].assign(size, 0x55);
      direct.push_back(ReadRequest{address, direct_buffers[i].data(), size});
      cached.push_back(ReadRequest{address, cached_buffers[i].data(), size});
    }
    const std::vector<ReadResult> want = direct_target.ReadMany(direct);
    const std::vector<ReadResult> got = cache.ReadMany(cached);
    for (size_t i = 0; i < count; i++) {
      SCOPED_TRACE("round " + std::to_string(round) + " request " + std::to_string(i));
      EXPECT_EQ(got[i].bytes, want[i].bytes);
      EXPECT_EQ(got[i].error, want[i].error);
      EXPECT_EQ(cached_buffers[i], direct_buffers[i]);
    }
  }
}

TEST(BlockCacheSourceTest, SmallReadsInTheSamePagesCostOneReadPerPage) {
  FakeTarget target;
  BlockCacheSource cache(target, kPage);
  std::vector<std::vector<uint8_t>> buffers(2 * 4096 / 176, std::vector<uint8_t>(176));
  std::vector<ReadRequest> requests;
  for (size_t i = 0; i < buffers.size(); i++) {
    requests.push_back(ReadRequest{kBase + i * 176, buffers[i].data(), 176});
  }
  for (const ReadResult& result : cache.ReadMany(requests)) {
    EXPECT_TRUE(result.ok()) << result.error;
  }
  EXPECT_EQ(cache.pages_fetched(), 2u);
  EXPECT_EQ(target.target_reads(), 2u);
  // Again, one by one: nothing new is read.
  for (const ReadRequest& request : requests) {
    EXPECT_TRUE(cache.Read(request.address, request.buffer, request.size).ok());
  }
  EXPECT_EQ(target.target_reads(), 2u);
  EXPECT_EQ(cache.bytes_read(), 2 * requests.size() * 176);
}

}  // namespace
