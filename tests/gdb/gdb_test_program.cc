// The program the gdb printer tests (run_gdb_test.py) and bench/gdb_printer_bench.py debug.
//
// It builds one page list of each shape the printers and `vmpl` commands must handle, as globals
// so that a script can say `print dense_list` from any frame, registers them by name in the
// registry (`vmpl list`), then calls vmpl_gdb_stop(), where the tests stop it (live, or after
// making a core file). argv[1] picks damage done to victim_list just before the stop, the kinds of
// corruption a printer must survive with a bounded output and an error marker:
//   none, cycle, canary, wild, misaligned, count, unreadable-page, order
// The damage is undone after the stop and every list is emptied, so the program exits cleanly
// when it is run to the end.
//
// Built at -O0 -g (tests/gdb/CMakeLists.txt): every global and local is visible to gdb.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vm/pmm.h>
#include <vm/vm_page_list.h>
#include <vmpl/page_allocator.h>
#include <vmpl/page_list_access.h>
#include <vmpl/registry.h>

#include <map>
#include <utility>
#include <vector>

namespace {

constexpr uint64_t kPage = PAGE_SIZE;
constexpr uint64_t kFanOut = VmPageListNode::kPageFanOut;
constexpr uint64_t kNodeSpan = kFanOut * kPage;
// The big list: 10,000 full nodes, 160,000 slots, for the printer speed benchmark.
constexpr uint64_t kBigNodes = 10000;

using DirtyState = VmPageOrMarker::IntervalDirtyState;
using IntervalHandling = VmPageList::IntervalHandling;

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "gdb_test_program: %s\n", what);
    abort();
  }
}

}  // namespace

// The lists, one per shape (see Build* below for what each holds).
VmPageList dense_list;
VmPageList skewed_list;
VmPageList interval_list;
VmPageList reference_list;
VmPageList splice_source;
VmPageSpliceList splice_list;
VMPLCursor dense_cursor;
VmPageList victim_list;
VmPageList empty_list;
VmPageList big_list;
// As many entries as big_list has slots, for comparing with libstdc++'s std::map printer.
std::map<uint64_t, uint64_t> big_map;
// Declared after the lists so that they are unregistered before the lists are destroyed.
std::vector<vmpl::ScopedRegistration> registrations;

