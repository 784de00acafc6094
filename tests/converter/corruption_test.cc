// Real model files truncated and bit-flipped at many deterministic offsets: loading each variant
// returns OK or an error Status, never crashes or hangs. Variants that still load go through the
// verifier, the DOT writer and the serializer too.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "converter/model_io.h"
#include "converter/program_proto.h"
#include "ir/dot_writer.h"
#include "ir/verifier.h"
#include "tests/converter/model_test_util.h"
#include "tests/test_util/shared_data.h"

#if defined(__SANITIZE_ADDRESS__)
#define Q2I_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define Q2I_SANITIZED 1
#endif
#endif

namespace q2i::testing {
namespace {
namespace fs = std::filesystem;

// Offsets per file and kind of damage; sanitizer builds run about 8x slower.
#ifdef Q2I_SANITIZED
constexpr size_t kVariants = 40;
#else
constexpr size_t kVariants = 200;
#endif

// `n` offsets in [0, size): the first quarter dense from 0 (headers), the rest spread evenly.
std::vector<size_t> Offsets(size_t size, size_t n) {
  std::vector<size_t> offsets;
  const size_t dense = std::min(n / 4, size);
  for (size_t i = 0; i < dense; ++i) offsets.push_back(i);
  const size_t spread = n - dense;
  for (size_t i = 0; i < spread; ++i) offsets.push_back(dense + (size - dense) * i / spread);
  return offsets;
}

struct Tally {
  int ok = 0;
  int errors = 0;
};

// Loads `dir`; a variant that loads is verified, drawn and re-serialized as well.
void LoadVariant(const converter::ModelLocation& loc, Tally* tally) {
  auto p = converter::LoadModel(loc);
  if (!p.ok()) {
    ++tally->errors;
    EXPECT_FALSE(p.status().message().empty());
    return;
  }
  ++tally->ok;
  (void)ir::VerifyProgram(*p, {.require_ssa = true});
  ir::Program ssa = p->Clone();
  (void)ir::MakeSsa(ssa);
  EXPECT_FALSE(ir::ToDot(*p).empty());
  auto bytes = converter::SerializeProgram(*p);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
}

// Damages `file` (relative to the model directory) in `kVariants` truncations and `kVariants` byte
// flips, loading each variant from a private linked copy of the model.
void CorruptAndLoad(const std::string& model, const std::string& file, const std::string& model_filename = "",
                    const std::string& params_filename = "") {
  SCOPED_TRACE(model + "/" + file);
  const fs::path src = SharedPath("models/" + model);
  const fs::path dir = ScratchDir(model);
  LinkCopy(src, dir);
  const std::string original = ReadWholeFile(src / file);
  ASSERT_FALSE(original.empty());
  converter::ModelLocation loc;
  loc.path = dir;
  loc.model_filename = model_filename;
  loc.params_filename = params_filename;
  const auto start = std::chrono::steady_clock::now();

  Tally truncated;
  for (size_t offset : Offsets(original.size(), kVariants)) {
    SCOPED_TRACE("truncated to " + std::to_string(offset));
    WriteBytes(dir / file, original.substr(0, offset));
    LoadVariant(loc, &truncated);
  }
  Tally flipped;
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (size_t offset : Offsets(original.size(), kVariants)) {
    SCOPED_TRACE("byte flipped at " + std::to_string(offset));
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::string damaged = original;
    const uint8_t mask = static_cast<uint8_t>(x) | 1;  // never 0: the byte always changes
    damaged[offset] = static_cast<char>(static_cast<uint8_t>(damaged[offset]) ^ mask);
    WriteBytes(dir / file, damaged);
    LoadVariant(loc, &flipped);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s/%s: truncated %d ok / %d errors; flipped %d ok / %d errors; %.2f s\n", model.c_str(), file.c_str(),
              truncated.ok, truncated.errors, flipped.ok, flipped.errors, seconds);
  // Truncation at offset 0 leaves an empty file: always an error.
  EXPECT_GT(truncated.errors, 0);
  // The damaged file is gone with the scratch copy; ../shared is untouched.
  EXPECT_TRUE(ReadWholeFile(src / file) == original);
}

TEST(CorruptionTest, LenetProgram) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/__model__");
  CorruptAndLoad("lenet_mnist_fp32", "__model__");
}

TEST(CorruptionTest, LenetParameterFile) {
  Q2I_REQUIRE_SHARED("models/lenet_mnist_fp32/fc_0.w_0");
  CorruptAndLoad("lenet_mnist_fp32", "fc_0.w_0");
}

TEST(CorruptionTest, OcrClsSlimProgram) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdmodel");
  CorruptAndLoad("ocr_cls_slim", "inference.pdmodel");
}

TEST(CorruptionTest, OcrClsSlimParams) {
  Q2I_REQUIRE_SHARED("models/ocr_cls_slim/inference.pdiparams");
  CorruptAndLoad("ocr_cls_slim", "inference.pdiparams");
}

TEST(CorruptionTest, SqueezenetProgram) {
  Q2I_REQUIRE_SHARED("models/squeezenet1_1_fp32/inference.pdmodel");
  CorruptAndLoad("squeezenet1_1_fp32", "inference.pdmodel", "inference.pdmodel", "inference.pdiparams");
}

TEST(CorruptionTest, SqueezenetParams) {
  Q2I_REQUIRE_SHARED("models/squeezenet1_1_fp32/inference.pdiparams");
  CorruptAndLoad("squeezenet1_1_fp32", "inference.pdiparams");
}

}  // namespace
}  // namespace q2i::testing
