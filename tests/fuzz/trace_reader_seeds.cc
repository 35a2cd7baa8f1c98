// Makes the seed corpus of the trace_reader fuzz target (tests/fuzz/corpus/trace_reader/): small
// trace files with TraceWriter, one per shape a reader meets (empty, complete with every chunk
// type, an unknown extension chunk, a writer that never finished). Seeds must be small, because
// the fuzz driver mutates each one thousands of times.
//
// Usage: trace_reader_seeds DIR            writes the seeds into DIR
//        trace_reader_seeds --check DIR    fails if the seeds in DIR are not what it would write
// (a CTest test runs the second form, so the checked-in seeds follow format changes).

#include <stdio.h>
#include <stdlib.h>
#include <vmpl/inspect/trace_file.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using vmpl::trace::FileRecord;
using vmpl::trace::LossTable;
using vmpl::trace::TraceInfo;
using vmpl::trace::TraceWriter;
using vmpl::trace::TraceWriterOptions;

// Fixed values only: the seeds must come out byte-identical on every run.
TraceInfo SeedInfo() {
  TraceInfo info;
  info.program = "seed";
  info.program_version = "1";
  info.pid = 1;
  info.host = "h";
  info.start_time = "2024-01-01T00:00:00.000000Z";
  info.clock = {"monotonic", 1e9, 0, 0};
  info.layout = {.pointer_size = 8,
                 .node_size = 176,
                 .node_canary_offset = 32,
                 .node_offset_offset = 40,
                 .node_slots_offset = 48,
                 .slot_size = 8,
                 .fanout = 16,
                 .page_size = 4096,
                 .list_size = 48,
                 .splice_size = 400,
                 .splice_head_offset = 48,
                 .splice_tail_offset = 224};
  return info;
}

std::vector<FileRecord> Records(uint64_t first, uint64_t count) {
  std::vector<FileRecord> records(count);
  for (uint64_t i = 0; i < count; ++i) {
    FileRecord& r = records[i];
    r.producer = static_cast<uint32_t>(i % 2);
    r.event.timestamp = 100 + first + i;
    r.event.object = 0x1000 + 8 * (first + i);
    r.event.kind = vmpl::trace::EventKind::kSlotStore;
    r.event.arg[1] = first + i;
  }
  return records;
}

bool Write(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  std::string error;
  auto writer =
      TraceWriter::Create(path, SeedInfo(), TraceWriterOptions{.records_per_chunk = 2}, &error);
  if (writer == nullptr) {
    fprintf(stderr, "%s\n", error.c_str());
    return false;
  }
  bool ok = true;
  if (name == "complete.trace") {
    const std::vector<FileRecord> snapshot = Records(1000, 2);
    const std::vector<FileRecord> events = Records(0, 5);
    LossTable losses;
    losses.producers.push_back({0, 7, {1, 0, 0, 0}});
    ok = writer->AppendSnapshot(snapshot.data(), snapshot.size()) &&
         writer->AppendEvents(events.data(), events.size()) && writer->WriteLosses(losses) &&
         writer->Finish();
  } else if (name == "extension.trace") {
    const std::vector<FileRecord> events = Records(0, 3);
    ok = writer->AppendEvents(events.data(), 2) && writer->WriteChunk(99, "ext", 3) &&
         writer->AppendEvents(events.data() + 2, 1) && writer->Finish();
  } else if (name == "unfinished.trace") {
    const std::vector<FileRecord> events = Records(0, 3);
    ok = writer->AppendEvents(events.data(), events.size());  // the destructor flushes, no END
  } else {
    ok = writer->Finish();  // empty.trace: INFO and END
  }
  if (!ok) {
    fprintf(stderr, "%s\n", writer->error().c_str());
  }
  return ok;
}

const char* const kSeeds[] = {"empty.trace", "complete.trace", "extension.trace",
                              "unfinished.trace"};

std::vector<char> Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
  const bool check = argc == 3 && std::string(argv[1]) == "--check";
  if (argc != 2 && !check) {
    fprintf(stderr, "usage: %s [--check] DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[argc - 1];
  if (!check) {
    for (const char* name : kSeeds) {
      if (!Write(dir, name)) {
        return 1;
      }
    }
    return 0;
  }
  // Write into a fresh directory and compare.
  std::string scratch = (std::filesystem::temp_directory_path() / "trace_reader_seeds.XXXXXX");
  if (mkdtemp(scratch.data()) == nullptr) {
    perror("mkdtemp");
    return 2;
  }
  int status = 0;
  for (const char* name : kSeeds) {
    if (!Write(scratch, name)) {
      status = 1;
    } else if (Contents(scratch + "/" + name) != Contents(dir + "/" + name)) {
      fprintf(stderr, "%s/%s is missing or stale: run `%s %s` and commit the result\n", dir.c_str(),
              name, argv[0], dir.c_str());
      status = 1;
    }
  }
  std::filesystem::remove_all(scratch);
  return status;
}
