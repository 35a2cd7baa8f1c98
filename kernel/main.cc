// vmpl-kernel: boots, gives its RAM to a heap and a page allocator, starts tracing, and runs the
// page-list workload on every timer tick, forever or until told to stop. Options come from the
// command line (QEMU's -append; docs/kernel.md):
//
//   seed=N     the workload's seed (default 1)
//   rate=N     workload steps per timer tick, 1 kHz (default 20)
//   pages=N    pages the workload may hold at once (default 12000)
//   pause=N    every N steps, print the self-report and wait until a debugger sets
//              vmpl_kernel_resume (0, the default: never pause)
//   steps=N    stop after N steps: print the report, then exit QEMU (0: run forever)
//   trace=N    records in the trace ring, a power of two (default 262144; 0: no tracing)
//   assert     trip a DEBUG_ASSERT of the core on purpose, to see (and test) that a failed
//              assertion panics the kernel on the serial console and ends QEMU with status 7
//
// The state a debugger may want is exported: vmpl_registry (the lists), vmpl_kernel_trace_ring
// (the ring), and the variables below.

#include <stdint.h>
#include <vm/page.h>
#include <vm/vm_page_list.h>

#include "arch/boot.h"
#include "arch/boot_info.h"
#include "arch/console.h"
#include "arch/interrupts.h"
#include "arch/memory.h"
#include "arch/panic.h"
#include "platform/heap.h"
#include "platform/pmm.h"
#include "platform/trace.h"
#include "self_report.h"
#include "workload.h"

extern "C" {
// Steps the workload has run.
__attribute__((used)) volatile uint64_t vmpl_kernel_steps = 0;
// 1 while the kernel waits at a pause point; set vmpl_kernel_resume to 1 to go on.
__attribute__((used)) volatile uint32_t vmpl_kernel_paused = 0;
__attribute__((used)) volatile uint32_t vmpl_kernel_resume = 0;
// Pause points reached so far.
__attribute__((used)) volatile uint64_t vmpl_kernel_pauses = 0;
}

namespace {

using vmpl::kernel::GetHeapStats;
using vmpl::kernel::GetPmmStats;

constexpr uint64_t kTwoMiB = uint64_t{2} << 20;
constexpr uint64_t kMaxHeapBytes = uint64_t{96} << 20;

struct Options {
  uint64_t seed;
  uint64_t rate;
  uint64_t pages;
  uint64_t pause;
  uint64_t steps;
  uint64_t trace;
};

Options ReadOptions(const BootInfo& info) {
  return Options{
      .seed = BootOptionUint(info, "seed", 1),
      .rate = BootOptionUint(info, "rate", 20),
      .pages = BootOptionUint(info, "pages", 12000),
      .pause = BootOptionUint(info, "pause", 0),
      .steps = BootOptionUint(info, "steps", 0),
      .trace = BootOptionUint(info, "trace", uint64_t{1} << 18),
  };
}

// The RAM above the kernel image, in the range that holds it, within the physmap: half of it (at
// most 96 MiB) for the heap, the rest for the page allocator. The heap's classes are powers of
// two, so the default trace ring (16 MiB and a page) takes a 32 MiB block.
void InitMemory(const BootInfo& info) {
  const uint64_t image_end = kernel_image_end_paddr();
  uint64_t base = 0;
  uint64_t end = 0;
  for (size_t i = 0; i < info.ram_count; i++) {
    const BootInfo::Range& range = info.ram[i];
    if (range.base <= image_end && image_end < range.base + range.length) {
      base = (image_end + kTwoMiB - 1) & ~(kTwoMiB - 1);
      end = range.base + range.length < kPhysmapSize ? range.base + range.length : kPhysmapSize;
    }
  }
  if (end <= base + 4 * kTwoMiB) {
    kernel_panic("not enough RAM above the kernel image (%#lx): give QEMU more (-m)", image_end);
  }
  uint64_t heap_bytes = ((end - base) / 2) & ~(kTwoMiB - 1);
  heap_bytes = heap_bytes < kMaxHeapBytes ? heap_bytes : kMaxHeapBytes;
  vmpl::kernel::HeapInit(paddr_to_physmap(base), heap_bytes);

  const uint64_t pmm_base = base + heap_bytes;
  const size_t pages = (end - pmm_base) / kPageSize;
  auto* page_array = new vm_page_t[pages];
  vmpl::kernel::PmmInit(pmm_base, pages, page_array);
  kprintf("vmpl-kernel: heap %lu MiB at paddr %#lx, %zu pages (%lu MiB) for page lists\n",
          heap_bytes >> 20, base, pages, (pages * kPageSize) >> 20);
}

// TSC cycles per second, counted over 50 timer ticks (interrupts on).
uint64_t MeasureTscHz() {
  const uint64_t start_tick = timer_ticks();
  while (timer_ticks() == start_tick) {
    arch_idle();
  }
  const uint64_t first_tick = timer_ticks();
  const uint64_t first_tsc = arch_rdtsc();
  while (timer_ticks() - first_tick < 50) {
    arch_idle();
  }
  const uint64_t ticks = timer_ticks() - first_tick;
  return (arch_rdtsc() - first_tsc) * kTimerHz / ticks;
}

void PrintStatus(const char* what) {
  const vmpl::kernel::WorkloadStats work = vmpl::kernel::GetWorkloadStats();
  const vmpl::kernel::HeapStats heap = GetHeapStats();
  const vmpl::kernel::PmmStats pmm = GetPmmStats();
  kprintf(
      "vmpl-kernel: %s step=%lu tick=%lu pages_held=%lu references_held=%lu clones=%lu/%lu "
      "splices=%lu/%lu heap_in_use=%zu KiB pmm_free=%zu trace_snapshots=%lu\n",
      what, work.steps, timer_ticks(), work.pages_held, work.references_held, work.clones_collapsed,
      work.clones_made, work.splices_drained, work.splices_taken, heap.in_use >> 10, pmm.pages_free,
      vmpl::kernel::TraceSnapshotCount());
}

// Waits at a pause point until a debugger sets vmpl_kernel_resume. Interrupts stay on, so the
// machine idles in hlt; a reader's trace snapshot request is answered meanwhile.
void Pause(uint64_t step) {
  vmpl_kernel_pauses = vmpl_kernel_pauses + 1;
  PrintStatus("status");
  vmpl::kernel::PrintSelfReport(step);
  vmpl_kernel_resume = 0;
  vmpl_kernel_paused = 1;
  kprintf("vmpl-kernel: paused at step %lu (pause %lu): set vmpl_kernel_resume = 1 to go on\n",
          step, vmpl_kernel_pauses);
  while (vmpl_kernel_resume == 0) {
    arch_idle();
    vmpl::kernel::TraceServiceRequests();
  }
  vmpl_kernel_paused = 0;
  kprintf("vmpl-kernel: resumed at step %lu\n", step);
}

}  // namespace

