// OpenSource (source_factory.h): one switch from the command line's choice to a Source.

#include "vmpl/tui/source_factory.h"

#include "vmpl/tui/trace_source.h"

namespace vmpl::tui {

std::unique_ptr<Source> OpenSource(const SourceOptions& options, std::string* error) {
  switch (options.kind) {
    case SourceOptions::Kind::kDemo:
      return OpenDemoSource(options.demo, error);
    case SourceOptions::Kind::kTrace:
      return OpenTraceSource(options.trace, error);
    case SourceOptions::Kind::kPid:
    case SourceOptions::Kind::kCore:
    case SourceOptions::Kind::kRemote:
      return OpenTargetSource(options, error);
  }
  *error = "unknown source";
  return nullptr;
}

}  // namespace vmpl::tui
