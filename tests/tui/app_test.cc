// The TUI's App (tui/include/vmpl/tui/app.h) driven off-screen: keys and mouse events go in as
// Input values, frames come out as text, no terminal anywhere. The source is real: a TargetSource
// on this very process (kPid, our own pid, the registry at &vmpl_registry), so every frame shows
// page lists built with the core, registered under names, read back with process_vm_readv and
// decoded as `vmpl tui --pid` would. A few tests replay a trace recorded in-process
// (OpenTraceSource) to drive the time cursor, and one opens the demo source (twice).
//
// The population (Population below): a page list with pages, markers, references and three dirty
// zero intervals over 11 nodes (the biggest list, so the one shown first), a skewed list, a list
// that TakePages emptied into a registered splice list, and, when a test asks for damage, a list
// three of whose nodes have a bad canary (restored before the list is freed), so that the
// Problems pane appears.
//
// Golden frames (tests/tui/golden/app_*.txt) go through Stable() first: see there for what it
// replaces and why. VMPL_UPDATE_GOLDEN=1 rewrites them (review the diff before committing).

#include <gtest/gtest.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vm/vm_page_list.h>
#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/live_process_source.h>
#include <vmpl/page_allocator.h>
#include <vmpl/registry.h>
#include <vmpl/sim.h>
#include <vmpl/trace.h>
#include <vmpl/tui/app.h>
#include <vmpl/tui/draw.h>
#include <vmpl/tui/events_view.h>
#include <vmpl/tui/frame.h>
#include <vmpl/tui/node_map.h>
#include <vmpl/tui/problems_view.h>
#include <vmpl/tui/source_factory.h>
#include <vmpl/tui/trace_source.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../inspect/trace_test_traces.h"
#include "golden.h"

// Panes by name in failure messages (GoogleTest finds PrintTo in the type's namespace).
namespace vmpl::tui {
void PrintTo(Pane pane, std::ostream* os) {
  static const char* const kNames[] = {"Lists", "Nodes", "Detail", "Events", "Problems"};
  *os << kNames[static_cast<int>(pane)];
}
}  // namespace vmpl::tui

namespace {

using vmpl::testing::ExpectGolden;

using vmpl::inspect::BuiltinDecodeLayout;
using vmpl::inspect::LiveProcessSource;
using vmpl::SnapshotList;
using vmpl::tui::App;
using vmpl::tui::AppOptions;
using vmpl::tui::DetailMode;
using vmpl::tui::Frame;
using vmpl::tui::Input;
using vmpl::tui::Pane;
using vmpl::tui::Style;
using Key = vmpl::tui::Input::Type;

constexpr uint64_t kSecond = 1'000'000'000;
// Reference values far above what the allocator's counter reaches in a test and below 4 GiB (so
// Stable() leaves them alone): fixed from run to run, never one the allocator handed out.
constexpr uint64_t kFixedReference = 0xfeed0000;
constexpr uint32_t kBadCanary = 0x0badf00d;

uint64_t Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * kSecond + static_cast<uint64_t>(ts.tv_nsec);
}

