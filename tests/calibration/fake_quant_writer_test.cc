// The plan and the fake-quant writer on small ProgramBuilder graphs: the written program has the
// QAT-v1 frozen layout, saves and loads back, and converts with the INT8 pipeline so that every
// conv/fc runs INT8 and computes what the FP32 program computes.
#include <gtest/gtest.h>

#include <cmath>

#include "calibration/fake_quant_writer.h"
#include "calibration/quant_plan.h"
#include "converter/model_io.h"
#include "ir/op_kinds.h"
#include "ir/program_builder.h"
#include "ir/verifier.h"
#include "passes/pipelines.h"
#include "tests/calibration/calib_test_util.h"
#include "tests/test_util/program_helpers.h"
#include "tests/test_util/reference_executor.h"
#include "tests/test_util/shared_data.h"

namespace q2i::calibration {
namespace {

using ir::Attribute;
using q2i::testing::CountOps;
using q2i::testing::FindOp;
using q2i::testing::OpTypes;

struct Written {
  ir::Program program;
  QuantPlan plan;
  WriteSummary summary;
  std::map<std::string, double> thresholds;
};

Written Write(ir::Program p, const WriterOptions& wo = {}, const PlanOptions& po = {},
              std::map<std::string, double> override_thresholds = {}) {
  Written w;
  auto plan = PlanQuantization(p, po);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  w.plan = *plan;
  w.thresholds = testing::AbsMaxThresholds(p, w.plan.tensors, testing::RandomData(3, 4, {3, 8, 8}, 100));
  for (const auto& [k, v] : override_thresholds) w.thresholds[k] = v;
  auto s = WriteFakeQuantProgram(p, w.plan, w.thresholds, wo);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (s.ok()) w.summary = *s;
  w.program = std::move(p);
  return w;
}

Status ConvertInt8(ir::Program& p) {
  passes::PassManagerOptions options;
  options.verifier = passes::VerifyAfterPass;
  passes::PassManager pm(options);
  passes::BuildInt8Pipeline(pm);
  passes::PassContext ctx;
  return pm.Run(p, ctx);
}

WriterOptions Opts(Algo algo, WeightQuantizeType wq = WeightQuantizeType::kChannelWiseAbsMax,
                   ActivationQuantizeType aq = ActivationQuantizeType::kMovingAverageAbsMax) {
  WriterOptions o;
  o.algo = algo;
  o.weight_quantize_type = wq;
  o.activation_quantize_type = aq;
  return o;
}

PlanOptions Plan(std::set<std::string> types, std::set<std::string> skip = {}) {
  PlanOptions o;
  o.quantizable_op_types = std::move(types);
  o.skip_tensors = std::move(skip);
  return o;
}

bool IsInt8(const ir::Op& op) { return op.GetString("mkldnn_data_type", "").value_or("") == "int8"; }

void ExpectAllConvFcInt8(const ir::Program& p, int expected) {
  int n = 0;
  for (const auto& op : p.ops()) {
    EXPECT_FALSE(ir::IsFakeQuantOp(op->type())) << op->DebugName();
    if (op->type() == "conv2d" || op->type() == "fc") {
      EXPECT_TRUE(IsInt8(*op)) << op->DebugName();
      ++n;
    }
  }
  EXPECT_EQ(n, expected);
}

bool AllIntegers(const ir::Tensor& t) {
  for (float v : t.values<float>())
    if (v != std::nearbyint(v) || std::fabs(v) > 127) return false;
  return true;
}

float MaxAbs(const ir::Tensor& t) {
  float m = 0;
  for (float v : t.values<float>()) m = std::max(m, std::fabs(v));
  return m;
}

// Largest output difference between two programs on a batch, relative to the FP32 output range. The
// batch (seed 101) is one of the calibration batches of Write(), so nothing is clipped.
double RelativeOutputDiff(const ir::Program& a, const ir::Program& b, uint32_t seed = 101) {
  std::string error;
  const double diff = q2i::testing::MaxOutputDiff(a, b, {{4, 3, 8, 8}}, seed, &error);
  EXPECT_TRUE(error.empty()) << error;
  auto ra = q2i::testing::RunReference(a, {q2i::testing::RandomTensor({4, 3, 8, 8}, seed)});
  EXPECT_TRUE(ra.ok());
  return ra.ok() ? diff / MaxAbs((*ra)[0]) : 1e9;
}

TEST(QuantPlanTest, SmallNetTargetsOutputsAndTensors) {
  ir::Program p = testing::SmallNet();
  auto plan = PlanQuantization(p);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // fc(Bias) became mul + elementwise_add so that the dequantize can sit between them.
  EXPECT_EQ(OpTypes(p), "feed,conv2d,elementwise_add,relu,pool2d,mul,elementwise_add,fetch");
  ASSERT_EQ(plan->targets.size(), 2u);
  EXPECT_EQ(plan->targets[0].type, "conv2d");
  EXPECT_EQ(plan->targets[0].activation, "x");
  EXPECT_EQ(plan->targets[0].weight, "w1");
  EXPECT_EQ(plan->targets[0].output, "c");
  EXPECT_EQ(plan->targets[1].type, "mul");
  EXPECT_EQ(plan->targets[1].activation, "p");
  EXPECT_EQ(plan->targets[1].weight_axis, 1);
  EXPECT_TRUE(plan->skipped.empty());
  EXPECT_EQ(plan->tensors, (std::vector<std::string>{"x", "c", "cb", "r", "p", plan->targets[1].output, "y"}));
  EXPECT_TRUE(ir::VerifyProgram(p).ok());
  // The unfused program computes the same.
  EXPECT_LT(q2i::testing::MaxOutputDiff(testing::SmallNet(), p, {{2, 3, 8, 8}}, 7), 1e-5);
}

TEST(QuantPlanTest, UnsupportedTypesSkipListAndSkipQuant) {
  ir::Program p = testing::SmallNet();
  auto bad = PlanQuantization(p, Plan({"conv2d", "pool2d"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pool2d"), std::string::npos);
  EXPECT_NE(bad.status().message().find("depthwise_conv2d"), std::string::npos);  // lists the supported ones

  auto skipped = PlanQuantization(p, Plan({"conv2d", "fc"}, {"p"}));
  ASSERT_TRUE(skipped.ok());
  ASSERT_EQ(skipped->targets.size(), 1u);
  ASSERT_EQ(skipped->skipped.size(), 1u);
  EXPECT_EQ(skipped->skipped[0].type, "fc");
  EXPECT_NE(skipped->skipped[0].reason.find("'p'"), std::string::npos);
  EXPECT_EQ(CountOps(p, "fc"), 1);  // a skipped fc is left alone

  ir::Program q = testing::SmallNet();
  q.op(1).SetAttr("skip_quant", Attribute::Bool(true));
  auto plan = PlanQuantization(q);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->skipped.size(), 1u);
  EXPECT_NE(plan->skipped[0].reason.find("skip_quant"), std::string::npos);
}

TEST(FakeQuantWriterTest, ChannelWiseLayout) {
  Written w = Write(testing::SmallNet(), Opts(Algo::kAbsMax));
  const ir::Program& p = w.program;
  EXPECT_EQ(OpTypes(p),
            "feed,fake_quantize_moving_average_abs_max,conv2d,fake_channel_wise_dequantize_max_abs,elementwise_add,"
            "relu,pool2d,fake_quantize_moving_average_abs_max,mul,fake_channel_wise_dequantize_max_abs,"
            "elementwise_add,fetch");
  ASSERT_TRUE(ir::VerifyProgram(p).ok()) << ir::VerifyProgram(p).ToString();
  EXPECT_EQ(w.summary.quantized.size(), 2u);
  EXPECT_TRUE(w.summary.skipped.empty());

  const ir::Op* fq = FindOp(p, "fake_quantize_moving_average_abs_max");
  EXPECT_EQ(fq->Input("X"), "x");
  EXPECT_EQ(fq->Input("InScale"), "x.scale");
  EXPECT_EQ(fq->Output("OutScale"), "x.scale");
  EXPECT_EQ(fq->Output("Out"), "x.quantized");
  EXPECT_EQ(*fq->GetInt("bit_length"), 8);
  EXPECT_TRUE(*fq->GetBool("is_test"));
  EXPECT_FLOAT_EQ(static_cast<float>(*fq->GetFloat("moving_rate")), 0.9f);
  const ir::Var* scale = p.FindVar("x.scale");
  ASSERT_NE(scale, nullptr);
  EXPECT_TRUE(scale->persistable);
  EXPECT_EQ(scale->dims, (std::vector<int64_t>{1}));
  EXPECT_FLOAT_EQ(p.FindParam("x.scale")->data<float>()[0], static_cast<float>(w.thresholds.at("x")));

  const ir::Op* conv = FindOp(p, "conv2d");
  EXPECT_EQ(conv->Input("Input"), "x.quantized");
  EXPECT_EQ(*conv->GetString("quantization_type"), "post_abs_max");
  EXPECT_EQ(*conv->GetInt("activation_bits"), 8);
  EXPECT_TRUE(*conv->GetBool("with_quant_attr"));
  EXPECT_NEAR(*conv->GetFloat("out_threshold"), w.thresholds.at("c"), 1e-6);
  EXPECT_NEAR(*conv->GetFloat("Output0_threshold"), w.thresholds.at("c"), 1e-6);
  const ir::Tensor* w1 = p.FindParam("w1");
  EXPECT_TRUE(AllIntegers(*w1));
  for (int64_t c = 0; c < 4; ++c) {  // every output channel reaches +-127
    float m = 0;
    for (int64_t i = 0; i < 27; ++i) m = std::max(m, std::fabs(w1->data<float>()[c * 27 + i]));
    EXPECT_EQ(m, 127.f);
  }

  const ir::Op* dq = FindOp(p, "fake_channel_wise_dequantize_max_abs");
  EXPECT_EQ(dq->Input("X"), "c");
  EXPECT_EQ(dq->Inputs("Scales"), (std::vector<std::string>{"w1.scale", "x.scale"}));
  EXPECT_EQ(dq->Output("Out"), "c.dequantized");
  EXPECT_EQ(*dq->GetInts("quant_bits"), (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(*dq->GetInt("quant_axis"), 0);
  EXPECT_EQ(p.FindParam("w1.scale")->numel(), 4);
  EXPECT_EQ(FindOp(p, "elementwise_add")->Input("X"), "c.dequantized");
  const ir::Op* dq2 = FindOp(p, "fake_channel_wise_dequantize_max_abs", 1);
  EXPECT_EQ(*dq2->GetInt("quant_axis"), 1);
  EXPECT_EQ(p.FindParam(dq2->Inputs("Scales")[0])->numel(), 10);

  // out_threshold on every op that needs a scale: the relu, the pool, both adds
  for (const char* t : {"relu", "pool2d"}) EXPECT_TRUE(FindOp(p, t)->HasAttr("out_threshold")) << t;
  EXPECT_NEAR(*FindOp(p, "pool2d")->GetFloat("out_threshold"), w.thresholds.at("p"), 1e-6);
  EXPECT_TRUE(FindOp(p, "elementwise_add", 1)->HasAttr("out_threshold"));
  EXPECT_EQ(w.summary.out_thresholds, 6);
}

TEST(FakeQuantWriterTest, SavesLoadsAndConvertsWithEveryConvAndFcInt8) {
  for (auto wq : {WeightQuantizeType::kChannelWiseAbsMax, WeightQuantizeType::kAbsMax}) {
    Written w = Write(testing::SmallNet(), Opts(Algo::kKL, wq));
    auto dir = q2i::testing::ScratchDir("model");
    ASSERT_TRUE(converter::SaveModel(w.program, dir, {}).ok());
    auto loaded = converter::LoadModel({.path = dir, .model_filename = "", .params_filename = ""});
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(OpTypes(*loaded), OpTypes(w.program));
    ir::Program int8 = std::move(loaded).value();
    Status st = ConvertInt8(int8);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ExpectAllConvFcInt8(int8, 2);
    EXPECT_EQ(CountOps(int8, "fc"), 1);  // mul + add fused back
    const double rel = RelativeOutputDiff(testing::SmallNet(), int8);
    EXPECT_LT(rel, 0.03) << "weights " << (wq == WeightQuantizeType::kAbsMax ? "abs_max" : "channel_wise");
  }
}

TEST(FakeQuantWriterTest, PerTensorFakeProgramComputesLikeFp32) {
  Written w = Write(testing::SmallNet(), Opts(Algo::kAbsMax, WeightQuantizeType::kAbsMax));
  EXPECT_EQ(CountOps(w.program, "fake_dequantize_max_abs"), 2);
  const ir::Op* dq = FindOp(w.program, "fake_dequantize_max_abs");
  EXPECT_EQ(dq->Input("Scale"), "x.scale");
  // max_range = 127 * 127 / T_w with T_w the original abs max of w1
  const ir::Program fp32 = testing::SmallNet();
  EXPECT_NEAR(*dq->GetFloat("max_range"), 127.0 * 127.0 / MaxAbs(*fp32.FindParam("w1")), 1e-2);
  // The fake-quant program itself (quantize -> integer conv -> dequantize) runs close to FP32.
  EXPECT_LT(RelativeOutputDiff(fp32, w.program), 0.03);
}

TEST(FakeQuantWriterTest, RangeAbsMaxActivationOps) {
  Written w = Write(testing::SmallNet(), Opts(Algo::kKL, WeightQuantizeType::kChannelWiseAbsMax, ActivationQuantizeType::kRangeAbsMax));
  EXPECT_EQ(CountOps(w.program, "fake_quantize_range_abs_max"), 2);
  EXPECT_EQ(*FindOp(w.program, "fake_quantize_range_abs_max")->GetInt("window_size"), 10000);
  ASSERT_TRUE(ConvertInt8(w.program).ok());
  ExpectAllConvFcInt8(w.program, 2);
}

// x -> convA -> a ; x -> convB -> b ; a -> convC -> c ; add(b, c) -> y
ir::Program SharedAndChained() {
  ir::ProgramBuilder b;
  b.Input("x", {-1, 3, 8, 8});
  ir::ProgramBuilder::Attrs attrs = {{"strides", Attribute::Ints({1, 1})}, {"paddings", Attribute::Ints({1, 1})},
                                     {"dilations", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(1)}};
  b.Param("wa", q2i::testing::RandomTensor({3, 3, 3, 3}, 1));
  b.Param("wb", q2i::testing::RandomTensor({3, 3, 3, 3}, 2));
  b.Param("wc", q2i::testing::RandomTensor({3, 3, 3, 3}, 3));
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"wa"}}}, {{"Output", {"a"}}}, attrs);
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"wb"}}}, {{"Output", {"b"}}}, attrs);
  b.AddOp("conv2d", {{"Input", {"a"}}, {"Filter", {"wc"}}}, {{"Output", {"c"}}}, attrs);
  b.AddOp("elementwise_add", {{"X", {"b"}}, {"Y", {"c"}}}, {{"Out", {"y"}}}, {{"axis", Attribute::Int(-1)}});
  for (const char* v : {"a", "b", "c", "y"}) b.DeclareVar(v, {-1, 3, 8, 8});
  b.Output("y");
  return b.Build();
}

