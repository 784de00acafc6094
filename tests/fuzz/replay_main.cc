// A main() for the fuzz entry points in builds without libFuzzer (g++, the default test suite): runs
// LLVMFuzzerTestOneInput on every seed, then on deterministic mutations of the seeds.
//
//   fuzz_program_reader_replay [--runs=N] [--seed=S] PATH...
//
// PATH is a file or a directory of files (the seed corpus; crash artifacts saved by libFuzzer can be
// replayed the same way). A missing PATH is skipped with a warning, or fails when CI=true.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
namespace fs = std::filesystem;

class Rng {
 public:
  explicit Rng(uint64_t seed) : x_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint64_t Next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

 private:
  uint64_t x_;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The input being run, written to ./replay-crash-input when it crashes (replay it by passing that path).
const std::string* g_current = nullptr;

extern "C" void OnCrash(int sig) {
  if (g_current != nullptr) {
    int fd = ::open("replay-crash-input", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t ignored = ::write(fd, g_current->data(), g_current->size());
      (void)ignored;
      ::close(fd);
    }
    const char msg[] = "crashing input written to ./replay-crash-input\n";
    ssize_t ignored = ::write(2, msg, sizeof(msg) - 1);
    (void)ignored;
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void Run(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

void Overwrite(std::string& s, size_t pos, uint64_t value, size_t width) {
  for (size_t i = 0; i < width && pos + i < s.size(); ++i) s[pos + i] = static_cast<char>(value >> (8 * i));
}

// One random edit of `s`; `other` is another seed for splicing.
void Mutate(std::string& s, const std::string& other, Rng& rng) {
  static const uint64_t kInteresting[] = {0,          1,          0x7f,       0x80,       0xff,
                                          0x7fff,     0xffff,     0x7fffffff, 0x80000000, 0xffffffff,
                                          1ull << 40, ~0ull >> 1, ~0ull};
  const size_t n = s.size();
  switch (rng.Below(9)) {
    case 0:  // flip a bit
      if (n) s[rng.Below(n)] ^= static_cast<char>(1 << rng.Below(8));
      break;
    case 1:  // random byte
      if (n) s[rng.Below(n)] = static_cast<char>(rng.Next());
      break;
    case 2:  // interesting byte
      if (n) s[rng.Below(n)] = static_cast<char>(kInteresting[rng.Below(5)]);
      break;
    case 3:  // truncate
      s.resize(rng.Below(n + 1));
      break;
    case 4: {  // erase a range
      if (!n) break;
      size_t pos = rng.Below(n);
      s.erase(pos, 1 + rng.Below(16));
      break;
    }
    case 5: {  // insert random bytes
      std::string ins(1 + rng.Below(16), '\0');
      for (char& c : ins) c = static_cast<char>(rng.Next());
      s.insert(rng.Below(n + 1), ins);
      break;
    }
    case 6: {  // copy a chunk elsewhere
      if (!n) break;
      size_t from = rng.Below(n), len = 1 + rng.Below(std::min<size_t>(64, n - from));
      std::string chunk = s.substr(from, len);
      s.insert(rng.Below(n + 1), chunk);
      break;
    }
    case 7: {  // interesting 1/2/4/8-byte integer
      if (!n) break;
      const size_t widths[] = {1, 2, 4, 8};
      Overwrite(s, rng.Below(n), kInteresting[rng.Below(std::size(kInteresting))], widths[rng.Below(4)]);
      break;
    }
    default:  // splice: keep a prefix, append a piece of another seed
      s.resize(rng.Below(n + 1));
      if (!other.empty()) s += other.substr(rng.Below(other.size()));
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, OnCrash);
  long runs = 3000;
  uint64_t seed = 1;
  const std::vector<std::string> builtin = {std::string(), std::string(1, '\0'), std::string(64, '\0')};
  std::vector<std::string> seeds;
  const char* ci = std::getenv("CI");
  const bool in_ci = ci != nullptr && std::strcmp(ci, "true") == 0;
  int missing = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--runs=", 0) == 0) {
      runs = std::strtol(arg.c_str() + 7, nullptr, 10);
      continue;
    }
    if (arg.rfind("--seed=", 0) == 0) {
      seed = std::strtoull(arg.c_str() + 7, nullptr, 10);
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(arg, ec))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) seeds.push_back(ReadFile(f));
    } else if (fs::is_regular_file(arg, ec)) {
      seeds.push_back(ReadFile(arg));
    } else {
      std::fprintf(stderr, "warning: seed '%s' not found\n", arg.c_str());
      ++missing;
    }
  }
  if (missing && in_ci) {
    std::fprintf(stderr, "error: %d seed path(s) missing in CI\n", missing);
    return 1;
  }
  for (const auto& s : builtin) Run(s);
  for (const auto& s : seeds) Run(s);
  if (seeds.empty()) seeds = builtin;  // mutate the seed files when there are any

  Rng rng(seed);
  for (long r = 0; r < runs; ++r) {
    const size_t which = static_cast<size_t>(r) % seeds.size();
    std::string input = seeds[which];
    const size_t edits = 1 + rng.Below(4);
    for (size_t e = 0; e < edits; ++e) Mutate(input, seeds[rng.Below(seeds.size())], rng);
    Run(input);
  }
  std::printf("ran %zu seeds and %ld mutations\n", seeds.size(), runs);
  return 0;
}
