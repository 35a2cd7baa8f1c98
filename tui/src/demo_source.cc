// The demo: vmpl's simulator running in this process on a thread of its own, its lists captured
// in process (vmpl::CaptureRegisteredLists, the one model every source produces), with its
// events from a private trace ring that the TUI drains. vm_page_t's are read through this
// process's memory (process_vm_readv), as for any other process.
//
// The simulator is not thread-safe, and a snapshot taken in the middle of a step would show a
// list mid-operation, so the simulator thread runs steps in short slices under a mutex and the
// TUI's Read takes the same mutex: every snapshot falls between two steps. The TUI announces that
// it is waiting, and the simulator thread gives way at its next slice boundary, so a flat-out
// simulator cannot starve the view.
//
// Tracing starts before the simulator exists, and the ring reader asks for a snapshot at once
// (answered between steps by vmpl::trace::ServiceRequests), so every event is resolved to its
// list. The simulator never outruns its viewer: flat out it writes events faster than one
// thread can resolve them, so when the TUI has not yet read half the ring, the simulator waits
// for it. "Flat out" is therefore as fast as the view can follow, and no event is lost. (A
// process watched with --pid cannot be held back: there, a loss is counted and the stream
// resynchronises, see ring_event_stream.h.)

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/capture.h>
#include <vmpl/model/check.h>
#include <vmpl/registry.h>
#include <vmpl/sim.h>
#include <vmpl/trace.h>
#include <vmpl/trace_ring.h>

#include "vmpl/tui/ring_event_stream.h"
#include "vmpl/tui/source_factory.h"

namespace vmpl::tui {
namespace {

using Clock = std::chrono::steady_clock;

// 32 MiB of records: at full speed a few tenths of a second of events.
constexpr uint64_t kRingRecords = uint64_t{1} << 19;
// The longest the simulator holds the lock in one go.
constexpr auto kSlice = std::chrono::milliseconds(2);
// Records resolved per poll: about 25 ms of work, so a poll never costs the view a frame.
constexpr size_t kMaxRecordsPerPoll = size_t{1} << 17;
// The simulator waits while the TUI is this far behind.
constexpr uint64_t kMaxBacklog = kRingRecords / 2;

sim::SimConfig SimConfigFor(const DemoOptions& options) {
  sim::SimConfig config;
  config.seed = options.seed;
  config.vmos = options.vmos;
  config.page_budget = options.page_budget;
  return config;
}

class DemoSource final : public Source {
 public:
  DemoSource(const DemoOptions& options, std::unique_ptr<trace::Ring> ring)
      : options_(options), ring_(std::move(ring)), self_(getpid()) {
    trace::Start(ring_.get());
    std::string error;
    std::unique_ptr<trace::RingReader> reader = trace::RingReader::AttachInProcess(*ring_, &error);
    if (reader) {
      events_ = std::make_unique<RingEventStream>(std::move(reader));
    } else {
      events_status_ = "no event stream: " + error;
    }
    sim_ = std::make_unique<sim::Simulator>(SimConfigFor(options));
    thread_ = std::thread([this] { RunSimulator(); });
  }

  ~DemoSource() override {
    {
      Lock lock(*this);
      stopping_ = true;
    }
    resume_.notify_all();
    thread_.join();
    // Nothing may write to the ring once it is gone; the simulator's teardown is not shown.
    trace::Stop();
    trace::Arm(nullptr);
    sim_.reset();
    events_.reset();
  }

  std::string Describe() const override {
    return options_.rate > 0 ? fmt::format("demo (seed {}, {} steps/s)", options_.seed,
                                           options_.rate)
                             : fmt::format("demo (seed {}, flat out)", options_.seed);
  }

  bool live() const override { return true; }

  vmpl::Snapshot Read() override {
    vmpl::Snapshot snapshot;
    std::string failure;
    {
      Lock lock(*this);
      // Our own lists, captured in process: the simulator waits while the lock is held.
      snapshot.lists = vmpl::CaptureRegisteredLists();
      if (sim_->failure()) {
        failure = sim_->failure()->ToString();
      }
      steps_at_read_ = steps_;
    }
    snapshot.source = fmt::format("{}: step {}", Describe(), steps_at_read_);
    if (!failure.empty()) {
      snapshot.problems.push_back({0, "simulator: " + failure});
    }
    vmpl::CheckSnapshot(snapshot);  // what vmpl::Validate judges, on the capture
    return snapshot;
  }

  uint64_t PollEvents(EventLog& log) override {
    if (!events_) {
      return 0;
    }
    const uint64_t lost = events_->Poll(log, kMaxRecordsPerPoll);
    drained_.store(events_->position(), std::memory_order_release);
    return lost;
  }

