// Tests of the scale-gathering passes: mark-skip-quant, collect-scales, remove-fake-quant,
// dequantize-weights, compute-weight-scales, mark-unsigned, propagate-scales.
#include <gtest/gtest.h>

#include <cmath>

#include "ir/program_builder.h"
#include "passes/passes.h"
#include "passes/quant_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::passes {
namespace {

using ir::Attribute;
using ir::Tensor;
using testing::FindOp;
using testing::OpTypes;
using testing::RandomIntTensor;
using testing::RandomTensor;
using testing::RunPassOk;

ir::ProgramBuilder::Attrs ConvAttrs() {
  return {{"strides", Attribute::Ints({1, 1})}, {"paddings", Attribute::Ints({0, 0})},
          {"dilations", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(1)}};
}

// Dygraph export: x -> fake_qdq(InScale = 2) -> conv(Filter via channel-wise qdq) -> y (out_threshold 4)
ir::Program DygraphConv(float in_threshold = 2.0f) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  b.Param("x.scale", Tensor::FromVector<float>({1}, {in_threshold}));
  b.AddOp("fake_quantize_dequantize_moving_average_abs_max", {{"X", {"x"}}, {"InScale", {"x.scale"}}},
          {{"Out", {"x.qdq"}}, {"OutScale", {"x.scale"}}}, {{"bit_length", Attribute::Int(8)}});
  b.Param("w", RandomTensor({3, 2, 1, 1}, 1));
  b.AddOp("fake_channel_wise_quantize_dequantize_abs_max", {{"X", {"w"}}}, {{"Out", {"w.qdq"}}, {"OutScale", {"w.s"}}},
          {{"quant_axis", Attribute::Int(0)}});
  auto attrs = ConvAttrs();
  attrs.push_back({"out_threshold", Attribute::Float(4.0f)});
  b.AddOp("conv2d", {{"Input", {"x.qdq"}}, {"Filter", {"w.qdq"}}}, {{"Output", {"y"}}}, attrs);
  b.Output("y");
  return b.Build();
}

// Frozen QAT-v1: x -> fake_quant(InScale = 1.5) -> conv(integer filter) -> fake_dequantize_max_abs -> y
ir::Program FrozenConv(std::vector<double> weight_thresholds) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  b.Param("x.scale", Tensor::FromVector<float>({1}, {1.5f}));
  b.AddOp("fake_quantize_moving_average_abs_max", {{"X", {"x"}}, {"InScale", {"x.scale"}}},
          {{"Out", {"x.quantized"}}, {"OutScale", {"x.scale"}}}, {{"bit_length", Attribute::Int(8)}});
  b.Param("w", RandomIntTensor({3, 2, 1, 1}, 2));
  b.AddOp("conv2d", {{"Input", {"x.quantized"}}, {"Filter", {"w"}}}, {{"Output", {"c"}}}, ConvAttrs());
  if (weight_thresholds.size() == 1) {
    b.AddOp("fake_dequantize_max_abs", {{"X", {"c"}}, {"Scale", {"x.scale"}}}, {{"Out", {"y"}}},
            {{"max_range", Attribute::Float(static_cast<float>(127.0 * 127.0 / weight_thresholds[0]))}});
  } else {
    std::vector<float> t(weight_thresholds.begin(), weight_thresholds.end());
    b.Param("w.scales", Tensor::FromVector<float>({static_cast<int64_t>(t.size())}, t));
    b.AddOp("fake_channel_wise_dequantize_max_abs", {{"X", {"c"}}, {"Scales", {"w.scales", "x.scale"}}},
            {{"Out", {"y"}}}, {{"quant_bits", Attribute::Ints({8, 8})}});
  }
  b.Output("y");
  return b.Build();
}

double ScaleOf(const ir::Program& p, const std::string& name) {
  const ir::Var* v = p.FindVar(name);
  return (v && v->quant) ? v->quant->scales[0] : -1;
}

