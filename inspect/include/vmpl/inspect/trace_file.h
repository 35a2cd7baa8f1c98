// vmpl::trace::TraceWriter and TraceReader: the binary trace file, written streaming and read
// zero-copy. The format, byte by byte, and the rules a reader follows for damage are in
// docs/trace-format.md; this header is the one implementation of both sides.
//
// What a trace file is. A 16-byte file header, then checksummed chunks: one INFO (JSON: who
// recorded, the clock, the page-list layout, the ring), SNAPSHOT chunks (records that build the
// initial state from nothing), EVENTS chunks (the records that follow), LOSSES (JSON: what the
// ring lost), and END (record counts; present only in a complete file). A record is the 56-byte
// vmpl::trace::Event behind an 8-byte word of its own (producer index, flags): 64 bytes, so every
// record in a chunk payload is naturally aligned and a reader hands out pointers into the mapped
// file instead of copying.
//
// When to use it. TraceWriter for anything that records (`vmpl sim --trace`, `vmpl trace
// record`): it buffers at most one chunk (4096 records, 256 KiB) and writes each chunk with one
// system call, so it never holds a whole trace and a recorder killed at any point leaves a file
// whose written chunks are all readable. TraceReader for anything that analyses: `Open` maps
// the file and checks every chunk once (O(file size), no allocation sized by a length read from
// the file before that length is checked against the file size); afterwards the records are
// spans into the mapping, so replay reads 10 M events without copying one.
//
// Synopsis:
//   namespace vmpl::trace {
//   inline constexpr char kTraceMagic[8];              // "VMPLTRCE", no NUL
//   inline constexpr uint32_t kTraceFormatVersion = 1;
//   enum class ChunkType : uint32_t { kInfo = 1, kSnapshot, kEvents, kLosses, kEnd };
//   const char* ChunkTypeName(uint32_t type);            // "INFO", ..., "unknown"
//   struct FileRecord { uint32_t producer; uint32_t flags; Event event; };   // 64 bytes
//   struct TraceClock; struct TraceLayout; struct TraceRing;
//   struct TraceInfo { ...; nlohmann::json ToJson() const; static std::optional<TraceInfo>
//                      FromJson(const nlohmann::json&, std::string* error);
//                      static TraceInfo ForThisProcess(program, program_version); };
//   struct LossCounts; struct ProducerLosses;
//   struct LossTable { producers; Totals(); ToJson(); FromJson(); };
//   struct TraceWriterOptions { records_per_chunk = 4096; fsync_on_finish = false; };
//   class TraceWriter { Create(path, info, [options], error); AppendSnapshot; AppendEvents; Flush;
//                       WriteLosses; WriteChunk; Finish; error(); counters };
//   struct RecordSpan { const FileRecord* data; size_t count; uint64_t first_index; };
//   struct ChunkEntry { uint32_t type; uint32_t flags; uint64_t offset; uint64_t payload_length; };
//   class RecordRange;                                   // forward range over spans
//   class TraceReader { Open(path, error); FromMemory(data, size, error, name); info();
//                       snapshot_spans(); event_spans(); snapshot(); events(); snapshot_count();
//                       event_count(); EventAt(i); losses(); complete(); problem(); chunks();
//                       ChunkPayload(chunk); valid_bytes(); name(); };
//   }
//
// Threads. A TraceWriter belongs to one thread at a time. A TraceReader is immutable after it is
// made: any number of threads may read it and its spans concurrently.

#ifndef VMPL_INSPECT_TRACE_FILE_H_
#define VMPL_INSPECT_TRACE_FILE_H_

#include <stddef.h>
#include <stdint.h>
#include <vmpl/trace_event.h>

#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmpl::trace {

// ================================================================================================
// The format's constants and its record.

// The first 8 bytes of every trace file. Not NUL-terminated.
inline constexpr char kTraceMagic[8] = {'V', 'M', 'P', 'L', 'T', 'R', 'C', 'E'};
// The version this code writes and the only one it reads. It changes when any offset, size or
// meaning in docs/trace-format.md changes incompatibly; adding a chunk type does not change it
// (readers skip types they do not know).
inline constexpr uint32_t kTraceFormatVersion = 1;
inline constexpr size_t kFileHeaderSize = 16;
inline constexpr size_t kChunkHeaderSize = 24;
// Chunk payloads are followed by zero padding to this multiple, so every chunk (and every record
// in one) starts 8-byte aligned in the file and in a mapping of it.
inline constexpr size_t kChunkAlignment = 8;

