// INT8 kernels (docs/int8_program.md) against double-precision references computed from the
// quantized values: results may differ by one quantization step (rounding of ties / float order).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "runtime/kernels/common.h"
#include "tests/runtime/op_test_util.h"
#include "tests/runtime/reference_ops.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using ir::Attribute;
using ir::DataType;

ir::Tensor RandomQ(std::vector<int64_t> dims, DataType type, uint32_t seed) {
  ir::Tensor t(type, dims);
  std::mt19937 g(seed);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (type == DataType::kUInt8) {
      t.data<uint8_t>()[i] = static_cast<uint8_t>(g() % 256);
    } else {
      t.data<int8_t>()[i] = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
    }
  }
  return t;
}

double QValue(const ir::Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kUInt8: return t.data<uint8_t>()[i];
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    default: return t.data<float>()[i];
  }
}

// Real values of a quantized tensor as float32.
ir::Tensor Dequant(const ir::Tensor& q, double scale) {
  ir::Tensor f(DataType::kFP32, q.dims());
  for (int64_t i = 0; i < q.numel(); ++i) f.data<float>()[i] = static_cast<float>(QValue(q, i) / scale);
  return f;
}

double Saturate(double v, DataType type) {
  const double lo = type == DataType::kUInt8 ? 0 : -128, hi = type == DataType::kUInt8 ? 255 : 127;
  return std::clamp(std::nearbyint(v), lo, hi);
}

// |actual - round(expected_real * scale)| <= tol quanta (or a float comparison for f32 outputs). With a
// coarser rounding inside the op (a training rounding of `coarse_step` output quanta), a tie that the
// float kernel and the double reference break differently moves one value by a whole coarse step: up to
// one in a thousand values may differ by that much more.
::testing::AssertionResult QuantNear(const ir::Tensor& actual, const ir::Tensor& expected_real, double scale, double tol = 1,
                                     double coarse_step = 0) {
  if (actual.dims() != expected_real.dims()) {
    return ::testing::AssertionFailure() << "dims " << ir::DimsToString(actual.dims()) << " vs " << ir::DimsToString(expected_real.dims());
  }
  int bad = 0, ties = 0;
  std::ostringstream os;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double e = expected_real.data<float>()[i] * scale;
    if (actual.dtype() != DataType::kFP32) e = Saturate(e, actual.dtype());
    const double a = QValue(actual, i);
    const double limit = actual.dtype() == DataType::kFP32 ? 1e-3 * std::max(1.0, std::fabs(e)) + tol / scale : tol;
    const double diff = std::fabs(a - e);
    if (diff > limit && diff <= limit + coarse_step && ++ties <= actual.numel() / 1000) continue;
    if (diff > limit) {
      if (bad++ < 5) os << "\n  [" << i << "] " << a << " vs " << e;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << actual.numel() << " differ" << os.str();
}

ir::Attribute Floats(const std::vector<float>& v) { return Attribute::Floats(v); }

TEST(Int8QuantTest, QuantizeDequantizeRequantize) {
  ir::Tensor x = RandomTensor({2, 3, 4, 5}, 201, -3.f, 3.f);
  const ir::ProgramBuilder::Attrs int8 = {{"mkldnn_data_type", Attribute::String("int8")}};
  for (bool negative : {true, false}) {
    auto q = RunOps({{"x", x}}, {},
                    {{"quantize", {{"Input", {"x"}}}, {{"Output", {"q"}}},
                      {{"Scale", Attribute::Float(40.f)}, {"is_negative_input", Attribute::Bool(negative)}}}},
                    {"q"}, {{"q", negative ? DataType::kInt8 : DataType::kUInt8}});
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_EQ((*q)[0].dtype(), negative ? DataType::kInt8 : DataType::kUInt8);
    EXPECT_TRUE(QuantNear((*q)[0], x, 40.0, 0));
    // dequantize back and requantize to another scale
    auto d = RunOps({{"q", (*q)[0]}}, {},
                    {{"dequantize", {{"Input", {"q"}}}, {{"Output", {"d"}}}, {{"Scale", Attribute::Float(40.f)}}},
                     {"requantize", {{"Input", {"q"}}}, {{"Output", {"r"}}},
                      {{"Scale_in", Attribute::Float(40.f)}, {"Scale_out", Attribute::Float(20.f)}}}},
                    {"d", "r"}, {{"r", negative ? DataType::kInt8 : DataType::kUInt8}});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_TRUE(TensorsNear((*d)[0], Dequant((*q)[0], 40.0), 0, 1e-6));
    EXPECT_TRUE(QuantNear((*d)[1], Dequant((*q)[0], 40.0), 20.0, 1));
  }
  (void)int8;
}

struct Int8ConvCase {
  DataType in_type, out_type;
  std::string act;
  bool residual = false;
  bool force_fp32 = false;
  bool prequantized = false;
  int groups = 1;
  float pre_residual = 0, pre_activation = 0;  // Scale_pre_residual / Scale_pre_activation (0: absent)
  int64_t depthwise = 0;  // > 0: a depthwise conv of this many channels (groups = in = out channels)
  bool one_image_64_channels = false;  // one image, 16 -> 64 channels: DirectConvU8's shape at 7x7 (u8 in)
};

// A signed 8-bit quantizer of scale s: the integer, and the value it stands for.
double QuantizeS8(double v, double s) { return std::clamp(std::nearbyint(v * s), -127.0, 127.0); }
double QuantDequantS8(double v, double s) { return QuantizeS8(v, s) / s; }

// QuantDequantS8 applied to every value.
ir::Tensor FakeQuant(ir::Tensor t, double s) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    float& v = t.data<float>()[i];
    v = static_cast<float>(QuantDequantS8(v, s));
  }
  return t;
}

