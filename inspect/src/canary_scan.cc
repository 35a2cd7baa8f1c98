// The canary scan: page lists rebuilt from their nodes' canaries and links (see canary_scan.h).

#include <fmt/format.h>
#include <string.h>
#include <vmpl/inspect/canary_scan.h>
#include <vmpl/inspect/layout_file.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace vmpl::inspect {
namespace {

// A WAVL tree of n nodes is at most 2 * log2(n + 1) high; no address space holds a tree whose
// parent chain is longer than this.
constexpr size_t kMaxChain = 160;
// Unreadable ranges reported one by one; past this, only their number.
constexpr size_t kMaxRangeProblems = 64;
// After a failed read the scan skips ahead, twice as far after each consecutive failure (up to a
// chunk), so that a large unreadable range costs a few reads, not one per page.
constexpr uint64_t kFirstSkip = 4096;
// A chunk larger than this gains nothing and would only make the buffer large.
constexpr size_t kMaxChunk = size_t{256} << 20;
constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

uint64_t Load(const uint8_t* data, size_t size, uint64_t offset, size_t n) {
  uint64_t value = 0;
  if (offset <= size && n <= size - offset) {
    memcpy(&value, data + offset, n);
  }
  return value;
}

// A position that carries the canary and passed the sanity check: what the tree rebuild needs.
struct Candidate {
  uint64_t address;
  uint64_t parent;
  uint64_t left;
  uint64_t right;
  uint64_t key;
};

class Scanner {
 public:
  Scanner(MemorySource& memory, const DecodeLayout& layout, const ScanOptions& options,
          ScanResult& out)
      : memory_(memory), layout_(layout), options_(options), out_(out) {}

  void Run() {
    if (!LayoutUsable()) {
      return;
    }
    for (const MemoryRegion& region : RegionsToScan()) {
      if (stop_) {
        break;
      }
      ScanRegion(region);
    }
    if (skipped_ranges_ > 0) {
      Problem(0, fmt::format("{} more unreadable ranges were skipped", skipped_ranges_));
    }
    // Regions given by the caller may overlap: each node counts once.
    std::sort(candidates_.begin(), candidates_.end(),
              [](const Candidate& a, const Candidate& b) { return a.address < b.address; });
    candidates_.erase(
        std::unique(candidates_.begin(), candidates_.end(),
                    [](const Candidate& a, const Candidate& b) { return a.address == b.address; }),
        candidates_.end());
    out_.candidate_nodes = candidates_.size();
    Rebuild();
    std::sort(out_.lists.begin(), out_.lists.end(),
              [](const FoundList& a, const FoundList& b) { return a.address < b.address; });
  }

 private:
  bool IsNodeLink(uint64_t link) const { return link != 0 && link % ptr_ == 0; }

  void Problem(uint64_t address, std::string message) {
    out_.problems.push_back(SnapshotProblem{address, std::move(message)});
  }

  bool LayoutUsable() {
    if (std::string problem = CheckLayout(layout_); !problem.empty()) {
      Problem(0, "unusable layout: " + problem);
      return false;
    }
    if (layout_.node_canary == 0) {
      Problem(0, "the layout names no node canary: there is nothing to scan for");
      return false;
    }
    const uint64_t size = layout_.node_size;
    ptr_ = layout_.pointer_size;
    node_size_ = static_cast<size_t>(size);
    overlap_ = (node_size_ + ptr_ - 1) & ~(ptr_ - 1);
    chunk_ = std::clamp<size_t>(options_.chunk_bytes, 2 * overlap_, kMaxChunk);
    chunk_ = (chunk_ + ptr_ - 1) & ~(ptr_ - 1);
    max_nodes_ = std::min<size_t>(options_.max_nodes, kNone - 1);
    return true;
  }

  std::vector<MemoryRegion> RegionsToScan() {
    std::vector<MemoryRegion> regions;
    if (!options_.ranges.empty()) {
      regions = options_.ranges;
    } else {
      for (MemoryRegion& region : memory_.Regions()) {
        if (region.writable || !options_.writable_only) {
          regions.push_back(std::move(region));
        }
      }
      if (regions.empty()) {
        Problem(0, fmt::format("{} lists no {}memory regions to scan (a gdb stub cannot list "
                               "them): give the ranges to scan",
                               memory_.Describe(), options_.writable_only ? "writable " : ""));
      }
    }
    std::sort(regions.begin(), regions.end(),
              [](const MemoryRegion& a, const MemoryRegion& b) { return a.start < b.start; });
    return regions;
  }

