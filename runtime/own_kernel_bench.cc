#include "runtime/own_kernel_bench.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "runtime/kernels/cpu_features.h"
#include "runtime/kernels/direct_conv_u8.h"
#include "runtime/kernels/dw_conv_u8.h"
#include "support/stats.h"

namespace q2i::runtime {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

double TimeMs(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Either kernel's epilogue for the benchmark's convolution: bias, output scales, relu, u8 out.
template <class Epilogue>
Epilogue ReluEpilogue(const std::vector<float>& bias, const std::vector<float>& scale) {
  Epilogue e;
  e.bias = bias;
  e.scale = scale;
  e.lo = 0.f;
  return e;
}

// One weight set per copy, for both implementations.
struct Contenders {
  std::vector<std::function<void()>> onednn, ours;  // [copy]
};

}  // namespace

StatusOr<OwnKernelBenchResult> BenchOwnKernel(const OwnKernelBenchOptions& o) {
  const bool depthwise = o.kernel == "depthwise";
  if (!depthwise && o.kernel != "direct") {
    return InvalidArgument("kernel must be 'direct' or 'depthwise', got '", o.kernel, "'");
  }
  if (o.batch < 1 || o.channels < 1 || o.out_channels < 1 || o.size < 1 || o.filter < 1 || o.stride < 1 ||
      o.threads < 1 || o.runs < 1 || o.copies < 1) {
    return InvalidArgument("batch, channels, out_channels, size, filter, stride, threads, runs and copies must be >= 1");
  }
  const int64_t n = o.batch, c = o.channels, oc = depthwise ? o.channels : o.out_channels, k = o.filter;
  const int64_t pad = k / 2, oh = (o.size + 2 * pad - k) / o.stride + 1;
  if (oh < 1) return InvalidArgument("a ", k, "x", k, " filter leaves no output on a ", o.size, "x", o.size, " input");
  if (!kernels::CpuHasAvx512Vnni() || (depthwise && !kernels::CpuHasAvx512VnniVbmi())) {
    return Unsupported("this CPU lacks the AVX-512 VNNI", depthwise ? "/VBMI" : "", " the kernel needs");
  }
  const kernels::DirectConvU8Shape ds{.n = n, .c = c, .h = o.size, .w = o.size, .oc = oc, .oh = oh, .ow = oh,
                                      .kh = k, .kw = k, .stride_h = o.stride, .stride_w = o.stride,
                                      .pad_top = pad, .pad_left = pad};
  const kernels::DwConvU8Shape ws{.n = n, .c = c, .h = o.size, .w = o.size, .oh = oh, .ow = oh, .kh = k, .kw = k,
                                  .stride_h = o.stride, .stride_w = o.stride, .pad_top = pad, .pad_left = pad};
  if (depthwise ? !kernels::DwConvU8Supports(ws) : !kernels::DirectConvU8Supports(ds)) {
    return InvalidArgument("the ", o.kernel, " kernel does not handle ", n, "x", c, "x", o.size, "x", o.size, " -> ",
                           oc, " channels, ", k, "x", k, " stride ", o.stride,
                           depthwise ? " (channels must be a multiple of 16, the filter at most 7x4)"
                                     : " (output channels a multiple of 64)");
  }
  omp_set_num_threads(o.threads);
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::mt19937 g(1234);
  const memory::desc src_md({n, c, o.size, o.size}, dt::u8, tag::nhwc), dst_md({n, oc, oh, oh}, dt::u8, tag::nhwc);
  const memory::dims w_dims = depthwise ? memory::dims{c, 1, 1, k, k} : memory::dims{oc, c, k, k};
  const memory::desc user_w_md(w_dims, dt::s8, depthwise ? tag::goihw : tag::oihw);
  const memory::desc bias_md({oc}, dt::f32, tag::x);
  std::vector<float> scale(static_cast<size_t>(oc)), bias(static_cast<size_t>(oc));
  std::uniform_real_distribution<float> su(0.5f, 1.5f), bu(-1000.f, 1000.f);
  const float unit = 1.f / (127.f * std::sqrt(static_cast<float>(k * k * (depthwise ? 1 : c))));
  for (int64_t i = 0; i < oc; ++i) {
    scale[static_cast<size_t>(i)] = su(g) * unit;
    bias[static_cast<size_t>(i)] = std::nearbyint(bu(g));
  }
  dnnl::primitive_attr attr;
  attr.set_output_scales(1 << 1, scale);
  dnnl::post_ops ops;
  ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  attr.set_post_ops(ops);
  const memory::desc any_w(w_dims, dt::s8, tag::any);
  dnnl::convolution_forward::primitive_desc pd(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md,
                                      any_w, bias_md, dst_md, {o.stride, o.stride}, {pad, pad}, {pad, pad}),
      attr, engine);
  const dnnl::convolution_forward conv(pd);

