// The executor's own NCHW -> NHWC interleaving (runtime/nchw_to_nhwc.h): which reorders it takes, and
// byte equality with oneDNN's reorder.
#include "runtime/nchw_to_nhwc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/executor.h"
#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

bool HasAvx2() { return __builtin_cpu_supports("avx2"); }

TEST(NchwToNhwcTest, MatchesOnlyFewChannelPlainToNhwc) {
  if (!HasAvx2()) GTEST_SKIP() << "no AVX2: the executor keeps oneDNN's reorder";
  const memory::dims d = {2, 3, 5, 7};
  auto m = runtime::MatchNchwToNhwc(memory::desc(d, dt::f32, tag::abcd), memory::desc(d, dt::f32, tag::acdb));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->n, 2);
  EXPECT_EQ(m->c, 3);
  EXPECT_EQ(m->hw, 35);
  EXPECT_EQ(m->elem_size, 4u);
  EXPECT_TRUE(runtime::MatchNchwToNhwc(memory::desc(d, dt::s8, tag::abcd), memory::desc(d, dt::s8, tag::acdb)));
  // Not this case: many channels, type changes, other directions and layouts, 1 channel.
  const memory::dims wide = {1, 16, 5, 7}, one = {1, 1, 5, 7};
  EXPECT_FALSE(runtime::MatchNchwToNhwc(memory::desc(wide, dt::f32, tag::abcd), memory::desc(wide, dt::f32, tag::acdb)));
  EXPECT_FALSE(runtime::MatchNchwToNhwc(memory::desc(d, dt::f32, tag::abcd), memory::desc(d, dt::s8, tag::acdb)));
  EXPECT_FALSE(runtime::MatchNchwToNhwc(memory::desc(d, dt::f32, tag::acdb), memory::desc(d, dt::f32, tag::abcd)));
  EXPECT_FALSE(runtime::MatchNchwToNhwc(memory::desc(d, dt::f32, tag::abcd), memory::desc(d, dt::f32, tag::aBcd16b)));
  EXPECT_FALSE(runtime::MatchNchwToNhwc(memory::desc(d, dt::bf16, tag::abcd), memory::desc(d, dt::bf16, tag::acdb)));
  EXPECT_FALSE(runtime::MatchNchwToNhwc(memory::desc(one, dt::f32, tag::abcd), memory::desc(one, dt::f32, tag::acdb)));
}

// Same bytes as oneDNN's reorder, for every channel count it takes, both element sizes, odd pixel
// counts (vector tails) and a full 224x224 image.
TEST(NchwToNhwcTest, SameBytesAsTheOneDnnReorder) {
  if (!HasAvx2()) GTEST_SKIP() << "no AVX2: the executor keeps oneDNN's reorder";
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  for (dt type : {dt::f32, dt::s8, dt::u8}) {
    for (const memory::dims& d : std::vector<memory::dims>{{1, 2, 3, 5}, {2, 3, 7, 9}, {3, 4, 1, 33}, {1, 3, 224, 224}}) {
      memory src({d, type, tag::abcd}, engine), ours({d, type, tag::acdb}, engine), theirs({d, type, tag::acdb}, engine);
      auto* bytes = static_cast<uint8_t*>(src.get_data_handle());
      const size_t n = src.get_desc().get_size();
      // Byte patterns that are finite floats and distinct per position.
      for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>((i * 37 + i / 251) % 127);
      std::memset(ours.get_data_handle(), 0xAB, n);
      auto m = runtime::MatchNchwToNhwc(src.get_desc(), ours.get_desc());
      ASSERT_TRUE(m.has_value());
      runtime::RunNchwToNhwc(*m, src.get_data_handle(), ours.get_data_handle());
      dnnl::reorder(src, theirs).execute(stream, src, theirs);
      stream.wait();
      EXPECT_EQ(std::memcmp(ours.get_data_handle(), theirs.get_data_handle(), n), 0)
          << "dims " << d[0] << "x" << d[1] << "x" << d[2] << "x" << d[3] << " type " << static_cast<int>(type);
    }
  }
}

// Through the executor: an RGB image into a convolution that wants NHWC (as ResNet50's first one, on
// AVX-512 and AVX2 machines) runs the interleaving step and gives the reference result.
TEST(NchwToNhwcTest, ExecutorRunsItInFrontOfAConvolution) {
  if (!HasAvx2()) GTEST_SKIP() << "no AVX2: the executor keeps oneDNN's reorder";
  const ir::Tensor w = RandomTensor({64, 3, 7, 7}, 5);
  ir::Program p = BuildProgram(
      {{"x", ir::Tensor(ir::DataType::kFP32, {2, 3, 32, 32})}}, {{"w", w}},
      {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}},
        {{"paddings", ir::Attribute::Ints({3, 3})}, {"strides", ir::Attribute::Ints({2, 2})}}}},
      {"y"});
  auto exec = runtime::Executor::Create(p, {.num_threads = 1});
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  const ir::Tensor x = RandomTensor({2, 3, 32, 32}, 6);
  auto out = (*exec)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto stats = (*exec)->CurrentPlanStats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->num_nchw_to_nhwc_steps, 1);
  ref::Conv2dParams cp;
  cp.stride_h = cp.stride_w = 2;
  cp.pad_t = cp.pad_b = cp.pad_l = cp.pad_r = 3;
  EXPECT_TRUE(TensorsNear((*out)[0], ref::Conv2d(x, w, nullptr, cp), 1e-4, 1e-4));
}

}  // namespace
}  // namespace q2i::testing
