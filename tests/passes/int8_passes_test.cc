// Tests of the INT8 passes: place-int8, insert-quant-dequant, squash-quant, quantize-weights, dce,
// finalize.
#include <gtest/gtest.h>

#include "ir/program_builder.h"
#include "passes/passes.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::passes {
namespace {

using ir::Attribute;
using testing::CountOps;
using testing::FindOp;
using testing::OpTypes;
using testing::RandomTensor;
using testing::RunPassOk;

// x -> conv2d(relu) -> c -> pool2d(max) -> p, all scales present, conv placed int8 by the caller.
ir::Program ConvPool(bool with_scales = true) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  b.Param("w", RandomTensor({3, 2, 1, 1}, 1));
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"c"}}},
          {{"fuse_activation", Attribute::String("relu")}, {"strides", Attribute::Ints({1, 1})},
           {"paddings", Attribute::Ints({0, 0})}, {"groups", Attribute::Int(1)}});
  b.AddOp("pool2d", {{"X", {"c"}}}, {{"Out", {"p"}}},
          {{"pooling_type", Attribute::String("max")}, {"ksize", Attribute::Ints({2, 2})},
           {"strides", Attribute::Ints({2, 2})}});
  b.Output("p");
  ir::Program p = b.Build();
  if (with_scales) {
    p.FindVar("x")->quant = ir::QuantScale{{0.5}, false};
    p.FindVar("w")->quant = ir::QuantScale{{1.0, 2.0, 4.0}, false};
    p.FindVar("c")->quant = ir::QuantScale{{0.25}, true};
    p.FindVar("p")->quant = ir::QuantScale{{0.25}, true};
  }
  return p;
}

bool IsInt8(const ir::Op* op) { return op->GetString("mkldnn_data_type", "").value_or("") == "int8"; }

TEST(PlaceInt8Test, PlacesSupportedOpsAndHonoursSkipIds) {
  ir::Program p = ConvPool();
  const int64_t pool_id = FindOp(p, "pool2d")->id();
  PassContext ctx(QuantizeOptions{{}, {pool_id}});
  EXPECT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p, &ctx));
  EXPECT_TRUE(IsInt8(FindOp(p, "conv2d")));
  EXPECT_FALSE(IsInt8(FindOp(p, "pool2d")));
}

TEST(PlaceInt8Test, OpsToQuantizeRestrictsTypes) {
  ir::Program p = ConvPool();
  PassContext ctx(QuantizeOptions{{"pool2d"}, {}});
  EXPECT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p, &ctx));
  EXPECT_FALSE(IsInt8(FindOp(p, "conv2d")));
  EXPECT_TRUE(IsInt8(FindOp(p, "pool2d")));
}

TEST(PlaceInt8Test, UnsupportedTypeAndUnknownIdAreErrors) {
  ir::Program p = ConvPool();
  PassContext bad_type(QuantizeOptions{{"softmax"}, {}});
  auto r = CreatePlaceInt8Pass()->Run(p, bad_type);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("supported: concat, conv2d"), std::string::npos) << r.status().message();
  PassContext bad_id(QuantizeOptions{{}, {9999}});
  EXPECT_FALSE(CreatePlaceInt8Pass()->Run(p, bad_id).ok());
}

TEST(InsertQuantDequantTest, ConvGetsScalesAndBoundaryOps) {
  ir::Program p = ConvPool();
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
  EXPECT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,quantize,conv2d,dequantize,quantize,pool2d,dequantize,fetch");
  const ir::Op* conv = FindOp(p, "conv2d");
  EXPECT_FLOAT_EQ(conv->GetFloat("Scale_in").value(), 0.5f * 127);
  EXPECT_FLOAT_EQ(conv->GetFloat("Scale_out").value(), 0.25f * 255);
  EXPECT_EQ(conv->GetFloats("Scale_weights").value(), std::vector<double>({127, 254, 508}));
  EXPECT_EQ(*p.FindVar(conv->Output("Output"))->dtype, ir::DataType::kUInt8);
  EXPECT_EQ(*p.FindVar(conv->Input("Input"))->dtype, ir::DataType::kInt8);
  EXPECT_FALSE(FindOp(p, "quantize")->GetBool("is_negative_input").value() == false);
}

