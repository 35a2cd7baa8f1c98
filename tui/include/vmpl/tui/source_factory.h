// vmpl::tui::OpenSource: the Source a `vmpl tui` command line names (source.h lists them).

#ifndef VMPL_TUI_SOURCE_FACTORY_H_
#define VMPL_TUI_SOURCE_FACTORY_H_

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>

#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/target.h>

#include "vmpl/tui/source.h"

namespace vmpl::tui {

struct DemoOptions {
  uint64_t seed = 1;
  double rate = 1000;  // simulator steps per second; 0: flat out
  size_t vmos = 8;
  size_t page_budget = 16384;
};

struct SourceOptions {
  enum class Kind { kDemo, kPid, kCore, kRemote, kTrace };
  Kind kind = Kind::kDemo;
  DemoOptions demo;
  inspect::TargetOptions target;      // kPid, kCore, kRemote
  inspect::SnapshotRequest request;   // kPid, kCore, kRemote: which lists
  inspect::DecodeLayout layout = inspect::BuiltinDecodeLayout();
  std::string trace;                  // kTrace: the file
  // kPid: without a shared ring, read the events from the target's USDT probes with BPF. Off
  // for a process reading itself (tests, benchmarks), which would trap on its own every event.
  bool bpf_events = true;
};

// Null, with |*error| set, if the source cannot be opened at all.
std::unique_ptr<Source> OpenSource(const SourceOptions& options, std::string* error);

// The simulator in this process (demo_source.cc).
std::unique_ptr<Source> OpenDemoSource(const DemoOptions& options, std::string* error);
// A process, core or stub (target_source.cc).
std::unique_ptr<Source> OpenTargetSource(const SourceOptions& options, std::string* error);

// The vm_page_t fields |layout| describes, from |bytes| read at |address|.
PageStruct DecodePageStruct(uint64_t address, std::vector<uint8_t> bytes,
                            const inspect::DecodeLayout& layout);

}  // namespace vmpl::tui

#endif  // VMPL_TUI_SOURCE_FACTORY_H_
