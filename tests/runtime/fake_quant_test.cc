// Fake-quant simulation kernels, checked element by element against the spec (section 2).
#include <gtest/gtest.h>

#include <cmath>

#include "tests/runtime/op_test_util.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

float RoundAway(float v) { return std::round(v); }
float RoundEven(float v) { return std::nearbyint(v); }

// round_type 1 (or absent): round(127/s * clip(x, -s, s)); 0: clamp(rint(127/s * x), -128, 127).
float Q(float x, float s, bool even) {
  if (even) return std::clamp(RoundEven(127.f / s * x), -128.f, 127.f);
  return RoundAway(127.f / s * std::clamp(x, -s, s));
}

TEST(FakeQuantTest, MovingAverageQuantDequantUsesInScale) {
  ir::Tensor x = FloatTensor({2, 4}, {-3.f, -0.5f, 0.0f, 0.25f, 1.f, 1.99f, 2.5f, -2.01f});
  ir::Tensor scale = FloatTensor({1}, {2.f});
  for (int rt : {-1, 0, 1}) {
    ir::ProgramBuilder::Attrs attrs = {{"bit_length", Attribute::Int(8)}, {"is_test", Attribute::Bool(true)},
                                       {"moving_rate", Attribute::Float(0.9f)}};
    if (rt >= 0) attrs.push_back({"round_type", Attribute::Int(rt)});
    auto out = RunOp({"fake_quantize_dequantize_moving_average_abs_max", {{"X", {"x"}}, {"InScale", {"s"}}},
                      {{"Out", {"o"}}, {"OutScale", {"s"}}}, attrs},
                     {{"x", x}}, {{"s", scale}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float e = Q(x.data<float>()[i], 2.f, rt == 0) * 2.f / 127.f;
      EXPECT_FLOAT_EQ(out->data<float>()[i], e) << "round_type " << rt << " i " << i;
    }
  }
  // Quantize only (range / moving average): integer-valued output.
  for (const char* type : {"fake_quantize_range_abs_max", "fake_quantize_moving_average_abs_max"}) {
    auto out = RunOp({type, {{"X", {"x"}}, {"InScale", {"s"}}}, {{"Out", {"o"}}, {"OutScale", {"s"}}},
                      {{"is_test", Attribute::Bool(true)}}},
                     {{"x", x}}, {{"s", scale}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    for (int64_t i = 0; i < x.numel(); ++i) EXPECT_FLOAT_EQ(out->data<float>()[i], Q(x.data<float>()[i], 2.f, false));
  }
}

TEST(FakeQuantTest, HalfwayValuesFollowRoundType) {
  // 127/127 * x with x = k + 0.5 exactly: away vs even.
  ir::Tensor x = FloatTensor({4}, {0.5f, 1.5f, 2.5f, -2.5f});
  ir::Tensor s = FloatTensor({1}, {127.f});
  auto away = RunOp({"fake_quantize_range_abs_max", {{"X", {"x"}}, {"InScale", {"s"}}}, {{"Out", {"o"}}}, {}}, {{"x", x}}, {{"s", s}});
  auto even = RunOp({"fake_quantize_range_abs_max", {{"X", {"x"}}, {"InScale", {"s"}}}, {{"Out", {"o"}}},
                     {{"round_type", Attribute::Int(0)}}},
                    {{"x", x}}, {{"s", s}});
  ASSERT_TRUE(away.ok() && even.ok());
  EXPECT_TRUE(TensorsNear(*away, FloatTensor({4}, {1, 2, 3, -3}), 0, 0));
  EXPECT_TRUE(TensorsNear(*even, FloatTensor({4}, {0, 2, 2, -2}), 0, 0));
}

TEST(FakeQuantTest, AbsMaxOps) {
  ir::Tensor x = RandomTensor({3, 5}, 141, -4.f, 4.f);
  float t = 0;
  for (float v : x.values<float>()) t = std::max(t, std::fabs(v));
  auto q = RunOps({{"x", x}}, {}, {{"fake_quantize_abs_max", {{"X", {"x"}}}, {{"Out", {"o"}}, {"OutScale", {"os"}}}, {}}},
                  {"o", "os"});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_FLOAT_EQ((*q)[1].data<float>()[0], t);
  auto qdq = RunOp({"fake_quantize_dequantize_abs_max", {{"X", {"x"}}}, {{"Out", {"o"}}, {"OutScale", {"os"}}}, {}}, {{"x", x}});
  ASSERT_TRUE(qdq.ok());
  for (int64_t i = 0; i < x.numel(); ++i) {
    EXPECT_FLOAT_EQ((*q)[0].data<float>()[i], Q(x.data<float>()[i], t, false));
    EXPECT_FLOAT_EQ(qdq->data<float>()[i], Q(x.data<float>()[i], t, false) * t / 127.f);
  }
}

TEST(FakeQuantTest, ChannelWise) {
  ir::Tensor w = RandomTensor({4, 3, 2, 2}, 142, -1.f, 1.f);
  for (int axis : {0, 1}) {
    const int64_t channels = w.dims()[static_cast<size_t>(axis)];
    std::vector<float> t(static_cast<size_t>(channels), 0.f);
    for (int64_t i = 0; i < w.numel(); ++i) {
      const int64_t c = axis == 0 ? i / 12 : (i / 4) % 3;
      t[static_cast<size_t>(c)] = std::max(t[static_cast<size_t>(c)], std::fabs(w.data<float>()[i]));
    }
    for (const char* type : {"fake_channel_wise_quantize_abs_max", "fake_channel_wise_quantize_dequantize_abs_max"}) {
      const bool dq = std::string(type).find("dequantize") != std::string::npos;
      // As a parameter: folded at prepare time.
      auto out = RunOps({}, {{"w", w}}, {{type, {{"X", {"w"}}}, {{"Out", {"o"}}, {"OutScale", {"os"}}}, {{"quant_axis", Attribute::Int(axis)}}}},
                        {"o", "os"});
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      for (int64_t c = 0; c < channels; ++c) EXPECT_FLOAT_EQ((*out)[1].data<float>()[c], t[static_cast<size_t>(c)]);
      for (int64_t i = 0; i < w.numel(); ++i) {
        const float s = t[static_cast<size_t>(axis == 0 ? i / 12 : (i / 4) % 3)];
        const float q = Q(w.data<float>()[i], s, false);
        EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], dq ? q * s / 127.f : q) << type << " axis " << axis;
      }
    }
  }
}

TEST(FakeQuantTest, Dequantize) {
  ir::Tensor x = RandomIntTensor({2, 3, 2, 2}, 143);
  ir::Tensor s = FloatTensor({1}, {0.5f});
  auto out = RunOp({"fake_dequantize_max_abs", {{"X", {"x"}}, {"Scale", {"s"}}}, {{"Out", {"o"}}},
                    {{"max_range", Attribute::Float(127.f * 127.f / 3.f)}}},
                   {{"x", x}}, {{"s", s}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_NEAR(out->data<float>()[i], x.data<float>()[i] * 0.5f * 3.f / (127.f * 127.f), 1e-7);

  // Channel-wise, 1 scale (weights, quant_axis 0) and 2 scales (conv output: channel axis 1).
  ir::Tensor sc = FloatTensor({3}, {1.f, 2.f, 4.f});
  ir::Tensor w = RandomIntTensor({3, 2, 2, 2}, 144);
  auto one = RunOp({"fake_channel_wise_dequantize_max_abs", {{"X", {"w"}}, {"Scales", {"sc"}}}, {{"Out", {"o"}}},
                    {{"quant_bits", Attribute::Ints({8})}, {"quant_axis", Attribute::Int(0)}}},
                   {}, {{"w", w}, {"sc", sc}});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  for (int64_t i = 0; i < w.numel(); ++i) EXPECT_NEAR(one->data<float>()[i], w.data<float>()[i] * sc.data<float>()[i / 8] / 127.f, 1e-6);
  auto two = RunOp({"fake_channel_wise_dequantize_max_abs", {{"X", {"x"}}, {"Scales", {"sc", "s"}}}, {{"Out", {"o"}}},
                    {{"quant_bits", Attribute::Ints({8, 8})}}},
                   {{"x", x}}, {{"sc", sc}, {"s", s}});
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 4) % 3;
    EXPECT_NEAR(two->data<float>()[i], x.data<float>()[i] * sc.data<float>()[c] * 0.5f / (127.f * 127.f), 1e-7);
  }
  // After a mul ([M, N]): the channel is the last axis.
  ir::Tensor m = RandomIntTensor({2, 3}, 145);
  auto two2 = RunOp({"fake_channel_wise_dequantize_max_abs", {{"X", {"m"}}, {"Scales", {"sc", "s"}}}, {{"Out", {"o"}}},
                     {{"quant_bits", Attribute::Ints({8, 8})}}},
                    {{"m", m}}, {{"sc", sc}, {"s", s}});
  ASSERT_TRUE(two2.ok());
  for (int64_t i = 0; i < m.numel(); ++i)
    EXPECT_NEAR(two2->data<float>()[i], m.data<float>()[i] * sc.data<float>()[i % 3] * 0.5f / (127.f * 127.f), 1e-7);
}

TEST(FakeQuantTest, LinearOps) {
  ir::Tensor x = RandomTensor({2, 3, 4}, 146, -2.f, 2.f);
  ir::Tensor s1 = FloatTensor({1}, {1.5f}), s3 = FloatTensor({3}, {1.f, 2.f, 0.5f}), zp = ir::Tensor(ir::DataType::kInt32, {1});
  for (int rt : {0, 1}) {
    auto q = RunOp({"quantize_linear", {{"X", {"x"}}, {"Scale", {"s"}}, {"ZeroPoint", {"z"}}}, {{"Y", {"y"}}},
                    {{"quant_axis", Attribute::Int(-1)}, {"bit_length", Attribute::Int(8)}, {"round_type", Attribute::Int(rt)}}},
                   {{"x", x}}, {{"s", s1}, {"z", zp}});
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    for (int64_t i = 0; i < x.numel(); ++i) EXPECT_FLOAT_EQ(q->data<float>()[i], Q(x.data<float>()[i], 1.5f, rt == 0));
  }
  auto qc = RunOp({"quantize_linear", {{"X", {"x"}}, {"Scale", {"s"}}, {"ZeroPoint", {"z"}}}, {{"Y", {"y"}}},
                   {{"quant_axis", Attribute::Int(1)}, {"round_type", Attribute::Int(1)}}},
                  {{"x", x}}, {{"s", s3}, {"z", zp}});
  ASSERT_TRUE(qc.ok()) << qc.status().ToString();
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_FLOAT_EQ(qc->data<float>()[i], Q(x.data<float>()[i], s3.data<float>()[(i / 4) % 3], false));
  // dequantize_linear on a real INT8 weight, per channel on axis 0.
  ir::Tensor w8(ir::DataType::kInt8, {3, 2});
  for (int i = 0; i < 6; ++i) w8.data<int8_t>()[i] = static_cast<int8_t>(i * 20 - 60);
  auto dq = RunOp({"dequantize_linear", {{"X", {"w"}}, {"Scale", {"s"}}, {"ZeroPoint", {"z"}}}, {{"Y", {"y"}}},
                   {{"quant_axis", Attribute::Int(0)}}},
                  {}, {{"w", w8}, {"s", s3}, {"z", zp}});
  ASSERT_TRUE(dq.ok()) << dq.status().ToString();
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(dq->data<float>()[i], (i * 20 - 60) * s3.data<float>()[i / 2] / 127.f);
}

TEST(FakeQuantTest, ZeroScaleIsDefinedAndBadScaleIsAnError) {
  ir::Tensor x = FloatTensor({3}, {-1.f, 0.f, 2.f});
  auto out = RunOp({"fake_quantize_dequantize_moving_average_abs_max", {{"X", {"x"}}, {"InScale", {"s"}}}, {{"Out", {"o"}}}, {}},
                   {{"x", x}}, {{"s", FloatTensor({1}, {0.f})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (float v : out->values<float>()) EXPECT_EQ(v, 0.f);  // finite: Paddle's inverse(0) = 1/(0 + 1e-6)
  auto nan = RunOp({"fake_quantize_dequantize_moving_average_abs_max", {{"X", {"x"}}, {"InScale", {"s"}}}, {{"Out", {"o"}}}, {}},
                   {{"x", x}}, {{"s", FloatTensor({1}, {NAN})}});
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("fake_quantize_dequantize_moving_average_abs_max(id="), std::string::npos);
  EXPECT_NE(nan.status().message().find("'s'"), std::string::npos) << nan.status().ToString();
  auto zero_range = RunOp({"fake_dequantize_max_abs", {{"X", {"x"}}, {"Scale", {"s"}}}, {{"Out", {"o"}}},
                           {{"max_range", Attribute::Float(0.f)}}},
                          {{"x", x}}, {{"s", FloatTensor({1}, {1.f})}});
  ASSERT_FALSE(zero_range.ok());
}

}  // namespace
}  // namespace q2i::testing
