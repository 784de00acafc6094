// conv2d / depthwise_conv2d / conv2d_transpose against the nested-loop reference.
#include <gtest/gtest.h>

#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

struct ConvCase {
  std::vector<int64_t> x;  // N C H W
  int64_t oc, kh, kw;
  std::vector<int32_t> strides, paddings, dilations;
  int groups;
  std::string algo = "EXPLICIT";
  bool bias = false;
};

class ConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTest, MatchesReference) {
  const ConvCase& c = GetParam();
  ir::Tensor x = RandomTensor(c.x, 1);
  ir::Tensor w = RandomTensor({c.oc, c.x[1] / c.groups, c.kh, c.kw}, 2);
  ir::Tensor b = RandomTensor({c.oc}, 3);
  ref::Conv2dParams p;
  p.stride_h = c.strides[0];
  p.stride_w = c.strides[1];
  if (c.paddings.size() == 2) {
    p.pad_t = p.pad_b = c.paddings[0];
    p.pad_l = p.pad_r = c.paddings[1];
  } else {
    p.pad_t = c.paddings[0];
    p.pad_b = c.paddings[1];
    p.pad_l = c.paddings[2];
    p.pad_r = c.paddings[3];
  }
  p.dil_h = c.dilations[0];
  p.dil_w = c.dilations[1];
  p.groups = c.groups;
  if (c.algo == "VALID") p.pad_t = p.pad_b = p.pad_l = p.pad_r = 0;
  if (c.algo == "SAME") {
    auto same = [](int64_t in, int64_t k, int s, int& lo, int& hi) {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>((out - 1) * s + k - in, 0);
      lo = static_cast<int>(total / 2);
      hi = static_cast<int>(total - total / 2);
    };
    same(c.x[2], c.kh, c.strides[0], p.pad_t, p.pad_b);
    same(c.x[3], c.kw, c.strides[1], p.pad_l, p.pad_r);
    p.dil_h = p.dil_w = 1;
  }
  ir::Tensor expected = ref::Conv2d(x, w, c.bias ? &b : nullptr, p);
  OpCall op{c.groups > 1 && c.groups == c.x[1] ? "depthwise_conv2d" : "conv2d",
            {{"Input", {"x"}}, {"Filter", {"w"}}},
            {{"Output", {"y"}}},
            {{"strides", Attribute::Ints(c.strides)},
             {"paddings", Attribute::Ints(c.paddings)},
             {"dilations", Attribute::Ints(c.dilations)},
             {"groups", Attribute::Int(c.groups)},
             {"padding_algorithm", Attribute::String(c.algo)},
             {"data_format", Attribute::String("NCHW")}}};
  Named params = {{"w", w}};
  if (c.bias) {
    op.inputs.push_back({"Bias", {"b"}});
    params.push_back({"b", b});
  }
  auto y = RunOp(op, {{"x", x}}, params);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_TRUE(TensorsNear(*y, expected, 1e-4, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTest,
    ::testing::Values(ConvCase{{1, 3, 11, 13}, 8, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1},
                      ConvCase{{2, 16, 9, 9}, 32, 3, 3, {2, 2}, {1, 1}, {1, 1}, 1, "EXPLICIT", true},
                      ConvCase{{1, 8, 10, 7}, 4, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1},
                      ConvCase{{1, 6, 12, 12}, 6, 3, 3, {1, 2}, {0, 1, 2, 1}, {1, 1}, 1, "EXPLICIT", true},
                      ConvCase{{1, 4, 12, 12}, 8, 3, 3, {1, 1}, {2, 2}, {2, 2}, 1},
                      ConvCase{{1, 8, 9, 9}, 16, 3, 3, {1, 1}, {1, 1}, {1, 1}, 2, "EXPLICIT", true},
                      ConvCase{{2, 24, 14, 14}, 24, 3, 3, {2, 2}, {1, 1}, {1, 1}, 24},
                      ConvCase{{1, 32, 7, 9}, 32, 5, 5, {1, 1}, {2, 2}, {1, 1}, 32, "EXPLICIT", true},
                      ConvCase{{1, 5, 10, 11}, 7, 3, 2, {2, 3}, {5, 5}, {2, 1}, 1, "SAME"},
                      ConvCase{{1, 5, 10, 11}, 7, 3, 3, {2, 2}, {1, 1}, {1, 1}, 1, "VALID"}));

TEST(ConvFusedTest, BiasActivationResidual) {
  ir::Tensor x = RandomTensor({1, 8, 6, 6}, 4), w = RandomTensor({16, 8, 3, 3}, 5), b = RandomTensor({16}, 6);
  ir::Tensor res = RandomTensor({1, 16, 6, 6}, 7);
  ref::Conv2dParams p;
  p.pad_t = p.pad_b = p.pad_l = p.pad_r = 1;
  ir::Tensor conv = ref::Conv2d(x, w, &b, p);
  const std::vector<std::pair<std::string, ir::Tensor>> acts = {
      {"relu", ref::Unary(conv, "relu")},
      {"relu6", ref::Unary(conv, "relu6", 0.5f)},  // fuse_alpha = upper bound 0.5
      {"leaky_relu", ref::Unary(conv, "leaky_relu", 0.5f)},
      {"sigmoid", ref::Unary(conv, "sigmoid")},
      {"tanh", ref::Unary(conv, "tanh")},
      {"swish", ref::Unary(conv, "swish", 0.5f)},
      {"hard_swish", ref::Unary(conv, "hard_swish", 6, 6, 3)},
  };
  for (const auto& [act, expected] : acts) {
    OpCall op{"conv2d",
              {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}},
              {{"Output", {"y"}}},
              {{"paddings", Attribute::Ints({1, 1})},
               {"fuse_activation", Attribute::String(act)},
               {"fuse_alpha", Attribute::Float(0.5f)}}};
    auto y = RunOp(op, {{"x", x}}, {{"w", w}, {"b", b}});
    ASSERT_TRUE(y.ok()) << act << ": " << y.status().ToString();
    EXPECT_TRUE(TensorsNear(*y, expected, 1e-4, 1e-4)) << act;
  }
  // hard_sigmoid with slope / offset in fuse_alpha / fuse_beta.
  {
    OpCall op{"conv2d",
              {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}},
              {{"Output", {"y"}}},
              {{"paddings", Attribute::Ints({1, 1})},
               {"fuse_activation", Attribute::String("hard_sigmoid")},
               {"fuse_alpha", Attribute::Float(0.2f)},
               {"fuse_beta", Attribute::Float(0.5f)}}};
    auto y = RunOp(op, {{"x", x}}, {{"w", w}, {"b", b}});
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_TRUE(TensorsNear(*y, ref::Unary(conv, "hard_sigmoid", 0.2f, 0.5f), 1e-4, 1e-4));
  }
  // Residual (a runtime input) then relu: relu(conv + b + res).
  {
    ir::Tensor sum = ref::Binary(conv, conv.dims(), res, res.dims(), "add");
    OpCall op{"conv2d",
              {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}, {"ResidualData", {"r"}}},
              {{"Output", {"y"}}},
              {{"paddings", Attribute::Ints({1, 1})},
               {"fuse_activation", Attribute::String("relu")},
               {"fuse_residual_connection", Attribute::Bool(true)}}};
    auto y = RunOp(op, {{"x", x}, {"r", res}}, {{"w", w}, {"b", b}});
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_TRUE(TensorsNear(*y, ref::Unary(sum, "relu"), 1e-4, 1e-4));
  }
}

