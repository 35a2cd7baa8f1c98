// `vmpl trace record --pid PID -o FILE [--duration S]`: records a running process's page-list
// events from its shared ring (/dev/shm/vmpl.<pid>) into a trace file, without ptrace.
//
// The recorder attaches as the ring's one reader, asks the target for a snapshot (the target
// answers between mutations, see <vmpl/trace.h>), then drains the ring until the duration is up,
// SIGINT/SIGTERM arrives, or the target exits and its ring is empty. Every record the ring could
// not deliver is counted per producer and written to the file's LOSSES chunk and the summary.

#include <fmt/format.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <vmpl/inspect/elf_symbols.h>
#include <vmpl/inspect/ring_image.h>
#include <vmpl/inspect/target.h>
#include <vmpl/inspect/trace_recorder.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace_ring.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "command.h"
#include "trace_command.h"

namespace vmpl::cli {
namespace {

struct RecordOptions {
  int pid = 0;
  std::string remote;  // or a gdb stub in front of the vmpl kernel ...
  std::string core;    // ... or a dump of it
  std::string binary;  // the kernel's ELF, for the ring's symbol
  std::string output;
  double duration = 0;
  double snapshot_timeout = 5;
  bool quiet = false;
};

// The vmpl kernel's pointer to its ring (kernel/platform/trace_ring_writer.h).
constexpr char kKernelRingSymbol[] = "vmpl_kernel_trace_ring";

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

constexpr char kRecordFooter[] = R"(EXAMPLES:
  vmpl sim --duration 30 --trace-shm &       a target with a shared ring
  vmpl trace record --pid $! -o live.vmpltrace
                                             record until it exits (or Ctrl-C)
  vmpl trace record --pid 1234 -o t.vmpltrace --duration 5

The target must have a ring (`vmpl sim --trace-shm`, or a program that creates one with
vmpl::trace::Ring and arms it) and must answer snapshot requests between mutations
(vmpl::trace::ServiceRequests). Events from before the snapshot are not recorded.

EXIT STATUS:
  0 recorded, nothing lost; 1 recorded, but the ring lost events (counted in the file and the
  summary); 2 usage error; 3 no ring to attach to, or the file could not be written)";

// The summary on stdout, and the exit status: |exit_code|, or kExitProblems if events were lost
// or no whole snapshot was recorded.
int Summarize(const inspect::TraceRecorder& recorder, const std::string& source,
              const RecordOptions& options, int exit_code) {
  const trace::LossTable losses = recorder.Losses();
  const trace::LossCounts total = losses.Totals();
  if (!options.quiet) {
    printf("%s", fmt::format("vmpl trace record: {} -> {}: {} snapshot records, {} events, "
                             "{} discarded before the snapshot\n",
                             source, options.output, recorder.snapshot_records(),
                             recorder.event_records(), recorder.discarded())
                     .c_str());
    printf("%s", fmt::format("  lost {} (overwritten {}, dropped {}, abandoned {}, blocked {})\n",
                             total.total(), total.overwritten, total.dropped, total.abandoned,
                             total.blocked)
                     .c_str());
    for (const trace::ProducerLosses& producer : losses.producers) {
      if (producer.counts.total() != 0) {
        printf("%s", fmt::format("    producer {} (tid {}): {} lost\n", producer.index,
                                 producer.tid, producer.counts.total())
                         .c_str());
      }
    }
    if (!recorder.snapshot_started()) {
      printf("  no snapshot arrived: the file holds no events\n");
    }
  }
  if (exit_code == kExitOk && (total.total() != 0 || !recorder.snapshot_done())) {
    exit_code = kExitProblems;
  }
  return exit_code;
}

// The recorder into |output| for the ring |reader| reads, its file naming |pid| as the traced
// process; null after saying why on stderr.
std::unique_ptr<inspect::TraceRecorder> CreateRecorder(trace::RingReader& reader,
                                                       const std::string& output, int pid) {
  trace::TraceInfo info = trace::TraceInfo::ForThisProcess("vmpl trace record", "0.1.0");
  info.pid = pid;
  info.layout = inspect::BuiltinTraceLayout();
  std::string error;
  std::unique_ptr<inspect::TraceRecorder> recorder =
      inspect::TraceRecorder::Create(reader, output, std::move(info), &error);
  if (!recorder) {
    fprintf(stderr, "vmpl trace record: %s\n", error.c_str());
  }
  return recorder;
}

int RunRecord(const RecordOptions& options) {
  std::string error;
  std::unique_ptr<trace::RingReader> reader =
      trace::RingReader::Attach(static_cast<pid_t>(options.pid), &error);
  if (!reader) {
    fprintf(stderr, "vmpl trace record: %s\n", error.c_str());
    return kExitUnreadable;
  }
  std::unique_ptr<inspect::TraceRecorder> recorder =
      CreateRecorder(*reader, options.output, options.pid);
  if (!recorder) {
    return kExitUnreadable;
  }
  reader->RequestSnapshot();

  g_stop.store(false);
  struct sigaction action = {};
  struct sigaction old_int = {};
  struct sigaction old_term = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  Clock::time_point next_progress = start;
  Clock::time_point next_losses = start + std::chrono::seconds(1);
  const bool progress = !options.quiet && isatty(STDERR_FILENO) == 1;
  bool warned_snapshot = false;
  int exit_code = kExitOk;
  for (;;) {
    const int64_t n = recorder->Drain();
    if (n < 0) {
      fprintf(stderr, "vmpl trace record: %s\n", recorder->error().c_str());
      exit_code = kExitUnreadable;
      break;
    }
    const Clock::time_point now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (g_stop.load() || (options.duration > 0 && elapsed >= options.duration)) {
      break;
    }
    if (n == 0) {
      if (!reader->OwnerAlive()) {
        // The owner is gone; one more drain catches what it wrote last (a Read that found the
        // ring empty may have raced its final writes).
        if (recorder->Drain() == 0) {
          break;
        }
        continue;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!recorder->snapshot_started() && !warned_snapshot && elapsed > options.snapshot_timeout) {
      fprintf(stderr,
              "vmpl trace record: process %d has not answered the snapshot request after %.0f s "
              "(does it call vmpl::trace::ServiceRequests between mutations?); still waiting\n",
              options.pid, options.snapshot_timeout);
      warned_snapshot = true;
    }
    if (now >= next_losses) {
      recorder->WriteLosses();
      next_losses = now + std::chrono::seconds(1);
    }
    if (progress && now >= next_progress) {
      fprintf(stderr, "\r\033[K[%6.1fs] %lu events, %lu lost", elapsed,
              static_cast<unsigned long>(recorder->event_records()),
              static_cast<unsigned long>(recorder->Losses().Totals().total()));
      next_progress = now + std::chrono::milliseconds(250);
    }
  }
  if (progress) {
    fputs("\r\033[K", stderr);
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);

  if (!recorder->Finish() && exit_code == kExitOk) {
    fprintf(stderr, "vmpl trace record: %s\n", recorder->error().c_str());
    exit_code = kExitUnreadable;
  }
  return Summarize(*recorder, fmt::format("pid {}", options.pid), options, exit_code);
}

// The vmpl kernel's ring, out of the machine's memory (a gdb stub or a dump): copied once, at the
// moment of reading, from its latest complete snapshot to its head (inspect/ring_image.h), and
// recorded from the copy with the same reader and recorder as a process's ring.
int RunRecordFromMemory(const RecordOptions& options) {
  inspect::TargetOptions target_options;
  target_options.remote = options.remote;
  target_options.core = options.core;
  target_options.binary = options.binary;
  std::string error;
  std::unique_ptr<inspect::Target> target = inspect::Target::Open(target_options, &error);
  std::unique_ptr<inspect::ElfSymbols> symbols =
      target ? inspect::ElfSymbols::Open(options.binary, &error) : nullptr;
  if (!symbols) {
    fprintf(stderr, "vmpl trace record: %s\n", error.c_str());
    return kExitUnreadable;
  }
  const std::optional<uint64_t> symbol = symbols->Find(kKernelRingSymbol);
  if (!symbol) {
    fprintf(stderr, "vmpl trace record: %s has no symbol %s (not the vmpl kernel)\n",
            options.binary.c_str(), kKernelRingSymbol);
    return kExitUnreadable;
  }
  uint64_t ring = 0;
  const inspect::ReadResult read = target->memory().Read(*symbol, &ring, sizeof(ring));
  if (!read.ok() || ring == 0) {
    fprintf(stderr, "vmpl trace record: %s\n",
            read.ok() ? "the kernel has no trace ring (booted with trace=0)" : read.error.c_str());
    return kExitUnreadable;
  }
  std::optional<inspect::RingImage> image = inspect::ReadRingImage(target->memory(), ring, &error);
  if (!image) {
    fprintf(stderr, "vmpl trace record: %s\n", error.c_str());
    return kExitUnreadable;
  }
  const char* tmp = getenv("TMPDIR");
  const std::string path =
      fmt::format("{}/vmpl-ring-{}-{:x}", tmp != nullptr ? tmp : "/tmp", getpid(), ring);
  std::unique_ptr<trace::RingReader> reader;
  if (inspect::WriteRingImage(*image, path, &error)) {
    reader = trace::RingReader::AttachPath(path, &error);
  }
  unlink(path.c_str());  // the reader keeps its mapping
  if (!reader) {
    fprintf(stderr, "vmpl trace record: %s\n", error.c_str());
    return kExitUnreadable;
  }
  // The kernel is no process: pid 0 in the file.
  std::unique_ptr<inspect::TraceRecorder> recorder = CreateRecorder(*reader, options.output, 0);
  if (!recorder) {
    return kExitUnreadable;
  }
  int exit_code = kExitOk;
  for (int64_t n = 1; n > 0;) {
    n = recorder->Drain();
    if (n < 0) {
      fprintf(stderr, "vmpl trace record: %s\n", recorder->error().c_str());
      exit_code = kExitUnreadable;
    }
  }
  if (!recorder->Finish() && exit_code == kExitOk) {
    fprintf(stderr, "vmpl trace record: %s\n", recorder->error().c_str());
    exit_code = kExitUnreadable;
  }
  if (!options.quiet) {
    printf("%s", fmt::format("vmpl trace record: the kernel's ring at {:#x}: {} records from "
                             "the oldest of its {} snapshots (the {} records of the later ones "
                             "skipped)\n",
                             ring, image->records, image->snapshots, image->skipped)
                     .c_str());
  }
  const std::string source =
      options.remote.empty() ? "core " + options.core : "gdb stub " + options.remote;
  return Summarize(*recorder, source, options, exit_code);
}

}  // namespace

Subcommand RegisterTraceRecord(CLI::App& trace, const GlobalOptions& /*globals*/) {
  auto options = std::make_shared<RecordOptions>();
  CLI::App* record =
      trace.add_subcommand("record", "Record a running process's page-list events from its ring");
  record->footer(kRecordFooter);
  CLI::Option* pid = record->add_option("--pid", options->pid, "The process whose ring to read")
                         ->check(CLI::PositiveNumber)
                         ->option_text("PID");
  CLI::Option* remote =
      record
          ->add_option("--remote", options->remote,
                       "The vmpl kernel behind a gdb stub (QEMU -s): its ring, read now")
          ->option_text("HOST:PORT")
          ->excludes(pid);
  CLI::Option* core =
      record
          ->add_option("--core", options->core,
                       "A dump of the vmpl kernel (QEMU dump-guest-memory -p): its ring")
          ->option_text("FILE")
          ->excludes(pid)
          ->excludes(remote);
  record->add_option("--binary", options->binary, "The kernel's ELF (vmpl-kernel.elf)")
      ->option_text("ELF");
  record->add_option("-o,--output", options->output, "The trace file to write")
      ->required()
      ->option_text("FILE");
  record
      ->add_option("--duration", options->duration,
                   "Stop after this many seconds (default: when the process exits)")
      ->check(CLI::NonNegativeNumber)
      ->option_text("SECONDS");
  record
      ->add_option("--snapshot-timeout", options->snapshot_timeout,
                   "Warn if no snapshot arrived after this many seconds")
      ->check(CLI::NonNegativeNumber)
      ->option_text("SECONDS")
      ->default_str("5");
  record->add_flag("--quiet", options->quiet, "No progress line and no summary");
  (void)core;
  return Subcommand{record, [options]() -> int {
                      if (options->pid != 0) {
                        return RunRecord(*options);
                      }
                      if (options->remote.empty() && options->core.empty()) {
                        fprintf(stderr, "vmpl trace record: give --pid, --remote or --core\n");
                        return kExitUsage;
                      }
                      if (options->binary.empty()) {
                        fprintf(stderr,
                                "vmpl trace record: --remote and --core need --binary "
                                "(the kernel's ELF)\n");
                        return kExitUsage;
                      }
                      return RunRecordFromMemory(*options);
                    }};
}

}  // namespace vmpl::cli
