// The TUI's view of a target that is not us: a live process, a core file or a gdb stub, read
// with inspect's Target exactly as `vmpl inspect` reads it. A live process's events come from its
// shared ring when it has one (`vmpl sim --trace-shm`), else from its USDT probes through BPF;
// cores and stubs have none. A stub is hung up on after each frame is drawn, so what it stops (a
// kernel under QEMU) runs between refreshes.

#include <fmt/format.h>
#include <sys/types.h>
#include <vmpl/inspect/target.h>
#include <vmpl/trace_ring.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vmpl/tui/bpf_event_stream.h"
#include "vmpl/tui/ring_event_stream.h"
#include "vmpl/tui/source_factory.h"

namespace vmpl::tui {
namespace {

// Records read from a ring per poll: bounds the time one refresh spends on events.
constexpr size_t kMaxRecordsPerPoll = size_t{1} << 20;

class TargetSource final : public Source {
 public:
  TargetSource(const SourceOptions& options, std::unique_ptr<inspect::Target> target)
      : options_(options), target_(std::move(target)) {
    if (options.kind == SourceOptions::Kind::kPid) {
      std::string error;
      std::unique_ptr<trace::RingReader> reader =
          trace::RingReader::Attach(static_cast<pid_t>(options.target.pid), &error);
      if (reader) {
        events_ = std::make_unique<RingEventStream>(std::move(reader));
      } else if (!options.bpf_events) {
        events_status_ = fmt::format(
            "no event stream: {} (a vmpl program publishes one with `vmpl sim --trace-shm`)",
            error);
      } else {
        // No ring: the USDT probes, with BPF, need nothing from the target.
        inspect::BpfTracerOptions bpf;
        bpf.pid = options.target.pid;
        std::string bpf_error;
        if (auto tracer = inspect::BpfTracer::Attach(bpf, &bpf_error)) {
          bpf_events_ = std::make_unique<BpfEventStream>(std::move(tracer));
        } else {
          events_status_ = fmt::format(
              "no event stream: {}; and BPF: {} (a vmpl program publishes a ring with "
              "`vmpl sim --trace-shm`)",
              error, bpf_error);
        }
      }
    } else {
      events_status_ = options.kind == SourceOptions::Kind::kCore
                           ? "a core file holds no event stream"
                           : "a gdb stub gives no event stream";
    }
  }

  std::string Describe() const override {
    switch (options_.kind) {
      case SourceOptions::Kind::kPid:
        return fmt::format("pid {}", options_.target.pid);
      case SourceOptions::Kind::kCore:
        return fmt::format("core {}", options_.target.core);
      default:
        return fmt::format("remote {}", options_.target.remote);
    }
  }

  bool live() const override { return options_.kind != SourceOptions::Kind::kCore; }

  vmpl::Snapshot Read() override {
    target_->Refresh();
    inspect::TargetSnapshot read =
        inspect::ReadTargetSnapshot(*target_, options_.layout, options_.request);
    vmpl::Snapshot snapshot;
    if (read.snapshot) {
      snapshot = std::move(*read.snapshot);
    } else {
      snapshot.source = target_->memory().Describe();
      snapshot.problems.push_back({0, read.error});
    }
    if (!read.notice.empty()) {
      snapshot.problems.push_back({0, read.notice});
    }
    if (!target_->warning().empty()) {
      snapshot.problems.push_back({0, target_->warning()});
    }
    return snapshot;
  }

  uint64_t PollEvents(EventLog& log) override {
    if (bpf_events_) {
      return bpf_events_->Poll(log);
    }
    return events_ ? events_->Poll(log, kMaxRecordsPerPoll) : 0;
  }

  std::string EventsStatus() const override {
    if (events_ && !events_->synced()) {
      return "waiting for the target's snapshot (it answers between mutations)";
    }
    return events_status_;
  }

  void LetTargetRun() override { target_->Release(); }

  void ReadPages(vmpl::SnapshotList& list) override {
    inspect::DecodePages(target_->memory(), options_.layout, list);
  }

  uint64_t SlotAddress(const vmpl::SnapshotNode& node, int slot) const override {
    return node.address + options_.layout.node_slots_offset +
           static_cast<uint64_t>(slot) * options_.layout.slot_size;
  }

  std::optional<PageStruct> ReadPage(uint64_t address, std::string* error) override {
    const size_t size = options_.layout.page_struct_size;
    if (size == 0 || size > 4096) {
      *error = "the layout describes no vm_page_t";
      return std::nullopt;
    }
    std::vector<uint8_t> bytes(size);
    const inspect::ReadResult result = target_->memory().Read(address, bytes.data(), size);
    if (!result.ok()) {
      *error = result.error;
      return std::nullopt;
    }
    return DecodePageStruct(address, std::move(bytes), options_.layout);
  }

 private:
  SourceOptions options_;
  std::unique_ptr<inspect::Target> target_;
  std::unique_ptr<RingEventStream> events_;
  std::unique_ptr<BpfEventStream> bpf_events_;  // when the target has no ring
  std::string events_status_;
};

}  // namespace

PageStruct DecodePageStruct(uint64_t address, std::vector<uint8_t> bytes,
                            const inspect::DecodeLayout& layout) {
  // The decoder's reading of a vm_page_t, so that every view shows the same fields.
  const SnapshotPage fields = inspect::DecodePageFields(bytes.data(), bytes.size(), layout);
  PageStruct page;
  page.address = address;
  page.left_split = fields.left_split;
  page.right_split = fields.right_split;
  page.dirty_state = fields.dirty_state;
  page.has_paddr = layout.page_paddr_offset != inspect::DecodeLayout::kNoField;
  page.paddr = fields.paddr;
  page.bytes = std::move(bytes);
  return page;
}

std::unique_ptr<Source> OpenTargetSource(const SourceOptions& options, std::string* error) {
  inspect::TargetOptions target_options = options.target;
  // A stub keeps its target stopped while we are connected: hang up between refreshes, so a
  // kernel under QEMU runs and the view is live.
  target_options.release_between_reads = true;
  std::unique_ptr<inspect::Target> target = inspect::Target::Open(target_options, error);
  if (!target) {
    return nullptr;
  }
  return std::make_unique<TargetSource>(options, std::move(target));
}

}  // namespace vmpl::tui
