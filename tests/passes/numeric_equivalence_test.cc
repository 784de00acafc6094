// Numeric equivalence of every pass: the program computes the same (FP32 rewrites: to float rounding;
// annotation passes: exactly; INT8 rewrites: within quantization error) before and after, measured with
// the naive reference executor on seeded random inputs.
#include <gtest/gtest.h>

#include "ir/program_builder.h"
#include "passes/passes.h"
#include "passes/pipelines.h"
#include "tests/passes/test_graphs.h"
#include "tests/test_util/program_helpers.h"
#include "tests/test_util/reference_executor.h"

namespace q2i::passes {
namespace {

using ir::Attribute;
using testing::MaxOutputDiff;
using testing::RunPassOk;

const std::vector<std::vector<int64_t>> kImage = {{1, 3, 8, 8}};

double DiffAfter(const ir::Program& before, std::initializer_list<const Pass*> passes,
                 const std::vector<std::vector<int64_t>>& feeds = kImage, PassContext* ctx = nullptr) {
  ir::Program after = before.Clone();
  PassContext local;
  for (const Pass* p : passes) RunPassOk(*p, after, ctx ? ctx : &local);  // fails the test on error
  std::string error;
  double d = MaxOutputDiff(before, after, feeds, 42, &error);
  EXPECT_TRUE(error.empty()) << error;
  return d;
}

TEST(NumericEquivalenceTest, FuseConvBn) {
  EXPECT_LT(DiffAfter(testgraphs::ConvBn(false), {CreateFuseConvBnPass().get()}), 1e-4);
  EXPECT_LT(DiffAfter(testgraphs::ConvBn(true), {CreateFuseConvBnPass().get()}), 1e-4);
}

TEST(NumericEquivalenceTest, FuseConvBias) {
  EXPECT_LT(DiffAfter(testgraphs::ConvBias(), {CreateFuseConvBiasPass().get()}), 1e-5);
}

TEST(NumericEquivalenceTest, FuseConvResidual) {
  EXPECT_LT(DiffAfter(testgraphs::ConvResidual(), {CreateFuseConvResidualPass().get()}), 1e-5);
}

TEST(NumericEquivalenceTest, FuseConvActivationForEveryActivation) {
  std::vector<std::pair<std::string, ir::ProgramBuilder::Attrs>> acts = {
      {"relu", {}},
      {"relu6", {{"threshold", Attribute::Float(0.5f)}}},
      {"leaky_relu", {{"alpha", Attribute::Float(0.1f)}}},
      {"hard_swish", {}},
      {"hard_sigmoid", {{"slope", Attribute::Float(0.3f)}, {"offset", Attribute::Float(0.4f)}}},
      {"sigmoid", {}},
      {"tanh", {}},
  };
  for (const auto& [act, attrs] : acts) {
    ir::Program p = testgraphs::ConvAct(act, attrs);
    EXPECT_LT(DiffAfter(p, {CreateCanonicalizeConvPass().get(), CreateFuseConvActivationPass().get()}), 1e-5) << act;
  }
}

TEST(NumericEquivalenceTest, FuseConvTransposeActivation) {
  for (const char* act : {"relu", "sigmoid", "hard_swish"}) {
    EXPECT_LT(DiffAfter(testgraphs::DeconvAct(act), {CreateFuseConvActivationPass().get()}), 1e-5) << act;
  }
}

TEST(NumericEquivalenceTest, FuseFcAndActivation) {
  const std::vector<std::vector<int64_t>> feeds = {{2, 8}};
  EXPECT_LT(DiffAfter(testgraphs::MulAdd(), {CreateFuseFcPass().get()}, feeds), 1e-5);
  EXPECT_LT(DiffAfter(testgraphs::MulAdd(true), {CreateFuseFcPass().get(), CreateFuseFcActivationPass().get()}, feeds),
            1e-5);
  EXPECT_LT(DiffAfter(testgraphs::MatmulAdd(false), {CreateFuseFcPass().get()}, feeds), 1e-5);
}

TEST(NumericEquivalenceTest, AnnotationPassesChangeNothing) {
  ir::Program p = testgraphs::ConvAct("relu", {});
  p.FindVar("x")->quant = ir::QuantScale{{0.5}, false};
  p.FindVar("y")->quant = ir::QuantScale{{0.5}, false};
  EXPECT_EQ(DiffAfter(p, {CreateCanonicalizeConvPass().get(), CreateFuseConvActivationPass().get(),
                          CreateComputeWeightScalesPass().get(), CreateMarkUnsignedPass().get(),
                          CreatePropagateScalesPass().get(), CreateFinalizePass().get()}),
            0.0);
}

// A QAT-v1 frozen conv + relu + conv chain: the INT8 pipeline's result matches the fake-quant program
// up to the quantization error of one step.
ir::Program FrozenChain() {
  ir::ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  b.Param("x.scale", ir::Tensor::FromVector<float>({1}, {1.0f}));
  b.AddOp("fake_quantize_moving_average_abs_max", {{"X", {"x"}}, {"InScale", {"x.scale"}}},
          {{"Out", {"x.q"}}, {"OutScale", {"x.scale"}}}, {{"bit_length", Attribute::Int(8)}});
  b.Param("w1", testing::RandomIntTensor({4, 3, 3, 3}, 11));
  b.AddOp("conv2d", {{"Input", {"x.q"}}, {"Filter", {"w1"}}}, {{"Output", {"c1"}}},
          {{"paddings", Attribute::Ints({1, 1})}, {"strides", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(1)},
           {"quantization_type", Attribute::String("qat_with_weight")}});
  b.AddOp("fake_dequantize_max_abs", {{"X", {"c1"}}, {"Scale", {"x.scale"}}}, {{"Out", {"c1.dq"}}},
          {{"max_range", Attribute::Float(127.f * 127.f / 0.2f)}});
  b.AddOp("relu", {{"X", {"c1.dq"}}}, {{"Out", {"r1"}}}, {{"out_threshold", Attribute::Float(1.5f)}});
  b.Param("r1.scale", ir::Tensor::FromVector<float>({1}, {1.5f}));
  b.AddOp("fake_quantize_moving_average_abs_max", {{"X", {"r1"}}, {"InScale", {"r1.scale"}}},
          {{"Out", {"r1.q"}}, {"OutScale", {"r1.scale"}}}, {{"bit_length", Attribute::Int(8)}});
  b.Param("w2", testing::RandomIntTensor({4, 4, 1, 1}, 12));
  b.AddOp("conv2d", {{"Input", {"r1.q"}}, {"Filter", {"w2"}}}, {{"Output", {"c2"}}},
          {{"paddings", Attribute::Ints({0, 0})}, {"strides", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(1)},
           {"quantization_type", Attribute::String("qat_with_weight")}});
  b.AddOp("fake_dequantize_max_abs", {{"X", {"c2"}}, {"Scale", {"r1.scale"}}}, {{"Out", {"y"}}},
          {{"max_range", Attribute::Float(127.f * 127.f / 0.5f)}});
  b.Output("y");
  return b.Build();
}

TEST(NumericEquivalenceTest, RemovingFakeOpsKeepsTheComputationWithinQuantizationError) {
  ir::Program fake = FrozenChain();
  PassContext ctx;
  double d = DiffAfter(fake, {CreateCollectScalesPass().get(), CreateRemoveFakeQuantPass().get(),
                              CreateDequantizeWeightsPass().get()},
                       kImage, &ctx);
  EXPECT_LT(d, 0.05);  // outputs are O(1); the fake program rounds activations to 1/127 steps
}

// The INT8 pipeline on `p`, up to and including the pass `stop_after` (all of it when empty).
Status RunInt8Pipeline(ir::Program& p, const std::string& stop_after = "", QuantizeOptions options = {}) {
  PassManager pm;
  BuildInt8Pipeline(pm, {.save_int8_weights = false, .stop_after = stop_after});
  PassContext ctx(std::move(options));
  return pm.Run(p, ctx);
}

// A dygraph-export residual block: x -> qdq -> conv1 (3x3) -> c1 -> qdq ; x -> qdq -> conv2 (1x1) -> c2
// -> qdq ; add -> qdq -> y. Weights are on the integer grid (each output channel reaches 127 steps of
// T = 1), so the INT8 weights are exactly the ones training used.
ir::Program FakeResidualBlock() {
  ir::ProgramBuilder b;
  b.Input("x", {1, 3, 8, 8});
  auto qdq = [&b](const std::string& in, const std::string& out, float threshold) {
    b.Param(in + ".threshold", ir::Tensor::FromVector<float>({1}, {threshold}));
    b.AddOp("fake_quantize_dequantize_moving_average_abs_max", {{"X", {in}}, {"InScale", {in + ".threshold"}}},
            {{"Out", {out}}, {"OutScale", {in + ".threshold"}}}, {{"bit_length", Attribute::Int(8)}});
    b.DeclareVar(out, {1, 4, 8, 8});
  };
  auto grid_weights = [](std::vector<int64_t> dims, uint32_t seed) {
    ir::Tensor w = testing::RandomIntTensor(dims, seed);
    const int64_t per_channel = w.numel() / dims[0];
    for (int64_t i = 0; i < w.numel(); ++i) {
      float& v = w.data<float>()[i];
      v = (i % per_channel == 0 ? 127.f : v) / 127.f;
    }
    return w;
  };
  qdq("x", "x.q", 1.0f);
  b.DeclareVar("x.q", {1, 3, 8, 8});
  b.Param("w1", grid_weights({4, 3, 3, 3}, 11));
  b.Param("w2", grid_weights({4, 3, 1, 1}, 12));
  b.AddOp("conv2d", {{"Input", {"x.q"}}, {"Filter", {"w1"}}}, {{"Output", {"c1"}}},
          {{"paddings", Attribute::Ints({1, 1})}, {"strides", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(1)}});
  b.AddOp("conv2d", {{"Input", {"x.q"}}, {"Filter", {"w2"}}}, {{"Output", {"c2"}}},
          {{"paddings", Attribute::Ints({0, 0})}, {"strides", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(1)}});
  b.DeclareVar("c1", {1, 4, 8, 8});
  b.DeclareVar("c2", {1, 4, 8, 8});
  // c1 and the sum stay inside their thresholds (a saturating s8 store gives -128 where training clips
  // at -127); c2 does not, so the rounding before the add also clips.
  qdq("c1", "c1.q", 30.1f);
  qdq("c2", "c2.q", 1.3f);
  b.AddOp("elementwise_add", {{"X", {"c1.q"}}, {"Y", {"c2.q"}}}, {{"Out", {"s"}}}, {{"axis", Attribute::Int(-1)}});
  b.DeclareVar("s", {1, 4, 8, 8});
  qdq("s", "y", 40.3f);
  b.Output("y");
  return b.Build();
}

// Training rounded the conv result before the residual add: with round_residual_inputs (the default) the
// fused INT8 conv does too and computes what the fake-quant program computes; Paddle's single rounding
// differs by up to a step.
TEST(NumericEquivalenceTest, ResidualRoundingMatchesFakeQuantResidualBlock) {
  const ir::Program fake = FakeResidualBlock();
  ir::Program rounded = fake.Clone(), single = fake.Clone();
  ASSERT_TRUE(RunInt8Pipeline(rounded).ok());
  QuantizeOptions paddle;
  paddle.round_residual_inputs = false;
  ASSERT_TRUE(RunInt8Pipeline(single, "", paddle).ok());
  const ir::Op* conv = nullptr;
  for (const auto& op : rounded.ops())
    if (op->type() == "conv2d" && op->HasInput("ResidualData")) conv = op.get();
  ASSERT_NE(conv, nullptr);
  EXPECT_FLOAT_EQ(conv->GetFloat("Scale_pre_residual").value_or(0), 127 / 1.3f);
  std::string error;
  double d_rounded = 0, d_single = 0;
  for (uint32_t seed : {7u, 8u, 9u}) {
    d_rounded = std::max(d_rounded, MaxOutputDiff(fake, rounded, kImage, seed, &error));
    d_single = std::max(d_single, MaxOutputDiff(fake, single, kImage, seed, &error));
  }
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_LT(d_rounded, 1e-4);
  EXPECT_GT(d_single, 40.3 / 127 / 2);  // some output lands at least a step of the output grid away
}

TEST(NumericEquivalenceTest, Int8PipelineMatchesFakeQuantProgram) {
  ir::Program fake = FrozenChain();
  ir::Program int8 = fake.Clone();
  ASSERT_TRUE(RunInt8Pipeline(int8).ok());
  EXPECT_GE(testing::CountOps(int8, "quantize"), 1);
  std::string error;
  EXPECT_LT(MaxOutputDiff(fake, int8, kImage, 7, &error), 0.05) << error;
  EXPECT_TRUE(error.empty()) << error;
}

// The relu conv output training quantized as signed is stored as u8 on the trained grid (0..127, clipped
// at the threshold): the INT8 program computes exactly what the s8 storage computed.
TEST(NumericEquivalenceTest, SignedGridU8EqualsS8) {
  ir::Program u8 = FrozenChain();
  ASSERT_TRUE(RunInt8Pipeline(u8, "mark-unsigned").ok());
  ir::Program s8 = u8.Clone();
  ir::Var* r1 = s8.FindVar("r1");  // the relu conv's output
  ASSERT_TRUE(r1 != nullptr && r1->quant);
  EXPECT_TRUE(r1->quant->is_unsigned && r1->quant->signed_grid);
  r1->quant->is_unsigned = r1->quant->signed_grid = false;
  for (ir::Program* p : {&u8, &s8}) {
    PassContext rest;
    for (const auto& pass : {CreatePropagateScalesPass(), CreatePlaceInt8Pass(), CreateInsertQuantDequantPass(),
                             CreateSquashQuantPass(), CreateDeadCodeEliminationPass()}) {
      RunPassOk(*pass, *p, &rest);
    }
  }
  bool has_u8 = false;
  for (const auto& [name, v] : u8.vars()) has_u8 |= v.dtype == ir::DataType::kUInt8;
  EXPECT_TRUE(has_u8);
  std::string error;
  EXPECT_EQ(MaxOutputDiff(u8, s8, kImage, 7, &error), 0.0) << error;
  EXPECT_EQ(MaxOutputDiff(u8, s8, kImage, 8, &error), 0.0) << error;
  EXPECT_TRUE(error.empty()) << error;
}

TEST(NumericEquivalenceTest, SquashKeepsInt8Results) {
  ir::Program p = FrozenChain();
  ASSERT_TRUE(RunInt8Pipeline(p, "insert-quant-dequant").ok());
  // Squash removes a dequantize/quantize pair with equal scales: results identical.
  EXPECT_EQ(DiffAfter(p, {CreateSquashQuantPass().get(), CreateDeadCodeEliminationPass().get()}), 0.0);
  // Pre-quantized weights give the same results as FP32 weights quantized by the kernel.
  ir::Program squashed = p.Clone();
  ASSERT_TRUE(RunPassOk(*CreateSquashQuantPass(), squashed));
  EXPECT_LT(DiffAfter(squashed, {CreateQuantizeWeightsPass().get()}), 1e-5);
}

TEST(NumericEquivalenceTest, RemoveDropout) {
  ir::ProgramBuilder b;
  b.Input("x", {2, 3});
  b.AddOp("dropout", {{"X", {"x"}}}, {{"Out", {"d"}}}, {{"dropout_prob", Attribute::Float(0.25f)}});
  b.AddOp("scale", {{"X", {"d"}}}, {{"Out", {"y"}}}, {{"scale", Attribute::Float(0.75f)}});
  b.Output("y");
  ir::Program p = b.Build();
  // The reference treats dropout as identity, so compare against the explicit downgrade factor.
  ir::Program after = p.Clone();
  ASSERT_TRUE(RunPassOk(*CreateRemoveDropoutPass(), after));
  std::string error;
  std::vector<ir::Tensor> feeds = {testing::RandomTensor({2, 3}, 3)};
  auto a = testing::RunReference(p, feeds).value();
  auto c = testing::RunReference(after, feeds).value();
  for (int64_t i = 0; i < a[0].numel(); ++i) EXPECT_NEAR(c[0].data<float>()[i], a[0].data<float>()[i] * 0.75f, 1e-6);
}

}  // namespace
}  // namespace q2i::passes
