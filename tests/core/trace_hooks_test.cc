// The trace hooks (<vmpl/trace_hooks.h>, core/src/trace.cc): which events each mutation emits,
// with which fields, and that nothing is emitted while tracing is off. Events are read back
// through a real private ring (<vmpl/trace_ring.h>). The end-to-end property (a replay of every
// event rebuilds the exact state) is tested in tests/inspect/trace_replay_test.cc.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>
#include <vmpl/trace.h>
#include <vmpl/trace_ring.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace trace = vmpl::trace;
using trace::Event;
using trace::EventKind;
using trace::OpKind;

uintptr_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

class TraceHooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    trace::RingOptions options;
    options.shared = false;
    options.capacity = 1 << 12;
    options.mode = trace::RingMode::kDropNewest;
    std::string error;
    ring_ = trace::Ring::Create(options, &error);
    ASSERT_TRUE(ring_) << error;
    reader_ = trace::RingReader::AttachInProcess(*ring_, &error);
    ASSERT_TRUE(reader_) << error;
    trace::Start(ring_.get());
  }
  void TearDown() override {
    trace::Stop();
    trace::Arm(nullptr);
  }

  // Everything emitted since the last call.
  std::vector<Event> Take() {
    std::vector<trace::ReadRecord> records(4096);
    std::vector<Event> events;
    size_t n;
    while ((n = reader_->Read(records.data(), records.size())) != 0) {
      for (size_t i = 0; i < n; i++) {
        events.push_back(records[i].event);
      }
    }
    return events;
  }
  // The events of |kinds| only, in order.
  static std::vector<Event> Only(const std::vector<Event>& events,
                                 std::initializer_list<EventKind> kinds) {
    std::vector<Event> out;
    for (const Event& e : events) {
      for (EventKind k : kinds) {
        if (e.kind == k) {
          out.push_back(e);
        }
      }
    }
    return out;
  }
  static std::vector<EventKind> Kinds(const std::vector<Event>& events) {
    std::vector<EventKind> kinds;
    for (const Event& e : events) {
      kinds.push_back(e.kind);
    }
    return kinds;
  }

  std::unique_ptr<trace::Ring> ring_;
  std::unique_ptr<trace::RingReader> reader_;
};

TEST_F(TraceHooksTest, ListLifeCycleAndNodeAllocation) {
  auto list = std::make_unique<VmPageList>();
  const uintptr_t list_address = Addr(list.get());
  auto [slot, in_interval] =
      list->LookupOrAllocate(0x12000, VmPageList::IntervalHandling::NoIntervals);
  ASSERT_NE(slot, nullptr);
  *slot = VmPageOrMarker::Marker();
  list->RemoveAllContent([](VmPageOrMarker&&) {});
  list.reset();

  const std::vector<Event> events = Take();
  const std::vector<Event> structural =
      Only(events, {EventKind::kListCreate, EventKind::kNodeAlloc, EventKind::kNodeFree,
                    EventKind::kListDestroy});
  ASSERT_EQ(structural.size(), 4u);
  EXPECT_EQ(structural[0].kind, EventKind::kListCreate);
  EXPECT_EQ(structural[0].object, list_address);
  EXPECT_EQ(structural[0].arg[0], static_cast<uint64_t>(trace::ListKind::kPageList));
  EXPECT_EQ(structural[1].kind, EventKind::kNodeAlloc);
  EXPECT_EQ(structural[1].object, list_address);
  EXPECT_EQ(structural[1].arg[1], 0x10000u);  // the node's key
  EXPECT_EQ(structural[2].kind, EventKind::kNodeFree);
  EXPECT_EQ(structural[2].arg[0], structural[1].arg[0]);
  EXPECT_EQ(structural[3].kind, EventKind::kListDestroy);

  // The marker store names the slot inside the node: slot 2 of the node (0x12000 - 0x10000).
  const std::vector<Event> stores = Only(events, {EventKind::kSlotStore});
  const uint64_t slot_address =
      structural[1].arg[0] + vmpl::PageListAccess::kNodeSlotsOffset + 2 * sizeof(VmPageOrMarker);
  bool stored = false;
  bool cleared = false;
  for (const Event& e : stores) {
    if (e.object == slot_address && e.arg[0] == 0 && e.arg[1] == 1) {
      stored = true;
      EXPECT_NE(e.arg[2], 0u) << "a move names the temporary it came from";
    }
    if (e.object == slot_address && e.arg[0] == 1 && e.arg[1] == 0) {
      cleared = true;
    }
  }
  EXPECT_TRUE(stored);
  EXPECT_TRUE(cleared);

  // Operations are bracketed, and every event carries a timestamp and a CPU.
  const std::vector<Event> ops = Only(events, {EventKind::kOpBegin, EventKind::kOpEnd});
  ASSERT_GE(ops.size(), 4u);
  EXPECT_EQ(ops[0].kind, EventKind::kOpBegin);
  EXPECT_EQ(ops[0].aux, static_cast<uint32_t>(OpKind::kLookupOrAllocate));
  EXPECT_EQ(ops[0].arg[0], 0x12000u);
  for (size_t i = 1; i < events.size(); i++) {
    EXPECT_GE(events[i].timestamp, events[i - 1].timestamp);
    EXPECT_NE(events[i].cpu, 0xffff);
  }
}

