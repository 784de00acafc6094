// elementwise_* with Paddle axis broadcasting; activations, scale, dropout, softmax, batch_norm.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

struct BinCase {
  std::string op;
  std::vector<int64_t> x, y;
  int axis;
  std::vector<int64_t> xa, ya;  // aligned dims
  bool y_param = false;
};

class BinaryTest : public ::testing::TestWithParam<BinCase> {};

TEST_P(BinaryTest, MatchesReference) {
  const BinCase& c = GetParam();
  ir::Tensor x = c.op == "pow" ? RandomTensor(c.x, 41, 0.5f, 2.f) : RandomTensor(c.x, 41);
  ir::Tensor y = RandomTensor(c.y, 42, 0.5f, 2.f);
  ir::Tensor expected = ref::Binary(x, c.xa, y, c.ya, c.op);
  OpCall op{"elementwise_" + c.op, {{"X", {"x"}}, {"Y", {"y"}}}, {{"Out", {"o"}}}, {{"axis", Attribute::Int(c.axis)}}};
  Named feeds = {{"x", x}}, params;
  if (c.y_param) {
    params.push_back({"y", y});
  } else {
    feeds.push_back({"y", y});
  }
  auto out = RunOp(op, feeds, params);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear(*out, expected, 1e-5, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(
    Broadcasts, BinaryTest,
    ::testing::Values(
        BinCase{"add", {2, 3, 4, 5}, {2, 3, 4, 5}, -1, {2, 3, 4, 5}, {2, 3, 4, 5}},
        BinCase{"add", {2, 3, 4, 5}, {3}, 1, {2, 3, 4, 5}, {1, 3, 1, 1}, true},       // conv bias
        BinCase{"add", {2, 3, 4, 5}, {5}, -1, {2, 3, 4, 5}, {1, 1, 1, 5}},
        BinCase{"add", {2, 3, 4, 5}, {4, 5}, -1, {2, 3, 4, 5}, {1, 1, 4, 5}},
        BinCase{"add", {2, 3, 4, 5}, {3, 4}, 1, {2, 3, 4, 5}, {1, 3, 4, 1}},
        BinCase{"add", {2, 3, 4, 5}, {3, 1, 1}, 1, {2, 3, 4, 5}, {1, 3, 1, 1}},       // trailing 1s
        BinCase{"add", {4, 10}, {10}, 1, {4, 10}, {1, 10}, true},                      // fc bias
        BinCase{"mul", {2, 8, 5, 5}, {2, 8, 1, 1}, -1, {2, 8, 5, 5}, {2, 8, 1, 1}},   // SE block
        BinCase{"mul", {2, 8, 1, 1}, {2, 8, 5, 5}, -1, {2, 8, 1, 1}, {2, 8, 5, 5}},   // X broadcast, commutative
        BinCase{"sub", {2, 3, 4}, {3, 4}, -1, {2, 3, 4}, {1, 3, 4}},
        BinCase{"sub", {3, 1}, {2, 3, 4}, -1, {1, 3, 1}, {2, 3, 4}},                   // X broadcast, loop
        BinCase{"div", {2, 3, 4}, {2, 1, 4}, -1, {2, 3, 4}, {2, 1, 4}},
        BinCase{"div", {1, 3, 1}, {2, 3, 4}, -1, {1, 3, 1}, {2, 3, 4}},
        BinCase{"max", {2, 3, 4}, {1}, -1, {2, 3, 4}, {1, 1, 1}},
        BinCase{"min", {2, 3, 4}, {2, 3, 4}, -1, {2, 3, 4}, {2, 3, 4}},
        BinCase{"pow", {2, 3}, {3}, -1, {2, 3}, {1, 3}}));

TEST(BinaryIntTest, Int64AndInt32Loops) {
  ir::Tensor x = ir::Tensor::FromVector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  ir::Tensor y = ir::Tensor::FromVector<int64_t>({3}, {10, 20, 30});
  auto out = RunOp({"elementwise_add", {{"X", {"x"}}, {"Y", {"y"}}}, {{"Out", {"o"}}}, {}}, {{"x", x}, {"y", y}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear(*out, ir::Tensor::FromVector<int64_t>({2, 3}, {11, 22, 33, 14, 25, 36}), 0, 0));
}

// A one-channel NHWC result (PP-OCR's last deconvolution) plus a scalar bias, then plus itself: the adds
// see the value through its row-major description (the permuted one sent oneDNN 2.6 down a path 45x
// slower) and compute the same values.
TEST(BinaryTest, OneChannelNhwcOperands) {
  const ir::Tensor x = RandomTensor({1, 24, 6, 5}, 41), w = RandomTensor({24, 1, 2, 2}, 42);
  const ir::Tensor b = ir::Tensor::FromVector<float>({1}, {0.25f});
  auto out = RunOps({{"x", x}}, {{"w", w}, {"b", b}},
                    {{"conv2d_transpose", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"d"}}},
                      {{"strides", Attribute::Ints({2, 2})}}},
                     {"elementwise_add", {{"X", {"d"}}, {"Y", {"b"}}}, {{"Out", {"e"}}}, {{"axis", Attribute::Int(1)}}},
                     {"elementwise_add", {{"X", {"e"}}, {"Y", {"d"}}}, {{"Out", {"y"}}}, {}}},
                    {"y"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ref::Conv2dParams cp;
  cp.stride_h = cp.stride_w = 2;
  ir::Tensor expected = ref::Conv2dTranspose(x, w, cp, 0, 0);
  for (int64_t i = 0; i < expected.numel(); ++i) expected.data<float>()[i] = 2 * expected.data<float>()[i] + 0.25f;
  EXPECT_TRUE(TensorsNear((*out)[0], expected, 1e-4, 1e-4));
}

TEST(BinaryTest, BadBroadcastIsAnErrorNamingTheOp) {
  auto out = RunOp({"elementwise_add", {{"X", {"x"}}, {"Y", {"y"}}}, {{"Out", {"o"}}}, {}},
                   {{"x", RandomTensor({2, 3}, 1)}, {"y", RandomTensor({4}, 2)}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("elementwise_add(id="), std::string::npos) << out.status().ToString();
}

struct UnaryCase {
  std::string type;
  ir::ProgramBuilder::Attrs attrs;
  std::string ref;
  float a = 0, b = 0, c = 0;
};

class UnaryTest : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryTest, MatchesReference) {
  const UnaryCase& c = GetParam();
  ir::Tensor x = RandomTensor({2, 5, 3, 4}, 51, -8.f, 8.f);
  ir::Tensor expected = ref::Unary(x, c.ref, c.a, c.b, c.c);
  auto out = RunOp({c.type, {{"X", {"x"}}}, {{"Out", {"o"}}}, c.attrs}, {{"x", x}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear(*out, expected, 1e-4, 1e-5)) << c.type;
}

INSTANTIATE_TEST_SUITE_P(
    Activations, UnaryTest,
    ::testing::Values(UnaryCase{"relu", {}, "relu"}, UnaryCase{"relu6", {}, "relu6", 6.f},
                      UnaryCase{"relu6", {{"threshold", Attribute::Float(3.f)}}, "relu6", 3.f},
                      UnaryCase{"leaky_relu", {{"alpha", Attribute::Float(0.1f)}}, "leaky_relu", 0.1f},
                      UnaryCase{"leaky_relu", {}, "leaky_relu", 0.02f}, UnaryCase{"sigmoid", {}, "sigmoid"},
                      UnaryCase{"tanh", {}, "tanh"}, UnaryCase{"swish", {}, "swish", 1.f},
                      UnaryCase{"swish", {{"beta", Attribute::Float(2.f)}}, "swish", 2.f},
                      UnaryCase{"hard_swish", {}, "hard_swish", 6.f, 6.f, 3.f},
                      UnaryCase{"hard_swish",
                                {{"threshold", Attribute::Float(5.f)}, {"scale", Attribute::Float(4.f)},
                                 {"offset", Attribute::Float(2.f)}},
                                "hard_swish", 5.f, 4.f, 2.f},
                      UnaryCase{"hard_sigmoid", {}, "hard_sigmoid", 0.2f, 0.5f},
                      UnaryCase{"hard_sigmoid",
                                {{"slope", Attribute::Float(0.1666667f)}, {"offset", Attribute::Float(0.5f)}},
                                "hard_sigmoid", 0.1666667f, 0.5f},
                      UnaryCase{"scale", {{"scale", Attribute::Float(2.f)}, {"bias", Attribute::Float(1.f)}},
                                "linear", 2.f, 1.f},
                      UnaryCase{"scale",
                                {{"scale", Attribute::Float(2.f)},
                                 {"bias", Attribute::Float(1.f)},
                                 {"bias_after_scale", Attribute::Bool(false)}},
                                "linear", 2.f, 2.f},
                      UnaryCase{"scale", {{"scale", Attribute::Float(1.f)}}, "linear", 1.f, 0.f},
                      UnaryCase{"dropout", {{"dropout_prob", Attribute::Float(0.25f)}}, "linear", 0.75f, 0.f},
                      UnaryCase{"dropout",
                                {{"dropout_prob", Attribute::Float(0.25f)},
                                 {"dropout_implementation", Attribute::String("upscale_in_train")}},
                                "linear", 1.f, 0.f}));

TEST(SoftmaxTest, Axes) {
  ir::Tensor x = RandomTensor({2, 3, 4}, 61, -5, 5);
  for (int axis : {-1, 0, 1, 2}) {
    auto out = RunOp({"softmax", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"axis", Attribute::Int(axis)}}}, {{"x", x}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(TensorsNear(*out, ref::Softmax(x, axis < 0 ? axis + 3 : axis), 1e-5, 1e-7)) << axis;
  }
}

TEST(BatchNormTest, InferenceMatchesReference) {
  for (std::vector<int64_t> dims : {std::vector<int64_t>{2, 6, 5, 4}, std::vector<int64_t>{3, 6}}) {
    ir::Tensor x = RandomTensor(dims, 71);
    ir::Tensor scale = RandomTensor({6}, 72), bias = RandomTensor({6}, 73), mean = RandomTensor({6}, 74);
    ir::Tensor var = RandomTensor({6}, 75, 0.1f, 2.f);
    OpCall op{"batch_norm",
              {{"X", {"x"}}, {"Scale", {"s"}}, {"Bias", {"b"}}, {"Mean", {"m"}}, {"Variance", {"v"}}},
              {{"Y", {"y"}}, {"MeanOut", {"m"}}, {"VarianceOut", {"v"}}, {"SavedMean", {"sm"}}, {"SavedVariance", {"sv"}}},
              {{"epsilon", Attribute::Float(1e-3f)}, {"is_test", Attribute::Bool(true)}}};
    auto out = RunOp(op, {{"x", x}}, {{"s", scale}, {"b", bias}, {"m", mean}, {"v", var}}, "y");
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(TensorsNear(*out, ref::BatchNorm(x, scale, bias, mean, var, 1e-3f), 1e-4, 1e-5));
  }
}

}  // namespace
}  // namespace q2i::testing
