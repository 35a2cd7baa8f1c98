// BpfTracer (bpf_tracer.h): libbpf and the skeleton generated from inspect/bpf/usdt_events.bpf.c.

#include "vmpl/inspect/bpf_tracer.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "usdt_events.skel.h"
#include "vmpl/inspect/trace_resolver.h"

namespace vmpl::inspect {
namespace {

std::string Why(int error_number) {
  const int e = error_number < 0 ? -error_number : error_number;
  if (e == EPERM || e == EACCES) {
    return fmt::format("{} (BPF is not permitted here: run as root, or with CAP_BPF and "
                       "CAP_PERFMON)",
                       strerror(e));
  }
  return strerror(e);
}

}  // namespace

std::unique_ptr<BpfTracer> BpfTracer::Attach(const BpfTracerOptions& options, std::string* error) {
  std::unique_ptr<BpfTracer> tracer(new BpfTracer());
  tracer->binary_ = options.binary;
  if (tracer->binary_.empty()) {
    if (options.pid <= 0) {
      *error = "a tracer of every process needs the binary that holds the probes";
      return nullptr;
    }
    char path[PATH_MAX];
    const std::string link = fmt::format("/proc/{}/exe", options.pid);
    const ssize_t n = readlink(link.c_str(), path, sizeof(path) - 1);
    if (n <= 0) {
      *error = fmt::format("pid {}: cannot read {}: {}", options.pid, link, strerror(errno));
      return nullptr;
    }
    // Through /proc/PID/exe itself: the path the process was started from may be gone.
    tracer->binary_ = link;
  }
  if (options.ring_bytes < 4096 || (options.ring_bytes & (options.ring_bytes - 1)) != 0) {
    *error = fmt::format("ring size {} is not a power of two of at least 4096", options.ring_bytes);
    return nullptr;
  }
  usdt_events* skeleton = usdt_events__open();
  if (skeleton == nullptr) {
    *error = fmt::format("cannot open the BPF programs: {}", Why(errno));
    return nullptr;
  }
  tracer->skeleton_ = skeleton;
  skeleton->rodata->kind_mask = options.kind_mask;
  skeleton->rodata->object_lo = options.object_lo;
  skeleton->rodata->object_hi = options.object_hi;
  skeleton->rodata->list_filter = options.list;
  skeleton->rodata->offset_lo = options.offset_lo;
  skeleton->rodata->offset_hi = options.offset_hi;
  skeleton->rodata->node_slots_offset = BuiltinTraceLayout().node_slots_offset;
  bpf_map__set_max_entries(skeleton->maps.events, options.ring_bytes);
  if (const int err = usdt_events__load(skeleton); err != 0) {
    *error = fmt::format("cannot load the BPF programs: {}", Why(err));
    return nullptr;
  }
  const pid_t pid = options.pid > 0 ? options.pid : -1;
  skeleton->links.vmpl_slot_store = bpf_program__attach_usdt(
      skeleton->progs.vmpl_slot_store, pid, tracer->binary_.c_str(), "vmpl", "slot_store", nullptr);
  if (skeleton->links.vmpl_slot_store == nullptr) {
    *error = fmt::format("cannot attach to vmpl:slot_store in {}: {}", tracer->binary_,
                         Why(errno));
    return nullptr;
  }
  skeleton->links.vmpl_event = bpf_program__attach_usdt(
      skeleton->progs.vmpl_event, pid, tracer->binary_.c_str(), "vmpl", "event", nullptr);
  if (skeleton->links.vmpl_event == nullptr) {
    *error = fmt::format("cannot attach to vmpl:event in {}: {}", tracer->binary_, Why(errno));
    return nullptr;
  }
  tracer->ring_ = ring_buffer__new(bpf_map__fd(skeleton->maps.events), &BpfTracer::OnSample,
                                   tracer.get(), nullptr);
  if (tracer->ring_ == nullptr) {
    *error = fmt::format("cannot map the BPF ring buffer: {}", Why(errno));
    return nullptr;
  }
  return tracer;
}

BpfTracer::~BpfTracer() {
  if (ring_ != nullptr) {
    ring_buffer__free(ring_);
  }
  if (skeleton_ != nullptr) {
    usdt_events__destroy(skeleton_);  // detaches the probes
  }
}

int BpfTracer::OnSample(void* context, void* data, size_t size) {
  auto* tracer = static_cast<BpfTracer*>(context);
  if (size < sizeof(trace::Event)) {
    return 0;  // not one of ours; the kernel side writes nothing else
  }
  trace::Event event;
  memcpy(&event, data, sizeof(event));
  (*tracer->sink_)(event);
  tracer->delivered_++;
  return 0;
}

int64_t BpfTracer::Poll(int timeout_ms, const std::function<void(const trace::Event&)>& sink) {
  sink_ = &sink;
  delivered_ = 0;
  // The programs submit without a wakeup, so a wait can only time out: consume first.
  int result = ring_buffer__consume(ring_);
  if (result == 0 && timeout_ms > 0) {
    usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    result = ring_buffer__consume(ring_);
  }
  sink_ = nullptr;
  if (result < 0) {
    error_ = fmt::format("reading the BPF ring buffer: {}", Why(result));
    return -1;
  }
  return delivered_;
}

uint64_t BpfTracer::lost() const {
  return __atomic_load_n(&skeleton_->bss->lost, __ATOMIC_RELAXED);
}

}  // namespace vmpl::inspect
