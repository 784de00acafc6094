// The bare-primitive floor (runtime/primitive_floor.h) and the executor queries it is built on:
// per-op profiles and the planned element types and dims of op arguments.
#include "runtime/primitive_floor.h"

#include <gtest/gtest.h>

#include "tests/runtime/op_test_util.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

// conv (+bias, relu) -> conv (residual sum) -> pool; two convs the floor must find.
ir::Program TwoConvs() {
  return BuildProgram(
      {{"x", ir::Tensor(ir::DataType::kFP32, {1, 8, 10, 10})}},
      {{"w1", RandomTensor({8, 8, 3, 3}, 11)}, {"b1", RandomTensor({8}, 12)}, {"w2", RandomTensor({8, 8, 1, 1}, 13)}},
      {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w1"}}, {"Bias", {"b1"}}}, {{"Output", {"c1"}}},
        {{"paddings", Attribute::Ints({1, 1})}, {"fuse_activation", Attribute::String("relu")}}},
       {"conv2d", {{"Input", {"c1"}}, {"Filter", {"w2"}}, {"ResidualData", {"x"}}}, {{"Output", {"c2"}}},
        {{"strides", Attribute::Ints({1, 1})}, {"fuse_residual_connection", Attribute::Bool(true)}}},
       {"pool2d", {{"X", {"c2"}}}, {{"Out", {"p"}}},
        {{"pooling_type", Attribute::String("max")}, {"ksize", Attribute::Ints({2, 2})},
         {"strides", Attribute::Ints({2, 2})}}}},
      {"p"});
}

// The floor of `p`'s plan after one profiled run on `feeds`.
StatusOr<std::vector<runtime::ConvFloor>> FloorAfterOneRun(const ir::Program& p, const std::vector<ir::Tensor>& feeds,
                                                           int repeat) {
  Q2I_ASSIGN_OR_RETURN(auto exec, runtime::Executor::Create(p, {.num_threads = 1, .profile = true}));
  Q2I_RETURN_IF_ERROR(exec->Run(feeds).status());
  return runtime::MeasureConvFloor(*exec, {.warmup = 1, .repeat = repeat});
}

TEST(PrimitiveFloorTest, TimesEveryConvolutionOfThePlan) {
  ir::Program p = TwoConvs();
  auto floor = FloorAfterOneRun(p, {RandomTensor({1, 8, 10, 10}, 3)}, 3);
  ASSERT_TRUE(floor.ok()) << floor.status().ToString();
  ASSERT_EQ(floor->size(), 2u);
  EXPECT_EQ((*floor)[0].op, p.op((*floor)[0].op_index).DebugName());
  EXPECT_EQ((*floor)[0].shape, "1x8x10x10 float32 -> 1x8x10x10 float32, k3x3 s1 g1 +relu");
  EXPECT_EQ((*floor)[1].shape, "1x8x10x10 float32 -> 1x8x10x10 float32, k1x1 s1 g1 +sum");
  EXPECT_GE((*floor)[0].weight_bytes, (8 * 8 * 9 + 8) * sizeof(float));  // filter (maybe padded) and bias
  EXPECT_GE((*floor)[1].weight_bytes, 8 * 8 * sizeof(float));
  EXPECT_EQ((*floor)[0].macs, 8 * 10 * 10 * 8 * 3 * 3);  // every output: 8 channels x 3x3 taps
  EXPECT_EQ((*floor)[1].macs, 8 * 10 * 10 * 8);
  EXPECT_FALSE((*floor)[0].int8);
  for (const auto& c : *floor) {
    EXPECT_GT(c.floor_ms, 0);
    EXPECT_GT(c.sequence_ms, 0);
    EXPECT_GT(c.cold_ms, 0);
    EXPECT_GT(c.weights_read_ms, 0);
  }
}

// A depthwise conv counts one input channel per output: groups divide the multiply-adds.
TEST(PrimitiveFloorTest, DepthwiseMultiplyAddsCountOneChannelPerOutput) {
  ir::Program p = BuildProgram(
      {{"x", ir::Tensor(ir::DataType::kFP32, {1, 8, 10, 10})}}, {{"w", RandomTensor({8, 1, 3, 3}, 15)}},
      {{"depthwise_conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}},
        {{"paddings", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(8)}}}},
      {"y"});
  auto floor = FloorAfterOneRun(p, {RandomTensor({1, 8, 10, 10}, 3)}, 2);
  ASSERT_TRUE(floor.ok()) << floor.status().ToString();
  ASSERT_EQ(floor->size(), 1u);
  EXPECT_EQ((*floor)[0].shape, "1x8x10x10 float32 -> 1x8x10x10 float32, k3x3 s1 g8");
  EXPECT_EQ((*floor)[0].macs, 8 * 10 * 10 * 3 * 3);
}

