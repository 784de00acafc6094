// The 8-bit max pool (runtime/kernels/max_pool_8bit.h) against a plain loop, its support rule, and, through
// the executor, against oneDNN's INT8 pooling under the library policy.
#include "runtime/kernels/max_pool_8bit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "runtime/kernels/cpu_features.h"
#include "tests/runtime/op_test_util.h"
#include "tests/runtime/own_kernel_test_util.h"

namespace q2i::testing {
namespace {

using runtime::kernels::MaxPool8Nhwc;
using runtime::kernels::MaxPool8Shape;
using runtime::kernels::MaxPool8Supports;

struct PoolCase {
  int64_t n, c, h, w, k, stride, pad;
  bool ceil_mode, is_signed;
};

MaxPool8Shape ShapeOf(const PoolCase& p) {
  auto out = [&](int64_t size) {
    const int64_t span = size + 2 * p.pad - p.k;
    return (p.ceil_mode ? (span + p.stride - 1) / p.stride : span / p.stride) + 1;
  };
  return {.n = p.n, .c = p.c, .h = p.h, .w = p.w, .oh = out(p.h), .ow = out(p.w), .kh = p.k, .kw = p.k,
          .stride_h = p.stride, .stride_w = p.stride, .pad_top = p.pad, .pad_left = p.pad, .is_signed = p.is_signed};
}

// The maximum of each window clipped to the image, over the values as the shape's type.
std::vector<int> ReferenceMaxPool(const MaxPool8Shape& s, const std::vector<uint8_t>& src) {
  auto value = [&](int64_t i) { return s.is_signed ? static_cast<int>(static_cast<int8_t>(src[i])) : src[i]; };
  std::vector<int> out(s.n * s.oh * s.ow * s.c);
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox)
        for (int64_t c = 0; c < s.c; ++c) {
          int best = -1000;
          for (int64_t y = oy * s.stride_h - s.pad_top; y < oy * s.stride_h - s.pad_top + s.kh; ++y)
            for (int64_t x = ox * s.stride_w - s.pad_left; x < ox * s.stride_w - s.pad_left + s.kw; ++x)
              if (y >= 0 && y < s.h && x >= 0 && x < s.w) best = std::max(best, value(((b * s.h + y) * s.w + x) * s.c + c));
          out[((b * s.oh + oy) * s.ow + ox) * s.c + c] = best;
        }
  return out;
}

class MaxPool8Test : public ::testing::TestWithParam<PoolCase> {};

TEST_P(MaxPool8Test, MatchesPlainLoop) {
  if (!runtime::kernels::CpuHasAvx512Vnni()) GTEST_SKIP() << "no AVX-512 VNNI: the op stays on oneDNN";
  const MaxPool8Shape s = ShapeOf(GetParam());
  ASSERT_TRUE(MaxPool8Supports(s));
  std::mt19937 g(17);
  std::vector<uint8_t> src(s.n * s.h * s.w * s.c);
  for (auto& v : src) v = static_cast<uint8_t>(g());
  // Guard bytes past the output catch stores beyond it.
  const size_t out_size = s.n * s.oh * s.ow * s.c;
  std::vector<uint8_t> dst(out_size + 64, 0xA5);
  MaxPool8Nhwc(s, src.data(), dst.data());
  const std::vector<int> want = ReferenceMaxPool(s, src);
  int bad = 0;
  for (size_t i = 0; i < out_size && bad < 5; ++i) {
    const int got = s.is_signed ? static_cast<int>(static_cast<int8_t>(dst[i])) : dst[i];
    if (got != want[i]) {
      ADD_FAILURE() << "[" << i << "] " << got << " != " << want[i];
      ++bad;
    }
  }
  for (size_t i = out_size; i < dst.size(); ++i) ASSERT_EQ(dst[i], 0xA5) << "store past the output at " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MaxPool8Test,
    ::testing::Values(PoolCase{1, 64, 112, 112, 3, 2, 1, false, false},  // ResNet50's, on the threads
                      PoolCase{1, 64, 112, 112, 3, 2, 1, false, true},
                      PoolCase{2, 3, 9, 9, 3, 2, 1, false, false},       // channel tail only
                      PoolCase{1, 100, 13, 13, 3, 2, 0, true, false},    // SqueezeNet's ceil mode, 64 + 36
                      PoolCase{1, 130, 10, 11, 3, 2, 0, true, true},
                      PoolCase{2, 17, 8, 8, 2, 2, 0, false, true},
                      PoolCase{1, 64, 5, 5, 2, 2, 0, false, false},      // floor mode drops the last row
                      PoolCase{1, 128, 7, 7, 3, 1, 1, false, true},
                      PoolCase{1, 32, 12, 12, 5, 3, 2, true, false},
                      PoolCase{3, 1, 4, 4, 1, 1, 0, false, false}));

TEST(MaxPool8Test, SupportsOnlyWindowsThatMeetTheImage) {
  MaxPool8Shape s = ShapeOf({1, 64, 8, 8, 3, 2, 1, false, false});
  EXPECT_EQ(MaxPool8Supports(s), runtime::kernels::CpuHasAvx512Vnni());
  MaxPool8Shape pad_as_wide = s;
  pad_as_wide.pad_top = 3;  // the first window lies entirely in the padding
  EXPECT_FALSE(MaxPool8Supports(pad_as_wide));
  MaxPool8Shape past_end = s;
  past_end.ow = 6;  // output column 5 starts at input column 9 of 8
  EXPECT_FALSE(MaxPool8Supports(past_end));
  MaxPool8Shape no_stride = s;
  no_stride.stride_h = 0;
  EXPECT_FALSE(MaxPool8Supports(no_stride));
  MaxPool8Shape empty = s;
  empty.c = 0;
  EXPECT_FALSE(MaxPool8Supports(empty));
}

// Through the executor: an INT8 conv (NHWC u8 out) feeding an INT8 max pool, as ResNet50's stem. The pool
// runs on the kernel under the tuned policy only, with oneDNN's results.
TEST(MaxPool8Test, ExecutorRunsInt8MaxPoolOnIt) {
  const int64_t ic = 16, oc = 64;
  std::mt19937 g(5);
  ir::Tensor x(ir::DataType::kUInt8, {1, ic, 20, 20});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = static_cast<uint8_t>(g() % 256);
  ir::Tensor w(ir::DataType::kFP32, {oc, ic, 1, 1});
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = u(g);
  const ir::Attribute int8 = ir::Attribute::String("int8");
  const ir::Program p = BuildProgram(
      {{"x", x}}, {{"w", w}},
      {{"conv2d",
        {{"Input", {"x"}}, {"Filter", {"w"}}},
        {{"Output", {"c"}}},
        {{"mkldnn_data_type", int8},
         {"Scale_in", ir::Attribute::Float(40.f)},
         {"Scale_weights", ir::Attribute::Floats({250.f})},
         {"Scale_out", ir::Attribute::Float(3.f)},
         {"fuse_activation", ir::Attribute::String("relu")}}},
       {"pool2d",
        {{"X", {"c"}}},
        {{"Out", {"y"}}},
        {{"mkldnn_data_type", int8},
         {"pooling_type", ir::Attribute::String("max")},
         {"ksize", ir::Attribute::Ints({3, 3})},
         {"strides", ir::Attribute::Ints({2, 2})},
         {"paddings", ir::Attribute::Ints({1, 1})}}}},
      {"y"}, {{"c", ir::DataType::kUInt8}, {"y", ir::DataType::kUInt8}});
  const ir::Tensor y = ExpectOwnKernelUnderTunedOnly(p, {x}, "max_pool_8bit", runtime::kernels::CpuHasAvx512Vnni());
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{1, oc, 10, 10}));
}

}  // namespace
}  // namespace q2i::testing
