// Tests of the Chrome trace JSON and FXT exports (inspect/src/trace_export_{chrome,fxt}.cc).
//
// The Chrome output is parsed back with nlohmann::json and checked event by event. No FXT reader
// can be installed here (Perfetto's trace processor is not packaged for Debian or npm), so the FXT
// output goes through FxtChecker below: a strict, record-by-record reading of the format as the
// Fuchsia trace-format reference describes it. Every record's size field must cover exactly the
// words its header promises, reserved bits must be zero, string and thread references must name
// entries registered earlier, and duration begins and ends must nest per thread.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <string.h>
#include <vmpl/inspect/trace_export.h>
#include <vmpl/inspect/trace_report.h>
#include <vmpl/inspect/trace_report_view.h>
#include <vmpl/sim.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "trace_test_traces.h"

namespace vmpl::inspect {
namespace {

using trace::EventKind;
using trace::OpKind;
using ::vmpl::testing::HandTrace;
using ::vmpl::testing::kIntervalEndRaw;
using ::vmpl::testing::kIntervalStartRaw;
using ::vmpl::testing::kListA;
using ::vmpl::testing::kListB;
using ::vmpl::testing::kMarkerRaw;
using ::vmpl::testing::kNodeSpan;
using ::vmpl::testing::kPageRaw;
using ::vmpl::testing::Node;
using ::vmpl::testing::Recording;
using ::vmpl::testing::TempTracePath;

// Runs an export into a string.
struct Exported {
  bool ok = false;
  std::string bytes;
  std::string error;
  ExportStats stats;
};

Exported Export(const trace::TraceReader& reader, bool fxt, ExportOptions options = {}) {
  Exported out;
  const ExportWrite write = [&out](const char* data, size_t size, std::string*) {
    out.bytes.append(data, size);
    return true;
  };
  out.ok = fxt ? ExportFxt(reader, options, write, &out.stats, &out.error)
               : ExportChrome(reader, options, write, &out.stats, &out.error);
  EXPECT_EQ(out.stats.bytes, out.bytes.size());
  return out;
}

// ================================================================================================
// A strict FXT reader for the records the exporter may write.

struct FxtThread {
  uint64_t pid = 0;
  uint64_t tid = 0;
  bool operator<(const FxtThread& o) const { return std::tie(pid, tid) < std::tie(o.pid, o.tid); }
};

struct FxtEvent {
  uint64_t type = 0;
  uint64_t ticks = 0;
  FxtThread thread;
  std::string category;
  std::string name;
  std::map<std::string, std::string> args;  // values as text
  uint64_t counter_id = 0;
};

class FxtChecker {
 public:
  // Reads |bytes|; returns "" or the first violation, naming the record and its byte offset.
  std::string Check(const std::string& bytes) {
    if (bytes.size() % 8 != 0) {
      return "size is not a multiple of 8";
    }
    words_.resize(bytes.size() / 8);
    memcpy(words_.data(), bytes.data(), bytes.size());
    if (words_.empty() || words_[0] != 0x0016547846040010) {
      return "no magic number record first";
    }
    size_t at = 0;
    while (at < words_.size()) {
      record_ = at;
      const uint64_t header = words_[at];
      const uint64_t type = Bits(header, 0, 3);
      const uint64_t size = Bits(header, 4, 15);
      if (size == 0) {
        return Fail("record size 0");
      }
      if (at + size > words_.size()) {
        return Fail("record runs past the end of the file");
      }
      end_ = at + size;
      cursor_ = at + 1;
      std::string problem = Record(type, header);
      if (!problem.empty()) {
        return Fail(problem);
      }
      if (cursor_ != end_) {
        return Fail(
            fmt::format("record size says {} words, its content is {}", size, cursor_ - at));
      }
      records++;
      at = end_;
    }
    for (const auto& [thread, stack] : open_) {
      if (!stack.empty()) {
        return fmt::format("thread {}/{}: duration '{}' never ends", thread.pid, thread.tid,
                           stack.back());
      }
    }
    return "";
  }

  size_t records = 0;
  uint64_t ticks_per_second = 0;
  std::map<uint64_t, std::string> strings;       // the table
  std::map<uint64_t, FxtThread> threads;         // the table
  std::map<uint64_t, std::string> processes;     // koid -> name
  std::map<uint64_t, std::string> thread_names;  // koid -> name
  std::vector<FxtEvent> events;
  size_t inline_strings = 0;
  size_t inline_threads = 0;

