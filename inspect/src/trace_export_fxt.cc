// FXT export (<vmpl/inspect/trace_export.h>): the Fuchsia Trace Format, as Perfetto reads it.
//
// The archive, in order:
//   magic number record                       0x0016547846040010
//   provider info metadata (id 1, "vmpl"), provider section metadata (id 1)
//   initialization record                     1e9 ticks per second: timestamps are nanoseconds
//   kernel object record (process)            the recorded pid, named "<program> (pid P)"
//   thread record 1 + kernel object record    the process's own thread, for counter events
//   then, as the timeline produces them:
//     string records                          each string once, before its first use
//     thread record + kernel object record    per producer (indices 2..255, inline past that)
//     event records                           duration begin/end (ops), instant, counter
//
// Every record is a whole number of 64-bit little-endian words whose first word gives the
// record's type and size; strings are streams padded with zeros to 8 bytes. Strings live in the
// string table (indices 1..32767) and threads in the thread table; once a table is full, further
// strings and threads are written inline in the records that use them, as the format allows.

#include <fmt/format.h>
#include <string.h>
#include <vmpl/inspect/trace_export.h>

#include <bit>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vmpl::inspect {
namespace {

static_assert(std::endian::native == std::endian::little,
              "FXT words are written in host order; readers expect little-endian");

using trace::EventKind;
using trace::FileRecord;
using trace::OpKind;

constexpr size_t kFlushBytes = size_t{1} << 20;

// Record types, event types and argument types of the format.
enum RecordType : uint64_t {
  kMetadataRecord = 0,
  kInitializationRecord = 1,
  kStringRecord = 2,
  kThreadRecord = 3,
  kEventRecord = 4,
  kKernelObjectRecord = 7,
};
enum MetadataType : uint64_t { kProviderInfo = 1, kProviderSection = 2, kTraceInfo = 4 };
enum EventType : uint64_t {
  kInstantEvent = 0,
  kCounterEvent = 1,
  kDurationBegin = 2,
  kDurationEnd = 3,
};
enum ArgType : uint64_t {
  kUint32Arg = 2,
  kUint64Arg = 4,
  kStringArg = 6,
  kPointerArg = 7,
  kKoidArg = 8,
  kBoolArg = 9,
};
constexpr uint64_t kZxObjTypeProcess = 1;
constexpr uint64_t kZxObjTypeThread = 2;

constexpr uint64_t kMagicRecord = 0x0016547846040010;
constexpr uint32_t kProviderId = 1;
constexpr uint16_t kMaxStringIndex = 0x7fff;
constexpr uint8_t kMaxThreadIndex = 0xff;
constexpr uint8_t kProcessThreadIndex = 1;
constexpr uint16_t kInlineStringBit = 0x8000;
constexpr size_t kMaxStringLength = 256;  // longer strings are cut: records stay small
constexpr uint64_t kMaxRecordWords = 0xfff;

uint64_t Words(size_t bytes) { return (bytes + 7) / 8; }

// Builds one record in words, then writes it with its size in the header. The words live in a
// buffer the sink reuses, so building a record allocates nothing once the buffer has grown.
class Record {
 public:
  Record(std::vector<uint64_t>* words, uint64_t header) : words_(*words) {
    words_.clear();
    words_.push_back(header);
  }

  void Word(uint64_t word) { words_.push_back(word); }
  void Stream(std::string_view bytes) {
    const size_t start = words_.size();
    words_.resize(start + Words(bytes.size()), 0);
    memcpy(words_.data() + start, bytes.data(), bytes.size());
  }
  size_t size() const { return words_.size(); }
  uint64_t& header() { return words_[0]; }

  // Sets the size field ([4..15]) and appends the record to |out|.
  void AppendTo(std::string* out) {
    words_[0] |= static_cast<uint64_t>(words_.size()) << 4;
    out->append(reinterpret_cast<const char*>(words_.data()), words_.size() * 8);
  }