TEST(FakeQuantWriterTest, SharedActivationOneFakeOpAndChainedTargets) {
  Written w = Write(SharedAndChained());
  const ir::Program& p = w.program;
  EXPECT_EQ(CountOps(p, "fake_quantize_moving_average_abs_max"), 2);  // x once, a once
  EXPECT_EQ(FindOp(p, "conv2d", 0)->Input("Input"), "x.quantized");
  EXPECT_EQ(FindOp(p, "conv2d", 1)->Input("Input"), "x.quantized");
  // convC reads convA's output, which now comes out of convA's dequantize
  EXPECT_EQ(FindOp(p, "conv2d", 2)->Input("Input"), "a.dequantized.quantized");
  EXPECT_EQ(FindOp(p, "elementwise_add")->Input("X"), "b.dequantized");
  EXPECT_EQ(FindOp(p, "elementwise_add")->Input("Y"), "c.dequantized");
  EXPECT_TRUE(ir::VerifyProgram(p).ok()) << ir::VerifyProgram(p).ToString();
  ir::Program int8 = w.program.Clone();
  ASSERT_TRUE(ConvertInt8(int8).ok());
  ExpectAllConvFcInt8(int8, 3);
  EXPECT_LT(RelativeOutputDiff(SharedAndChained(), int8), 0.03);
}

