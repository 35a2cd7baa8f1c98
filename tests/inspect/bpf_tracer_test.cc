// BpfTracer (inspect/include/vmpl/inspect/bpf_tracer.h) attached with real BPF programs to this
// test process's own `vmpl` USDT probes: events arrive as trace::Event with the payloads the
// hooks give, and the kernel-side filters (kinds, one list, an offset range) let through exactly
// the events they should, following the list's nodes from their allocation. Skipped, with the
// reason, only where the kernel refuses BPF.

#include <gtest/gtest.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/bpf_tracer.h>
#include <vmpl/page_list_access.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using vmpl::inspect::BpfTracer;
using vmpl::inspect::BpfTracerOptions;
using vmpl::trace::Event;
using vmpl::trace::EventKind;

uint64_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

std::unique_ptr<BpfTracer> AttachOrSkip(BpfTracerOptions options, std::string* why) {
  options.pid = getpid();
  std::unique_ptr<BpfTracer> tracer = BpfTracer::Attach(options, why);
  return tracer;
}

// True if |error| says the kernel refused BPF itself (permission, or no support), the one
// reason to skip rather than fail.
bool KernelRefused(const std::string& error) {
  return error.find("not permitted") != std::string::npos ||
         error.find("not supported") != std::string::npos ||
         error.find("not implemented") != std::string::npos;
}

#define ATTACH_OR_SKIP(tracer, options)                                     \
  std::string attach_error;                                                 \
  std::unique_ptr<BpfTracer> tracer = AttachOrSkip(options, &attach_error); \
  if (!tracer && KernelRefused(attach_error)) {                             \
    GTEST_SKIP() << "the kernel refuses BPF here: " << attach_error;        \
  }                                                                         \
  ASSERT_TRUE(tracer) << attach_error

// Markers into pages [first, first + count) of |list|.
void Mark(VmPageList& list, uint64_t first, uint64_t count) {
  for (uint64_t page = first; page < first + count; page++) {
    auto [slot, in_interval] =
        list.LookupOrAllocate(page * PAGE_SIZE, VmPageList::IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    *slot = VmPageOrMarker::Marker();
  }
}

std::vector<Event> Drain(BpfTracer& tracer) {
  std::vector<Event> events;
  EXPECT_GE(tracer.Poll(0, [&](const Event& e) { events.push_back(e); }), 0) << tracer.error();
  return events;
}

// The slots of every node of |list|, by address.
std::set<uint64_t> SlotAddresses(const VmPageList& list) {
  std::set<uint64_t> slots;
  for (const VmPageListNode& node : vmpl::PageListAccess::nodes(list)) {
    for (size_t i = 0; i < VmPageListNode::kPageFanOut; i++) {
      slots.insert(Addr(&vmpl::PageListAccess::slot(node, i)));
    }
  }
  return slots;
}

TEST(BpfTracerTest, DeliversTheHooksEvents) {
  ATTACH_OR_SKIP(tracer, BpfTracerOptions{});
  VmPageList list;
  Mark(list, 3, 1);
  const std::vector<Event> events = Drain(*tracer);
  bool saw_alloc = false;
  bool saw_store = false;
  for (const Event& e : events) {
    if (e.kind == EventKind::kNodeAlloc && e.object == Addr(&list)) {
      saw_alloc = true;
      EXPECT_EQ(e.arg[1], 0u);  // the node's offset
    }
    if (e.kind == EventKind::kSlotStore && e.arg[1] == 0b01 && SlotAddresses(list).count(e.object)) {
      saw_store = true;
      EXPECT_EQ(e.arg[0], 0u);  // old raw: empty
    }
  }
  EXPECT_TRUE(saw_alloc);
  EXPECT_TRUE(saw_store);
  EXPECT_EQ(tracer->lost(), 0u);
  list.RemoveAllContent([](VmPageOrMarker&&) {});
}

TEST(BpfTracerTest, KindFilter) {
  BpfTracerOptions options;
  options.kind_mask = uint64_t{1} << static_cast<int>(EventKind::kNodeAlloc);
  ATTACH_OR_SKIP(tracer, options);
  VmPageList list;
  Mark(list, 0, 40);
  const std::vector<Event> events = Drain(*tracer);
  EXPECT_EQ(events.size(), 3u);  // 40 pages: three nodes
  for (const Event& e : events) {
    EXPECT_EQ(e.kind, EventKind::kNodeAlloc);
  }
  list.RemoveAllContent([](VmPageOrMarker&&) {});
}

TEST(BpfTracerTest, ListAndOffsetFiltersFollowTheListsNodes) {
  VmPageList followed;
  VmPageList other;
  BpfTracerOptions options;
  options.list = Addr(&followed);
  options.offset_lo = 16 * PAGE_SIZE;  // the second node on
  options.offset_hi = 48 * PAGE_SIZE;  // up to the third
  ATTACH_OR_SKIP(tracer, options);
  Mark(followed, 0, 64);  // four nodes
  Mark(other, 0, 64);
  const std::vector<Event> events = Drain(*tracer);
  const std::set<uint64_t> followed_slots = SlotAddresses(followed);
  size_t stores = 0;
  size_t allocs = 0;
  for (const Event& e : events) {
    switch (e.kind) {
      case EventKind::kSlotStore:
        if (e.arg[1] != 0b01) {
          break;  // the marker's move out of its temporary
        }
        stores++;
        EXPECT_TRUE(followed_slots.count(e.object)) << "a store outside the followed list";
        break;
      case EventKind::kNodeAlloc:
        allocs++;
        EXPECT_EQ(e.object, Addr(&followed));
        EXPECT_GE(e.arg[1], options.offset_lo);
        EXPECT_LT(e.arg[1], options.offset_hi);
        break;
      default:
        EXPECT_EQ(e.object, Addr(&followed)) << vmpl::trace::EventKindName(e.kind);
        break;
    }
  }
  EXPECT_EQ(stores, 32u);  // pages 16..47
  EXPECT_EQ(allocs, 2u);
  followed.RemoveAllContent([](VmPageOrMarker&&) {});
  other.RemoveAllContent([](VmPageOrMarker&&) {});
}

TEST(BpfTracerTest, RefusesWhatItCannotTrace) {
  std::string error;
  BpfTracerOptions options;
  options.pid = -1;  // every process: needs the binary
  EXPECT_FALSE(BpfTracer::Attach(options, &error));
  EXPECT_NE(error.find("binary"), std::string::npos) << error;
  options.pid = getpid();
  options.ring_bytes = 5000;
  EXPECT_FALSE(BpfTracer::Attach(options, &error));
  EXPECT_NE(error.find("power of two"), std::string::npos) << error;
}

}  // namespace