TEST(InsertQuantDequantTest, SignedGridOutputClipsAtTheThreshold) {
  for (const std::string act : {"relu", "relu6"}) {
    ir::Program p = ConvPool();
    ir::Op* conv = nullptr;
    for (const auto& op : p.ops())
      if (op->type() == "conv2d") conv = op.get();
    conv->SetAttr("fuse_activation", Attribute::String(act));
    conv->SetAttr("fuse_alpha", Attribute::Float(3.f));  // relu6's bound, below the threshold 4
    p.FindVar("c")->quant = ir::QuantScale{{0.25}, true, true};
    p.FindVar("p")->quant = ir::QuantScale{{0.25}, true, true};
    ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
    ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p));
    EXPECT_EQ(conv->GetString("fuse_activation").value(), "relu6") << act;
    EXPECT_FLOAT_EQ(static_cast<float>(conv->GetFloat("fuse_alpha").value()), act == "relu" ? 4.f : 3.f) << act;
    EXPECT_FLOAT_EQ(static_cast<float>(conv->GetFloat("Scale_out").value()), 0.25f * 127);
    EXPECT_EQ(*p.FindVar(conv->Output("Output"))->dtype, ir::DataType::kUInt8);
  }
}

TEST(InsertQuantDequantTest, SignedResidualUnderUnsignedOutputStaysInt8) {
  auto build = [] {
    ir::ProgramBuilder b;
    b.Input("x", {1, 2, 4, 4});
    b.Input("r", {1, 3, 4, 4});
    b.Param("w", RandomTensor({3, 2, 1, 1}, 1));
    b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}, {"ResidualData", {"r"}}}, {{"Output", {"c"}}},
            {{"fuse_activation", Attribute::String("relu")}, {"fuse_residual_connection", Attribute::Bool(true)},
             {"strides", Attribute::Ints({1, 1})}, {"paddings", Attribute::Ints({0, 0})}, {"groups", Attribute::Int(1)}});
    b.Output("c");
    return b.Build();
  };
  for (const bool residual_unsigned : {false, true}) {
    ir::Program p = build();
    p.FindVar("x")->quant = ir::QuantScale{{0.5}, false};
    p.FindVar("w")->quant = ir::QuantScale{{1.0, 2.0, 4.0}, false};
    p.FindVar("r")->quant = ir::QuantScale{{0.5}, residual_unsigned};
    p.FindVar("c")->quant = ir::QuantScale{{0.25}, residual_unsigned ? false : true};  // the other signedness
    ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
    PassContext ctx;
    ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p, &ctx));
    const ir::Op* conv = FindOp(p, "conv2d");
    // s8 residual under u8 output: INT8 sum; u8 residual under s8 output: the residual stays FP32.
    EXPECT_EQ(conv->HasAttr("Scale_in_eltwise"), !residual_unsigned);
    EXPECT_EQ(conv->GetBool("force_fp32_output").value(), residual_unsigned);
  }
}

TEST(InsertQuantDequantTest, MissingScaleKeepsOpFp32WithReason) {
  ir::Program p = ConvPool();
  p.FindVar("x")->quant.reset();
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
  PassContext ctx;
  RunPassOk(*CreateInsertQuantDequantPass(), p, &ctx);
  EXPECT_EQ(FindOp(p, "conv2d")->GetString("mkldnn_data_type").value(), "float32");
  bool found = false;
  for (const auto& r : ctx.remarks()) found |= r.message.find("no scale for input 'x'") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(SquashQuantTest, DequantizeQuantizeWithEqualScalesDisappears) {
  ir::Program p = ConvPool();
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
  ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p));
  PassContext ctx;
  EXPECT_TRUE(RunPassOk(*CreateSquashQuantPass(), p, &ctx));
  EXPECT_EQ(OpTypes(p), "feed,quantize,conv2d,pool2d,dequantize,fetch");
  EXPECT_EQ(FindOp(p, "pool2d")->Input("X"), FindOp(p, "conv2d")->Output("Output"));
}