 private:
  static uint64_t Bits(uint64_t word, int first, int last) {
    const int width = last - first + 1;
    return (word >> first) & (width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1);
  }
  std::string Fail(const std::string& what) const {
    return fmt::format("record at byte {}: {}", record_ * 8, what);
  }

  bool Word(uint64_t* out) {
    if (cursor_ >= end_) {
      return false;
    }
    *out = words_[cursor_++];
    return true;
  }
  // A stream of |length| bytes padded with zeros to 8.
  bool Stream(size_t length, std::string* out) {
    const size_t words = (length + 7) / 8;
    if (cursor_ + words > end_) {
      return false;
    }
    const char* bytes = reinterpret_cast<const char*>(&words_[cursor_]);
    out->assign(bytes, length);
    for (size_t i = length; i < words * 8; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    cursor_ += words;
    return true;
  }
  bool String(uint64_t ref, std::string* out, bool allow_empty = false) {
    if (ref == 0) {
      out->clear();
      return allow_empty;
    }
    if (ref & 0x8000) {
      inline_strings++;
      return Stream(ref & 0x7fff, out);
    }
    auto it = strings.find(ref);
    if (it == strings.end()) {
      return false;
    }
    *out = it->second;
    return true;
  }

  std::string Args(uint64_t count, std::map<std::string, std::string>* args) {
    for (uint64_t i = 0; i < count; i++) {
      const size_t start = cursor_;
      uint64_t header;
      if (!Word(&header)) {
        return "argument header past the record";
      }
      const uint64_t type = Bits(header, 0, 3);
      const uint64_t size = Bits(header, 4, 15);
      std::string name;
      if (size == 0 || start + size > end_) {
        return fmt::format("argument {} has size {} outside the record", i, size);
      }
      if (!String(Bits(header, 16, 31), &name)) {
        return fmt::format("argument {}: unresolved or empty name", i);
      }
      std::string value;
      switch (type) {
        case 2:  // uint32
          value = std::to_string(Bits(header, 32, 63));
          break;
        case 4:    // uint64
        case 7:    // pointer
        case 8: {  // koid
          uint64_t word;
          if (Bits(header, 32, 63) != 0 || !Word(&word)) {
            return fmt::format("argument '{}': bad 64-bit value", name);
          }
          value = type == 7 ? fmt::format("{:#x}", word) : std::to_string(word);
          break;
        }
        case 6:  // string
          if (Bits(header, 48, 63) != 0 || !String(Bits(header, 32, 47), &value, true)) {
            return fmt::format("argument '{}': unresolved string value", name);
          }
          break;
        case 9:  // bool
          if (Bits(header, 33, 63) != 0) {
            return fmt::format("argument '{}': bool with bits past bit 32", name);
          }
          value = Bits(header, 32, 32) ? "true" : "false";
          break;
        default:
          return fmt::format("argument '{}': unexpected type {}", name, type);
      }
      if (cursor_ != start + size) {
        return fmt::format("argument '{}': size says {} words, content is {}", name, size,
                           cursor_ - start);
      }
      if (!args->emplace(name, value).second) {
        return fmt::format("argument '{}' twice", name);
      }
    }
    return "";
  }

  std::string Record(uint64_t type, uint64_t header) {
    const uint64_t size = end_ - record_;
    switch (type) {
      case 0: {  // metadata
        const uint64_t kind = Bits(header, 16, 19);
        if (kind == 4) {
          return header == 0x0016547846040010 ? "" : "bad magic number record";
        }
        if (kind == 1) {
          std::string name;
          if (Bits(header, 60, 63) != 0 || !Stream(Bits(header, 52, 59), &name)) {
            return "bad provider info";
          }
          return "";
        }
        if (kind == 2) {
          return Bits(header, 52, 63) == 0 && size == 1 ? "" : "bad provider section";
        }
        return fmt::format("unexpected metadata type {}", kind);
      }
      case 1:  // initialization
        if (Bits(header, 16, 63) != 0 || !Word(&ticks_per_second) || ticks_per_second == 0) {
          return "bad initialization record";
        }
        return "";
      case 2: {  // string
        const uint64_t index = Bits(header, 16, 30);
        std::string text;
        if (index == 0 || Bits(header, 31, 31) != 0 || Bits(header, 47, 63) != 0 ||
            !Stream(Bits(header, 32, 46), &text)) {
          return "bad string record";
        }
        if (strings.count(index) != 0) {
          return fmt::format("string index {} registered twice", index);
        }
        strings[index] = text;
        return "";
      }
      case 3: {  // thread
        const uint64_t index = Bits(header, 16, 23);
        FxtThread thread;
        if (index == 0 || Bits(header, 24, 63) != 0 || !Word(&thread.pid) || !Word(&thread.tid)) {
          return "bad thread record";
        }
        threads[index] = thread;
        return "";
      }
      case 4:
        return Event(header);
      case 7: {  // kernel object
        const uint64_t object_type = Bits(header, 16, 23);
        uint64_t koid;
        std::string name;
        std::map<std::string, std::string> args;
        if (Bits(header, 44, 63) != 0 || !Word(&koid) || !String(Bits(header, 24, 39), &name)) {
          return "bad kernel object record";
        }
        if (std::string problem = Args(Bits(header, 40, 43), &args); !problem.empty()) {
          return problem;
        }
        if (object_type == 1) {
          processes[koid] = name;
        } else if (object_type == 2) {
          if (args.count("process") == 0) {
            return "thread object without a process argument";
          }
          thread_names[koid] = name;
        } else {
          return fmt::format("unexpected kernel object type {}", object_type);
        }
        return "";
      }
      default:
        return fmt::format("unexpected record type {}", type);
    }
  }

  std::string Event(uint64_t header) {
    FxtEvent event;
    event.type = Bits(header, 16, 19);
    if (event.type > 3) {
      return fmt::format("unexpected event type {}", event.type);
    }
    if (!Word(&event.ticks)) {
      return "event without a timestamp";
    }
    const uint64_t thread_ref = Bits(header, 24, 31);
    if (thread_ref == 0) {
      inline_threads++;
      if (!Word(&event.thread.pid) || !Word(&event.thread.tid)) {
        return "inline thread past the record";
      }
    } else {
      auto it = threads.find(thread_ref);
      if (it == threads.end()) {
        return fmt::format("thread ref {} not registered", thread_ref);
      }
      event.thread = it->second;
    }
    if (!String(Bits(header, 32, 47), &event.category)) {
      return "unresolved category";
    }
    if (!String(Bits(header, 48, 63), &event.name)) {
      return "unresolved name";
    }
    if (std::string problem = Args(Bits(header, 20, 23), &event.args); !problem.empty()) {
      return fmt::format("event '{}': {}", event.name, problem);
    }
    if (event.type == 1 && !Word(&event.counter_id)) {
      return "counter without its id";
    }
    if (event.type == 2 || event.type == 3) {
      uint64_t& last = last_duration_ticks_[event.thread];
      if (event.ticks < last) {
        return fmt::format("'{}' at {} is before the previous begin or end on its thread ({})",
                           event.name, event.ticks, last);
      }
      last = event.ticks;
    }
    if (event.type == 2) {
      open_[event.thread].push_back(event.name);
    } else if (event.type == 3) {
      std::vector<std::string>& stack = open_[event.thread];
      if (stack.empty() || stack.back() != event.name) {
        return fmt::format("end of '{}' does not match the open duration '{}'", event.name,
                           stack.empty() ? "(none)" : stack.back());
      }
      stack.pop_back();
    }
    events.push_back(std::move(event));
    return "";
  }

  std::vector<uint64_t> words_;
  size_t record_ = 0;
  size_t cursor_ = 0;
  size_t end_ = 0;
  std::map<FxtThread, std::vector<std::string>> open_;
  std::map<FxtThread, uint64_t> last_duration_ticks_;
};

size_t CountType(const FxtChecker& checker, uint64_t type) {
  size_t n = 0;
  for (const FxtEvent& event : checker.events) {
    n += event.type == type ? 1 : 0;
  }
  return n;
}

// ================================================================================================
// A trace with a bit of everything, on two producers.

HandTrace MixedTrace() {
  HandTrace trace;
  trace.CreateList(kListA);
  trace.Register(kListA, 7, "vmo:x");
  trace.CreateList(kListB);
  trace.Register(kListB, 8, "vmo:\"q\"");
  trace.OpBegin(kListA, OpKind::kLookupOrAllocate, 3 * 4096);  // stamped 1006000
  trace.AllocNode(kListA, Node(0), 0);
  trace.Store(trace.SlotAddress(Node(0), 3), 0, kPageRaw);
  trace.OpEnd(kListA, OpKind::kLookupOrAllocate);
  trace.producer = 1;
  trace.OpBegin(kListB, OpKind::kMergeFrom, 0, kNodeSpan, kListA);
  trace.AllocNode(kListB, Node(1), 0);
  trace.Store(trace.SlotAddress(Node(1), 3), 0, kPageRaw, trace.SlotAddress(Node(0), 3));
  trace.Store(trace.SlotAddress(Node(1), 4), 0, kMarkerRaw);
  trace.OpBegin(kListB, OpKind::kAddZeroInterval, 0x5000, 0x9000);
  trace.Add(EventKind::kIntervalAdd, kListB, 0, 0x5000, 0x8000);
  trace.Store(trace.SlotAddress(Node(1), 5), 0, kIntervalStartRaw);
  trace.Store(trace.SlotAddress(Node(1), 8), 0, kIntervalEndRaw);
  trace.OpEnd(kListB, OpKind::kAddZeroInterval);
  trace.OpEnd(kListB, OpKind::kMergeFrom);
  trace.producer = 0;
  trace.OpBegin(kListA, OpKind::kRemovePages);  // left open: the trace ends
  trace.FreeNode(kListA, Node(0), 0);
  return trace;
}

class TraceExportTest : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_ =
      TempTracePath(::testing::UnitTest::GetInstance()->current_test_info()->name());
};

TEST_F(TraceExportTest, ChromeJsonHasTheTimelineOfTheTrace) {
  HandTrace trace = MixedTrace();
  auto reader = trace.Write(path_);
  ASSERT_TRUE(reader);
  const Exported out = Export(*reader, /*fxt=*/false);
  ASSERT_TRUE(out.ok) << out.error;
  const nlohmann::json json = nlohmann::json::parse(out.bytes);
  EXPECT_EQ(json["displayTimeUnit"], "ns");
  EXPECT_EQ(json["otherData"]["program"], "hand");
  const nlohmann::json& events = json["traceEvents"];

  std::map<std::string, size_t> phases;
  std::map<int64_t, std::vector<std::string>> open;  // per tid
  std::vector<nlohmann::json> instants;
  std::vector<nlohmann::json> counters;
  std::set<std::string> thread_names;
  for (const nlohmann::json& event : events) {
    ASSERT_TRUE(event.contains("ph")) << event;
    const std::string ph = event["ph"];
    phases[ph]++;
    EXPECT_EQ(event["pid"], 4242) << event;
    if (ph == "M") {
      if (event["name"] == "thread_name") {
        thread_names.insert(event["args"]["name"].get<std::string>());
      }
      continue;
    }
    ASSERT_TRUE(event["ts"].is_number()) << event;
    if (ph == "B") {
      open[event["tid"]].push_back(event["name"]);
    } else if (ph == "E") {
      std::vector<std::string>& stack = open[event["tid"]];
      ASSERT_FALSE(stack.empty()) << event;
      EXPECT_EQ(stack.back(), event["name"]) << event;
      stack.pop_back();
    } else if (ph == "i") {
      EXPECT_EQ(event["s"], "t");
      instants.push_back(event);
    } else if (ph == "C") {
      counters.push_back(event);
    }
  }
  for (const auto& [tid, stack] : open) {
    EXPECT_TRUE(stack.empty()) << "tid " << tid;
  }
  const TimelineStats& stats = out.stats.timeline;
  EXPECT_EQ(phases["B"], 4u);
  EXPECT_EQ(phases["B"], stats.ops);
  EXPECT_EQ(phases["E"], 4u);
  EXPECT_EQ(stats.closed_ops, 1u);  // RemovePages
  EXPECT_EQ(phases["i"], stats.instants);
  EXPECT_EQ(phases["C"], stats.counter_samples);
  EXPECT_EQ(thread_names, (std::set<std::string>{"producer 0", "producer 1"}));

  // The first operation: LookupOrAllocate at page 3 of vmo:x, stamped 1006000 ns.
  const nlohmann::json* first_begin = nullptr;
  for (const nlohmann::json& event : events) {
    if (event["ph"] == "B") {
      first_begin = &event;
      break;
    }
  }
  ASSERT_NE(first_begin, nullptr);
  EXPECT_EQ((*first_begin)["name"], "LookupOrAllocate");
  EXPECT_DOUBLE_EQ((*first_begin)["ts"].get<double>(), 1006.0);
  EXPECT_EQ((*first_begin)["args"]["list"], "vmo:x #7");
  EXPECT_EQ((*first_begin)["args"]["offset"], "0x3000");

  // The moved page: a slot store into vmo:"q" from vmo:x.
  bool found_move = false;
  for (const nlohmann::json& event : instants) {
    if (event["name"] == "slot-store" && event["args"].contains("from_list")) {
      found_move = true;
      EXPECT_EQ(event["args"]["list"], "vmo:\"q\" #8");
      EXPECT_EQ(event["args"]["from_list"], "vmo:x #7");
      EXPECT_EQ(event["args"]["offset"], std::string("0x3000"));
      EXPECT_EQ(event["args"]["from_offset"], std::string("0x3000"));
      EXPECT_EQ(event["args"]["old"], "empty");
      EXPECT_EQ(event["args"]["new"], "page");
      EXPECT_EQ(event["cat"], "slot");
    }
  }
  EXPECT_TRUE(found_move);
  // vmo:x's counters after its first operation: one node, one page.
  ASSERT_FALSE(counters.empty());
  EXPECT_EQ(counters[0]["name"], "list vmo:x #7");
  EXPECT_EQ(counters[0]["args"]["nodes"], 1);
  EXPECT_EQ(counters[0]["args"]["pages"], 1);
  // vmo:"q"'s counters after MergeFrom: the moved page, a marker, one interval of two sentinels.
  const nlohmann::json* q = nullptr;
  for (const nlohmann::json& counter : counters) {
    if (counter["name"] == "list vmo:\"q\" #8") {
      q = &counter;
    }
  }
  ASSERT_NE(q, nullptr);
  EXPECT_EQ((*q)["args"],
            nlohmann::json::parse(R"({"nodes":1,"pages":1,"references":0,)"
                                  R"("markers":1,"intervals":1,"interval_sentinels":2})"));
}

TEST_F(TraceExportTest, ChromeWithoutSlotStoresLeavesThemOut) {
  HandTrace trace = MixedTrace();
  auto reader = trace.Write(path_);
  ASSERT_TRUE(reader);
  ExportOptions options;
  options.slot_stores = false;
  const Exported out = Export(*reader, /*fxt=*/false, options);
  ASSERT_TRUE(out.ok) << out.error;
  const nlohmann::json json = nlohmann::json::parse(out.bytes);
  size_t stores = 0;
  size_t node_events = 0;
  for (const nlohmann::json& event : json["traceEvents"]) {
    stores += event["name"] == "slot-store" ? 1 : 0;
    node_events += event.value("cat", "") == "node" ? 1 : 0;
  }
  EXPECT_EQ(stores, 0u);
  EXPECT_EQ(node_events, 3u);
}

TEST_F(TraceExportTest, WriteFailureStopsTheExportWithItsMessage) {
  HandTrace trace = MixedTrace();
  auto reader = trace.Write(path_);
  ASSERT_TRUE(reader);
  for (bool fxt : {false, true}) {
    ExportStats stats;
    std::string error;
    const ExportWrite full = [](const char*, size_t, std::string* e) {
      *e = "out.json: cannot write: No space left on device";
      return false;
    };
    const bool ok = fxt ? ExportFxt(*reader, {}, full, &stats, &error)
                        : ExportChrome(*reader, {}, full, &stats, &error);
    EXPECT_FALSE(ok);
    EXPECT_EQ(error, "out.json: cannot write: No space left on device");
    EXPECT_EQ(stats.bytes, 0u);
  }
}

TEST_F(TraceExportTest, FxtIsValidRecordByRecord) {
  HandTrace trace = MixedTrace();
  auto reader = trace.Write(path_);
  ASSERT_TRUE(reader);
  const Exported out = Export(*reader, /*fxt=*/true);
  ASSERT_TRUE(out.ok) << out.error;
  FxtChecker checker;
  ASSERT_EQ(checker.Check(out.bytes), "");
  EXPECT_EQ(checker.ticks_per_second, 1000000000u);
  EXPECT_EQ(checker.processes.at(4242), "hand (pid 4242)");
  EXPECT_EQ(checker.thread_names.size(), 3u);  // the process's own, producers 0 and 1
  EXPECT_EQ(checker.inline_threads, 0u);
  const TimelineStats& stats = out.stats.timeline;
  EXPECT_EQ(CountType(checker, 2), stats.ops);
  EXPECT_EQ(CountType(checker, 3), stats.ops);
  EXPECT_EQ(CountType(checker, 0), stats.instants);
  EXPECT_EQ(CountType(checker, 1), stats.counter_samples);
  // Each string is registered once and used by reference.
  std::set<std::string> distinct;
  for (const auto& [index, text] : checker.strings) {
    EXPECT_TRUE(distinct.insert(text).second) << text;
  }
  EXPECT_EQ(checker.inline_strings, 0u);

  const FxtEvent* begin = nullptr;
  const FxtEvent* move = nullptr;
  for (const FxtEvent& event : checker.events) {
    if (event.type == 2 && begin == nullptr) {
      begin = &event;
    }
    if (event.name == "slot-store" && event.args.count("from_list") != 0) {
      move = &event;
    }
  }
  ASSERT_NE(begin, nullptr);
  EXPECT_EQ(begin->name, "LookupOrAllocate");
  EXPECT_EQ(begin->category, "op");
  EXPECT_EQ(begin->ticks, 1006000u);
  EXPECT_EQ(begin->args.at("list"), "vmo:x #7");
  EXPECT_EQ(begin->args.at("offset"), "0x3000");
  ASSERT_NE(move, nullptr);
  EXPECT_EQ(move->args.at("list"), "vmo:\"q\" #8");
  EXPECT_EQ(move->args.at("from_list"), "vmo:x #7");
  EXPECT_EQ(move->args.at("new"), "page");
  const FxtEvent* counter = nullptr;
  for (const FxtEvent& event : checker.events) {
    if (event.type == 1) {
      counter = &event;
      break;
    }
  }
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->name, "list vmo:x #7");
  EXPECT_EQ(counter->args.at("nodes"), "1");
  EXPECT_EQ(counter->args.at("pages"), "1");
  const FxtEvent* q = nullptr;
  for (const FxtEvent& event : checker.events) {
    if (event.type == 1 && event.name == "list vmo:\"q\" #8") {
      q = &event;
    }
  }
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->args, (std::map<std::string, std::string>{{"nodes", "1"},
                                                         {"pages", "1"},
                                                         {"references", "0"},
                                                         {"markers", "1"},
                                                         {"intervals", "1"},
                                                         {"interval_sentinels", "2"}}));
}

