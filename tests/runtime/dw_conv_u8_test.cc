// The depthwise u8 kernel (runtime/kernels/dw_conv_u8.h) against a plain loop that applies the same
// formula, and against oneDNN's own depthwise INT8 convolution built with the same attributes.
#include "runtime/kernels/cpu_features.h"
#include "runtime/kernels/dw_conv_u8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "runtime/executor.h"
#include "tests/runtime/op_test_util.h"
#include "tests/runtime/own_kernel_test_util.h"

namespace q2i::testing {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using runtime::kernels::DwConvU8;
using runtime::kernels::DwConvU8Epilogue;
using runtime::kernels::DwConvU8Shape;

struct DwCase {
  int64_t n, c, h, w, kh, kw, stride, dilation, pad_t, pad_b, pad_l, pad_r;
  dt out;
  float lo, hi;  // activation bounds after scaling
  bool bias;
};

DwConvU8Shape ShapeOf(const DwCase& k) {
  DwConvU8Shape s;
  s.n = k.n;
  s.c = k.c;
  s.h = k.h;
  s.w = k.w;
  s.kh = k.kh;
  s.kw = k.kw;
  s.stride_h = s.stride_w = k.stride;
  s.dilation_h = s.dilation_w = k.dilation;
  s.pad_top = k.pad_t;
  s.pad_left = k.pad_l;
  s.oh = (k.h + k.pad_t + k.pad_b - ((k.kh - 1) * k.dilation + 1)) / k.stride + 1;
  s.ow = (k.w + k.pad_l + k.pad_r - ((k.kw - 1) * k.dilation + 1)) / k.stride + 1;
  return s;
}

struct DwData {
  std::vector<uint8_t> src;
  std::vector<int8_t> weights;  // [c][kh][kw]
  DwConvU8Epilogue epilogue;
};

DwData MakeData(const DwCase& k, uint32_t seed) {
  std::mt19937 g(seed);
  DwData d;
  d.src.resize(static_cast<size_t>(k.n * k.h * k.w * k.c));
  for (auto& v : d.src) v = static_cast<uint8_t>(g() % 256);
  d.weights.resize(static_cast<size_t>(k.c * k.kh * k.kw));
  for (auto& v : d.weights) v = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.02f), bias(-3000.f, 3000.f);
  for (int64_t c = 0; c < k.c; ++c) {
    d.epilogue.scale.push_back(scale(g));
    if (k.bias) d.epilogue.bias.push_back(std::nearbyint(bias(g)));
  }
  d.epilogue.lo = k.lo;
  d.epilogue.hi = k.hi;
  d.epilogue.dst = k.out;
  return d;
}

// The kernel's contract, one value at a time.
std::vector<float> Reference(const DwCase& k, const DwData& d) {
  const DwConvU8Shape s = ShapeOf(k);
  std::vector<float> out;
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t oy = 0; oy < s.oh; ++oy) {
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        for (int64_t c = 0; c < s.c; ++c) {
          int32_t acc = 0;
          for (int64_t ky = 0; ky < s.kh; ++ky) {
            for (int64_t kx = 0; kx < s.kw; ++kx) {
              const int64_t iy = oy * k.stride - k.pad_t + ky * k.dilation, ix = ox * k.stride - k.pad_l + kx * k.dilation;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              acc += d.src[static_cast<size_t>(((n * s.h + iy) * s.w + ix) * s.c + c)] *
                     d.weights[static_cast<size_t>((c * s.kh + ky) * s.kw + kx)];
            }
          }
          const size_t ci = static_cast<size_t>(c);
          float f = (static_cast<float>(acc) + (k.bias ? d.epilogue.bias[ci] : 0.f)) * d.epilogue.scale[ci];
          f = std::min(std::max(f, k.lo), k.hi);
          if (k.out != dt::f32) {
            const float a = k.out == dt::u8 ? 0.f : -128.f, b = k.out == dt::u8 ? 255.f : 127.f;
            f = std::clamp(std::nearbyint(f), a, b);
          }
          out.push_back(f);
        }
      }
    }
  }
  return out;
}

std::vector<float> RunKernel(const DwCase& k, const DwData& d, int threads) {
  const DwConvU8Shape s = ShapeOf(k);
  DwConvU8 kernel(s, d.weights.data(), d.epilogue, threads);
  const size_t count = static_cast<size_t>(s.n * s.oh * s.ow * s.c);
  std::vector<float> out(count);
  if (k.out == dt::f32) {
    kernel.Run(d.src.data(), out.data());
  } else if (k.out == dt::u8) {
    std::vector<uint8_t> q(count);
    kernel.Run(d.src.data(), q.data());
    std::copy(q.begin(), q.end(), out.begin());
  } else {
    std::vector<int8_t> q(count);
    kernel.Run(d.src.data(), q.data());
    std::copy(q.begin(), q.end(), out.begin());
  }
  return out;
}