TEST(FakeQuantWriterTest, ZeroActivationSkipsTheOpWithAReason) {
  Written w = Write(testing::SmallNet(), {}, {}, {{"p", 0.0}});
  ASSERT_EQ(w.summary.quantized.size(), 1u);
  ASSERT_EQ(w.summary.skipped.size(), 1u);
  EXPECT_EQ(w.summary.skipped[0].type, "mul");
  EXPECT_NE(w.summary.skipped[0].reason.find("'p'"), std::string::npos);
  const ir::Op* mul = FindOp(w.program, "mul");
  EXPECT_TRUE(*mul->GetBool("skip_quant"));
  EXPECT_EQ(mul->Input("X"), "p");
  EXPECT_FALSE(AllIntegers(*w.program.FindParam("w2")));  // its weight stays FP32
  EXPECT_FALSE(FindOp(w.program, "pool2d")->HasAttr("out_threshold"));  // no zero threshold written
  EXPECT_EQ(w.summary.unscaled, (std::vector<std::string>{"p"}));
  for (const auto& [name, t] : w.program.params()) {
    if (name.find(".scale") == std::string::npos) continue;
    for (float v : t.values<float>()) EXPECT_GT(v, 0) << name;
  }
  ir::Program int8 = w.program.Clone();
  ASSERT_TRUE(ConvertInt8(int8).ok());
  EXPECT_TRUE(IsInt8(*FindOp(int8, "conv2d")));
}