// The checker is only worth something if it fails on broken output.
TEST_F(TraceExportTest, FxtCheckerRejectsBrokenRecords) {
  HandTrace trace = MixedTrace();
  auto reader = trace.Write(path_);
  ASSERT_TRUE(reader);
  const Exported out = Export(*reader, /*fxt=*/true);
  ASSERT_TRUE(out.ok) << out.error;
  ASSERT_EQ(FxtChecker().Check(out.bytes), "");
  std::vector<uint64_t> words(out.bytes.size() / 8);
  memcpy(words.data(), out.bytes.data(), out.bytes.size());
  auto check = [&words](const std::vector<uint64_t>& changed) {
    std::string bytes(reinterpret_cast<const char*>(changed.data()), changed.size() * 8);
    return FxtChecker().Check(bytes);
  };
  // Index of the first record of |type| (and event type, for events).
  auto find = [&words](uint64_t type, int64_t event_type = -1) {
    for (size_t at = 0; at < words.size(); at += (words[at] >> 4) & 0xfff) {
      if ((words[at] & 0xf) == type &&
          (event_type < 0 || ((words[at] >> 16) & 0xf) == static_cast<uint64_t>(event_type))) {
        return at;
      }
    }
    ADD_FAILURE() << "no record of type " << type;
    return size_t{0};
  };
  const size_t begin = find(4, 2);
  std::vector<uint64_t> broken = words;
  broken[begin] += uint64_t{1} << 4;  // size one word too large
  EXPECT_NE(check(broken), "");
  broken = words;
  broken[begin] = (broken[begin] & ~(uint64_t{0xffff} << 48)) | (uint64_t{0x7ffe} << 48);
  EXPECT_NE(check(broken).find("unresolved name"), std::string::npos) << check(broken);
  broken = words;
  broken[begin] = (broken[begin] & ~(uint64_t{0xff} << 24)) | (uint64_t{200} << 24);
  EXPECT_NE(check(broken).find("thread ref 200 not registered"), std::string::npos);
  broken = words;
  broken[find(4, 3)] ^= uint64_t{3} << 16;  // the first end becomes an instant
  EXPECT_NE(check(broken), "");
  broken = words;
  broken.resize(broken.size() - 1);  // the last record cut short
  EXPECT_NE(check(broken).find("past the end"), std::string::npos) << check(broken);
}