  // Reads |region| chunk by chunk. Consecutive chunks overlap by one node (rounded up to 8), and
  // a chunk keeps only the nodes that start before the next chunk does, so a node across a chunk
  // boundary is seen once, whole.
  void ScanRegion(const MemoryRegion& region) {
    if (region.end <= region.start) {
      return;
    }
    out_.regions_scanned++;
    buffer_.resize(chunk_);
    uint64_t pos = region.start;
    uint64_t covered = region.start;  // end of the bytes counted in bytes_scanned
    uint64_t skip = kFirstSkip;
    bool in_bad = false;
    uint64_t bad_start = 0;
    std::string bad_error;
    auto flush_bad = [&](uint64_t bad_end) {
      if (!in_bad) {
        return;
      }
      in_bad = false;
      if (range_problems_ >= kMaxRangeProblems) {
        skipped_ranges_++;
        return;
      }
      range_problems_++;
      Problem(bad_start,
              fmt::format("{:#x}..{:#x} ({}) is unreadable, skipped: {}", bad_start, bad_end,
                          region.name.empty() ? "anonymous" : region.name, bad_error));
    };
    while (pos < region.end) {
      if (out_.bytes_scanned >= options_.max_bytes) {
        flush_bad(pos);
        Problem(pos, fmt::format("scan stopped at {:#x}: {} bytes read, the limit", pos,
                                 out_.bytes_scanned));
        stop_ = true;
        return;
      }
      const uint64_t room =
          std::min<uint64_t>(region.end - pos, options_.max_bytes - out_.bytes_scanned);
      const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_, room));
      const ReadResult read = memory_.Read(pos, buffer_.data(), want);
      const size_t got = std::min(read.bytes, want);
      // Bytes of the target covered: the overlap read again is not counted twice.
      if (pos + got > covered) {
        out_.bytes_scanned += pos + got - std::max(pos, covered);
        covered = pos + got;
      }
      if (got > 0) {
        flush_bad(pos);
        skip = kFirstSkip;
      }
      uint64_t next;
      uint64_t accept_end;
      if (read.ok() && got == want) {
        const bool last = pos + want >= region.end || want <= overlap_;
        next = last ? pos + want : pos + want - overlap_;
        accept_end = next;
      } else {
        const uint64_t failed_at = pos + got;
        if (!in_bad) {
          in_bad = true;
          bad_start = failed_at;
          bad_error = read.ok() ? "short read" : read.error;
        }
        accept_end = failed_at;
        // Skip ahead from the failure to a page boundary, further after each failure in a row.
        const uint64_t target = (failed_at & ~(kFirstSkip - 1)) + skip;
        next = std::min<uint64_t>(std::max(target, failed_at + 1), region.end);
        if (got == 0) {
          skip = std::min<uint64_t>(skip * 2, chunk_);
        }
      }
      ScanChunk(buffer_.data(), got, pos, accept_end);
      if (stop_) {
        flush_bad(next);
        return;
      }
      pos = next;
    }
    flush_bad(region.end);
  }

  // Takes the candidates of |data| (|size| bytes read at |base|) that start below |accept_end|.
  void ScanChunk(const uint8_t* data, size_t size, uint64_t base, uint64_t accept_end) {
    const uint32_t canary = layout_.node_canary;
    // Nodes are aligned like the pointers that link them.
    const size_t first = static_cast<size_t>((ptr_ - base % ptr_) % ptr_);
    for (size_t offset = first; offset + node_size_ <= size; offset += ptr_) {
      if (base + offset >= accept_end) {
        break;
      }
      uint32_t value;
      memcpy(&value, data + offset + layout_.node_canary_offset, 4);
      if (value != canary) {
        continue;
      }
      const uint8_t* node = data + offset;
      Candidate c{base + offset, Load(node, node_size_, layout_.node_parent_offset, ptr_),
                  Load(node, node_size_, layout_.node_left_offset, ptr_),
                  Load(node, node_size_, layout_.node_right_offset, ptr_),
                  Load(node, node_size_, layout_.node_key_offset, 8)};
      if (!Sane(c)) {
        continue;
      }
      if (candidates_.size() >= max_nodes_) {
        Problem(c.address, fmt::format("more than {} candidate nodes: scan stopped at {:#x}",
                                       max_nodes_, c.address));
        stop_ = true;
        return;
      }
      candidates_.push_back(c);
    }
  }

  // Key aligned and in range; every link null, a node pointer, or the one sentinel of its tree.
  bool Sane(const Candidate& c) const {
    const uint64_t span = layout_.fanout * layout_.page_size;
    if (span != 0 && c.key % span != 0) {
      return false;
    }
    if (layout_.max_size != 0 && c.key >= layout_.max_size + span) {
      return false;
    }
    uint64_t sentinel = 0;
    for (uint64_t link : {c.parent, c.left, c.right}) {
      if (link == 0 || link % ptr_ == 0) {
        continue;
      }
      if (link % ptr_ != 1 || (sentinel != 0 && sentinel != link)) {
        return false;
      }
      sentinel = link;
    }
    return true;
  }

  // The index of the candidate at |address|, or kNone: an open-addressing table, because the
  // rebuild looks up three links per candidate and a binary search over millions of candidates
  // costs a cache miss per step.
  void BuildIndex() {
    size_t capacity = 16;
    while (capacity < 2 * candidates_.size()) {
      capacity *= 2;
    }
    index_.assign(capacity, kNone);
    for (size_t i = 0; i < candidates_.size(); i++) {
      size_t slot = Hash(candidates_[i].address);
      while (index_[slot] != kNone) {
        slot = (slot + 1) & (index_.size() - 1);
      }
      index_[slot] = static_cast<uint32_t>(i);
    }
  }

  size_t Hash(uint64_t address) const {
    return static_cast<size_t>(((address >> 3) * 0x9e3779b97f4a7c15ull) >> 20) &
           (index_.size() - 1);
  }

  uint32_t Find(uint64_t address) const {
    for (size_t slot = Hash(address);; slot = (slot + 1) & (index_.size() - 1)) {
      const uint32_t i = index_[slot];
      if (i == kNone || candidates_[i].address == address) {
        return i;
      }
    }
  }

  // Rebuilds the trees: each candidate's verified parent, the top each parent chain ends at,
  // then what each top is (a confirmed root, unattached, or an orphaned subtree).
  void Rebuild() {
    const size_t n = candidates_.size();
    BuildIndex();
    std::vector<uint32_t> parent(n, kNone);
    std::vector<uint8_t> referenced(n, 0);
    for (size_t i = 0; i < n; i++) {
      const Candidate& c = candidates_[i];
      if (IsNodeLink(c.parent)) {
        const uint32_t p = Find(c.parent);
        if (p != kNone && (candidates_[p].left == c.address || candidates_[p].right == c.address)) {
          parent[i] = p;
        }
      }
      for (uint64_t child : {c.left, c.right}) {
        if (IsNodeLink(child)) {
          const uint32_t k = Find(child);
          if (k != kNone) {
            referenced[k] = 1;
          }
        }
      }
    }

    // The top of every chain, memoized; a chain longer than kMaxChain (a cycle, or damage no
    // real tree has) ends at the node where it was cut, which is marked broken.
    constexpr uint32_t kWalking = kNone - 1;
    std::vector<uint32_t> top(n, kNone);
    std::vector<uint8_t> broken(n, 0);
    std::vector<uint32_t> chain;
    for (size_t i = 0; i < n; i++) {
      if (top[i] != kNone) {
        continue;
      }
      chain.clear();
      uint32_t cur = static_cast<uint32_t>(i);
      uint32_t end = kNone;
      for (;;) {
        if (top[cur] != kNone && top[cur] != kWalking) {
          end = top[cur];
          break;
        }
        if (top[cur] == kWalking || chain.size() >= kMaxChain) {
          end = cur;
          broken[cur] = 1;
          break;
        }
        top[cur] = kWalking;
        chain.push_back(cur);
        if (parent[cur] == kNone) {
          end = cur;
          break;
        }
        cur = parent[cur];
      }
      for (uint32_t link : chain) {
        top[link] = end;
      }
      top[end] = end;
    }
    std::vector<size_t> size(n, 0);
    for (size_t i = 0; i < n; i++) {
      size[top[i]]++;
    }

    std::vector<uint32_t> roots;  // tops whose parent link is a sentinel
    std::vector<uint64_t> lone;   // unattached candidates with every link null
    for (size_t i = 0; i < n; i++) {
      if (top[i] != i) {
        continue;
      }
      const Candidate& c = candidates_[i];
      if (broken[i]) {
        Problem(c.address, fmt::format("orphaned subtree: the parent links through node {:#x} "
                                       "({} nodes) run on for more than {} links (a cycle?)",
                                       c.address, size[i], kMaxChain));
      } else if (c.parent % ptr_ == 1) {
        roots.push_back(static_cast<uint32_t>(i));
      } else if (size[i] == 1 && c.parent == 0 && c.left == 0 && c.right == 0) {
        out_.unattached_nodes++;
        lone.push_back(c.address);
      } else if (size[i] == 1 && !referenced[i]) {
        out_.unattached_nodes++;  // a stale copy, or a leaf cut off from both sides
      } else {
        Problem(c.address,
                fmt::format("orphaned subtree: node {:#x} ({} nodes) has parent link {:#x}, "
                            "which {}",
                            c.address, size[i], c.parent,
                            c.parent == 0 ? "is null although the node has children or a parent "
                                            "links to it"
                                          : "is not a node that links back to it"));
      }
    }
    ConfirmRoots(roots, size, referenced);
    FindEmptySplices(lone);
  }

  // A root is taken when its tree header's root_ points back at it.
  void ConfirmRoots(const std::vector<uint32_t>& roots, const std::vector<size_t>& size,
                    const std::vector<uint8_t>& referenced) {
    std::vector<uint64_t> words(roots.size());
    std::vector<ReadRequest> requests;
    for (size_t r = 0; r < roots.size(); r++) {
      const uint64_t header = candidates_[roots[r]].parent & ~uint64_t{1};
      requests.push_back(ReadRequest{header + layout_.tree_root_offset, &words[r], 8});
    }
    const std::vector<ReadResult> results = memory_.ReadMany(requests);
    std::vector<uint64_t> headers;
    for (size_t r = 0; r < roots.size(); r++) {
      const uint32_t i = roots[r];
      const Candidate& c = candidates_[i];
      const uint64_t header = c.parent & ~uint64_t{1};
      if (results[r].ok() && words[r] == c.address) {
        headers.push_back(header);
        found_nodes_.push_back(size[i]);
        continue;
      }
      if (size[i] == 1 && !referenced[i]) {
        out_.unattached_nodes++;  // a stale copy of a root
        continue;
      }
      Problem(c.address,
              results[r].ok()
                  ? fmt::format("orphaned subtree: node {:#x} ({} nodes) names tree header {:#x} "
                                "as its parent, but that header's root_ is {:#x}: not taken as "
                                "a list",
                                c.address, size[i], header, words[r])
                  : fmt::format("orphaned subtree: node {:#x} ({} nodes) names tree header {:#x} "
                                "as its parent, which is unreadable: {}",
                                c.address, size[i], header, results[r].error));
    }
    Owners(headers);
  }

  // Splice list or page list: the object around each confirmed tree header.
  void Owners(const std::vector<uint64_t>& headers) {
    const bool splices = layout_.splice_size != 0 &&
                         layout_.splice_head_offset + node_size_ <= layout_.splice_size &&
                         layout_.splice_tail_offset + node_size_ <= layout_.splice_size;
    std::vector<std::vector<uint8_t>> objects(headers.size());
    std::vector<ReadRequest> requests;
    std::vector<size_t> request_of(headers.size(), SIZE_MAX);
    for (size_t h = 0; h < headers.size(); h++) {
      if (splices && headers[h] >= layout_.splice_middle_offset) {
        objects[h].resize(static_cast<size_t>(layout_.splice_size));
        request_of[h] = requests.size();
        requests.push_back(ReadRequest{headers[h] - layout_.splice_middle_offset, objects[h].data(),
                                       objects[h].size()});
      }
    }
    const std::vector<ReadResult> results = memory_.ReadMany(requests);
    for (size_t h = 0; h < headers.size(); h++) {
      if (request_of[h] != SIZE_MAX && results[request_of[h]].ok() &&
          InlineNodesIntact(objects[h])) {
        out_.lists.push_back(FoundList{headers[h] - layout_.splice_middle_offset,
                                       SnapshotListKind::kSpliceList, found_nodes_[h]});
      } else if (headers[h] >= layout_.list_tree_offset) {
        out_.lists.push_back(FoundList{headers[h] - layout_.list_tree_offset,
                                       SnapshotListKind::kPageList, found_nodes_[h]});
      }
    }
  }

  // The inline head and tail of a splice list: the canary, and links that are all null (they are
  // never in a tree).
  bool InlineNodesIntact(const std::vector<uint8_t>& object) const {
    for (uint64_t node : {layout_.splice_head_offset, layout_.splice_tail_offset}) {
      const uint8_t* data = object.data();
      const size_t size = object.size();
      if (Load(data, size, node + layout_.node_canary_offset, 4) != layout_.node_canary ||
          Load(data, size, node + layout_.node_parent_offset, ptr_) != 0 ||
          Load(data, size, node + layout_.node_left_offset, ptr_) != 0 ||
          Load(data, size, node + layout_.node_right_offset, ptr_) != 0) {
        return false;
      }
    }
    return true;
  }

  // Splice lists whose middle tree is empty: a lone head and a lone tail the right distance
  // apart, around an empty tree header that holds its own sentinel.
  void FindEmptySplices(const std::vector<uint64_t>& lone) {
    if (layout_.splice_size == 0 || layout_.splice_tail_offset <= layout_.splice_head_offset) {
      return;
    }
    const uint64_t gap = layout_.splice_tail_offset - layout_.splice_head_offset;
    const size_t header_size =
        static_cast<size_t>(std::max(layout_.tree_root_offset, layout_.tree_count_offset) + 8);
    if (header_size > 256) {
      return;
    }
    std::vector<uint64_t> objects;
    for (uint64_t head : lone) {
      if (head >= layout_.splice_head_offset &&
          std::binary_search(lone.begin(), lone.end(), head + gap)) {
        objects.push_back(head - layout_.splice_head_offset);
      }
    }
    std::vector<std::vector<uint8_t>> headers(objects.size(), std::vector<uint8_t>(header_size));
    std::vector<ReadRequest> requests;
    for (size_t i = 0; i < objects.size(); i++) {
      requests.push_back(
          ReadRequest{objects[i] + layout_.splice_middle_offset, headers[i].data(), header_size});
    }
    const std::vector<ReadResult> results = memory_.ReadMany(requests);
    for (size_t i = 0; i < objects.size(); i++) {
      const uint8_t* data = headers[i].data();
      const uint64_t sentinel = (objects[i] + layout_.splice_middle_offset) | 1;
      bool own_sentinel = false;
      for (size_t word = 0; word + ptr_ <= header_size; word += ptr_) {
        own_sentinel |= Load(data, header_size, word, ptr_) == sentinel;
      }
      const bool empty =
          Load(data, header_size, layout_.tree_root_offset, ptr_) == 0 &&
          Load(data, header_size, layout_.tree_count_offset, layout_.tree_count_size) == 0;
      const bool known =
          std::any_of(out_.lists.begin(), out_.lists.end(),
                      [&](const FoundList& list) { return list.address == objects[i]; });
      if (results[i].ok() && own_sentinel && empty && !known) {
        out_.lists.push_back(FoundList{objects[i], SnapshotListKind::kSpliceList, 0});
      }
    }
  }

  MemorySource& memory_;
  const DecodeLayout& layout_;
  const ScanOptions& options_;
  ScanResult& out_;
  size_t node_size_ = 0;
  uint64_t ptr_ = 8;  // the target's pointer size: link width and node alignment
  size_t overlap_ = 0;
  size_t chunk_ = 0;
  size_t max_nodes_ = 0;
  bool stop_ = false;
  size_t range_problems_ = 0;
  size_t skipped_ranges_ = 0;
  std::vector<uint8_t> buffer_;
  std::vector<Candidate> candidates_;  // sorted by address once the reading is done
  std::vector<uint32_t> index_;        // see BuildIndex
  std::vector<size_t> found_nodes_;    // per confirmed header, in ConfirmRoots' order
};

}  // namespace

ScanResult ScanForPageLists(MemorySource& memory, const DecodeLayout& layout,
                            const ScanOptions& options) {
  ScanResult result;
  Scanner(memory, layout, options, result).Run();
  return result;
}

Snapshot ScanSnapshot(MemorySource& memory, const DecodeLayout& layout, const ScanOptions& options,
                      ScanResult* result) {
  ScanResult scan = ScanForPageLists(memory, layout, options);
  Snapshot snapshot;
  snapshot.source = memory.Describe();
  for (const FoundList& found : scan.lists) {
    snapshot.lists.push_back(found.kind == SnapshotListKind::kSpliceList
                                 ? DecodeSpliceList(memory, found.address, layout)
                                 : DecodePageList(memory, found.address, layout));
  }
  snapshot.problems = scan.problems;
  if (result != nullptr) {
    *result = std::move(scan);
  }
  return snapshot;
}

}  // namespace vmpl::inspect
