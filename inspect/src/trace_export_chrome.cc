// Chrome trace JSON export (<vmpl/inspect/trace_export.h>): the Trace Event Format, written one
// event per line as the timeline pass produces them.
//
// Shape of the output:
//   {"displayTimeUnit":"ns","otherData":{...},"traceEvents":[
//   {"name":"process_name","ph":"M","pid":P,"tid":0,"args":{"name":"vmpl sim (pid P)"}},
//   {"name":"LookupOrAllocate","cat":"op","ph":"B","ts":123.456,"pid":P,"tid":T,"args":{...}},
//   {"name":"slot-store","cat":"slot","ph":"i","s":"t","ts":...,"args":{"list":"vmo:3 #17",...}},
//   {"name":"vmo:3 #17","cat":"list","ph":"C","ts":...,"pid":P,"args":{"nodes":3,"pages":40,...}},
//   ...
//   {"name":"LookupOrAllocate","ph":"E","ts":...,"pid":P,"tid":T}
//   ]}
// ts is in microseconds with three decimals (nanosecond resolution). Addresses, offsets and raw
// values are hex strings, so a viewer shows them the way a kernel engineer reads them.

#include <fmt/format.h>
#include <vmpl/inspect/trace_export.h>

#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>

namespace vmpl::inspect {
namespace {

using trace::EventKind;
using trace::FileRecord;
using trace::OpKind;

constexpr size_t kFlushBytes = size_t{1} << 20;

// A JSON string literal for |text|, which may hold anything (invalid UTF-8 is replaced).
std::string JsonString(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A JSON string literal for text known to be printable ASCII (labels, kind names): only quotes
// and backslashes need escaping.
void AppendAsciiString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
    }
    out->push_back(c);
  }
  out->push_back('"');
}

class ChromeSink final : public TimelineSink {
 public:
  ChromeSink(const trace::TraceReader& reader, const ExportWrite& write, ExportStats* stats)
      : info_(reader.info()), write_(write), stats_(stats) {
    pid_ = info_.pid > 0 ? info_.pid : 1;
    if (reader.losses()) {
      for (const trace::ProducerLosses& producer : reader.losses()->producers) {
        if (producer.tid != 0 && producer.tid < (uint64_t{1} << 31)) {
          tids_[producer.index] = static_cast<int64_t>(producer.tid);
        }
      }
    }
    nlohmann::json other = {
        {"exporter", "vmpl trace export"}, {"file", reader.name()},
        {"program", info_.program},        {"program_version", info_.program_version},
        {"recorded_pid", info_.pid},       {"host", info_.host},
        {"start_time", info_.start_time},  {"clock", info_.clock.name},
        {"complete", reader.complete()},   {"problem", reader.problem()}};
    if (reader.losses()) {
      const trace::LossCounts totals = reader.losses()->Totals();
      other["lost_records"] = totals.total();
    }
    out_ = "{\"displayTimeUnit\":\"ns\",\"otherData\":";
    out_ += other.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out_ += ",\"traceEvents\":[\n";
    Begin();
    out_ += fmt::format(
        R"({{"name":"process_name","ph":"M","pid":{},"tid":0,"args":{{"name":{}}}}})", pid_,
        JsonString(fmt::format(
            "{} (pid {})", info_.program.empty() ? std::string("traced process") : info_.program,
            info_.pid)));
  }

  void OnStart(const TraceResolver& resolver) override { resolver_ = &resolver; }

  void OnProducer(uint32_t producer) override {
    Begin();
    out_ += fmt::format(
        R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":"producer {}{}"}}}})",
        pid_, Tid(producer), producer,
        tids_.count(producer) != 0 ? fmt::format(" (tid {})", tids_[producer]) : "");
    Begin();
    out_ += fmt::format(
        R"({{"name":"thread_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
        pid_, Tid(producer), producer);
  }

  void OnOpBegin(const FileRecord& record, uint64_t ticks, const Resolution& resolution,
                 const TracedList*) override {
    Begin();
    out_ += R"({"name":)";
    AppendAsciiString(&out_, trace::OpKindName(static_cast<OpKind>(record.event.aux)));
    out_ += fmt::format(R"(,"cat":"op","ph":"B","ts":{},"pid":{},"tid":{})", Micros(ticks), pid_,
                        Tid(record.producer));
    Args(record.event, resolution);
    out_ += '}';
  }

  void OnOpEnd(uint32_t producer, uint64_t ticks, OpKind op, bool synthesized) override {
    Begin();
    out_ += R"({"name":)";
    AppendAsciiString(&out_, trace::OpKindName(op));
    out_ += fmt::format(R"(,"cat":"op","ph":"E","ts":{},"pid":{},"tid":{})", Micros(ticks), pid_,
                        Tid(producer));
    if (synthesized) {
      out_ += R"(,"args":{"unterminated":true})";
    }
    out_ += '}';
  }