void ReleaseContent(VmPageOrMarker&& content) {
  if (content.IsPage()) {
    vmpl::PageAllocator::Get().FreePage(content.ReleasePage());
  } else if (content.IsReference()) {
    const uint64_t value = content.ReleaseReference().value();
    if (vmpl::PageAllocator::Get().IsLiveReference(value)) {
      vmpl::PageAllocator::Get().FreeReference(value);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The population

// A page list registered under a name, that frees what it holds (and undoes any damage) when the
// test is done with it. Lives at a fixed address (held by unique_ptr) since the registry names it
// by address.
class NamedList {
 public:
  NamedList(std::string_view name, uint64_t skew_pages = 0) {
    if (skew_pages != 0) {
      list_.InitializeSkew(0, skew_pages * PAGE_SIZE);
    }
    registration_ = vmpl::ScopedRegistration(&list_, name);
  }
  ~NamedList() {
    Repair();
    list_.RemoveAllContent([](VmPageOrMarker&& p) { ReleaseContent(std::move(p)); });
  }
  NamedList(const NamedList&) = delete;
  NamedList& operator=(const NamedList&) = delete;

  VmPageList& list() { return list_; }
  void Unregister() { registration_ = vmpl::ScopedRegistration(); }
  // Registered again: a new id, so after every list registered so far.
  void Reregister(std::string_view name) {
    registration_ = vmpl::ScopedRegistration();
    registration_ = vmpl::ScopedRegistration(&list_, name);
  }

  void Set(uint64_t page, VmPageOrMarker content) {
    auto [slot, in_interval] =
        list_.LookupOrAllocate(page * PAGE_SIZE, VmPageList::IntervalHandling::NoIntervals);
    ASSERT_NE(slot, nullptr);
    ASSERT_TRUE(slot->IsEmpty());
    *slot = std::move(content);
  }
  void Page(uint64_t page) {
    Set(page, VmPageOrMarker::Page(vmpl::PageAllocator::Get().AllocPage()));
  }
  void Marker(uint64_t page) { Set(page, VmPageOrMarker::Marker()); }
  void Reference(uint64_t page, bool left, bool right) {
    Set(page,
        VmPageOrMarker::Reference(VmPageOrMarker::ReferenceValue(kFixedReference), left, right));
  }
  // Pages [first_page, end_page), one dirty zero interval.
  void Interval(uint64_t first_page, uint64_t end_page) {
    ASSERT_EQ(list_.AddZeroInterval(first_page * PAGE_SIZE, end_page * PAGE_SIZE,
                                    VmPageOrMarker::IntervalDirtyState::Dirty),
              ZX_OK);
  }

  // The list as the decoder reads it from our own memory.
  SnapshotList Decode() {
    LiveProcessSource memory(getpid());
    return vmpl::inspect::DecodePageList(memory, reinterpret_cast<uintptr_t>(&list_),
                                         BuiltinDecodeLayout());
  }

  // Writes kBadCanary over the canary of every node, in memory, as a stray write would.
  void Damage() {
    const SnapshotList s = Decode();
    ASSERT_TRUE(s.problems.empty());
    for (const vmpl::SnapshotNode& node : s.nodes) {
      auto* canary =
          reinterpret_cast<uint8_t*>(node.address) + BuiltinDecodeLayout().node_canary_offset;
      uint32_t saved;
      memcpy(&saved, canary, sizeof saved);
      damaged_.push_back({canary, saved});
      memcpy(canary, &kBadCanary, sizeof kBadCanary);
    }
  }
  void Repair() {
    for (const auto& [canary, saved] : damaged_) {
      memcpy(canary, &saved, sizeof saved);
    }
    damaged_.clear();
  }

 private:
  VmPageList list_;
  vmpl::ScopedRegistration registration_;
  std::vector<std::pair<uint8_t*, uint32_t>> damaged_;
};

// Every list the tests look at, registered in this order (the registry's order is the Lists
// pane's): app:pages, app:skewed, app:source, app:splice, and app:damaged when asked for.
//
// app:pages (no skew), page by page:
//   0..19 pages  20, 21 markers  24 reference  25 reference (left split)  26 a one-page interval
//   28..29 interval  32..59 interval  64..79 pages  100, 116, 132, 148, 164, 180 one page each
// Its nodes (keys 0x0 .. 0xb0000) are 0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11: 11 nodes, none for
// pages 80..95. app:skewed: 3 pages of skew, pages 0..20 (2 nodes). app:source: pages 3..40,
// then TakePages of [5, 35) pages into app:splice.
struct Population {
  explicit Population(bool damaged) {
    pages = std::make_unique<NamedList>("app:pages");
    for (uint64_t p = 0; p < 20; p++) {
      pages->Page(p);
    }
    pages->Marker(20);
    pages->Marker(21);
    pages->Reference(24, false, false);
    pages->Reference(25, true, false);
    pages->Interval(26, 27);
    pages->Interval(28, 30);
    pages->Interval(32, 60);
    for (uint64_t p = 64; p < 80; p++) {
      pages->Page(p);
    }
    for (uint64_t p = 100; p <= 180; p += 16) {
      pages->Page(p);
    }

    skewed = std::make_unique<NamedList>("app:skewed", 3);
    for (uint64_t p = 0; p <= 20; p++) {
      skewed->Page(p);
    }

    source = std::make_unique<NamedList>("app:source");
    for (uint64_t p = 3; p <= 40; p++) {
      source->Page(p);
    }
    splice = std::make_unique<VmPageSpliceList>();
    *splice = source->list().TakePages(5 * PAGE_SIZE, 30 * PAGE_SIZE);
    splice_registration = vmpl::ScopedRegistration(splice.get(), "app:splice");

    if (damaged) {
      broken = std::make_unique<NamedList>("app:damaged");
      for (uint64_t p = 0; p < 48; p++) {
        broken->Page(p);
      }
      broken->Damage();
    }
  }
  ~Population() {
    splice_registration = vmpl::ScopedRegistration();
    if (splice->IsFinalized()) {
      while (!splice->IsProcessed()) {
        ReleaseContent(splice->Pop());
      }
    }
  }

  std::unique_ptr<NamedList> pages;
  std::unique_ptr<NamedList> skewed;
  std::unique_ptr<NamedList> source;
  std::unique_ptr<VmPageSpliceList> splice;
  vmpl::ScopedRegistration splice_registration;
  std::unique_ptr<NamedList> broken;
};

// ---------------------------------------------------------------------------------------------
// Frames

// The rows of |frame| as UTF-8 text, trailing spaces trimmed.
std::vector<std::string> Lines(const Frame& frame) {
  std::vector<std::string> lines;
  std::istringstream in(frame.ToText());
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The first row containing |needle|, or -1.
int RowOf(const Frame& frame, std::string_view needle) {
  const std::vector<std::string> lines = Lines(frame);
  for (size_t y = 0; y < lines.size(); y++) {
    if (lines[y].find(needle) != std::string::npos) {
      return static_cast<int>(y);
    }
  }
  return -1;
}

// Row |y| of |frame| as code points, one per cell (so a column is an index).
std::u32string Cells(const Frame& frame, int y) {
  std::u32string out;
  for (int x = 0; x < frame.width(); x++) {
    out += frame.at(x, y).glyph;
  }
  return out;
}

bool IsHexDigit(char32_t c) {
  return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
bool IsDecimalDigit(char32_t c) { return c >= U'0' && c <= U'9'; }

// What a golden file holds of |frame|: its text and its styles, with what changes from run to
// run replaced. Three things do: this process's pid (in the source's name and in the events
// pane's reason for having no events); addresses (of lists, nodes, slots and pages, and the raw
// value of a page slot, which is its page's address); and the bytes of a vm_page_t (its fake
// physical address and queue links), also shown after "paddr " in a slot's dump line, which
// becomes "0xPADDR". So, row by row: the pid, as a whole decimal number, becomes
// "PID"; a hex number of more than 8 significant digits becomes "0xADDR" (every offset, key,
// canary and reference value in these tests is below 4 GiB, and every address above it), and so
// does one cut by the frame's right edge (what is left of it depends on its length); after a
// "+0xNN:" dump label, every hex digit becomes 'x'. A placeholder takes the style of the first
// cell it replaces, and the rest of the row moves up to it (the row is then cut or padded back to
// the frame's width), so the text and style lines stay aligned. A row whose text runs into the
// frame's right edge (its last character in one of the last two cells) shows more or less of it
// depending on the pid's length, so such a row with the pid in it ends after its last "PID".
// Nothing else is touched.
std::string Stable(const Frame& frame) {
  std::u32string pid;
  for (char c : std::to_string(getpid())) {
    pid += static_cast<char32_t>(c);
  }
  std::vector<std::u32string> rows(static_cast<size_t>(frame.height()));
  std::vector<std::vector<Style>> styles(rows.size());
  for (int y = 0; y < frame.height(); y++) {
    const std::u32string in = Cells(frame, y);
    std::u32string& out = rows[static_cast<size_t>(y)];
    std::vector<Style>& out_styles = styles[static_cast<size_t>(y)];
    auto copy = [&](size_t from, size_t to) {
      for (size_t i = from; i < to; i++) {
        out += in[i];
        out_styles.push_back(frame.at(static_cast<int>(i), y).style);
      }
    };
    auto replace = [&](size_t from, std::u32string_view with) {
      for (char32_t c : with) {
        out += c;
        out_styles.push_back(frame.at(static_cast<int>(from), y).style);
      }
    };
    bool dump = false;
    size_t pid_end = 0;  // where the last "PID" placeholder ends in |out| (0: none)
    size_t i = 0;
    while (i < in.size()) {
      const char32_t c = in[i];
      if (dump) {
        out += IsHexDigit(c) ? U'x' : c;
        out_styles.push_back(frame.at(static_cast<int>(i), y).style);
        i++;
        continue;
      }
      if (c == U'+' && i + 5 < in.size() && in[i + 1] == U'0' && in[i + 2] == U'x' &&
          IsHexDigit(in[i + 3]) && IsHexDigit(in[i + 4]) && in[i + 5] == U':') {
        copy(i, i + 6);
        i += 6;
        dump = true;
        continue;
      }
      const bool word_start = i == 0 || !(IsHexDigit(in[i - 1]) || in[i - 1] == U'x');
      if (c == U'0' && i + 1 < in.size() && in[i + 1] == U'x' && word_start) {
        size_t end = i + 2;
        while (end < in.size() && IsHexDigit(in[end])) {
          end++;
        }
        size_t significant = i + 2;
        while (significant < end && in[significant] == U'0') {
          significant++;
        }
        const bool paddr = i >= 6 && in.compare(i - 6, 6, U"paddr ") == 0;
        if (paddr) {
          replace(i, U"0xPADDR");
        } else if (end - significant > 8 || end == in.size()) {
          replace(i, U"0xADDR");
        } else {
          copy(i, end);
        }
        i = end;
        continue;
      }
      if (IsDecimalDigit(c) && (i == 0 || !IsDecimalDigit(in[i - 1]))) {
        size_t end = i;
        while (end < in.size() && IsDecimalDigit(in[end])) {
          end++;
        }
        if (in.compare(i, end - i, pid) == 0) {
          replace(i, U"PID");
          pid_end = out.size();
        } else {
          copy(i, end);
        }
        i = end;
        continue;
      }
      copy(i, i + 1);
      i++;
    }
    // Text running into the frame's right edge was cut there, after more or fewer of its
    // characters depending on the pid's length: such a row ends after its last pid.
    const size_t last = in.find_last_not_of(U' ');
    if (pid_end != 0 && last != std::u32string::npos && last + 2 >= in.size()) {
      out.resize(pid_end);
      out_styles.resize(pid_end);
    }
    // Back to the frame's width, so that a row filled to the edge (the title) stays filled
    // whatever the pid's length: padded with blanks in the style of the row's last cell.
    const size_t width = static_cast<size_t>(frame.width());
    if (out.size() > width) {
      out.resize(width);
      out_styles.resize(width);
    }
    while (out.size() < width) {
      out += U' ';
      out_styles.push_back(frame.at(frame.width() - 1, y).style);
    }
  }
  Frame stable(frame.width(), frame.height());
  for (size_t y = 0; y < rows.size(); y++) {
    for (size_t x = 0; x < rows[y].size(); x++) {
      stable.PutGlyph(static_cast<int>(x), static_cast<int>(y), rows[y][x], styles[y][x]);
    }
  }
  return "== text ==\n" + stable.ToText() + "== style ==\n" + stable.ToStyleText();
}

// ---------------------------------------------------------------------------------------------
// The app

std::unique_ptr<vmpl::tui::Source> OpenSelf() {
  vmpl::tui::SourceOptions options;
  options.kind = vmpl::tui::SourceOptions::Kind::kPid;
  options.bpf_events = false;  // this process reads itself
  options.target.pid = getpid();
  options.target.registry = reinterpret_cast<uintptr_t>(&vmpl_registry);
  std::string error;
  std::unique_ptr<vmpl::tui::Source> source = vmpl::tui::OpenTargetSource(options, &error);
  EXPECT_TRUE(source) << error;
  return source;
}

// What the App asked of its source, counted by CountingSource.
struct SourceCalls {
  uint64_t all = 0;  // every call
  uint64_t reads = 0;
  uint64_t page_reads = 0;
  uint64_t seeks = 0;
  uint64_t let_run = 0;
};

// A source that counts every call made into it and passes it on to a real one: how the tests see
// that drawing and input handlers never call the source, and the refresh step does.
class CountingSource final : public vmpl::tui::Source {
 public:
  CountingSource(std::unique_ptr<vmpl::tui::Source> inner, SourceCalls* calls)
      : inner_(std::move(inner)), calls_(calls) {}

  std::string Describe() const override { return Count().Describe(); }
  bool live() const override { return Count().live(); }
  vmpl::Snapshot Read() override {
    calls_->reads++;
    return Count().Read();
  }
  uint64_t PollEvents(vmpl::tui::EventLog& log) override { return Count().PollEvents(log); }
  std::string EventsStatus() const override { return Count().EventsStatus(); }
  std::optional<vmpl::tui::PageStruct> ReadPage(uint64_t address, std::string* error) override {
    calls_->page_reads++;
    return Count().ReadPage(address, error);
  }
  uint64_t SlotAddress(const vmpl::SnapshotNode& node, int slot) const override {
    return Count().SlotAddress(node, slot);
  }
  void LetTargetRun() override {
    calls_->let_run++;
    Count().LetTargetRun();
  }
  void SetPaused(bool paused) override { Count().SetPaused(paused); }
  std::optional<vmpl::tui::CursorState> Cursor() const override { return Count().Cursor(); }
  bool Seek(uint64_t position, std::string* error) override {
    calls_->seeks++;
    return Count().Seek(position, error);
  }
  std::vector<vmpl::tui::StreamEvent> EventsAround(uint64_t first, size_t count) override {
    return Count().EventsAround(first, count);
  }

 private:
  vmpl::tui::Source& Count() const {
    calls_->all++;
    return *inner_;
  }

  std::unique_ptr<vmpl::tui::Source> inner_;
  SourceCalls* calls_;
};

class AppTest : public testing::Test {
 protected:
  // Builds the population and an App over this process (counting its calls), read once.
  void Start(bool damaged, AppOptions options = {}) {
    population_ = std::make_unique<Population>(damaged);
    app_ = std::make_unique<App>(std::make_unique<CountingSource>(OpenSelf(), &calls_), options);
    now_ = Now();
    app_->Tick(now_);
  }
  void TearDown() override {
    app_.reset();
    population_.reset();
  }

  Frame Draw(int width = 120, int height = 40) {
    width_ = width;
    height_ = height;
    Frame frame(width, height);
    app_->Render(frame);
    return frame;
  }
  // One input and the rest of the main loop's turn (terminal.cc): the refresh step applies what
  // the input queued, and the next frame's layout is made at the last frame's size (drawing it
  // changes nothing, so it is left out). True if the input asked for anything.
  bool Send(const Input& input) {
    const vmpl::tui::Actions actions = app_->Handle(input);
    app_->Tick(now_);
    app_->Prepare(width_, height_);
    return static_cast<bool>(actions);
  }
  bool Press(char32_t c) { return Send(Input::Char(c)); }
  bool Press(Key key) { return Send(Input::Key(key)); }
  void Type(std::string_view text) {
    for (char c : text) {
      Press(static_cast<char32_t>(c));
    }
  }
  // A tick far enough after the last one for a live source to be read again.
  bool Later() {
    now_ += 10 * kSecond;
    return static_cast<bool>(app_->Tick(now_));
  }
  void Click(Key type, int x, int y) {
    Input input;
    input.type = type;
    input.x = x;
    input.y = y;
    Send(input);
  }

  // The index in the snapshot of the list named |name| (fails the test if there is none).
  size_t IndexOf(std::string_view name) const {
    const auto& lists = app_->snapshot().lists;
    for (size_t i = 0; i < lists.size(); i++) {
      if (lists[i].name == name) {
        return i;
      }
    }
    ADD_FAILURE() << "no list " << name;
    return 0;
  }
  size_t SelectedIndex() const {
    const SnapshotList* list = app_->selected_list();
    EXPECT_NE(list, nullptr);
    return list == nullptr ? SIZE_MAX : static_cast<size_t>(list - app_->snapshot().lists.data());
  }
  std::string SelectedName() const {
    const SnapshotList* list = app_->selected_list();
    return list == nullptr ? "(none)" : list->name;
  }
  // The key of the selected node (UINT64_MAX, failing the test, if there is none).
  uint64_t SelectedKey() const {
    const SnapshotList* list = app_->selected_list();
    if (list == nullptr || app_->selected_node() >= list->nodes.size()) {
      ADD_FAILURE() << "no node selected";
      return UINT64_MAX;
    }
    return list->nodes[app_->selected_node()].key;
  }
  // Selects list |name| with the keys (Home, then j), leaving the focus where it was.
  void SelectList(std::string_view name) {
    const Pane focus = app_->focus();
    Focus(Pane::kLists);
    Press(Key::kHome);
    const size_t target = IndexOf(name);
    for (size_t i = 0; i < target; i++) {
      Press(U'j');
    }
    ASSERT_EQ(SelectedName(), name);
    Focus(focus);
  }
  void Focus(Pane pane) {
    for (int i = 0; i < 8 && app_->focus() != pane; i++) {
      Press(Key::kTab);
    }
    ASSERT_EQ(app_->focus(), pane);
  }

  std::unique_ptr<Population> population_;
  SourceCalls calls_;
  std::unique_ptr<App> app_;
  uint64_t now_ = 0;
  int width_ = 120;  // of the last frame drawn
  int height_ = 40;
};

// ---------------------------------------------------------------------------------------------
// The first frame

TEST_F(AppTest, FirstFrameShowsTheBiggestList) {
  Start(/*damaged=*/true);
  EXPECT_EQ(app_->snapshot().lists.size(), 5u);
  EXPECT_EQ(SelectedName(), "app:pages");
  EXPECT_EQ(app_->selected_list()->nodes.size(), 11u);
  EXPECT_EQ(app_->focus(), Pane::kLists);
  EXPECT_EQ(app_->detail_mode(), DetailMode::kSlot);
  EXPECT_EQ(app_->selected_node(), 0u);
  EXPECT_EQ(app_->selected_slot(), 0);
  EXPECT_FALSE(app_->paused());
  EXPECT_FALSE(app_->quit());
  // Three bad canaries, each a problem at its node.
  EXPECT_EQ(app_->snapshot().problem_count(), 3u);

  const Frame frame = Draw(120, 40);
  EXPECT_EQ(RowOf(frame, "vmpl tui  pid "), 0);
  EXPECT_GT(RowOf(frame, "[*] Lists (5)"), 0);
  EXPECT_GT(RowOf(frame, "[ ] Nodes of app:pages (skew 0x0, 11 nodes)"), 0);
  EXPECT_GT(RowOf(frame, "[ ] Slot  v: next view"), 0);
  EXPECT_GT(RowOf(frame, "[ ] Events"), 0);
  EXPECT_GT(RowOf(frame, "[ ] Problems (3)"), 0);
  ExpectGolden("app_first_120x40", Stable(frame));
}

TEST_F(AppTest, FirstFrameAt80x24IsOneColumn) {
  Start(/*damaged=*/true);
  const Frame frame = Draw(80, 24);
  // Stacked: each pane title starts at column 0.
  for (const char* title :
       {"[*] Lists", "[ ] Nodes of app:pages", "[ ] Slot", "[ ] Events", "[ ] Problems"}) {
    const int y = RowOf(frame, title);
    ASSERT_GT(y, 0) << title;
    EXPECT_EQ(Lines(frame)[static_cast<size_t>(y)].rfind(title, 0), 0u) << title;
  }
  ExpectGolden("app_first_80x24", Stable(frame));
}

TEST_F(AppTest, FirstFrameAt200x60) {
  Start(/*damaged=*/true);
  ExpectGolden("app_first_200x60", Stable(Draw(200, 60)));
}

TEST_F(AppTest, FirstFrameWithoutProblemsHasNoProblemsPane) {
  Start(/*damaged=*/false);
  EXPECT_EQ(app_->snapshot().problem_count(), 0u);
  const Frame frame = Draw(120, 40);
  EXPECT_EQ(RowOf(frame, "Problems"), -1);
  EXPECT_NE(Lines(frame)[0].find("problems 0"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Focus and movement

TEST_F(AppTest, TabCyclesThePanesWithoutProblems) {
  Start(/*damaged=*/false);
  const Pane order[] = {Pane::kNodes, Pane::kDetail, Pane::kEvents, Pane::kLists};
  for (Pane pane : order) {
    EXPECT_TRUE(Press(Key::kTab));
    EXPECT_EQ(app_->focus(), pane);
  }
  const Pane back[] = {Pane::kEvents, Pane::kDetail, Pane::kNodes, Pane::kLists};
  for (Pane pane : back) {
    EXPECT_TRUE(Press(Key::kBackTab));
    EXPECT_EQ(app_->focus(), pane);
  }
  Press(Key::kTab);
  const Frame frame = Draw();
  EXPECT_GT(RowOf(frame, "[*] Nodes of app:pages"), 0);
  EXPECT_GT(RowOf(frame, "[ ] Lists"), 0);
}

TEST_F(AppTest, TabCyclesThePanesWithProblems) {
  Start(/*damaged=*/true);
  const Pane order[] = {Pane::kNodes, Pane::kDetail, Pane::kEvents, Pane::kProblems, Pane::kLists};
  for (Pane pane : order) {
    Press(Key::kTab);
    EXPECT_EQ(app_->focus(), pane);
  }
  Press(Key::kBackTab);
  EXPECT_EQ(app_->focus(), Pane::kProblems);
  EXPECT_GT(RowOf(Draw(), "[*] Problems (3)"), 0);
  Press(Key::kBackTab);
  EXPECT_EQ(app_->focus(), Pane::kEvents);
}

TEST_F(AppTest, ListsPaneMovesWithEveryKey) {
  Start(/*damaged=*/false);
  Draw();
  const size_t n = app_->snapshot().lists.size();
  ASSERT_EQ(n, 4u);
  Press(Key::kHome);
  EXPECT_EQ(SelectedIndex(), 0u);
  Press(U'k');  // already at the top
  EXPECT_EQ(SelectedIndex(), 0u);
  Press(U'j');
  EXPECT_EQ(SelectedIndex(), 1u);
  Press(Key::kDown);
  EXPECT_EQ(SelectedIndex(), 2u);
  Press(Key::kUp);
  EXPECT_EQ(SelectedIndex(), 1u);
  Press(Key::kEnd);
  EXPECT_EQ(SelectedIndex(), n - 1);
  Press(U'j');  // already at the bottom
  EXPECT_EQ(SelectedIndex(), n - 1);
  Press(Key::kPageUp);
  EXPECT_EQ(SelectedIndex(), 0u);  // a page of the 120x40 lists pane is more than 3 rows
  Press(Key::kPageDown);
  EXPECT_EQ(SelectedIndex(), n - 1);
  // The lists pane's selection is marked in the frame.
  const Frame frame = Draw();
  const int y = RowOf(frame, ">app:splice");
  ASSERT_GT(y, 0);
  EXPECT_EQ(frame.at(0, y).style, Style::kSelected);
}

TEST_F(AppTest, NodesPaneMovesWithEveryKeyAndKeepsTheSelectionVisible) {
  Start(/*damaged=*/false);
  Focus(Pane::kNodes);
  Draw(120, 16);  // a short nodes pane: a page is less than the list
  const size_t last = app_->selected_list()->nodes.size() - 1;
  ASSERT_EQ(last, 10u);
  Press(U'j');
  EXPECT_EQ(app_->selected_node(), 1u);
  Press(Key::kDown);
  EXPECT_EQ(app_->selected_node(), 2u);
  Press(U'k');
  EXPECT_EQ(app_->selected_node(), 1u);
  Press(Key::kUp);
  Press(Key::kUp);
  EXPECT_EQ(app_->selected_node(), 0u);
  Press(Key::kPageDown);
  const size_t page = app_->selected_node();
  EXPECT_GT(page, 1u);
  EXPECT_LT(page, last);
  Press(Key::kPageDown);
  EXPECT_GT(app_->selected_node(), page);
  Press(Key::kEnd);
  EXPECT_EQ(app_->selected_node(), last);
  EXPECT_EQ(SelectedKey(), 0xb0000u);
  // The last node is scrolled into view and marked.
  const Frame frame = Draw(120, 16);
  const int title = RowOf(frame, "[*] Nodes");
  ASSERT_GT(title, 0);
  const std::vector<std::string> lines = Lines(frame);
  int marked = -1;
  for (size_t y = static_cast<size_t>(title) + 1; y < lines.size(); y++) {
    if (lines[y].rfind(">", 0) == 0) {
      marked = static_cast<int>(y);
    }
  }
  ASSERT_GT(marked, 0) << frame.ToText();
  EXPECT_NE(lines[static_cast<size_t>(marked)].find("b0000"), std::string::npos) << frame.ToText();
  Press(Key::kPageUp);
  EXPECT_LT(app_->selected_node(), last);
  Press(Key::kHome);
  EXPECT_EQ(app_->selected_node(), 0u);
}

TEST_F(AppTest, SlotMovesAcrossNodeBoundaries) {
  Start(/*damaged=*/false);
  Press(U'l');  // from the lists pane: into the nodes
  EXPECT_EQ(app_->focus(), Pane::kNodes);
  EXPECT_EQ(app_->selected_slot(), 0);
  Press(U'h');  // nothing before slot 0 of the first node
  EXPECT_EQ(app_->selected_node(), 0u);
  EXPECT_EQ(app_->selected_slot(), 0);
  for (int i = 0; i < 15; i++) {
    Press(U'l');
  }
  EXPECT_EQ(app_->selected_node(), 0u);
  EXPECT_EQ(app_->selected_slot(), 15);
  Press(U'l');
  EXPECT_EQ(app_->selected_node(), 1u);
  EXPECT_EQ(app_->selected_slot(), 0);
  Press(Key::kLeft);
  EXPECT_EQ(app_->selected_node(), 0u);
  EXPECT_EQ(app_->selected_slot(), 15);
  Press(Key::kRight);
  Press(Key::kRight);
  EXPECT_EQ(app_->selected_node(), 1u);
  EXPECT_EQ(app_->selected_slot(), 1);
  // Past the gap: from node 4 (key 0x40000) the next is node 6 (key 0x60000).
  Press(Key::kDown);
  Press(Key::kDown);
  Press(Key::kDown);
  EXPECT_EQ(SelectedKey(), 0x40000u);
  for (int i = 0; i < 15; i++) {
    Press(U'l');
  }
  EXPECT_EQ(SelectedKey(), 0x60000u);
  EXPECT_EQ(app_->selected_slot(), 0);
  Press(Key::kEnd);
  for (int i = 0; i < 20; i++) {
    Press(U'l');
  }
  EXPECT_EQ(SelectedKey(), 0xb0000u);
  EXPECT_EQ(app_->selected_slot(), 15);
  // The selected cell is drawn in the selected style.
  Press(Key::kHome);
  const Frame frame = Draw();
  const vmpl::tui::NodeMap map(*app_->selected_list());
  const int title = RowOf(frame, "[*] Nodes of app:pages");
  ASSERT_GT(title, 0);
  const int cell_y = title + 1 + vmpl::tui::NodeMap::kHeaderRows;
  EXPECT_EQ(frame.at(map.ruler_width() + 15, cell_y).style, Style::kSelected);
  EXPECT_NE(frame.at(map.ruler_width() + 14, cell_y).style, Style::kSelected);
}

TEST_F(AppTest, EnterOnAListFocusesItsNodes) {
  Start(/*damaged=*/false);
  Press(U'j');
  EXPECT_TRUE(Press(Key::kEnter));
  EXPECT_EQ(app_->focus(), Pane::kNodes);
  EXPECT_EQ(SelectedName(), app_->snapshot().lists[1].name);
}

TEST_F(AppTest, ProblemsPaneMovesAndEnterSelectsTheNode) {
  Start(/*damaged=*/true);
  Draw();
  Focus(Pane::kProblems);
  const vmpl::tui::ProblemsView problems(app_->snapshot());
  ASSERT_EQ(problems.rows(), 3u);
  const size_t damaged = IndexOf("app:damaged");
  auto expect_selected = [&](size_t row) {
    const vmpl::tui::ProblemRow& problem = problems.row(row);
    EXPECT_EQ(problem.list_index, static_cast<int>(damaged));
    EXPECT_EQ(SelectedName(), "app:damaged") << "problem " << row;
    EXPECT_EQ(app_->selected_list()->nodes[app_->selected_node()].address, problem.address)
        << "problem " << row;
    EXPECT_EQ(app_->focus(), Pane::kNodes);
  };
  Press(Key::kEnter);
  expect_selected(0);
  Focus(Pane::kProblems);
  Press(U'j');
  Press(Key::kEnter);
  expect_selected(1);
  Focus(Pane::kProblems);
  Press(Key::kEnd);
  Press(Key::kEnter);
  expect_selected(2);
  Focus(Pane::kProblems);
  Press(U'k');
  Press(Key::kUp);
  Press(Key::kEnter);
  expect_selected(0);
  Focus(Pane::kProblems);
  Press(Key::kPageDown);
  Press(Key::kEnter);
  expect_selected(2);
  Focus(Pane::kProblems);
  Press(Key::kHome);
  Press(Key::kEnter);
  expect_selected(0);
}

// The problems pane is short (a title, a header line, then rows): a selection past its last row
// must scroll it into view, as every other pane does.
TEST_F(AppTest, ProblemsPaneKeepsTheSelectionVisible) {
  Start(/*damaged=*/true);
  Draw(120, 20);
  Focus(Pane::kProblems);
  Press(Key::kEnd);
  const Frame frame = Draw(120, 20);
  const int title = RowOf(frame, "[*] Problems (3)");
  ASSERT_GT(title, 0);
  const std::vector<std::string> lines = Lines(frame);
  bool marked = false;
  for (size_t y = static_cast<size_t>(title) + 1; y + 1 < lines.size(); y++) {
    marked = marked || lines[y].rfind(">", 0) == 0;
  }
  EXPECT_TRUE(marked) << "the selected problem (the last) is not shown:\n" << frame.ToText();
}

// The problems pane goes when the damage is repaired: the focus must not stay on a pane that is
// not drawn (no pane would show "[*]" and keys would move a selection nobody sees).
TEST_F(AppTest, FocusLeavesTheProblemsPaneWhenItGoes) {
  Start(/*damaged=*/true);
  Focus(Pane::kProblems);
  population_->broken->Repair();
  Later();
  EXPECT_EQ(app_->snapshot().problem_count(), 0u);
  const Frame frame = Draw();
  EXPECT_EQ(RowOf(frame, "Problems"), -1);
  EXPECT_NE(app_->focus(), Pane::kProblems);
  EXPECT_GT(RowOf(frame, "[*]"), 0) << frame.ToText();
}

// ---------------------------------------------------------------------------------------------
// The detail pane

TEST_F(AppTest, VCyclesTheDetailViews) {
  Start(/*damaged=*/false);
  EXPECT_GT(RowOf(Draw(), "[ ] Slot  v: next view"), 0);
  EXPECT_TRUE(Press(U'v'));
  EXPECT_EQ(app_->detail_mode(), DetailMode::kIntervals);
  EXPECT_GT(RowOf(Draw(), "[ ] Intervals (3)  v: next view"), 0);
  Press(U'v');
  EXPECT_EQ(app_->detail_mode(), DetailMode::kSplice);
  EXPECT_GT(RowOf(Draw(), "[ ] Splice list  v: next view"), 0);
  Press(U'v');
  EXPECT_EQ(app_->detail_mode(), DetailMode::kSlot);
}

TEST_F(AppTest, EnterOnAnIntervalJumpsTheNodeMapToIt) {
  Start(/*damaged=*/false);
  Press(U'v');
  Focus(Pane::kDetail);
  Draw();
  // Rows: [26], [28, 29], [32, 59].
  Press(Key::kEnter);
  EXPECT_EQ(app_->focus(), Pane::kNodes);
  EXPECT_EQ(SelectedKey(), 0x10000u);
  EXPECT_EQ(app_->selected_slot(), 10);

  Focus(Pane::kDetail);
  Press(U'j');
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0x10000u);
  EXPECT_EQ(app_->selected_slot(), 12);

  Focus(Pane::kDetail);
  Press(Key::kEnd);
  const Frame frame = Draw();
  EXPECT_GT(RowOf(frame, "[*] Intervals (3)"), 0);
  ExpectGolden("app_intervals", Stable(frame));
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0x20000u);
  EXPECT_EQ(app_->selected_slot(), 0);

  Focus(Pane::kDetail);
  Press(Key::kHome);
  Press(Key::kDown);
  Press(Key::kUp);
  Press(U'k');
  Press(Key::kEnter);
  EXPECT_EQ(app_->selected_slot(), 10);

  Focus(Pane::kDetail);
  Press(Key::kPageDown);  // a page of the pane is more than the three rows
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0x20000u);
  Focus(Pane::kDetail);
  Press(Key::kPageUp);
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0x10000u);
  EXPECT_EQ(app_->selected_slot(), 10);
}

TEST_F(AppTest, SpliceListDetail) {
  Start(/*damaged=*/false);
  SelectList("app:splice");
  Press(U'v');
  Press(U'v');
  const Frame frame = Draw();
  EXPECT_GT(RowOf(frame, "middle tree of a splice list"), 0);
  ExpectGolden("app_splice", Stable(frame));
}

// ---------------------------------------------------------------------------------------------
// Prompts: go to an offset, search

TEST_F(AppTest, GotoPromptEditsAndSelectsTheSlot) {
  Start(/*damaged=*/false);
  EXPECT_TRUE(Press(U'g'));
  Type("1d");
  EXPECT_EQ(Lines(Draw()).back(), "go to VMO offset (hex): 1d_");
  Press(Key::kBackspace);
  Type("c000");
  EXPECT_EQ(Lines(Draw()).back(), "go to VMO offset (hex): 1c000_");
  // Keys that move are ignored while the prompt is open; j is text.
  Press(Key::kDown);
  EXPECT_EQ(app_->focus(), Pane::kLists);
  Press(Key::kEnter);
  EXPECT_EQ(app_->focus(), Pane::kNodes);
  EXPECT_EQ(SelectedKey(), 0x10000u);
  EXPECT_EQ(app_->selected_slot(), 12);
  EXPECT_EQ(app_->message(), "offset 0x1c000: node 0x10000, slot 12");
  EXPECT_EQ(Lines(Draw()).back(), "offset 0x1c000: node 0x10000, slot 12");

  // With the 0x written out.
  Press(U'g');
  Type("0xb4000");
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0xb0000u);
  EXPECT_EQ(app_->selected_slot(), 4);
}

TEST_F(AppTest, GotoEscapeCancels) {
  Start(/*damaged=*/false);
  Press(U'g');
  Type("50000");
  EXPECT_TRUE(Press(Key::kEscape));
  EXPECT_EQ(app_->focus(), Pane::kLists);
  EXPECT_EQ(app_->selected_node(), 0u);
  EXPECT_EQ(app_->message(), "");
  EXPECT_EQ(Lines(Draw()).back().rfind("Tab pane", 0), 0u);
  // Backspace on an empty prompt is harmless.
  Press(U'g');
  Press(Key::kBackspace);
  Press(Key::kBackspace);
  EXPECT_EQ(Lines(Draw()).back(), "go to VMO offset (hex): _");
  Press(Key::kEscape);
}

TEST_F(AppTest, GotoABadOffsetSaysSo) {
  Start(/*damaged=*/false);
  Press(U'g');
  Type("xyz");
  Press(Key::kEnter);
  EXPECT_EQ(app_->message(), "'xyz' is not a hex offset");
  EXPECT_EQ(app_->selected_node(), 0u);
  Press(U'g');
  Press(Key::kEnter);
  EXPECT_EQ(app_->message(), "'' is not a hex offset");
}

TEST_F(AppTest, GotoAnOffsetInNoNodeShowsTheNearest) {
  Start(/*damaged=*/false);
  Press(U'g');
  Type("52000");  // page 82: node 5 does not exist
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0x60000u);
  EXPECT_EQ(app_->selected_slot(), 0);
  EXPECT_EQ(app_->message(), "offset 0x52000 is in no node (empty); nearest node after it shown");
  // Past the last node: the last one.
  Press(U'g');
  Type("f00000");
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0xb0000u);
  EXPECT_NE(app_->message().find("is in no node"), std::string::npos);
}

TEST_F(AppTest, GotoCountsTheSkew) {
  Start(/*damaged=*/false);
  SelectList("app:skewed");
  Press(U'g');
  Type("0");
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0u);
  EXPECT_EQ(app_->selected_slot(), 3);  // 3 pages of skew
  Press(U'g');
  Type("d000");  // page 13: skewed page 16, node 0x10000 slot 0
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0x10000u);
  EXPECT_EQ(app_->selected_slot(), 0);
}

