// `vmpl trace live`: a process's page-list events read with BPF from its `vmpl` USDT probes
// (vmpl::inspect::BpfTracer), written to a trace file in the same format as `vmpl trace record`
// and `vmpl sim --trace`, with no cooperation from the target: no ring, no snapshot request.
//
// Two ways to start:
//   --all --binary ELF every process running ELF, now and later, until --duration or a signal.
//   --pid PID          a running process, from now on. Its lists' earlier state is unknown to the
//                      file (a replay then counts divergences for nodes it never saw created).
//   -- COMMAND ARGS    a program started by the tracer and traced from its first instruction: the
//                      child waits on a pipe until the probes are attached, then execs, so the
//                      file holds every list from its construction and replays exactly.
// It stops when --duration is up, on SIGINT/SIGTERM, or when the process exits; then it detaches
// and completes the file (the losses the kernel counted are written as the file's LOSSES).

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <vmpl/inspect/bpf_tracer.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_resolver.h>
#include <vmpl/trace_clock.h>

#include "command.h"
#include "trace_command.h"

namespace vmpl::cli {
namespace {

struct LiveOptions {
  int pid = 0;
  std::string output;
  double duration = 0;
  std::string binary;
  std::vector<std::string> kinds;  // event kind names; empty: all
  std::string objects;             // LO-HI
  std::string list;                // a list's address
  std::string offsets;             // LO-HI
  bool all = false;                // every process running --binary
};

// "LO-HI" (numbers in any base strtoull takes) into [lo, hi); false if it is not one.
bool ParseRange(const std::string& text, uint64_t* lo, uint64_t* hi) {
  unsigned long long a = 0, b = 0;
  char tail = 0;
  if (sscanf(text.c_str(), "%lli-%lli%c", &a, &b, &tail) != 2 || b <= a) {
    return false;
  }
  *lo = a;
  *hi = b;
  return true;
}

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

// Starts |argv| stopped before exec: returns the child's pid and the fd whose close lets it go.
pid_t SpawnWaiting(const std::vector<std::string>& argv, int* release_fd, std::string* error) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *error = fmt::format("pipe: {}", strerror(errno));
    return -1;
  }
  const pid_t child = fork();
  if (child < 0) {
    *error = fmt::format("fork: {}", strerror(errno));
    return -1;
  }
  if (child == 0) {
    close(pipe_fds[1]);
    char byte;
    // Wait until the tracer has attached (it closes its end, or writes).
    while (read(pipe_fds[0], &byte, 1) < 0 && errno == EINTR) {
    }
    std::vector<char*> args;
    for (const std::string& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    execvp(args[0], args.data());
    fprintf(stderr, "vmpl trace live: cannot run %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(pipe_fds[0]);
  *release_fd = pipe_fds[1];
  return child;
}

// The executable |name| resolves to through PATH, as execvp would find it.
std::string ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return name;
  }
  const char* path = getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = dirs.find(':', start);
    const std::string dir = dirs.substr(start, end == std::string::npos ? std::string::npos
                                                                        : end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return name;
}

int RunLive(const LiveOptions& options, const GlobalOptions& globals) {
  const std::vector<std::string>& command = globals.passthrough;
  if ((options.pid != 0) + !command.empty() + options.all != 1) {
    fprintf(stderr, "vmpl trace live: give one of --pid PID, --all --binary ELF, -- COMMAND\n");
    return kExitUsage;
  }
  if (options.all && options.binary.empty()) {
    fprintf(stderr, "vmpl trace live: --all needs --binary ELF (the program to trace)\n");
    return kExitUsage;
  }
  inspect::BpfTracerOptions tracer_options;
  tracer_options.binary = options.binary;
  if (!options.kinds.empty()) {
    tracer_options.kind_mask = 0;
    for (const std::string& name : options.kinds) {
      bool found = false;
      for (uint16_t k = 1; k < static_cast<uint16_t>(trace::EventKind::kKindCount); k++) {
        if (name == trace::EventKindName(static_cast<trace::EventKind>(k))) {
          tracer_options.kind_mask |= uint64_t{1} << k;
          found = true;
        }
      }
      if (!found) {
        fprintf(stderr, "vmpl trace live: --kind %s is not an event kind (e.g. slot-store)\n",
                name.c_str());
        return kExitUsage;
      }
    }
  }
  if (!options.objects.empty() &&
      !ParseRange(options.objects, &tracer_options.object_lo, &tracer_options.object_hi)) {
    fprintf(stderr, "vmpl trace live: --objects '%s' is not LO-HI\n", options.objects.c_str());
    return kExitUsage;
  }
  if (!options.offsets.empty() &&
      !ParseRange(options.offsets, &tracer_options.offset_lo, &tracer_options.offset_hi)) {
    fprintf(stderr, "vmpl trace live: --offsets '%s' is not LO-HI\n", options.offsets.c_str());
    return kExitUsage;
  }
  if (!options.list.empty()) {
    char* end = nullptr;
    tracer_options.list = strtoull(options.list.c_str(), &end, 0);
    if (end == nullptr || *end != '\0' || tracer_options.list == 0) {
      fprintf(stderr, "vmpl trace live: --list '%s' is not an address\n", options.list.c_str());
      return kExitUsage;
    }
  }

  std::string error;
  int release_fd = -1;
  pid_t pid = options.all ? -1 : options.pid;
  if (!command.empty()) {
    if (tracer_options.binary.empty()) {
      tracer_options.binary = ResolveProgram(command[0]);
    }
    pid = SpawnWaiting(command, &release_fd, &error);
    if (pid < 0) {
      fprintf(stderr, "vmpl trace live: %s\n", error.c_str());
      return kExitUnreadable;
    }
  }
  tracer_options.pid = pid;
  // A child that never got to run its command is not left behind.
  const auto fail = [&](const std::string& why) {
    fprintf(stderr, "vmpl trace live: %s\n", why.c_str());
    if (release_fd >= 0) {
      kill(pid, SIGKILL);
      close(release_fd);
      waitpid(pid, nullptr, 0);
    }
    return static_cast<int>(kExitUnreadable);
  };
  std::unique_ptr<inspect::BpfTracer> tracer = inspect::BpfTracer::Attach(tracer_options, &error);
  if (!tracer) {
    return fail(error);
  }

  trace::TraceInfo info = trace::TraceInfo::ForThisProcess("vmpl trace live", "0.1.0");
  info.pid = pid;
  info.clock.name = "monotonic";  // bpf_ktime_get_ns()
  info.clock.ticks_per_second = 1e9;
  info.clock.base_ticks = 0;
  info.clock.base_monotonic_ns = 0;
  info.layout = inspect::BuiltinTraceLayout();
  info.extra["source"] = "bpf";
  info.extra["binary"] = tracer->binary();
  std::unique_ptr<trace::TraceWriter> writer =
      trace::TraceWriter::Create(options.output, info, &error);
  if (!writer) {
    return fail(error);
  }

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  if (release_fd >= 0) {
    close(release_fd);  // the child execs now, with the probes attached
  }

  std::vector<trace::FileRecord> records;
  records.reserve(4096);
  bool write_failed = false;
  const auto flush = [&] {
    if (!records.empty() && !writer->AppendEvents(records.data(), records.size())) {
      write_failed = true;
    }
    records.clear();
  };
  const auto sink = [&](const trace::Event& event) {
    trace::FileRecord record{};
    record.producer = event.cpu;
    record.event = event;
    records.push_back(record);
    if (records.size() == records.capacity()) {
      flush();
    }
  };
  const uint64_t start = trace::MonotonicNs();
  bool exited = false;
  int status = 0;
  while (!g_stop.load() && !write_failed) {
    if (tracer->Poll(10, sink) < 0) {
      fprintf(stderr, "vmpl trace live: %s\n", tracer->error().c_str());
      break;
    }
    flush();
    if (options.duration > 0 &&
        static_cast<double>(trace::MonotonicNs() - start) / 1e9 >= options.duration) {
      break;
    }
    if (!command.empty()) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
    } else if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
      exited = true;
      break;
    }
  }
  // What the process wrote before it stopped or we did.
  tracer->Poll(0, sink);
  flush();
  const uint64_t lost = tracer->lost();
  tracer.reset();  // detach before the target goes on untraced
  trace::LossTable losses;
  trace::ProducerLosses bpf_losses;
  bpf_losses.counts.dropped = lost;
  losses.producers.push_back(bpf_losses);
  if (!writer->WriteLosses(losses) || !writer->Finish()) {
    write_failed = true;
  }
  if (!command.empty() && !exited) {
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
  }
  const std::string from =
      pid > 0 ? fmt::format("pid {}", pid) : fmt::format("every process of {}", options.binary);
  fprintf(stderr, "vmpl trace live: %llu events from %s into %s, %llu lost%s\n",
          static_cast<unsigned long long>(writer->event_records()), from.c_str(),
          options.output.c_str(), static_cast<unsigned long long>(lost),
          exited ? " (the process exited)" : "");
  if (write_failed) {
    fprintf(stderr, "vmpl trace live: %s\n", writer->error().c_str());
    return kExitUnreadable;
  }
  return lost != 0 ? kExitProblems : kExitOk;
}

