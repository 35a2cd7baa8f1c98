// A slow source read in whole pages, each page read once (see block_cache_source.h).

#include <vmpl/inspect/block_cache_source.h>

#include <string.h>

#include <algorithm>
#include <set>

namespace vmpl::inspect {

BlockCacheSource::BlockCacheSource(MemorySource& inner, size_t block_size, size_t max_bytes)
    : inner_(inner), block_size_(block_size), max_bytes_(max_bytes) {}

bool BlockCacheSource::Cacheable(uint64_t address, size_t size) const {
  return size != 0 && size <= 4 * block_size_ && address + size > address;
}

void BlockCacheSource::Fetch(const std::vector<ReadRequest>& requests) {
  std::set<uint64_t> missing;
  for (const ReadRequest& request : requests) {
    if (!Cacheable(request.address, request.size)) {
      continue;
    }
    const uint64_t last = (request.address + request.size - 1) / block_size_;
    for (uint64_t page = request.address / block_size_; page <= last; page++) {
      if (!blocks_.contains(page)) {
        missing.insert(page);
      }
    }
  }
  if (missing.empty()) {
    return;
  }
  if (cached_bytes_ + missing.size() * block_size_ > max_bytes_) {
    blocks_.clear();
    cached_bytes_ = 0;
  }
  std::vector<ReadRequest> reads;
  std::vector<Block*> targets;
  for (uint64_t page : missing) {
    Block& block = blocks_[page];
    block.data.assign(block_size_, 0);
    reads.push_back(ReadRequest{page * block_size_, block.data.data(), block_size_});
    targets.push_back(&block);
  }
  const std::vector<ReadResult> results = inner_.ReadMany(reads);
  for (size_t i = 0; i < targets.size(); i++) {
    targets[i]->ok = results[i].ok();
  }
  cached_bytes_ += missing.size() * block_size_;
  pages_fetched_ += missing.size();
}

bool BlockCacheSource::Serve(const ReadRequest& request) {
  auto* out = static_cast<uint8_t*>(request.buffer);
  uint64_t address = request.address;
  size_t left = request.size;
  while (left > 0) {
    auto it = blocks_.find(address / block_size_);
    if (it == blocks_.end() || !it->second.ok) {
      return false;
    }
    const size_t offset = static_cast<size_t>(address % block_size_);
    const size_t n = std::min(left, block_size_ - offset);
    memcpy(out, it->second.data.data() + offset, n);
    out += n;
    address += n;
    left -= n;
  }
  return true;
}

ReadResult BlockCacheSource::Read(uint64_t address, void* buffer, size_t size) {
  return ReadMany({ReadRequest{address, buffer, size}})[0];
}

std::vector<ReadResult> BlockCacheSource::ReadMany(const std::vector<ReadRequest>& requests) {
  Fetch(requests);
  std::vector<ReadResult> results(requests.size());
  std::vector<ReadRequest> direct;
  std::vector<size_t> direct_index;
  for (size_t i = 0; i < requests.size(); i++) {
    const ReadRequest& request = requests[i];
    if (Cacheable(request.address, request.size) && Serve(request)) {
      results[i].bytes = request.size;
      bytes_read_ += request.size;
    } else if (request.size != 0) {
      // Too large to cache, or a page of it could not be read: the wrapped source says exactly
      // how much of it can be read, and why not the rest.
      direct.push_back(request);
      direct_index.push_back(i);
    }
  }
  if (!direct.empty()) {
    std::vector<ReadResult> got = inner_.ReadMany(direct);
    for (size_t j = 0; j < direct.size(); j++) {
      bytes_read_ += got[j].bytes;
      results[direct_index[j]] = std::move(got[j]);
    }
  }
  target_reads_ = inner_.target_reads();
  return results;
}

}  // namespace vmpl::inspect