class Int8ConvTest : public ::testing::TestWithParam<Int8ConvCase> {};

void CheckInt8Conv(const Int8ConvCase& c, int64_t hw);

// At 7x7 and at 28x28: oneDNN's first choice of kernel, and the one the tuned policy takes on large maps
// (runtime/kernels/conv_impl.h).
TEST_P(Int8ConvTest, MatchesReference) {
  for (int64_t hw : {int64_t{7}, int64_t{28}}) {
    SCOPED_TRACE("input " + std::to_string(hw) + "x" + std::to_string(hw));
    CheckInt8Conv(GetParam(), hw);
  }
}

void CheckInt8Conv(const Int8ConvCase& c, int64_t hw) {
  const int64_t ic = c.depthwise > 0 ? c.depthwise : 16;
  const int64_t oc = c.depthwise > 0 ? c.depthwise : c.one_image_64_channels ? 64 : 32;
  const int64_t groups = c.depthwise > 0 ? c.depthwise : c.groups;
  const float s_in = 30.f, s_out = 12.f, s_res = 25.f;
  ir::Tensor xq = RandomQ({c.one_image_64_channels ? 1 : 2, ic, hw, hw}, c.in_type, 211);
  ir::Tensor w = RandomTensor({oc, ic / groups, 3, 3}, 212, -0.5f, 0.5f);
  ir::Tensor b = RandomTensor({oc}, 213);
  std::vector<float> sw(oc);
  std::vector<double> swd(oc);
  for (int64_t o = 0; o < oc; ++o) {
    float t = 0;
    for (int64_t i = 0; i < w.numel() / oc; ++i) t = std::max(t, std::fabs(w.data<float>()[o * (w.numel() / oc) + i]));
    sw[static_cast<size_t>(o)] = 127.f / t;
    swd[static_cast<size_t>(o)] = sw[static_cast<size_t>(o)];
  }
  // Quantized weights and scaled bias, as the runtime (and the quantize-weights pass) computes them.
  ir::Tensor wq(DataType::kInt8, w.dims()), wdq(DataType::kFP32, w.dims());
  const int64_t per = w.numel() / oc;
  for (int64_t i = 0; i < w.numel(); ++i) {
    const double s = swd[static_cast<size_t>(i / per)];
    const double q = QuantizeS8(w.data<float>()[i], s);
    wq.data<int8_t>()[i] = static_cast<int8_t>(q);
    wdq.data<float>()[i] = static_cast<float>(q / s);
  }
  ir::Tensor bq(DataType::kInt32, {oc}), bdq(DataType::kFP32, {oc});
  for (int64_t o = 0; o < oc; ++o) {
    const double scale = s_in * swd[static_cast<size_t>(o)];
    bq.data<int32_t>()[o] = static_cast<int32_t>(std::nearbyint(b.data<float>()[o] * scale));
    bdq.data<float>()[o] = c.prequantized ? static_cast<float>(bq.data<int32_t>()[o] / scale) : b.data<float>()[o];
  }
  ref::Conv2dParams p;
  p.pad_t = p.pad_b = p.pad_l = p.pad_r = 1;
  p.groups = groups;
  ir::Tensor real = ref::Conv2d(Dequant(xq, s_in), wdq, &bdq, p);
  ir::Tensor resq;
  if (c.pre_residual > 0) real = FakeQuant(real, c.pre_residual);
  if (c.residual) {
    resq = RandomQ(real.dims(), c.out_type == DataType::kFP32 ? DataType::kInt8 : c.out_type == DataType::kUInt8 ? DataType::kInt8 : c.out_type, 214);
    real = ref::Binary(real, real.dims(), Dequant(resq, s_res), real.dims(), "add");
  }
  if (c.pre_activation > 0) real = FakeQuant(real, c.pre_activation);
  if (c.act == "relu") real = ref::Unary(real, "relu");
  if (c.act == "relu6") real = ref::Unary(real, "relu6", 1.5f);
  if (c.act == "hard_swish") real = ref::Unary(real, "hard_swish", 6, 6, 3);
  if (c.act == "hard_sigmoid") real = ref::Unary(real, "hard_sigmoid", 0.2f, 0.5f);
  if (c.act == "sigmoid") real = ref::Unary(real, "sigmoid");

  ir::ProgramBuilder::Attrs attrs = {{"paddings", Attribute::Ints({1, 1})},
                                     {"groups", Attribute::Int(groups)},
                                     {"mkldnn_data_type", Attribute::String("int8")},
                                     {"Scale_in", Attribute::Float(s_in)},
                                     {"Scale_weights", Floats(sw)},
                                     {"Scale_out", Attribute::Float(s_out)},
                                     {"force_fp32_output", Attribute::Bool(c.force_fp32)},
                                     {"fuse_activation", Attribute::String(c.act)},
                                     {"fuse_alpha", Attribute::Float(c.act == "hard_sigmoid" ? 0.2f : 1.5f)},
                                     {"fuse_beta", Attribute::Float(c.act == "hard_sigmoid" ? 0.5f : 0.f)}};
  OpCall op{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}}, {{"Output", {"y"}}}, attrs};
  Named feeds = {{"x", xq}};
  if (c.residual) {
    op.inputs.push_back({"ResidualData", {"r"}});
    op.attrs.push_back({"fuse_residual_connection", Attribute::Bool(true)});
    op.attrs.push_back({"Scale_in_eltwise", Attribute::Float(s_res)});
    feeds.push_back({"r", resq});
  }
  if (c.pre_residual > 0) op.attrs.push_back({"Scale_pre_residual", Attribute::Float(c.pre_residual)});
  if (c.pre_activation > 0) op.attrs.push_back({"Scale_pre_activation", Attribute::Float(c.pre_activation)});
  auto out = RunOps(feeds, {{"w", c.prequantized ? wq : w}, {"b", c.prequantized ? bq : b}}, {op}, {"y"},
                    {{"y", c.force_fp32 ? DataType::kFP32 : c.out_type}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].dtype(), c.force_fp32 ? DataType::kFP32 : c.out_type);
  const bool training_rounding = c.pre_residual > 0 || c.pre_activation > 0;
  const float coarsest_training_grid = std::min(c.pre_residual > 0 ? c.pre_residual : s_out,
                                                c.pre_activation > 0 ? c.pre_activation : s_out);
  const double coarse_step = training_rounding && !c.force_fp32 ? std::ceil(s_out / coarsest_training_grid) : 0.0;
  EXPECT_TRUE(QuantNear((*out)[0], real, c.force_fp32 ? 1.0 : s_out, 1, coarse_step));
}

