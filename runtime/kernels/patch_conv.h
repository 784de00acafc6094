// An INT8 convolution over few input channels (a network's stem) as 1x1 convolutions over its gathered
// patches (runtime/kernels/patch_gather.h), one band of output rows at a time, so that a band's patches
// are still in the core's L2 cache when the convolution reads them. On ResNet50's stem (3 -> 64
// channels, 7x7 stride 2, 112x112 output, one thread) whole-image patches (1.9 MB) ran in 0.74-0.77 ms,
// bands of 14-16 rows in 0.70 ms, and oneDNN's direct INT8 convolution in 0.77 ms. The whole network, by
// in-process A/B: +0.3-0.8% at one thread, -0.3 to +0.4% at two (bench/README.md).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <vector>

#include "runtime/kernel.h"
#include "runtime/kernels/patch_gather.h"

namespace q2i::runtime::kernels {

// Patches per band: at most this many bytes, a quarter of the L2 cache of the cores this was measured on.
inline constexpr int64_t kPatchBandBytes = 256 * 1024;

// Output rows per band: as many as fit kPatchBandBytes of patches (at least 1), then evened out over the
// bands it takes. The last band has between 1 and that many rows.
int64_t PatchBandRows(const PatchShape& s);

struct PatchConvSpec {
  PatchShape shape;
  int64_t n = 0, oc = 0;
  dnnl::memory::data_type dst = dnnl::memory::data_type::u8;
  const int8_t* filter = nullptr;  // s8 [oc][c][kh][kw]
  std::vector<float> bias;         // per output channel, in accumulator units; empty: none
  dnnl::primitive_attr attr;       // the convolution's output scales and post-ops
};

class PatchConv {
 public:
  // `src`: the input, NHWC of the shape's type (s8 when shape.shift_s8, else u8); `dst`: the output, NHWC
  // [n, oc, oh, ow] of type spec.dst (holding the residual when the attr sums one).
  Status Prepare(PrepareContext& ctx, const PatchConvSpec& spec, const memory& src, const memory& dst);
  Status Run(const RunContext& ctx, const ir::Op& op) const;

 private:
  struct Band {
    int64_t rows = 0;
    memory dst;  // the primitive's destination: a view moved along the output
    PrimitiveCall call;
  };

  PatchShape s_;
  int64_t n_ = 0;
  memory src_, dst_, patches_;
  std::vector<Band> bands_;  // the full band, then (when it does not divide the output) the shorter last one
};

}  // namespace q2i::runtime::kernels
