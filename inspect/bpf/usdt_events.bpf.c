// The kernel half of `vmpl trace live`: two USDT programs, attached to the `vmpl:slot_store` and
// `vmpl:event` probes of a process (core/src/trace.cc), that copy each hit into a BPF ring buffer
// as a vmpl::trace::Event (core/include/vmpl/trace_event.h: 56 bytes, the same layout and
// numbering), so that userspace writes it to a trace file unchanged.
//
// Filters run here, before anything is copied: a mask of event kinds; a range of object
// addresses (the slot, node or list an event names); one list; a range of node offsets. A slot
// store does not name its list, so the list and offset filters follow the nodes: every node
// allocated into (or transferred to) the list is remembered in `nodes` with its offset, and a
// store passes if its slot lies in one of them. Nodes that existed before the programs were
// attached are unknown, so those filters are exact only for a process traced from its start. A hit that finds the ring full is counted
// in `lost`, never silently dropped. Timestamps are bpf_ktime_get_ns(): CLOCK_MONOTONIC, which
// the trace file's clock then names.
//
// Built with: clang -target bpf -D__TARGET_ARCH_x86 -g -O2; skeleton: bpftool gen skeleton.

#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/ptrace.h>

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

// vmpl::trace::Event.
struct vmpl_event {
  __u64 timestamp;
  __u64 object;
  __u16 kind;
  __u16 cpu;
  __u32 aux;
  __u64 arg[4];
};

// vmpl::trace::EventKind values this program looks at.
enum {
  kSlotStore = 1,
  kNodeAlloc = 2,
  kNodeFree = 3,
  kNodeTransfer = 4,
  kRegister = 10,
  kName = 13,
};

// A node's slots (VmPageListNode: 16 slots of 8 bytes; where they start is set by userspace).
#define SLOT_SIZE 8
#define FANOUT 16
#define PAGE_SIZE 4096

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 24);  // resized by userspace before load
} events SEC(".maps");

// Nodes of the followed lists: node address -> node offset (its tree key).
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1 << 20);
  __type(key, __u64);
  __type(value, __u64);
} nodes SEC(".maps");

// Set by userspace before load.
const volatile __u64 kind_mask = ~0ull;  // bit k: events of kind k pass
const volatile __u64 object_lo = 0;      // objects in [object_lo, object_hi) pass
const volatile __u64 object_hi = ~0ull;
const volatile __u64 list_filter = 0;    // only this list's events (0: every list)
const volatile __u64 offset_lo = 0;      // only nodes and slots at offsets in [lo, hi)
const volatile __u64 offset_hi = ~0ull;
const volatile __u64 node_slots_offset = 48;  // the build's layout

// Hits that found the ring full.
__u64 lost = 0;
// The registry id of the followed list, once its registration was seen (its name events carry
// the id, not the list).
__u64 list_id = 0;

static __always_inline int Following(void) {
  return list_filter != 0 || offset_lo != 0 || offset_hi != ~0ull;
}

static __always_inline int KindAndObject(__u32 kind, __u64 object) {
  if (kind >= 64 || !(kind_mask & (1ull << kind))) {
    return 0;
  }
  return object >= object_lo && object < object_hi;
}

static __always_inline int OffsetWanted(__u64 offset) {
  return offset >= offset_lo && offset < offset_hi;
}

// A store passes the list and offset filters if its slot is in a followed node at a wanted
// offset.
static __always_inline int SlotWanted(__u64 slot) {
  if (!Following()) {
    return 1;
  }
  for (int i = 0; i < FANOUT; i++) {
    const __u64 node = slot - node_slots_offset - (__u64)i * SLOT_SIZE;
    const __u64* offset = bpf_map_lookup_elem(&nodes, &node);
    if (offset) {
      return OffsetWanted(*offset + (__u64)i * PAGE_SIZE);
    }
  }
  return 0;
}

// Keeps `nodes` up to date and says whether a non-store event passes the list filter.
static __always_inline int EventWanted(__u32 kind, __u64 object, __u64 a0, __u64 a1) {
  if (!Following()) {
    return 1;
  }
  const int ours = list_filter == 0 || object == list_filter;
  switch (kind) {
    case kNodeAlloc:
    case kNodeTransfer:
      if (ours) {
        bpf_map_update_elem(&nodes, &a0, &a1, BPF_ANY);
        return OffsetWanted(a1);
      }
      bpf_map_delete_elem(&nodes, &a0);  // transferred away, or a node of another list
      return 0;
    case kNodeFree:
      bpf_map_delete_elem(&nodes, &a0);
      return ours && OffsetWanted(a1);
    case kRegister:
      if (list_filter != 0 && a1 == list_filter) {
        list_id = a0;
        return 1;
      }
      return list_filter == 0;
    case kName:
      return list_filter == 0 || (list_id != 0 && object == list_id);
    default:
      return ours;
  }
}

static __always_inline struct vmpl_event* Reserve(void) {
  struct vmpl_event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    __sync_fetch_and_add(&lost, 1);
  }
  return e;
}

SEC("usdt")
int BPF_USDT(vmpl_slot_store, __u64 slot, __u64 old_raw, __u64 new_raw, __u64 moved_from) {
  if (!KindAndObject(kSlotStore, slot) || !SlotWanted(slot)) {
    return 0;
  }
  struct vmpl_event* e = Reserve();
  if (!e) {
    return 0;
  }
  e->timestamp = bpf_ktime_get_ns();
  e->object = slot;
  e->kind = kSlotStore;
  e->cpu = (__u16)bpf_get_smp_processor_id();
  e->aux = 0;
  e->arg[0] = old_raw;
  e->arg[1] = new_raw;
  e->arg[2] = moved_from;
  e->arg[3] = 0;
  // Userspace polls; a wakeup per event would cost more than the event.
  bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
  return 0;
}

SEC("usdt")
int BPF_USDT(vmpl_event, __u32 kind, __u64 object, __u32 aux, __u64 a0, __u64 a1, __u64 a2,
             __u64 a3) {
  // Node bookkeeping first: a node event filtered out by kind still moves the followed nodes.
  if (!EventWanted(kind, object, a0, a1) || !KindAndObject(kind, object)) {
    return 0;
  }
  struct vmpl_event* e = Reserve();
  if (!e) {
    return 0;
  }
  e->timestamp = bpf_ktime_get_ns();
  e->object = object;
  e->kind = (__u16)kind;
  e->cpu = (__u16)bpf_get_smp_processor_id();
  e->aux = aux;
  e->arg[0] = a0;
  e->arg[1] = a1;
  e->arg[2] = a2;
  e->arg[3] = a3;
  bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
