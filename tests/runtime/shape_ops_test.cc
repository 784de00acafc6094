// Views (reshape2 & co.), transpose2, concat, split, slice, shape, fill_constant.
#include <gtest/gtest.h>

#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

TEST(ViewTest, ReshapeFlattenSqueezeUnsqueeze) {
  ir::Tensor x = RandomTensor({2, 3, 4, 1}, 111);
  struct Case {
    OpCall op;
    std::vector<int64_t> dims;
  };
  const std::vector<Case> cases = {
      {{"reshape2", {{"X", {"x"}}}, {{"Out", {"o"}}, {"XShape", {"xs"}}}, {{"shape", Attribute::Ints({0, -1})}}}, {2, 12}},
      {{"reshape2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"shape", Attribute::Ints({-1, 0, 2, 2})}}}, {2, 3, 2, 2}},
      {{"reshape", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"shape", Attribute::Ints({24})}}}, {24}},
      {{"flatten2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"axis", Attribute::Int(2)}}}, {6, 4}},
      {{"flatten2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"axis", Attribute::Int(0)}}}, {1, 24}},
      {{"flatten_contiguous_range", {{"X", {"x"}}}, {{"Out", {"o"}}},
        {{"start_axis", Attribute::Int(1)}, {"stop_axis", Attribute::Int(-1)}}}, {2, 12}},
      {{"flatten_contiguous_range", {{"X", {"x"}}}, {{"Out", {"o"}}},
        {{"start_axis", Attribute::Int(0)}, {"stop_axis", Attribute::Int(1)}}}, {6, 4, 1}},
      {{"squeeze2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"axes", Attribute::Ints({})}}}, {2, 3, 4}},
      {{"squeeze2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"axes", Attribute::Ints({-1, 0})}}}, {2, 3, 4}},
      {{"unsqueeze2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"axes", Attribute::Ints({0, 2})}}}, {1, 2, 1, 3, 4, 1}},
      {{"unsqueeze2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"axes", Attribute::Ints({-1})}}}, {2, 3, 4, 1, 1}},
  };
  for (const Case& c : cases) {
    auto out = RunOp(c.op, {{"x", x}});
    ASSERT_TRUE(out.ok()) << c.op.type << ": " << out.status().ToString();
    EXPECT_TRUE(TensorsNear(*out, x.Reshaped(c.dims), 0, 0)) << c.op.type;
  }
  auto bad = RunOp({"reshape2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"shape", Attribute::Ints({5, -1})}}}, {{"x", x}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("reshape2(id="), std::string::npos);
}

TEST(ViewTest, ViewsRunNothing) {
  ir::Tensor x = RandomTensor({2, 3, 4}, 112);
  ir::Program prog = BuildProgram({{"x", x}}, {},
                                  {{"reshape2", {{"X", {"x"}}}, {{"Out", {"a"}}}, {{"shape", Attribute::Ints({6, 4})}}},
                                   {"flatten2", {{"X", {"a"}}}, {{"Out", {"b"}}}, {{"axis", Attribute::Int(1)}}},
                                   {"scale", {{"X", {"b"}}}, {{"Out", {"c"}}}, {{"scale", Attribute::Float(1.f)}}}},
                                  {"c"});
  auto exec = runtime::Executor::Create(prog);
  ASSERT_TRUE(exec.ok());
  auto out = (*exec)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear((*out)[0], x.Reshaped({6, 4}), 0, 0));
  EXPECT_EQ((*exec)->CurrentPlanStats()->num_steps, 0);
}

TEST(TransposeTest, FloatAndInt64) {
  ir::Tensor x = RandomTensor({2, 3, 4, 5}, 113);
  for (std::vector<int> perm : {std::vector<int>{0, 2, 3, 1}, std::vector<int>{3, 1, 0, 2}, std::vector<int>{0, 1, 2, 3}}) {
    auto out = RunOp({"transpose2", {{"X", {"x"}}}, {{"Out", {"o"}}, {"XShape", {"xs"}}},
                      {{"axis", Attribute::Ints(perm)}}},
                     {{"x", x}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(TensorsNear(*out, ref::Transpose(x, perm), 0, 0));
  }
  ir::Tensor xi = ir::Tensor::FromVector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = RunOp({"transpose2", {{"X", {"x"}}}, {{"Out", {"o"}}}, {{"axis", Attribute::Ints({1, 0})}}}, {{"x", xi}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear(*out, ir::Tensor::FromVector<int64_t>({3, 2}, {1, 4, 2, 5, 3, 6}), 0, 0));
}

TEST(ConcatTest, AxesAndLayouts) {
  ir::Tensor a = RandomTensor({2, 3, 4, 5}, 114), b = RandomTensor({2, 2, 4, 5}, 115);
  auto out = RunOp({"concat", {{"X", {"a", "b"}}}, {{"Out", {"o"}}}, {{"axis", Attribute::Int(1)}}}, {{"a", a}, {"b", b}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // reference: transpose to put axis 1 first, concat, back.
  ir::Tensor e(ir::DataType::kFP32, {2, 5, 4, 5});
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 5; ++c)
      for (int i = 0; i < 20; ++i)
        e.data<float>()[(n * 5 + c) * 20 + i] =
            c < 3 ? a.data<float>()[(n * 3 + c) * 20 + i] : b.data<float>()[(n * 2 + c - 3) * 20 + i];
  EXPECT_TRUE(TensorsNear(*out, e, 0, 0));
  // Negative axis, three inputs, one of them a parameter.
  ir::Tensor c3 = RandomTensor({2, 3}, 116), d3 = RandomTensor({2, 1}, 117), f3 = RandomTensor({2, 2}, 118);
  auto out2 = RunOp({"concat", {{"X", {"c", "d", "f"}}}, {{"Out", {"o"}}}, {{"axis", Attribute::Int(-1)}}},
                    {{"c", c3}, {"d", d3}}, {{"f", f3}});
  ASSERT_TRUE(out2.ok()) << out2.status().ToString();
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(out2->data<float>()[r * 6 + 0], c3.data<float>()[r * 3]);
    EXPECT_EQ(out2->data<float>()[r * 6 + 3], d3.data<float>()[r]);
    EXPECT_EQ(out2->data<float>()[r * 6 + 5], f3.data<float>()[r * 2 + 1]);
  }
  // After convolutions (NHWC inside), concat along channels like a fire module.
  ir::Tensor x = RandomTensor({1, 8, 6, 6}, 119), w1 = RandomTensor({16, 8, 1, 1}, 120), w2 = RandomTensor({16, 8, 3, 3}, 121);
  ref::Conv2dParams p1, p3;
  p3.pad_t = p3.pad_b = p3.pad_l = p3.pad_r = 1;
  ir::Tensor e1 = ref::Conv2d(x, w1, nullptr, p1), e2 = ref::Conv2d(x, w2, nullptr, p3);
  auto out3 = RunOps({{"x", x}}, {{"w1", w1}, {"w2", w2}},
                     {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w1"}}}, {{"Output", {"a"}}}, {}},
                      {"conv2d", {{"Input", {"x"}}, {"Filter", {"w2"}}}, {{"Output", {"b"}}}, {{"paddings", Attribute::Ints({1, 1})}}},
                      {"concat", {{"X", {"a", "b"}}}, {{"Out", {"o"}}}, {{"axis", Attribute::Int(1)}}}},
                     {"o"});
  ASSERT_TRUE(out3.ok()) << out3.status().ToString();
  for (int c = 0; c < 32; ++c)
    for (int i = 0; i < 36; ++i) {
      const float ev = c < 16 ? e1.data<float>()[c * 36 + i] : e2.data<float>()[(c - 16) * 36 + i];
      ASSERT_NEAR((*out3)[0].data<float>()[c * 36 + i], ev, 1e-4) << c << " " << i;
    }
}

TEST(SplitTest, NumAndSections) {
  ir::Tensor x = RandomTensor({2, 6, 3}, 122);
  auto outs = RunOps({{"x", x}}, {}, {{"split", {{"X", {"x"}}}, {{"Out", {"a", "b", "c"}}}, {{"axis", Attribute::Int(1)}, {"num", Attribute::Int(3)}}}},
                     {"a", "b", "c"});
  ASSERT_TRUE(outs.ok()) << outs.status().ToString();
  for (int k = 0; k < 3; ++k) {
    ASSERT_EQ((*outs)[static_cast<size_t>(k)].dims(), (std::vector<int64_t>{2, 2, 3}));
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 6; ++i)
        EXPECT_EQ((*outs)[static_cast<size_t>(k)].data<float>()[n * 6 + i], x.data<float>()[n * 18 + k * 6 + i]);
  }
  auto outs2 = RunOps({{"x", x}}, {},
                      {{"split", {{"X", {"x"}}}, {{"Out", {"a", "b"}}}, {{"axis", Attribute::Int(-2)}, {"sections", Attribute::Ints({-1, 4})}}}},
                      {"a", "b"});
  ASSERT_TRUE(outs2.ok()) << outs2.status().ToString();
  EXPECT_EQ((*outs2)[0].dims(), (std::vector<int64_t>{2, 2, 3}));
  EXPECT_EQ((*outs2)[1].dims(), (std::vector<int64_t>{2, 4, 3}));
  EXPECT_EQ((*outs2)[1].data<float>()[0], x.data<float>()[6]);
}

TEST(SliceTest, ClampNegativeAndDecrease) {
  ir::Tensor x = RandomTensor({3, 4, 5}, 123);
  struct Case {
    std::vector<int32_t> axes, starts, ends, decrease;
    std::vector<int64_t> off, dims, out;
  };
  const std::vector<Case> cases = {
      {{1}, {1}, {3}, {}, {0, 1, 0}, {3, 2, 5}, {3, 2, 5}},
      {{0, 2}, {-2, 1}, {100, -1}, {}, {1, 0, 1}, {2, 4, 3}, {2, 4, 3}},
      {{1}, {-100}, {2}, {}, {0, 0, 0}, {3, 2, 5}, {3, 2, 5}},
      {{0}, {1}, {2}, {0}, {1, 0, 0}, {1, 4, 5}, {4, 5}},
      {{0, 1, 2}, {0, 1, 2}, {1, 2, 3}, {0, 1, 2}, {0, 1, 2}, {1, 1, 1}, {1}},
  };
  for (const Case& c : cases) {
    auto out = RunOp({"slice", {{"Input", {"x"}}}, {{"Out", {"o"}}},
                      {{"axes", Attribute::Ints(c.axes)}, {"starts", Attribute::Ints(c.starts)},
                       {"ends", Attribute::Ints(c.ends)}, {"decrease_axis", Attribute::Ints(c.decrease)},
                       {"infer_flags", Attribute::Ints(std::vector<int32_t>(c.axes.size(), 1))}}},
                     {{"x", x}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->dims(), c.out);
    int64_t k = 0;
    for (int64_t i = 0; i < c.dims[0]; ++i)
      for (int64_t j = 0; j < c.dims[1]; ++j)
        for (int64_t l = 0; l < c.dims[2]; ++l)
          EXPECT_EQ(out->data<float>()[k++], x.data<float>()[((i + c.off[0]) * 4 + j + c.off[1]) * 5 + l + c.off[2]]);
  }
}

TEST(ShapeChainTest, ShapeSliceFillConstantReshape) {
  // The OCR classifier's head: reshape2(x, ShapeTensor = [slice(shape(x))[0], fill_constant 200]).
  ir::Tensor x = RandomTensor({3, 200, 1, 1}, 124);
  std::vector<OpCall> ops = {
      {"shape", {{"Input", {"x"}}}, {{"Out", {"s"}}}, {}},
      {"slice", {{"Input", {"s"}}}, {{"Out", {"n"}}},
       {{"axes", Attribute::Ints({0})}, {"starts", Attribute::Ints({0})}, {"ends", Attribute::Ints({1})},
        {"decrease_axis", Attribute::Ints({0})}}},
      {"fill_constant", {}, {{"Out", {"c"}}},
       {{"dtype", Attribute::Int(2)}, {"shape", Attribute::Ints({1})}, {"value", Attribute::Float(200.f)},
        {"str_value", Attribute::String("200")}}},
      {"reshape2", {{"X", {"x"}}, {"ShapeTensor", {"n", "c"}}}, {{"Out", {"r"}}, {"XShape", {"xs"}}},
       {{"shape", Attribute::Ints({-1, -1})}}},
  };
  ir::Program prog = BuildProgram({{"x", x}}, {}, ops, {"r", "s", "c"});
  auto exec = runtime::Executor::Create(prog);
  ASSERT_TRUE(exec.ok());
  auto out = (*exec)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{3, 200}));
  EXPECT_TRUE(TensorsNear((*out)[1], ir::Tensor::FromVector<int32_t>({4}, {3, 200, 1, 1}), 0, 0));
  EXPECT_TRUE(TensorsNear((*out)[2], ir::Tensor::FromVector<int32_t>({1}, {200}), 0, 0));
  EXPECT_EQ((*exec)->CurrentPlanStats()->num_steps, 0);  // all constants and views
  // Another batch size re-prepares.
  ir::Tensor x5 = RandomTensor({5, 200, 1, 1}, 125);
  auto out5 = (*exec)->Run({x5});
  ASSERT_TRUE(out5.ok()) << out5.status().ToString();
  EXPECT_EQ((*out5)[0].dims(), (std::vector<int64_t>{5, 200}));
}

TEST(FillConstantTest, TypesAndValues) {
  auto run = [](ir::ProgramBuilder::Attrs attrs) { return RunOps({}, {}, {{"fill_constant", {}, {{"Out", {"c"}}}, attrs}}, {"c"}); };
  auto f = run({{"dtype", Attribute::Int(5)}, {"shape", Attribute::Ints({2, 2})}, {"value", Attribute::Float(1.5f)}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(TensorsNear((*f)[0], FloatTensor({2, 2}, {1.5f, 1.5f, 1.5f, 1.5f}), 0, 0));
  auto i64 = run({{"dtype", Attribute::Int(3)}, {"shape", Attribute::Ints({3})}, {"str_value", Attribute::String("7")}});
  ASSERT_TRUE(i64.ok()) << i64.status().ToString();
  EXPECT_TRUE(TensorsNear((*i64)[0], ir::Tensor::FromVector<int64_t>({3}, {7, 7, 7}), 0, 0));
  auto bad = run({{"dtype", Attribute::Int(5)}, {"shape", Attribute::Ints({1})}, {"str_value", Attribute::String("x")}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fill_constant(id="), std::string::npos);
}

}  // namespace
}  // namespace q2i::testing

namespace q2i::testing {
namespace {

TEST(AccuracyLayerTest, TopKAccuracyArgMax) {
  ir::Tensor x = FloatTensor({3, 4}, {0.1f, 0.5f, 0.3f, 0.1f, 0.9f, 0.0f, 0.05f, 0.05f, 0.2f, 0.3f, 0.1f, 0.4f});
  ir::Tensor label = ir::Tensor::FromVector<int64_t>({3, 1}, {2, 0, 1});
  auto out = RunOps({{"x", x}, {"label", label}}, {},
                    {{"top_k", {{"X", {"x"}}}, {{"Out", {"v"}}, {"Indices", {"i"}}}, {{"k", Attribute::Int(2)}}},
                     {"accuracy", {{"Out", {"v"}}, {"Indices", {"i"}}, {"Label", {"label"}}},
                      {{"Accuracy", {"acc"}}, {"Correct", {"c"}}, {"Total", {"t"}}}, {}},
                     {"arg_max", {{"X", {"x"}}}, {{"Out", {"am"}}}, {{"axis", Attribute::Int(-1)}}}},
                    {"v", "i", "acc", "c", "t", "am"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear((*out)[0], FloatTensor({3, 2}, {0.5f, 0.3f, 0.9f, 0.05f, 0.4f, 0.3f}), 0, 0));
  EXPECT_TRUE(TensorsNear((*out)[1], ir::Tensor::FromVector<int64_t>({3, 2}, {1, 2, 0, 2, 3, 1}), 0, 0));
  EXPECT_FLOAT_EQ((*out)[2].data<float>()[0], 3.f / 3.f);  // rows 0 (2 in top2), 1 (0), 2 (1)
  EXPECT_EQ((*out)[3].data<int32_t>()[0], 3);
  EXPECT_EQ((*out)[4].data<int32_t>()[0], 3);
  EXPECT_TRUE(TensorsNear((*out)[5], ir::Tensor::FromVector<int64_t>({3}, {1, 0, 3}), 0, 0));
}

}  // namespace
}  // namespace q2i::testing
