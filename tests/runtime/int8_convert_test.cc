// The quantize / dequantize / requantize loop (runtime/kernels/int8_convert.h) against oneDNN's reorder
// with the same output scale and zero points, bit for bit, and through the executor under both policies.
#include "runtime/kernels/int8_convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/executor.h"
#include "runtime/kernels/cpu_features.h"
#include "tests/runtime/op_test_util.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using runtime::kernels::Int8Convert;
using runtime::kernels::Int8ConvertSupports;
using runtime::kernels::Int8ConvertToNhwcSupports;
using runtime::kernels::RunInt8Convert;
using runtime::kernels::RunInt8ConvertToNhwc;

// Random source bytes of type `t`. f32 values include halfway cases (k + 0.5 after scaling by a power of
// two), values beyond the 8-bit ranges and negative values.
std::vector<uint8_t> RandomSource(dt t, int64_t count, float scale, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<uint8_t> bytes(count * memory::data_type_size(t));
  if (t != dt::f32) {
    for (auto& b : bytes) b = static_cast<uint8_t>(g());
    return bytes;
  }
  std::vector<float> v(count);
  std::uniform_real_distribution<float> u(-300.f, 300.f);
  for (int64_t i = 0; i < count; ++i) {
    v[i] = i % 3 == 0 ? (std::floor(u(g)) + 0.5f) / scale : u(g) / scale;
  }
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

std::vector<uint8_t> OneDnnReorder(const Int8Convert& c, const std::vector<uint8_t>& src, int64_t count) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const memory::desc src_md({count}, c.from, memory::format_tag::x), dst_md({count}, c.to, memory::format_tag::x);
  std::vector<uint8_t> dst(count * memory::data_type_size(c.to));
  memory s(src_md, engine, const_cast<uint8_t*>(src.data())), d(dst_md, engine, dst.data());
  dnnl::primitive_attr attr;
  attr.set_output_scales(0, {c.scale});
  if (c.src_zp != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {c.src_zp});
  if (c.dst_zp != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {c.dst_zp});
  dnnl::stream stream(engine);
  dnnl::reorder(dnnl::reorder::primitive_desc(engine, src_md, engine, dst_md, attr)).execute(stream, s, d);
  stream.wait();
  return dst;
}

struct ConvertCase {
  dt from, to;
  float scale;
  int32_t src_zp, dst_zp;
};

