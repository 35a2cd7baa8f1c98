// `vmpl trace replay FILE [--at N] [--check] [--list NAME|ID] [--json]`: rebuilds every list of a
// trace in real VmPageList objects (vmpl::inspect::TraceReplay) and shows them as they were after
// event N (default: the last one).
//
// The digest of the registered lists is printed (and compared with the one `vmpl sim --trace`
// stores at the end of its file): equal digests mean the replay rebuilt the recorder's state byte
// for byte. --check validates the lists with the core's checker along the way and names the first
// event after which an invariant broke (judged at the recorder's checkpoints, between steps).

#include <stdio.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/trace_file.h>
#include <vmpl/inspect/trace_replay.h>
#include <vmpl/model/json_view.h>
#include <vmpl/model/text_view.h>

#include "command.h"
#include "trace_command.h"

namespace vmpl::cli {
namespace {

using inspect::TraceReplay;

struct ReplayOptions {
  std::string file;
  std::optional<uint64_t> at;
  bool check = false;
  std::string list;
  bool json = false;
};

bool Selected(const ReplayOptions& options, const SnapshotList& list) {
  return !options.list.empty() &&
         (options.list == list.name || options.list == std::to_string(list.registry_id));
}

// A list in the one JSON schema; only the list asked for with --list keeps its nodes (a trace's
// lists can be large, and the counts say what each holds).
nlohmann::ordered_json ListJson(const SnapshotList& list, bool slots) {
  nlohmann::ordered_json j = ListToJson(list);
  if (!slots) {
    j.erase("nodes");
  }
  return j;
}

constexpr char kReplayFooter[] = R"(EXAMPLES:
  vmpl trace replay sim.vmpltrace            every list at the end, and the state digest
  vmpl trace replay sim.vmpltrace --check    validate along the way; exit 1 on a violation
  vmpl trace replay sim.vmpltrace --at 5000 --list vmo:3
                                             one list, slot by slot, after event 5000
  vmpl trace replay sim.vmpltrace --json

EXIT STATUS:
  0 replayed, consistent; 1 a violation (--check), or the replay diverged from the events (lost
  or damaged events), or the digest differs from the one the recorder stored; 2 usage error;
  3 the file is unreadable or damaged (what was readable is replayed and shown first))";

int RunReplay(const ReplayOptions& options) {
  std::string error;
  std::unique_ptr<trace::TraceReader> reader = trace::TraceReader::Open(options.file, &error);
  if (!reader) {
    fprintf(stderr, "vmpl trace replay: %s\n", error.c_str());
    return kExitUnreadable;
  }
  // Applies the snapshot and the events up to |last| (inclusive); returns the events applied.
  auto run = [&reader](TraceReplay& replay, uint64_t last) {
    uint64_t snapshot_index = 0;
    for (const trace::RecordSpan& span : reader->snapshot_spans()) {
      for (size_t i = 0; i < span.count; i++) {
        replay.Apply(span.data[i].event, snapshot_index++);
      }
    }
    uint64_t applied = 0;
    for (const trace::RecordSpan& span : reader->event_spans()) {
      for (size_t i = 0; i < span.count && span.first_index + i <= last; i++) {
        replay.Apply(span.data[i].event, span.first_index + i);
        applied++;
      }
    }
    return applied;
  };
  const uint64_t last = options.at ? std::min(*options.at, reader->event_count()) : UINT64_MAX;
  TraceReplay replay(reader->info().layout,
                     options.check ? TraceReplay::Check::kCheckpoints : TraceReplay::Check::kNone);
  const auto start = std::chrono::steady_clock::now();
  const uint64_t applied = run(replay, last);
  replay.Finish(applied);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The first violation is known to a window of events; replay again, validating after every
  // event of that window, to name the event after which it appeared.
  std::optional<inspect::ReplayProblem> first_exact;
  if (!replay.problems().empty()) {
    const inspect::ReplayProblem& first = replay.problems().front();
    TraceReplay precise(reader->info().layout, TraceReplay::Check::kEveryEvent);
    precise.CheckEveryEventFrom(first.event_index);
    const uint64_t end = std::min(last, first.checkpoint_index);
    precise.Finish(run(precise, end));
    for (const inspect::ReplayProblem& p : precise.problems()) {
      if (p.SameViolation(first)) {
        first_exact = p;
        break;
      }
    }
  }

  const std::vector<SnapshotList> registered = replay.Lists(/*registered_only=*/true);
  const uint64_t digest = ContentDigest(registered);
  const bool list_found = std::any_of(registered.begin(), registered.end(),
                                      [&](const SnapshotList& l) { return Selected(options, l); });
  // The recorder's own digest, when it stored one and we replayed to the end.
  std::optional<uint64_t> recorded_digest;
  if (!options.at) {
    recorded_digest = inspect::RecordedFinalDigest(*reader);
  }
  const bool digest_mismatch = recorded_digest && *recorded_digest != digest;
  const inspect::TraceResolver& resolver = replay.resolver();

  if (options.json) {
    nlohmann::ordered_json j;
    j["file"] = options.file;
    j["snapshot_records"] = reader->snapshot_count();
    j["events_replayed"] = applied;
    j["events_in_file"] = reader->event_count();
    j["seconds"] = seconds;
    j["digest"] = fmt::format("{:#018x}", digest);
    j["recorded_digest"] =
        recorded_digest ? nlohmann::ordered_json(fmt::format("{:#018x}", *recorded_digest))
                        : nlohmann::ordered_json(nullptr);
    j["divergences"] = replay.divergences();
    j["first_divergence"] = replay.first_divergence();
    j["resolver_inconsistencies"] = resolver.inconsistencies();
    j["unattributed_stores"] = resolver.unattributed_stores();
    j["checkpoints"] = replay.checkpoints();
    nlohmann::ordered_json problems = nlohmann::ordered_json::array();
    if (first_exact) {
      problems.push_back({{"event", first_exact->event_index},
                          {"exact", true},
                          {"judged_at", first_exact->checkpoint_index},
                          {"list", first_exact->list_name},
                          {"violation", first_exact->message}});
    }
    for (const inspect::ReplayProblem& p : replay.problems()) {
      if (first_exact && &p == &replay.problems().front()) {
        continue;
      }
      problems.push_back({{"window_start", p.event_index},
                          {"exact", false},
                          {"judged_at", p.checkpoint_index},
                          {"list", p.list_name},
                          {"violation", p.message}});
    }
    j["problems"] = std::move(problems);
    nlohmann::ordered_json lists = nlohmann::ordered_json::array();
    for (const SnapshotList& list : registered) {
      lists.push_back(ListJson(list, Selected(options, list)));
    }
    j["lists"] = std::move(lists);
    j["problem"] = reader->problem();
    fputs((DumpJson(j) + "\n").c_str(), stdout);
  } else {
    std::string out = fmt::format(
        "vmpl trace replay {}: {} snapshot records + {} of {} events in {:.3f} s ({:.1f} M "
        "events/s)\n",
        options.file, reader->snapshot_count(), applied, reader->event_count(), seconds,
        seconds > 0 ? static_cast<double>(applied) / seconds / 1e6 : 0.0);
    out += fmt::format("  state digest  {:#018x} of {} registered lists{}\n", digest,
                       registered.size(),
                       !recorded_digest ? ""
                       : digest_mismatch
                           ? fmt::format(": DIFFERS from the recorder's {:#018x}", *recorded_digest)
                           : ": equals the recorder's final state");
    out += fmt::format("  divergences {}, resolver inconsistencies {}, stores outside lists {}\n",
                       replay.divergences(), resolver.inconsistencies(),
                       resolver.unattributed_stores());
    if (replay.divergences() != 0) {
      out += fmt::format("  first divergence: {}\n", replay.first_divergence());
    }
    if (resolver.inconsistencies() != 0) {
      out += fmt::format("  first inconsistency: {}\n", resolver.first_inconsistency());
    }
    if (options.check) {
      out += fmt::format("  check: {} checkpoints, {} violations\n", replay.checkpoints(),
                         replay.problem_count());
      if (first_exact) {
        out += fmt::format("    first broken by event {} (still broken at checkpoint event {}): "
                           "list '{}': {}\n",
                           first_exact->event_index, first_exact->checkpoint_index,
                           first_exact->list_name, first_exact->message);
      }
      for (const inspect::ReplayProblem& p : replay.problems()) {
        if (first_exact && &p == &replay.problems().front()) {
          continue;
        }
        out += fmt::format("    between events {} and {}: list '{}': {}\n", p.event_index,
                           p.checkpoint_index, p.list_name, p.message);
      }
    }
    out += fmt::format("\n  {:>5} {:<28} {:>8} {:>6} {:>7} {:>6} {:>7} {:>9} {:>9}\n", "id",
                       "name", "skew", "nodes", "pages", "refs", "markers", "intervals",
                       "sentinels");
    for (const SnapshotList& list : registered) {
      const SlotCounts counts = CountSlots(list);
      out += fmt::format("  {:>5} {:<28} {:>#8x} {:>6} {:>7} {:>6} {:>7} {:>9} {:>9}\n",
                         list.registry_id, EscapeText(list.name, false), list.skew,
                         list.nodes.size(), counts.pages, counts.references, counts.markers,
                         counts.intervals, counts.interval_sentinels);
    }
    for (const SnapshotList& list : registered) {
      if (Selected(options, list)) {
        out += '\n';
        out += FormatList(list, /*slots=*/true);
      }
    }
    fputs(out.c_str(), stdout);
  }
  if (!reader->problem().empty()) {
    fprintf(stderr, "vmpl trace replay: %s\n", reader->problem().c_str());
    return kExitUnreadable;
  }
  if (!options.list.empty() && !list_found) {
    fprintf(stderr, "vmpl trace replay: no registered list is named or numbered '%s' at event %s\n",
            EscapeText(options.list, false).c_str(),
            options.at ? std::to_string(*options.at).c_str() : "the end");
    return kExitUsage;
  }
  const bool bad = replay.problem_count() != 0 || replay.divergences() != 0 || digest_mismatch;
  return bad ? kExitProblems : kExitOk;
}

}  // namespace

Subcommand RegisterTraceReplay(CLI::App& trace, const GlobalOptions& /*globals*/) {
  auto options = std::make_shared<ReplayOptions>();
  CLI::App* replay =
      trace.add_subcommand("replay", "Rebuild every list of a trace in real page-list objects");
  replay->footer(kReplayFooter);
  replay->add_option("FILE", options->file, "A trace file")->required()->option_text("FILE");
  replay->add_option("--at", options->at, "Stop after event N (0-based; default: the last)")
      ->option_text("N");
  replay->add_flag("--check", options->check,
                   "Validate the lists after every event; report violations that last to a "
                   "checkpoint, with the event that caused them");
  replay->add_option("--list", options->list, "Show this list (registry name or id) slot by slot")
      ->option_text("NAME|ID");
  replay->add_flag("--json", options->json, "Print the result as JSON");
  return Subcommand{replay, [options]() { return RunReplay(*options); }};
}

}  // namespace vmpl::cli
