// Plain nested-loop reference implementations (NCHW, float32, double accumulation) used as test
// oracles for the oneDNN kernels. Written from Paddle's op definitions, independent of runtime/.
#pragma once

#include <string>
#include <vector>

#include "ir/tensor.h"

namespace q2i::testing::ref {

struct Conv2dParams {
  int stride_h = 1, stride_w = 1;
  int pad_t = 0, pad_b = 0, pad_l = 0, pad_r = 0;
  int dil_h = 1, dil_w = 1;
  int groups = 1;
};
// x [N,C,H,W], w [OC, C/groups, KH, KW], bias [OC] or empty.
ir::Tensor Conv2d(const ir::Tensor& x, const ir::Tensor& w, const ir::Tensor* bias, const Conv2dParams& p);
// Paddle conv2d_transpose: w [C, OC/groups, KH, KW]; output size from the formula plus `extra_h/w`.
ir::Tensor Conv2dTranspose(const ir::Tensor& x, const ir::Tensor& w, const Conv2dParams& p, int extra_h = 0,
                           int extra_w = 0);

struct Pool2dParams {
  bool max = true;
  int kh = 2, kw = 2, sh = 2, sw = 2;
  int pad_t = 0, pad_b = 0, pad_l = 0, pad_r = 0;
  bool ceil_mode = false;
  bool exclusive = true;
  bool global = false;
  bool adaptive = false;  // kh/kw are the output size
};
ir::Tensor Pool2d(const ir::Tensor& x, const Pool2dParams& p);

// Batched matmul with numpy broadcasting of batch dims; a [.., M, K] (or transposed), b [.., K, N].
ir::Tensor MatMul(const ir::Tensor& a, const ir::Tensor& b, bool trans_a, bool trans_b, float alpha = 1.f);

// Element-wise with explicitly aligned (same-rank, broadcastable) dims.
ir::Tensor Binary(const ir::Tensor& x, const std::vector<int64_t>& x_aligned, const ir::Tensor& y,
                  const std::vector<int64_t>& y_aligned, const std::string& op);

ir::Tensor Unary(const ir::Tensor& x, const std::string& op, float a = 0.f, float b = 0.f, float c = 0.f);
ir::Tensor Softmax(const ir::Tensor& x, int axis);
ir::Tensor BatchNorm(const ir::Tensor& x, const ir::Tensor& scale, const ir::Tensor& bias, const ir::Tensor& mean,
                     const ir::Tensor& var, float eps);

// Paddle interpolation (NCHW).
ir::Tensor Interp(const ir::Tensor& x, bool bilinear, int out_h, int out_w, float ratio_h, float ratio_w,
                  bool align_corners, int align_mode);

ir::Tensor Transpose(const ir::Tensor& x, const std::vector<int>& perm);

}  // namespace q2i::testing::ref
