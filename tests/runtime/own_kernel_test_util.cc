#include "tests/runtime/own_kernel_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "runtime/executor.h"

namespace q2i::testing {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

namespace {

float ValueAt(const memory& m, dt type, size_t i) {
  if (type == dt::f32) return static_cast<const float*>(m.get_data_handle())[i];
  if (type == dt::u8) return static_cast<const uint8_t*>(m.get_data_handle())[i];
  return static_cast<const int8_t*>(m.get_data_handle())[i];
}

void SetValue(memory& m, dt type, size_t i, float v) {
  if (type == dt::f32) static_cast<float*>(m.get_data_handle())[i] = v;
  if (type == dt::u8) static_cast<uint8_t*>(m.get_data_handle())[i] = static_cast<uint8_t>(v);
  if (type == dt::s8) static_cast<int8_t*>(m.get_data_handle())[i] = static_cast<int8_t>(v);
}

}  // namespace

std::vector<float> RunOneDnnU8Conv(const OneDnnU8Conv& c) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const memory::desc src_md(c.src_dims, dt::u8, tag::nhwc), dst_md(c.dst_dims, c.dst_type, tag::nhwc);
  const memory::desc w_md(c.weight_dims, dt::s8, c.weight_dims.size() == 5 ? tag::goihw : tag::oihw);
  const memory::desc b_md({c.dst_dims[1]}, dt::f32, tag::x);
  dnnl::primitive_attr attr;
  attr.set_output_scales(1 << 1, c.scales);
  dnnl::post_ops ops;
  if (!c.residual.empty()) ops.append_sum(c.sum_scale);
  if (c.clip) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, c.lo, c.hi);
  attr.set_post_ops(c.post_ops != nullptr ? *c.post_ops : ops);
  const bool bias = !c.bias.empty();
  auto desc = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                     dnnl::algorithm::convolution_direct, src_md, w_md, b_md, dst_md,
                                                     c.strides, c.dilations, c.pad_l, c.pad_r)
                   : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                     dnnl::algorithm::convolution_direct, src_md, w_md, dst_md,
                                                     c.strides, c.dilations, c.pad_l, c.pad_r);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
  memory src(src_md, engine, const_cast<uint8_t*>(c.src));
  memory w(w_md, engine, const_cast<int8_t*>(c.weights));
  std::vector<float> bias_values = c.bias;
  memory b(b_md, engine, bias ? bias_values.data() : nullptr);
  memory dst(dst_md, engine);
  const size_t count = dst_md.get_size() / memory::data_type_size(c.dst_type);
  for (size_t i = 0; i < c.residual.size() && i < count; ++i) SetValue(dst, c.dst_type, i, c.residual[i]);
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
  if (bias) args[DNNL_ARG_BIAS] = b;
  dnnl::convolution_forward(pd).execute(stream, args);
  stream.wait();
  std::vector<float> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = ValueAt(dst, c.dst_type, i);
  return out;
}

void ExpectMatchesReference(const std::vector<float>& got, const std::vector<float>& want, dt type) {
  ASSERT_EQ(got.size(), want.size());
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const float tol = type == dt::f32 ? 1e-5f * std::max(1.f, std::fabs(want[i])) : 0.f;
    if (std::fabs(got[i] - want[i]) > tol && bad++ < 5) ADD_FAILURE() << "[" << i << "] " << got[i] << " vs " << want[i];
  }
  EXPECT_EQ(bad, 0);
}

void ExpectWithinOneQuantum(const std::vector<float>& ours, const std::vector<float>& theirs, dt type) {
  ASSERT_EQ(ours.size(), theirs.size());
  int off = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    const float tol = type == dt::f32 ? 1e-4f * std::max(1.f, std::fabs(theirs[i])) : 1.f;
    EXPECT_LE(std::fabs(ours[i] - theirs[i]), tol) << "[" << i << "]";
    if (ours[i] != theirs[i]) ++off;
  }
  EXPECT_LE(off, static_cast<int>(ours.size() / 100)) << "values one quantum apart";
}

ir::Tensor ExpectOwnKernelUnderTunedOnly(const ir::Program& program, const std::vector<ir::Tensor>& feeds,
                                         const std::string& variant, bool ours) {
  std::vector<ir::Tensor> outputs;
  std::vector<int> reorders;
  for (runtime::ConvImplPolicy policy : {runtime::ConvImplPolicy::kTuned, runtime::ConvImplPolicy::kLibraryDefault}) {
    auto exec = runtime::Executor::Create(program, {.num_threads = 2, .conv_impl = policy});
    if (!exec.ok()) {
      ADD_FAILURE() << exec.status().ToString();
      return {};
    }
    auto out = (*exec)->Run(feeds);
    auto stats = (*exec)->CurrentPlanStats();
    if (!out.ok() || !stats.ok()) {
      ADD_FAILURE() << (out.ok() ? stats.status().ToString() : out.status().ToString());
      return {};
    }
    const bool expect = ours && policy == runtime::ConvImplPolicy::kTuned;
    EXPECT_EQ(stats->variant_steps.count(variant) ? stats->variant_steps.at(variant) : 0, expect ? 1 : 0);
    reorders.push_back(stats->num_reorder_steps);
    outputs.push_back((*out)[0]);
  }
  EXPECT_EQ(reorders[0], reorders[1]) << "the kernel's NHWC layouts cost no extra reorder";
  EXPECT_EQ(outputs[0].dims(), outputs[1].dims());
  if (outputs[0].dtype() != ir::DataType::kUInt8 || outputs[1].dtype() != ir::DataType::kUInt8) {
    ADD_FAILURE() << "u8 outputs expected";
    return outputs[0];
  }
  int off = 0;
  for (int64_t i = 0; i < outputs[0].numel(); ++i) {
    const int a = outputs[0].data<uint8_t>()[i], e = outputs[1].data<uint8_t>()[i];
    EXPECT_LE(std::abs(a - e), 1) << "[" << i << "]";
    off += a != e;
  }
  EXPECT_LE(off, outputs[0].numel() / 100);
  return outputs[0];
}

}  // namespace q2i::testing
