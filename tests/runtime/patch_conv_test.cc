// The stem convolution over gathered patches (runtime/kernels/patch_gather.h, patch_conv.h): the gathered
// bytes against a plain loop, the patch filter and shift compensation against a direct integer
// convolution, the tuned policy's rule, and the executor's results against oneDNN's direct convolution.
#include "runtime/kernels/patch_conv.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "runtime/kernels/cpu_features.h"
#include "tests/runtime/op_test_util.h"
#include "tests/runtime/own_kernel_test_util.h"

namespace q2i::testing {
namespace {

using runtime::kernels::GatherPatches;
using runtime::kernels::PatchConvPreferred;
using runtime::kernels::PatchFilter;
using runtime::kernels::PatchGatherSupports;
using runtime::kernels::PatchLength;
using runtime::kernels::PatchShape;
using runtime::kernels::ShiftCompensation;

constexpr uint8_t kGuard = 0xA5;

PatchShape Shape(int64_t c, int64_t hw, int64_t k, int64_t stride, int64_t pad, bool shift_s8) {
  const int64_t o = (hw + 2 * pad - k) / stride + 1;
  return {.c = c, .h = hw, .w = hw, .oh = o, .ow = o, .kh = k, .kw = k, .stride_h = stride, .stride_w = stride,
          .pad_top = pad, .pad_left = pad, .shift_s8 = shift_s8};
}

std::string Describe(const PatchShape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w) + " k" + std::to_string(s.kh) +
         "x" + std::to_string(s.kw) + " s" + std::to_string(s.stride_h) + " p" + std::to_string(s.pad_top) +
         (s.shift_s8 ? " s8" : " u8");
}

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<uint8_t> v(n);
  for (uint8_t& b : v) b = static_cast<uint8_t>(g());
  return v;
}

// The patch byte a plain loop expects at (output pixel oy, ox; filter ky, kx; channel ci).
uint8_t ExpectedByte(const PatchShape& s, const std::vector<uint8_t>& src, int64_t oy, int64_t ox, int64_t ky,
                     int64_t kx, int64_t ci) {
  const int64_t iy = oy * s.stride_h - s.pad_top + ky, ix = ox * s.stride_w - s.pad_left + kx;
  const uint8_t flip = s.shift_s8 ? 0x80 : 0;
  if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) return flip;
  return static_cast<uint8_t>(src[static_cast<size_t>((iy * s.w + ix) * s.c + ci)] ^ flip);
}

// Gathers rows [begin, end) into a buffer with guard bytes after it and checks every patch byte
// (the zero-weight tail may hold anything) and the guards.
void ExpectGatherMatchesLoop(const PatchShape& s, int64_t begin, int64_t end, uint32_t seed) {
  SCOPED_TRACE(Describe(s) + " rows " + std::to_string(begin) + ".." + std::to_string(end));
  const std::vector<uint8_t> src = RandomBytes(static_cast<size_t>(s.h * s.w * s.c), seed);
  const int64_t length = PatchLength(s), bytes = (end - begin) * s.ow * length;
  std::vector<uint8_t> out(static_cast<size_t>(bytes + 256), kGuard);
  GatherPatches(s, src.data(), begin, end, out.data());
  int bad = 0;
  for (int64_t oy = begin; oy < end && bad < 5; ++oy) {
    for (int64_t ox = 0; ox < s.ow; ++ox) {
      const uint8_t* row = out.data() + ((oy - begin) * s.ow + ox) * length;
      for (int64_t ky = 0; ky < s.kh; ++ky) {
        for (int64_t kx = 0; kx < s.kw; ++kx) {
          for (int64_t ci = 0; ci < s.c; ++ci) {
            const uint8_t want = ExpectedByte(s, src, oy, ox, ky, kx, ci);
            const uint8_t got = row[(ky * s.kw + kx) * s.c + ci];
            if (got != want && bad++ < 5) {
              ADD_FAILURE() << "pixel (" << oy << ", " << ox << ") tap (" << ky << ", " << kx << ") channel " << ci
                            << ": " << int{got} << " != " << int{want};
            }
          }
        }
      }
    }
  }
  for (size_t i = static_cast<size_t>(bytes); i < out.size(); ++i) {
    ASSERT_EQ(out[i], kGuard) << "write past the patches at byte " << i - static_cast<size_t>(bytes);
  }
}