INSTANTIATE_TEST_SUITE_P(
    Variants, Int8ConvTest,
    ::testing::Values(Int8ConvCase{DataType::kUInt8, DataType::kInt8, ""},
                      Int8ConvCase{DataType::kInt8, DataType::kInt8, ""},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu"},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu6"},
                      Int8ConvCase{DataType::kInt8, DataType::kInt8, "hard_swish"},
                      Int8ConvCase{DataType::kUInt8, DataType::kInt8, "hard_sigmoid"},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "hard_sigmoid"},
                      Int8ConvCase{DataType::kInt8, DataType::kInt8, "sigmoid"},
                      Int8ConvCase{DataType::kUInt8, DataType::kFP32, "", false, true},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu", true},   // s8 residual under u8
                      Int8ConvCase{DataType::kInt8, DataType::kInt8, "", true},
                      Int8ConvCase{DataType::kUInt8, DataType::kFP32, "", true, true},  // converted residual
                      Int8ConvCase{DataType::kUInt8, DataType::kInt8, "", false, false, true},
                      Int8ConvCase{DataType::kUInt8, DataType::kInt8, "relu", false, false, false, 16},
                      Int8ConvCase{DataType::kInt8, DataType::kUInt8, "relu", false, false, false, 2},
                      // Roundings training did inside the fused op (coarser and finer grids than Scale_out).
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu", false, false, false, 1, 0, 7.f},
                      Int8ConvCase{DataType::kUInt8, DataType::kInt8, "", false, false, false, 1, 0, 20.f},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu", true, false, false, 1, 9.f, 7.f},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu", true, false, false, 1, 40.f, 0},
                      Int8ConvCase{DataType::kInt8, DataType::kInt8, "", true, false, false, 1, 6.f, 30.f},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu6", true, false, false, 1, 9.f, 7.f},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu6", true, false, false, 1, 9.f, 0},
                      Int8ConvCase{DataType::kUInt8, DataType::kFP32, "", true, true, false, 1, 9.f, 7.f},
                      // Depthwise: u8 inputs run on DwConvU8 (blocks of 64, 32 and 16 channels), s8 on oneDNN.
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu6", false, false, false, 1, 0, 0, 64},
                      Int8ConvCase{DataType::kUInt8, DataType::kInt8, "", false, false, false, 1, 0, 0, 32},
                      Int8ConvCase{DataType::kUInt8, DataType::kFP32, "relu", false, true, false, 1, 0, 0, 16},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu", false, false, true, 1, 0, 0, 48},
                      Int8ConvCase{DataType::kUInt8, DataType::kFP32, "", false, true, false, 1, 0, 0, 64},
                      Int8ConvCase{DataType::kInt8, DataType::kInt8, "relu", false, false, false, 1, 0, 0, 32},
                      // One image, 64 output channels: u8 inputs run on DirectConvU8 at 7x7, on oneDNN at 28x28.
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu6", false, false, false, 1, 0, 0, 0, true},
                      Int8ConvCase{DataType::kUInt8, DataType::kInt8, "", false, false, true, 1, 0, 0, 0, true},
                      Int8ConvCase{DataType::kUInt8, DataType::kFP32, "relu", false, true, false, 1, 0, 0, 0, true},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu", true, false, false, 1, 0, 0, 0, true},
                      Int8ConvCase{DataType::kUInt8, DataType::kUInt8, "relu6", true, false, false, 1, 9.f, 7.f, 0, true},
                      Int8ConvCase{DataType::kUInt8, DataType::kInt8, "", true, false, false, 1, 40.f, 0, 0, true},
                      Int8ConvCase{DataType::kUInt8, DataType::kFP32, "", true, true, false, 1, 9.f, 7.f, 0, true}));

