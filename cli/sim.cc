// `vmpl sim`: runs the kernel-like VMO workload simulator (<vmpl/sim.h>) for a number of steps or
// seconds, optionally validating every list every N steps, and prints a summary: mutations per
// kind, rate, what the lists hold at the end, validation passes. Exit status 1 on a violation
// (with the seed and step that reproduce it) or if the simulator leaked a page or reference.

#include <fmt/format.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <vmpl/page_allocator.h>
#include <vmpl/sim.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "sim_trace.h"
#include <vmpl/capture.h>
#include <vmpl/model/json_view.h>

namespace vmpl::cli {
namespace {

using vmpl::sim::Census;
using vmpl::sim::CheckFailure;
using vmpl::sim::kNumOpKinds;
using vmpl::sim::OpKind;
using vmpl::sim::RunLimits;
using vmpl::sim::RunResult;
using vmpl::sim::SimConfig;
using vmpl::sim::SimStats;

struct SimOptions {
  uint64_t seed = 1;
  double duration = 0;
  uint64_t ops = 0;
  double rate = 0;
  uint64_t vmos = 8;
  std::string max_vmo_size = "4G";
  uint64_t page_budget = 8192;
  std::string mix;
  uint64_t check_every = 0;
  bool json = false;
  bool quiet = false;
  SimTraceOptions trace;
  uint64_t pause_at = 0;
  std::string self_snapshot;
};

// Writes every registered list, captured in process (vmpl::CaptureRegisteredLists, the vm_page_t
// of every page read), in the one JSON schema (docs/snapshot-format.md), with "pid" and "step"
// added. It is what a reader of this process's memory must find (`vmpl inspect --pid/--core/
// --remote`), so the tests compare the two. With a trace file, "trace_events" says how many
// events it holds at this point: `vmpl trace replay --at <trace_events - 1>` rebuilds this state.
bool WriteSelfSnapshot(const std::string& path, uint64_t step,
                       std::optional<uint64_t> trace_events) {
  Snapshot snapshot;
  snapshot.source = fmt::format("process {} at step {} (in process)", getpid(), step);
  snapshot.lists = CaptureRegisteredLists(CaptureOptions{.read_pages = true});
  nlohmann::ordered_json j = SnapshotToJson(snapshot);
  j["pid"] = getpid();
  j["step"] = step;
  if (trace_events) {
    j["trace_events"] = *trace_events;
  }
  FILE* file = fopen(path.c_str(), "w");
  if (file == nullptr) {
    return false;
  }
  const std::string text = DumpJson(j) + "\n";
  const bool ok = fwrite(text.data(), 1, text.size(), file) == text.size();
  return fclose(file) == 0 && ok;
}

// Steps run when neither --ops nor --duration is given.
constexpr uint64_t kDefaultOps = 100000;

// Parses "4096", "0x1000", "64K", "4G", "4GiB", "1T" (binary multiples) into bytes.
std::optional<uint64_t> ParseSize(std::string text) {
  uint64_t multiplier = 1;
  auto ends_with = [&text](std::string_view suffix) {
    return text.size() > suffix.size() &&
           std::equal(suffix.rbegin(), suffix.rend(), text.rbegin(),
                      [](char a, char b) { return a == std::tolower(b); });
  };
  for (std::string_view suffix : {"ib", "b"}) {
    if (ends_with(suffix) && std::isalpha(text[text.size() - suffix.size() - 1])) {
      text.resize(text.size() - suffix.size());
      break;
    }
  }
  if (!text.empty()) {
    switch (std::tolower(text.back())) {
      case 'k':
        multiplier = uint64_t{1} << 10;
        break;
      case 'm':
        multiplier = uint64_t{1} << 20;
        break;
      case 'g':
        multiplier = uint64_t{1} << 30;
        break;
      case 't':
        multiplier = uint64_t{1} << 40;
        break;
      default:
        break;
    }
    if (multiplier != 1) {
      text.pop_back();
    }
  }
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string digits = hex ? text.substr(2) : text;
  if (digits.empty()) {
    return std::nullopt;
  }
  const uint64_t base = hex ? 16 : 10;
  uint64_t value = 0;
  for (char c : digits) {
    uint64_t digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (hex && std::isxdigit(static_cast<unsigned char>(c))) {
      digit = std::tolower(c) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (value > (UINT64_MAX - digit) / base) {
      return std::nullopt;
    }
    value = value * base + digit;
  }
  if (value > UINT64_MAX / multiplier) {
    return std::nullopt;
  }
  return value * multiplier;
}

// Parses "commit=5,cow_fork=20" into |mix| (listed kinds replace their default weight).
std::string ParseMix(const std::string& text, std::array<uint32_t, kNumOpKinds>* mix) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) {
      comma = text.size();
    }
    const std::string item = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) {
      continue;
    }
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return "expected KIND=WEIGHT, got '" + item + "'";
    }
    const std::string name = item.substr(0, eq);
    const std::optional<OpKind> kind = vmpl::sim::OpKindFromName(name);
    if (!kind) {
      return "unknown kind '" + name + "'";
    }
    if (!vmpl::sim::IsAction(*kind)) {
      return "'" + name + "' happens as part of another kind and takes no weight";
    }
    const std::string weight_text = item.substr(eq + 1);
    std::optional<uint64_t> weight = ParseSize(weight_text);
    if (weight_text.empty() || !std::isdigit(static_cast<unsigned char>(weight_text[0])) ||
        !weight || *weight > 1000000) {
      return "weight of '" + name + "' must be an integer in [0, 1000000], got '" + weight_text +
             "'";
    }
    (*mix)[static_cast<size_t>(*kind)] = static_cast<uint32_t>(*weight);
  }
  return "";
}