TEST_F(AppTest, SearchListsWrapsAndNFindsTheNext) {
  Start(/*damaged=*/false);
  EXPECT_TRUE(Press(U'n'));
  EXPECT_EQ(app_->message(), "nothing to search for: / first");
  Press(U'/');
  Type("p:s");  // app:skewed, app:source, app:splice
  EXPECT_EQ(Lines(Draw()).back(), "search lists: p:s_");
  Press(Key::kEnter);
  std::vector<std::string> seen = {SelectedName()};
  EXPECT_EQ(app_->message(), "list '" + seen[0] + "'");
  for (int i = 0; i < 3; i++) {
    Press(U'n');
    seen.push_back(SelectedName());
  }
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.begin() + 3),
            (std::set<std::string>{"app:skewed", "app:source", "app:splice"}));
  EXPECT_EQ(seen[3], seen[0]) << "n wraps around to the first match";
  EXPECT_EQ(app_->focus(), Pane::kLists);

  Press(U'/');
  Type("zzz");
  Press(Key::kEnter);
  EXPECT_EQ(app_->message(), "'zzz' not found");
  EXPECT_EQ(SelectedName(), seen[3]);
}

TEST_F(AppTest, SearchSlotsWhenNodesAreFocused) {
  Start(/*damaged=*/false);
  Focus(Pane::kNodes);
  Press(U'/');
  Type("marker");
  EXPECT_EQ(Lines(Draw()).back(), "search slots: marker_");
  Press(Key::kEnter);
  EXPECT_EQ(SelectedKey(), 0x10000u);
  EXPECT_EQ(app_->selected_slot(), 4);  // page 20
  EXPECT_EQ(app_->message(), "slot 4 of node 0x10000");
  Press(U'n');
  EXPECT_EQ(app_->selected_slot(), 5);  // page 21
  Press(U'n');
  EXPECT_EQ(app_->selected_slot(), 4) << "wraps to the first marker";
  Press(U'/');
  Type("reference");
  Press(Key::kEnter);
  EXPECT_EQ(app_->selected_slot(), 8);  // page 24
  Press(U'/');
  Type("(L");  // the left split bit of the reference at page 25
  Press(Key::kEnter);
  EXPECT_EQ(app_->selected_slot(), 9);
  Press(U'/');
  Type("interval start");
  Press(Key::kEnter);
  EXPECT_EQ(app_->selected_slot(), 12);  // page 28
}