// The training-rounding attributes are refused where the kernel cannot honour them.
TEST(Int8ConvTest, TrainingRoundingErrorsNameTheOp) {
  ir::Tensor xq = RandomQ({1, 4, 5, 5}, DataType::kUInt8, 231);
  ir::Tensor w = RandomTensor({8, 4, 1, 1}, 232, -0.5f, 0.5f);
  auto run = [&](const std::string& act, const std::string& attr) {
    OpCall op{"conv2d", {{"Input", {"x"}}, {"Filter", {"w"}}}, {{"Output", {"y"}}},
              {{"mkldnn_data_type", Attribute::String("int8")}, {"Scale_in", Attribute::Float(30.f)},
               {"Scale_weights", Attribute::Floats({100.f})}, {"Scale_out", Attribute::Float(10.f)},
               {"fuse_activation", Attribute::String(act)}, {attr, Attribute::Float(5.f)}}};
    return RunOps({{"x", xq}}, {{"w", w}}, {op}, {"y"}, {{"y", DataType::kInt8}});
  };
  ASSERT_TRUE(run("relu", "Scale_pre_activation").ok());
  auto swish = run("hard_swish", "Scale_pre_activation");
  ASSERT_FALSE(swish.ok());
  EXPECT_NE(swish.status().ToString().find("hard_swish"), std::string::npos) << swish.status().ToString();
  auto no_residual = run("", "Scale_pre_residual");
  ASSERT_FALSE(no_residual.ok());
  EXPECT_NE(no_residual.status().ToString().find("needs an INT8 ResidualData"), std::string::npos);
}