// "commit=14 decommit=5 ..." wrapped at about 90 columns, lines after the first indented.
std::string ActionNames() {
  std::string out;
  size_t line = 0;
  for (size_t i = 0; i < kNumOpKinds; i++) {
    if (!vmpl::sim::IsAction(static_cast<OpKind>(i))) {
      continue;
    }
    const std::string item =
        fmt::format("{}={}", vmpl::sim::kOpKindNames[i], vmpl::sim::kDefaultMix[i]);
    if (line > 0 && line + 1 + item.size() > 90) {
      out += "\n  ";
      line = 0;
    } else if (line > 0) {
      out += ' ';
      line++;
    }
    out += item;
    line += item.size();
  }
  return out;
}

std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t unit = 0;
  double value = static_cast<double>(bytes);
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    unit++;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted.store(true, std::memory_order_relaxed); }

// The command line that reproduces a failure: every option that changes what the steps do.
std::string ReproduceCommand(const SimOptions& options, uint64_t step) {
  std::string command =
      fmt::format("vmpl sim --seed {} --vmos {} --max-vmo-size {} --page-budget {}", options.seed,
                  options.vmos, options.max_vmo_size, options.page_budget);
  if (!options.mix.empty()) {
    command += fmt::format(" --mix '{}'", options.mix);
  }
  command += fmt::format(" --ops {} --check-every 1", step);
  return command;
}

struct Outcome {
  SimStats stats;
  Census census;
  RunResult run;
  std::optional<CheckFailure> failure;
  uint64_t digest = 0;
  int64_t leaked_pages = 0;
  int64_t leaked_references = 0;
  bool interrupted = false;
  std::optional<SimTraceResult> trace;
};

std::string TraceSummary(const SimTraceResult& trace) {
  std::string out = fmt::format("  trace         {}: {} snapshot records, {} events, {} lost\n",
                                trace.path, trace.snapshot_records, trace.event_records,
                                trace.lost);
  out += fmt::format("  trace digest  {:#018x} ({} registered lists when tracing stopped)\n",
                     trace.digest, trace.lists);
  if (!trace.ok) {
    out += fmt::format("  TRACE FAILED: {}\n", trace.message);
  }
  return out;
}

