// Fuzz target for layout files (inspect/include/vmpl/inspect/layout_file.h): the input is a
// layout file's text, optionally followed by a NUL byte and a memory image. Whatever the text,
// ParseLayoutJson must return a layout that CheckLayout accepts or an error message; an accepted
// layout must survive LayoutToJson and back unchanged, and the decoder must read a page list and
// a splice list with it out of the memory image (mapped at kBase) without reading past anything
// or looping. Runs under libFuzzer (scripts/fuzz.sh) and, in the normal build, under
// fuzz_driver.cc.

#include <stdlib.h>
#include <string.h>

#include <algorithm>

#include <string>
#include <string_view>

#include <vmpl/inspect/decoder.h>
#include <vmpl/inspect/layout_file.h>

namespace {

constexpr uint64_t kBase = 0x10000;

void Check(bool condition) {
  if (!condition) abort();
}

// The memory image after the NUL, readable at [kBase, kBase + size).
class ImageSource : public vmpl::inspect::MemorySource {
 public:
  explicit ImageSource(std::string_view image) : image_(image) {}
  vmpl::inspect::ReadResult Read(uint64_t address, void* buffer, size_t size) override {
    vmpl::inspect::ReadResult result;
    memset(buffer, 0, size);
    if (address < kBase || address - kBase >= image_.size()) {
      result.error = "outside the image";
      return result;
    }
    const uint64_t offset = address - kBase;
    result.bytes = static_cast<size_t>(std::min<uint64_t>(size, image_.size() - offset));
    memcpy(buffer, image_.data() + offset, result.bytes);
    if (result.bytes < size) {
      result.error = "past the image";
    }
    return result;
  }
  std::string Describe() const override { return "fuzz image"; }

 private:
  std::string_view image_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  const std::string_view image = nul == std::string_view::npos ? "" : input.substr(nul + 1);

  std::string error;
  const std::optional<vmpl::inspect::DecodeLayout> layout =
      vmpl::inspect::ParseLayoutJson(text, &error);
  if (!layout) {
    Check(!error.empty());
    return 0;
  }
  Check(vmpl::inspect::CheckLayout(*layout).empty());
  std::string again_error;
  const std::optional<vmpl::inspect::DecodeLayout> again =
      vmpl::inspect::ParseLayoutJson(vmpl::inspect::LayoutToJson(*layout, "fuzz"), &again_error);
  Check(again && *again == *layout);

  ImageSource memory(image);
  vmpl::inspect::DecodeOptions options;
  options.max_nodes = 64;
  const auto list = vmpl::inspect::DecodePageList(memory, kBase, *layout, options);
  Check(list.nodes.size() <= options.max_nodes);
  const auto splice = vmpl::inspect::DecodeSpliceList(memory, kBase, *layout, options);
  Check(splice.nodes.size() <= options.max_nodes);
  return 0;
}
