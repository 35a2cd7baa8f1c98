// The kernel half of `vmpl trace live`: two USDT programs, attached to the `vmpl:slot_store` and
// `vmpl:event` probes of a process (core/src/trace.cc), that copy each hit into a BPF ring buffer
// as a vmpl::trace::Event (core/include/vmpl/trace_event.h: 56 bytes, the same layout and
// numbering), so that userspace writes it to a trace file unchanged.
//
// Filters run here, before anything is copied: a mask of event kinds, and a range of object
// addresses (the slot, node or list an event names). A hit that finds the ring full is counted
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

enum { kSlotStore = 1 };

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 24);  // resized by userspace before load
} events SEC(".maps");

// Set by userspace before load.
const volatile __u64 kind_mask = ~0ull;  // bit k: events of kind k pass
const volatile __u64 object_lo = 0;      // objects in [object_lo, object_hi) pass
const volatile __u64 object_hi = ~0ull;

// Hits that found the ring full.
__u64 lost = 0;

static __always_inline int Wanted(__u32 kind, __u64 object) {
  if (kind >= 64 || !(kind_mask & (1ull << kind))) {
    return 0;
  }
  return object >= object_lo && object < object_hi;
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
  if (!Wanted(kSlotStore, slot)) {
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
  if (!Wanted(kind, object)) {
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