TEST(MarkSkipQuantTest, MarksConvWhoseInputIsNotFakeQuantized) {
  ir::Program p = DygraphConv();
  ir::Op& conv = p.op(3);
  ASSERT_EQ(conv.type(), "conv2d");
  conv.SetInput("Input", {"x"});  // bypass the fake op
  EXPECT_TRUE(RunPassOk(*CreateMarkSkipQuantPass(), p));
  EXPECT_TRUE(p.op(3).GetBool("skip_quant").value());
}

TEST(MarkSkipQuantTest, LeavesQuantizedConvAlone) {
  ir::Program p = DygraphConv();
  EXPECT_FALSE(RunPassOk(*CreateMarkSkipQuantPass(), p));
  EXPECT_FALSE(p.op(3).HasAttr("skip_quant"));
}

TEST(CollectScalesTest, FakeOpScalesWinOverOutThreshold) {
  ir::Program p = DygraphConv();
  FindOp(p, "fake_quantize_dequantize_moving_average_abs_max");
  p.op(1).SetAttr("out_threshold", Attribute::Float(100.0f));  // must lose against InScale = 2
  EXPECT_TRUE(RunPassOk(*CreateCollectScalesPass(), p));
  EXPECT_DOUBLE_EQ(ScaleOf(p, "x"), 0.5);
  EXPECT_DOUBLE_EQ(ScaleOf(p, "x.qdq"), 0.5);
  EXPECT_DOUBLE_EQ(ScaleOf(p, "y"), 0.25);  // from out_threshold 4
}

TEST(CollectScalesTest, WeightThresholdsFromFakeDequantize) {
  ir::Program p = FrozenConv({0.8});
  PassContext ctx;
  EXPECT_TRUE(RunPassOk(*CreateCollectScalesPass(), p, &ctx));
  ASSERT_TRUE(ctx.weight_thresholds().count("w"));
  EXPECT_NEAR(ctx.weight_thresholds()["w"][0], 0.8, 1e-6);
  ir::Program q = FrozenConv({0.5, 1.0, 2.0});
  PassContext ctx2;
  EXPECT_TRUE(RunPassOk(*CreateCollectScalesPass(), q, &ctx2));
  EXPECT_EQ(ctx2.weight_thresholds()["w"], std::vector<double>({0.5, 1.0, 2.0}));
}

TEST(CollectScalesTest, NoFakeOpsNoScales) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 4});
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"y"}}});
  b.Output("y");
  ir::Program p = b.Build();
  EXPECT_FALSE(RunPassOk(*CreateCollectScalesPass(), p));
}