 private:
  std::vector<uint64_t>& words_;
};

// A string reference: an index into the string table, or an inline string (bit 15 and the
// length) whose bytes follow in the record.
struct StringRef {
  uint16_t ref = 0;
  std::string_view text;  // for inline strings
  bool is_inline() const { return (ref & kInlineStringBit) != 0; }
};

class FxtSink final : public TimelineSink {
 public:
  FxtSink(const trace::TraceReader& reader, const ExportWrite& write, ExportStats* stats)
      : info_(reader.info()), write_(write), stats_(stats) {
    pid_ = info_.pid > 0 ? static_cast<uint64_t>(info_.pid) : 1;
    if (reader.losses()) {
      for (const trace::ProducerLosses& producer : reader.losses()->producers) {
        if (producer.tid != 0) {
          tids_[producer.index] = producer.tid;
        }
      }
    }
    out_.append(reinterpret_cast<const char*>(&kMagicRecord), 8);
    {
      constexpr std::string_view kProvider = "vmpl";
      Record info(&record_words_, kMetadataRecord | (kProviderInfo << 16) |
                                      (uint64_t{kProviderId} << 20) |
                                      (uint64_t{kProvider.size()} << 52));
      info.Stream(kProvider);
      info.AppendTo(&out_);
      Record section(&record_words_,
                     kMetadataRecord | (kProviderSection << 16) | (uint64_t{kProviderId} << 20));
      section.AppendTo(&out_);
    }
    {
      Record init(&record_words_, kInitializationRecord);
      init.Word(1000000000);  // ticks per second: timestamps are written in nanoseconds
      init.AppendTo(&out_);
    }
    const std::string process_name = fmt::format(
        "{} (pid {})", info_.program.empty() ? "traced process" : info_.program, info_.pid);
    KernelObject(kZxObjTypeProcess, pid_, process_name, /*process=*/0);
    ThreadRecord(kProcessThreadIndex, pid_);
    KernelObject(kZxObjTypeThread, pid_, fmt::format("{} main", process_name), pid_);
  }

  void OnStart(const TraceResolver& resolver) override { resolver_ = &resolver; }

  void OnProducer(uint32_t producer) override {
    const uint64_t tid = Tid(producer);
    if (next_thread_index_ <= kMaxThreadIndex) {
      thread_refs_[producer] = next_thread_index_;
      ThreadRecord(next_thread_index_, tid);
      next_thread_index_++;
    }
    std::string name = fmt::format("producer {}", producer);
    if (tids_.count(producer) != 0) {
      name += fmt::format(" (tid {})", tids_[producer]);
    }
    KernelObject(kZxObjTypeThread, tid, name, pid_);
  }

  void OnOpBegin(const FileRecord& record, uint64_t ticks, const Resolution& resolution,
                 const TracedList*) override {
    Record event =
        EventHeader(kDurationBegin, record.producer, ticks, InternLiteral("op"),
                    InternLiteral(trace::OpKindName(static_cast<OpKind>(record.event.aux))));
    Args(&event, record.event, resolution);
    Emit(&event);
  }

  void OnOpEnd(uint32_t producer, uint64_t ticks, OpKind op, bool synthesized) override {
    Record event = EventHeader(kDurationEnd, producer, ticks, InternLiteral("op"),
                               InternLiteral(trace::OpKindName(op)));
    if (synthesized) {
      Arg(&event, kBoolArg, "unterminated", 1);
      event.header() |= uint64_t{1} << 20;
    }
    Emit(&event);
  }

  void OnInstant(const FileRecord& record, const Resolution& resolution,
                 const TracedList*) override {
    Record event = EventHeader(kInstantEvent, record.producer, record.event.timestamp,
                               InternLiteral(EventCategory(record.event.kind)),
                               InternLiteral(trace::EventKindName(record.event.kind)));
    Args(&event, record.event, resolution);
    Emit(&event);
  }

  void OnCounters(uint64_t ticks, const TracedList& list, const ListCounters& counters) override {
    // Perfetto names a counter track "<event name>:<argument name>", per process; the name is the
    // list's first label, so a later rename does not start other tracks.
    auto [it, inserted] = counter_names_.try_emplace(list.key);
    if (inserted) {
      it->second = "list " + labels_.Get(*resolver_, list.key);
    }
    Record event = EventHeader(kCounterEvent, kProcessThreadIndex, ticks, InternLiteral("list"),
                               Intern(it->second), /*thread_is_index=*/true);
    Arg(&event, kUint64Arg, "nodes", counters.nodes);
    Arg(&event, kUint64Arg, "pages", counters.content.pages);
    Arg(&event, kUint64Arg, "references", counters.content.references);
    Arg(&event, kUint64Arg, "markers", counters.content.markers);
    Arg(&event, kUint64Arg, "intervals", counters.content.intervals);
    Arg(&event, kUint64Arg, "interval_sentinels", counters.content.interval_sentinels);
    event.header() |= uint64_t{6} << 20;
    event.Word(list.key);  // counter id
    Emit(&event);
  }