// ---------------------------------------------------------------------------------------------
// Pause, save, read again, colours, help, quit

TEST_F(AppTest, PauseFreezesWhatIsShown) {
  Start(/*damaged=*/false);
  EXPECT_TRUE(Press(U'p'));
  EXPECT_TRUE(app_->paused());
  const Frame paused = Draw();
  EXPECT_EQ(Lines(paused)[0].rfind("vmpl tui  PAUSED  pid ", 0), 0u) << Lines(paused)[0];
  EXPECT_EQ(paused.at(10, 0).style, Style::kProblem);
  EXPECT_EQ(app_->message(), "paused: p resumes");

  // A new node in the list shown: not read while paused, however long it waits.
  population_->pages->Page(200);
  EXPECT_FALSE(Later());
  EXPECT_FALSE(Later());
  EXPECT_EQ(app_->selected_list()->nodes.size(), 11u);
  EXPECT_EQ(Draw().ToText(), paused.ToText());

  Press(U'p');
  EXPECT_FALSE(app_->paused());
  EXPECT_EQ(app_->message(), "resumed");
  EXPECT_TRUE(Later());
  EXPECT_EQ(app_->selected_list()->nodes.size(), 12u);
  const Frame resumed = Draw();
  EXPECT_EQ(Lines(resumed)[0].find("PAUSED"), std::string::npos);
  EXPECT_GT(RowOf(resumed, "Nodes of app:pages (skew 0x0, 12 nodes)"), 0);
}