TEST(CollectScalesTest, ZeroThresholdIsAnErrorNamingTheOp) {
  ir::Program p = DygraphConv(0.0f);
  PassContext ctx;
  auto r = CreateCollectScalesPass()->Run(p, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fake_quantize_dequantize_moving_average_abs_max"), std::string::npos);
  EXPECT_NE(r.status().message().find("x.scale"), std::string::npos);
}

TEST(RemoveFakeQuantTest, RewiresConsumersToInputs) {
  ir::Program p = DygraphConv();
  ASSERT_TRUE(RunPassOk(*CreateCollectScalesPass(), p));
  EXPECT_TRUE(RunPassOk(*CreateRemoveFakeQuantPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,conv2d,fetch");
  EXPECT_EQ(FindOp(p, "conv2d")->Input("Input"), "x");
  EXPECT_EQ(FindOp(p, "conv2d")->Input("Filter"), "w");
  EXPECT_DOUBLE_EQ(ScaleOf(p, "x"), 0.5);
}

TEST(RemoveFakeQuantTest, NothingToRemove) {
  ir::Program p = DygraphConv();
  ASSERT_TRUE(RunPassOk(*CreateRemoveFakeQuantPass(), p));
  EXPECT_FALSE(RunPassOk(*CreateRemoveFakeQuantPass(), p));
}

TEST(DequantizeWeightsTest, PerChannelIntegerWeights) {
  ir::Program p = FrozenConv({0.5, 1.0, 2.0});
  PassContext ctx;
  const Tensor q = p.FindParam("w")->Clone();
  ASSERT_TRUE(RunPassOk(*CreateCollectScalesPass(), p, &ctx));
  EXPECT_TRUE(RunPassOk(*CreateDequantizeWeightsPass(), p, &ctx));
  const Tensor& w = *p.FindParam("w");
  const double t[3] = {0.5, 1.0, 2.0};
  for (int64_t i = 0; i < w.numel(); ++i)
    EXPECT_NEAR(w.data<float>()[i], q.data<float>()[i] / 127.0 * t[i / 2], 1e-6);
}

TEST(DequantizeWeightsTest, NonIntegerWeightIsLeftAlone) {
  ir::Program p = FrozenConv({0.8});
  p.SetParam("w", RandomTensor({3, 2, 1, 1}, 9));
  PassContext ctx;
  ASSERT_TRUE(RunPassOk(*CreateCollectScalesPass(), p, &ctx));
  const Tensor before = p.FindParam("w")->Clone();
  EXPECT_FALSE(RunPassOk(*CreateDequantizeWeightsPass(), p, &ctx));
  EXPECT_TRUE(p.FindParam("w")->IdenticalTo(before));
  EXPECT_FALSE(ctx.remarks().empty());
}

TEST(DequantizeWeightsTest, SquareMulWeightUsesColumnAxis) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2});
  b.Param("w", Tensor::FromVector<float>({2, 2}, {127, 127, 127, 127}));
  b.AddOp("mul", {{"X", {"x"}}, {"Y", {"w"}}}, {{"Out", {"y"}}});
  b.Output("y");
  ir::Program p = b.Build();
  PassContext ctx;
  ctx.weight_thresholds()["w"] = {1.0, 3.0};  // per output column
  EXPECT_TRUE(RunPassOk(*CreateDequantizeWeightsPass(), p, &ctx));
  EXPECT_EQ(std::vector<float>(p.FindParam("w")->values<float>().begin(), p.FindParam("w")->values<float>().end()),
            std::vector<float>({1, 3, 1, 3}));
}

TEST(ComputeWeightScalesTest, PerOutputChannelAndZeroChannel) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 1, 2, 2});
  b.Param("w", Tensor::FromVector<float>({2, 1, 1, 2}, {0.5f, -2.0f, 0.0f, 0.0f}));
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}}, ConvAttrs());
  b.Output("y");
  ir::Program p = b.Build();
  EXPECT_TRUE(RunPassOk(*CreateComputeWeightScalesPass(), p));
  EXPECT_EQ(p.FindVar("w")->quant->scales, std::vector<double>({0.5, 1.0}));
}

// A per-tensor quantized conv weight whose channels reach 20, 127 and 3 of the 127 levels.
ir::Program PerTensorConv() {
  ir::Program p = FrozenConv({0.8});
  p.SetParam("w", Tensor::FromVector<float>({3, 2, 1, 1}, {10, -20, 127, 5, -3, 1}));
  return p;
}

TEST(DequantizeWeightsTest, RecordsTrainedChannelMax) {
  ir::Program p = PerTensorConv();
  PassContext ctx;
  ASSERT_TRUE(RunPassOk(*CreateCollectScalesPass(), p, &ctx));
  ASSERT_TRUE(RunPassOk(*CreateDequantizeWeightsPass(), p, &ctx));
  EXPECT_EQ(ctx.trained_weight_max()["w"], std::vector<double>({20, 127, 3}));
}