TEST(ConvFusedTest, ResidualReusesDeadInputAndKeepsLiveOne) {
  // c1 = conv(x); y = conv(x, residual = c1): c1 dies at the second conv (in place). z = c1 + y keeps
  // c1 alive, so a copy is needed instead.
  ir::Tensor x = RandomTensor({1, 4, 5, 5}, 8), w1 = RandomTensor({4, 4, 1, 1}, 9), w2 = RandomTensor({4, 4, 1, 1}, 10);
  ref::Conv2dParams p;
  ir::Tensor c1 = ref::Conv2d(x, w1, nullptr, p);
  ir::Tensor c2 = ref::Conv2d(x, w2, nullptr, p);
  ir::Tensor y = ref::Binary(c2, c2.dims(), c1, c1.dims(), "add");
  for (bool keep : {false, true}) {
    std::vector<OpCall> ops = {
        {"conv2d", {{"Input", {"x"}}, {"Filter", {"w1"}}}, {{"Output", {"c1"}}}, {}},
        {"conv2d",
         {{"Input", {"x"}}, {"Filter", {"w2"}}, {"ResidualData", {"c1"}}},
         {{"Output", {"y"}}},
         {{"fuse_residual_connection", Attribute::Bool(true)}}}};
    std::vector<std::string> fetch = {"y"};
    if (keep) {
      ops.push_back({"elementwise_add", {{"X", {"c1"}}, {"Y", {"y"}}}, {{"Out", {"z"}}}, {}});
      fetch.push_back("z");
    }
    ir::Program prog = BuildProgram({{"x", x}}, {{"w1", w1}, {"w2", w2}}, ops, fetch);
    auto exec = runtime::Executor::Create(prog);
    ASSERT_TRUE(exec.ok());
    auto out = (*exec)->Run({x});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(TensorsNear((*out)[0], y, 1e-4, 1e-4));
    auto stats = (*exec)->CurrentPlanStats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->num_copy_steps, keep ? 1 : 0);
    if (keep) {
      EXPECT_TRUE(TensorsNear((*out)[1], ref::Binary(c1, c1.dims(), y, y.dims(), "add"), 1e-4, 1e-4));
    }
  }
}