TEST_F(AppTest, TickReadsOnlyWhenARefreshIsDue) {
  Start(/*damaged=*/false);
  population_->pages->Page(200);
  EXPECT_FALSE(app_->Tick(now_ + 1));  // too soon
  EXPECT_EQ(app_->selected_list()->nodes.size(), 11u);
  EXPECT_TRUE(Later());
  EXPECT_EQ(app_->selected_list()->nodes.size(), 12u);
}

TEST_F(AppTest, ReadAgainReadsEvenWhenPaused) {
  Start(/*damaged=*/false);
  Press(U'p');
  NamedList extra("app:extra");
  extra.Marker(3);
  EXPECT_TRUE(Press(U'r'));
  EXPECT_EQ(app_->snapshot().lists.size(), 5u);
  EXPECT_EQ(app_->message(), "read again: 5 lists");
  EXPECT_TRUE(app_->paused());
}

TEST_F(AppTest, SaveWritesTheSnapshotAsJson) {
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) /
                                    ("vmpl_app_test_save_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  AppOptions options;
  options.save_dir = dir.string();
  Start(/*damaged=*/false, options);
  EXPECT_TRUE(Press(U's'));
  const std::string prefix = "saved 4 lists to " + dir.string() + "/vmpl-snapshot-";
  ASSERT_EQ(app_->message().rfind(prefix, 0), 0u) << app_->message();
  const std::string path = app_->message().substr(std::string("saved 4 lists to ").size());
  EXPECT_NE(path.find("app_pages"), std::string::npos) << "named after the selected list";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  const nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(json.is_discarded()) << path << " is not JSON";
  ASSERT_TRUE(json.contains("lists"));
  std::set<std::string> names;
  for (const nlohmann::json& list : json["lists"]) {
    names.insert(list.value("name", ""));
  }
  EXPECT_EQ(names, (std::set<std::string>{"app:pages", "app:skewed", "app:source", "app:splice"}));

  // A second save in the same second gets a name of its own.
  Press(U's');
  const std::string second = app_->message().substr(std::string("saved 4 lists to ").size());
  EXPECT_NE(second, path);
  EXPECT_TRUE(std::filesystem::exists(second));
  std::filesystem::remove_all(dir);

  // Nowhere to write: said, not thrown.
  Press(U's');
  EXPECT_EQ(app_->message().rfind("could not write " + dir.string(), 0), 0u) << app_->message();
}