TEST(FakeQuantWriterTest, WeightSharedWithAnUnquantizedOpIsCopied) {
  ir::ProgramBuilder b;
  b.Input("x", {-1, 8});
  b.Param("w", q2i::testing::RandomTensor({8, 8}, 4));
  b.AddOp("mul", {{"X", {"x"}}, {"Y", {"w"}}}, {{"Out", {"h"}}});
  b.AddOp("relu", {{"X", {"h"}}}, {{"Out", {"r"}}});
  b.AddOp("mul", {{"X", {"r"}}, {"Y", {"w"}}}, {{"Out", {"y"}}}, {{"skip_quant", Attribute::Bool(true)}});
  for (const char* v : {"h", "r", "y"}) b.DeclareVar(v, {-1, 8});
  b.Output("y");
  ir::Program p = b.Build();
  const ir::Tensor original = p.FindParam("w")->Clone();
  auto plan = PlanQuantization(p);
  ASSERT_TRUE(plan.ok());
  auto s = WriteFakeQuantProgram(p, *plan, {{"x", 1.0}, {"h", 2.0}, {"r", 2.0}, {"y", 3.0}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const ir::Op* first = FindOp(p, "mul", 0);
  const ir::Op* second = FindOp(p, "mul", 1);
  EXPECT_NE(first->Input("Y"), "w");
  EXPECT_TRUE(AllIntegers(*p.FindParam(first->Input("Y"))));
  EXPECT_EQ(second->Input("Y"), "w");
  EXPECT_TRUE(p.FindParam("w")->IdenticalTo(original));
}

TEST(FakeQuantWriterTest, FusedConvAndFcAreUnfused) {
  ir::ProgramBuilder b;
  b.Input("x", {-1, 3, 8, 8});
  b.Param("w", q2i::testing::RandomTensor({4, 3, 3, 3}, 5));
  b.Param("bias", q2i::testing::RandomTensor({4}, 6));
  b.Param("fw", q2i::testing::RandomTensor({256, 5}, 7));
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"bias"}}}, {{"Output", {"c"}}},
          {{"strides", Attribute::Ints({1, 1})}, {"paddings", Attribute::Ints({1, 1})},
           {"fuse_activation", Attribute::String("relu")}});
  b.AddOp("fc", {{"Input", {"c"}}, {"W", {"fw"}}}, {{"Out", {"y"}}},
          {{"in_num_col_dims", Attribute::Int(1)}, {"activation_type", Attribute::String("relu")}});
  b.DeclareVar("c", {-1, 4, 8, 8});
  b.DeclareVar("y", {-1, 5});
  b.Output("y");
  ir::Program fp32 = b.Build();
  ir::Program p = fp32.Clone();
  auto plan = PlanQuantization(p);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(OpTypes(p), "feed,conv2d,elementwise_add,relu,mul,relu,fetch");
  EXPECT_EQ(plan->targets.size(), 2u);
  EXPECT_LT(q2i::testing::MaxOutputDiff(fp32, p, {{2, 3, 8, 8}}, 3), 1e-5);
}

