// RingEventStream (tui/include/vmpl/tui/ring_event_stream.h) on a real private ring fed by the
// core's trace hooks: events are shown only after the snapshot the stream asks for, resolve to
// the registered list they belong to with the slot's VMO offset (skew subtracted), and a ring
// that overflows is counted as lost and followed by a resync from a new snapshot.

#include <gtest/gtest.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>
#include <vmpl/registry.h>
#include <vmpl/trace.h>
#include <vmpl/trace_ring.h>
#include <vmpl/tui/event_log.h>
#include <vmpl/tui/ring_event_stream.h>

#include <memory>
#include <string>

namespace {

namespace trace = vmpl::trace;
using vmpl::tui::EventLog;
using vmpl::tui::RingEventStream;
using vmpl::tui::StreamEvent;

class RingEventStreamTest : public ::testing::Test {
 protected:
  void Start(uint64_t capacity) {
    trace::RingOptions options;
    options.shared = false;
    options.capacity = capacity;
    options.mode = trace::RingMode::kOverwrite;
    std::string error;
    ring_ = trace::Ring::Create(options, &error);
    ASSERT_TRUE(ring_) << error;
    std::unique_ptr<trace::RingReader> reader = trace::RingReader::AttachInProcess(*ring_, &error);
    ASSERT_TRUE(reader) << error;
    trace::Start(ring_.get());
    stream_ = std::make_unique<RingEventStream>(std::move(reader));
  }
  void TearDown() override {
    trace::Stop();
    trace::Arm(nullptr);
    list_.RemoveAllContent([](VmPageOrMarker&&) {});
  }

  // Stores markers into pages [first, first + count) of |list_|.
  void Mark(uint64_t first, uint64_t count) {
    for (uint64_t page = first; page < first + count; page++) {
      auto [slot, in_interval] =
          list_.LookupOrAllocate(page * PAGE_SIZE, VmPageList::IntervalHandling::NoIntervals);
      ASSERT_NE(slot, nullptr);
      *slot = VmPageOrMarker::Marker();
    }
  }

  std::unique_ptr<trace::Ring> ring_;
  std::unique_ptr<RingEventStream> stream_;
  VmPageList list_;
};

TEST_F(RingEventStreamTest, ShowsResolvedEventsOnlyAfterTheSnapshot) {
  Start(1 << 14);
  list_.InitializeSkew(0, 3 * PAGE_SIZE);
  vmpl::ScopedRegistration registration(&list_, "tui:ring-test");
  Mark(0, 4);  // before the snapshot: not shown

  EventLog log;
  EXPECT_EQ(stream_->Poll(log, 1 << 20), 0u);
  EXPECT_FALSE(stream_->synced());
  EXPECT_EQ(log.total(), 0u);

  ASSERT_TRUE(trace::ServiceRequests());  // the producer answers between mutations
  EXPECT_EQ(stream_->Poll(log, 1 << 20), 0u);
  EXPECT_TRUE(stream_->synced());
  EXPECT_EQ(log.total(), 0u) << "the snapshot's own records are not events";

  Mark(20, 1);
  EXPECT_EQ(stream_->Poll(log, 1 << 20), 0u);
  bool saw_store = false;
  for (size_t i = 0; i < log.size(); i++) {
    const StreamEvent& event = log.at(i);
    if (event.event.kind == trace::EventKind::kSlotStore && event.vmo_offset >= 0) {
      saw_store = true;
      EXPECT_EQ(event.list_address, reinterpret_cast<uintptr_t>(&list_));
      EXPECT_EQ(event.vmo_offset, 20 * static_cast<int64_t>(PAGE_SIZE));
    }
  }
  EXPECT_TRUE(saw_store);
  // Indexes count from the first shown event.
  EXPECT_EQ(log.at(0).index, 0u);
  EXPECT_EQ(stream_->events(), log.total());
}

TEST_F(RingEventStreamTest, CountsLossesAndResyncs) {
  Start(1 << 10);
  vmpl::ScopedRegistration registration(&list_, "tui:ring-overflow");
  EventLog log;
  stream_->Poll(log, 1 << 20);
  ASSERT_TRUE(trace::ServiceRequests());
  stream_->Poll(log, 1 << 20);
  ASSERT_TRUE(stream_->synced());
  const uint64_t requests = stream_->snapshot_requests();

  Mark(0, 4096);  // many more records than the ring holds
  const uint64_t lost = stream_->Poll(log, 1 << 20);
  EXPECT_GT(lost, 0u);
  EXPECT_FALSE(stream_->synced()) << "after a loss the stream waits for a new snapshot";
  EXPECT_EQ(stream_->snapshot_requests(), requests + 1);

  const uint64_t shown = log.total();
  Mark(5000, 1);  // not shown: the new snapshot has not come yet
  EXPECT_EQ(stream_->Poll(log, 1 << 20), 0u);
  EXPECT_EQ(log.total(), shown);
}

TEST_F(RingEventStreamTest, ResyncsCleanlyWhenTheSnapshotFits) {
  Start(1 << 14);
  vmpl::ScopedRegistration registration(&list_, "tui:ring-resync");
  EventLog log;
  stream_->Poll(log, 1 << 20);
  ASSERT_TRUE(trace::ServiceRequests());
  stream_->Poll(log, 1 << 20);
  ASSERT_TRUE(stream_->synced());

  Mark(0, 8192);  // overflows 16 Ki records
  EXPECT_GT(stream_->Poll(log, 1 << 20), 0u);
  ASSERT_FALSE(stream_->synced());
  list_.RemoveAllContent([](VmPageOrMarker&&) {});  // a small state to snapshot
  stream_->Poll(log, 1 << 20);  // drain the rest of the overflow
  ASSERT_TRUE(trace::ServiceRequests());
  const uint64_t before = log.total();
  EXPECT_EQ(stream_->Poll(log, 1 << 20), 0u);
  EXPECT_TRUE(stream_->synced());
  Mark(100, 1);
  EXPECT_EQ(stream_->Poll(log, 1 << 20), 0u);
  EXPECT_GT(log.total(), before);
  EXPECT_EQ(log.at(log.size() - 1).list_address, reinterpret_cast<uintptr_t>(&list_));
}

}  // namespace
