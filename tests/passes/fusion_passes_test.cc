// Structural tests of the FP32 fusion passes: each has a positive and a negative case. Numeric
// equivalence of the same graphs is checked in numeric_equivalence_test.cc.
#include <gtest/gtest.h>

#include "ir/program_builder.h"
#include "passes/passes.h"
#include "tests/passes/test_graphs.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::passes {
namespace {

using ir::Attribute;
using testing::CountOps;
using testing::FindOp;
using testing::OpTypes;
using testing::RunPassOk;

TEST(FuseConvBnTest, FoldsBatchNormIntoConv) {
  ir::Program p = testgraphs::ConvBn(/*with_bias_add=*/false);
  EXPECT_TRUE(RunPassOk(*CreateFuseConvBnPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,conv2d,fetch");
  const ir::Op* conv = FindOp(p, "conv2d");
  EXPECT_EQ(conv->Output("Output"), "y");
  ASSERT_TRUE(conv->HasInput("Bias"));
  EXPECT_EQ(p.FindParam(conv->Input("Bias"))->dims(), std::vector<int64_t>({4}));
}

TEST(FuseConvBnTest, FoldsBiasAddBetweenConvAndBatchNorm) {
  ir::Program p = testgraphs::ConvBn(/*with_bias_add=*/true);
  EXPECT_TRUE(RunPassOk(*CreateFuseConvBnPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,conv2d,fetch");
}

TEST(FuseConvBnTest, DoesNotFuseWhenConvOutputHasTwoReaders) {
  ir::Program p = testgraphs::ConvBn(false, /*conv_output_fetched=*/true);
  std::string before = OpTypes(p);
  EXPECT_FALSE(RunPassOk(*CreateFuseConvBnPass(), p));
  EXPECT_EQ(OpTypes(p), before);
}

TEST(FuseConvBiasTest, FoldsChannelBias) {
  ir::Program p = testgraphs::ConvBias();
  EXPECT_TRUE(RunPassOk(*CreateFuseConvBiasPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,conv2d,fetch");
  EXPECT_EQ(FindOp(p, "conv2d")->Input("Bias"), "b");
}

TEST(FuseConvBiasTest, IgnoresAddAlongAnotherAxis) {
  ir::Program p = testgraphs::ConvBias(/*axis=*/-1);
  EXPECT_FALSE(RunPassOk(*CreateFuseConvBiasPass(), p));
  EXPECT_EQ(CountOps(p, "elementwise_add"), 1);
}

TEST(FuseConvResidualTest, FusesLaterConvAndMovesIt) {
  ir::Program p = testgraphs::ConvResidual();
  EXPECT_TRUE(RunPassOk(*CreateFuseConvResidualPass(), p));
  EXPECT_EQ(CountOps(p, "elementwise_add"), 0);
  const ir::Op* fused = FindOp(p, "conv2d", 1);
  ASSERT_NE(fused, nullptr);
  EXPECT_EQ(fused->Output("Output"), "sum");
  EXPECT_EQ(fused->Input("ResidualData"), "c1");
  EXPECT_TRUE(fused->GetBool("fuse_residual_connection").value());
}

// Training quantized both inputs of the add: the absorbing conv's own input scale is kept for the
// rounding before the sum; not when training left that input unquantized, nor without a scale.
TEST(FuseConvResidualTest, KeepsThePreResidualScaleOnlyWhereTrainingRounded) {
  for (bool conv_input_quantized : {true, false}) {
    ir::Program p = testgraphs::ConvResidual();
    p.FindVar("c1")->quant = ir::QuantScale{{0.5}, false};
    p.FindVar("c2")->quant = ir::QuantScale{{0.25}, false};
    const int64_t add = FindOp(p, "elementwise_add")->id(), conv = FindOp(p, "conv2d", 1)->id();
    PassContext ctx;
    ctx.trained_quantized_inputs().insert({add, "c1"});
    if (conv_input_quantized) ctx.trained_quantized_inputs().insert({add, "c2"});
    EXPECT_TRUE(RunPassOk(*CreateFuseConvResidualPass(), p, &ctx));
    EXPECT_EQ(ctx.pre_residual_scales().count(conv), conv_input_quantized ? 1u : 0u);
    if (conv_input_quantized) {
      EXPECT_EQ(ctx.pre_residual_scales().at(conv), (ir::QuantScale{{0.25}, false}));
    }
  }
  ir::Program unscaled = testgraphs::ConvResidual();
  PassContext ctx;
  EXPECT_TRUE(RunPassOk(*CreateFuseConvResidualPass(), unscaled, &ctx));
  EXPECT_TRUE(ctx.pre_residual_scales().empty());
}

TEST(FuseConvResidualTest, SkipsBroadcastAdd) {
  ir::Program p = testgraphs::ConvResidual(/*broadcast=*/true);
  EXPECT_FALSE(RunPassOk(*CreateFuseConvResidualPass(), p));
  EXPECT_EQ(CountOps(p, "elementwise_add"), 1);
}

TEST(FuseConvActivationTest, FusesRelu6WithItsBound) {
  ir::Program p = testgraphs::ConvAct("relu6", {{"threshold", Attribute::Float(6.0f)}});
  ASSERT_TRUE(RunPassOk(*CreateCanonicalizeConvPass(), p));
  EXPECT_TRUE(RunPassOk(*CreateFuseConvActivationPass(), p));
  const ir::Op* conv = FindOp(p, "conv2d");
  EXPECT_EQ(conv->GetString("fuse_activation").value(), "relu6");
  EXPECT_FLOAT_EQ(conv->GetFloat("fuse_alpha").value(), 6.0);
  EXPECT_EQ(OpTypes(p), "feed,conv2d,fetch");
}

TEST(FuseConvActivationTest, KeepsNonDefaultHardSwish) {
  ir::Program p = testgraphs::ConvAct("hard_swish", {{"threshold", Attribute::Float(5.0f)}});
  ASSERT_TRUE(RunPassOk(*CreateCanonicalizeConvPass(), p));
  PassContext ctx;
  EXPECT_FALSE(RunPassOk(*CreateFuseConvActivationPass(), p, &ctx));
  EXPECT_EQ(CountOps(p, "hard_swish"), 1);
  ASSERT_FALSE(ctx.remarks().empty());
}

TEST(FuseConvActivationTest, FusesIntoConv2dTranspose) {
  ir::Program p = testgraphs::DeconvAct("relu");
  EXPECT_TRUE(RunPassOk(*CreateFuseConvActivationPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,conv2d_transpose,fetch");
  EXPECT_EQ(FindOp(p, "conv2d_transpose")->GetString("fuse_activation").value(), "relu");
  EXPECT_EQ(FindOp(p, "conv2d_transpose")->Output("Output"), "y");
}

TEST(FuseConvActivationTest, KeepsAConv2dTransposeOutputWithOtherReaders) {
  ir::Program p = testgraphs::DeconvAct("relu", /*second_reader=*/true);
  PassContext ctx;
  EXPECT_FALSE(RunPassOk(*CreateFuseConvActivationPass(), p, &ctx));
  EXPECT_EQ(CountOps(p, "relu"), 1);
  EXPECT_TRUE(FindOp(p, "conv2d_transpose")->GetString("fuse_activation", "").value().empty());
  ASSERT_FALSE(ctx.remarks().empty());
}

TEST(FuseFcTest, MulPlusBiasBecomesFc) {
  ir::Program p = testgraphs::MulAdd();
  EXPECT_TRUE(RunPassOk(*CreateFuseFcPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,fc,fetch");
  const ir::Op* fc = FindOp(p, "fc");
  EXPECT_EQ(fc->Input("W"), "w");
  EXPECT_EQ(fc->Input("Bias"), "b");
  EXPECT_EQ(fc->GetInt("in_num_col_dims").value(), 1);
}

TEST(FuseFcTest, TransposedMatmulIsLeftAlone) {
  ir::Program p = testgraphs::MatmulAdd(/*transpose_y=*/true);
  EXPECT_FALSE(RunPassOk(*CreateFuseFcPass(), p));
  EXPECT_EQ(CountOps(p, "matmul"), 1);
}

TEST(FuseFcActivationTest, FusesRelu) {
  ir::Program p = testgraphs::MulAdd(/*relu=*/true);
  ASSERT_TRUE(RunPassOk(*CreateFuseFcPass(), p));
  EXPECT_TRUE(RunPassOk(*CreateFuseFcActivationPass(), p));
  EXPECT_EQ(FindOp(p, "fc")->GetString("activation_type").value(), "relu");
  EXPECT_EQ(OpTypes(p), "feed,fc,fetch");
}

TEST(FuseFcActivationTest, DoesNotFuseLeakyRelu) {
  ir::Program p = testgraphs::MulAdd(/*relu=*/false, /*leaky=*/true);
  ASSERT_TRUE(RunPassOk(*CreateFuseFcPass(), p));
  EXPECT_FALSE(RunPassOk(*CreateFuseFcActivationPass(), p));
  EXPECT_EQ(CountOps(p, "leaky_relu"), 1);
}

TEST(CanonicalizeConvTest, DepthwiseBecomesConvAndFuseReluBecomesActivation) {
  ir::Program p = testgraphs::ConvAct("relu", {});
  ir::Op& conv = p.op(1);
  conv.set_type("depthwise_conv2d");
  conv.SetAttr("fuse_relu", Attribute::Bool(true));
  EXPECT_TRUE(RunPassOk(*CreateCanonicalizeConvPass(), p));
  EXPECT_EQ(p.op(1).type(), "conv2d");
  EXPECT_EQ(p.op(1).GetString("fuse_activation").value(), "relu");
}

TEST(CanonicalizeConvTest, NothingToDoWithoutConvs) {
  ir::Program p = testgraphs::MulAdd();
  EXPECT_FALSE(RunPassOk(*CreateCanonicalizeConvPass(), p));
}

TEST(RemoveDropoutTest, UpscaleInTrainIsIdentityAndDowngradeIsScale) {
  ir::ProgramBuilder b;
  b.Input("x", {2, 3});
  b.AddOp("dropout", {{"X", {"x"}}}, {{"Out", {"d1"}}, {"Mask", {"m1"}}},
          {{"dropout_implementation", Attribute::String("upscale_in_train")}});
  b.AddOp("dropout", {{"X", {"d1"}}}, {{"Out", {"d2"}}}, {{"dropout_prob", Attribute::Float(0.25f)}});
  b.Output("d2");
  ir::Program p = b.Build();
  EXPECT_TRUE(RunPassOk(*CreateRemoveDropoutPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,scale,fetch");
  EXPECT_EQ(FindOp(p, "scale")->Input("X"), "x");
  EXPECT_FLOAT_EQ(FindOp(p, "scale")->GetFloat("scale").value(), 0.75);
}

TEST(RemoveDropoutTest, NoDropoutNoChange) {
  ir::Program p = testgraphs::MulAdd();
  EXPECT_FALSE(RunPassOk(*CreateRemoveDropoutPass(), p));
}

}  // namespace
}  // namespace q2i::passes