void PrintText(const SimOptions& options, const SimConfig& config, const Outcome& outcome) {
  const SimStats& stats = outcome.stats;
  const Census& census = outcome.census;
  const double rate = outcome.run.elapsed_s > 0
                          ? static_cast<double>(outcome.run.steps) / outcome.run.elapsed_s
                          : 0;
  std::string out = fmt::format("vmpl sim: seed {}, {} steps in {:.2f} s ({:.0f} steps/s){}\n",
                                options.seed, stats.steps, outcome.run.elapsed_s, rate,
                                outcome.interrupted ? ", interrupted" : "");
  out += fmt::format(
      "  {} root VMOs up to {}, page budget {}, {} validation passes ({} lists validated){}\n\n",
      config.vmos, HumanBytes(config.max_vmo_size), config.page_budget, stats.checks,
      stats.lists_validated,
      config.check_every != 0 ? fmt::format(", one every {} steps", config.check_every) : "");
  out += fmt::format("  {:<24}{:>14}{:>14}{:>10}\n", "mutation", "count", "chosen", "idle");
  for (size_t i = 0; i < kNumOpKinds; i++) {
    const uint64_t count = stats.counts[i];
    const bool action = vmpl::sim::IsAction(static_cast<OpKind>(i));
    out += fmt::format("  {:<24}{:>14}{:>14}{:>10}{}\n", vmpl::sim::kOpKindNames[i], count,
                       action ? std::to_string(stats.chosen[i]) : "",
                       action ? std::to_string(stats.idle[i]) : "", count == 0 ? "  NONE" : "");
  }
  out += fmt::format("  {:<24}{:>14}\n", "total", stats.total());
  out += fmt::format("  {:<24}{:>14}\n\n", "idle steps", stats.idle_steps);
  out += "live at the end\n";
  out += fmt::format("  VMOs          {} visible ({} pager-backed), {} hidden parents\n",
                     census.visible_vmos, census.pager_vmos, census.hidden_vmos);
  out += fmt::format("  lists         {} ({} skewed), {} splice lists\n", census.lists,
                     census.skewed_lists, census.splice_lists);
  out += fmt::format("  pages         {}\n", census.pages);
  out += fmt::format("  references    {}\n", census.references);
  out += fmt::format("  markers       {}\n", census.markers);
  out += fmt::format("  intervals     {}\n", census.intervals);
  out += fmt::format("  nodes         {} ({})\n", census.nodes, HumanBytes(census.heap_bytes));
  out += fmt::format("  peak pages and references {} (budget {}, reclaim ran after {} steps)\n",
                     stats.peak_pages_and_references, config.page_budget, stats.budget_reclaims);
  out += fmt::format("  state digest  {:#018x}\n", outcome.digest);
  if (outcome.trace) {
    out += TraceSummary(*outcome.trace);
  }
  if (outcome.failure) {
    out += fmt::format("\nVIOLATION: {}\nreproduce: {}\n", outcome.failure->ToString(),
                       ReproduceCommand(options, outcome.failure->step));
  }
  if (outcome.leaked_pages != 0 || outcome.leaked_references != 0) {
    out += fmt::format("\nLEAK: {} pages and {} references not freed by the simulator\n",
                       outcome.leaked_pages, outcome.leaked_references);
  }
  fputs(out.c_str(), stdout);
}

void PrintJson(const SimOptions& options, const SimConfig& config, const Outcome& outcome) {
  const SimStats& stats = outcome.stats;
  const Census& census = outcome.census;
  nlohmann::ordered_json j;
  j["seed"] = options.seed;
  j["steps"] = stats.steps;
  j["elapsed_s"] = outcome.run.elapsed_s;
  j["steps_per_s"] = outcome.run.elapsed_s > 0
                         ? static_cast<double>(outcome.run.steps) / outcome.run.elapsed_s
                         : 0;
  j["interrupted"] = outcome.interrupted;
  nlohmann::ordered_json mix = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kNumOpKinds; i++) {
    if (vmpl::sim::IsAction(static_cast<OpKind>(i))) {
      mix[vmpl::sim::kOpKindNames[i]] = config.mix[i];
    }
  }
  j["config"] = {{"vmos", config.vmos},
                 {"max_vmo_size", config.max_vmo_size},
                 {"page_budget", config.page_budget},
                 {"check_every", config.check_every},
                 {"mix", mix}};
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kNumOpKinds; i++) {
    counts[vmpl::sim::kOpKindNames[i]] = stats.counts[i];
  }
  j["counts"] = std::move(counts);
  j["total_mutations"] = stats.total();
  j["idle_steps"] = stats.idle_steps;
  j["checks"] = stats.checks;
  j["lists_validated"] = stats.lists_validated;
  j["live"] = {{"visible_vmos", census.visible_vmos},
               {"pager_vmos", census.pager_vmos},
               {"hidden_vmos", census.hidden_vmos},
               {"lists", census.lists},
               {"skewed_lists", census.skewed_lists},
               {"splice_lists", census.splice_lists},
               {"pages", census.pages},
               {"references", census.references},
               {"markers", census.markers},
               {"intervals", census.intervals},
               {"nodes", census.nodes},
               {"heap_bytes", census.heap_bytes}};
  j["peak_pages_and_references"] = stats.peak_pages_and_references;
  j["budget_reclaims"] = stats.budget_reclaims;
  j["state_digest"] = fmt::format("{:#018x}", outcome.digest);
  if (outcome.trace) {
    const SimTraceResult& trace = *outcome.trace;
    j["trace"] = {{"path", trace.path},
                  {"snapshot_records", trace.snapshot_records},
                  {"event_records", trace.event_records},
                  {"lost", trace.lost},
                  {"lists", trace.lists},
                  {"digest", fmt::format("{:#018x}", trace.digest)},
                  {"ok", trace.ok},
                  {"error", trace.message}};
  }
  if (outcome.failure) {
    nlohmann::ordered_json violations = nlohmann::ordered_json::array();
    for (const Violation& violation : outcome.failure->violations) {
      violations.push_back(violation.ToString());
    }
    j["violation"] = {{"step", outcome.failure->step},
                      {"list", outcome.failure->list_name},
                      {"violations", std::move(violations)},
                      {"reproduce", ReproduceCommand(options, outcome.failure->step)}};
  } else {
    j["violation"] = nullptr;
  }
  j["leaked"] = {{"pages", outcome.leaked_pages}, {"references", outcome.leaked_references}};
  j["ok"] = !outcome.failure && outcome.leaked_pages == 0 && outcome.leaked_references == 0;
  fputs((j.dump(2) + "\n").c_str(), stdout);
}

