// Snapshot helpers: problem counts, content digests and differences (see snapshot.h).

#include <fmt/format.h>
#include <vmpl/model/snapshot.h>

#include <algorithm>
#include <map>

namespace vmpl {

size_t Snapshot::problem_count() const {
  size_t n = problems.size();
  for (const SnapshotList& list : lists) {
    n += list.problems.size();
  }
  return n;
}

uint64_t ContentDigest(const std::vector<SnapshotList>& lists) {
  uint64_t hash = 0xcbf29ce484222325ull;
  auto mix = [&hash](uint64_t value) {
    for (int i = 0; i < 8; i++) {
      hash ^= (value >> (8 * i)) & 0xff;
      hash *= 0x100000001b3ull;
    }
  };
  // The order of fields is part of the digest's definition (FINAL_STATE chunks store digests).
  mix(lists.size());
  for (const SnapshotList& s : lists) {
    mix(s.registry_id);
    mix(s.name.size());
    for (char c : s.name) {
      mix(static_cast<unsigned char>(c));
    }
    mix(static_cast<uint64_t>(s.kind));
    mix(s.skew);
    mix(s.splice_offset);
    mix(s.splice_length);
    mix(s.splice_position);
    mix(s.splice_finalized ? 1 : 0);
    for (uint64_t raw : s.head.slots) {
      mix(raw);
    }
    for (uint64_t raw : s.tail.slots) {
      mix(raw);
    }
    mix(s.nodes.size());
    for (const SnapshotNode& node : s.nodes) {
      mix(node.key);
      for (uint64_t raw : node.slots) {
        mix(raw);
      }
    }
  }
  return hash;
}

namespace {

std::string FirstListDifference(const std::string& who, const SnapshotList& s,
                                const SnapshotList& t) {
  if (s.name != t.name) {
    return fmt::format("{}: name '{}' vs '{}'", who, s.name, t.name);
  }
  if (s.kind != t.kind) {
    return who + ": kind differs";
  }
  if (s.skew != t.skew) {
    return fmt::format("{}: skew {:#x} vs {:#x}", who, s.skew, t.skew);
  }
  if (s.splice_offset != t.splice_offset || s.splice_length != t.splice_length ||
      s.splice_position != t.splice_position || s.splice_finalized != t.splice_finalized) {
    return fmt::format(
        "{}: splice state (offset {:#x} length {:#x} position {:#x}{}) vs "
        "({:#x} {:#x} {:#x}{})",
        who, s.splice_offset, s.splice_length, s.splice_position,
        s.splice_finalized ? " finalized" : "", t.splice_offset, t.splice_length, t.splice_position,
        t.splice_finalized ? " finalized" : "");
  }
  auto slots_differ = [&](const std::string& where, const SnapshotNode& x,
                          const SnapshotNode& y) -> std::string {
    for (size_t i = 0; i < kSnapshotFanOut; i++) {
      if (x.slots[i] != y.slots[i]) {
        return fmt::format("{}: {} slot {}: {:#x} vs {:#x}", who, where, i, x.slots[i], y.slots[i]);
      }
    }
    return "";
  };
  if (std::string d = slots_differ("head", s.head, t.head); !d.empty()) {
    return d;
  }
  if (std::string d = slots_differ("tail", s.tail, t.tail); !d.empty()) {
    return d;
  }
  const size_t common = std::min(s.nodes.size(), t.nodes.size());
  for (size_t n = 0; n < common; n++) {
    if (s.nodes[n].key != t.nodes[n].key) {
      return fmt::format("{}: node {} at key {:#x} vs {:#x}", who, n, s.nodes[n].key,
                         t.nodes[n].key);
    }
    if (std::string d =
            slots_differ(fmt::format("node {:#x}", s.nodes[n].key), s.nodes[n], t.nodes[n]);
        !d.empty()) {
      return d;
    }
  }
  if (s.nodes.size() != t.nodes.size()) {
    return fmt::format("{}: {} nodes vs {}", who, s.nodes.size(), t.nodes.size());
  }
  return "";
}

}  // namespace

std::string DescribeFirstDifference(const std::vector<SnapshotList>& a,
                                    const std::vector<SnapshotList>& b) {
  std::map<uint64_t, const SnapshotList*> by_id_b;
  for (const SnapshotList& s : b) {
    by_id_b[s.registry_id] = &s;
  }
  for (const SnapshotList& s : a) {
    auto it = by_id_b.find(s.registry_id);
    const std::string who = fmt::format("list {} '{}'", s.registry_id, s.name);
    if (it == by_id_b.end()) {
      return who + ": only in the first state";
    }
    if (std::string d = FirstListDifference(who, s, *it->second); !d.empty()) {
      return d;
    }
  }
  if (a.size() != b.size()) {
    return fmt::format("{} lists vs {}", a.size(), b.size());
  }
  return "";
}

}  // namespace vmpl