  void OnInstant(const FileRecord& record, const Resolution& resolution,
                 const TracedList*) override {
    Begin();
    out_ += R"({"name":)";
    AppendAsciiString(&out_, trace::EventKindName(record.event.kind));
    out_ += R"(,"cat":)";
    AppendAsciiString(&out_, EventCategory(record.event.kind));
    out_ += fmt::format(R"(,"ph":"i","s":"t","ts":{},"pid":{},"tid":{})",
                        Micros(record.event.timestamp), pid_, Tid(record.producer));
    Args(record.event, resolution);
    out_ += '}';
  }

  void OnCounters(uint64_t ticks, const TracedList& list, const ListCounters& counters) override {
    // The series is named after the list's first label, so renaming it later does not start
    // another track.
    auto [it, inserted] = counter_names_.try_emplace(list.key);
    if (inserted) {
      it->second = "list " + labels_.Get(*resolver_, list.key);
    }
    Begin();
    out_ += R"({"name":)";
    AppendAsciiString(&out_, it->second);
    out_ += fmt::format(
        R"(,"cat":"list","ph":"C","ts":{},"pid":{},"args":{{"nodes":{},"pages":{},)"
        R"("references":{},"markers":{},"intervals":{},"interval_sentinels":{}}}}})",
        Micros(ticks), pid_, counters.nodes, counters.content.pages, counters.content.references,
        counters.content.markers, counters.content.intervals, counters.content.interval_sentinels);
  }

  // Writes the closing bracket and what is buffered; false and |error| if a write failed.
  bool Finish(std::string* error) {
    out_ += "\n]}\n";
    if (!failed_) {
      if (write_(out_.data(), out_.size(), &error_)) {
        stats_->bytes += out_.size();
      } else {
        failed_ = true;
      }
    }
    out_.clear();
    if (failed_) {
      *error = error_;
      return false;
    }
    return true;
  }

 private:
  // Separates events and flushes full blocks. A failed write is remembered and reported at the
  // end; the pass goes on without writing.
  void Begin() {
    if (out_.size() >= kFlushBytes && !failed_) {
      if (!write_(out_.data(), out_.size(), &error_)) {
        failed_ = true;
      } else {
        stats_->bytes += out_.size();
      }
      out_.clear();
    } else if (failed_) {
      out_.clear();
    }
    if (!first_) {
      out_ += ",\n";
    }
    first_ = false;
  }

  int64_t Tid(uint32_t producer) {
    auto it = tids_.find(producer);
    if (it != tids_.end()) {
      return it->second;
    }
    return static_cast<int64_t>(producer) + 1;
  }

  // Microseconds with three decimals, from integer nanoseconds (no rounding drift).
  std::string Micros(uint64_t ticks) const {
    const uint64_t ns = TimestampNanoseconds(info_.clock, ticks);
    return fmt::format("{}.{:03}", ns / 1000, ns % 1000);
  }

  void Args(const trace::Event& event, const Resolution& resolution) {
    EventArg args[kMaxEventArgs];
    const size_t n = DescribeEvent(event, resolution, *resolver_, args);
    if (n == 0) {
      return;
    }
    out_ += R"(,"args":{)";
    for (size_t i = 0; i < n; i++) {
      if (i != 0) {
        out_ += ',';
      }
      out_ += '"';
      out_ += args[i].name;
      out_ += "\":";
      switch (args[i].type) {
        case EventArgType::kUint:
          fmt::format_to(std::back_inserter(out_), "{}", args[i].value);
          break;
        case EventArgType::kHex:
          fmt::format_to(std::back_inserter(out_), "\"{:#x}\"", args[i].value);
          break;
        case EventArgType::kList:
          AppendAsciiString(&out_, labels_.Get(*resolver_, args[i].value));
          break;
        case EventArgType::kText:
          AppendAsciiString(&out_, args[i].text);
          break;
      }
    }
    out_ += '}';
  }

  const trace::TraceInfo& info_;
  const ExportWrite& write_;
  ExportStats* stats_;
  const TraceResolver* resolver_ = nullptr;
  int64_t pid_ = 1;
  std::unordered_map<uint32_t, int64_t> tids_;
  ListLabelCache labels_;
  std::unordered_map<uint64_t, std::string> counter_names_;
  std::string out_;
  bool first_ = true;
  bool failed_ = false;
  std::string error_;
};

}  // namespace

bool ExportChrome(const trace::TraceReader& reader, const ExportOptions& options,
                  const ExportWrite& write, ExportStats* stats, std::string* error) {
  *stats = ExportStats{};
  ChromeSink sink(reader, write, stats);
  TimelineOptions timeline;
  timeline.slot_stores = options.slot_stores;
  timeline.progress = options.progress;
  stats->timeline = RunTimeline(reader, timeline, &sink);
  return sink.Finish(error);
}

}  // namespace vmpl::inspect
