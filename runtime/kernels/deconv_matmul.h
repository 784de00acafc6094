// conv2d_transpose whose filter equals its stride (kh = stride_h, kw = stride_w), with no padding, no
// dilation and one group: the upsampling heads of segmentation and detection networks (PP-OCR's DB
// head: 2x2 stride 2). Each input pixel then owns its own kh x kw block of output pixels, so the op is a
// matrix product per filter row i: out[n, h*kh + i, w*kw + j, oc] = sum_ic in[n, h, w, ic] *
// filter[ic, oc, i, j] + bias[oc], that is [W x IC] x [IC x (kw*OC)] for every input row, written
// straight into the NHWC output through a strided view. oneDNN 2.6's deconvolution takes 7 ms for
// PP-OCR's 24->24 channel 160x160 case on one thread (8 GMAC/s); the matmuls take a fraction of it.
#pragma once

#include <vector>

#include "runtime/kernel.h"
#include "runtime/kernels/common.h"

namespace q2i::runtime::kernels {

struct DeconvAsMatmulShape {
  int64_t n = 0, ic = 0, h = 0, w = 0;  // input
  int64_t oc = 0, kh = 0, kw = 0;       // output channels, filter (= stride)
};

class DeconvAsMatmul {
 public:
  // Builds the kh matmuls over `src` (the input, NHWC) and `dst` (the output, NHWC) with `filter`
  // ([IC, OC, kh, kw], float32), an optional float32 `bias` [OC] and `act` as post-ops.
  Status Prepare(PrepareContext& ctx, const DeconvAsMatmulShape& s, const memory& src, const memory& dst,
                 const ir::Tensor& filter, const ir::Tensor* bias, const Activation& act);
  void Bind();
  Status Run(const RunContext& ctx, const ir::Op& op) const;

 private:
  std::vector<BoundView> views_;  // the source, then one destination view per filter row
  std::vector<PrimitiveCall> calls_;
};

}  // namespace q2i::runtime::kernels