TEST(ConvChainTest, NoReordersBetweenConsecutiveConvs) {
  ir::Tensor x = RandomTensor({1, 16, 14, 14}, 11);
  ir::Tensor w1 = RandomTensor({32, 16, 3, 3}, 12), w2 = RandomTensor({32, 32, 3, 3}, 13), w3 = RandomTensor({32, 1, 3, 3}, 14);
  ref::Conv2dParams p;
  p.pad_t = p.pad_b = p.pad_l = p.pad_r = 1;
  ref::Conv2dParams dw = p;
  dw.groups = 32;
  ir::Tensor e = ref::Unary(ref::Conv2d(x, w1, nullptr, p), "relu");
  e = ref::Conv2d(e, w2, nullptr, p);
  e = ref::Conv2d(e, w3, nullptr, dw);
  const ir::ProgramBuilder::Attrs pad = {{"paddings", Attribute::Ints({1, 1})}};
  std::vector<OpCall> ops = {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w1"}}}, {{"Output", {"a"}}}, pad},
                             {"relu", {{"X", {"a"}}}, {{"Out", {"b"}}}, {}},
                             {"conv2d", {{"Input", {"b"}}, {"Filter", {"w2"}}}, {{"Output", {"c"}}}, pad},
                             {"depthwise_conv2d",
                              {{"Input", {"c"}}, {"Filter", {"w3"}}},
                              {{"Output", {"d"}}},
                              {{"paddings", Attribute::Ints({1, 1})}, {"groups", Attribute::Int(32)}}}};
  ir::Program prog = BuildProgram({{"x", x}}, {{"w1", w1}, {"w2", w2}, {"w3", w3}}, ops, {"d"});
  auto exec = runtime::Executor::Create(prog);
  ASSERT_TRUE(exec.ok());
  auto out = (*exec)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear((*out)[0], e, 1e-4, 1e-4));
  auto stats = (*exec)->CurrentPlanStats();
  // At most the input reorder into the first conv's layout; none between ops.
  EXPECT_LE(stats->num_reorder_steps, 1) << (*exec)->DumpPlan();
  EXPECT_EQ(stats->num_kernel_steps, 4);
}

struct DeconvCase {
  std::vector<int64_t> x;
  int64_t ocg, k;
  int stride, pad, groups;
  std::vector<int32_t> output_padding;
};

class DeconvTest : public ::testing::TestWithParam<DeconvCase> {};

