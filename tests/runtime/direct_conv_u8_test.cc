// The dense u8 kernel for small maps (runtime/kernels/direct_conv_u8.h) against a plain loop that applies
// the same formula, against oneDNN's INT8 convolution built with the same attributes, and in the executor.
#include "runtime/kernels/direct_conv_u8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/executor.h"
#include "runtime/kernels/cpu_features.h"
#include "tests/runtime/op_test_util.h"
#include "tests/runtime/own_kernel_test_util.h"

namespace q2i::testing {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using runtime::kernels::DirectConvU8;
using runtime::kernels::DirectConvU8Epilogue;
using runtime::kernels::DirectConvU8Shape;

const float kInf = INFINITY;

struct DirectCase {
  int64_t n, c, h, w, oc, kh, kw, stride, pad_t, pad_b, pad_l, pad_r;
  dt out;
  float lo, hi;  // activation bounds after post_rescale
  bool bias = true;
  bool residual = false;
  dt residual_type = dt::u8;
  float pre_residual_rescale = 0;  // 0: no rounding before the sum
  bool pre_activation_round = false;
  float post_rescale = 1.f;
  bool s8_input = false;  // the source bytes are s8 values
};

DirectConvU8Shape ShapeOf(const DirectCase& k) {
  return {.n = k.n, .c = k.c, .h = k.h, .w = k.w, .oc = k.oc,
          .oh = (k.h + k.pad_t + k.pad_b - k.kh) / k.stride + 1,
          .ow = (k.w + k.pad_l + k.pad_r - k.kw) / k.stride + 1,
          .kh = k.kh, .kw = k.kw, .stride_h = k.stride, .stride_w = k.stride,
          .pad_top = k.pad_t, .pad_left = k.pad_l, .s8_input = k.s8_input};
}

std::string Describe(const DirectCase& k) {
  return std::to_string(k.n) + "x" + std::to_string(k.c) + "x" + std::to_string(k.h) + "x" + std::to_string(k.w) +
         " -> " + std::to_string(k.oc) + ", " + std::to_string(k.kh) + "x" + std::to_string(k.kw) + " stride " +
         std::to_string(k.stride) + (k.s8_input ? ", s8 input" : "");
}

size_t OutCount(const DirectCase& k) {
  const DirectConvU8Shape s = ShapeOf(k);
  return static_cast<size_t>(s.n * s.oh * s.ow * s.oc);
}

struct DirectData {
  std::vector<uint8_t> src;
  std::vector<int8_t> weights;  // [oc][c][kh][kw]
  std::vector<float> residual;  // [n][oh][ow][oc], values of residual_type
  DirectConvU8Epilogue epilogue;
};

DirectData MakeData(const DirectCase& k, uint32_t seed) {
  std::mt19937 g(seed);
  DirectData d;
  d.src.resize(static_cast<size_t>(k.n * k.h * k.w * k.c));
  for (auto& v : d.src) v = static_cast<uint8_t>(g() % 256);
  d.weights.resize(static_cast<size_t>(k.oc * k.c * k.kh * k.kw));
  for (auto& v : d.weights) v = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
  // Scales that bring the accumulators (up to ~1e5 here) near the 8-bit range.
  const float spread = 1.f / std::sqrt(static_cast<float>(k.c * k.kh * k.kw));
  std::uniform_real_distribution<float> scale(0.002f * spread, 0.02f * spread), bias(-3000.f, 3000.f);
  for (int64_t c = 0; c < k.oc; ++c) {
    d.epilogue.scale.push_back(scale(g));
    if (k.bias) d.epilogue.bias.push_back(std::nearbyint(bias(g)));
  }
  if (k.residual) {
    d.residual.resize(OutCount(k));
    for (auto& v : d.residual) {
      v = k.residual_type == dt::u8   ? static_cast<float>(g() % 256)
          : k.residual_type == dt::s8 ? static_cast<float>(static_cast<int>(g() % 256) - 128)
                                      : static_cast<float>(static_cast<int>(g() % 2001) - 1000) / 10.f;
    }
  }
  DirectConvU8Epilogue& e = d.epilogue;
  if (k.pre_residual_rescale > 0) e.pre_residual_rescale = k.pre_residual_rescale;
  e.residual = k.residual;
  e.sum_scale = 0.7f;
  e.residual_type = k.residual_type;
  e.pre_activation_round = k.pre_activation_round;
  e.post_rescale = k.post_rescale;
  e.lo = k.lo;
  e.hi = k.hi;
  e.dst = k.out;
  return d;
}

float RoundClip127(float v) { return std::clamp(std::nearbyint(v), -127.f, 127.f); }

// The kernel's contract, one value at a time (float operations in the header's order).
std::vector<float> Reference(const DirectCase& k, const DirectData& d) {
  const DirectConvU8Shape s = ShapeOf(k);
  const DirectConvU8Epilogue& e = d.epilogue;
  float lo = k.lo, hi = k.hi;
  if (k.out != dt::f32) {
    const float a = k.out == dt::u8 ? 0.f : -128.f, b = k.out == dt::u8 ? 255.f : 127.f;
    lo = std::clamp(lo, a, b);
    hi = std::clamp(hi, a, b);
  }
  std::vector<float> out;
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t oy = 0; oy < s.oh; ++oy) {
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        for (int64_t o = 0; o < s.oc; ++o) {
          int32_t acc = 0;
          for (int64_t ky = 0; ky < s.kh; ++ky) {
            for (int64_t kx = 0; kx < s.kw; ++kx) {
              const int64_t iy = oy * k.stride - k.pad_t + ky, ix = ox * k.stride - k.pad_l + kx;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              for (int64_t i = 0; i < s.c; ++i) {
                const uint8_t byte = d.src[static_cast<size_t>(((n * s.h + iy) * s.w + ix) * s.c + i)];
                acc += (k.s8_input ? static_cast<int32_t>(static_cast<int8_t>(byte)) : static_cast<int32_t>(byte)) *
                       d.weights[static_cast<size_t>(((o * s.c + i) * s.kh + ky) * s.kw + kx)];
              }
            }
          }
          const size_t oi = static_cast<size_t>(o);
          float v = (static_cast<float>(acc) + (k.bias ? e.bias[oi] : 0.f)) * e.scale[oi];
          if (e.pre_residual_rescale) v = RoundClip127(v) * *e.pre_residual_rescale;
          if (e.residual) v = std::fma(e.sum_scale, d.residual[out.size()], v);
          if (e.pre_activation_round) v = RoundClip127(v);
          v = std::min(std::max(v * e.post_rescale, lo), hi);
          if (k.out != dt::f32) v = std::nearbyint(v);
          out.push_back(v);
        }
      }
    }
  }
  return out;
}