// Numeric equivalence: after dequantize-weights, a batch_norm fold (per-channel factors, one negative)
// and compute-weight-scales, W * s * 127 gives back exactly the trained integers
// (sign-flipped where the factor is negative).
TEST(ComputeWeightScalesTest, KeepsTrainedIntegersThroughBatchNormFold) {
  for (const std::string name : {"w", "w.fused_0"}) {
    ir::Program p = PerTensorConv();
    PassContext ctx;
    ASSERT_TRUE(RunPassOk(*CreateCollectScalesPass(), p, &ctx));
    ASSERT_TRUE(RunPassOk(*CreateRemoveFakeQuantPass(), p, &ctx));
    ASSERT_TRUE(RunPassOk(*CreateDequantizeWeightsPass(), p, &ctx));
    const double gamma[3] = {0.37, -1.7, 3.1};
    Tensor folded = p.FindParam("w")->Clone();
    for (int64_t i = 0; i < folded.numel(); ++i) folded.data<float>()[i] *= static_cast<float>(gamma[i / 2]);
    if (name != "w") {  // a fusion's copy of a shared weight
      ir::Var v = *p.FindVar("w");
      v.name = name;
      p.SetVar(v);
      for (const auto& op : p.ops())
        if (op->type() == "conv2d") op->SetInput("Filter", {name});
    }
    p.SetParam(name, std::move(folded));
    ASSERT_TRUE(RunPassOk(*CreateComputeWeightScalesPass(), p, &ctx));
    const std::vector<double>& s = p.FindVar(name)->quant->scales;
    ASSERT_EQ(s.size(), 3u);
    const float q[6] = {10, -20, 127, 5, -3, 1};
    const Tensor& w = *p.FindParam(name);
    for (int64_t i = 0; i < w.numel(); ++i) {
      const double v = w.data<float>()[i] * s[static_cast<size_t>(i / 2)] * 127.0;
      const double expected = gamma[i / 2] < 0 ? -q[i] : q[i];  // a negative factor flips the sign only
      EXPECT_NEAR(v, expected, 1e-4) << name << " element " << i;
    }
    EXPECT_EQ(ctx.stats().at("compute-weight-scales").at("trained_grid"), 1);
  }
}

TEST(ComputeWeightScalesTest, WithoutTrainedGridUsesChannelMax) {
  ir::Program p = PerTensorConv();
  PassContext ctx;
  ASSERT_TRUE(RunPassOk(*CreateCollectScalesPass(), p, &ctx));
  ASSERT_TRUE(RunPassOk(*CreateDequantizeWeightsPass(), p, &ctx));
  ctx.trained_weight_max()["w"] = {20, 127};  // wrong channel count: ignored
  ASSERT_TRUE(RunPassOk(*CreateComputeWeightScalesPass(), p, &ctx));
  const std::vector<double>& s = p.FindVar("w")->quant->scales;
  const Tensor& w = *p.FindParam("w");
  EXPECT_NEAR(s[0] * std::fabs(w.data<float>()[1]), 1.0, 1e-6);  // 1 / max|W[0]|: re-gridded to 127
  EXPECT_NEAR(s[2] * std::fabs(w.data<float>()[4]), 1.0, 1e-6);
}

TEST(ComputeWeightScalesTest, NoConvNoScales) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 4});
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"y"}}});
  b.Output("y");
  ir::Program p = b.Build();
  EXPECT_FALSE(RunPassOk(*CreateComputeWeightScalesPass(), p));
}

TEST(MarkUnsignedTest, ReluConvOutputBecomesUnsigned) {
  ir::Program p = DygraphConv();
  ir::Op& conv = p.op(3);
  conv.SetAttr("fuse_activation", Attribute::String("relu"));
  p.FindVar("y")->quant = ir::QuantScale{{0.25}, false};
  EXPECT_TRUE(RunPassOk(*CreateMarkUnsignedPass(), p));
  EXPECT_TRUE(p.FindVar("y")->quant->is_unsigned);
  conv.SetAttr("fuse_activation", Attribute::String("hard_swish"));
  p.FindVar("y")->quant->is_unsigned = false;
  EXPECT_FALSE(RunPassOk(*CreateMarkUnsignedPass(), p));
}

