// The JSON chunks of a trace file: TraceInfo (INFO) and LossTable (LOSSES), to and from JSON,
// with the checks a reader applies to them. The key names are part of the format
// (docs/trace-format.md).

#include <fmt/format.h>
#include <time.h>
#include <unistd.h>
#include <vmpl/inspect/trace_file.h>

#include <bit>
#include <cmath>
#include <limits>

namespace vmpl::trace {
namespace {

using nlohmann::json;

// Reads the fields of one JSON object, naming each by its path ("layout.fanout") when it is
// missing or ill-typed. The first failure is kept in |error|; later reads keep failing, so a
// parse is a sequence of reads checked once at the end.
class FieldReader {
 public:
  FieldReader(const json& object, std::string prefix, std::string* error)
      : object_(object), prefix_(std::move(prefix)), error_(error) {
    if (!object_.is_object()) {
      ok_ = false;
      *error_ =
          fmt::format("{}: expected a JSON object",
                      prefix_.empty() ? "(top level)" : prefix_.substr(0, prefix_.size() - 1));
    }
  }

  bool ok() const { return ok_; }

  // The value at |key|, or null (and a failure) when it is missing.
  const json* Find(const char* key) {
    if (!ok_) {
      return nullptr;
    }
    auto it = object_.find(key);
    if (it == object_.end()) {
      Fail(key, "missing");
      return nullptr;
    }
    return &*it;
  }

  void Unsigned(const char* key, uint64_t* out,
                uint64_t max = std::numeric_limits<uint64_t>::max()) {
    const json* value = Find(key);
    if (value == nullptr) {
      return;
    }
    // Parsed JSON holds non-negative integers as unsigned; JSON built in C++ may hold them signed.
    const bool non_negative =
        value->is_number_unsigned() || (value->is_number_integer() && value->get<int64_t>() >= 0);
    if (!non_negative || value->get<uint64_t>() > max) {
      Fail(key, fmt::format("expected an integer from 0 to {}", max));
      return;
    }
    *out = value->get<uint64_t>();
  }

  void Signed(const char* key, int64_t* out) {
    const json* value = Find(key);
    if (value == nullptr) {
      return;
    }
    // nlohmann stores non-negative integers as unsigned; those above INT64_MAX do not fit.
    if (!value->is_number_integer() ||
        (value->is_number_unsigned() &&
         value->get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()})) {
      Fail(key, "expected a 64-bit signed integer");
      return;
    }
    *out = value->get<int64_t>();
  }

  void PositiveNumber(const char* key, double* out) {
    const json* value = Find(key);
    if (value == nullptr) {
      return;
    }
    if (!value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() <= 0) {
      Fail(key, "expected a finite number greater than 0");
      return;
    }
    *out = value->get<double>();
  }

  void String(const char* key, std::string* out, bool allow_empty = true) {
    const json* value = Find(key);
    if (value == nullptr) {
      return;
    }
    if (!value->is_string() || (!allow_empty && value->get_ref<const std::string&>().empty())) {
      Fail(key, allow_empty ? "expected a string" : "expected a non-empty string");
      return;
    }
    *out = value->get<std::string>();
  }

  // A failure about a field that was read successfully but does not fit with others.
  void Fail(std::string_view key, std::string_view what) {
    if (ok_) {
      ok_ = false;
      *error_ = fmt::format("{}{}: {}", prefix_, key, what);
    }
  }

  const std::string& prefix() const { return prefix_; }