enum class ChunkType : uint32_t {
  kInfo = 1,      // UTF-8 JSON object: TraceInfo. The first chunk; exactly one.
  kSnapshot = 2,  // FileRecords that build the initial state; all before the first kEvents.
  kEvents = 3,    // FileRecords, in the order they happened.
  kLosses = 4,    // UTF-8 JSON object: LossTable. May repeat; the last one counts.
  kEnd = 5,       // Two u64: snapshot records, event records. Only in a complete file; last.
};

// "INFO", "SNAPSHOT", "EVENTS", "LOSSES", "END", or "unknown".
const char* ChunkTypeName(uint32_t type);

// One record of a SNAPSHOT or EVENTS chunk: the event behind an 8-byte word of the file's own.
struct FileRecord {
  uint32_t producer;  // index of the ring producer (thread) that emitted the event
  uint32_t flags;     // 0 in version 1; readers ignore bits they do not know
  Event event;
};
static_assert(sizeof(FileRecord) == 64);
static_assert(alignof(FileRecord) == 8);
static_assert(offsetof(FileRecord, producer) == 0);
static_assert(offsetof(FileRecord, flags) == 4);
static_assert(offsetof(FileRecord, event) == 8);

// ================================================================================================
// INFO: what a reader needs to interpret the records.

// How to turn Event::timestamp into time: ns = base_monotonic_ns + (timestamp - base_ticks) *
// 1e9 / ticks_per_second, on the recording machine's CLOCK_MONOTONIC.
struct TraceClock {
  std::string name = "monotonic";  // "tsc" or "monotonic"
  double ticks_per_second = 1e9;   // finite, > 0
  uint64_t base_ticks = 0;         // a timestamp value ...
  uint64_t base_monotonic_ns = 0;  // ... and the CLOCK_MONOTONIC time it was read at
};

// The memory layout of the page-list classes in the recorded program, in bytes: what a reader
// needs to turn the addresses in events (slots, nodes, lists) into lists, nodes and slot indices.
// FromJson checks that the numbers are consistent (fields inside their objects); their truth is
// the recorder's business.
struct TraceLayout {
  uint64_t pointer_size = 0;        // 4 or 8
  uint64_t node_size = 0;           // sizeof(VmPageListNode)
  uint64_t node_canary_offset = 0;  // offset of the 4-byte "PLST" canary in a node
  uint64_t node_offset_offset = 0;  // offset of the 8-byte obj_offset_ in a node
  uint64_t node_slots_offset = 0;   // offset of slot 0 in a node
  uint64_t slot_size = 0;           // sizeof(VmPageOrMarker)
  uint64_t fanout = 0;              // slots per node (kPageFanOut)
  uint64_t page_size = 0;           // PAGE_SIZE, a power of two
  uint64_t list_size = 0;           // sizeof(VmPageList)
  uint64_t splice_size = 0;         // sizeof(VmPageSpliceList)
  uint64_t splice_head_offset = 0;  // offset of the inline head node in a splice list
  uint64_t splice_tail_offset = 0;  // offset of the inline tail node in a splice list
};

// The shared ring the events came through, when they came through one.
struct TraceRing {
  std::string mode;       // e.g. "overwrite" (oldest) or "drop" (newest); as the ring names it
  uint64_t capacity = 0;  // records
};

struct TraceInfo {
  uint32_t format_version = kTraceFormatVersion;  // must equal the file header's version
  std::string program;                            // e.g. "vmpl sim"
  std::string program_version;                    // e.g. "0.1.0"
  int64_t pid = 0;                                // of the recorded process
  std::string host;                               // gethostname() of the recording machine
  std::string start_time;                         // wall clock, ISO 8601 UTC
  TraceClock clock;
  TraceLayout layout;
  std::optional<TraceRing> ring;                    // null in the JSON when absent
  nlohmann::json extra = nlohmann::json::object();  // anything else; a JSON object