TEST(PatchGatherTest, MatchesAPlainLoop) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "needs AVX-512 VNNI";
  for (bool s8 : {true, false}) {
    ExpectGatherMatchesLoop(Shape(3, 40, 7, 2, 3, s8), 0, 20, 1);      // ResNet50's stem, 21-byte rows
    ExpectGatherMatchesLoop(Shape(3, 33, 3, 2, 1, s8), 0, 17, 2);      // MobileNet's stem, odd size
    ExpectGatherMatchesLoop(Shape(1, 20, 2, 1, 0, s8), 0, 19, 3);      // 2-byte rows, 4-byte patches
    ExpectGatherMatchesLoop(Shape(3, 30, 11, 4, 2, s8), 0, 6, 4);      // 33-byte rows: 64-byte copies
    ExpectGatherMatchesLoop(Shape(2, 25, 5, 1, 4, s8), 0, 29, 5);      // padding wider than half the filter
    ExpectGatherMatchesLoop(Shape(3, 50, 7, 3, 2, s8), 0, 17, 8);      // stride not dividing the padding
  }
  ExpectGatherMatchesLoop(Shape(3, 40, 7, 2, 3, true), 7, 13, 6);  // a band inside the image
  PatchShape wide = Shape(3, 24, 3, 1, 1, true);
  wide.w = 37;
  wide.ow = 37;
  ExpectGatherMatchesLoop(wide, 0, 24, 7);  // not square
  PatchShape narrow = Shape(3, 6, 3, 1, 2, true);
  narrow.w = 1;
  narrow.ow = 1;  // left padding 2, right 0: every window starts in the padding
  ExpectGatherMatchesLoop(narrow, 0, 8, 9);
  ExpectGatherMatchesLoop(narrow, 2, 4, 10);  // ending on a row inside the image
}

// Random shapes, paddings (uneven on the two sides) and bands, with a fixed seed.
TEST(PatchGatherTest, MatchesAPlainLoopOnRandomShapes) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "needs AVX-512 VNNI";
  std::mt19937 g(2026);
  auto pick = [&g](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g); };
  int tried = 0;
  while (tried < 300) {
    PatchShape s;
    s.c = pick(1, 4);
    s.kh = pick(1, 9);
    s.kw = pick(1, std::min<int64_t>(9, 64 / s.c));
    s.h = pick(1, 30);
    s.w = pick(1, 30);
    s.stride_h = pick(1, 4);
    s.stride_w = pick(1, 4);
    s.pad_top = pick(0, s.kh - 1);
    s.pad_left = pick(0, s.kw - 1);
    const int64_t pad_bottom = pick(0, s.kh - 1), pad_right = pick(0, s.kw - 1);
    if (s.h + s.pad_top + pad_bottom < s.kh || s.w + s.pad_left + pad_right < s.kw) continue;
    s.oh = (s.h + s.pad_top + pad_bottom - s.kh) / s.stride_h + 1;
    s.ow = (s.w + s.pad_left + pad_right - s.kw) / s.stride_w + 1;
    s.shift_s8 = pick(0, 1) == 1;
    ASSERT_TRUE(PatchGatherSupports(s)) << Describe(s);
    const int64_t begin = pick(0, s.oh - 1), end = pick(begin + 1, s.oh);
    ExpectGatherMatchesLoop(s, begin, end, static_cast<uint32_t>(tried));
    ++tried;
  }
}