const float kInf = INFINITY;

std::vector<DwCase> Cases() {
  return {
      // MobileNetV1's shapes, scaled down: 3x3 stride 1 and 2, relu6 bound, u8 out.
      {1, 32, 13, 11, 3, 3, 1, 1, 1, 1, 1, 1, dt::u8, 0.f, 90.f, true},
      {2, 64, 12, 10, 3, 3, 2, 1, 1, 1, 1, 1, dt::u8, 0.f, 200.f, true},
      {1, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true},
      // Remainder blocks of 16 channels, s8 and f32 outputs, no bias, no activation.
      {1, 48, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, dt::s8, -kInf, kInf, false},
      {3, 16, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, dt::f32, -kInf, kInf, true},
      {1, 96, 8, 8, 3, 3, 2, 1, 0, 1, 0, 1, dt::f32, 0.f, kInf, true},  // Paddle's SAME padding at stride 2
      // Other filters: 5 rows x 4 columns, 1x1, 2x2 with no padding, dilation 2 and 3.
      {1, 32, 11, 10, 5, 4, 1, 1, 2, 2, 2, 1, dt::u8, 0.f, kInf, true},
      {1, 32, 4, 5, 1, 1, 1, 1, 0, 0, 0, 0, dt::s8, -kInf, kInf, true},
      {2, 32, 6, 6, 2, 2, 2, 1, 0, 0, 0, 0, dt::u8, 0.f, kInf, true},
      {1, 64, 12, 12, 3, 3, 1, 2, 2, 2, 2, 2, dt::s8, -50.f, 50.f, true},
      {1, 16, 15, 14, 3, 3, 2, 3, 3, 3, 3, 3, dt::u8, 0.f, kInf, true},
      // Rows too wide for one thread's ring: 7 rows x 100 columns x 64 channels run in column tiles.
      {1, 64, 9, 100, 7, 3, 1, 1, 3, 3, 1, 1, dt::u8, 0.f, kInf, true},
      {2, 32, 5, 300, 3, 2, 2, 1, 1, 1, 0, 1, dt::s8, -kInf, kInf, true},
      // A 1x1 image: every tap but the centre is padding.
      {1, 64, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true},
  };
}

TEST(DwConvU8Test, MatchesReferenceLoop) {
  if (!runtime::kernels::CpuHasAvx512VnniVbmi()) GTEST_SKIP() << "no AVX-512 VNNI/VBMI: convolutions stay with oneDNN";
  uint32_t seed = 500;
  for (const DwCase& k : Cases()) {
    const DwData d = MakeData(k, seed++);
    const std::vector<float> want = Reference(k, d);
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE("c=" + std::to_string(k.c) + " " + std::to_string(k.kh) + "x" + std::to_string(k.kw) + " stride " +
                   std::to_string(k.stride) + " dilation " + std::to_string(k.dilation) + " threads " +
                   std::to_string(threads));
      ExpectMatchesReference(RunKernel(k, d, threads), want, k.out);
    }
  }
}

TEST(DwConvU8Test, PreferredOnlyWhereItWasMeasuredFaster) {
  if (!runtime::kernels::CpuHasAvx512VnniVbmi()) GTEST_SKIP() << "no AVX-512 VNNI/VBMI: convolutions stay with oneDNN";
  DwConvU8Shape s = ShapeOf({1, 128, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true});
  EXPECT_TRUE(runtime::kernels::DwConvU8Preferred(s));
  s = ShapeOf({1, 128, 56, 56, 3, 3, 2, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true});
  EXPECT_TRUE(runtime::kernels::DwConvU8Preferred(s)) << "64-channel blocks at stride 2";
  s = ShapeOf({1, 32, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true});
  EXPECT_TRUE(runtime::kernels::DwConvU8Preferred(s));
  s = ShapeOf({1, 32, 56, 56, 3, 3, 2, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true});
  EXPECT_FALSE(runtime::kernels::DwConvU8Preferred(s)) << "32-channel blocks at stride 2";
  s = ShapeOf({1, 48, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true});
  EXPECT_FALSE(runtime::kernels::DwConvU8Preferred(s)) << "16-channel blocks";
}