  memory src(src_md, engine), dst(dst_md, engine), bias_mem(bias_md, engine);
  auto* src_bytes = static_cast<uint8_t*>(src.get_data_handle());
  for (size_t i = 0; i < src_md.get_size(); ++i) src_bytes[i] = static_cast<uint8_t>(g() % 256);
  std::copy(bias.begin(), bias.end(), static_cast<float*>(bias_mem.get_data_handle()));
  std::vector<uint8_t> ours_dst(dst_md.get_size());

  Contenders run;
  std::vector<std::unique_ptr<kernels::DirectConvU8>> direct;
  std::vector<std::unique_ptr<kernels::DwConvU8>> dw;
  for (int copy = 0; copy < o.copies; ++copy) {
    std::vector<int8_t> w(user_w_md.get_size());
    for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(g() % 255) - 127);
    memory user(user_w_md, engine, w.data()), packed(pd.weights_desc(), engine);
    dnnl::reorder(user, packed).execute(stream, user, packed);
    stream.wait();
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, packed}, {DNNL_ARG_BIAS, bias_mem}, {DNNL_ARG_DST, dst}};
    run.onednn.push_back([&conv, &stream, args] {
      conv.execute(stream, args);
      stream.wait();
    });
    if (depthwise) {
      dw.push_back(std::make_unique<kernels::DwConvU8>(ws, w.data(), ReluEpilogue<kernels::DwConvU8Epilogue>(bias, scale),
                                                       o.threads));
      run.ours.push_back([k = dw.back().get(), src_bytes, &ours_dst] { k->Run(src_bytes, ours_dst.data()); });
    } else {
      direct.push_back(std::make_unique<kernels::DirectConvU8>(
          ds, w.data(), ReluEpilogue<kernels::DirectConvU8Epilogue>(bias, scale), o.threads));
      run.ours.push_back([k = direct.back().get(), src_bytes, &ours_dst] { k->Run(src_bytes, ours_dst.data()); });
    }
  }
  for (int i = 0; i < 10; ++i) {
    run.onednn[0]();
    run.ours[0]();
  }
  std::vector<double> onednn_hot, ours_hot, onednn_streamed, ours_streamed;
  for (int r = 0; r < o.runs; ++r) {
    const size_t copy = static_cast<size_t>(r % o.copies);
    onednn_hot.push_back(TimeMs(run.onednn[0]));
    ours_hot.push_back(TimeMs(run.ours[0]));
    onednn_streamed.push_back(TimeMs(run.onednn[copy]));
    ours_streamed.push_back(TimeMs(run.ours[copy]));
  }
  OwnKernelBenchResult res;
  res.onednn_impl = pd.impl_info_str();
  res.onednn_hot_ms = Median(onednn_hot);
  res.ours_hot_ms = Median(ours_hot);
  res.onednn_streamed_ms = Median(onednn_streamed);
  res.ours_streamed_ms = Median(ours_streamed);
  return res;
}

}  // namespace q2i::runtime
