// The stand-in for libFuzzer in the normal (gcc) build: runs a fuzz target's
// LLVMFuzzerTestOneInput over every seed file and a fixed set of mutations of each, so CTest (and
// the asan preset, under ASan and UBSan) exercises every fuzz target on every build without clang.
// scripts/fuzz.sh links the same target sources with real libFuzzer for open-ended fuzzing.
//
// Usage: <target> [--budget N] [--verbose] PATH...   (PATH: a seed file or a directory of them)
//
// Per input, up to N (default 1000) of each kind of deterministic mutation:
//   - truncation at evenly spread lengths (every length of a short input),
//   - single bit flips at evenly spread bits (every bit of a short input),
//   - "length lies": an aligned 4- or 8-byte word replaced by a value that breaks sizes and
//     counts (0, 1, all ones, the input size, ...),
//   - if the target defines LLVMFuzzerCustomMutator, N rounds of it with seeds 0..N-1, starting
//     from the seed each time. LLVMFuzzerMutate, which custom mutators call under libFuzzer, is
//     defined here as one random change of the kinds above.
// Everything is seeded by the input's size and the round, so a run is reproducible. If a run
// crashes, the input that did it is saved as fuzz-crash.bin in the working directory and named on
// stderr; `<target> fuzz-crash.bin --budget 0` runs just that input again.

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

extern "C" {
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
__attribute__((weak)) size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                                     unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);
// From the sanitizer runtime, when there is one: called when ASan or UBSan is about to exit.
__attribute__((weak)) void __sanitizer_set_death_callback(void (*callback)());
}

