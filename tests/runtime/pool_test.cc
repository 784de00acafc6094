// pool2d against the reference: max/avg, paddings, ceil_mode, exclusive, global, adaptive.
#include <gtest/gtest.h>

#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;

struct PoolCase {
  std::vector<int64_t> x;
  std::string type;
  std::vector<int32_t> ksize, strides, paddings;
  bool ceil_mode = false, exclusive = true, global = false, adaptive = false;
};

class PoolTest : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolTest, MatchesReference) {
  const PoolCase& c = GetParam();
  ir::Tensor x = RandomTensor(c.x, 31, -2.f, 2.f);
  ref::Pool2dParams p;
  p.max = c.type == "max";
  p.kh = c.ksize[0];
  p.kw = c.ksize[1];
  p.sh = c.strides[0];
  p.sw = c.strides[1];
  if (c.paddings.size() == 2) {
    p.pad_t = p.pad_b = c.paddings[0];
    p.pad_l = p.pad_r = c.paddings[1];
  } else {
    p.pad_t = c.paddings[0];
    p.pad_b = c.paddings[1];
    p.pad_l = c.paddings[2];
    p.pad_r = c.paddings[3];
  }
  p.ceil_mode = c.ceil_mode;
  p.exclusive = c.exclusive;
  p.global = c.global || c.ksize[0] < 0;
  p.adaptive = c.adaptive;
  ir::Tensor expected = ref::Pool2d(x, p);
  OpCall op{"pool2d",
            {{"X", {"x"}}},
            {{"Out", {"y"}}},
            {{"pooling_type", Attribute::String(c.type)},
             {"ksize", Attribute::Ints(c.ksize)},
             {"strides", Attribute::Ints(c.strides)},
             {"paddings", Attribute::Ints(c.paddings)},
             {"ceil_mode", Attribute::Bool(c.ceil_mode)},
             {"exclusive", Attribute::Bool(c.exclusive)},
             {"global_pooling", Attribute::Bool(c.global)},
             {"adaptive", Attribute::Bool(c.adaptive)},
             {"padding_algorithm", Attribute::String("EXPLICIT")},
             {"data_format", Attribute::String("NCHW")}}};
  auto y = RunOp(op, {{"x", x}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_TRUE(TensorsNear(*y, expected, 1e-5, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PoolTest,
    ::testing::Values(PoolCase{{1, 3, 8, 8}, "max", {2, 2}, {2, 2}, {0, 0}},
                      PoolCase{{2, 4, 9, 9}, "max", {3, 3}, {2, 2}, {1, 1}},
                      PoolCase{{1, 5, 13, 13}, "max", {3, 3}, {2, 2}, {0, 0}, true},  // SqueezeNet
                      PoolCase{{1, 5, 10, 11}, "max", {3, 3}, {2, 2}, {0, 0}, true},
                      PoolCase{{1, 4, 9, 9}, "avg", {3, 3}, {2, 2}, {1, 1}, false, true},
                      PoolCase{{1, 4, 9, 9}, "avg", {3, 3}, {2, 2}, {1, 1}, false, false},
                      PoolCase{{1, 4, 10, 10}, "avg", {3, 3}, {2, 2}, {1, 1}, true, true},
                      PoolCase{{1, 4, 10, 10}, "avg", {3, 3}, {2, 2}, {1, 1}, true, false},
                      PoolCase{{1, 3, 9, 10}, "avg", {2, 3}, {2, 1}, {0, 1, 1, 0}},
                      PoolCase{{1, 3, 5, 5}, "max", {2, 2}, {2, 2}, {0, 0}},  // floor mode drops the last row
                      PoolCase{{2, 6, 7, 5}, "avg", {1, 1}, {1, 1}, {0, 0}, false, true, true},
                      PoolCase{{2, 6, 7, 5}, "max", {1, 1}, {1, 1}, {0, 0}, false, true, true},
                      PoolCase{{1, 4, 7, 7}, "avg", {-1, -1}, {1, 1}, {0, 0}},  // ksize [-1,-1]: global
                      PoolCase{{1, 3, 8, 12}, "avg", {2, 3}, {1, 1}, {0, 0}, false, true, false, true},
                      PoolCase{{1, 3, 7, 10}, "avg", {3, 4}, {1, 1}, {0, 0}, false, true, false, true},
                      PoolCase{{1, 3, 7, 10}, "max", {1, 3}, {1, 1}, {0, 0}, false, true, false, true},
                      PoolCase{{1, 3, 6, 50}, "avg", {1, 1}, {1, 1}, {0, 0}, false, true, false, true}));

TEST(PoolTest, SamePaddingAlgorithm) {
  ir::Tensor x = RandomTensor({1, 2, 7, 7}, 32);
  OpCall op{"pool2d",
            {{"X", {"x"}}},
            {{"Out", {"y"}}},
            {{"pooling_type", Attribute::String("max")},
             {"ksize", Attribute::Ints({3, 3})},
             {"strides", Attribute::Ints({2, 2})},
             {"paddings", Attribute::Ints({0, 0})},
             {"padding_algorithm", Attribute::String("SAME")}}};
  auto y = RunOp(op, {{"x", x}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ref::Pool2dParams p;
  p.kh = p.kw = 3;
  p.sh = p.sw = 2;
  p.pad_t = p.pad_b = p.pad_l = p.pad_r = 1;  // out 4, total pad (4-1)*2+3-7 = 2
  EXPECT_TRUE(TensorsNear(*y, ref::Pool2d(x, p), 1e-6, 1e-6));
}

}  // namespace
}  // namespace q2i::testing