  // The INFO payload: the fields above, named as in docs/trace-format.md.
  nlohmann::json ToJson() const;
  // The inverse of ToJson. Unknown keys are ignored (later writers may add some); a missing or
  // ill-typed field, or an inconsistent layout, gives nullopt and an |error| naming the field
  // ("layout.fanout: expected an integer from 1 to 4096").
  static std::optional<TraceInfo> FromJson(const nlohmann::json& json, std::string* error);
  // program and version as given; pid, host and start_time (now) of this process. The clock and
  // layout are left at their defaults for the caller to fill in.
  static TraceInfo ForThisProcess(std::string_view program, std::string_view program_version);
};

// ================================================================================================
// LOSSES: what the ring did not deliver, per producer. The counters are the ring's
// (RingProducerEntry in <vmpl/trace_ring.h> defines them exactly); the file only carries them.

struct LossCounts {
  uint64_t overwritten = 0;    // lost: a later lap took the slot before the reader got it
  uint64_t dropped = 0;        // lost: drop-newest mode and the ring was full
  uint64_t abandoned = 0;      // lost: given up by the reader (producer dead or too slow)
  uint64_t blocked = 0;        // lost: the slot was held by a stalled writer of an earlier lap
  uint64_t commit_failed = 0;  // not a loss of its own: how many of the above the producer
                               // itself noticed at commit

  // Records lost: every counter but commit_failed, which counts some of the same records again.
  uint64_t total() const { return overwritten + dropped + abandoned + blocked; }
  bool operator==(const LossCounts&) const = default;
};

struct ProducerLosses {
  uint32_t index = 0;  // FileRecord::producer of this producer's records
  uint64_t tid = 0;    // its thread id in the recorded process, 0 if unknown
  LossCounts counts;

  bool operator==(const ProducerLosses&) const = default;
};

struct LossTable {
  std::vector<ProducerLosses> producers;

  // The sum over producers (saturating at UINT64_MAX).
  LossCounts Totals() const;
  // {"producers": [{index, tid, overwritten, dropped, abandoned, blocked, commit_failed}...],
  //  "totals": {overwritten, dropped, abandoned, blocked, commit_failed}}
  nlohmann::json ToJson() const;
  // The inverse of ToJson; "totals" must equal the sum of the producers.
  static std::optional<LossTable> FromJson(const nlohmann::json& json, std::string* error);

  bool operator==(const LossTable&) const = default;
};

// ================================================================================================
// TraceWriter: streams a trace file.
//
// States: open (Append*/Flush/WriteLosses/WriteChunk accepted) -> finished (after Finish) or
// failed (after any call returned false). A failed or finished writer accepts nothing more and
// returns false from every call; error() says why. Invariants of the file it writes:
//   1. The file header and the INFO chunk are on disk when Create returns.
//   2. All SNAPSHOT chunks precede the first EVENTS chunk (AppendSnapshot after AppendEvents
//      fails).
//   3. Every chunk is written whole with one writev; a reader of the file at any moment (the
//      recorder killed, the disk full) finds every earlier chunk intact.
//   4. END is written only by Finish, after every buffered record, so its presence means the file
//      is complete.
// Buffered records (at most records_per_chunk) are not on disk until their chunk fills, Flush,
// WriteLosses, Finish, or the destructor, which flushes them (but writes no END: a writer
// destroyed without Finish leaves a valid truncated file).

struct TraceWriterOptions {
  // Records per SNAPSHOT/EVENTS chunk (1 to 1 << 20). 4096 records = 256 KiB: large enough that
  // the per-chunk header and system call cost nothing, small enough that a killed recorder loses
  // little. Tests use small values to make many chunks out of few records.
  uint32_t records_per_chunk = 4096;
  // fsync the file in Finish before closing it.
  bool fsync_on_finish = false;
};

class TraceWriter {
 public:
  // Creates (or truncates) |path| (mode 0644 before umask) and writes the file header and INFO.
  // nullptr and |error| ("trace.bin: cannot create: Permission denied", or the INFO field that is
  // invalid) on failure. An |info| that FromJson would not accept is refused, so the writer never
  // writes a file its reader rejects.
  static std::unique_ptr<TraceWriter> Create(const std::string& path, const TraceInfo& info,
                                             std::string* error);
  static std::unique_ptr<TraceWriter> Create(const std::string& path, const TraceInfo& info,
                                             const TraceWriterOptions& options, std::string* error);

  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  // Flushes buffered records if the writer is still open, then closes the file.
  ~TraceWriter();