TEST(PropagateScalesTest, ThroughPoolReshapeAndIntoConcatInputs) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  b.AddOp("pool2d", {{"X", {"x"}}}, {{"Out", {"p"}}}, {{"pooling_type", Attribute::String("max")}});
  b.AddOp("reshape2", {{"X", {"p"}}}, {{"Out", {"r"}}, {"XShape", {"xs"}}}, {{"shape", Attribute::Ints({1, -1})}});
  b.AddOp("concat", {{"X", {"r", "z"}}}, {{"Out", {"c"}}}, {{"axis", Attribute::Int(1)}});
  b.Input("z", {1, 8});
  b.Output("c");
  ir::Program p = b.Build();
  p.FindVar("x")->quant = ir::QuantScale{{0.5}, true};
  p.FindVar("c")->quant = ir::QuantScale{{0.25}, false};
  EXPECT_TRUE(RunPassOk(*CreatePropagateScalesPass(), p));
  EXPECT_DOUBLE_EQ(ScaleOf(p, "p"), 0.5);  // copied forward from x through the pool
  EXPECT_TRUE(p.FindVar("p")->quant->is_unsigned);
  EXPECT_DOUBLE_EQ(ScaleOf(p, "z"), 0.25);
  EXPECT_DOUBLE_EQ(ScaleOf(p, "r"), 0.25);
  EXPECT_FALSE(RunPassOk(*CreatePropagateScalesPass(), p));  // fixpoint reached
}

TEST(PropagateScalesTest, NoScalesNothingToPropagate) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  b.AddOp("pool2d", {{"X", {"x"}}}, {{"Out", {"p"}}});
  b.Output("p");
  ir::Program p = b.Build();
  EXPECT_FALSE(RunPassOk(*CreatePropagateScalesPass(), p));
}

}  // namespace
}  // namespace q2i::passes

namespace q2i::passes {
namespace {

// ONNX-format export (Paddle >= 2.3): quantize_linear/dequantize_linear pairs on the activation, and a
// real INT8 weight read through dequantize_linear.
ir::Program OnnxFormatConv() {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  b.Param("x.s", ir::Tensor::FromVector<float>({1}, {4.0f}));
  b.Param("x.zp", ir::Tensor::FromVector<float>({1}, {0.0f}));
  b.AddOp("quantize_linear", {{"X", {"x"}}, {"Scale", {"x.s"}}, {"ZeroPoint", {"x.zp"}}}, {{"Y", {"x.q"}}},
          {{"quant_axis", ir::Attribute::Int(-1)}, {"bit_length", ir::Attribute::Int(8)}});
  b.AddOp("dequantize_linear", {{"X", {"x.q"}}, {"Scale", {"x.s"}}, {"ZeroPoint", {"x.zp"}}}, {{"Y", {"x.dq"}}},
          {{"quant_axis", ir::Attribute::Int(-1)}, {"bit_length", ir::Attribute::Int(8)}});
  ir::Tensor w(ir::DataType::kInt8, {3, 2, 1, 1});
  for (int i = 0; i < 6; ++i) w.data<int8_t>()[i] = static_cast<int8_t>(i * 20 - 50);
  b.Param("w", w);
  b.Param("w.s", ir::Tensor::FromVector<float>({3}, {0.5f, 1.0f, 2.0f}));
  b.Param("w.zp", ir::Tensor::FromVector<float>({3}, {0, 0, 0}));
  b.AddOp("dequantize_linear", {{"X", {"w"}}, {"Scale", {"w.s"}}, {"ZeroPoint", {"w.zp"}}}, {{"Y", {"w.dq"}}},
          {{"quant_axis", ir::Attribute::Int(0)}, {"bit_length", ir::Attribute::Int(8)}});
  b.AddOp("conv2d", {{"Input", {"x.dq"}}, {"Filter", {"w.dq"}}}, {{"Output", {"y"}}},
          {{"strides", ir::Attribute::Ints({1, 1})}, {"paddings", ir::Attribute::Ints({0, 0})}});
  b.Output("y");
  return b.Build();
}

TEST(OnnxFormatTest, ScalesAndInt8WeightsAreRecoveredAndLinearOpsRemoved) {
  ir::Program p = OnnxFormatConv();
  PassContext ctx;
  ASSERT_TRUE(RunPassOk(*CreateCollectScalesPass(), p, &ctx));
  EXPECT_DOUBLE_EQ(p.FindVar("x")->quant->scales[0], 0.25);
  EXPECT_EQ(ctx.weight_thresholds()["w"], std::vector<double>({0.5, 1.0, 2.0}));
  ASSERT_TRUE(RunPassOk(*CreateRemoveFakeQuantPass(), p, &ctx));
  EXPECT_EQ(OpTypes(p), "feed,conv2d,fetch");
  EXPECT_EQ(FindOp(p, "conv2d")->Input("Input"), "x");
  EXPECT_EQ(FindOp(p, "conv2d")->Input("Filter"), "w");
  ASSERT_TRUE(RunPassOk(*CreateDequantizeWeightsPass(), p, &ctx));
  const ir::Tensor& w = *p.FindParam("w");
  ASSERT_EQ(w.dtype(), ir::DataType::kFP32);
  EXPECT_NEAR(w.data<float>()[5], 50.0 / 127.0 * 2.0, 1e-6);  // channel 2, value 50
}

}  // namespace
}  // namespace q2i::passes