// A convolution over the gathered patches with the patch filter, minus the shift compensation, is the
// direct integer convolution, exactly.
TEST(PatchGatherTest, PatchConvolutionIsTheDirectConvolution) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "needs AVX-512 VNNI";
  for (bool s8 : {true, false}) {
    const PatchShape s = Shape(3, 19, 7, 2, 3, s8);
    SCOPED_TRACE(Describe(s));
    const int64_t oc = 5, length = PatchLength(s);
    const std::vector<uint8_t> src = RandomBytes(static_cast<size_t>(s.h * s.w * s.c), 11);
    std::vector<int8_t> filter(static_cast<size_t>(oc * s.c * s.kh * s.kw));
    std::mt19937 g(12);
    for (int8_t& w : filter) w = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
    std::vector<uint8_t> patches(static_cast<size_t>(s.oh * s.ow * length));
    GatherPatches(s, src.data(), 0, s.oh, patches.data());
    const std::vector<int8_t> flat = PatchFilter(s, oc, filter.data());
    ASSERT_EQ(flat.size(), static_cast<size_t>(oc * length));
    const std::vector<int32_t> comp = ShiftCompensation(oc, length, flat.data());
    for (int64_t oy = 0; oy < s.oh; ++oy) {
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        for (int64_t o = 0; o < oc; ++o) {
          int32_t direct = 0;
          for (int64_t ci = 0; ci < s.c; ++ci) {
            for (int64_t ky = 0; ky < s.kh; ++ky) {
              for (int64_t kx = 0; kx < s.kw; ++kx) {
                const int64_t iy = oy * s.stride_h - s.pad_top + ky, ix = ox * s.stride_w - s.pad_left + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                const uint8_t b = src[static_cast<size_t>((iy * s.w + ix) * s.c + ci)];
                const int32_t x = s8 ? static_cast<int8_t>(b) : b;
                direct += x * filter[static_cast<size_t>(((o * s.c + ci) * s.kh + ky) * s.kw + kx)];
              }
            }
          }
          int32_t via = s8 ? -comp[static_cast<size_t>(o)] : 0;
          const uint8_t* row = patches.data() + (oy * s.ow + ox) * length;
          for (int64_t k = 0; k < length; ++k) via += row[k] * flat[static_cast<size_t>(o * length + k)];
          ASSERT_EQ(via, direct) << "pixel (" << oy << ", " << ox << ") channel " << o;
        }
      }
    }
  }
}

TEST(PatchGatherTest, PreferredOnlyForStems) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) {
    EXPECT_FALSE(PatchConvPreferred(Shape(3, 224, 7, 2, 3, true)));
    return;
  }
  EXPECT_TRUE(PatchConvPreferred(Shape(3, 224, 7, 2, 3, true)));  // ResNet50
  EXPECT_TRUE(PatchConvPreferred(Shape(1, 28, 9, 1, 4, false)));   // 81 taps
  EXPECT_FALSE(PatchConvPreferred(Shape(3, 224, 3, 2, 1, true)));  // MobileNet: 27 taps
  EXPECT_FALSE(PatchConvPreferred(Shape(4, 56, 3, 1, 1, false)));  // oneDNN's kernels reduce 4 channels a step
  EXPECT_FALSE(PatchConvPreferred(Shape(3, 56, 1, 1, 0, false)));  // a 1x1 filter gathers nothing
  EXPECT_FALSE(PatchGatherSupports(Shape(3, 64, 23, 1, 0, false)));  // 69-byte filter rows
}

// Bands cover the output exactly, each within the byte budget (or one row), the last one non-empty,
// from maps far smaller to rows far larger than the budget.
TEST(PatchConvTest, BandsCoverTheOutput) {
  using runtime::kernels::kPatchBandBytes;
  using runtime::kernels::PatchBandRows;
  for (int64_t hw : {1, 2, 7, 33, 224, 1000, 4000}) {
    for (int64_t k : {3, 7, 11}) {
      const PatchShape s = Shape(3, hw + k, k, 1, 0, false);
      const int64_t band = PatchBandRows(s), row_bytes = s.ow * PatchLength(s);
      SCOPED_TRACE(Describe(s) + ": " + std::to_string(band) + " rows per band");
      ASSERT_GE(band, 1);
      ASSERT_LE(band, s.oh);
      EXPECT_TRUE(band == 1 || band * row_bytes <= kPatchBandBytes);
      const int64_t bands = (s.oh + band - 1) / band, last = s.oh - (bands - 1) * band;
      EXPECT_GE(last, 1);
      EXPECT_LE(last, band);
    }
  }
  EXPECT_EQ(PatchBandRows(Shape(3, 224, 7, 2, 3, true)), 14);  // ResNet50's stem: 8 bands of 14 rows
}