// Runs the kernel into a destination that holds the residual (when there is one).
// `after`: what the kernel prefetches at the end of its run (the next step's weights in a plan).
std::vector<float> RunKernel(const DirectCase& k, const DirectData& d, int threads,
                             std::span<const std::byte> after = {}) {
  DirectConvU8 kernel(ShapeOf(k), d.weights.data(), d.epilogue, threads);
  kernel.PrefetchAtEnd(after);
  const size_t count = OutCount(k);
  std::vector<float> out(count);
  auto run = [&](auto* dst, dt type) {
    if (k.residual) {
      EXPECT_EQ(type, k.residual_type) << "the residual is read as the destination's type here";
      for (size_t i = 0; i < count; ++i) dst[i] = static_cast<std::remove_pointer_t<decltype(dst)>>(d.residual[i]);
    }
    kernel.Run(d.src.data(), dst);
    std::copy(dst, dst + count, out.begin());
  };
  if (k.out == dt::f32) {
    std::vector<float> q(count);
    run(q.data(), dt::f32);
  } else if (k.out == dt::u8 && k.residual_type != dt::s8) {
    std::vector<uint8_t> q(count);
    run(q.data(), dt::u8);
  } else if (k.out == dt::u8) {  // s8 residual under a u8 output: the buffer starts as s8 bytes
    std::vector<int8_t> q(count);
    for (size_t i = 0; i < count; ++i) q[i] = static_cast<int8_t>(d.residual[i]);
    kernel.Run(d.src.data(), q.data());
    for (size_t i = 0; i < count; ++i) out[i] = static_cast<uint8_t>(q[i]);
  } else {
    std::vector<int8_t> q(count);
    run(q.data(), dt::s8);
  }
  return out;
}