TEST_F(TraceExportTest, FxtFallsBackToInlineStringsAndThreadsWhenTablesFill) {
  HandTrace trace;
  // 33000 lists, each named in an instant: more labels than the string table holds.
  for (uint64_t i = 0; i < 33000; i++) {
    const uint64_t list = kListA + i * 0x100;
    trace.CreateList(list);
    trace.Register(list, i + 1, fmt::format("l{}", i));
    trace.Add(EventKind::kSkewSet, list, 0, 0x1000);
  }
  // 300 producers: more than the thread table's 255.
  for (uint32_t p = 0; p < 300; p++) {
    trace.producer = p;
    trace.OpBegin(kListA, OpKind::kLookupOrAllocate);
    trace.OpEnd(kListA, OpKind::kLookupOrAllocate);
  }
  auto reader = trace.Write(path_);
  ASSERT_TRUE(reader);
  const Exported out = Export(*reader, /*fxt=*/true);
  ASSERT_TRUE(out.ok) << out.error;
  FxtChecker checker;
  ASSERT_EQ(checker.Check(out.bytes), "");
  EXPECT_EQ(checker.strings.size(), 0x7fffu);
  EXPECT_GT(checker.inline_strings, 0u);
  EXPECT_GT(checker.inline_threads, 0u);
  EXPECT_EQ(CountType(checker, 2), 300u);
  EXPECT_EQ(CountType(checker, 3), 300u);
  EXPECT_EQ(checker.thread_names.size(), 301u);
}