TEST_P(DeconvTest, MatchesReference) {
  const DeconvCase& c = GetParam();
  ir::Tensor x = RandomTensor(c.x, 21), w = RandomTensor({c.x[1], c.ocg, c.k, c.k}, 22);
  ref::Conv2dParams p;
  p.stride_h = p.stride_w = c.stride;
  p.pad_t = p.pad_b = p.pad_l = p.pad_r = c.pad;
  p.groups = c.groups;
  const int extra = c.output_padding.empty() ? 0 : c.output_padding[0];
  ir::Tensor expected = ref::Conv2dTranspose(x, w, p, extra, extra);
  OpCall op{"conv2d_transpose",
            {{"Input", {"x"}}, {"Filter", {"w"}}},
            {{"Output", {"y"}}},
            {{"strides", Attribute::Ints({c.stride, c.stride})},
             {"paddings", Attribute::Ints({c.pad, c.pad})},
             {"groups", Attribute::Int(c.groups)},
             {"output_padding", Attribute::Ints(c.output_padding)}}};
  auto y = RunOp(op, {{"x", x}}, {{"w", w}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_TRUE(TensorsNear(*y, expected, 1e-4, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(Shapes, DeconvTest,
                         ::testing::Values(DeconvCase{{1, 8, 5, 5}, 4, 2, 2, 0, 1, {}},
                                           DeconvCase{{2, 6, 4, 7}, 3, 3, 2, 1, 1, {1, 1}},
                                           DeconvCase{{1, 8, 6, 6}, 2, 4, 2, 1, 2, {}},
                                           DeconvCase{{1, 4, 3, 3}, 5, 3, 1, 1, 1, {}},
                                           // Filter = stride (matmuls, runtime/kernels/deconv_matmul.h).
                                           DeconvCase{{2, 24, 7, 6}, 24, 2, 2, 0, 1, {}},
                                           DeconvCase{{1, 24, 8, 8}, 1, 2, 2, 0, 1, {}},
                                           DeconvCase{{1, 5, 4, 3}, 7, 3, 3, 0, 1, {}}));

TEST(ConvErrorsTest, NhwcAndNonConstantFilterAreClearErrors) {
  ir::Tensor x = RandomTensor({1, 4, 5, 5}, 1), w = RandomTensor({4, 4, 1, 1}, 2);
  OpCall nhwc{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}},
              {{"data_format", Attribute::String("NHWC")}}};
  auto y = RunOp(nhwc, {{"x", x}}, {{"w", w}});
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(y.status().message().find("conv2d(id="), std::string::npos) << y.status().ToString();
  EXPECT_NE(y.status().message().find("NHWC"), std::string::npos);
  OpCall fed{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}}, {}};
  auto y2 = RunOp(fed, {{"x", x}, {"w", w}});
  ASSERT_FALSE(y2.ok());
  EXPECT_NE(y2.status().message().find("Filter"), std::string::npos);
}

// A Filter type the kernels would otherwise read as the wrong type: a clear error naming the op.
TEST(ConvErrorsTest, FilterOfAnotherTypeIsAClearError) {
  const ir::Tensor x = RandomTensor({1, 4, 5, 5}, 3);
  const ir::Tensor w32 = ir::Tensor(ir::DataType::kInt32, {4, 4, 1, 1});
  auto y = RunOp({"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}}, {}}, {{"x", x}}, {{"w", w32}});
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().message().find("conv2d(id="), std::string::npos) << y.status().ToString();
  EXPECT_NE(y.status().message().find("Filter must be float32 or int8"), std::string::npos) << y.status().ToString();
}

// A constant Bias with fewer values than output channels: a clear error naming the op, never a read
// past its end.
TEST(ConvErrorsTest, BiasOfTheWrongLengthIsAClearError) {
  const ir::Tensor x = RandomTensor({1, 4, 5, 5}, 4), w = RandomTensor({4, 4, 1, 1}, 5), b = RandomTensor({3}, 6);
  auto y = RunOp({"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}}, {{"Output", {"y"}}}, {}},
                 {{"x", x}}, {{"w", w}, {"b", b}});
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().message().find("conv2d(id="), std::string::npos) << y.status().ToString();
  EXPECT_NE(y.status().message().find("Bias has 3 values for 4 output channels"), std::string::npos)
      << y.status().ToString();
}

// A 2x2 stride-2 deconvolution (the form that runs as matmuls) with an int32 Bias: the values are
// converted, never read as floats.
TEST(DeconvBiasTest, Int32BiasIsConverted) {
  const ir::Tensor x = RandomTensor({1, 4, 5, 5}, 3), w = RandomTensor({4, 16, 2, 2}, 4);
  ir::Tensor b32(ir::DataType::kInt32, {16});
  for (int i = 0; i < 16; ++i) b32.data<int32_t>()[i] = i - 8;
  auto d = RunOp({"conv2d_transpose", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}}, {{"Output", {"y"}}},
                  {{"strides", Attribute::Ints({2, 2})}}},
                 {{"x", x}}, {{"w", w}, {"b", b32}});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ref::Conv2dParams p;
  p.stride_h = p.stride_w = 2;
  ir::Tensor e = ref::Conv2dTranspose(x, w, p, 0, 0);
  for (int64_t i = 0; i < e.numel(); ++i) e.data<float>()[i] += static_cast<float>(i / 100 - 8);  // 10x10 planes
  EXPECT_TRUE(TensorsNear(*d, e, 1e-4, 1e-4));
}

}  // namespace
}  // namespace q2i::testing