TEST(QuantizeWeightTest, PerChannelPerTensorAndZeroChannels) {
  ir::Tensor w = ir::Tensor::FromVector<float>({2, 3}, {0.5f, -1.f, 0.f, 0.25f, 2.f, 0.f});
  auto axis1 = QuantizeWeight(w, 1, "w");
  ASSERT_TRUE(axis1.ok());
  EXPECT_EQ(axis1->thresholds, (std::vector<double>{0.5, 2.0, 1.0}));  // all-zero column: 1
  EXPECT_EQ(std::vector<float>(axis1->values.values<float>().begin(), axis1->values.values<float>().end()),
            (std::vector<float>{127, -64, 0, 64, 127, 0}));  // -63.5 and 63.5 round half to even
  auto tensor = QuantizeWeight(w, -1, "w");
  ASSERT_TRUE(tensor.ok());
  EXPECT_EQ(tensor->thresholds, (std::vector<double>{2.0}));
  EXPECT_EQ(tensor->values.data<float>()[1], -64.f);  // -1/2*127 = -63.5 -> -64
  auto zero = QuantizeWeight(ir::Tensor(ir::DataType::kFP32, {3, 2}), -1, "z");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->thresholds, (std::vector<double>{1.0}));

  ir::Tensor bad = ir::Tensor::FromVector<float>({2}, {1.f, std::nanf("")});
  auto r = QuantizeWeight(bad, -1, "conv1_weights");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("conv1_weights"), std::string::npos);
}

}  // namespace
}  // namespace q2i::calibration