TEST_F(TraceHooksTest, SkewRegistryAndNames) {
  VmPageList list;
  list.InitializeSkew(0, 0x3000);
  const std::string name = "longer than one 32-byte chunk of a kName event";
  const uint64_t id = vmpl::Registry::Register(&list, name);
  vmpl::Registry::Unregister(id);

  const std::vector<Event> events = Take();
  const std::vector<Event> skew = Only(events, {EventKind::kSkewSet});
  ASSERT_EQ(skew.size(), 1u);
  EXPECT_EQ(skew[0].arg[0], 0x3000u);
  const std::vector<Event> registry =
      Only(events, {EventKind::kRegister, EventKind::kName, EventKind::kUnregister});
  ASSERT_EQ(registry.size(), 4u);
  EXPECT_EQ(registry[0].arg[0], id);
  EXPECT_EQ(registry[0].arg[1], Addr(&list));
  std::string rebuilt;
  for (size_t i = 1; i <= 2; i++) {
    EXPECT_EQ(registry[i].kind, EventKind::kName);
    EXPECT_EQ(registry[i].object, id);
    EXPECT_EQ(registry[i].aux, rebuilt.size());
    char chunk[32];
    std::memcpy(chunk, registry[i].arg, sizeof(chunk));
    rebuilt.append(chunk, strnlen(chunk, sizeof(chunk)));
  }
  EXPECT_EQ(rebuilt, name);
  EXPECT_EQ(registry[3].kind, EventKind::kUnregister);
}

TEST_F(TraceHooksTest, IntervalOperationsEmitTheirMarkers) {
  VmPageList list;
  ASSERT_EQ(list.AddZeroInterval(0, 16 * PAGE_SIZE, VmPageOrMarker::IntervalDirtyState::Dirty),
            ZX_OK);
  auto [slot, in_interval] =
      list.LookupOrAllocate(5 * PAGE_SIZE, VmPageList::IntervalHandling::SplitInterval);
  ASSERT_NE(slot, nullptr);
  EXPECT_TRUE(in_interval);
  ASSERT_EQ(list.ClipIntervalStart(0, PAGE_SIZE), ZX_OK);
  list.RemoveAllContent([](VmPageOrMarker&&) {});

  const std::vector<Event> events = Take();
  const std::vector<Event> markers =
      Only(events, {EventKind::kIntervalAdd, EventKind::kIntervalSplit, EventKind::kIntervalClip});
  ASSERT_EQ(markers.size(), 3u);
  EXPECT_EQ(markers[0].kind, EventKind::kIntervalAdd);
  EXPECT_EQ(markers[0].arg[0], 0u);
  EXPECT_EQ(markers[0].arg[1], 15 * PAGE_SIZE);
  EXPECT_EQ(markers[1].kind, EventKind::kIntervalSplit);
  EXPECT_EQ(markers[1].arg[0], 5 * PAGE_SIZE);
  EXPECT_EQ(markers[2].kind, EventKind::kIntervalClip);
}

TEST_F(TraceHooksTest, TakePagesTransfersWholeNodesToTheSpliceList) {
  VmPageList list;
  vmpl::PageAllocator& allocator = vmpl::PageAllocator::Get();
  for (uint64_t offset = 0; offset < 48 * PAGE_SIZE; offset += PAGE_SIZE) {
    auto [slot, in_interval] =
        list.LookupOrAllocate(offset, VmPageList::IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    vm_page_t* page = nullptr;
    ASSERT_EQ(pmm_alloc_page(0, &page), ZX_OK);
    *slot = VmPageOrMarker::Page(page);
  }
  Take();
  {
    VmPageSpliceList splice = list.TakePages(8 * PAGE_SIZE, 32 * PAGE_SIZE);
    const std::vector<Event> events = Take();
    const std::vector<Event> transfers = Only(events, {EventKind::kNodeTransfer});
    ASSERT_EQ(transfers.size(), 1u);  // the node at 0x10000 moves whole
    EXPECT_EQ(transfers[0].arg[1], 0x10000u);
    EXPECT_EQ(transfers[0].arg[2], Addr(&list));
    EXPECT_EQ(Only(events, {EventKind::kSpliceFinalize}).size(), 1u);
    while (!splice.IsProcessed()) {
      VmPageOrMarker content = splice.Pop();
      if (content.IsPage()) {
        pmm_free_page(content.ReleasePage());
      }
    }
  }
  list.RemoveAllContent([](VmPageOrMarker&& content) {
    if (content.IsPage()) {
      pmm_free_page(content.ReleasePage());
    }
  });
  (void)allocator;
}

TEST_F(TraceHooksTest, NothingWhileStoppedAndOneSnapshotOnRequest) {
  trace::Stop();
  VmPageList list;
  auto [slot, in_interval] = list.LookupOrAllocate(0, VmPageList::IntervalHandling::NoIntervals);
  ASSERT_NE(slot, nullptr);
  *slot = VmPageOrMarker::Marker();
  EXPECT_TRUE(Take().empty());

  // Armed: a reader's request switches tracing on and writes the registered lists.
  trace::Arm(ring_.get());
  vmpl::ScopedRegistration registration(&list, "snapshotted");
  EXPECT_FALSE(trace::ServiceRequests());
  reader_->RequestSnapshot();
  EXPECT_TRUE(trace::ServiceRequests());
  EXPECT_FALSE(trace::ServiceRequests());
  const std::vector<Event> events = Take();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, EventKind::kSnapshotBegin);
  EXPECT_EQ(events.back().kind, EventKind::kSnapshotEnd);
  const std::vector<Event> stores = Only(events, {EventKind::kSlotStore});
  ASSERT_EQ(stores.size(), 1u);
  EXPECT_EQ(stores[0].object, Addr(slot));
  EXPECT_EQ(stores[0].arg[1], 1u);
  list.RemoveAllContent([](VmPageOrMarker&&) {});
}

}  // namespace