int RunSim(const SimOptions& options) {
  SimConfig config;
  config.seed = options.seed;
  config.vmos = options.vmos;
  config.max_vmo_size = *ParseSize(options.max_vmo_size);
  config.page_budget = options.page_budget;
  config.check_every = options.check_every;
  if (const std::string problem = ParseMix(options.mix, &config.mix); !problem.empty()) {
    fprintf(stderr, "vmpl sim: --mix: %s\n", problem.c_str());
    return kExitUsage;
  }
  if (const std::string problem = config.Problem(); !problem.empty()) {
    fprintf(stderr, "vmpl sim: %s\n", problem.c_str());
    return kExitUsage;
  }

  RunLimits limits;
  limits.max_ops = options.ops;
  limits.duration_s = options.duration;
  if (options.ops == 0 && options.duration == 0) {
    limits.max_ops = kDefaultOps;
  }
  limits.rate = options.rate;
  g_interrupted.store(false);
  struct sigaction action = {};
  struct sigaction previous = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous);
  limits.stop = [] { return g_interrupted.load(std::memory_order_relaxed); };

  vmpl::PageAllocator& allocator = vmpl::PageAllocator::Get();
  const size_t pages_before = allocator.pages_outstanding();
  const size_t references_before = allocator.references_outstanding();
  const bool progress = !options.quiet && isatty(STDERR_FILENO) == 1;

  Outcome outcome;
  std::unique_ptr<SimTrace> trace;
  if (options.trace.active()) {
    std::string error;
    const nlohmann::json run = {{"seed", options.seed},
                                {"ops", options.ops},
                                {"vmos", config.vmos},
                                {"max_vmo_size", config.max_vmo_size},
                                {"page_budget", config.page_budget},
                                {"mix", options.mix}};
    trace = SimTrace::Start(options.trace, run, &error);
    if (!trace) {
      fprintf(stderr, "vmpl sim: --trace: %s\n", error.c_str());
      return kExitUnreadable;
    }
    if (options.trace.shared && !options.quiet) {
      fprintf(stderr, "vmpl sim: tracing ring /dev/shm/vmpl.%d is ready for `vmpl trace record --pid %d`\n",
              getpid(), getpid());
    }
    limits.after_step = [&trace] { trace->AfterStep(); };
  }
  uint64_t steps_done = 0;
  bool pause_failed = false;
  if (options.pause_at != 0) {
    // After step N: write the self-snapshot, then stop this process (SIGSTOP) so that a reader
    // sees exactly that state; SIGCONT resumes the run.
    limits.after_step = [&, previous = limits.after_step] {
      if (previous) {
        previous();
      }
      if (++steps_done == options.pause_at) {
        if (!options.self_snapshot.empty() &&
            !WriteSelfSnapshot(options.self_snapshot, steps_done,
                               trace && !options.trace.file.empty()
                                   ? std::optional<uint64_t>(trace->events_recorded())
                                   : std::nullopt)) {
          pause_failed = true;
        }
        raise(SIGSTOP);
      }
    };
  }
  {
    vmpl::sim::Simulator sim(config);
    if (progress) {
      limits.progress = [&sim](double elapsed) {
        const SimStats& stats = sim.stats();
        fprintf(stderr,
                "\r\033[K[%6.1fs] %lu steps, %.0f steps/s, %lu mutations, %lu pages + %lu refs, "
                "%lu checks",
                elapsed, stats.steps, elapsed > 0 ? static_cast<double>(stats.steps) / elapsed : 0,
                stats.total(), stats.live_pages, stats.live_references, stats.checks);
        fflush(stderr);
      };
    }
    outcome.run = sim.Run(limits);
    if (progress) {
      fputs("\r\033[K", stderr);
    }
    outcome.stats = sim.stats();
    outcome.census = sim.TakeCensus();
    outcome.failure = sim.failure();
    outcome.digest = sim.StateDigest();
    if (trace) {
      outcome.trace = trace->Finish();
      trace.reset();
    }
  }
  sigaction(SIGINT, &previous, nullptr);
  outcome.interrupted = g_interrupted.load();
  outcome.leaked_pages =
      static_cast<int64_t>(allocator.pages_outstanding()) - static_cast<int64_t>(pages_before);
  outcome.leaked_references = static_cast<int64_t>(allocator.references_outstanding()) -
                              static_cast<int64_t>(references_before);

  if (outcome.failure) {
    fprintf(stderr, "vmpl sim: %s\nreproduce: %s\n", outcome.failure->ToString().c_str(),
            ReproduceCommand(options, outcome.failure->step).c_str());
  }
  if (options.json) {
    PrintJson(options, config, outcome);
  } else if (!options.quiet || outcome.failure) {
    PrintText(options, config, outcome);
  }
  fflush(stdout);
  if (pause_failed) {
    fprintf(stderr, "vmpl sim: --self-snapshot: cannot write %s\n", options.self_snapshot.c_str());
  }
  const bool ok = !pause_failed && !outcome.failure && outcome.leaked_pages == 0 &&
                  outcome.leaked_references == 0 && (!outcome.trace || outcome.trace->ok);
  return ok ? kExitOk : kExitProblems;
}