TEST_F(AppTest, MonochromeToggles) {
  Start(/*damaged=*/false);
  EXPECT_FALSE(app_->monochrome());
  EXPECT_TRUE(Press(U'm'));
  EXPECT_TRUE(app_->monochrome());
  Press(U'm');
  EXPECT_FALSE(app_->monochrome());
}

TEST_F(AppTest, HelpOverlayClosesOnAnyKey) {
  Start(/*damaged=*/false);
  // A marker in the slot pane: the help box hides the labels Stable() needs to find a page's
  // bytes, and a marker has none.
  Press(U'g');
  Type("14000");
  Press(Key::kEnter);
  Focus(Pane::kLists);
  EXPECT_TRUE(Press(U'?'));
  const Frame frame = Draw();
  EXPECT_GT(RowOf(frame, "vmpl tui \u2014 keys"), 0);
  ExpectGolden("app_help", Stable(frame));
  // The key that closes the help does nothing else.
  EXPECT_TRUE(Press(U'j'));
  EXPECT_EQ(SelectedIndex(), IndexOf("app:pages"));
  EXPECT_EQ(RowOf(Draw(), "\u2014 keys"), -1);
  // Nor does a click.
  Press(U'?');
  Click(Key::kClick, 5, 5);
  EXPECT_EQ(RowOf(Draw(), "\u2014 keys"), -1);
  EXPECT_EQ(SelectedIndex(), IndexOf("app:pages"));
  // q still quits from the help.
  Press(U'?');
  Press(U'q');
  EXPECT_TRUE(app_->quit());
}

TEST_F(AppTest, QQuits) {
  Start(/*damaged=*/false);
  EXPECT_FALSE(Press(U'Z'));  // no such key
  EXPECT_FALSE(app_->quit());
  EXPECT_TRUE(Press(U'q'));
  EXPECT_TRUE(app_->quit());
}

TEST_F(AppTest, TimeCursorKeysNeedATrace) {
  Start(/*damaged=*/false);
  Press(U']');
  EXPECT_EQ(app_->message(), "only a trace has a time cursor (--trace FILE)");
}

// ---------------------------------------------------------------------------------------------
// Refreshes

TEST_F(AppTest, SelectionFollowsItsListWhenListsComeAndGoBeforeIt) {
  Start(/*damaged=*/false);
  SelectList("app:skewed");
  Press(U'l');
  Press(U'j');
  ASSERT_EQ(SelectedKey(), 0x10000u);
  const size_t before = SelectedIndex();

  // The list before it goes away.
  population_->pages->Unregister();
  Later();
  EXPECT_EQ(SelectedName(), "app:skewed");
  EXPECT_EQ(SelectedIndex(), before - 1);
  EXPECT_EQ(SelectedKey(), 0x10000u);

  // Lists come before it: snapshots order lists by registry id, so a new list, then the selected
  // one registered again (as after a move), puts the new one before it.
  NamedList newcomer("app:newcomer");
  for (uint64_t p = 0; p < 200; p += 8) {
    newcomer.Page(p);  // the biggest list now: the selection must not jump to it
  }
  population_->skewed->Reregister("app:skewed");
  Later();
  EXPECT_EQ(SelectedName(), "app:skewed");
  EXPECT_EQ(SelectedIndex(), app_->snapshot().lists.size() - 1);
  EXPECT_LT(IndexOf("app:newcomer"), SelectedIndex());
  EXPECT_EQ(SelectedKey(), 0x10000u);
  EXPECT_GT(RowOf(Draw(), ">app:skewed"), 0);
}

TEST_F(AppTest, SelectedNodeFollowsItsKeyWhenNodesAreAddedBeforeIt) {
  Start(/*damaged=*/false);
  Press(U'g');
  Type("64000");  // page 100: node 0x60000, row 5
  Press(Key::kEnter);
  ASSERT_EQ(app_->selected_node(), 5u);
  population_->pages->Page(85);  // node 0x50000 appears before it
  Later();
  EXPECT_EQ(app_->selected_node(), 6u);
  EXPECT_EQ(SelectedKey(), 0x60000u);
  EXPECT_EQ(app_->selected_slot(), 4);
}

TEST_F(AppTest, SelectionFallsBackWhenItsListGoesAway) {
  Start(/*damaged=*/false);
  SelectList("app:source");
  population_->source->Unregister();
  Later();
  ASSERT_NE(app_->selected_list(), nullptr);
  EXPECT_EQ(app_->snapshot().lists.size(), 3u);
  // Nothing of the old selection is left pointing past the end.
  const Frame frame = Draw();
  EXPECT_GT(RowOf(frame, "[ ] Nodes of " + SelectedName()), 0);
}

// ---------------------------------------------------------------------------------------------
// Mouse

TEST_F(AppTest, ClickOnAListRowSelectsIt) {
  Start(/*damaged=*/false);
  const Frame frame = Draw();
  const int title = RowOf(frame, "Lists (4)");
  ASSERT_GT(title, 0);
  // Below the title: the table's header row, then the lists.
  Click(Key::kClick, 5, title + 2 + 2);
  EXPECT_EQ(SelectedIndex(), 2u);
  EXPECT_EQ(app_->focus(), Pane::kLists);
  Click(Key::kClick, 5, title + 1);  // the header: nothing
  EXPECT_EQ(SelectedIndex(), 2u);
  Click(Key::kClick, 5, title + 2);
  EXPECT_EQ(SelectedIndex(), 0u);
}

TEST_F(AppTest, ClickOnANodeCellSelectsNodeAndSlot) {
  Start(/*damaged=*/false);
  const Frame frame = Draw();
  const int title = RowOf(frame, "Nodes of app:pages");
  ASSERT_GT(title, 0);
  const vmpl::tui::NodeMap map(*app_->selected_list());
  const int first_row = title + 1 + vmpl::tui::NodeMap::kHeaderRows;
  Click(Key::kClick, map.ruler_width() + 7, first_row + 3);
  EXPECT_EQ(app_->focus(), Pane::kNodes);
  EXPECT_EQ(app_->selected_node(), 3u);
  EXPECT_EQ(app_->selected_slot(), 7);
  // On the ruler: the node, and the slot stays.
  Click(Key::kClick, 2, first_row + 1);
  EXPECT_EQ(app_->selected_node(), 1u);
  EXPECT_EQ(app_->selected_slot(), 7);
  // Below the last node: nothing.
  Click(Key::kClick, map.ruler_width(), first_row + 20);
  EXPECT_EQ(app_->selected_node(), 1u);
}

TEST_F(AppTest, WheelScrollsThePaneUnderThePointer) {
  Start(/*damaged=*/false);
  const Frame frame = Draw();
  const int nodes = RowOf(frame, "Nodes of app:pages");
  ASSERT_GT(nodes, 0);
  Click(Key::kWheelDown, 10, nodes + 4);
  EXPECT_EQ(app_->focus(), Pane::kNodes);
  EXPECT_EQ(app_->selected_node(), 3u);
  Click(Key::kWheelDown, 10, nodes + 4);
  Click(Key::kWheelUp, 10, nodes + 4);
  EXPECT_EQ(app_->selected_node(), 3u);
  const int lists = RowOf(frame, "Lists (4)");
  Click(Key::kWheelDown, 10, lists + 2);
  EXPECT_EQ(app_->focus(), Pane::kLists);
  EXPECT_EQ(SelectedIndex(), 3u);
  Click(Key::kWheelUp, 10, lists + 2);
  EXPECT_EQ(SelectedIndex(), 0u);
  // Outside every pane (the title line): nothing.
  EXPECT_FALSE(app_->Handle(Input{Key::kWheelDown, 0, 10, 0}));
}

TEST_F(AppTest, ClickOnAProblemRowSelectsThatProblem) {
  Start(/*damaged=*/true);
  const Frame frame = Draw();
  const int title = RowOf(frame, "Problems (3)");
  ASSERT_GT(title, 0);
  const vmpl::tui::ProblemsView problems(app_->snapshot());
  // Below the title: the view's "3 problems" line, then the rows.
  ASSERT_NE(Lines(frame)[static_cast<size_t>(title) + 1].find("3 problems"), std::string::npos);
  Click(Key::kClick, 5, title + 2 + 1);
  EXPECT_EQ(app_->focus(), Pane::kProblems);
  Press(Key::kEnter);
  ASSERT_EQ(SelectedName(), "app:damaged");
  EXPECT_EQ(app_->selected_list()->nodes[app_->selected_node()].address, problems.row(1).address)
      << "the click on the second problem's row selected another";
}

// ---------------------------------------------------------------------------------------------
// Any frame size

TEST_F(AppTest, TinyFramesDoNotCrash) {
  Start(/*damaged=*/true);
  const int sizes[][2] = {{0, 0},   {1, 1},   {2, 1},   {10, 3},  {40, 10},
                          {100, 5}, {99, 12}, {120, 6}, {300, 2}, {1, 80}};
  auto draw_all = [&](const char* state) {
    for (const auto& size : sizes) {
      Frame frame(size[0], size[1]);
      app_->Render(frame);
      EXPECT_EQ(static_cast<int>(Lines(frame).size()), size[1])
          << state << " " << size[0] << "x" << size[1];
      // The mouse uses the last frame's layout: anywhere in or near it is fine.
      for (int y = -1; y <= size[1]; y++) {
        app_->Handle(Input{Key::kWheelDown, 0, 0, y});
      }
    }
  };
  draw_all("first");
  Focus(Pane::kNodes);
  Press(Key::kEnd);
  draw_all("last node");
  Press(U'v');
  draw_all("intervals");
  Press(U'v');
  draw_all("splice");
  Press(U'?');
  draw_all("help");
  Press(U'x');
  Press(U'g');
  Type("12");
  draw_all("prompt");
  Press(Key::kEscape);
  Focus(Pane::kProblems);
  Press(Key::kEnd);
  draw_all("problems");
}

