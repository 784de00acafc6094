// The post-op chain of an INT8 convolution with training roundings (runtime/kernels/training_rounding.h):
// the pre-activation clip to +-127 joins a following relu or relu6 into one bounded_relu, and oneDNN then
// gives the same bytes as the chain written out step by step.
#include "runtime/kernels/training_rounding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/runtime/own_kernel_test_util.h"

namespace q2i {
namespace {

using dnnl::algorithm;
using runtime::kernels::Activation;
using runtime::kernels::EltwiseStep;
using runtime::kernels::TrainingRounding;

constexpr int64_t kC = 32, kOc = 64, kH = 9, kW = 9;

// A 1x1 u8 convolution with a residual sum into a u8 destination, run under the given post-op chain.
struct Conv {
  std::vector<uint8_t> src;
  std::vector<int8_t> weights;
  std::vector<float> residual, scales;

  std::vector<float> Run(const dnnl::post_ops& ops) const {
    testing::OneDnnU8Conv c;
    c.src_dims = {1, kC, kH, kW};
    c.dst_dims = {1, kOc, kH, kW};
    c.weight_dims = {kOc, kC, 1, 1};
    c.src = src.data();
    c.weights = weights.data();
    c.scales = scales;
    c.residual = residual;
    c.post_ops = &ops;
    c.strides = {1, 1};
    c.dilations = {0, 0};
    c.pad_l = {0, 0};
    c.pad_r = {0, 0};
    return testing::RunOneDnnU8Conv(c);
  }
};

Conv MakeConv(uint32_t seed) {
  std::mt19937 g(seed);
  Conv c;
  c.src.resize(kC * kH * kW);
  for (auto& v : c.src) v = static_cast<uint8_t>(g() % 256);
  c.weights.resize(kOc * kC);
  for (auto& v : c.weights) v = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
  c.residual.resize(kOc * kH * kW);
  for (auto& v : c.residual) v = static_cast<float>(g() % 256);
  std::uniform_real_distribution<float> scale(0.0005f, 0.004f);  // accumulators to about +-300
  for (int64_t o = 0; o < kOc; ++o) c.scales.push_back(scale(g));
  return c;
}

struct ChainCase {
  std::string name;
  bool pre_residual;
  EltwiseStep act;        // relu, or relu6 as clip [0, bound in post units]
  float expected_bound;   // of the joined bounded_relu, in sum units
};

TEST(TrainingRoundingTest, PreActivationClipJoinsReluAndRelu6Exactly) {
  const float sum_units = 40.f, post_units = 30.f, pre_residual = 50.f, sum_scale = 0.8f;
  const float rescale = post_units / sum_units;
  const std::vector<ChainCase> cases = {
      {"relu", true, {algorithm::eltwise_relu, 0.f, 0.f}, 127.f},
      {"relu, no pre-residual rounding", false, {algorithm::eltwise_relu, 0.f, 0.f}, 127.f},
      {"relu6 bound below 127", true, {algorithm::eltwise_clip, 0.f, 60.f}, 60.f / rescale},
      {"relu6 bound above 127", true, {algorithm::eltwise_clip, 0.f, 120.f}, 127.f},
  };
  const Conv conv = MakeConv(11);
  for (const ChainCase& c : cases) {
    SCOPED_TRACE(c.name);
    TrainingRounding r;
    if (c.pre_residual) r.pre_residual = pre_residual;
    r.pre_activation = sum_units;
    r.sum_units = sum_units;
    r.post_units = post_units;
    r.conv_units = c.pre_residual ? pre_residual : sum_units;
    const Activation act{.name = c.act.alg == algorithm::eltwise_relu ? "relu" : "relu6",
                         .steps = {c.act},
                         .commutes_with_scale = true};
    dnnl::post_ops joined;
    runtime::kernels::AppendPreSumRounding(joined, r);
    joined.append_sum(sum_scale);
    runtime::kernels::AppendPostSumRoundingAndActivation(joined, r, act);

    // The same chain step by step: round, clip, the activation with the rescale as its scale.
    dnnl::post_ops steps;
    runtime::kernels::AppendPreSumRounding(steps, r);
    steps.append_sum(sum_scale);
    steps.append_eltwise(1.f, algorithm::eltwise_round, 0.f, 0.f);
    steps.append_eltwise(1.f, algorithm::eltwise_clip, -127.f, 127.f);
    if (c.act.alg == algorithm::eltwise_relu) {
      steps.append_eltwise(rescale, algorithm::eltwise_relu, 0.f, 0.f);
    } else {
      steps.append_eltwise(rescale, algorithm::eltwise_bounded_relu, c.act.beta / rescale, 0.f);
    }
    ASSERT_EQ(joined.len(), steps.len() - 1) << "clip and activation joined into one step";
    float scale = 0, alpha = 0, beta = 0;
    algorithm alg;
    joined.get_params_eltwise(joined.len() - 1, scale, alg, alpha, beta);
    EXPECT_EQ(alg, algorithm::eltwise_bounded_relu);
    EXPECT_FLOAT_EQ(alpha, c.expected_bound);
    EXPECT_FLOAT_EQ(scale, rescale);

    const std::vector<float> got = conv.Run(joined), want = conv.Run(steps);
    EXPECT_EQ(got, want);
    // Not vacuous: some values sit at the clip's level and some below it.
    const float top = std::min(127.f, c.expected_bound) * rescale;
    EXPECT_GT(std::count(want.begin(), want.end(), std::nearbyint(top)), 0);
    EXPECT_GT(std::count_if(want.begin(), want.end(), [&](float v) { return v > 0 && v < top - 1; }), 0);
  }
}

// leaky_relu does not join: its clip stays a separate step.
TEST(TrainingRoundingTest, LeakyReluKeepsTheClip) {
  TrainingRounding r;
  r.pre_activation = 40.f;
  r.sum_units = 40.f;
  r.post_units = 30.f;
  r.conv_units = 40.f;
  const Activation act{.name = "leaky_relu", .steps = {{algorithm::eltwise_relu, 0.1f, 0.f}},
                       .commutes_with_scale = true};
  dnnl::post_ops ops;
  runtime::kernels::AppendPostSumRoundingAndActivation(ops, r, act);
  ASSERT_EQ(ops.len(), 3);
  float scale = 0, alpha = 0, beta = 0;
  algorithm alg;
  ops.get_params_eltwise(1, scale, alg, alpha, beta);
  EXPECT_EQ(alg, algorithm::eltwise_clip);
  ops.get_params_eltwise(2, scale, alg, alpha, beta);
  EXPECT_EQ(alg, algorithm::eltwise_relu);
  EXPECT_FLOAT_EQ(alpha, 0.1f);
}

}  // namespace
}  // namespace q2i
