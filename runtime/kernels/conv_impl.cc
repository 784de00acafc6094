#include "runtime/kernels/conv_impl.h"

#include <string_view>

namespace q2i::runtime::kernels {
namespace {

// brgconv on AVX-512 VNNI, where the rule was measured (not its AMX kernels, e.g. "brgconv:avx512_core_amx").
bool IsVnniBrgconv(const char* impl) {
  const std::string_view s(impl);
  return s.starts_with("brgconv") && s.ends_with(":avx512_core_vnni");
}

}  // namespace

dnnl::convolution_forward::primitive_desc ChooseConvImpl(const dnnl::convolution_forward::desc& desc,
                                                         const dnnl::primitive_attr& attr,
                                                         const dnnl::engine& engine, bool int8,
                                                         int64_t output_pixels, ConvImplPolicy policy) {
  dnnl::convolution_forward::primitive_desc first(desc, attr, engine);
  if (policy != ConvImplPolicy::kTuned || !int8 || output_pixels < kJitInt8MinOutputPixels ||
      !IsVnniBrgconv(first.impl_info_str())) {
    return first;
  }
  // A second iterator, so `first` stays valid when no alternative accepts the descriptor.
  dnnl::convolution_forward::primitive_desc probe(desc, attr, engine);
  while (probe.next_impl()) {
    if (std::string_view(probe.impl_info_str()).starts_with("jit_int8")) return probe;
  }
  return first;
}

}  // namespace q2i::runtime::kernels