TEST_F(AppTest, TooSmallATerminalSaysSo) {
  Start(/*damaged=*/false);
  const Frame frame = Draw(40, 12);
  EXPECT_TRUE(app_->layout().too_small);
  // No bare pane headers: the size, and the size that fits.
  EXPECT_EQ(RowOf(frame, "Lists"), -1);
  EXPECT_EQ(RowOf(frame, "vmpl tui"), -1);
  const int y = RowOf(frame, "terminal too small (40x12,");
  ASSERT_GE(y, 0) << frame.ToText();
  EXPECT_NE(Lines(frame)[static_cast<size_t>(y) + 1].find("needs at least 40x16)"),
            std::string::npos)
      << frame.ToText();
  ExpectGolden("app_too_small_40x12", Stable(frame));
  // Keys still work, and the screen comes back whole at the size named.
  Press(U'j');
  EXPECT_EQ(SelectedIndex(), 1u);
  const Frame whole = Draw(40, 16);
  EXPECT_FALSE(app_->layout().too_small);
  EXPECT_EQ(RowOf(whole, "terminal too small"), -1);
  EXPECT_GT(RowOf(whole, ">app:skewed"), 0) << whole.ToText();
}

TEST_F(AppTest, TooSmallCountsTheProblemsPane) {
  Start(/*damaged=*/true);
  // On one line where it fits; the problems pane needs rows of its own.
  const Frame frame = Draw(60, 12);
  EXPECT_GT(RowOf(frame, "terminal too small (60x12, needs at least 60x20)"), 0) << frame.ToText();
  EXPECT_TRUE(Draw(60, 19).ToText().find("needs at least 60x20") != std::string::npos);
  EXPECT_GT(RowOf(Draw(60, 20), "[ ] Problems (3)"), 0);
}

// Drawing paints and does nothing else: the same state draws the same frame twice, and neither
// the view state, nor the layout, nor the source sees anything of it.
TEST_F(AppTest, DrawChangesNothing) {
  Start(/*damaged=*/true);
  auto check = [&](const char* state, int width, int height) {
    SCOPED_TRACE(testing::Message() << state << " at " << width << "x" << height);
    Draw(width, height);  // Prepare: the layout and what the frame shows of the target
    const vmpl::tui::ViewState view = app_->view();
    const vmpl::tui::ScreenLayout layout = app_->layout();
    const SourceCalls calls = calls_;
    const size_t pages = app_->model().pages.size();
    const uint64_t generation = app_->model().generation;
    Frame first(width, height);
    Frame second(width, height);
    second.Put(0, 0, "left over from an older frame", Style::kProblem);
    app_->Draw(first);
    app_->Draw(second);
    EXPECT_EQ(second.ToText(), first.ToText());
    EXPECT_EQ(second.ToStyleText(), first.ToStyleText());
    EXPECT_TRUE(app_->view() == view);
    EXPECT_TRUE(app_->layout() == layout);
    EXPECT_EQ(calls_.all, calls.all);
    EXPECT_EQ(app_->model().pages.size(), pages);
    EXPECT_EQ(app_->model().generation, generation);
  };
  check("first", 120, 40);
  check("stacked", 80, 24);
  check("too small", 40, 12);
  Focus(Pane::kNodes);
  Press(Key::kEnd);
  check("last node", 120, 16);
  Press(U'v');
  Focus(Pane::kDetail);
  Press(Key::kEnd);
  check("intervals", 120, 40);
  Press(U'v');
  check("splice", 200, 60);
  Focus(Pane::kProblems);
  Press(Key::kEnd);
  check("problems", 120, 20);
  Press(U'?');
  check("help", 120, 40);
  Press(U'x');
  Press(U'g');
  Type("12");
  check("prompt", 120, 40);
}

// Input changes the view state only: no handler calls the source, whatever the key. What needs
// the source waits, queued, for the refresh step.
TEST_F(AppTest, HandlersDoNotCallTheSource) {
  Start(/*damaged=*/true);
  Draw();
  const uint64_t before = calls_.all;
  for (char32_t c : std::u32string(U"jjklhhl/app\r") + U"ngc000\rvvvfKfKm[]{}<>") {
    app_->Handle(c == U'\r' ? Input::Key(Key::kEnter) : Input::Char(c));
  }
  for (Key key : {Key::kTab, Key::kDown, Key::kPageDown, Key::kEnd, Key::kUp, Key::kHome,
                  Key::kLeft, Key::kRight, Key::kEnter, Key::kBackTab, Key::kEscape}) {
    app_->Handle(Input::Key(key));
  }
  app_->Handle(Input{Key::kClick, 0, 10, 12});
  app_->Handle(Input{Key::kWheelDown, 0, 10, 12});
  EXPECT_EQ(calls_.all, before);

  // `r`, `p`, `s` ask for the refresh step, which does the work.
  const uint64_t reads = calls_.reads;
  const vmpl::tui::Actions actions = app_->Handle(Input::Char(U'r'));
  EXPECT_TRUE(actions.Has(vmpl::tui::Action::kRefresh));
  EXPECT_TRUE(actions.Has(vmpl::tui::Action::kRedraw));
  EXPECT_EQ(calls_.reads, reads);
  EXPECT_TRUE(app_->Tick(now_).Has(vmpl::tui::Action::kRedraw));
  EXPECT_EQ(calls_.reads, reads + 1);
  EXPECT_EQ(app_->message(), "read again: 5 lists");
  EXPECT_TRUE(app_->Handle(Input::Char(U'q')).Has(vmpl::tui::Action::kQuit));
  EXPECT_TRUE(app_->Handle(Input::Key(Key::kResize)).Has(vmpl::tui::Action::kResize));
}

// The refresh step reads the vm_page_t of every page cell the node map shows, and of the
// selected slot, once per snapshot; moving back to them reads nothing.
TEST_F(AppTest, PrepareReadsThePagesShownOncePerSnapshot) {
  Start(/*damaged=*/false);
  Draw();
  const uint64_t first = calls_.page_reads;
  EXPECT_GT(first, 0u);
  EXPECT_EQ(app_->model().pages.size(), first);
  // app:pages shows its 11 nodes at 120x40, holding 20 + 16 + 6 pages: each read once.
  EXPECT_EQ(first, 42u);
  Draw();
  EXPECT_EQ(calls_.page_reads, first);
  Focus(Pane::kNodes);
  Press(Key::kEnd);
  Press(Key::kHome);
  EXPECT_EQ(calls_.page_reads, first);
  // After every refresh step that reads, the target may run (a stub hangs up).
  EXPECT_GT(calls_.let_run, 0u);
  // A new snapshot: read again.
  Later();
  Draw();
  EXPECT_EQ(calls_.page_reads, 2 * first);
}

// The lines the App draws itself are formatted first, then painted as they are.
TEST_F(AppTest, FormattedLinesAreWhatIsPainted) {
  Start(/*damaged=*/false);
  Press(U'p');
  const Frame frame = Draw();
  const std::string title = vmpl::tui::RunsText(vmpl::tui::TitleLine(app_->model(), app_->view()));
  EXPECT_EQ(Lines(frame)[0], title);
  EXPECT_EQ(vmpl::tui::TitleLine(app_->model(), app_->view())[1],
            (vmpl::tui::TextRun{"PAUSED", Style::kProblem}));
  EXPECT_EQ(Lines(frame).back(), vmpl::tui::RunsText(vmpl::tui::StatusLine(app_->view())));
  EXPECT_EQ(vmpl::tui::RunsText(vmpl::tui::PaneTitleLine(app_->view(), Pane::kLists, "Lists")),
            "[*] Lists ");
}

// ---------------------------------------------------------------------------------------------
// A recorded trace: the time cursor

// A simulator run recorded in-process into a trace file (as `vmpl sim --trace` records); the
// simulator is gone, with tracing stopped, before the App opens the file.
class AppTraceTest : public testing::Test {
 protected:
  void SetUp() override {
    recording_ =
        std::make_unique<vmpl::testing::Recording>(vmpl::testing::TempTracePath("tui_app"));
    {
      vmpl::sim::SimConfig config;
      config.seed = 5;
      config.vmos = 4;
      config.page_budget = 1024;
      vmpl::sim::Simulator sim(config);
      for (int i = 0; i < 1500; i++) {
        ASSERT_TRUE(sim.Step());
        recording_->Drain();
      }
      std::unique_ptr<vmpl::trace::TraceReader> reader = recording_->Finish();
      ASSERT_TRUE(reader);
      events_ = reader->event_count();
    }
    ASSERT_GT(events_, 3000u);
    std::string error;
    std::unique_ptr<vmpl::tui::Source> source =
        vmpl::tui::OpenTraceSource(recording_->path(), &error);
    ASSERT_TRUE(source) << error;
    app_ = std::make_unique<App>(std::move(source));
    app_->Tick(Now());
  }
  void TearDown() override {
    app_.reset();
    recording_.reset();
  }

  uint64_t Position() { return app_->source().Cursor()->position; }
  // A key, then the refresh step that moves the cursor (as the main loop runs it).
  void Press(char32_t c) {
    app_->Handle(Input::Char(c));
    app_->Tick(Now());
  }