TEST(SquashQuantTest, DifferentScalesBecomeRequantizeThenFoldIntoConv) {
  ir::Program p = ConvPool();
  p.FindVar("p")->quant = ir::QuantScale{{0.125}, true};
  p.FindVar("c")->quant = ir::QuantScale{{0.25}, true};
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
  ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p));
  // pool2d needs equal scales: it stays FP32, so the conv's dequantize feeds FP32 pool2d and
  // squash turns conv + dequantize into an FP32-output conv.
  EXPECT_TRUE(RunPassOk(*CreateSquashQuantPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,quantize,conv2d,pool2d,fetch");
  EXPECT_TRUE(FindOp(p, "conv2d")->GetBool("force_fp32_output").value());
}

TEST(SquashQuantTest, RequantizeCreatedForSignednessChange) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 4});
  b.AddOp("dequantize", {{"Input", {"x"}}}, {{"Output", {"f"}}},
          {{"Scale", Attribute::Float(100.f)}, {"is_negative_input", Attribute::Bool(false)}});
  b.AddOp("quantize", {{"Input", {"f"}}}, {{"Output", {"q"}}},
          {{"Scale", Attribute::Float(100.f)}, {"is_negative_input", Attribute::Bool(true)}});
  b.AddOp("relu", {{"X", {"q"}}}, {{"Out", {"y"}}});
  b.Output("y");
  ir::Program p = b.Build();
  EXPECT_TRUE(RunPassOk(*CreateSquashQuantPass(), p));
  EXPECT_EQ(OpTypes(p), "feed,requantize,relu,fetch");
}

// More pairs than any fixed number of rounds: a chain of 100 relus, each between a dequantize and a
// quantize of equal scale (as insert-quant-dequant leaves between INT8 ops), squashes completely.
TEST(SquashQuantTest, LongChainSquashesCompletely) {
  ir::ProgramBuilder b;
  b.Input("x", {1, 4}, ir::DataType::kInt8);
  std::string cur = "x";
  const ir::ProgramBuilder::Attrs scale = {{"Scale", Attribute::Float(50.f)}, {"is_negative_input", Attribute::Bool(true)}};
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    b.AddOp("dequantize", {{"Input", {cur}}}, {{"Output", {"f" + n}}}, scale);
    b.AddOp("quantize", {{"Input", {"f" + n}}}, {{"Output", {"q" + n}}}, scale);
    b.AddOp("relu", {{"X", {"q" + n}}}, {{"Out", {"r" + n}}}, {{"mkldnn_data_type", Attribute::String("int8")}});
    cur = "r" + n;
  }
  b.Output(cur);
  ir::Program p = b.Build();
  PassContext ctx;
  EXPECT_TRUE(RunPassOk(*CreateSquashQuantPass(), p, &ctx));
  EXPECT_EQ(testing::CountOps(p, "dequantize"), 0);
  EXPECT_EQ(testing::CountOps(p, "quantize"), 0);
  EXPECT_EQ(testing::CountOps(p, "relu"), 100);
  EXPECT_EQ(ctx.stats().at("squash-quant").at("dequant_quant_removed"), 100);
}

TEST(SquashQuantTest, NothingToSquash) {
  ir::Program p = ConvPool(false);
  EXPECT_FALSE(RunPassOk(*CreateSquashQuantPass(), p));
}