constexpr char kLiveFooter[] = R"(EXAMPLES:
  vmpl trace live -o run.vmpltrace -- vmpl sim --ops 100000
                             trace a program from its start (replays exactly)
  vmpl trace live --pid 1234 -o live.vmpltrace --duration 10
                             a running process, with no ring and no help from it
  vmpl trace live --pid 1234 -o stores.vmpltrace --kind slot-store --kind node-alloc
  vmpl trace live --all --binary ./build/default/cli/vmpl -o all.vmpltrace --duration 5
                             every process running that program (events of several processes
                             interleave: report them, do not replay them)
  vmpl trace live --pid 1234 -o one.vmpltrace --list 0x55d0c0a1b2c0 --offsets 0-0x100000
                             one list (address from `vmpl inspect`), its first MiB

Needs BPF (root, or CAP_BPF and CAP_PERFMON); the probes are in every program linked with vmpl's
core. Events are filtered in the kernel; what the BPF ring could not hold is counted as lost.

EXIT STATUS:
  0 traced, nothing lost; 1 traced, but events were lost (counted in the file); 2 usage error;
  3 BPF refused, no such process, or the file could not be written)";

}  // namespace

Subcommand RegisterTraceLive(CLI::App& trace, const GlobalOptions& globals) {
  auto options = std::make_shared<LiveOptions>();
  CLI::App* live = trace.add_subcommand(
      "live", "Trace a process live with BPF from its USDT probes (no cooperation needed)");
  live->footer(kLiveFooter);
  live->add_option("--pid", options->pid, "The process to trace")->option_text("PID");
  live->add_flag("--all", options->all, "Every process running --binary, present and future");
  live->add_option("-o,--output", options->output, "The trace file to write")
      ->option_text("FILE")
      ->required();
  live->add_option("--duration", options->duration, "Stop after this many seconds (0: until exit)")
      ->check(CLI::NonNegativeNumber);
  live->add_option("--binary", options->binary, "The ELF holding the probes (default: the target's)")
      ->option_text("ELF");
  live->add_option("--kind", options->kinds, "Only events of this kind (repeatable)")
      ->option_text("KIND");
  live->add_option("--objects", options->objects,
                   "Only events about objects (slots, nodes, lists) in LO-HI")
      ->option_text("LO-HI");
  live->add_option("--list", options->list,
                   "Only this list's events (its address; its nodes are followed from their "
                   "allocation)")
      ->option_text("ADDR");
  live->add_option("--offsets", options->offsets,
                   "Only nodes and slots at these offsets (the tree's skewed offsets)")
      ->option_text("LO-HI");
  return Subcommand{live, [options, &globals]() { return RunLive(*options, globals); }, true};
}

}  // namespace vmpl::cli
