// Traces for the tests of the trace analysis (report, rate plot, exports), made two ways:
//   - HandTrace: records written one by one with TraceWriter, at addresses laid out like this
//     build's page lists, so every count a test expects follows from the records it wrote;
//   - Recording: real page-list operations in this process, through the trace hooks, a private
//     ring and a TraceRecorder, the way `vmpl sim --trace` records.
// Header-only; shared by trace_report_test.cc, trace_timeline_test.cc and trace_export_test.cc.

#ifndef VMPL_TESTS_INSPECT_TRACE_TEST_TRACES_H_
#define VMPL_TESTS_INSPECT_TRACE_TEST_TRACES_H_

#include <gtest/gtest.h>
#include <string.h>
#include <unistd.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_recorder.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace.h>
#include <vmpl/trace_event.h>
#include <vmpl/trace_ring.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vmpl::testing {

namespace trace = ::vmpl::trace;
using trace::EventKind;
using trace::FileRecord;
using trace::OpKind;

// A file name in the test's temporary directory, unique per process and tag.
inline std::string TempTracePath(const std::string& tag) {
  return ::testing::TempDir() + "vmpl_trace_analysis_" + tag + "_" + std::to_string(getpid()) +
         ".vmpltrace";
}

// Raw slot values as VmPageOrMarker encodes them (low two bits: 00 page, 01 marker,
// 10 reference, 11 interval; an interval's bits 2..3: 00 slot, 01 start, 10 end sentinel).
inline constexpr uint64_t kPageRaw = 0x10000;  // a page pointer
inline constexpr uint64_t kMarkerRaw = 0b01;
inline constexpr uint64_t kReferenceRaw = 0x20002;
inline constexpr uint64_t kIntervalRaw = 0b0011;  // the slot sentinel of a one-page interval
inline constexpr uint64_t kIntervalStartRaw = 0b0111;
inline constexpr uint64_t kIntervalEndRaw = 0b1011;

// Addresses of two list objects, and of nodes: far apart, inside no list object.
inline constexpr uint64_t kListA = 0x100000;
inline constexpr uint64_t kListB = 0x200000;
inline constexpr uint64_t Node(int i) { return 0x1000000 + static_cast<uint64_t>(i) * 0x1000; }
inline constexpr uint64_t kNodeSpan = 16 * 4096;  // bytes of VMO a node covers

class HandTrace {
 public:
  HandTrace() {
    info_ = trace::TraceInfo::ForThisProcess("hand", "1");
    info_.pid = 4242;
    info_.clock.name = "monotonic";
    info_.clock.ticks_per_second = 1e9;  // ticks are nanoseconds
    info_.clock.base_ticks = 0;
    info_.clock.base_monotonic_ns = 0;
    info_.layout = inspect::BuiltinTraceLayout();
  }

  trace::TraceInfo& info() { return info_; }
  const trace::TraceLayout& layout() const { return info_.layout; }

  // Ticks between consecutive records (the default clock makes them nanoseconds).
  uint64_t step = 1000;
  uint64_t now = 1'000'000;
  uint32_t producer = 0;

  FileRecord& Add(EventKind kind, uint64_t object, uint32_t aux = 0, uint64_t a0 = 0,
                  uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
    FileRecord record{};
    record.producer = producer;
    record.event.timestamp = now;
    now += step;
    record.event.object = object;
    record.event.kind = kind;
    record.event.cpu = 0;
    record.event.aux = aux;
    record.event.arg[0] = a0;
    record.event.arg[1] = a1;
    record.event.arg[2] = a2;
    record.event.arg[3] = a3;
    (in_snapshot_ ? snapshot_ : events_).push_back(record);
    return (in_snapshot_ ? snapshot_ : events_).back();
  }

  // Records added between these go to SNAPSHOT chunks.
  void BeginSnapshot() { in_snapshot_ = true; }
  void EndSnapshot() { in_snapshot_ = false; }

  uint64_t SlotAddress(uint64_t node, int index) const {
    return node + layout().node_slots_offset + static_cast<uint64_t>(index) * layout().slot_size;
  }