TEST(DwConvU8Test, RefusesWhatItDoesNotHandle) {
  DwCase ok{1, 32, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true};
  EXPECT_EQ(runtime::kernels::DwConvU8Supports(ShapeOf(ok)), runtime::kernels::CpuHasAvx512VnniVbmi());
  DwConvU8Shape s = ShapeOf(ok);
  s.c = 24;  // not a multiple of 16
  EXPECT_FALSE(runtime::kernels::DwConvU8Supports(s));
  s = ShapeOf(ok);
  s.kw = 5;  // wider than one tap quad
  EXPECT_FALSE(runtime::kernels::DwConvU8Supports(s));
  s = ShapeOf(ok);
  s.kh = 8;
  EXPECT_FALSE(runtime::kernels::DwConvU8Supports(s));
  s = ShapeOf(ok);
  s.dilation_h = 5;
  EXPECT_FALSE(runtime::kernels::DwConvU8Supports(s));
}

// oneDNN's depthwise convolution with the same output scales, bias and clip gives the same values (at
// most one quantum apart, where float rounding of the scaled sum differs).
TEST(DwConvU8Test, AgreesWithOneDnn) {
  if (!runtime::kernels::CpuHasAvx512VnniVbmi()) GTEST_SKIP() << "no AVX-512 VNNI/VBMI: convolutions stay with oneDNN";
  uint32_t seed = 900;
  for (const DwCase& k : Cases()) {
    const DwData d = MakeData(k, seed++);
    const DwConvU8Shape s = ShapeOf(k);
    OneDnnU8Conv c{.src_dims = {s.n, s.c, s.h, s.w},
                   .dst_dims = {s.n, s.c, s.oh, s.ow},
                   .weight_dims = {s.c, 1, 1, s.kh, s.kw},
                   .src = d.src.data(),
                   .weights = d.weights.data(),
                   .bias = d.epilogue.bias,
                   .scales = d.epilogue.scale,
                   .residual = {},
                   .sum_scale = 1.f,
                   .clip = k.lo != -kInf || k.hi != kInf,
                   .lo = k.lo,
                   .hi = k.hi,
                   .dst_type = k.out,
                   .strides = {k.stride, k.stride},
                   .dilations = {k.dilation - 1, k.dilation - 1},
                   .pad_l = {k.pad_t, k.pad_l},
                   .pad_r = {k.pad_b, k.pad_r}};
    SCOPED_TRACE("c=" + std::to_string(k.c));
    ExpectWithinOneQuantum(RunKernel(k, d, 1), RunOneDnnU8Conv(c), k.out);
  }
}

// Through the executor: a MobileNet-style INT8 depthwise conv (u8 in, relu6, u8 out) runs on the kernel
// under the tuned policy and on oneDNN under the library policy, and the two agree within one quantum
// (the reference comparison of both is Int8ConvTest's depthwise cases).
TEST(DwConvU8Test, ExecutorRunsInt8DepthwiseConvsOnIt) {
  const int64_t c = 64;
  std::mt19937 g(77);
  ir::Tensor x(ir::DataType::kUInt8, {2, c, 15, 15});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = static_cast<uint8_t>(g() % 256);
  ir::Tensor w(ir::DataType::kFP32, {c, 1, 3, 3}), b(ir::DataType::kFP32, {c});
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = u(g);
  for (int64_t i = 0; i < c; ++i) b.data<float>()[i] = u(g);
  const ir::ProgramBuilder::Attrs attrs = {{"paddings", ir::Attribute::Ints({1, 1})},
                                           {"strides", ir::Attribute::Ints({2, 2})},
                                           {"groups", ir::Attribute::Int(c)},
                                           {"mkldnn_data_type", ir::Attribute::String("int8")},
                                           {"Scale_in", ir::Attribute::Float(40.f)},
                                           {"Scale_weights", ir::Attribute::Floats({250.f})},
                                           {"Scale_out", ir::Attribute::Float(30.f)},
                                           {"fuse_activation", ir::Attribute::String("relu6")},
                                           {"fuse_alpha", ir::Attribute::Float(6.f)}};
  const ir::Program p = BuildProgram({{"x", x}}, {{"w", w}, {"b", b}},
                                     {{"depthwise_conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}},
                                       {{"Output", {"y"}}}, attrs}},
                                     {"y"}, {{"y", ir::DataType::kUInt8}});
  const ir::Tensor y =
      ExpectOwnKernelUnderTunedOnly(p, {x}, "dw_conv_u8", runtime::kernels::CpuHasAvx512VnniVbmi());
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{2, c, 8, 8}));
}

}  // namespace
}  // namespace q2i::testing