std::vector<DirectCase> Cases() {
  return {
      // ResNet50's last stage, scaled down: 3x3 stride 1, relu6 bound, u8 out.
      {1, 128, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, 90.f},
      // 1x1 with the training roundings around a residual sum, s8 out (s8 residual): a flat map, in
      // segments of 14 pixels across rows (14, 14, 14, 7), two blocks.
      {1, 256, 7, 7, 128, 1, 1, 1, 0, 0, 0, 0, dt::s8, -kInf, kInf, true, true, dt::s8, 0.5f, true, 2.f},
      // The stride-2 entries of a stage: 3x3 and 1x1 from 14x14 to 7x7 (the 1x1 gathered into a flat map).
      {1, 64, 14, 14, 128, 3, 3, 2, 1, 1, 1, 1, dt::f32, 0.f, kInf, false},
      {1, 96, 14, 14, 64, 1, 1, 2, 0, 0, 0, 0, dt::u8, 0.f, 200.f, true, true, dt::u8, 0, true, 0.75f},
      // s8 residual under a u8 output (the sum reads the buffer as s8), relu, no rounding.
      {1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true, true, dt::s8},
      // f32 out with an f32 residual.
      {1, 32, 6, 6, 64, 3, 3, 1, 1, 1, 1, 1, dt::f32, -kInf, kInf, true, true, dt::f32, 0.25f},
      // Rows of 9 and 16 columns (segments of 7 and the rest), a 2x3 filter, asymmetric padding.
      {1, 16, 5, 9, 64, 2, 3, 1, 1, 0, 0, 2, dt::u8, 0.f, kInf},
      {1, 8, 4, 16, 192, 3, 3, 1, 1, 1, 1, 1, dt::s8, -50.f, 50.f},
      // Several images, 4 input channels, a 1x1 image whose taps but the centre are padding.
      {3, 4, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf},
      {2, 64, 1, 1, 128, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf},
      // 5x5 at stride 2 with padding 2, and a 7x7 map read at stride 3 without padding (gathered).
      {1, 20, 9, 9, 64, 5, 5, 2, 2, 2, 2, 2, dt::s8, -kInf, kInf},
      {1, 40, 7, 7, 64, 1, 1, 3, 0, 0, 0, 0, dt::u8, 0.f, kInf},
      // Stage-3 sized maps, which threads share by rows (padded copy, flat map, gathered copy): two
      // segments per row with a rounded residual sum, a flat 1x1 with f32 out, 28x28 read at stride 2 by
      // a 3x3 and by a 1x1 with an s8 residual.
      {1, 64, 14, 14, 128, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, 90.f, true, true, dt::u8, 0, true, 0.75f},
      {1, 128, 14, 14, 64, 1, 1, 1, 0, 0, 0, 0, dt::f32, -kInf, kInf},
      {1, 32, 28, 28, 64, 3, 3, 2, 1, 1, 1, 1, dt::s8, -kInf, kInf},
      {1, 64, 28, 28, 128, 1, 1, 2, 0, 0, 0, 0, dt::u8, 0.f, kInf, true, true, dt::s8, 0.5f, true, 2.f},
      // Shared by rows: a flat map of 81 pixels (segments 14 x 5 + 11), and 5 rows for 2 or 3 threads.
      {1, 16, 9, 9, 128, 1, 1, 1, 0, 0, 0, 0, dt::s8, -kInf, kInf},
      {1, 24, 5, 12, 64, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf},
      // Two images of more than 7x7 pixels: shared by blocks again.
      {2, 32, 10, 10, 64, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true, true, dt::u8},
      // s8 inputs (read shifted to u8 from the copy): padded, and gathered by a 1x1 at stride 2.
      {1, 8, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf, true, false, dt::u8, 0, false, 1.f, true},
      {1, 16, 8, 8, 64, 1, 1, 2, 0, 0, 0, 0, dt::s8, -kInf, kInf, true, false, dt::u8, 0, false, 1.f, true},
      // Window mode (channels not a multiple of 4): ResNet50's stem scaled down (7x7 stride 2, 21-byte
      // filter rows in 6 quads) on u8 and on two s8 images; 1, 2 and 6 channels with a residual sum.
      {1, 3, 30, 30, 64, 7, 7, 2, 3, 3, 3, 3, dt::u8, 0.f, 200.f},
      {2, 3, 23, 19, 128, 7, 7, 2, 3, 2, 3, 2, dt::s8, -kInf, kInf, true, false, dt::u8, 0, false, 1.f, true},
      {1, 1, 9, 11, 64, 5, 5, 1, 2, 2, 2, 2, dt::f32, -kInf, kInf, false},
      {1, 2, 13, 13, 64, 3, 3, 2, 1, 1, 1, 1, dt::u8, 0.f, kInf, true, true, dt::u8, 0, false, 1.f, true},
      {1, 6, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, dt::s8, -kInf, kInf, true, true, dt::s8, 0.5f, true, 2.f},
  };
}