  // Buffers |count| records of the initial state; full chunks are written as they fill. Fails
  // once AppendEvents has been called.
  bool AppendSnapshot(const FileRecord* records, size_t count);
  // Buffers |count| event records; full chunks are written as they fill. The first call writes
  // any buffered snapshot records first.
  bool AppendEvents(const FileRecord* records, size_t count);
  // Writes the buffered records as a (short) chunk. A recorder calls this now and then so that a
  // reader of the growing file, or of what is left after a crash, sees recent events.
  bool Flush();
  // Flushes, then writes a LOSSES chunk. Call it as often as the losses change; the last counts.
  bool WriteLosses(const LossTable& losses);
  // Flushes, then writes a chunk of a type this writer does not otherwise produce (an extension
  // a newer reader understands and an older one skips). Types 0 to 5 are refused.
  bool WriteChunk(uint32_t type, const void* payload, size_t size);
  // Flushes, writes END, optionally fsyncs, and closes the file. The file is then complete.
  bool Finish();

  // Empty, or why the last call failed.
  const std::string& error() const { return error_; }
  // Records accepted so far (buffered or written).
  uint64_t snapshot_records() const { return snapshot_records_; }
  uint64_t event_records() const { return event_records_; }
  // Bytes written to the file so far.
  uint64_t bytes_written() const { return bytes_written_; }
  bool finished() const { return finished_; }

 private:
  TraceWriter(int fd, std::string path, const TraceWriterOptions& options);

  bool Append(ChunkType type, const FileRecord* records, size_t count);
  bool WriteRecordChunk(ChunkType type, const FileRecord* records, size_t count);
  bool WriteChunkBytes(uint32_t type, const void* payload, size_t size);
  bool WriteJsonChunk(ChunkType type, const nlohmann::json& json);
  // Refuses a call on a writer that is finished or failed.
  bool CheckOpen(const char* call);
  bool Fail(std::string message);

  int fd_;
  std::string path_;
  TraceWriterOptions options_;
  std::vector<FileRecord> pending_;  // at most records_per_chunk records of pending_type_
  ChunkType pending_type_ = ChunkType::kSnapshot;
  bool events_started_ = false;
  bool finished_ = false;
  uint64_t snapshot_records_ = 0;
  uint64_t event_records_ = 0;
  uint64_t bytes_written_ = 0;
  std::string error_;
};

// ================================================================================================
// TraceReader: a checked, zero-copy view of a trace file.

// The records of one SNAPSHOT or EVENTS chunk, in the mapped file. |first_index| is the index of
// data[0] among all records of its kind (snapshot records and events are numbered separately,
// both from 0). Never empty.
struct RecordSpan {
  const FileRecord* data;
  size_t count;
  uint64_t first_index;
};

// A chunk the reader accepted (its header and payload checksums matched).
struct ChunkEntry {
  uint32_t type;            // ChunkType, or a type this reader skipped
  uint32_t flags;           // as stored
  uint64_t offset;          // of the chunk header in the file
  uint64_t payload_length;  // bytes, without padding
};

// The records of a sequence of spans, in order, as one forward range.
class RecordRange {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = FileRecord;
    using difference_type = ptrdiff_t;
    using pointer = const FileRecord*;
    using reference = const FileRecord&;

    Iterator() = default;
    reference operator*() const { return *record_; }
    pointer operator->() const { return record_; }
    Iterator& operator++() {
      if (++record_ == span_->data + span_->count) {
        ++span_;
        record_ = span_ == spans_end_ ? nullptr : span_->data;
      }
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    // Iterators are equal when they point at the same record; every end is the null record.
    bool operator==(const Iterator& other) const { return record_ == other.record_; }

   private:
    friend class RecordRange;
    Iterator(const RecordSpan* span, const RecordSpan* spans_end)
        : span_(span), spans_end_(spans_end), record_(span == spans_end ? nullptr : span->data) {}

    const RecordSpan* span_ = nullptr;
    const RecordSpan* spans_end_ = nullptr;
    const FileRecord* record_ = nullptr;
  };

  RecordRange(const std::vector<RecordSpan>& spans, uint64_t count)
      : spans_(&spans), count_(count) {}
  Iterator begin() const { return Iterator(spans_->data(), spans_->data() + spans_->size()); }
  Iterator end() const { return Iterator(); }
  uint64_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  const std::vector<RecordSpan>* spans_;  // non-empty spans only
  uint64_t count_;
};