class Int8ConvertTest : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(Int8ConvertTest, MatchesOneDnnReorderBitForBit) {
  const ConvertCase& k = GetParam();
  const Int8Convert c{.from = k.from, .to = k.to, .scale = k.scale, .src_zp = k.src_zp, .dst_zp = k.dst_zp};
  ASSERT_EQ(Int8ConvertSupports(c), runtime::kernels::CpuHasAvx512Vnni());
  if (!Int8ConvertSupports(c)) GTEST_SKIP() << "no AVX-512: the ops stay on oneDNN";
  // Tails of every length around one vector, and a tensor large enough for the threads.
  for (int64_t count : {1, 15, 16, 17, 1000, 300001}) {
    const std::vector<uint8_t> src = RandomSource(k.from, count, k.scale, static_cast<uint32_t>(count));
    const size_t out_bytes = count * memory::data_type_size(k.to);
    std::vector<uint8_t> ours(out_bytes + 64, 0xA5);  // guard bytes catch stores past the end
    RunInt8Convert(c, src.data(), ours.data(), count);
    const std::vector<uint8_t> theirs = OneDnnReorder(c, src, count);
    ASSERT_EQ(std::memcmp(ours.data(), theirs.data(), out_bytes), 0) << "count " << count;
    for (size_t i = out_bytes; i < ours.size(); ++i) ASSERT_EQ(ours[i], 0xA5) << "store past the end, count " << count;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, Int8ConvertTest,
    ::testing::Values(ConvertCase{dt::f32, dt::u8, 6.478894f, 0, 0},   // quantize
                      ConvertCase{dt::f32, dt::s8, 0.5f, 0, 0},        // halfway cases exact
                      ConvertCase{dt::f32, dt::u8, 0.25f, 0, 128},     // with a shift
                      ConvertCase{dt::u8, dt::f32, 0.154347f, 0, 0},   // dequantize
                      ConvertCase{dt::s8, dt::f32, 0.01f, 0, 0},
                      ConvertCase{dt::u8, dt::f32, 0.02f, 128, 0},
                      ConvertCase{dt::u8, dt::s8, 0.5f, 0, 0},         // requantize
                      ConvertCase{dt::s8, dt::u8, 1.7f, 0, 0},
                      ConvertCase{dt::u8, dt::u8, 0.75f, 128, 3}));

TEST(Int8ConvertTest, SupportsOnlyConversionsWithAnEightBitSide) {
  const bool cpu = runtime::kernels::CpuHasAvx512Vnni();
  EXPECT_EQ(Int8ConvertSupports({.from = dt::f32, .to = dt::s8}), cpu);
  EXPECT_FALSE(Int8ConvertSupports({.from = dt::f32, .to = dt::f32}));
  EXPECT_FALSE(Int8ConvertSupports({.from = dt::s32, .to = dt::u8}));
  EXPECT_FALSE(Int8ConvertSupports({.from = dt::u8, .to = dt::bf16}));
}

// One run of `p` on `x` under `policy` (2 threads): its first output, how many steps ran `variant`, and
// the reorder steps of the plan.
struct PolicyRun {
  ir::Tensor out;
  int variant_steps = 0;
  int reorders = 0;
};
PolicyRun RunUnder(const ir::Program& p, const ir::Tensor& x, runtime::ConvImplPolicy policy,
                   const std::string& variant) {
  PolicyRun r;
  auto exec = runtime::Executor::Create(p, {.num_threads = 2, .conv_impl = policy});
  if (!exec.ok()) {
    ADD_FAILURE() << exec.status().ToString();
    return r;
  }
  auto out = (*exec)->Run({x});
  auto stats = (*exec)->CurrentPlanStats();
  if (!out.ok() || !stats.ok()) {
    ADD_FAILURE() << (out.ok() ? stats.status().ToString() : out.status().ToString());
    return r;
  }
  r.out = (*out)[0];
  r.variant_steps = stats->variant_steps.count(variant) ? stats->variant_steps.at(variant) : 0;
  r.reorders = stats->num_reorder_steps;
  return r;
}

// Through the executor: quantize -> dequantize of an NCHW tensor runs on the loop under the tuned policy
// only, and both policies give the same floats.
TEST(Int8ConvertTest, ExecutorRunsQuantizeAndDequantizeOnIt) {
  std::mt19937 g(3);
  ir::Tensor x(ir::DataType::kFP32, {2, 5, 7, 9});
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(g);
  const ir::Attribute int8 = ir::Attribute::String("int8");
  const ir::Program p = BuildProgram(
      {{"x", x}}, {},
      {{"quantize",
        {{"Input", {"x"}}},
        {{"Output", {"q"}}},
        {{"mkldnn_data_type", int8}, {"Scale", ir::Attribute::Float(40.f)}, {"is_negative_input", ir::Attribute::Bool(true)}}},
       {"dequantize", {{"Input", {"q"}}}, {{"Output", {"y"}}}, {{"mkldnn_data_type", int8}, {"Scale", ir::Attribute::Float(40.f)}}}},
      {"y"}, {{"q", ir::DataType::kInt8}});
  std::vector<ir::Tensor> outputs;
  for (runtime::ConvImplPolicy policy : {runtime::ConvImplPolicy::kTuned, runtime::ConvImplPolicy::kLibraryDefault}) {
    const PolicyRun r = RunUnder(p, x, policy, "int8_convert");
    const bool ours = policy == runtime::ConvImplPolicy::kTuned && runtime::kernels::CpuHasAvx512Vnni();
    EXPECT_EQ(r.variant_steps, ours ? 2 : 0);
    outputs.push_back(r.out);
  }
  ASSERT_EQ(outputs[0].dims(), x.dims());
  ASSERT_EQ(outputs[1].dims(), x.dims());
  for (int64_t i = 0; i < x.numel(); ++i) {
    ASSERT_EQ(outputs[0].data<float>()[i], outputs[1].data<float>()[i]) << "[" << i << "]";
    ASSERT_NEAR(outputs[0].data<float>()[i], x.data<float>()[i], 0.5f / 40.f + 1e-6f);
  }
}

// Quantizing NCHW into NHWC: bit for bit oneDNN's reorder between the two layouts, for 1-4 channels,
// both 8-bit types, a shift, tails and an input large enough for the threads.
TEST(Int8ConvertToNhwcTest, MatchesOneDnnReorderBitForBit) {
  if (!runtime::kernels::CpuHasAvx512VnniVbmi()) GTEST_SKIP() << "needs AVX-512 VBMI: the op stays on oneDNN";
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  for (const Int8Convert& c : {Int8Convert{.from = dt::f32, .to = dt::s8, .scale = 0.5f},
                               Int8Convert{.from = dt::f32, .to = dt::u8, .scale = 6.478894f},
                               Int8Convert{.from = dt::f32, .to = dt::u8, .scale = 0.25f, .dst_zp = 128}}) {
    for (int64_t channels = 1; channels <= 4; ++channels) {
      ASSERT_TRUE(Int8ConvertToNhwcSupports(c, channels));
      for (int64_t hw : {1, 4, 5, 300}) {  // 1, 16, 25 and 90000 pixels
        const int64_t n = 2, pixels = hw * hw, count = n * channels * pixels;
        SCOPED_TRACE(std::to_string(channels) + " channels, " + std::to_string(pixels) + " pixels");
        std::vector<uint8_t> src = RandomSource(dt::f32, count, c.scale, static_cast<uint32_t>(count));
        std::vector<uint8_t> ours(static_cast<size_t>(count) + 64, 0xA5), theirs(static_cast<size_t>(count));
        RunInt8ConvertToNhwc(c, reinterpret_cast<const float*>(src.data()), ours.data(), n, channels, pixels);
        const memory::dims dims = {n, channels, hw, hw};
        const memory::desc src_md(dims, dt::f32, memory::format_tag::nchw), dst_md(dims, c.to, memory::format_tag::nhwc);
        memory s(src_md, engine, src.data()), d(dst_md, engine, theirs.data());
        dnnl::primitive_attr attr;
        attr.set_output_scales(0, {c.scale});
        if (c.dst_zp != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {c.dst_zp});
        dnnl::reorder(dnnl::reorder::primitive_desc(engine, src_md, engine, dst_md, attr)).execute(stream, s, d);
        stream.wait();
        ASSERT_EQ(std::memcmp(ours.data(), theirs.data(), theirs.size()), 0);
        for (size_t i = theirs.size(); i < ours.size(); ++i) ASSERT_EQ(ours[i], 0xA5) << "store past the end";
      }
    }
  }
  EXPECT_FALSE(Int8ConvertToNhwcSupports({.from = dt::f32, .to = dt::s8}, 5));
  EXPECT_FALSE(Int8ConvertToNhwcSupports({.from = dt::u8, .to = dt::s8}, 3));
  EXPECT_FALSE(Int8ConvertToNhwcSupports({.from = dt::f32, .to = dt::f32}, 3));
}

// Through the executor: an image quantized for an INT8 conv goes straight into NHWC under the tuned
// policy, one reorder fewer than under the library policy, with the same results.
TEST(Int8ConvertToNhwcTest, ExecutorQuantizesAnImageIntoNhwcForTheConv) {
  std::mt19937 g(5);
  ir::Tensor x(ir::DataType::kFP32, {1, 3, 32, 32});
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(g);
  const ir::Tensor w = RandomTensor({16, 3, 3, 3}, 6, -0.5f, 0.5f);
  const ir::Attribute int8 = ir::Attribute::String("int8");
  const ir::Program p = BuildProgram(
      {{"x", x}}, {{"w", w}},
      {{"quantize",
        {{"Input", {"x"}}},
        {{"Output", {"q"}}},
        {{"mkldnn_data_type", int8}, {"Scale", ir::Attribute::Float(60.f)}, {"is_negative_input", ir::Attribute::Bool(true)}}},
       {"conv2d",
        {{"Input", {"q"}}, {"Filter", {"w"}}},
        {{"Output", {"y"}}},
        {{"mkldnn_data_type", int8},
         {"paddings", ir::Attribute::Ints({1, 1})},
         {"Scale_in", ir::Attribute::Float(60.f)},
         {"Scale_weights", ir::Attribute::Floats({250.f})},
         {"Scale_out", ir::Attribute::Float(20.f)},
         {"fuse_activation", ir::Attribute::String("relu")}}}},
      {"y"}, {{"q", ir::DataType::kInt8}, {"y", ir::DataType::kUInt8}});
  std::vector<ir::Tensor> outputs;
  std::vector<int> reorders;
  for (runtime::ConvImplPolicy policy : {runtime::ConvImplPolicy::kTuned, runtime::ConvImplPolicy::kLibraryDefault}) {
    const PolicyRun r = RunUnder(p, x, policy, "int8_convert_nhwc");
    const bool ours = policy == runtime::ConvImplPolicy::kTuned && runtime::kernels::CpuHasAvx512VnniVbmi();
    EXPECT_EQ(r.variant_steps, ours ? 1 : 0);
    reorders.push_back(r.reorders);
    outputs.push_back(r.out);
  }
  if (runtime::kernels::CpuHasAvx512VnniVbmi()) {
    EXPECT_EQ(reorders[0] + 1, reorders[1]);
  }
  ASSERT_EQ(outputs[0].dims(), outputs[1].dims());
  int64_t nonzero = 0;
  for (int64_t i = 0; i < outputs[0].numel(); ++i) {
    const int a = outputs[0].data<uint8_t>()[i], e = outputs[1].data<uint8_t>()[i];
    ASSERT_LE(std::abs(a - e), 1) << "[" << i << "]";
    nonzero += a != 0;
  }
  EXPECT_GT(nonzero, outputs[0].numel() / 10);
}

}  // namespace
}  // namespace q2i::testing