TEST(QuantizeWeightsTest, FilterBecomesInt8AndBiasStaysFloat) {
  ir::Program p = ConvPool();
  p.op(1).SetInput("Bias", {"b"});
  ir::Var bv;
  bv.name = "b";
  bv.persistable = true;
  bv.dims = {3};
  ASSERT_TRUE(p.AddVar(bv).ok());
  p.SetParam("b", ir::Tensor::FromVector<float>({3}, {0.1f, 0.2f, 0.3f}));
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
  ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p));
  EXPECT_TRUE(RunPassOk(*CreateQuantizeWeightsPass(), p));
  EXPECT_EQ(p.FindParam("w")->dtype(), ir::DataType::kInt8);
  EXPECT_EQ(p.FindParam("b")->dtype(), ir::DataType::kFP32);
  const ir::Tensor& w = *p.FindParam("w");
  for (int64_t i = 0; i < w.numel(); ++i) EXPECT_LE(std::abs(int{w.data<int8_t>()[i]}), 127);
}

TEST(QuantizeWeightsTest, Fp32ConvKeepsFloatWeights) {
  ir::Program p = ConvPool();
  EXPECT_FALSE(RunPassOk(*CreateQuantizeWeightsPass(), p));
  EXPECT_EQ(p.FindParam("w")->dtype(), ir::DataType::kFP32);
}

TEST(DeadCodeEliminationTest, RemovesUnusedOpsAndWeights) {
  ir::Program p = ConvPool(false);
  ir::Op extra("relu");
  extra.SetInput("X", {"x"});
  extra.SetOutput("Out", {"unused"});
  p.InsertOp(1, std::move(extra));
  ir::Var v;
  v.name = "orphan";
  v.persistable = true;
  ASSERT_TRUE(p.AddVar(v).ok());
  p.SetParam("orphan", RandomTensor({2}, 3));
  EXPECT_TRUE(RunPassOk(*CreateDeadCodeEliminationPass(), p));
  EXPECT_EQ(CountOps(p, "relu"), 0);
  EXPECT_EQ(p.FindVar("orphan"), nullptr);
  EXPECT_EQ(p.FindParam("orphan"), nullptr);
  EXPECT_FALSE(RunPassOk(*CreateDeadCodeEliminationPass(), p));
}

TEST(FinalizeTest, ResetsOpRoleAndMarksInt8OpsMkldnn) {
  ir::Program p = ConvPool();
  p.op(1).SetAttr("op_role", Attribute::Int(1));
  p.op(1).SetAttr("mkldnn_data_type", Attribute::String("int8"));
  EXPECT_TRUE(RunPassOk(*CreateFinalizePass(), p));
  EXPECT_EQ(p.op(1).GetInt("op_role").value(), 0);
  EXPECT_TRUE(p.op(1).GetBool("use_mkldnn").value());
  EXPECT_FALSE(RunPassOk(*CreateFinalizePass(), p));
}

}  // namespace
}  // namespace q2i::passes

namespace q2i::passes {
namespace {

// x -> conv(c1) ; x -> conv(c2, ResidualData = c1) -> y, all scales present.
ir::Program ResidualConv() {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  b.Param("w1", testing::RandomTensor({2, 2, 1, 1}, 1));
  b.Param("w2", testing::RandomTensor({2, 2, 1, 1}, 2));
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w1"}}}, {{"Output", {"c1"}}});
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w2"}}, {"ResidualData", {"c1"}}}, {{"Output", {"y"}}},
          {{"fuse_residual_connection", ir::Attribute::Bool(true)}});
  b.Output("y");
  ir::Program p = b.Build();
  for (const char* v : {"x", "c1", "y"}) p.FindVar(v)->quant = ir::QuantScale{{0.5}, false};
  for (const char* v : {"w1", "w2"}) p.FindVar(v)->quant = ir::QuantScale{{1.0, 1.0}, false};
  return p;
}

TEST(InsertQuantDequantTest, ResidualQuantizedWhenTrainingQuantizedIt) {
  ir::Program p = ResidualConv();
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
  PassContext ctx;
  ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p, &ctx));
  const ir::Op* conv = FindOp(p, "conv2d", 1);
  EXPECT_TRUE(conv->HasAttr("Scale_in_eltwise"));
  EXPECT_FALSE(conv->GetBool("force_fp32_output").value());
}

