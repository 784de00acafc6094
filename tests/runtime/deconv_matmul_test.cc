// conv2d_transpose with filter = stride as matmuls (runtime/kernels/deconv_matmul.h): the same values as
// the reference (with a bias and a fused activation), taken only under the tuned policy and only for
// that shape.
#include <gtest/gtest.h>

#include "runtime/executor.h"
#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

int DeconvMatmulSteps(const runtime::Executor& exec) {
  auto stats = exec.CurrentPlanStats();
  EXPECT_TRUE(stats.ok());
  if (!stats.ok()) return -1;
  auto it = stats->variant_steps.find("deconv_matmul");
  return it == stats->variant_steps.end() ? 0 : it->second;
}

struct Built {
  ir::Program program;
  ir::Tensor x, expected;
};

// PP-OCR's DB head: 2x2 stride 2 with a bias and relu, batch 2. `pad` > 0 makes it an ordinary deconv.
Built DbHeadDeconv(int pad) {
  Built b;
  b.x = RandomTensor({2, 24, 10, 9}, 31);
  const ir::Tensor w = RandomTensor({24, 16, 2, 2}, 32), bias = RandomTensor({16}, 33);
  ref::Conv2dParams p;
  p.stride_h = p.stride_w = 2;
  p.pad_t = p.pad_b = p.pad_l = p.pad_r = pad;
  ir::Tensor y = ref::Conv2dTranspose(b.x, w, p, 0, 0);
  const int64_t plane = y.dims()[2] * y.dims()[3];
  for (int64_t i = 0; i < y.numel(); ++i) {
    float& v = y.data<float>()[i];
    v = std::max(0.f, v + bias.data<float>()[(i / plane) % 16]);
  }
  b.expected = y;
  b.program = BuildProgram({{"x", b.x}}, {{"w", w}, {"b", bias}},
                           {{"conv2d_transpose", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}}, {{"Output", {"y"}}},
                             {{"strides", Attribute::Ints({2, 2})},
                              {"paddings", Attribute::Ints({pad, pad})},
                              {"fuse_activation", Attribute::String("relu")}}}},
                           {"y"});
  return b;
}

TEST(DeconvAsMatmulTest, FilterEqualToStrideRunsAsMatmulsWithBiasAndActivation) {
  for (runtime::ConvImplPolicy policy : {runtime::ConvImplPolicy::kTuned, runtime::ConvImplPolicy::kLibraryDefault}) {
    const Built b = DbHeadDeconv(0);
    auto exec = runtime::Executor::Create(b.program, {.num_threads = 2, .conv_impl = policy});
    ASSERT_TRUE(exec.ok()) << exec.status().ToString();
    auto out = (*exec)->Run({b.x});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(DeconvMatmulSteps(**exec), policy == runtime::ConvImplPolicy::kTuned ? 1 : 0);
    EXPECT_TRUE(TensorsNear((*out)[0], b.expected, 1e-4, 1e-4));
  }
}

TEST(DeconvAsMatmulTest, OneOutputChannelKeepsTheDeconvolution) {
  const ir::Tensor x = RandomTensor({1, 24, 6, 6}, 34), w = RandomTensor({24, 1, 2, 2}, 35);
  const ir::Program p = BuildProgram({{"x", x}}, {{"w", w}},
                                     {{"conv2d_transpose", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}},
                                       {{"strides", Attribute::Ints({2, 2})}}}},
                                     {"y"});
  auto exec = runtime::Executor::Create(p, {.num_threads = 1});
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  auto out = (*exec)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(DeconvMatmulSteps(**exec), 0) << "2 columns per matmul row: slower than the deconvolution";
  ref::Conv2dParams cp;
  cp.stride_h = cp.stride_w = 2;
  EXPECT_TRUE(TensorsNear((*out)[0], ref::Conv2dTranspose(x, w, cp, 0, 0), 1e-4, 1e-4));
}

TEST(DeconvAsMatmulTest, OverlappingWindowsKeepTheDeconvolution) {
  const Built b = DbHeadDeconv(1);  // padding: the output blocks are cropped
  auto exec = runtime::Executor::Create(b.program, {.num_threads = 1});
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  auto out = (*exec)->Run({b.x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(DeconvMatmulSteps(**exec), 0);
  EXPECT_TRUE(TensorsNear((*out)[0], b.expected, 1e-4, 1e-4));
}

}  // namespace
}  // namespace q2i::testing