namespace q2i::passes {
namespace {

TEST(MarkUnsignedTest, FakeQuantizedOutputsStaySignedUnlessAsked) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 4});
  b.AddOp("relu", {{"X", {"x"}}}, {{"Out", {"y"}}});
  b.Output("y");
  ir::Program p = b.Build();
  p.FindVar("y")->quant = ir::QuantScale{{0.5}, false};
  PassContext faithful;
  faithful.fake_quantized_vars().insert("y");
  EXPECT_FALSE(RunPassOk(*CreateMarkUnsignedPass(), p, &faithful));
  EXPECT_FALSE(p.FindVar("y")->quant->is_unsigned);
  PassContext paddle(QuantizeOptions{.ops_to_quantize = {}, .op_ids_to_skip = {}, .unsigned_relu_outputs = true});
  paddle.fake_quantized_vars().insert("y");
  EXPECT_TRUE(RunPassOk(*CreateMarkUnsignedPass(), p, &paddle));
  EXPECT_TRUE(p.FindVar("y")->quant->is_unsigned);
}

TEST(MarkUnsignedTest, FakeQuantizedConvOutputKeepsTheTrainedGridAsU8) {
  auto run = [](QuantizeOptions options) {
    ir::Program p = DygraphConv();
    p.op(3).SetAttr("fuse_activation", Attribute::String("relu"));
    p.FindVar("y")->quant = ir::QuantScale{{0.25}, false};
    PassContext ctx(options);
    ctx.fake_quantized_vars().insert("y");
    RunPassOk(*CreateMarkUnsignedPass(), p, &ctx);
    return *p.FindVar("y")->quant;
  };
  const ir::QuantScale faithful = run({});
  EXPECT_TRUE(faithful.is_unsigned);
  EXPECT_TRUE(faithful.signed_grid);
  EXPECT_FLOAT_EQ(KernelScale(faithful), 0.25f * 127);  // 127 steps over [0, T]: the trained values
  QuantizeOptions paddle;
  paddle.unsigned_relu_outputs = true;
  const ir::QuantScale u8 = run(paddle);
  EXPECT_TRUE(u8.is_unsigned);
  EXPECT_FALSE(u8.signed_grid);
  EXPECT_FLOAT_EQ(KernelScale(u8), 0.25f * 255);
  QuantizeOptions twice;
  twice.double_rounding = true;  // the pre-activation rounding is a post-op of the same conv
  EXPECT_TRUE(run(twice).signed_grid);
}

}  // namespace
}  // namespace q2i::passes
