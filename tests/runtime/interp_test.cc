// nearest_interp(_v2) / bilinear_interp(_v2) against Paddle's formulas.
#include <gtest/gtest.h>

#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

struct InterpCase {
  std::string type;
  std::vector<int64_t> x;
  ir::ProgramBuilder::Attrs attrs;
  int out_h, out_w;
  float ratio_h, ratio_w;  // as Paddle computes them
  bool align_corners;
  int align_mode;
};

class InterpTest : public ::testing::TestWithParam<InterpCase> {};

TEST_P(InterpTest, MatchesPaddleFormula) {
  const InterpCase& c = GetParam();
  ir::Tensor x = RandomTensor(c.x, 131);
  ir::Tensor expected = ref::Interp(x, c.type.starts_with("bilinear"), c.out_h, c.out_w, c.ratio_h, c.ratio_w,
                                    c.align_corners, c.align_mode);
  auto out = RunOp({c.type, {{"X", {"x"}}}, {{"Out", {"o"}}}, c.attrs}, {{"x", x}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear(*out, expected, 1e-5, 1e-6));
}

ir::ProgramBuilder::Attrs V2(std::vector<float> scale, int oh, int ow, bool ac, int am, const char* method) {
  return {{"scale", Attribute::Floats(scale)}, {"out_h", Attribute::Int(oh)}, {"out_w", Attribute::Int(ow)},
          {"align_corners", Attribute::Bool(ac)}, {"align_mode", Attribute::Int(am)},
          {"interp_method", Attribute::String(method)}, {"data_layout", Attribute::String("NCHW")}};
}

const InterpCase kCases[] = {
        // OCR detector: nearest_interp_v2 scale [2, 2], align_corners false.
        InterpCase{"nearest_interp_v2", {1, 3, 5, 6}, V2({2, 2}, -1, -1, false, 1, "nearest"), 10, 12, 0.5f, 0.5f, false, 1},
        InterpCase{"nearest_interp_v2", {1, 2, 5, 6}, V2({}, 7, 9, false, 1, "nearest"), 7, 9, 5.f / 7, 6.f / 9, false, 1},
        InterpCase{"nearest_interp_v2", {1, 2, 5, 6}, V2({}, 7, 9, true, 1, "nearest"), 7, 9, 4.f / 6, 5.f / 8, true, 1},
        InterpCase{"nearest_interp", {2, 2, 4, 4},
                   {{"out_h", Attribute::Int(8)}, {"out_w", Attribute::Int(6)}, {"align_corners", Attribute::Bool(false)}},
                   8, 6, 0.5f, 4.f / 6, false, 1},
        InterpCase{"bilinear_interp_v2", {1, 2, 5, 6}, V2({}, 9, 11, false, 0, "bilinear"), 9, 11, 5.f / 9, 6.f / 11, false, 0},
        InterpCase{"bilinear_interp_v2", {1, 2, 5, 6}, V2({}, 9, 11, false, 1, "bilinear"), 9, 11, 5.f / 9, 6.f / 11, false, 1},
        InterpCase{"bilinear_interp_v2", {1, 2, 5, 6}, V2({}, 9, 11, true, 1, "bilinear"), 9, 11, 4.f / 8, 5.f / 10, true, 1},
        InterpCase{"bilinear_interp_v2", {1, 2, 4, 6}, V2({1.5f, 2.f}, -1, -1, false, 0, "bilinear"), 6, 12, 1 / 1.5f, 0.5f, false, 0},
        InterpCase{"bilinear_interp", {1, 2, 5, 6},
                   {{"out_h", Attribute::Int(3)}, {"out_w", Attribute::Int(4)}, {"align_corners", Attribute::Bool(true)},
                    {"align_mode", Attribute::Int(1)}},
                   3, 4, 4.f / 2, 5.f / 3, true, 1}};

INSTANTIATE_TEST_SUITE_P(Modes, InterpTest, ::testing::ValuesIn(kCases));

TEST(InterpTest, OutSizeInputAndAfterConvLayout) {
  // OutSize as a constant input; X produced by a conv (NHWC inside) is handled without reorders.
  ir::Tensor x = RandomTensor({1, 16, 5, 5}, 132), w = RandomTensor({16, 16, 1, 1}, 133);
  ir::Tensor size = ir::Tensor::FromVector<int32_t>({2}, {10, 10});
  ref::Conv2dParams p;
  ir::Tensor c = ref::Conv2d(x, w, nullptr, p);
  ir::Tensor expected = ref::Interp(c, false, 10, 10, 0.5f, 0.5f, false, 1);
  ir::Program prog = BuildProgram(
      {{"x", x}}, {{"w", w}, {"size", size}},
      {{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"c"}}}, {}},
       {"nearest_interp_v2", {{"X", {"c"}}, {"OutSize", {"size"}}}, {{"Out", {"o"}}}, V2({}, -1, -1, false, 1, "nearest")}},
      {"o"});
  auto exec = runtime::Executor::Create(prog);
  ASSERT_TRUE(exec.ok());
  auto out = (*exec)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(TensorsNear((*out)[0], expected, 1e-4, 1e-5));
  EXPECT_LE((*exec)->CurrentPlanStats()->num_reorder_steps, 1) << (*exec)->DumpPlan();  // only into the conv
}

}  // namespace
}  // namespace q2i::testing