// States: a TraceReader exists only for a file whose header and INFO chunk are valid (otherwise
// Open/FromMemory return nullptr and an error). It then holds the longest valid prefix of the
// file's chunks; problem() says why it stopped short of the whole file, if it did. Invariants:
//   1. Every span points at records inside a chunk whose header and payload CRCs matched.
//   2. snapshot_spans() and event_spans() are each numbered contiguously from 0, and
//      snapshot_count() / event_count() are their sums.
//   3. complete() implies problem() is empty or only reports bytes after END.
// The records are in the mapping (or caller's memory) the reader owns or borrows: spans,
// ranges and pointers into them live as long as the reader.
class TraceReader {
 public:
  // Maps |path| read-only and checks it. nullptr and |error| (naming the file and, when the
  // content is at fault, the byte offset) if it cannot be opened or has no valid header and INFO.
  // The file must not shrink while the reader lives (a mapping of a truncated file raises
  // SIGBUS on access); a file still growing is read up to its size at Open.
  static std::unique_ptr<TraceReader> Open(const std::string& path, std::string* error);
  // The same for |size| bytes at |data|, named |name| in messages. The reader borrows the memory,
  // which must outlive it, if |data| is 8-byte aligned, and copies it otherwise.
  static std::unique_ptr<TraceReader> FromMemory(const uint8_t* data, size_t size,
                                                 std::string* error,
                                                 std::string_view name = "trace");

  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;
  ~TraceReader();

  const std::string& name() const { return name_; }
  const TraceInfo& info() const { return info_; }

  // One span per non-empty SNAPSHOT / EVENTS chunk, in file order. The fast path for consumers.
  const std::vector<RecordSpan>& snapshot_spans() const { return snapshot_spans_; }
  const std::vector<RecordSpan>& event_spans() const { return event_spans_; }
  // The same records as one range each.
  RecordRange snapshot() const { return RecordRange(snapshot_spans_, snapshot_count_); }
  RecordRange events() const { return RecordRange(event_spans_, event_count_); }
  uint64_t snapshot_count() const { return snapshot_count_; }
  uint64_t event_count() const { return event_count_; }
  // Event |index| (0-based over EVENTS records), or nullptr past the end. O(log chunks).
  const FileRecord* EventAt(uint64_t index) const;

  // The last valid LOSSES chunk's table, if there was one.
  const std::optional<LossTable>& losses() const { return losses_; }
  // END was read and its counts match the records read.
  bool complete() const { return complete_; }
  // Empty, or one message naming the file, what was wrong, the chunk and byte offset, and what
  // is readable ("trace.bin: chunk 7 (EVENTS) at byte 1835032: payload CRC mismatch; the 12
  // snapshot records and 28672 events before it are readable").
  const std::string& problem() const { return problem_; }
  // Every accepted chunk, in file order, including skipped ones of unknown type.
  const std::vector<ChunkEntry>& chunks() const { return chunks_; }
  // The payload of |chunk|, one of chunks() (its CRC matched), in the mapping; empty for a chunk
  // that is not this reader's. How a consumer reads an extension chunk it knows.
  std::string_view ChunkPayload(const ChunkEntry& chunk) const;
  // Bytes from the start of the file to the end of the last accepted chunk.
  uint64_t valid_bytes() const { return valid_bytes_; }

 private:
  TraceReader() = default;
  static std::unique_ptr<TraceReader> Make(std::unique_ptr<TraceReader> reader, std::string* error);
  bool Scan(std::string* error);
  void Stop(uint64_t chunk, uint64_t offset, uint32_t type, std::string_view what);
  std::string Readable(std::string_view where) const;

  std::string name_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;     // munmap'd by the destructor when set
  std::vector<uint64_t> copy_;  // owned, aligned copy of unaligned FromMemory input
  TraceInfo info_;
  std::vector<RecordSpan> snapshot_spans_;
  std::vector<RecordSpan> event_spans_;
  uint64_t snapshot_count_ = 0;
  uint64_t event_count_ = 0;
  std::optional<LossTable> losses_;
  bool complete_ = false;
  std::string problem_;
  std::vector<ChunkEntry> chunks_;
  uint64_t valid_bytes_ = 0;
  bool info_seen_ = false;  // during Scan: chunk 0 was a valid INFO
};

}  // namespace vmpl::trace

#endif  // VMPL_INSPECT_TRACE_FILE_H_