TEST(DirectConvU8Test, MatchesReferenceLoop) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "no AVX-512 VNNI: convolutions stay with oneDNN";
  uint32_t seed = 300;
  for (const DirectCase& k : Cases()) {
    const DirectData d = MakeData(k, seed++);
    const std::vector<float> want = Reference(k, d);
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(Describe(k) + ", threads " + std::to_string(threads));
      ExpectMatchesReference(RunKernel(k, d, threads), want, k.out);
    }
    // Prefetching a next step's weights (here an odd-sized buffer) at the end changes no value.
    const std::vector<std::byte> next(100003);
    for (int threads : {1, 2}) {
      SCOPED_TRACE(Describe(k) + ", prefetching at the end, threads " + std::to_string(threads));
      ExpectMatchesReference(RunKernel(k, d, threads, next), want, k.out);
    }
  }
}

// The pre-activation clip to +-127 runs as part of the activation bounds (min(hi, 127 * post_rescale) and
// max(lo, -127 * post_rescale)): f32 out, no activation, post_rescale 0.5, so values the clip holds land
// on exactly +-63.5 and others between.
TEST(DirectConvU8Test, PreActivationClipJoinedToTheBoundsIsExact) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "no AVX-512 VNNI: convolutions stay with oneDNN";
  const DirectCase k{1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, dt::f32, -kInf, kInf, true, true, dt::f32, 0.5f, true, 0.5f};
  DirectData d = MakeData(k, 901);
  for (float& r : d.residual) r *= 4.f;  // sums well beyond +-127 in both directions
  const std::vector<float> want = Reference(k, d);
  const std::vector<float> got = RunKernel(k, d, 1);
  ExpectMatchesReference(got, want, k.out);
  const auto at = [&](float v) { return std::count(want.begin(), want.end(), v); };
  EXPECT_GT(at(63.5f), 0) << "no value reached the upper clip";
  EXPECT_GT(at(-63.5f), 0) << "no value reached the lower clip";
  EXPECT_GT(std::count_if(want.begin(), want.end(), [](float v) { return std::fabs(v) < 63.f; }), 0);
}

