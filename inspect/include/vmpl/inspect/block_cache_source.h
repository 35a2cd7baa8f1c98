// vmpl::inspect::BlockCacheSource: a slow source read in whole pages, each page read once.
//
// Through a gdb stub every read is a round trip (60 us to gdbserver on this machine), and
// decoding a registry reads thousands of 176-byte nodes; but the nodes sit close together in the
// heap (a simulator's 7,158 nodes lie in 670 pages). This wrapper turns every read into reads of
// the aligned pages it touches, keeps each page it got, and fetches the pages a batch is missing
// in one ReadMany, where the stub coalesces adjacent pages into large packets. A page is the
// unit in which memory is mapped, so a page read fails only where the exact read would fail too;
// and where one does fail, the request is read again directly, so results and error messages are
// exactly those of the wrapped source.
//
// The cache assumes the target does not change while it is read: true of a stopped process
// (gdbserver stops it), a core, or a paused VM. Reads larger than a few pages (a scan's chunks)
// go straight through. The cache is dropped whole when it outgrows its limit.

#ifndef VMPL_INSPECT_BLOCK_CACHE_SOURCE_H_
#define VMPL_INSPECT_BLOCK_CACHE_SOURCE_H_

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <unordered_map>
#include <vector>

#include <vmpl/inspect/memory_source.h>

namespace vmpl::inspect {

class BlockCacheSource : public MemorySource {
 public:
  // |inner| must outlive this. |block_size| must be a power of two.
  explicit BlockCacheSource(MemorySource& inner, size_t block_size = 4096,
                            size_t max_bytes = size_t{256} << 20);

  ReadResult Read(uint64_t address, void* buffer, size_t size) override;
  std::vector<ReadResult> ReadMany(const std::vector<ReadRequest>& requests) override;
  std::vector<MemoryRegion> Regions() const override { return inner_.Regions(); }
  std::string Describe() const override { return inner_.Describe(); }

  // Pages asked of the wrapped source so far.
  uint64_t pages_fetched() const { return pages_fetched_; }

 private:
  struct Block {
    std::vector<uint8_t> data;
    bool ok = false;  // the whole page was read
  };
  // True if [address, address + size) is small enough to go through the cache.
  bool Cacheable(uint64_t address, size_t size) const;
  // Fetches the pages of |requests| that are not cached yet, in one batch.
  void Fetch(const std::vector<ReadRequest>& requests);
  // Serves one request from cached pages; false if one of its pages could not be read.
  bool Serve(const ReadRequest& request);

  MemorySource& inner_;
  const size_t block_size_;
  const size_t max_bytes_;
  std::unordered_map<uint64_t, Block> blocks_;  // by page number
  size_t cached_bytes_ = 0;
  uint64_t pages_fetched_ = 0;
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_BLOCK_CACHE_SOURCE_H_
