// MemorySource's default batch: one Read per request (see memory_source.h).

#include <vmpl/inspect/memory_source.h>

namespace vmpl::inspect {

std::vector<ReadResult> MemorySource::ReadMany(const std::vector<ReadRequest>& requests) {
  std::vector<ReadResult> results;
  results.reserve(requests.size());
  for (const ReadRequest& request : requests) {
    results.push_back(Read(request.address, request.buffer, request.size));
  }
  return results;
}

}  // namespace vmpl::inspect
