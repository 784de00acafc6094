#include "runtime/kernels/conv_impl.h"

#include <string_view>

namespace q2i::runtime::kernels {
namespace {

bool StartsWith(const char* s, std::string_view prefix) { return std::string_view(s).starts_with(prefix); }

}  // namespace

dnnl::convolution_forward::primitive_desc ChooseConvImpl(const dnnl::convolution_forward::desc& desc,
                                                         const dnnl::primitive_attr& attr,
                                                         const dnnl::engine& engine, bool int8,
                                                         int64_t output_pixels, ConvImplPolicy policy) {
  dnnl::convolution_forward::primitive_desc first(desc, attr, engine);
  if (policy != ConvImplPolicy::kTuned || !int8 || output_pixels < kJitInt8MinOutputPixels ||
      !StartsWith(first.impl_info_str(), "brgconv")) {
    return first;
  }
  // A second iterator, so `first` stays valid when no alternative accepts the descriptor.
  dnnl::convolution_forward::primitive_desc probe(desc, attr, engine);
  while (probe.next_impl()) {
    if (StartsWith(probe.impl_info_str(), "jit_int8")) return probe;
  }
  return first;
}

}  // namespace q2i::runtime::kernels