constexpr char kSimFooter[] = R"(EXAMPLES:
  vmpl sim                                   100000 steps of the default mix, seed 1
  vmpl sim --seed 1 --duration 600 --check-every 1000
                                             ten minutes, every list validated every 1000 steps
  vmpl sim --ops 20000 --json | jq .counts   mutation counts as JSON
  vmpl sim --vmos 32 --max-vmo-size 64G --page-budget 1M --rate 50000 --duration 60
                                             a bigger population, paced at 50000 steps/s
  vmpl sim --mix cow_fork=50,clone_create=10,clone_destroy=10 --check-every 100
                                             mostly copy-on-write traffic
  vmpl sim --ops 100000 --trace sim.vmpltrace   record every mutation; then
                                             `vmpl trace replay sim.vmpltrace` rebuilds the lists
  vmpl sim --duration 60 --trace-shm         publish a live trace ring for
                                             `vmpl trace record --pid <pid>`

KINDS (and their default weights; --mix KIND=WEIGHT,... replaces the listed ones, 0 disables):
  )"
                              "%MIX%"
                              R"(
  cow_move, cow_release, merge_from, merge_onto, interval_fill, interval_return_slot and
  splice_peek_reference happen as parts of these and are counted too.

OUTPUT:
  Mutations per kind (one per slot changed for per-slot kinds, one per call for range kinds),
  steps/s, what the lists hold at the end (VMOs, lists, pages, references, markers, intervals,
  nodes) and the state digest (equal for equal options, whatever the machine or the pace).
  With --check-every N every list and splice list is validated every N steps; the first
  violation stops the run and is printed with a command line that reproduces it.

EXIT STATUS:
  0 no violation and nothing leaked, 1 a violation or a leak, 2 usage error)";

}  // namespace