namespace {

// ------------------------------------------------------------------------------------------------
// What is running, for the crash report. Plain globals, set before each run and read by a signal
// handler, which may only use async-signal-safe calls (open, write).

const char* g_input = "";     // the seed file's path
const char* g_mutation = "";  // the kind of mutation
uint64_t g_parameter = 0;     // its length, bit, offset or round
const uint8_t* g_data = nullptr;
size_t g_size = 0;

void WriteString(int fd, const char* text) {
  ssize_t ignored = write(fd, text, strlen(text));
  (void)ignored;
}

void WriteNumber(int fd, uint64_t value) {
  char digits[24];
  size_t n = 0;
  do {
    digits[sizeof(digits) - 1 - n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  ssize_t ignored = write(fd, digits + sizeof(digits) - n, n);
  (void)ignored;
}

void ReportCrash() {
  WriteString(2, "\nfuzz driver: the crash happened on ");
  WriteString(2, g_input);
  WriteString(2, ", mutation ");
  WriteString(2, g_mutation);
  WriteString(2, " ");
  WriteNumber(2, g_parameter);
  int fd = open("fuzz-crash.bin", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ssize_t ignored = write(fd, g_data, g_size);
    (void)ignored;
    close(fd);
    WriteString(2, "; input saved to fuzz-crash.bin");
  }
  WriteString(2, "\n");
}

void OnSignal(int signal_number) {
  ReportCrash();
  ::signal(signal_number, SIG_DFL);
  raise(signal_number);
}

void InstallCrashReport() {
  if (__sanitizer_set_death_callback != nullptr) {
    // The sanitizers handle SIGSEGV and friends and print the stack; they call this before exit.
    __sanitizer_set_death_callback(ReportCrash);
  } else {
    for (int signal_number : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
      ::signal(signal_number, OnSignal);
    }
  }
  ::signal(SIGABRT, OnSignal);  // assert() and abort(), which the sanitizers leave alone
}

// ------------------------------------------------------------------------------------------------
// Running and mutating.

uint64_t g_runs = 0;

void Run(const std::vector<uint8_t>& data, const char* mutation, uint64_t parameter) {
  // A copy of exactly |size| bytes, as libFuzzer gives: ASan catches a read one past the end.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[std::max<size_t>(data.size(), 1)]);
  std::copy(data.begin(), data.end(), copy.get());
  g_mutation = mutation;
  g_parameter = parameter;
  g_data = copy.get();
  g_size = data.size();
  LLVMFuzzerTestOneInput(copy.get(), data.size());
  ++g_runs;
}

// |count| positions spread evenly over [0, total), or all of them when there are fewer.
std::vector<uint64_t> Spread(uint64_t total, uint64_t count) {
  std::vector<uint64_t> positions;
  if (total <= count) {
    for (uint64_t i = 0; i < total; ++i) {
      positions.push_back(i);
    }
  } else {
    for (uint64_t i = 0; i < count; ++i) {
      positions.push_back(i * total / count);
    }
  }
  return positions;
}

// Values that break a length or a count read from the input.
std::vector<uint64_t> LyingValues(size_t size) {
  std::vector<uint64_t> values = {
      0, 1, 7, 0x7fffffff, 0xffffffff, uint64_t{1} << 32, uint64_t{1} << 62, ~uint64_t{0}};
  values.insert(values.end(), {size, size + 1, size / 2});
  return values;
}

template <typename T>
void Store(uint8_t* data, T value) {
  memcpy(data, &value, sizeof(value));
}

std::mt19937_64 g_random;  // LLVMFuzzerMutate's; reseeded before each custom-mutator round

void MutateInputs(const std::string& path, const std::vector<uint8_t>& seed, uint64_t budget) {
  g_input = path.c_str();
  Run(seed, "none", 0);
  const size_t size = seed.size();

  for (uint64_t length : Spread(size, budget)) {
    Run(std::vector<uint8_t>(seed.begin(), seed.begin() + static_cast<ptrdiff_t>(length)),
        "truncate-to", length);
  }

  std::vector<uint8_t> data = seed;
  for (uint64_t bit : Spread(uint64_t{size} * 8, budget)) {
    data[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    Run(data, "flip-bit", bit);
    data[bit / 8] = seed[bit / 8];
  }

  const std::vector<uint64_t> values = LyingValues(size);
  const uint64_t words = size / 4;
  const uint64_t offsets = std::max<uint64_t>(1, budget / (2 * values.size()));
  for (uint64_t word : Spread(words, offsets)) {
    const size_t offset = word * 4;
    for (uint64_t value : values) {
      Store<uint32_t>(data.data() + offset, static_cast<uint32_t>(value));
      Run(data, "lie-u32-at", offset);
      if (offset % 8 == 0 && offset + 8 <= size) {
        Store<uint64_t>(data.data() + offset, value);
        Run(data, "lie-u64-at", offset);
      }
      std::copy(seed.begin(), seed.end(), data.begin());
    }
  }

  if (LLVMFuzzerCustomMutator != nullptr) {
    const size_t max_size = 2 * size + 64;
    for (uint64_t round = 0; round < budget; ++round) {
      std::vector<uint8_t> buffer(max_size);
      std::copy(seed.begin(), seed.end(), buffer.begin());
      g_random.seed(round * 0x9E3779B97F4A7C15ull + size);
      const size_t new_size =
          LLVMFuzzerCustomMutator(buffer.data(), size, max_size, static_cast<unsigned int>(round));
      buffer.resize(std::min(new_size, max_size));
      Run(buffer, "custom-mutator-round", round);
    }
  }
}

std::vector<std::string> Inputs(const std::vector<std::string>& paths) {
  std::vector<std::string> inputs;
  for (const std::string& path : paths) {
    if (std::filesystem::is_directory(path)) {
      std::vector<std::string> files;
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) {
          files.push_back(entry.path().string());
        }
      }
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else {
      inputs.push_back(path);
    }
  }
  return inputs;
}

}  // namespace

// One random change of the kinds the driver makes itself, for custom mutators.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size) {
  if (size == 0) {
    return 0;
  }
  switch (g_random() % 5) {
    case 0:  // flip a bit
      data[g_random() % size] ^= static_cast<uint8_t>(1u << (g_random() % 8));
      return size;
    case 1:  // a random byte
      data[g_random() % size] = static_cast<uint8_t>(g_random());
      return size;
    case 2:  // a lying word
      if (size >= 8) {
        const std::vector<uint64_t> values = LyingValues(size);
        const size_t offset = (g_random() % (size - 7)) & ~size_t{3};
        Store<uint64_t>(data + offset, values[g_random() % values.size()]);
      }
      return size;
    case 3:  // shorter
      return g_random() % size;
    default: {  // longer: repeat a block at the end
      const size_t room = max_size - size;
      const size_t start = g_random() % size;
      const size_t length = std::min(room, static_cast<size_t>(g_random() % (size - start + 1)));
      memmove(data + size, data + start, length);
      return size + length;
    }
  }
}

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) {
    LLVMFuzzerInitialize(&argc, &argv);
  }
  uint64_t budget = 1000;
  bool verbose = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--budget" && i + 1 < argc) {
      budget = strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--verbose") {
      verbose = true;
    } else if (arg.starts_with("--")) {
      fprintf(stderr, "usage: %s [--budget N] [--verbose] PATH...\n", argv[0]);
      return 2;
    } else {
      paths.push_back(arg);
    }
  }
  const std::vector<std::string> inputs = Inputs(paths);
  if (inputs.empty()) {
    fprintf(stderr, "%s: no inputs (give seed files or directories)\n", argv[0]);
    return 2;
  }
  InstallCrashReport();
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      fprintf(stderr, "%s: cannot read %s\n", argv[0], path.c_str());
      return 2;
    }
    const std::vector<uint8_t> seed(std::istreambuf_iterator<char>(in), {});
    const uint64_t runs_before = g_runs;
    MutateInputs(path, seed, budget);
    if (verbose) {
      fprintf(stderr, "%s: %zu bytes, %llu runs\n", path.c_str(), seed.size(),
              static_cast<unsigned long long>(g_runs - runs_before));
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printf("%s: %zu inputs, %llu runs in %.2f s, no crash\n", argv[0], inputs.size(),
         static_cast<unsigned long long>(g_runs), seconds);
  return 0;
}