  void CreateList(uint64_t list) {
    Add(EventKind::kListCreate, list, 0, static_cast<uint64_t>(trace::ListKind::kPageList));
  }
  void CreateSpliceList(uint64_t list, uint64_t offset, uint64_t length) {
    Add(EventKind::kListCreate, list, 0, static_cast<uint64_t>(trace::ListKind::kSpliceList),
        offset, length);
  }
  void DestroyList(uint64_t list) { Add(EventKind::kListDestroy, list); }
  // Registers |list| as |id| with |name| (at most 32 bytes here: one name chunk).
  void Register(uint64_t list, uint64_t id, const std::string& name) {
    Add(EventKind::kRegister, 0, 0, id, list, static_cast<uint64_t>(trace::ListKind::kPageList));
    uint64_t chunk[4] = {0, 0, 0, 0};
    memcpy(chunk, name.data(), std::min(name.size(), sizeof(chunk)));
    Add(EventKind::kName, id, 0, chunk[0], chunk[1], chunk[2], chunk[3]);
  }
  void AllocNode(uint64_t list, uint64_t node, uint64_t offset) {
    Add(EventKind::kNodeAlloc, list, 0, node, offset);
  }
  void FreeNode(uint64_t list, uint64_t node, uint64_t offset) {
    Add(EventKind::kNodeFree, list, 0, node, offset);
  }
  void TransferNode(uint64_t to, uint64_t node, uint64_t offset, uint64_t from) {
    Add(EventKind::kNodeTransfer, to, 0, node, offset, from);
  }
  void Store(uint64_t slot, uint64_t old_raw, uint64_t new_raw, uint64_t moved_from = 0) {
    Add(EventKind::kSlotStore, slot, 0, old_raw, new_raw, moved_from);
  }
  void OpBegin(uint64_t list, OpKind op, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0) {
    Add(EventKind::kOpBegin, list, static_cast<uint32_t>(op), a0, a1, a2);
  }
  void OpEnd(uint64_t list, OpKind op) { Add(EventKind::kOpEnd, list, static_cast<uint32_t>(op)); }

  // Writes the file (LOSSES if given; END unless |finish| is false) and opens it.
  std::unique_ptr<trace::TraceReader> Write(const std::string& path,
                                            std::optional<trace::LossTable> losses = std::nullopt,
                                            bool finish = true) {
    std::string error;
    trace::TraceWriterOptions options;
    options.records_per_chunk = 64;  // several chunks even for small traces
    {
      std::unique_ptr<trace::TraceWriter> writer =
          trace::TraceWriter::Create(path, info_, options, &error);
      EXPECT_TRUE(writer) << error;
      if (!writer) {
        return nullptr;
      }
      EXPECT_TRUE(writer->AppendSnapshot(snapshot_.data(), snapshot_.size())) << writer->error();
      EXPECT_TRUE(writer->AppendEvents(events_.data(), events_.size())) << writer->error();
      if (losses) {
        EXPECT_TRUE(writer->WriteLosses(*losses)) << writer->error();
      }
      if (finish) {
        EXPECT_TRUE(writer->Finish()) << writer->error();
      }
    }
    std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(path, &error);
    EXPECT_TRUE(reader) << error;
    return reader;
  }

  const std::vector<FileRecord>& events() const { return events_; }

 private:
  trace::TraceInfo info_;
  bool in_snapshot_ = false;
  std::vector<FileRecord> snapshot_;
  std::vector<FileRecord> events_;
};

// Real page-list operations of this process, recorded into |path| through a private ring, the
// way `vmpl sim --trace` records. With |start_now| false the ring is only armed: nothing is
// recorded until RequestSnapshot() and the next trace::ServiceRequests().
class Recording {
 public:
  explicit Recording(const std::string& path, bool start_now = true) : path_(path) {
    trace::RingOptions options;
    options.shared = false;
    options.capacity = uint64_t{1} << 18;
    options.mode = trace::RingMode::kDropNewest;
    options.clock = trace::MeasureClock();
    std::string error;
    ring_ = trace::Ring::Create(options, &error);
    EXPECT_TRUE(ring_) << error;
    reader_ = trace::RingReader::AttachInProcess(*ring_, &error);
    EXPECT_TRUE(reader_) << error;
    trace::TraceInfo info = trace::TraceInfo::ForThisProcess("trace_analysis_test", "0");
    info.layout = inspect::BuiltinTraceLayout();
    recorder_ = inspect::TraceRecorder::Create(*reader_, path, info, &error);
    EXPECT_TRUE(recorder_) << error;
    if (start_now) {
      trace::Start(ring_.get());
      trace::WriteSnapshot();
    } else {
      trace::Arm(ring_.get());
    }
  }
  ~Recording() {
    trace::Stop();
    trace::Arm(nullptr);
    std::remove(path_.c_str());
  }
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;

  // Moves what the ring holds into the file; call at least every few thousand mutations.
  void Drain() { ASSERT_GE(recorder_->Drain(), 0) << recorder_->error(); }
  void RequestSnapshot() { reader_->RequestSnapshot(); }
  inspect::TraceRecorder& recorder() { return *recorder_; }
  const std::string& path() const { return path_; }
  // Stops tracing, completes the file and opens it.
  std::unique_ptr<trace::TraceReader> Finish() {
    trace::Stop();
    Drain();
    EXPECT_TRUE(recorder_->Finish()) << recorder_->error();
    EXPECT_EQ(recorder_->Losses().Totals().total(), 0u);
    std::string error;
    std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(path_, &error);
    EXPECT_TRUE(reader) << error;
    return reader;
  }

 private:
  std::string path_;
  std::unique_ptr<trace::Ring> ring_;
  std::unique_ptr<trace::RingReader> reader_;
  std::unique_ptr<inspect::TraceRecorder> recorder_;
};

}  // namespace vmpl::testing

#endif  // VMPL_TESTS_INSPECT_TRACE_TEST_TRACES_H_