// The leading weights are the first block's: every tap and input channel for 64 output channels.
TEST(DirectConvU8Test, LeadingWeightsAreTheFirstBlock) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "no AVX-512 VNNI: convolutions stay with oneDNN";
  const DirectCase k{1, 96, 7, 7, 192, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf};
  const DirectData d = MakeData(k, 77);
  const DirectConvU8 kernel(ShapeOf(k), d.weights.data(), d.epilogue, 1);
  EXPECT_EQ(kernel.leading_weights().size(), size_t{3 * 3 * 96 * 64});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(kernel.leading_weights().data()) % 64, 0u);
}

TEST(DirectConvU8Test, RefusesWhatItDoesNotHandle) {
  const DirectCase ok{1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf};
  EXPECT_EQ(runtime::kernels::DirectConvU8Supports(ShapeOf(ok)), runtime::kernels::CpuHasAvx512Vnni());
  DirectConvU8Shape s = ShapeOf(ok);
  s.c = 0;
  EXPECT_FALSE(runtime::kernels::DirectConvU8Supports(s));
  s = ShapeOf(ok);
  s.oc = 96;  // not a multiple of 64
  EXPECT_FALSE(runtime::kernels::DirectConvU8Supports(s));
  s = ShapeOf(ok);
  s.pad_top = 3;  // a whole filter of padding
  EXPECT_FALSE(runtime::kernels::DirectConvU8Supports(s));
  s = ShapeOf({1, 64, 7, 7, 64, 3, 3, 1, 1, 3, 1, 1, dt::u8, 0.f, kInf});  // bottom padding of 3
  EXPECT_FALSE(runtime::kernels::DirectConvU8Supports(s));
}

TEST(DirectConvU8Test, PreferredOnlyWhereItWasMeasuredFaster) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "no AVX-512 VNNI: convolutions stay with oneDNN";
  using runtime::kernels::DirectConvU8Preferred;
  const DirectConvU8Shape map7 = ShapeOf({1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf});
  const DirectConvU8Shape onto7 = ShapeOf({1, 512, 14, 14, 512, 3, 3, 2, 1, 1, 1, 1, dt::u8, 0.f, kInf});
  const DirectConvU8Shape map14 = ShapeOf({1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf});
  const DirectConvU8Shape map28 = ShapeOf({1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf});
  const DirectConvU8Shape batch = ShapeOf({16, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, dt::u8, 0.f, kInf});
  EXPECT_TRUE(DirectConvU8Preferred(map7, 1));
  EXPECT_TRUE(DirectConvU8Preferred(onto7, 1)) << "stride 2 onto a 7x7 map";
  EXPECT_TRUE(DirectConvU8Preferred(map14, 2)) << "14x14 maps";
  EXPECT_FALSE(DirectConvU8Preferred(map28, 1)) << "28x28 maps";
  EXPECT_FALSE(DirectConvU8Preferred(batch, 2)) << "batches";
  DirectConvU8Shape s8 = map7;
  s8.s8_input = true;
  EXPECT_FALSE(DirectConvU8Preferred(s8, 1)) << "s8 input needs a copy, not measured";
  // Stems in window mode at 2 threads: ResNet50's (s8 or u8, one image or 16), at one thread not; not a
  // 3x3 stem, nor 6 channels.
  DirectConvU8Shape stem = ShapeOf({1, 3, 224, 224, 64, 7, 7, 2, 3, 3, 3, 3, dt::u8, 0.f, kInf});
  ASSERT_EQ(stem.oh, 112);
  EXPECT_TRUE(DirectConvU8Preferred(stem, 2));
  EXPECT_FALSE(DirectConvU8Preferred(stem, 1)) << "one thread: PatchConv";
  stem.s8_input = true;
  EXPECT_TRUE(DirectConvU8Preferred(stem, 2));
  stem.n = 16;
  EXPECT_TRUE(DirectConvU8Preferred(stem, 2));
  EXPECT_FALSE(DirectConvU8Preferred(ShapeOf({1, 3, 224, 224, 64, 3, 3, 2, 1, 1, 1, 1, dt::u8, 0.f, kInf}), 2));
  EXPECT_FALSE(DirectConvU8Preferred(ShapeOf({1, 6, 56, 56, 64, 7, 7, 2, 3, 3, 3, 3, dt::u8, 0.f, kInf}), 2));
}