// A one-conv program under both policies: the 7x7 stride-2 stem runs on our kernel `variant` under the
// tuned policy only, and the two agree within one quantum. `residual`: a fused s8 residual sum; n images;
// oc output channels (32: over patches; a multiple of 64: DirectConvU8's window mode).
void ExpectExecutorRunsStemOnOwnKernel(bool s8_input, bool residual, int64_t n, int64_t hw, int64_t oc,
                                       const char* variant) {
  SCOPED_TRACE(std::string(s8_input ? "s8" : "u8") + (residual ? " residual" : "") + " n=" + std::to_string(n));
  const int64_t ic = 3, k = 7, o = (hw + 6 - k) / 2 + 1;
  std::mt19937 g(31);
  ir::Tensor x(s8_input ? ir::DataType::kInt8 : ir::DataType::kUInt8, {n, ic, hw, hw});
  for (int64_t i = 0; i < x.numel(); ++i) x.raw_data()[i] = static_cast<uint8_t>(g());
  ir::Tensor r(ir::DataType::kInt8, {n, oc, o, o});
  for (int64_t i = 0; i < r.numel(); ++i) r.data<int8_t>()[i] = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
  ir::Tensor w(ir::DataType::kFP32, {oc, ic, k, k}), b(ir::DataType::kFP32, {oc});
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = u(g);
  for (int64_t i = 0; i < oc; ++i) b.data<float>()[i] = u(g);
  ir::ProgramBuilder::Attrs attrs = {{"mkldnn_data_type", ir::Attribute::String("int8")},
                                     {"strides", ir::Attribute::Ints({2, 2})},
                                     {"paddings", ir::Attribute::Ints({3, 3})},
                                     {"Scale_in", ir::Attribute::Float(s8_input ? 60.f : 30.f)},
                                     {"Scale_weights", ir::Attribute::Floats({250.f})},
                                     {"Scale_out", ir::Attribute::Float(0.5f)},
                                     {"fuse_activation", ir::Attribute::String("relu6")},
                                     {"fuse_alpha", ir::Attribute::Float(6.f)}};
  ir::ProgramBuilder::Slots inputs = {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}};
  Named feeds = {{"x", x}};
  if (residual) {
    attrs.emplace_back("fuse_residual_connection", ir::Attribute::Bool(true));
    attrs.emplace_back("Scale_in_eltwise", ir::Attribute::Float(20.f));
    inputs.emplace_back("ResidualData", std::vector<std::string>{"r"});
    feeds.emplace_back("r", r);
  }
  const ir::Program p = BuildProgram(feeds, {{"w", w}, {"b", b}}, {{"conv2d", inputs, {{"Output", {"y"}}}, attrs}},
                                     {"y"}, {{"y", ir::DataType::kUInt8}});
  std::vector<ir::Tensor> values;
  for (const auto& [name, t] : feeds) values.push_back(t);
  const ir::Tensor y = ExpectOwnKernelUnderTunedOnly(p, values, variant, runtime::kernels::CpuHasAvx512Vnni());
  int64_t nonzero = 0;
  for (int64_t i = 0; i < y.numel(); ++i) nonzero += y.data<uint8_t>()[i] != 0;
  EXPECT_GT(nonzero, y.numel() / 10) << "a test whose outputs are all zero compares nothing";
}

TEST(PatchConvTest, ExecutorRunsS8StemOnPatches) {
  ExpectExecutorRunsStemOnOwnKernel(true, false, 1, 224, 32, "patch_conv");
}

// 200x200 gives 100 output rows: bands of 17 and a last one of 15 rows, in each of 2 images.
TEST(PatchConvTest, ExecutorRunsU8StemWithResidualInUnevenBands) {
  ExpectExecutorRunsStemOnOwnKernel(false, true, 2, 200, 32, "patch_conv");
}

// ResNet50's stem (64 output channels) runs on DirectConvU8 in window mode instead.
TEST(PatchConvTest, ExecutorRunsStemsOf64ChannelsInWindowMode) {
  ExpectExecutorRunsStemOnOwnKernel(true, false, 1, 224, 64, "direct_conv_u8");
  ExpectExecutorRunsStemOnOwnKernel(false, true, 2, 200, 128, "direct_conv_u8");
}

}  // namespace
}  // namespace q2i::testing