// An INT8 conv with the roundings training did: the bare primitive carries the same post-op chain.
TEST(PrimitiveFloorTest, Int8ConvKeepsItsTrainingRoundings) {
  ir::Tensor x(ir::DataType::kUInt8, {1, 8, 6, 6}), r(ir::DataType::kInt8, {1, 8, 6, 6});
  ir::Program p = BuildProgram(
      {{"x", x}, {"r", r}}, {{"w", RandomTensor({8, 8, 1, 1}, 14)}},
      {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}, {"ResidualData", {"r"}}}, {{"Output", {"y"}}},
        {{"fuse_residual_connection", Attribute::Bool(true)}, {"fuse_activation", Attribute::String("relu")},
         {"mkldnn_data_type", Attribute::String("int8")}, {"Scale_in", Attribute::Float(30.f)},
         {"Scale_weights", Attribute::Floats({100.f})}, {"Scale_out", Attribute::Float(10.f)},
         {"Scale_in_eltwise", Attribute::Float(20.f)}, {"Scale_pre_residual", Attribute::Float(15.f)},
         {"Scale_pre_activation", Attribute::Float(12.f)}}}},
      {"y"}, {{"y", ir::DataType::kUInt8}});
  auto floor = FloorAfterOneRun(p, {x, r}, 2);
  ASSERT_TRUE(floor.ok()) << floor.status().ToString();
  ASSERT_EQ(floor->size(), 1u);
  EXPECT_EQ((*floor)[0].shape, "1x8x6x6 uint8 -> 1x8x6x6 uint8, k1x1 s1 g1 +round +sum +round +relu");
  EXPECT_EQ((*floor)[0].macs, 8 * 6 * 6 * 8);
  EXPECT_TRUE((*floor)[0].int8);
}

// As in fake-quant programs: the filter is computed from a parameter (folded once by the executor).
TEST(PrimitiveFloorTest, FilterComputedFromAParameter) {
  ir::Program p = BuildProgram(
      {{"x", ir::Tensor(ir::DataType::kFP32, {1, 4, 6, 6})}}, {{"w", RandomTensor({4, 4, 3, 3}, 21)}},
      {{"scale", {{"X", {"w"}}}, {{"Out", {"ws"}}}, {{"scale", Attribute::Float(2.f)}}},
       {"conv2d", {{"Input", {"x"}}, {"Filter", {"ws"}}}, {{"Output", {"y"}}}, {{"paddings", Attribute::Ints({1, 1})}}}},
      {"y"});
  auto exec = runtime::Executor::Create(p, {.num_threads = 1, .profile = true});
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  ASSERT_TRUE((*exec)->Prepare({{1, 4, 6, 6}}).ok());
  auto floor = runtime::MeasureConvFloor(**exec, {.warmup = 0, .repeat = 1});
  ASSERT_TRUE(floor.ok()) << floor.status().ToString();
  ASSERT_EQ(floor->size(), 1u);
  EXPECT_EQ((*floor)[0].shape, "1x4x6x6 float32 -> 1x4x6x6 float32, k3x3 s1 g1");
}

TEST(PrimitiveFloorTest, NeedsAPreparedPlan) {
  ir::Program p = TwoConvs();
  auto exec = runtime::Executor::Create(p);
  ASSERT_TRUE(exec.ok());
  auto floor = runtime::MeasureConvFloor(**exec);
  EXPECT_FALSE(floor.ok());
  EXPECT_EQ(floor.status().code(), StatusCode::kNotFound);
}

TEST(PrimitiveFloorTest, RejectsBadOptions) {
  ir::Program p = TwoConvs();
  auto exec = runtime::Executor::Create(p);
  ASSERT_TRUE(exec.ok());
  ASSERT_TRUE((*exec)->Prepare({{1, 8, 10, 10}}).ok());
  EXPECT_EQ(runtime::MeasureConvFloor(**exec, {.warmup = 0, .repeat = 0}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ExecutorQueryTest, PlannedArgumentsAndPerOpProfile) {
  ir::Program p = TwoConvs();
  auto exec = runtime::Executor::Create(p, {.num_threads = 1, .profile = true});
  ASSERT_TRUE(exec.ok());
  EXPECT_FALSE((*exec)->PlannedArgument(0, false, "Input").ok());  // nothing prepared
  ASSERT_TRUE((*exec)->Run({RandomTensor({1, 8, 10, 10}, 3)}).ok());
  ASSERT_TRUE((*exec)->Run({RandomTensor({1, 8, 10, 10}, 4)}).ok());
  size_t pool = 0;
  for (size_t i = 0; i < p.num_ops(); ++i)
    if (p.op(i).type() == "pool2d") pool = i;
  auto out = (*exec)->PlannedArgument(pool, true, "Out");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->var, "p");
  EXPECT_EQ(out->dtype, ir::DataType::kFP32);
  EXPECT_EQ(out->dims, (std::vector<int64_t>{1, 8, 5, 5}));
  auto missing = (*exec)->PlannedArgument(pool, false, "NoSuchSlot");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("pool2d(id="), std::string::npos);
  EXPECT_FALSE((*exec)->PlannedArgument(p.num_ops(), false, "X").ok());

  const runtime::ProfileReport r = (*exec)->profile();
  ASSERT_EQ(r.ops.size(), 3u);  // two convs and the pool, in program order
  double sum = 0;
  for (size_t i = 0; i < r.ops.size(); ++i) {
    EXPECT_EQ(r.ops[i].count, 2);
    EXPECT_EQ(r.ops[i].op, p.op(r.ops[i].op_index).DebugName());
    if (i > 0) {
      EXPECT_GT(r.ops[i].op_index, r.ops[i - 1].op_index);
    }
    sum += r.ops[i].total_ms;
  }
  EXPECT_EQ(r.ops[2].label, "pool2d");
  EXPECT_LE(sum, r.kernel_ms + 1e-9);
  (*exec)->ResetProfile();
  EXPECT_TRUE((*exec)->profile().ops.empty());
}

}  // namespace
}  // namespace q2i::testing
