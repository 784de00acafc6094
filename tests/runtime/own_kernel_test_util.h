// Helpers for the tests of this project's own INT8 convolution kernels (DwConvU8, DirectConvU8): the
// oneDNN convolution a kernel replaces, run on the same data, the "one quantum apart" comparison, and a
// one-op program run through the executor under both convolution policies.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <vector>

#include "ir/program.h"
#include "ir/tensor.h"

namespace q2i::testing {

// A u8 NHWC convolution as oneDNN runs it: per-channel output scales, an optional bias and residual
// sum, an optional clip.
struct OneDnnU8Conv {
  dnnl::memory::dims src_dims, dst_dims;  // NCHW dims of NHWC data
  dnnl::memory::dims weight_dims;         // oihw, or goihw for groups
  const uint8_t* src = nullptr;
  const int8_t* weights = nullptr;
  std::vector<float> bias;               // empty: none
  std::vector<float> scales;             // per output channel
  std::vector<float> residual;           // empty: none; else the destination's first contents
  float sum_scale = 1.f;
  bool clip = false;
  float lo = 0.f, hi = 0.f;
  const dnnl::post_ops* post_ops = nullptr;  // set: this chain in place of the sum and clip above
  dnnl::memory::data_type dst_type = dnnl::memory::data_type::u8;
  dnnl::memory::dims strides, dilations, pad_l, pad_r;  // dilations oneDNN-style (0 = dense)
};

// The destination, as floats in NHWC order.
std::vector<float> RunOneDnnU8Conv(const OneDnnU8Conv& c);

// A kernel's results against its plain-loop reference: equal (1e-5 relative for f32); reports the first
// mismatches.
void ExpectMatchesReference(const std::vector<float>& got, const std::vector<float>& want,
                            dnnl::memory::data_type type);

// Ours and oneDNN's results: at most one quantum apart (1e-4 relative for f32), and at most 1% of the
// values off by one.
void ExpectWithinOneQuantum(const std::vector<float>& ours, const std::vector<float>& theirs,
                            dnnl::memory::data_type type);

// Runs a one-op program under the tuned and the library policies (2 threads). Expects `variant` to run
// once under tuned when `ours` and never under library, the same reorder count under both, and u8
// outputs of the two within one quantum (at most 1% off). Returns the tuned output.
ir::Tensor ExpectOwnKernelUnderTunedOnly(const ir::Program& program, const std::vector<ir::Tensor>& feeds,
                                         const std::string& variant, bool ours);

}  // namespace q2i::testing