Subcommand RegisterSimCommand(CLI::App& root, const GlobalOptions& /*globals*/) {
  auto options = std::make_shared<SimOptions>();
  CLI::App* sim = root.add_subcommand(
      "sim", "Run a kernel-like VMO workload on page lists, deterministically from a seed");
  sim->description(
      "Drive page lists the way Zircon's VMO layer does: clone trees with hidden parents and\n"
      "skewed children, commit/decommit, zero-page dedup, compression, copy-on-write forks with\n"
      "split bits, pager-backed VMOs with dirty zero intervals, TakePages and splice lists,\n"
      "MergeFrom/MergeOnto collapses. Every list is registered in the process-wide registry.");
  std::string footer = kSimFooter;
  footer.replace(footer.find("%MIX%"), 5, ActionNames());
  sim->footer(footer);

  const CLI::Validator size_validator(
      [](std::string& text) -> std::string {
        return ParseSize(text) ? "" : "expected a byte count such as 4096, 0x1000, 64K or 4G";
      },
      "BYTES");
  const CLI::Validator mix_validator(
      [](std::string& text) -> std::string {
        std::array<uint32_t, kNumOpKinds> mix = vmpl::sim::kDefaultMix;
        return ParseMix(text, &mix);
      },
      "KIND=WEIGHT,...");

  sim->add_option("--seed", options->seed, "Seed of every random choice")
      ->option_text("N")
      ->default_str("1");
  sim->add_option("--duration", options->duration, "Stop after this many seconds")
      ->check(CLI::NonNegativeNumber)
      ->option_text("SECONDS");
  sim->add_option("--ops", options->ops,
                  "Stop after this many steps (default 100000 if no --duration)")
      ->option_text("N");
  sim->add_option("--rate", options->rate, "Steps per second (0: flat out)")
      ->check(CLI::NonNegativeNumber)
      ->option_text("OPS_PER_S")
      ->default_str("0");
  sim->add_option("--vmos", options->vmos, "Root VMOs (a third pager-backed)")
      ->check(CLI::Range(uint64_t{2}, uint64_t{4096}))
      ->option_text("N")
      ->default_str("8");
  sim->add_option("--max-vmo-size", options->max_vmo_size,
                  "Largest root VMO, a multiple of 4 KiB, at least 1M (suffixes K, M, G, T)")
      ->check(size_validator)
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            const std::optional<uint64_t> bytes = ParseSize(text);
            if (!bytes || *bytes % 4096 != 0 || *bytes < (uint64_t{1} << 20) ||
                *bytes > (uint64_t{1} << 46)) {
              return "must be a multiple of 4 KiB between 1M and 64T";
            }
            return "";
          },
          ""))
      ->option_text("BYTES")
      ->default_str("4G");
  sim->add_option("--page-budget", options->page_budget,
                  "Pages plus references alive at once; reclaim keeps to it")
      ->check(CLI::Range(uint64_t{64}, uint64_t{1} << 32))
      ->option_text("N")
      ->default_str("8192");
  sim->add_option("--mix", options->mix, "Weights of the kinds, e.g. commit=5,cow_fork=20")
      ->check(mix_validator)
      ->option_text("KIND=WEIGHT,...");
  sim->add_option("--check-every", options->check_every,
                  "Validate every list every N steps and stop at the first violation (0: off)")
      ->option_text("N")
      ->default_str("0");
  sim->add_flag("--json", options->json, "Print the summary as JSON");
  sim->add_flag("--quiet", options->quiet, "No progress line and no summary unless it failed");
  sim->add_option("--pause-at", options->pause_at,
                  "Stop the process (SIGSTOP) after this step, for a debugger or vmpl inspect; "
                  "SIGCONT resumes")
      ->option_text("STEP");
  sim->add_option("--self-snapshot", options->self_snapshot,
                  "With --pause-at: first write every registered list's state, as this process "
                  "sees it, to this JSON file")
      ->option_text("FILE");
  sim->add_option("--trace", options->trace.file,
                  "Record every page-list mutation of the run into this trace file")
      ->option_text("FILE");
  sim->add_flag("--trace-shm", options->trace.shared,
                "Publish a trace ring in /dev/shm/vmpl.<pid> for `vmpl trace record --pid`")
      ->excludes("--trace");
  sim->add_option("--trace-shm-mode", options->trace.shm_mode,
                  "What a full shared ring does: overwrite its oldest records, or drop new ones")
      ->check(CLI::IsMember({"overwrite", "drop"}))
      ->default_str("overwrite");
  sim->add_option("--trace-shm-records", options->trace.shm_capacity,
                  "Records (64 bytes each) in the shared ring, a power of two")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            const uint64_t n = std::strtoull(text.c_str(), nullptr, 0);
            return n >= 64 && n <= (uint64_t{1} << 30) && (n & (n - 1)) == 0
                       ? ""
                       : "must be a power of two from 64 to 2^30";
          },
          "N"))
      ->default_str("262144");

  return Subcommand{sim, [options]() { return RunSim(*options); }};
}

}  // namespace vmpl::cli