 private:
  const json& object_;
  std::string prefix_;
  std::string* error_;
  bool ok_ = true;
};

// Sizes and offsets above this are not a page list of any machine; refusing them early keeps the
// sums below far from overflow.
constexpr uint64_t kMaxLayoutValue = uint64_t{1} << 30;
constexpr uint64_t kMaxFanout = 4096;

void ReadLayout(FieldReader& fields, TraceLayout* layout) {
  fields.Unsigned("pointer_size", &layout->pointer_size, 8);
  fields.Unsigned("node_size", &layout->node_size, kMaxLayoutValue);
  fields.Unsigned("node_canary_offset", &layout->node_canary_offset, kMaxLayoutValue);
  fields.Unsigned("node_offset_offset", &layout->node_offset_offset, kMaxLayoutValue);
  fields.Unsigned("node_slots_offset", &layout->node_slots_offset, kMaxLayoutValue);
  fields.Unsigned("slot_size", &layout->slot_size, kMaxLayoutValue);
  fields.Unsigned("fanout", &layout->fanout, kMaxFanout);
  fields.Unsigned("page_size", &layout->page_size, kMaxLayoutValue);
  fields.Unsigned("list_size", &layout->list_size, kMaxLayoutValue);
  fields.Unsigned("splice_size", &layout->splice_size, kMaxLayoutValue);
  fields.Unsigned("splice_head_offset", &layout->splice_head_offset, kMaxLayoutValue);
  fields.Unsigned("splice_tail_offset", &layout->splice_tail_offset, kMaxLayoutValue);
  if (!fields.ok()) {
    return;
  }
  const TraceLayout& l = *layout;
  if (l.pointer_size != 4 && l.pointer_size != 8) {
    fields.Fail("pointer_size", fmt::format("is {}, expected 4 or 8", l.pointer_size));
  } else if (l.fanout == 0) {
    fields.Fail("fanout", "is 0, expected 1 or more slots per node");
  } else if (l.slot_size == 0) {
    fields.Fail("slot_size", "is 0");
  } else if (!std::has_single_bit(l.page_size)) {
    fields.Fail("page_size", fmt::format("is {}, expected a power of two", l.page_size));
  } else if (l.node_canary_offset + 4 > l.node_size) {
    fields.Fail("node_canary_offset", fmt::format("the 4-byte canary at {} runs past node_size {}",
                                                  l.node_canary_offset, l.node_size));
  } else if (l.node_offset_offset + 8 > l.node_size) {
    fields.Fail("node_offset_offset", fmt::format("the 8-byte offset at {} runs past node_size {}",
                                                  l.node_offset_offset, l.node_size));
  } else if (l.node_slots_offset + l.fanout * l.slot_size > l.node_size) {
    fields.Fail("node_slots_offset",
                fmt::format("{} slots of {} bytes at {} run past node_size {}", l.fanout,
                            l.slot_size, l.node_slots_offset, l.node_size));
  } else if (l.list_size == 0) {
    fields.Fail("list_size", "is 0");
  } else if (l.splice_head_offset + l.node_size > l.splice_size) {
    fields.Fail("splice_head_offset", fmt::format("the head node at {} runs past splice_size {}",
                                                  l.splice_head_offset, l.splice_size));
  } else if (l.splice_tail_offset + l.node_size > l.splice_size) {
    fields.Fail("splice_tail_offset", fmt::format("the tail node at {} runs past splice_size {}",
                                                  l.splice_tail_offset, l.splice_size));
  }
}

void ReadCounts(FieldReader& fields, LossCounts* counts) {
  fields.Unsigned("overwritten", &counts->overwritten);
  fields.Unsigned("dropped", &counts->dropped);
  fields.Unsigned("abandoned", &counts->abandoned);
  fields.Unsigned("blocked", &counts->blocked);
  fields.Unsigned("commit_failed", &counts->commit_failed);
}

void WriteCounts(const LossCounts& counts, json* out) {
  (*out)["overwritten"] = counts.overwritten;
  (*out)["dropped"] = counts.dropped;
  (*out)["abandoned"] = counts.abandoned;
  (*out)["blocked"] = counts.blocked;
  (*out)["commit_failed"] = counts.commit_failed;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  uint64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<uint64_t>::max() : sum;
}

}  // namespace

json TraceInfo::ToJson() const {
  json out = json::object();
  out["format_version"] = format_version;
  out["program"] = program;
  out["program_version"] = program_version;
  out["pid"] = pid;
  out["host"] = host;
  out["start_time"] = start_time;
  out["clock"] = {{"name", clock.name},
                  {"ticks_per_second", clock.ticks_per_second},
                  {"base_ticks", clock.base_ticks},
                  {"base_monotonic_ns", clock.base_monotonic_ns}};
  out["layout"] = {{"pointer_size", layout.pointer_size},
                   {"node_size", layout.node_size},
                   {"node_canary_offset", layout.node_canary_offset},
                   {"node_offset_offset", layout.node_offset_offset},
                   {"node_slots_offset", layout.node_slots_offset},
                   {"slot_size", layout.slot_size},
                   {"fanout", layout.fanout},
                   {"page_size", layout.page_size},
                   {"list_size", layout.list_size},
                   {"splice_size", layout.splice_size},
                   {"splice_head_offset", layout.splice_head_offset},
                   {"splice_tail_offset", layout.splice_tail_offset}};
  out["ring"] = ring ? json{{"mode", ring->mode}, {"capacity", ring->capacity}} : json(nullptr);
  out["extra"] = extra;
  return out;
}