TEST_F(TraceExportTest, DamagedTraceExportsItsReadablePart) {
  HandTrace trace = MixedTrace();
  for (int i = 0; i < 400; i++) {
    trace.OpBegin(kListA, OpKind::kLookupOrAllocate);
    trace.Store(trace.SlotAddress(Node(1), i % 16), 0, kPageRaw);
    trace.OpEnd(kListA, OpKind::kLookupOrAllocate);
  }
  {
    auto whole = trace.Write(path_);
    ASSERT_TRUE(whole);
  }
  // Cut the file in the middle of a chunk.
  std::string bytes;
  {
    std::ifstream in(path_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes.resize(bytes.size() * 3 / 5);
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
  std::string error;
  auto reader = trace::TraceReader::Open(path_, &error);
  ASSERT_TRUE(reader) << error;
  ASSERT_NE(reader->problem(), "");
  for (bool fxt : {false, true}) {
    const Exported out = Export(*reader, fxt);
    ASSERT_TRUE(out.ok) << out.error;
    EXPECT_EQ(out.stats.timeline.events, reader->event_count());
    EXPECT_GT(out.stats.timeline.ops, 100u);
    if (fxt) {
      FxtChecker checker;
      EXPECT_EQ(checker.Check(out.bytes), "");
    } else {
      EXPECT_NO_THROW(nlohmann::json::parse(out.bytes));
    }
  }
}

// Untrusted input: records with random kinds, addresses, producers and arguments (drawn from
// small pools, so that they meet each other in the resolver) never crash the report or the
// exports, and the exports stay valid.
TEST_F(TraceExportTest, RandomRecordsGiveValidOutput) {
  const uint32_t seed = static_cast<uint32_t>(::testing::UnitTest::GetInstance()->random_seed());
  SCOPED_TRACE(fmt::format("--gtest_random_seed={}", seed));
  std::mt19937_64 random(seed);
  HandTrace trace;
  const uint64_t lists[] = {kListA, kListB, kListA + 0x800};
  auto pick = [&random](uint64_t n) {
    return std::uniform_int_distribution<uint64_t>(0, n - 1)(random);
  };
  for (int i = 0; i < 20000; i++) {
    trace.producer = static_cast<uint32_t>(pick(4));
    if (pick(50) == 0) {
      trace.now -= pick(5000);  // clocks of producers are not ordered
    }
    const auto kind =
        static_cast<EventKind>(pick(static_cast<uint64_t>(EventKind::kKindCount) + 2));
    const uint64_t node = Node(static_cast<int>(pick(8)));
    const uint64_t object = kind == EventKind::kSlotStore
                                ? trace.SlotAddress(node, static_cast<int>(pick(20)))
                                : lists[pick(3)];
    const uint64_t raws[] = {0, kPageRaw, kMarkerRaw, ::vmpl::testing::kReferenceRaw,
                             ::vmpl::testing::kIntervalRaw};
    trace.Add(kind, object, static_cast<uint32_t>(pick(24)),
              kind == EventKind::kSlotStore ? raws[pick(5)] : (pick(2) ? node : pick(4)),
              kind == EventKind::kSlotStore ? raws[pick(5)] : pick(4) * kNodeSpan,
              pick(3) == 0 ? trace.SlotAddress(Node(static_cast<int>(pick(8))), 3) : lists[pick(3)],
              random());
  }
  auto reader = trace.Write(path_);
  ASSERT_TRUE(reader);
  const TraceReport report = BuildTraceReport(*reader);
  EXPECT_EQ(report.events, 20000u);
  EXPECT_NO_THROW(TraceReportToJson(report).dump());
  EXPECT_FALSE(RenderTraceReportText(report).empty());
  const Exported chrome = Export(*reader, /*fxt=*/false);
  ASSERT_TRUE(chrome.ok) << chrome.error;
  const nlohmann::json json = nlohmann::json::parse(chrome.bytes);
  std::map<int64_t, double> last_ts;  // per tid: begins and ends never go back in time
  std::map<int64_t, int64_t> depth;
  for (const nlohmann::json& event : json["traceEvents"]) {
    if (event["ph"] == "B" || event["ph"] == "E") {
      double& last = last_ts[event["tid"]];
      EXPECT_GE(event["ts"].get<double>(), last) << event;
      last = event["ts"].get<double>();
      depth[event["tid"]] += event["ph"] == "B" ? 1 : -1;
      EXPECT_GE(depth[event["tid"]], 0) << event;
    }
  }
  for (const auto& [tid, open] : depth) {
    EXPECT_EQ(open, 0) << "tid " << tid;
  }
  const Exported fxt = Export(*reader, /*fxt=*/true);
  ASSERT_TRUE(fxt.ok) << fxt.error;
  EXPECT_EQ(FxtChecker().Check(fxt.bytes), "");
}

// A simulator run recorded through the hooks: both exports are valid and agree.
TEST(TraceExportRecording, SimulatorRunExportsConsistently) {
  const std::string path = TempTracePath("sim");
  Recording recording(path);
  std::unique_ptr<trace::TraceReader> reader;
  {
    sim::SimConfig config;
    config.seed = static_cast<uint64_t>(::testing::UnitTest::GetInstance()->random_seed()) + 5;
    config.vmos = 4;
    config.page_budget = 1024;
    sim::Simulator simulator(config);
    for (int i = 0; i < 300; i++) {
      ASSERT_TRUE(simulator.Step());
      recording.Drain();
    }
    reader = recording.Finish();
  }
  ASSERT_TRUE(reader);
  const Exported chrome = Export(*reader, /*fxt=*/false);
  const Exported fxt = Export(*reader, /*fxt=*/true);
  ASSERT_TRUE(chrome.ok) << chrome.error;
  ASSERT_TRUE(fxt.ok) << fxt.error;
  const TimelineStats& stats = chrome.stats.timeline;
  EXPECT_GT(stats.ops, 300u);
  EXPECT_EQ(stats.unmatched_op_ends, 0u);
  EXPECT_EQ(stats.closed_ops, 0u);
  EXPECT_EQ(fxt.stats.timeline.ops, stats.ops);
  EXPECT_EQ(fxt.stats.timeline.instants, stats.instants);
  EXPECT_EQ(fxt.stats.timeline.counter_samples, stats.counter_samples);

  const nlohmann::json json = nlohmann::json::parse(chrome.bytes);
  size_t begins = 0;
  size_t ends = 0;
  for (const nlohmann::json& event : json["traceEvents"]) {
    begins += event["ph"] == "B" ? 1 : 0;
    ends += event["ph"] == "E" ? 1 : 0;
  }
  EXPECT_EQ(begins, stats.ops);
  EXPECT_EQ(ends, stats.ops);

  FxtChecker checker;
  ASSERT_EQ(checker.Check(fxt.bytes), "");
  EXPECT_EQ(CountType(checker, 2), stats.ops);
  EXPECT_EQ(CountType(checker, 0), stats.instants);
  EXPECT_EQ(CountType(checker, 1), stats.counter_samples);
  // The report counts the same operations as the exports show.
  const TraceReport report = BuildTraceReport(*reader);
  uint64_t ops = 0;
  for (uint64_t n : report.ops) {
    ops += n;
  }
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(ops, stats.ops);
}

}  // namespace
}  // namespace vmpl::inspect
