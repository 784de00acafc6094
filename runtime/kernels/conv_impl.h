// Which oneDNN implementation runs a convolution.
//
// oneDNN 2.6 ranks its implementations per shape and takes the first that accepts the descriptor. For
// INT8 on AVX-512 VNNI it ranks brgconv first. Timed inside whole networks on this project's benchmark
// machine (bench/README.md, "Convolution implementations"), its older jit_int8 kernels run the layers
// with large feature maps faster: ResNet50 INT8 by 1.5% at batch 1 and 11-14% at batch 16. MobileNetV1
// is unchanged. On smaller maps brgconv stays ahead. The choice is a fixed rule of the shapes, never a
// timing taken at run time, so the same program always runs the same kernels and gives the same results.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>

#include "runtime/kernel.h"

namespace q2i::runtime::kernels {

// Output maps at least this large (height x width) run INT8 convolutions on jit_int8 when oneDNN would
// pick its AVX-512 VNNI brgconv (never in place of its AMX kernels, which were not measured).
inline constexpr int64_t kJitInt8MinOutputPixels = 28 * 28;

// The primitive descriptor for `desc` + `attr`: oneDNN's first choice, or under ConvImplPolicy::kTuned
// the INT8 alternative described above when it exists.
dnnl::convolution_forward::primitive_desc ChooseConvImpl(const dnnl::convolution_forward::desc& desc,
                                                         const dnnl::primitive_attr& attr,
                                                         const dnnl::engine& engine, bool int8,
                                                         int64_t output_pixels, ConvImplPolicy policy);

}  // namespace q2i::runtime::kernels