std::optional<TraceInfo> TraceInfo::FromJson(const json& in, std::string* error) {
  TraceInfo info;
  FieldReader top(in, "", error);
  uint64_t version = 0;
  top.Unsigned("format_version", &version, std::numeric_limits<uint32_t>::max());
  info.format_version = static_cast<uint32_t>(version);
  top.String("program", &info.program);
  top.String("program_version", &info.program_version);
  top.Signed("pid", &info.pid);
  top.String("host", &info.host);
  top.String("start_time", &info.start_time);
  if (const json* clock = top.Find("clock")) {
    FieldReader fields(*clock, "clock.", error);
    fields.String("name", &info.clock.name, /*allow_empty=*/false);
    fields.PositiveNumber("ticks_per_second", &info.clock.ticks_per_second);
    fields.Unsigned("base_ticks", &info.clock.base_ticks);
    fields.Unsigned("base_monotonic_ns", &info.clock.base_monotonic_ns);
    if (!fields.ok()) {
      return std::nullopt;
    }
  }
  if (const json* layout = top.Find("layout")) {
    FieldReader fields(*layout, "layout.", error);
    ReadLayout(fields, &info.layout);
    if (!fields.ok()) {
      return std::nullopt;
    }
  }
  if (const json* ring = top.Find("ring"); ring != nullptr && !ring->is_null()) {
    FieldReader fields(*ring, "ring.", error);
    TraceRing value;
    fields.String("mode", &value.mode);
    fields.Unsigned("capacity", &value.capacity);
    if (!fields.ok()) {
      return std::nullopt;
    }
    info.ring = std::move(value);
  }
  if (const json* extra = top.Find("extra")) {
    if (!extra->is_object()) {
      top.Fail("extra", "expected a JSON object");
    } else {
      info.extra = *extra;
    }
  }
  if (!top.ok()) {
    return std::nullopt;
  }
  return info;
}

TraceInfo TraceInfo::ForThisProcess(std::string_view program, std::string_view program_version) {
  TraceInfo info;
  info.program = program;
  info.program_version = program_version;
  info.pid = getpid();
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) {
    info.host = host;
  }
  timespec now = {};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc = {};
  gmtime_r(&now.tv_sec, &utc);
  char seconds[32] = {};
  strftime(seconds, sizeof(seconds), "%Y-%m-%dT%H:%M:%S", &utc);
  info.start_time = fmt::format("{}.{:06}Z", seconds, now.tv_nsec / 1000);
  return info;
}

LossCounts LossTable::Totals() const {
  LossCounts totals;
  for (const ProducerLosses& producer : producers) {
    totals.overwritten = SaturatingAdd(totals.overwritten, producer.counts.overwritten);
    totals.dropped = SaturatingAdd(totals.dropped, producer.counts.dropped);
    totals.abandoned = SaturatingAdd(totals.abandoned, producer.counts.abandoned);
    totals.blocked = SaturatingAdd(totals.blocked, producer.counts.blocked);
    totals.commit_failed = SaturatingAdd(totals.commit_failed, producer.counts.commit_failed);
  }
  return totals;
}

json LossTable::ToJson() const {
  json list = json::array();
  for (const ProducerLosses& producer : producers) {
    json entry = {{"index", producer.index}, {"tid", producer.tid}};
    WriteCounts(producer.counts, &entry);
    list.push_back(std::move(entry));
  }
  json totals = json::object();
  WriteCounts(Totals(), &totals);
  return json{{"producers", std::move(list)}, {"totals", std::move(totals)}};
}

std::optional<LossTable> LossTable::FromJson(const json& in, std::string* error) {
  LossTable table;
  FieldReader top(in, "", error);
  const json* list = top.Find("producers");
  if (list != nullptr && !list->is_array()) {
    top.Fail("producers", "expected a JSON array");
  }
  if (!top.ok()) {
    return std::nullopt;
  }
  table.producers.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    FieldReader fields((*list)[i], fmt::format("producers[{}].", i), error);
    ProducerLosses producer;
    uint64_t index = 0;
    fields.Unsigned("index", &index, std::numeric_limits<uint32_t>::max());
    producer.index = static_cast<uint32_t>(index);
    fields.Unsigned("tid", &producer.tid);
    ReadCounts(fields, &producer.counts);
    if (!fields.ok()) {
      return std::nullopt;
    }
    table.producers.push_back(producer);
  }
  LossCounts totals;
  if (const json* value = top.Find("totals")) {
    FieldReader fields(*value, "totals.", error);
    ReadCounts(fields, &totals);
    if (!fields.ok()) {
      return std::nullopt;
    }
  }
  if (!top.ok()) {
    return std::nullopt;
  }
  if (totals != table.Totals()) {
    const LossCounts sum = table.Totals();
    top.Fail("totals",
             fmt::format("{{overwritten {}, dropped {}, abandoned {}, blocked {}, commit_failed "
                         "{}}} is not the sum of the producers {{{}, {}, {}, {}, {}}}",
                         totals.overwritten, totals.dropped, totals.abandoned, totals.blocked,
                         totals.commit_failed, sum.overwritten, sum.dropped, sum.abandoned,
                         sum.blocked, sum.commit_failed));
    return std::nullopt;
  }
  return table;
}

}  // namespace vmpl::trace