  // The events pane's highlighted row in |frame|: its y (-1 if none), and in |text| its cells
  // from the pane's left edge.
  static int Highlighted(const Frame& frame, std::string* text = nullptr) {
    const int title = RowOf(frame, "Events around the cursor");
    if (title < 0) {
      return -1;
    }
    const size_t x = Cells(frame, title).find(U"Events around the cursor");
    if (x == std::u32string::npos || x < 4) {
      return -1;
    }
    const int left = static_cast<int>(x) - 4;  // after "[ ] " or "[*] "
    int found = -1;
    for (int y = title + 1; y < frame.height(); y++) {
      if (frame.at(left, y).glyph == U'>' && frame.at(left, y).style == Style::kSelected) {
        EXPECT_EQ(found, -1) << "two highlighted events";
        found = y;
        if (text != nullptr) {
          text->clear();
          for (int cx = left; cx < frame.width(); cx++) {
            vmpl::tui::AppendUtf8(frame.at(cx, y).glyph, *text);
          }
        }
      }
    }
    return found;
  }
  // The index column of the highlighted row ("> 1234  0.000012  slot-store ..."), or "".
  static std::string HighlightedIndex(const Frame& frame) {
    std::string row;
    if (Highlighted(frame, &row) < 0) {
      return "";
    }
    std::istringstream in(row.substr(1));
    std::string index;
    in >> index;
    return index;
  }

  // The stream indexes of the event rows the events pane shows, top to bottom.
  static std::vector<uint64_t> ShownEvents(const Frame& frame) {
    std::vector<uint64_t> shown;
    const int title = RowOf(frame, "Events around the cursor");
    if (title < 0) {
      return shown;
    }
    const size_t x = Cells(frame, title).find(U"Events around the cursor");
    if (x == std::u32string::npos || x < 4) {
      return shown;
    }
    const int left = static_cast<int>(x) - 4;
    // The pane's title, its two header lines, then one event a row down to the status line.
    for (int y = title + 1 + vmpl::tui::kEventsHeaderLines; y + 1 < frame.height(); y++) {
      std::string row;
      for (int cx = left + 1; cx < frame.width(); cx++) {
        vmpl::tui::AppendUtf8(frame.at(cx, y).glyph, row);
      }
      std::istringstream in(row);
      uint64_t index;
      if (in >> index) {
        shown.push_back(index);
      }
    }
    return shown;
  }

  std::unique_ptr<vmpl::testing::Recording> recording_;
  std::unique_ptr<App> app_;
  uint64_t events_ = 0;
};

TEST_F(AppTraceTest, CursorKeysStepAndScrub) {
  ASSERT_TRUE(app_->source().Cursor());
  EXPECT_EQ(Position(), 0u);
  EXPECT_EQ(app_->source().Cursor()->size, events_);
  Frame frame(160, 48);
  app_->Render(frame);
  EXPECT_EQ(Highlighted(frame), -1) << "nothing applied yet, nothing highlighted";

  Press(U']');
  EXPECT_EQ(Position(), 1u);
  Press(U']');
  Press(U']');
  EXPECT_EQ(Position(), 3u);
  Press(U'[');
  EXPECT_EQ(Position(), 2u);
  app_->Render(frame);
  EXPECT_NE(Lines(frame)[0].find("cursor 2/" + std::to_string(events_)), std::string::npos)
      << Lines(frame)[0];
  EXPECT_GT(RowOf(frame, "Events around the cursor (event 2 of " + std::to_string(events_) + ")"),
            0);
  EXPECT_EQ(HighlightedIndex(frame), "1");

  Press(U'}');
  EXPECT_EQ(Position(), 1002u);
  app_->Render(frame);
  EXPECT_EQ(HighlightedIndex(frame), "1001");
  Press(U'{');
  EXPECT_EQ(Position(), 2u);
  Press(U'{');
  EXPECT_EQ(Position(), 0u) << "clamped at the start";

  const uint64_t tenth = events_ / 10;
  Press(U'>');
  EXPECT_EQ(Position(), tenth);
  Press(U'>');
  EXPECT_EQ(Position(), 2 * tenth);
  Press(U'<');
  EXPECT_EQ(Position(), tenth);
  app_->Render(frame);
  EXPECT_EQ(HighlightedIndex(frame), std::to_string(tenth - 1));

  for (int i = 0; i < 12; i++) {
    Press(U'>');
  }
  EXPECT_EQ(Position(), events_) << "clamped at the end";
  app_->Render(frame);
  EXPECT_EQ(HighlightedIndex(frame), std::to_string(events_ - 1));
  Press(U']');
  EXPECT_EQ(Position(), events_);

  // A recording does not change by itself: ticks do not re-read it.
  EXPECT_FALSE(app_->Tick(Now() + 100 * kSecond));
}

// A cursor key only queues the move; the refresh step makes it. Keys typed faster than the loop
// turns add up, clamped to the recording.
TEST_F(AppTraceTest, CursorKeysWaitForTheRefreshStep) {
  app_->Handle(Input::Char(U']'));
  app_->Handle(Input::Char(U']'));
  app_->Handle(Input::Char(U'}'));
  EXPECT_EQ(Position(), 0u);
  EXPECT_TRUE(app_->Tick(Now()));
  EXPECT_EQ(Position(), 1002u);
  EXPECT_EQ(app_->model().cursor->position, 1002u);
  app_->Handle(Input::Char(U'{'));
  app_->Handle(Input::Char(U'{'));
  app_->Handle(Input::Char(U']'));
  app_->Tick(Now());
  EXPECT_EQ(Position(), 1u);
  EXPECT_FALSE(app_->Tick(Now())) << "nothing left queued";
}

TEST_F(AppTraceTest, EventsPaneScrollsBackAndForth) {
  Press(U'}');
  Frame frame(160, 48);
  app_->Render(frame);
  const int before = Highlighted(frame);
  ASSERT_GT(before, 0);
  while (app_->focus() != Pane::kEvents) {
    app_->Handle(Input::Key(Key::kTab));
  }
  // Up scrolls back in time: the newest events leave at the bottom, the rest move down.
  app_->Handle(Input::Char(U'k'));
  app_->Handle(Input::Key(Key::kUp));
  app_->Render(frame);
  EXPECT_EQ(Highlighted(frame), before + 2);
  EXPECT_EQ(HighlightedIndex(frame), "999");
  app_->Handle(Input::Char(U'j'));
  app_->Handle(Input::Key(Key::kDown));
  app_->Handle(Input::Char(U'j'));  // nothing newer to scroll to
  app_->Render(frame);
  EXPECT_EQ(Highlighted(frame), before);
}

// Home and End in the events pane go to the oldest and the newest event kept (the help says
// "first / last"), PgUp and PgDn a page back and forth; none of them leaves the pane empty.
TEST_F(AppTraceTest, EventsPaneHomeEndAndPages) {
  Press(U'}');
  while (app_->focus() != Pane::kEvents) {
    app_->Handle(Input::Key(Key::kTab));
  }
  const vmpl::tui::EventLog& log = app_->events();
  ASSERT_GT(log.size(), 100u);
  const uint64_t oldest = log.at(0).index;
  const uint64_t newest = log.at(log.size() - 1).index;
  Frame frame(160, 48);
  app_->Render(frame);
  const std::vector<uint64_t> first = ShownEvents(frame);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.back(), newest);

  app_->Handle(Input::Key(Key::kPageUp));
  app_->Render(frame);
  const std::vector<uint64_t> back = ShownEvents(frame);
  ASSERT_FALSE(back.empty());
  EXPECT_LT(back.back(), first.back());
  app_->Handle(Input::Key(Key::kPageDown));
  app_->Render(frame);
  EXPECT_EQ(ShownEvents(frame), first);

  app_->Handle(Input::Key(Key::kHome));
  app_->Render(frame);
  const std::vector<uint64_t> top = ShownEvents(frame);
  ASSERT_FALSE(top.empty()) << "Home scrolled the events pane past every event:\n"
                            << frame.ToText();
  EXPECT_EQ(top.front(), oldest);

  app_->Handle(Input::Key(Key::kEnd));
  app_->Render(frame);
  EXPECT_EQ(ShownEvents(frame), first);
}

TEST_F(AppTraceTest, TinyFramesDoNotCrash) {
  Press(U'>');
  for (const auto& size : {std::pair{0, 0}, {1, 1}, {10, 3}, {40, 10}, {100, 4}}) {
    Frame frame(size.first, size.second);
    app_->Render(frame);
  }
}

// ---------------------------------------------------------------------------------------------
// The demo

// The demo source runs the simulator with tracing into a ring of its own. Closed, it must leave
// tracing as it found it: no ring installed (a simulator run later would answer snapshot requests
// on the freed ring through trace::ServiceRequests), so that a second demo opens.
TEST(AppDemoTest, ClosingTheDemoLeavesTracingFree) {
  for (int round = 0; round < 2; round++) {
    vmpl::tui::DemoOptions options;
    options.rate = 2000;
    std::string error;
    std::unique_ptr<vmpl::tui::Source> source = vmpl::tui::OpenDemoSource(options, &error);
    ASSERT_TRUE(source) << "round " << round << ": " << error;
    App app(std::move(source));
    app.Tick(Now());
    EXPECT_FALSE(app.snapshot().lists.empty());
    Frame frame(120, 40);
    app.Render(frame);
    EXPECT_EQ(RowOf(frame, "vmpl tui  demo (seed 1, 2000 steps/s): step "), 0);
  }
  EXPECT_EQ(vmpl::trace::CurrentRing(), nullptr);
}

}  // namespace
