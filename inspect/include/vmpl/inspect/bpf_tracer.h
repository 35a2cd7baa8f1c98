// vmpl::inspect::BpfTracer: the page-list events of a process that does not cooperate, read with
// BPF from its `vmpl` USDT probes (core/src/trace.cc) into a BPF ring buffer.
//
// Why. In-process tracing needs the target to create a ring and answer snapshot requests. The
// USDT probes are in every program built against our core, traced or not: attaching to them
// (libbpf's USDT support, which also raises the probes' semaphores so the hooks fire) gives the
// same events, numbered and laid out as trace::Event, with no help from the target. Filters (a
// mask of kinds, a range of object addresses, one list, a range of offsets) run in the kernel;
// hits that find the ring full are counted (lost()).
//
// What it needs: root (or CAP_BPF + CAP_PERFMON) and a kernel that allows uprobes and ring
// buffers; Attach says so clearly when it is refused. Destroying the tracer detaches everything.
//
// Threads: one thread uses a tracer.

#ifndef VMPL_INSPECT_BPF_TRACER_H_
#define VMPL_INSPECT_BPF_TRACER_H_

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <memory>
#include <string>

#include <vmpl/trace_event.h>

struct usdt_events;
struct ring_buffer;

namespace vmpl::inspect {

struct BpfTracerOptions {
  int pid = -1;        // the process to trace; -1: every process running |binary|
  std::string binary;  // the ELF holding the probes; "" for /proc/PID/exe
  uint64_t kind_mask = ~uint64_t{0};  // bit k set: events of EventKind k pass
  uint64_t object_lo = 0;             // events whose object is in [object_lo, object_hi) pass
  uint64_t object_hi = ~uint64_t{0};
  // Only this list's events (0: every list), and only its nodes and slots whose offset (the
  // skewed offset the tree sorts by) is in [offset_lo, offset_hi). Both follow the list's nodes
  // from their allocation: nodes that existed before Attach are not seen.
  uint64_t list = 0;
  uint64_t offset_lo = 0;
  uint64_t offset_hi = ~uint64_t{0};
  uint32_t ring_bytes = 16u << 20;    // the BPF ring buffer (a power of two, >= 4096)
};

class BpfTracer {
 public:
  // Loads the programs and attaches them. Null, with |*error| naming the step that failed (and
  // why: "BPF is not permitted here" for EPERM), on failure.
  static std::unique_ptr<BpfTracer> Attach(const BpfTracerOptions& options, std::string* error);
  ~BpfTracer();
  BpfTracer(const BpfTracer&) = delete;
  BpfTracer& operator=(const BpfTracer&) = delete;

  // Hands every event waiting in the ring to |sink|, waiting at most |timeout_ms| for the first
  // (0: do not wait). Returns the number handed over, or -1 with error() set.
  int64_t Poll(int timeout_ms, const std::function<void(const trace::Event&)>& sink);

  // Hits the kernel could not store because the ring was full.
  uint64_t lost() const;
  const std::string& binary() const { return binary_; }
  const std::string& error() const { return error_; }

 private:
  BpfTracer() = default;
  static int OnSample(void* context, void* data, size_t size);

  usdt_events* skeleton_ = nullptr;
  ring_buffer* ring_ = nullptr;
  std::string binary_;
  std::string error_;
  const std::function<void(const trace::Event&)>* sink_ = nullptr;
  int64_t delivered_ = 0;
};

}  // namespace vmpl::inspect

#endif  // VMPL_INSPECT_BPF_TRACER_H_