// oneDNN 2.6 computes a second eltwise post-op of one algorithm with the first one's parameters: such a
// chain is refused, naming the op; repeating identical parameters is fine.
TEST(EltwisePostOpsTest, SameAlgorithmWithOtherParametersIsRefused) {
  const ir::Op op("conv2d");
  dnnl::post_ops same, other;
  for (dnnl::post_ops* ops : {&same, &other}) {
    ops->append_eltwise(1.f, dnnl::algorithm::eltwise_clip, -127.f, 127.f);
    ops->append_sum(1.f);
    ops->append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
  }
  same.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, -127.f, 127.f);
  other.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 127.f);
  EXPECT_TRUE(runtime::kernels::CheckEltwisePostOps(op, same).ok());
  const Status st = runtime::kernels::CheckEltwisePostOps(op, other);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.ToString();
  EXPECT_NE(st.ToString().find("conv2d"), std::string::npos) << st.ToString();
}

TEST(Int8FcTest, FcAndMatmul) {
  const float s_in = 50.f, s_out = 10.f;
  ir::Tensor xq = RandomQ({4, 24}, DataType::kUInt8, 221);
  ir::Tensor w = RandomTensor({24, 6}, 222, -1.f, 1.f), b = RandomTensor({6}, 223);
  std::vector<float> sw(6);
  ir::Tensor wdq(DataType::kFP32, w.dims());
  for (int j = 0; j < 6; ++j) {
    float t = 0;
    for (int k = 0; k < 24; ++k) t = std::max(t, std::fabs(w.data<float>()[k * 6 + j]));
    sw[static_cast<size_t>(j)] = 127.f / t;
  }
  for (int k = 0; k < 24; ++k)
    for (int j = 0; j < 6; ++j) {
      const double s = sw[static_cast<size_t>(j)];
      wdq.data<float>()[k * 6 + j] = static_cast<float>(QuantDequantS8(w.data<float>()[k * 6 + j], s));
    }
  ir::Tensor real = ref::Binary(ref::MatMul(Dequant(xq, s_in), wdq, false, false), {4, 6}, b, {1, 6}, "add");
  for (std::string act : {"", "relu"}) {
    auto out = RunOps({{"x", xq}}, {{"w", w}, {"b", b}},
                      {{"fc", {{"Input", {"x"}}, {"W", {"w"}}, {"Bias", {"b"}}}, {{"Out", {"y"}}},
                        {{"in_num_col_dims", Attribute::Int(1)}, {"activation_type", Attribute::String(act)},
                         {"mkldnn_data_type", Attribute::String("int8")}, {"Scale_in", Attribute::Float(s_in)},
                         {"Scale_weights", Floats(sw)}, {"Scale_out", Attribute::Float(s_out)}}}},
                      {"y"}, {{"y", act.empty() ? DataType::kInt8 : DataType::kUInt8}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(QuantNear((*out)[0], act.empty() ? real : ref::Unary(real, "relu"), s_out)) << act;
  }
  // matmul with two runtime INT8 operands, f32 output.
  ir::Tensor aq = RandomQ({2, 3, 8}, DataType::kInt8, 224), bq = RandomQ({2, 8, 5}, DataType::kInt8, 225);
  ir::Tensor mreal = ref::MatMul(Dequant(aq, 20.0), Dequant(bq, 30.0), false, false);
  auto mm = RunOps({{"a", aq}, {"b", bq}}, {},
                   {{"matmul", {{"X", {"a"}}, {"Y", {"b"}}}, {{"Out", {"y"}}},
                     {{"mkldnn_data_type", Attribute::String("int8")}, {"Scale_x", Attribute::Float(20.f)},
                      {"Scale_y", Attribute::Float(30.f)}, {"force_fp32_output", Attribute::Bool(true)}}}},
                   {"y"});
  ASSERT_TRUE(mm.ok()) << mm.status().ToString();
  EXPECT_TRUE(TensorsNear((*mm)[0], mreal, 1e-4, 1e-5));
}

TEST(Int8DataMovementTest, PoolConcatReshapeTransposeAdd) {
  ir::Tensor a = RandomQ({1, 8, 6, 6}, DataType::kUInt8, 231), b = RandomQ({1, 8, 6, 6}, DataType::kUInt8, 232);
  const ir::ProgramBuilder::Attrs i8 = {{"mkldnn_data_type", Attribute::String("int8")}};
  auto with = [&](ir::ProgramBuilder::Attrs extra) {
    ir::ProgramBuilder::Attrs all = i8;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  };
  auto out = RunOps({{"a", a}, {"b", b}}, {},
                    {{"pool2d", {{"X", {"a"}}}, {{"Out", {"p"}}},
                      with({{"pooling_type", Attribute::String("max")}, {"ksize", Attribute::Ints({2, 2})},
                            {"strides", Attribute::Ints({2, 2})}, {"paddings", Attribute::Ints({0, 0})}})},
                     {"concat", {{"X", {"a", "b"}}}, {{"Out", {"c"}}}, with({{"axis", Attribute::Int(1)}})},
                     {"transpose2", {{"X", {"c"}}}, {{"Out", {"t"}}}, with({{"axis", Attribute::Ints({0, 2, 3, 1})}})},
                     {"reshape2", {{"X", {"t"}}}, {{"Out", {"r"}}}, with({{"shape", Attribute::Ints({36, 16})}})},
                     {"elementwise_add", {{"X", {"a"}}, {"Y", {"b"}}}, {{"Out", {"s"}}},
                      with({{"Scale_x", Attribute::Float(10.f)}, {"Scale_y", Attribute::Float(20.f)},
                            {"Scale_out", Attribute::Float(5.f)}})}},
                    {"p", "r", "s"}, {{"p", DataType::kUInt8}, {"c", DataType::kUInt8}, {"t", DataType::kUInt8},
                                      {"r", DataType::kUInt8}, {"s", DataType::kUInt8}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ref::Pool2dParams pp;
  EXPECT_TRUE(QuantNear((*out)[0], ref::Pool2d(Dequant(a, 1.0), pp), 1.0, 0));
  // concat + transpose + reshape of exact integers
  ir::Tensor cat(DataType::kFP32, {1, 16, 6, 6});
  for (int i = 0; i < 8 * 36; ++i) {
    cat.data<float>()[i] = a.data<uint8_t>()[i];
    cat.data<float>()[8 * 36 + i] = b.data<uint8_t>()[i];
  }
  EXPECT_TRUE(QuantNear((*out)[1], ref::Transpose(cat, {0, 2, 3, 1}).Reshaped({36, 16}), 1.0, 0));
  ir::Tensor sum = ref::Binary(Dequant(a, 10.0), a.dims(), Dequant(b, 20.0), b.dims(), "add");
  EXPECT_TRUE(QuantNear((*out)[2], sum, 5.0, 1));
}

TEST(Int8ChainTest, QuantizeConvConvDequantizeStaysInt8) {
  // quantize -> conv(u8 -> u8, relu) -> conv(u8 -> s8) -> dequantize: no reorders between the convs.
  ir::Tensor x = RandomTensor({1, 16, 8, 8}, 241, 0.f, 2.f);
  ir::Tensor w1 = RandomTensor({16, 16, 3, 3}, 242, -0.3f, 0.3f), w2 = RandomTensor({16, 16, 1, 1}, 243, -0.3f, 0.3f);
  const std::vector<float> sw(16, 127.f / 0.3f);
  auto conv = [&](const char* in, const char* w, const char* out, float s_in, float s_out, const char* act) {
    return OpCall{"conv2d", {{"Input", {in}}, {"Filter", {w}}}, {{"Output", {out}}},
                  {{"paddings", Attribute::Ints(std::string(w) == "w1" ? std::vector<int32_t>{1, 1} : std::vector<int32_t>{0, 0})},
                   {"mkldnn_data_type", Attribute::String("int8")}, {"Scale_in", Attribute::Float(s_in)},
                   {"Scale_weights", Floats(sw)}, {"Scale_out", Attribute::Float(s_out)},
                   {"fuse_activation", Attribute::String(act)}}};
  };
  ir::Program prog = BuildProgram(
      {{"x", x}}, {{"w1", w1}, {"w2", w2}},
      {{"quantize", {{"Input", {"x"}}}, {{"Output", {"q"}}}, {{"Scale", Attribute::Float(100.f)}, {"is_negative_input", Attribute::Bool(false)}}},
       conv("q", "w1", "c1", 100.f, 20.f, "relu"), conv("c1", "w2", "c2", 20.f, 30.f, ""),
       {"dequantize", {{"Input", {"c2"}}}, {{"Output", {"y"}}}, {{"Scale", Attribute::Float(30.f)}}}},
      {"y"}, {{"q", DataType::kUInt8}, {"c1", DataType::kUInt8}, {"c2", DataType::kInt8}});
  auto exec = runtime::Executor::Create(prog);
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  auto out = (*exec)->Run({x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ref::Conv2dParams p1, p2;
  p1.pad_t = p1.pad_b = p1.pad_l = p1.pad_r = 1;
  ir::Tensor e = ref::Conv2d(ref::Unary(ref::Conv2d(x, w1, nullptr, p1), "relu"), w2, nullptr, p2);
  // Quantization noise only: compare loosely in real units.
  EXPECT_TRUE(TensorsNear((*out)[0], e, 0.05, 0.15));
  auto st = (*exec)->CurrentPlanStats();
  EXPECT_LE(st->num_reorder_steps, 1) << (*exec)->DumpPlan();
}

}  // namespace
}  // namespace q2i::testing
