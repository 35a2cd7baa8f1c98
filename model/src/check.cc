// vmpl::CheckList: every invariant of a snapshot list (see check.h). Works on data only, so a list
// read from a damaged target is judged without touching it again.

#include <fmt/format.h>
#include <vmpl/model/check.h>
#include <vmpl/model/entries.h>
#include <vmpl/model/slot.h>

namespace vmpl {
namespace {

constexpr uint32_t kNodeCanary = 0x504c5354;  // fbl::magic("PLST"), as the node stores it

class Reporter {
 public:
  Reporter(std::vector<Violation>& out, const CheckOptions& options)
      : options(options), out_(out) {}
  const CheckOptions& options;
  void Add(Violation::Kind kind, uint64_t address, std::string message) {
    out_.push_back(Violation{kind, address, 0, false, std::move(message)});
  }
  void AddAt(Violation::Kind kind, uint64_t address, uint64_t offset, std::string message) {
    out_.push_back(Violation{kind, address, offset, true, std::move(message)});
  }

 private:
  std::vector<Violation>& out_;
};

void CheckSkew(uint64_t skew, uint64_t address, Reporter& report) {
  if (skew >= kSnapshotNodeSpan || skew % kSnapshotPageSize != 0) {
    report.Add(Violation::Kind::kSkew, address,
               fmt::format("list_skew_ {:#x} is not a page multiple below 64 KiB", skew));
  }
}

// The slot's encoding on its own, and this generation's rule that zero intervals are Dirty.
void CheckEncoding(uint64_t raw, uint64_t node, uint64_t offset, Reporter& report) {
  for (std::string& problem : SlotEncodingProblems(raw)) {
    report.AddAt(Violation::Kind::kSlot, node, offset, std::move(problem));
  }
  const DecodedSlot slot = DecodeRawSlot(raw);
  if (slot.kind == SlotKind::kInterval &&
      (slot.dirty == SlotDirtyState::kUntracked || slot.dirty == SlotDirtyState::kClean)) {
    report.AddAt(Violation::Kind::kSlot, node, offset,
                 fmt::format("zero interval dirty state {} cannot be created (only Dirty)",
                             SlotDirtyStateName(slot.dirty)));
  }
}

void CheckCanary(const SnapshotNode& node, const char* what, Reporter& report) {
  if (report.options.canaries && node.canary != kNodeCanary) {
    report.Add(
        Violation::Kind::kNode, node.address,
        fmt::format("{}canary is {:#x}, expected {:#x} (PLST)", what, node.canary, kNodeCanary));
  }
}

void CheckNodeFields(const SnapshotNode& node, Reporter& report) {
  CheckCanary(node, "", report);
  if (node.key % kSnapshotNodeSpan != 0) {
    report.Add(Violation::Kind::kNode, node.address,
               fmt::format("node offset {:#x} is not a multiple of 64 KiB", node.key));
  }
  if (node.key >= kSnapshotMaxSize) {
    report.Add(Violation::Kind::kNode, node.address,
               fmt::format("node offset {:#x} is not below MAX_SIZE", node.key));
  }
}

// Interval sentinels in offset order: pairing, content inside, awaiting-clean placement,
// maximality.
class IntervalTracker {
 public:
  explicit IntervalTracker(Reporter& report) : report_(report) {}

  void OnSlot(const DecodedSlot& slot, uint64_t node, uint64_t offset) {
    if (slot.kind != SlotKind::kInterval) {
      if (open_) {
        report_.AddAt(Violation::Kind::kInterval, node, offset,
                      fmt::format("content {:#x} inside the interval that starts at {:#x}",
                                  slot.raw, open_start_));
      }
      return;
    }
    if (slot.sentinel == SlotSentinel::kEnd && slot.awaiting_clean != 0) {
      report_.AddAt(
          Violation::Kind::kInterval, node, offset,
          fmt::format("interval End carries an awaiting-clean length {:#x}", slot.awaiting_clean));
    }
    if (slot.sentinel != SlotSentinel::kEnd && slot.awaiting_clean != 0 &&
        slot.dirty != SlotDirtyState::kDirty) {
      report_.AddAt(Violation::Kind::kInterval, node, offset,
                    "awaiting-clean length on an interval that is not Dirty");
    }
    if (slot.sentinel == SlotSentinel::kStart || slot.sentinel == SlotSentinel::kSlot) {
      if (open_) {
        report_.AddAt(
            Violation::Kind::kInterval, node, offset,
            fmt::format("{} inside the interval that starts at {:#x}",
                        slot.sentinel == SlotSentinel::kStart ? "Start" : "Slot", open_start_));
        open_ = false;
      }
      CheckMaximal(node, offset, slot.dirty);
      if (slot.sentinel == SlotSentinel::kStart) {
        open_ = true;
        open_start_ = offset;
        open_state_ = slot.dirty;
      } else {
        Closed(offset, slot.dirty);
      }
    } else if (slot.sentinel == SlotSentinel::kEnd) {
      if (!open_) {
        report_.AddAt(Violation::Kind::kInterval, node, offset,
                      "interval End with no Start before it");
      } else if (slot.dirty != open_state_) {
        report_.AddAt(Violation::Kind::kInterval, node, offset,
                      fmt::format("interval End dirty state {} differs from its Start's ({}) at "
                                  "{:#x}",
                                  SlotDirtyStateName(slot.dirty), SlotDirtyStateName(open_state_),
                                  open_start_));
      }
      open_ = false;
      Closed(offset, slot.dirty);
    }
  }