  bool Finish(std::string* error) {
    if (!failed_ && !out_.empty()) {
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
  uint64_t Tid(uint32_t producer) const {
    auto it = tids_.find(producer);
    return it != tids_.end() ? it->second : uint64_t{producer} + 1;
  }

  // A string ref for |text|: an index (writing the string record first if new), or inline once
  // the table is full. Keyed by content.
  StringRef Intern(std::string_view text) {
    if (text.size() > kMaxStringLength) {
      text = text.substr(0, kMaxStringLength);
    }
    if (text.empty()) {
      return StringRef{};
    }
    auto it = strings_.find(text);
    if (it != strings_.end()) {
      return StringRef{it->second, {}};
    }
    if (next_string_index_ > kMaxStringIndex) {
      return StringRef{static_cast<uint16_t>(kInlineStringBit | text.size()), text};
    }
    const uint16_t index = next_string_index_++;
    auto inserted = strings_.emplace(std::string(text), index).first;
    Record record(&string_words_,
                  kStringRecord | (uint64_t{index} << 16) | (uint64_t{text.size()} << 32));
    record.Stream(inserted->first);
    Write(&record);
    return StringRef{index, {}};
  }

  // The same for a string literal, keyed by its address (kind names, categories, argument names):
  // no hashing of the text per event.
  StringRef InternLiteral(const char* literal) {
    auto it = literals_.find(literal);
    if (it != literals_.end()) {
      return it->second;
    }
    const StringRef ref = Intern(literal);
    if (!ref.is_inline()) {
      literals_.emplace(literal, ref);
    }
    return ref;
  }

  void ThreadRecord(uint8_t index, uint64_t tid) {
    Record record(&record_words_, kThreadRecord | (uint64_t{index} << 16));
    record.Word(pid_);
    record.Word(tid);
    Write(&record);
  }

  void KernelObject(uint64_t type, uint64_t koid, const std::string& name, uint64_t process) {
    const StringRef name_ref = Intern(name);
    Record record(&record_words_, kKernelObjectRecord | (type << 16) |
                                      (uint64_t{name_ref.ref} << 24) |
                                      (uint64_t{process != 0 ? 1u : 0u} << 40));
    record.Word(koid);
    if (name_ref.is_inline()) {
      record.Stream(name_ref.text);
    }
    if (process != 0) {
      Arg(&record, kKoidArg, "process", process);
    }
    Write(&record);
  }

  // The header, timestamp, thread and strings of an event record. |thread| is a producer, or
  // with |thread_is_index| a thread table index.
  Record EventHeader(uint64_t type, uint32_t thread, uint64_t ticks, StringRef category,
                     StringRef name, bool thread_is_index = false) {
    uint8_t thread_ref = 0;
    if (thread_is_index) {
      thread_ref = static_cast<uint8_t>(thread);
    } else if (auto it = thread_refs_.find(thread); it != thread_refs_.end()) {
      thread_ref = it->second;
    }
    Record record(&record_words_, kEventRecord | (type << 16) | (uint64_t{thread_ref} << 24) |
                                      (uint64_t{category.ref} << 32) | (uint64_t{name.ref} << 48));
    record.Word(TimestampNanoseconds(info_.clock, ticks));
    if (thread_ref == 0) {
      record.Word(pid_);
      record.Word(Tid(thread));
    }
    if (category.is_inline()) {
      record.Stream(category.text);
    }
    if (name.is_inline()) {
      record.Stream(name.text);
    }
    return record;
  }

  // Appends one argument whose value fits in the header (u32, bool) or one word (u64, pointer,
  // koid).
  void Arg(Record* record, uint64_t type, const char* name, uint64_t value) {
    if (type == kUint64Arg && value <= UINT32_MAX) {
      type = kUint32Arg;
    }
    const StringRef name_ref = InternLiteral(name);
    const bool in_header = type == kUint32Arg || type == kBoolArg;
    const uint64_t words =
        1 + (name_ref.is_inline() ? Words(name_ref.text.size()) : 0) + (in_header ? 0 : 1);
    record->Word(type | (words << 4) | (uint64_t{name_ref.ref} << 16) |
                 (in_header ? value << 32 : 0));
    if (name_ref.is_inline()) {
      record->Stream(name_ref.text);
    }
    if (!in_header) {
      record->Word(value);
    }
  }

  // The string ref of list |key|'s label (interned again only when the label changes).
  StringRef LabelRefOf(uint64_t key) {
    const std::string& label = labels_.Get(*resolver_, key);
    auto [it, inserted] = label_refs_.try_emplace(key);
    if (inserted || it->second.label != label || it->second.ref.is_inline()) {
      it->second.label = label;
      it->second.ref = Intern(it->second.label);
    }
    return it->second.ref;
  }

  void StringArg(Record* record, const char* name, StringRef value_ref) {
    const StringRef name_ref = InternLiteral(name);
    const uint64_t words = 1 + (name_ref.is_inline() ? Words(name_ref.text.size()) : 0) +
                           (value_ref.is_inline() ? Words(value_ref.text.size()) : 0);
    record->Word(kStringArg | (words << 4) | (uint64_t{name_ref.ref} << 16) |
                 (uint64_t{value_ref.ref} << 32));
    if (name_ref.is_inline()) {
      record->Stream(name_ref.text);
    }
    if (value_ref.is_inline()) {
      record->Stream(value_ref.text);
    }
  }

  void Args(Record* record, const trace::Event& event, const Resolution& resolution) {
    EventArg args[kMaxEventArgs];
    const size_t n = DescribeEvent(event, resolution, *resolver_, args);
    for (size_t i = 0; i < n; i++) {
      switch (args[i].type) {
        case EventArgType::kUint:
          Arg(record, kUint64Arg, args[i].name, args[i].value);
          break;
        case EventArgType::kHex:
          // Pointer arguments are shown in hex by viewers; offsets and raw values read best so.
          Arg(record, kPointerArg, args[i].name, args[i].value);
          break;
        case EventArgType::kList:
          StringArg(record, args[i].name, LabelRefOf(args[i].value));
          break;
        case EventArgType::kText:
          StringArg(record, args[i].name, InternLiteral(args[i].text));
          break;
      }
    }
    record->header() |= uint64_t{n} << 20;
  }

  void Emit(Record* record) {
    if (record->size() > kMaxRecordWords) {
      return;  // cannot happen with the caps above; never write a record the size field lies about
    }
    Write(record);
  }

  void Write(Record* record) {
    record->AppendTo(&out_);
    if (out_.size() >= kFlushBytes) {
      if (!failed_) {
        if (write_(out_.data(), out_.size(), &error_)) {
          stats_->bytes += out_.size();
        } else {
          failed_ = true;
        }
      }
      out_.clear();
    }
  }

  const trace::TraceInfo& info_;
  const ExportWrite& write_;
  ExportStats* stats_;
  const TraceResolver* resolver_ = nullptr;
  uint64_t pid_ = 1;
  std::unordered_map<uint32_t, uint64_t> tids_;
  std::unordered_map<uint32_t, uint8_t> thread_refs_;
  uint16_t next_thread_index_ = kProcessThreadIndex + 1;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
  };
  std::unordered_map<std::string, uint16_t, StringHash, std::equal_to<>> strings_;
  uint16_t next_string_index_ = 1;
  std::unordered_map<const char*, StringRef> literals_;
  ListLabelCache labels_;
  std::unordered_map<uint64_t, std::string> counter_names_;
  // Record buffers: one for the record being built, one for the string records Intern writes
  // while an event record is being built.
  std::vector<uint64_t> record_words_;
  std::vector<uint64_t> string_words_;
  // The string ref of each list's label, while the label stays the same.
  struct LabelRef {
    std::string label;
    StringRef ref;
  };
  std::unordered_map<uint64_t, LabelRef> label_refs_;
  std::string out_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace

bool ExportFxt(const trace::TraceReader& reader, const ExportOptions& options,
               const ExportWrite& write, ExportStats* stats, std::string* error) {
  *stats = ExportStats{};
  FxtSink sink(reader, write, stats);
  TimelineOptions timeline;
  timeline.slot_stores = options.slot_stores;
  timeline.progress = options.progress;
  stats->timeline = RunTimeline(reader, timeline, &sink);
  return sink.Finish(error);
}

}  // namespace vmpl::inspect