namespace {

enum class Content { kPage, kReference, kMarker };

void Put(VmPageList& list, uint64_t offset, Content content, bool left_split = false,
         bool right_split = false) {
  auto [slot, in_interval] = list.LookupOrAllocate(offset, IntervalHandling::NoIntervals);
  Check(slot != nullptr && !in_interval && slot->IsEmpty(), "no empty slot");
  switch (content) {
    case Content::kPage: {
      vm_page_t* page = vmpl::PageAllocator::Get().AllocPage();
      Check(page != nullptr, "out of pages");
      *slot = VmPageOrMarker::Page(page);
      break;
    }
    case Content::kReference:
      *slot = VmPageOrMarker::Reference(
          VmPageOrMarker::ReferenceValue(vmpl::PageAllocator::Get().AllocReference()), false,
          false);
      break;
    case Content::kMarker:
      *slot = VmPageOrMarker::Marker();
      return;
  }
  slot->SetPageOrRefLeftSplit(left_split);
  slot->SetPageOrRefRightSplit(right_split);
}

void Free(VmPageOrMarker&& content) {
  if (content.IsPage()) {
    pmm_free_page(content.ReleasePage());
  } else if (content.IsReference()) {
    vmpl::PageAllocator::Get().FreeReference(content.ReleaseReference().value());
  }
}

// Two full nodes of pages.
void BuildDense() {
  for (uint64_t i = 0; i < 2 * kFanOut; i++) {
    Put(dense_list, i * kPage, Content::kPage);
  }
  dense_cursor = dense_list.LookupMutableCursor(5 * kPage);
}

// Skew 3 pages: VMO offset 0 is slot 3 of node 0, offset 13 pages is slot 0 of node 0x10000.
void BuildSkewed() {
  skewed_list.InitializeSkew(0, 3 * kPage);
  for (uint64_t page : {0, 1, 12, 13, 14, 40}) {
    Put(skewed_list, page * kPage, Content::kPage);
  }
  Put(skewed_list, 2 * kPage, Content::kMarker);
  Put(skewed_list, 29 * kPage, Content::kReference, true, false);
}

// A page, then a dirty zero interval from page 10 to page 42 (node 0 to node 2, only its two
// sentinels stored) whose first three pages await cleaning, then a one-page interval (a Slot
// sentinel) awaiting cleaning, then a page after it.
void BuildIntervals() {
  Put(interval_list, 5 * kPage, Content::kPage);
  Check(interval_list.AddZeroInterval(10 * kPage, 43 * kPage, DirtyState::Dirty) == ZX_OK,
        "AddZeroInterval [10, 43)");
  VmPageOrMarkerRef start = interval_list.LookupMutable(10 * kPage);
  Check(start && start->IsIntervalStart(), "no interval start");
  start.SetZeroIntervalAwaitingCleanLength(3 * kPage);
  Check(interval_list.AddZeroInterval(50 * kPage, 51 * kPage, DirtyState::Dirty) == ZX_OK,
        "AddZeroInterval [50, 51)");
  VmPageOrMarkerRef slot = interval_list.LookupMutable(50 * kPage);
  Check(slot && slot->IsIntervalSlot(), "no interval slot");
  slot.SetZeroIntervalAwaitingCleanLength(kPage);
  Put(interval_list, 52 * kPage, Content::kPage);
}

// References with each combination of split bits, pages with split bits, markers.
void BuildReferences() {
  Put(reference_list, 0 * kPage, Content::kReference, false, false);
  Put(reference_list, 1 * kPage, Content::kReference, true, false);
  Put(reference_list, 2 * kPage, Content::kReference, false, true);
  Put(reference_list, 3 * kPage, Content::kReference, true, true);
  Put(reference_list, 4 * kPage, Content::kPage, true, false);
  Put(reference_list, 5 * kPage, Content::kPage, false, true);
  Put(reference_list, 6 * kPage, Content::kPage, true, true);
  Put(reference_list, 7 * kPage, Content::kMarker);
  Put(reference_list, 20 * kPage, Content::kMarker);
  Put(reference_list, 21 * kPage, Content::kReference, false, true);
}

// splice_source holds pages 8 to 72 in a repeating pattern; TakePages(12 pages, 3 nodes + 4
// pages - 12 pages) gives a splice list with a head (pages 12..15), two middle nodes and a tail
// (pages 48..51). Three entries are popped, so its position is 3.
void BuildSplice() {
  for (uint64_t page = 8; page < 72; page++) {
    const Content content = page % 5 == 3   ? Content::kMarker
                            : page % 7 == 2 ? Content::kReference
                                            : Content::kPage;
    if (page % 11 != 6) {
      Put(splice_source, page * kPage, content);
    }
  }
  const uint64_t start = 12 * kPage;
  const uint64_t end = 3 * kNodeSpan + 4 * kPage;
  splice_list = splice_source.TakePages(start, end - start);
  if (!splice_list.IsFinalized()) {
    splice_list.Finalize();
  }
  for (int i = 0; i < 3; i++) {
    Free(splice_list.Pop());
  }
}

// Eight nodes with a page in slot 0 and a marker in slot 9; the damage goes here.
void BuildVictim() {
  for (uint64_t node = 0; node < 8; node++) {
    Put(victim_list, node * kNodeSpan, Content::kPage);
    Put(victim_list, node * kNodeSpan + 9 * kPage, Content::kMarker);
  }
}

void BuildBig() {
  for (uint64_t i = 0; i < kBigNodes * kFanOut; i++) {
    const Content content =
        i % 4 == 1 ? Content::kReference : (i % 4 == 2 ? Content::kMarker : Content::kPage);
    Put(big_list, i * kPage, content);
    big_map.emplace(i * kPage, vmpl::PageListAccess::raw(*big_list.Lookup(i * kPage)));
  }
}

// The link fields at the start of a node (docs/semantics.md section 12.2): parent_, left_, right_.
uint64_t* Link(VmPageListNode* node, int index) {
  return reinterpret_cast<uint64_t*>(node) + index;
}

// One damaged word and what it held, to put back after the stop.
struct Damage {
  void* where = nullptr;
  uint64_t saved = 0;
  size_t size = 0;
};

Damage Overwrite(void* where, uint64_t value, size_t size) {
  Damage damage{where, 0, size};
  memcpy(&damage.saved, where, size);
  memcpy(where, &value, size);
  return damage;
}

Damage DoDamage(const char* kind) {
  auto& tree = vmpl::PageListAccess::mutable_nodes(victim_list);
  std::vector<VmPageListNode*> nodes;
  for (VmPageListNode& node : tree) {
    nodes.push_back(&node);
  }
  VmPageListNode* root = nodes[0];
  while ((*Link(root, 0) & 1) == 0) {
    root = reinterpret_cast<VmPageListNode*>(*Link(root, 0));
  }
  if (strcmp(kind, "cycle") == 0) {
    // The right-most node's right link (the tree's sentinel) points back at the left-most node:
    // an in-order walk goes round forever.
    return Overwrite(Link(nodes.back(), 2), reinterpret_cast<uintptr_t>(nodes.front()), 8);
  }
  if (strcmp(kind, "canary") == 0) {
    return Overwrite(reinterpret_cast<char*>(nodes[3]) + vmpl::PageListAccess::kNodeCanaryOffset,
                     0x41414141, 4);
  }
  if (strcmp(kind, "wild") == 0) {
    // Unmapped in a plain build and in an ASan build, where everything from 0x7fff8000 to
    // 0x10007fff8000 is shadow memory, mapped, and readable by a debugger (ptrace ignores the
    // shadow gap's PROT_NONE).
    return Overwrite(Link(root, 2), 0x7badb000, 8);
  }
  if (strcmp(kind, "misaligned") == 0) {
    return Overwrite(Link(root, 2), *Link(root, 2) + 4, 8);
  }
  if (strcmp(kind, "count") == 0) {
    // count_ is the fourth word of the tree (docs/semantics.md section 12.3), which is the first
    // member of the list.
    return Overwrite(reinterpret_cast<uint64_t*>(&victim_list) + 3, 0x7fffffffffff, 8);
  }
  if (strcmp(kind, "order") == 0) {
    // The fifth node gets the fourth's key: the walk finds keys that do not go up, and two
    // slots at each of that node's VMO offsets (a printer must still name its entries apart).
    return Overwrite(reinterpret_cast<char*>(nodes[4]) + vmpl::PageListAccess::kNodeOffsetOffset,
                     nodes[3]->offset(), 8);
  }
  if (strcmp(kind, "unreadable-page") == 0) {
    VmPageOrMarker& slot = vmpl::PageListAccess::mutable_slot(*nodes[2], 0);
    return Overwrite(&slot, 0xdead000, 8);
  }
  Check(strcmp(kind, "none") == 0, "unknown damage kind");
  return Damage{};
}

void Undo(const Damage& damage) {
  if (damage.where != nullptr) {
    memcpy(damage.where, &damage.saved, damage.size);
  }
}

void Cleanup() {
  for (VmPageList* list : {&dense_list, &skewed_list, &interval_list, &reference_list,
                           &splice_source, &victim_list, &big_list}) {
    list->RemoveAllContent([](VmPageOrMarker&& content) { Free(std::move(content)); });
  }
  while (!splice_list.IsProcessed()) {
    Free(splice_list.Pop());
  }
  dense_cursor = VMPLCursor();
  big_map.clear();
}

}  // namespace

// Where the tests stop. noinline and with a side effect gdb cannot see through, so that the call
// is there at -O0 and at any other level.
extern "C" __attribute__((noinline)) void vmpl_gdb_stop(const char* damage) {
  asm volatile("" : : "r"(damage) : "memory");
}

int main(int argc, char** argv) {
  const char* damage_kind = argc > 1 ? argv[1] : "none";
  BuildDense();
  BuildSkewed();
  BuildIntervals();
  BuildReferences();
  BuildSplice();
  BuildVictim();
  BuildBig();
  const std::pair<const VmPageList*, const char*> named[] = {{&dense_list, "dense"},
                                                             {&skewed_list, "skewed"},
                                                             {&interval_list, "intervals"},
                                                             {&reference_list, "references"},
                                                             {&splice_source, "splice-source"},
                                                             {&victim_list, "victim"},
                                                             {&empty_list, "empty"},
                                                             {&big_list, "big"}};
  for (const auto& [list, name] : named) {
    registrations.emplace_back(list, name);
  }
  registrations.emplace_back(&splice_list, "splice");

  const Damage damage = DoDamage(damage_kind);
  vmpl_gdb_stop(damage_kind);
  Undo(damage);

  Cleanup();
  registrations.clear();
  return 0;
}