// oneDNN's INT8 convolution with the same output scales, bias, sum and clip gives the same values (at most
// one quantum apart, where float rounding of the scaled sum differs).
TEST(DirectConvU8Test, AgreesWithOneDnn) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "no AVX-512 VNNI: convolutions stay with oneDNN";
  uint32_t seed = 700;
  for (const DirectCase& k : Cases()) {
    if (k.pre_residual_rescale > 0 || k.pre_activation_round || k.post_rescale != 1.f ||
        (k.residual && k.residual_type != k.out) || k.s8_input) {
      continue;  // the plain chain on u8: scales, bias, sum, clip
    }
    SCOPED_TRACE(Describe(k));
    const DirectData d = MakeData(k, seed++);
    const DirectConvU8Shape s = ShapeOf(k);
    OneDnnU8Conv c{.src_dims = {s.n, s.c, s.h, s.w},
                   .dst_dims = {s.n, s.oc, s.oh, s.ow},
                   .weight_dims = {s.oc, s.c, s.kh, s.kw},
                   .src = d.src.data(),
                   .weights = d.weights.data(),
                   .bias = d.epilogue.bias,
                   .scales = d.epilogue.scale,
                   .residual = d.residual,
                   .sum_scale = d.epilogue.sum_scale,
                   .clip = k.lo != -kInf || k.hi != kInf,
                   .lo = k.lo,
                   .hi = k.hi,
                   .dst_type = k.out,
                   .strides = {k.stride, k.stride},
                   .dilations = {0, 0},
                   .pad_l = {k.pad_t, k.pad_l},
                   .pad_r = {k.pad_b, k.pad_r}};
    ExpectWithinOneQuantum(RunKernel(k, d, 1), RunOneDnnU8Conv(c), k.out);
  }
}

// Through the executor: ResNet50's last-stage residual conv (u8 in, the roundings training did, an s8
// residual, relu6, u8 out) runs on the kernel under the tuned policy and on oneDNN under the library
// policy, and the two agree within one quantum (Int8ConvTest compares both with the reference).
TEST(DirectConvU8Test, ExecutorRunsSmallMapInt8ConvsOnIt) {
  const int64_t ic = 128, oc = 256;
  std::mt19937 g(91);
  ir::Tensor x(ir::DataType::kUInt8, {1, ic, 7, 7}), r(ir::DataType::kInt8, {1, oc, 7, 7});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = static_cast<uint8_t>(g() % 256);
  for (int64_t i = 0; i < r.numel(); ++i) r.data<int8_t>()[i] = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
  ir::Tensor w(ir::DataType::kFP32, {oc, ic, 1, 1}), b(ir::DataType::kFP32, {oc});
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = u(g);
  for (int64_t i = 0; i < oc; ++i) b.data<float>()[i] = u(g);
  const ir::ProgramBuilder::Attrs attrs = {{"mkldnn_data_type", ir::Attribute::String("int8")},
                                           {"Scale_in", ir::Attribute::Float(40.f)},
                                           {"Scale_weights", ir::Attribute::Floats({250.f})},
                                           {"Scale_out", ir::Attribute::Float(3.f)},
                                           {"Scale_in_eltwise", ir::Attribute::Float(20.f)},
                                           {"Scale_pre_residual", ir::Attribute::Float(4.f)},
                                           {"fuse_residual_connection", ir::Attribute::Bool(true)},
                                           {"fuse_activation", ir::Attribute::String("relu6")},
                                           {"fuse_alpha", ir::Attribute::Float(6.f)}};
  const ir::Program p = BuildProgram(
      {{"x", x}, {"r", r}}, {{"w", w}, {"b", b}},
      {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}, {"ResidualData", {"r"}}}, {{"Output", {"y"}}}, attrs}},
      {"y"}, {{"y", ir::DataType::kUInt8}});
  const ir::Tensor y = ExpectOwnKernelUnderTunedOnly(p, {x, r}, "direct_conv_u8", runtime::kernels::CpuHasAvx512Vnni());
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{1, oc, 7, 7}));
  int nonzero = 0;
  for (int64_t i = 0; i < y.numel(); ++i) nonzero += y.data<uint8_t>()[i] != 0;
  EXPECT_GT(nonzero, y.numel() / 4) << "a test that relu6 zeroes out proves little";
}

