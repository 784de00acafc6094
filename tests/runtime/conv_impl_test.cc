// The convolution implementation policy (runtime/kernels/conv_impl.h): which oneDNN kernel each shape
// gets, and that the two policies compute the same results.
#include "runtime/kernels/conv_impl.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tests/runtime/op_test_util.h"
#include "tests/test_util/program_helpers.h"

namespace q2i::testing {
namespace {

using dnnl::memory;
using runtime::ConvImplPolicy;
using runtime::kernels::ChooseConvImpl;

struct Choice {
  std::string library, tuned;
};

// The implementation names both policies pick for a 3x3 convolution of `c` channels on an hw x hw map.
Choice Choose(bool int8, int64_t c, int64_t hw) {
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const auto src_dt = int8 ? memory::data_type::u8 : memory::data_type::f32;
  const auto wei_dt = int8 ? memory::data_type::s8 : memory::data_type::f32;
  const memory::desc src({1, c, hw, hw}, src_dt, memory::format_tag::nhwc);
  const memory::desc dst({1, c, hw, hw}, src_dt, memory::format_tag::nhwc);
  const memory::desc wei({c, c, 3, 3}, wei_dt, memory::format_tag::any);
  const memory::desc bias({c}, memory::data_type::f32, memory::format_tag::x);
  const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                             src, wei, bias, dst, {1, 1}, {1, 1}, {1, 1});
  dnnl::primitive_attr attr;
  if (int8) attr.set_output_scales(0, {0.5f});
  const int64_t pixels = hw * hw;
  return {ChooseConvImpl(desc, attr, engine, int8, pixels, ConvImplPolicy::kLibraryDefault).impl_info_str(),
          ChooseConvImpl(desc, attr, engine, int8, pixels, ConvImplPolicy::kTuned).impl_info_str()};
}

TEST(ConvImplTest, Int8OnLargeMapsTakesJitInt8InsteadOfBrgconv) {
  const Choice c = Choose(true, 64, 56);
  if (c.library == "brgconv:avx512_core_vnni") {
    EXPECT_TRUE(c.tuned.starts_with("jit_int8")) << c.tuned;
  } else {
    EXPECT_EQ(c.tuned, c.library) << "only the AVX-512 VNNI brgconv is ever replaced";
  }
  // This project's CI machines have AVX-512 VNNI, where oneDNN 2.6 ranks brgconv first: the rule must
  // act there.
  if (dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx512_core_vnni) {
    EXPECT_TRUE(c.library.starts_with("brgconv")) << c.library;
  }
}

TEST(ConvImplTest, SmallMapsAndFp32KeepOneDnnsChoice) {
  const Choice small = Choose(true, 64, 14);  // 196 output pixels, below kJitInt8MinOutputPixels
  EXPECT_EQ(small.tuned, small.library);
  const Choice fp32 = Choose(false, 64, 56);
  EXPECT_EQ(fp32.tuned, fp32.library);
}

// A u8 conv with a residual sum and relu on a 28x28 map, the same under both policies to the byte.
TEST(ConvImplTest, PoliciesGiveIdenticalResults) {
  const int64_t c = 32, hw = 28;
  ir::Tensor x(ir::DataType::kUInt8, {1, c, hw, hw}), r(ir::DataType::kInt8, {1, c, hw, hw});
  for (int64_t i = 0; i < x.numel(); ++i) {
    x.data<uint8_t>()[i] = static_cast<uint8_t>((i * 37) % 256);
    r.data<int8_t>()[i] = static_cast<int8_t>((i * 11) % 255 - 127);
  }
  const ir::Tensor w = RandomTensor({c, c, 3, 3}, 7, -0.5f, 0.5f);
  const ir::Tensor b = RandomTensor({c}, 8);
  OpCall op{"conv2d",
            {{"Input", {"x"}}, {"Filter", {"w"}}, {"Bias", {"b"}}, {"ResidualData", {"r"}}},
            {{"Output", {"y"}}},
            {{"paddings", ir::Attribute::Ints({1, 1})},
             {"mkldnn_data_type", ir::Attribute::String("int8")},
             {"Scale_in", ir::Attribute::Float(30.f)},
             {"Scale_weights", ir::Attribute::Floats(std::vector<float>(static_cast<size_t>(c), 250.f))},
             {"Scale_out", ir::Attribute::Float(0.4f)},
             {"Scale_in_eltwise", ir::Attribute::Float(20.f)},
             {"fuse_residual_connection", ir::Attribute::Bool(true)},
             {"fuse_activation", ir::Attribute::String("relu")}}};
  const ir::Program program = BuildProgram({{"x", x}, {"r", r}}, {{"w", w}, {"b", b}}, {op}, {"y"},
                                           {{"y", ir::DataType::kUInt8}});
  std::vector<ir::Tensor> results;
  for (ConvImplPolicy policy : {ConvImplPolicy::kLibraryDefault, ConvImplPolicy::kTuned}) {
    auto exec = runtime::Executor::Create(program, {.conv_impl = policy});
    ASSERT_TRUE(exec.ok()) << exec.status().ToString();
    const std::vector<ir::Tensor> feeds = {x, r};
    auto out = (*exec)->Run(feeds);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    results.push_back((*out)[0]);
  }
  ASSERT_EQ(results[0].dims(), results[1].dims());
  int nonzero = 0;
  for (int64_t i = 0; i < results[0].numel(); ++i) nonzero += results[0].data<uint8_t>()[i] != 0;
  EXPECT_GT(nonzero, results[0].numel() / 4) << "the output should not be mostly clipped";
  EXPECT_EQ(std::memcmp(results[0].raw_data(), results[1].raw_data(), static_cast<size_t>(results[0].numel())), 0);
}

}  // namespace
}  // namespace q2i::testing