  std::string EventsStatus() const override {
    if (events_ && !events_->synced()) {
      return "waiting for the simulator's snapshot";
    }
    return events_status_;
  }

  std::optional<PageStruct> ReadPage(uint64_t address, std::string* error) override {
    // Without the lock: the node map reads hundreds of pages a frame, and pausing the simulator
    // for each would stall both. A page changing meanwhile reads as it is now (process_vm_readv
    // never faults), as with any live process.
    std::vector<uint8_t> bytes(inspect::BuiltinDecodeLayout().page_struct_size);
    const inspect::ReadResult result = self_.Read(address, bytes.data(), bytes.size());
    if (!result.ok()) {
      *error = result.error;
      return std::nullopt;
    }
    return DecodePageStruct(address, std::move(bytes), inspect::BuiltinDecodeLayout());
  }

  void ReadPages(vmpl::SnapshotList& list) override {
    Lock lock(*this);  // a consistent set: the simulator waits meanwhile
    inspect::DecodePages(self_, inspect::BuiltinDecodeLayout(), list);
  }

  void SetPaused(bool paused) override {
    {
      Lock lock(*this);
      paused_ = paused;
    }
    resume_.notify_all();
  }

 private:
  // The TUI's side of the mutex: says it is waiting, so the simulator gives way.
  class Lock {
   public:
    explicit Lock(DemoSource& source) : source_(source) {
      source_.waiting_.fetch_add(1, std::memory_order_relaxed);
      source_.mutex_.lock();
      source_.waiting_.fetch_sub(1, std::memory_order_relaxed);
    }
    ~Lock() { source_.mutex_.unlock(); }

   private:
    DemoSource& source_;
  };

  void RunSimulator() {
    const Clock::time_point start = Clock::now();
    uint64_t paced_steps = 0;  // steps the rate allowed since |start| (reset on resume)
    Clock::time_point pace_start = start;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      if (paused_) {
        resume_.wait(lock, [this] { return stopping_ || !paused_; });
        pace_start = Clock::now();
        paced_steps = 0;
        continue;
      }
      const Clock::time_point slice_end = Clock::now() + kSlice;
      uint64_t allowed = UINT64_MAX;
      if (options_.rate > 0) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - pace_start).count();
        const uint64_t due = static_cast<uint64_t>(elapsed * options_.rate);
        allowed = due > paced_steps ? due - paced_steps : 0;
      }
      uint64_t taken = 0;
      bool backlogged = Backlogged();
      while (taken < allowed && !backlogged && waiting_.load(std::memory_order_relaxed) == 0) {
        sim_->Step();
        trace::ServiceRequests();
        steps_++;
        taken++;
        if ((taken & 15) == 0) {
          if (Clock::now() >= slice_end) {
            break;
          }
          backlogged = Backlogged();
        }
      }
      paced_steps += taken;
      // Give way: to the TUI if it waits or is behind on events, and to time if the rate says so.
      lock.unlock();
      if (taken == 0 || backlogged || waiting_.load(std::memory_order_relaxed) != 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(taken == 0 || backlogged ? 500 : 50));
      }
      lock.lock();
    }
  }

  // True while the TUI has more than kMaxBacklog records of the ring still to read.
  bool Backlogged() const {
    if (!events_) {
      return false;
    }
    const uint64_t head = ring_->Totals().head;
    const uint64_t drained = drained_.load(std::memory_order_acquire);
    return head > drained && head - drained > kMaxBacklog;
  }

  DemoOptions options_;
  std::unique_ptr<trace::Ring> ring_;
  inspect::LiveProcessSource self_;
  std::unique_ptr<RingEventStream> events_;
  std::string events_status_;
  std::unique_ptr<sim::Simulator> sim_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable resume_;
  std::atomic<int> waiting_{0};
  std::atomic<uint64_t> drained_{0};  // the ring position the TUI has read up to
  bool paused_ = false;    // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  uint64_t steps_ = 0;     // guarded by mutex_
  uint64_t steps_at_read_ = 0;
};

}  // namespace

std::unique_ptr<Source> OpenDemoSource(const DemoOptions& options, std::string* error) {
  if (const std::string problem = SimConfigFor(options).Problem(); !problem.empty()) {
    *error = problem;
    return nullptr;
  }
  if (trace::CurrentRing() != nullptr) {
    *error = "tracing is already in use in this process";
    return nullptr;
  }
  trace::RingOptions ring_options;
  ring_options.capacity = kRingRecords;
  ring_options.mode = trace::RingMode::kOverwrite;
  ring_options.shared = false;
  ring_options.clock = trace::MeasureClock();
  std::unique_ptr<trace::Ring> ring = trace::Ring::Create(ring_options, error);
  if (!ring) {
    return nullptr;
  }
  return std::make_unique<DemoSource>(options, std::move(ring));
}

}  // namespace vmpl::tui