void kernel_main(uint64_t start_info_paddr) {
  kprintf("vmpl-kernel: booted\n");
  BootInfo info;
  if (!ParseBootInfo(start_info_paddr, &info)) {
    kernel_panic("bad hvm_start_info at %#lx", start_info_paddr);
  }
  const Options options = ReadOptions(info);
  kprintf("vmpl-kernel: command line \"%s\"\n", info.cmdline);
  arch_init_interrupts();
  arch_enable_interrupts();
  InitMemory(info);

  const uint64_t tsc_hz = MeasureTscHz();
  kprintf("vmpl-kernel: TSC %lu kHz\n", tsc_hz / 1000);
  if (options.trace != 0) {
    if ((options.trace & (options.trace - 1)) != 0 || options.trace < 2 ||
        !vmpl::kernel::TraceStart(options.trace, tsc_hz)) {
      kernel_panic("trace=%lu: not a power of two >= 2, or more than the heap holds (%zu MiB)",
                   options.trace, GetHeapStats().capacity >> 20);
    }
    kprintf("vmpl-kernel: tracing into a ring of %lu records\n", options.trace);
  }

  if (BootFlag(info, "assert")) {
    kprintf("vmpl-kernel: assert: initializing a list's skew twice\n");
    VmPageList list;
    list.InitializeSkew(0, kPageSize);
    list.InitializeSkew(0, kPageSize);  // DEBUG_ASSERT(list_skew_ == 0) fails
  }

  const uint64_t budget =
      options.pages < GetPmmStats().pages_total ? options.pages : GetPmmStats().pages_total;
  vmpl::kernel::WorkloadStart({.seed = options.seed, .page_budget = budget});
  kprintf("vmpl-kernel: workload seed=%lu rate=%lu steps/tick pages=%lu pause=%lu steps=%lu\n",
          options.seed, options.rate, budget, options.pause, options.steps);

  uint64_t step = 0;
  uint64_t last_status_tick = timer_ticks();
  for (;;) {
    for (uint64_t i = 0; i < options.rate; i++) {
      vmpl::kernel::WorkloadStep();
      step++;
      vmpl_kernel_steps = step;
      vmpl::kernel::TraceBetweenSteps(step);
      if (options.steps != 0 && step >= options.steps) {
        PrintStatus("done");
        vmpl::kernel::PrintSelfReport(step);
        kprintf("vmpl-kernel: exit\n");
        arch_exit_qemu(0);
        arch_halt_forever();
      }
      if (options.pause != 0 && step % options.pause == 0) {
        Pause(step);
      }
    }
    if (timer_ticks() - last_status_tick >= 10 * kTimerHz) {
      last_status_tick = timer_ticks();
      PrintStatus("status");
    }
    arch_idle();  // until the next tick
  }
}