  void Finish(uint64_t list) {
    if (open_) {
      report_.AddAt(Violation::Kind::kInterval, list, open_start_,
                    "interval Start with no End after it");
    }
  }

 private:
  void CheckMaximal(uint64_t node, uint64_t offset, SlotDirtyState state) {
    if (has_last_end_ && last_end_ + kSnapshotPageSize == offset && last_state_ == state) {
      report_.AddAt(Violation::Kind::kMaximal, node, offset,
                    fmt::format("interval starting here touches the one ending at {:#x} with the "
                                "same dirty state: they should be one interval",
                                last_end_));
    }
  }
  void Closed(uint64_t offset, SlotDirtyState state) {
    has_last_end_ = true;
    last_end_ = offset;
    last_state_ = state;
  }

  Reporter& report_;
  bool open_ = false;
  uint64_t open_start_ = 0;
  SlotDirtyState open_state_ = SlotDirtyState::kUntracked;
  bool has_last_end_ = false;
  uint64_t last_end_ = 0;
  SlotDirtyState last_state_ = SlotDirtyState::kUntracked;
};

void CheckPageList(const SnapshotList& list, Reporter& report) {
  CheckSkew(list.skew, list.address, report);
  IntervalTracker intervals(report);
  for (const SnapshotNode& node : list.nodes) {
    CheckNodeFields(node, report);
    bool empty = true;
    for (size_t i = 0; i < kSnapshotFanOut; i++) {
      const uint64_t raw = node.slots[i];
      if (raw == 0) {
        continue;
      }
      empty = false;
      const uint64_t skewed = node.key + i * kSnapshotPageSize;
      const uint64_t offset = skewed - list.skew;
      if (skewed < list.skew) {
        report.Add(Violation::Kind::kSlot, node.address,
                   fmt::format("slot {} lies before offset 0 of the list", i));
      }
      CheckEncoding(raw, node.address, offset, report);
      intervals.OnSlot(DecodeRawSlot(raw), node.address, offset);
    }
    if (empty) {
      report.Add(Violation::Kind::kNode, node.address,
                 fmt::format("node at {:#x} is empty", node.key));
    }
  }
  intervals.Finish(list.address);
}

void CheckSpliceList(const SnapshotList& list, Reporter& report) {
  const uint64_t offset = list.splice_offset;
  const uint64_t length = list.splice_length;
  const uint64_t pos = list.splice_position;
  if (list.skew >= kSnapshotNodeSpan || list.skew % kSnapshotPageSize != 0) {
    report.Add(Violation::Kind::kSkew, list.address,
               fmt::format("list_skew_ {:#x} is out of range", list.skew));
  }
  if (offset % kSnapshotPageSize != 0 || length % kSnapshotPageSize != 0) {
    report.Add(Violation::Kind::kSplice, list.address,
               fmt::format("offset {:#x} or length {:#x} is not page aligned", offset, length));
  }
  if (pos > length) {
    report.Add(Violation::Kind::kSplice, list.address,
               fmt::format("position {:#x} is past the length {:#x}", pos, length));
  }

  // Entries already popped (finalized) or not yet appended (not finalized) must be empty.
  auto check_entry = [&](uint64_t raw, uint64_t node, uint64_t entry_offset) {
    if (raw == 0) {
      return;
    }
    CheckEncoding(raw, node, entry_offset, report);
    if (DecodeRawSlot(raw).kind == SlotKind::kInterval) {
      report.AddAt(Violation::Kind::kSplice, node, entry_offset,
                   "splice list holds an interval sentinel");
    }
    if (entry_offset < offset || entry_offset - offset >= length) {
      report.AddAt(Violation::Kind::kSplice, node, entry_offset,
                   fmt::format("entry lies outside the list's range [{:#x}, {:#x})", offset,
                               offset + length));
    } else if (list.splice_finalized && entry_offset < offset + pos) {
      report.AddAt(Violation::Kind::kSplice, node, entry_offset,
                   fmt::format("entry before the position {:#x} was not popped", pos));
    } else if (!list.splice_finalized && entry_offset >= offset + pos) {
      report.AddAt(Violation::Kind::kSplice, node, entry_offset,
                   fmt::format("entry at or after the append position {:#x}", pos));
    }
  };
  auto check_node = [&](const SnapshotNode& node, uint64_t key) {
    for (size_t i = 0; i < kSnapshotFanOut; i++) {
      check_entry(node.slots[i], node.address, key + i * kSnapshotPageSize - list.skew);
    }
  };
  auto is_empty = [](const SnapshotNode& node) {
    for (uint64_t raw : node.slots) {
      if (raw != 0) {
        return false;
      }
    }
    return true;
  };

  const uint64_t first_node = InlineNodeBase(list, NodePart::kHead);
  const uint64_t end_node = InlineNodeBase(list, NodePart::kTail);
  const bool has_head = (offset + list.skew) % kSnapshotNodeSpan != 0;
  const bool head_is_tail = has_head && first_node == end_node;
  CheckCanary(list.head, "head ", report);
  CheckCanary(list.tail, "tail ", report);
  check_node(list.head, first_node);
  if (!head_is_tail) {
    check_node(list.tail, end_node);
  } else if (!is_empty(list.tail)) {
    report.Add(Violation::Kind::kSplice, list.tail.address,
               "tail holds entries although the whole range fits in the head");
  }
  if (!has_head && !is_empty(list.head)) {
    report.Add(Violation::Kind::kSplice, list.head.address,
               "head holds entries although the range starts on a node boundary");
  }
  for (const SnapshotNode& node : list.nodes) {
    CheckCanary(node, "", report);
    if (node.key % kSnapshotNodeSpan != 0 ||
        node.key < first_node + (has_head ? kSnapshotNodeSpan : 0) || node.key >= end_node) {
      report.Add(
          Violation::Kind::kSplice, node.address,
          fmt::format("middle node key {:#x} is misaligned or outside the middle range", node.key));
    }
    check_node(node, node.key);
  }
}

}  // namespace

const char* ViolationKindName(Violation::Kind kind) {
  switch (kind) {
    case Violation::Kind::kTree:
      return "tree";
    case Violation::Kind::kNode:
      return "node";
    case Violation::Kind::kSkew:
      return "skew";
    case Violation::Kind::kSlot:
      return "slot";
    case Violation::Kind::kInterval:
      return "interval";
    case Violation::Kind::kMaximal:
      return "maximal";
    case Violation::Kind::kSplice:
      return "splice";
  }
  return "unknown";
}

std::string Violation::ToString() const {
  std::string text = fmt::format("{}: at {:#x}", ViolationKindName(kind), address);
  if (has_offset) {
    text += fmt::format(" offset {:#x}", offset);
  }
  return text + ": " + message;
}

std::vector<Violation> CheckList(const SnapshotList& list, const CheckOptions& options) {
  std::vector<Violation> violations;
  Reporter report(violations, options);
  if (list.kind == SnapshotListKind::kSpliceList) {
    CheckSpliceList(list, report);
  } else {
    CheckPageList(list, report);
  }
  return violations;
}

SnapshotProblem ProblemOf(const Violation& violation) {
  const std::string where =
      violation.has_offset ? fmt::format(" offset {:#x}", violation.offset) : "";
  return SnapshotProblem{violation.address,
                         fmt::format("{}: node {:#x}{}: {}", ViolationKindName(violation.kind),
                                     violation.address, where, violation.message)};
}

void CheckSnapshotList(SnapshotList& list, const CheckOptions& options) {
  for (const Violation& violation : CheckList(list, options)) {
    list.problems.push_back(ProblemOf(violation));
  }
}

void CheckSnapshot(Snapshot& snapshot, const CheckOptions& options) {
  for (SnapshotList& list : snapshot.lists) {
    CheckSnapshotList(list, options);
  }
}

}  // namespace vmpl