TEST(InsertQuantDequantTest, ResidualStaysFp32WhenTrainingAddedItInFullPrecision) {
  ir::Program p = ResidualConv();
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p));
  PassContext ctx;
  ctx.fp32_residual_convs().insert(FindOp(p, "conv2d", 1)->id());
  ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p, &ctx));
  const ir::Op* conv = FindOp(p, "conv2d", 1);
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->Input("ResidualData"), "c1");
  EXPECT_FALSE(conv->HasAttr("Scale_in_eltwise"));
  EXPECT_TRUE(conv->GetBool("force_fp32_output").value());
  EXPECT_EQ(conv->Output("Output"), "y");
}

}  // namespace
}  // namespace q2i::passes

namespace q2i::passes {
namespace {

// x -> conv2d -> c -> relu -> y -> conv2d -> z, with scales on x, y and w.
ir::Program ConvReluConv() {
  ir::ProgramBuilder b;
  b.Input("x", {1, 2, 4, 4});
  b.Param("w", testing::RandomTensor({2, 2, 1, 1}, 1));
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"c"}}},
          {{"fuse_activation", ir::Attribute::String("")}});
  b.AddOp("relu", {{"X", {"c"}}}, {{"Out", {"y"}}});
  b.AddOp("conv2d", {{"Input", {"y"}}, {"Filter", {"w"}}}, {{"Output", {"z"}}});
  b.Output("z");
  ir::Program p = b.Build();
  p.FindVar("x")->quant = ir::QuantScale{{0.5}, false};
  p.FindVar("y")->quant = ir::QuantScale{{0.5}, false};  // training rounded the relu output at 0.5
  p.FindVar("w")->quant = ir::QuantScale{{1.0, 1.0}, false};
  return p;
}

TEST(DoubleRoundingTest, PreActivationScaleBecomesAConvAttribute) {
  ir::Program p = ConvReluConv();
  p.FindVar("c")->quant = ir::QuantScale{{0.25}, false};  // training rounded the relu input at 0.25
  PassContext ctx(QuantizeOptions{.ops_to_quantize = {}, .op_ids_to_skip = {}, .unsigned_relu_outputs = false,
                                  .double_rounding = true});
  ctx.fake_quantized_vars() = {"x", "c", "y"};
  ASSERT_TRUE(RunPassOk(*CreateFuseConvActivationPass(), p, &ctx));
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p, &ctx));
  ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p, &ctx));
  ASSERT_TRUE(RunPassOk(*CreateSquashQuantPass(), p, &ctx));
  EXPECT_EQ(OpTypes(p), "feed,quantize,conv2d,conv2d,fetch");
  EXPECT_FLOAT_EQ(FindOp(p, "conv2d")->GetFloat("Scale_pre_activation").value(), 0.25f * 127);
  EXPECT_FLOAT_EQ(FindOp(p, "conv2d")->GetFloat("Scale_out").value(), 0.5f * 127);
}

TEST(DoubleRoundingTest, OffByDefaultAndWithoutPreActivationScale) {
  ir::Program p = ConvReluConv();
  PassContext ctx;
  ASSERT_TRUE(RunPassOk(*CreateFuseConvActivationPass(), p, &ctx));
  ASSERT_TRUE(RunPassOk(*CreatePlaceInt8Pass(), p, &ctx));
  ASSERT_TRUE(RunPassOk(*CreateInsertQuantDequantPass(), p, &ctx));
  ASSERT_TRUE(RunPassOk(*CreateSquashQuantPass(), p, &ctx));
  EXPECT_EQ(OpTypes(p), "feed,quantize,conv2d,conv2d,fetch");
  EXPECT_FALSE(FindOp(p, "conv2d")->HasAttr("Scale_pre_activation"));
}

}  // namespace
}  // namespace q2i::passes