// Two small-map INT8 convs in a row, both on the kernel: the first prefetches the second's leading
// weights as it ends (runtime/kernel.h, weight streaming across steps). The library policy has no such
// link, and both policies agree on the result.
TEST(DirectConvU8Test, ConsecutiveOwnConvsStreamTheNextOnesWeights) {
  const int64_t c = 64, mid = 128, oc = 64;
  std::mt19937 g(93);
  ir::Tensor x(ir::DataType::kUInt8, {1, c, 7, 7});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = static_cast<uint8_t>(g() % 256);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  ir::Tensor w1(ir::DataType::kFP32, {mid, c, 3, 3}), w2(ir::DataType::kFP32, {oc, mid, 1, 1});
  for (ir::Tensor* w : {&w1, &w2}) {
    for (int64_t i = 0; i < w->numel(); ++i) w->data<float>()[i] = u(g);
  }
  auto attrs = [](float scale_in, float scale_out, int pad) {
    return ir::ProgramBuilder::Attrs{{"mkldnn_data_type", ir::Attribute::String("int8")},
                                     {"Scale_in", ir::Attribute::Float(scale_in)},
                                     {"Scale_weights", ir::Attribute::Floats({250.f})},
                                     {"Scale_out", ir::Attribute::Float(scale_out)},
                                     {"paddings", ir::Attribute::Ints({pad, pad})},
                                     {"fuse_activation", ir::Attribute::String("relu")}};
  };
  const ir::Program p = BuildProgram(
      {{"x", x}}, {{"w1", w1}, {"w2", w2}},
      {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w1"}}}, {{"Output", {"y1"}}}, attrs(40.f, 2.f, 1)},
       {"conv2d", {{"Input", {"y1"}}, {"Filter", {"w2"}}}, {{"Output", {"y2"}}}, attrs(2.f, 20.f, 0)}},
      {"y2"}, {{"y1", ir::DataType::kUInt8}, {"y2", ir::DataType::kUInt8}});
  const bool vnni = runtime::kernels::CpuHasAvx512Vnni();
  std::vector<ir::Tensor> outputs;
  for (runtime::ConvImplPolicy policy : {runtime::ConvImplPolicy::kTuned, runtime::ConvImplPolicy::kLibraryDefault}) {
    auto exec = runtime::Executor::Create(p, {.num_threads = 1, .conv_impl = policy});
    ASSERT_TRUE(exec.ok()) << exec.status().ToString();
    auto out = (*exec)->Run({x});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    auto stats = (*exec)->CurrentPlanStats();
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    const bool ours = vnni && policy == runtime::ConvImplPolicy::kTuned;
    EXPECT_EQ(stats->variant_steps.count("direct_conv_u8") ? stats->variant_steps.at("direct_conv_u8") : 0, ours ? 2 : 0);
    EXPECT_EQ(stats->num_weight_prefetch_links, ours ? 1 : 0);
    outputs.push_back((*out)[0]);
  }
  ASSERT_EQ(outputs[0].numel(), outputs[1].numel());
  int off = 0, nonzero = 0;
  for (int64_t i = 0; i < outputs[0].numel(); ++i) {
    const int a = outputs[0].data<uint8_t>()[i], e = outputs[1].data<uint8_t>()[i];
    off += std::abs(a - e) > 2;  // one quantum in y1 may become two in y2
    nonzero += a != 0;
  }
  EXPECT_EQ(off, 0);
  EXPECT_GT(nonzero, outputs[0].numel() / 4) << "a test that relu zeroes out proves little";
}

}  // namespace
}  // namespace q2i::testing
