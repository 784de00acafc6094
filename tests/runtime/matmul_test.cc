// mul / matmul / matmul_v2 / fc against the reference.
#include <gtest/gtest.h>

#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

TEST(MulTest, NumColDims) {
  ir::Tensor x = RandomTensor({2, 3, 4, 5}, 81), y = RandomTensor({20, 6}, 82);
  auto out = RunOp({"mul", {{"X", {"x"}}, {"Y", {"y"}}}, {{"Out", {"o"}}},
                    {{"x_num_col_dims", Attribute::Int(2)}, {"y_num_col_dims", Attribute::Int(1)}}},
                   {{"x", x}}, {{"y", y}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ir::Tensor expected = ref::MatMul(x.Reshaped({6, 20}), y, false, false).Reshaped({2, 3, 6});
  EXPECT_TRUE(TensorsNear(*out, expected, 1e-4, 1e-5));
  // y_num_col_dims 2 on a 3-D Y, Y a runtime input.
  ir::Tensor y3 = RandomTensor({4, 5, 7}, 83);
  auto out2 = RunOp({"mul", {{"X", {"x"}}, {"Y", {"y"}}}, {{"Out", {"o"}}},
                     {{"x_num_col_dims", Attribute::Int(2)}, {"y_num_col_dims", Attribute::Int(1)}}},
                    {{"x", RandomTensor({2, 3, 4}, 84)}, {"y", RandomTensor({4, 7}, 85)}});
  ASSERT_TRUE(out2.ok()) << out2.status().ToString();
  EXPECT_EQ(out2->dims(), (std::vector<int64_t>{2, 3, 7}));
  auto out3 = RunOp({"mul", {{"X", {"x"}}, {"Y", {"y"}}}, {{"Out", {"o"}}},
                     {{"x_num_col_dims", Attribute::Int(1)}, {"y_num_col_dims", Attribute::Int(2)}}},
                    {{"x", RandomTensor({3, 20}, 86)}}, {{"y", y3}});
  ASSERT_TRUE(out3.ok()) << out3.status().ToString();
  EXPECT_EQ(out3->dims(), (std::vector<int64_t>{3, 7}));
}

TEST(MulTest, AfterConvFlattensNchwOrder) {
  // conv output (blocked / NHWC inside) feeding mul must flatten in NCHW order.
  ir::Tensor x = RandomTensor({2, 16, 4, 4}, 87), w = RandomTensor({16, 16, 1, 1}, 88), y = RandomTensor({256, 5}, 89);
  ref::Conv2dParams p;
  ir::Tensor c = ref::Conv2d(x, w, nullptr, p);
  ir::Tensor expected = ref::MatMul(c.Reshaped({2, 256}), y, false, false);
  auto out = RunOps({{"x", x}}, {{"w", w}, {"y", y}},
                    {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"c"}}}, {}},
                     {"mul", {{"X", {"c"}}, {"Y", {"y"}}}, {{"Out", {"o"}}}, {}}},
                    {"o"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear((*out)[0], expected, 1e-4, 1e-4));
}

struct MatMulCase {
  std::string type;
  std::vector<int64_t> x, y;
  bool tx, ty;
  float alpha;
  bool y_const;
  std::vector<int64_t> out;
};

class MatMulTest : public ::testing::TestWithParam<MatMulCase> {};

TEST_P(MatMulTest, MatchesReference) {
  const MatMulCase& c = GetParam();
  ir::Tensor x = RandomTensor(c.x, 91), y = RandomTensor(c.y, 92);
  std::vector<int64_t> xd = c.x, yd = c.y;
  bool tx = c.tx, ty = c.ty;
  if (xd.size() == 1) {
    xd = {1, xd[0]};
    tx = false;
  }
  if (yd.size() == 1) {
    yd = {yd[0], 1};
    ty = false;
  }
  ir::Tensor expected = ref::MatMul(x.Reshaped(xd), y.Reshaped(yd), tx, ty, c.alpha).Reshaped(c.out);
  ir::ProgramBuilder::Attrs attrs;
  if (c.type == "matmul") {
    attrs = {{"transpose_X", Attribute::Bool(c.tx)}, {"transpose_Y", Attribute::Bool(c.ty)},
             {"alpha", Attribute::Float(c.alpha)}};
  } else {
    attrs = {{"trans_x", Attribute::Bool(c.tx)}, {"trans_y", Attribute::Bool(c.ty)}};
  }
  Named feeds = {{"x", x}}, params;
  (c.y_const ? params : feeds).push_back({"y", y});
  auto out = RunOp({c.type, {{"X", {"x"}}, {"Y", {"y"}}}, {{"Out", {"o"}}}, attrs}, feeds, params);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear(*out, expected, 1e-4, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatMulTest,
    ::testing::Values(MatMulCase{"matmul", {3, 4}, {4, 5}, false, false, 1.f, true, {3, 5}},
                      MatMulCase{"matmul", {4, 3}, {4, 5}, true, false, 0.5f, false, {3, 5}},
                      MatMulCase{"matmul", {2, 3, 4}, {2, 5, 4}, false, true, 1.f, false, {2, 3, 5}},
                      MatMulCase{"matmul", {2, 3, 4}, {4, 5}, false, false, 2.f, true, {2, 3, 5}},
                      MatMulCase{"matmul_v2", {2, 1, 3, 4}, {3, 4, 5}, false, false, 1.f, false, {2, 3, 3, 5}},
                      MatMulCase{"matmul_v2", {4}, {4, 5}, false, false, 1.f, true, {5}},
                      MatMulCase{"matmul_v2", {3, 4}, {4}, false, false, 1.f, false, {3}},
                      MatMulCase{"matmul_v2", {2, 4, 3}, {2, 5, 4}, true, true, 1.f, false, {2, 3, 5}},
                      MatMulCase{"matmul_v2", {1, 200}, {200, 2}, false, false, 1.f, true, {1, 2}}));

TEST(FcTest, BiasActivationAndNumColDims) {
  ir::Tensor x = RandomTensor({2, 3, 8}, 101), w = RandomTensor({8, 6}, 102), b = RandomTensor({6}, 103);
  ir::Tensor mm = ref::MatMul(x.Reshaped({6, 8}), w, false, false);
  ir::Tensor withb = ref::Binary(mm, {6, 6}, b, {1, 6}, "add");
  for (const std::string act : {"", "relu"}) {
    OpCall op{"fc",
              {{"Input", {"x"}}, {"W", {"w"}}, {"Bias", {"b"}}},
              {{"Out", {"o"}}},
              {{"in_num_col_dims", Attribute::Int(2)}, {"activation_type", Attribute::String(act)}}};
    auto out = RunOp(op, {{"x", x}}, {{"w", w}, {"b", b}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ir::Tensor expected = act.empty() ? withb : ref::Unary(withb, "relu");
    EXPECT_TRUE(TensorsNear(*out, expected.Reshaped({2, 3, 6}), 1e-4, 1e-5)) << act;
  }
  OpCall bad{"fc", {{"Input", {"x"}}, {"W", {"w"}}}, {{"Out", {"o"}}}, {{"activation_type", Attribute::String("gelu2")}}};
  auto out = RunOp(bad, {{"x", x}}, {{"w", w}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("fc(id="), std::string::npos);
}

}  // namespace
}  // namespace q2i::testing
