// Helpers shared by the kernels: attribute reading with op-naming errors, Paddle's padding rules,
// fused activations as oneDNN post-ops, axis normalization, simple parallel loops.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/program.h"
#include "runtime/kernel.h"
#include "support/status.h"

namespace q2i::runtime::kernels {

// Spatial padding and dilation after Paddle's padding_algorithm rules (conv and pool):
// `paddings` of 2 values [h, w] or 4 values [top, bottom, left, right]; "SAME" recomputes them (and,
// for conv, resets dilation to 1); "VALID" zeroes them.
struct Padding2D {
  int64_t top = 0, bottom = 0, left = 0, right = 0;
};
StatusOr<Padding2D> ResolvePadding(const ir::Op& op, const std::vector<int64_t>& paddings, const std::string& algorithm,
                                   const std::vector<int64_t>& input_hw, const std::vector<int64_t>& ksize,
                                   const std::vector<int64_t>& strides, std::vector<int64_t>* dilations);

// Reads an INTS attr expected to hold exactly `n` values (or 1 value broadcast to n).
StatusOr<std::vector<int64_t>> GetIntsN(const ir::Op& op, const std::string& name, size_t n,
                                        std::vector<int64_t> fallback);

// Rejects data_format / data_layout values other than NCHW (and "AnyLayout", "").
Status CheckNchw(const ir::Op& op, const std::string& attr = "data_format");

// An activation as oneDNN eltwise steps (hard_sigmoid is linear + clip, so two steps).
struct EltwiseStep {
  dnnl::algorithm alg;
  float alpha = 0.f;
  float beta = 0.f;
};
struct Activation {
  std::string name;  // "" = none
  std::vector<EltwiseStep> steps;
  // No activation, relu and leaky_relu commute with a positive output scale (relu6 too, once its bound
  // is scaled); the others must run in real units.
  bool commutes_with_scale = false;
  bool empty() const { return steps.empty(); }
};
// Activation named `type` with the parameters Paddle's fused attributes use: `alpha` is fuse_alpha
// (relu6 upper bound, leaky_relu slope, swish beta, hard_sigmoid slope), `beta` is fuse_beta
// (hard_sigmoid offset). Unknown names are Unsupported, naming the op.
StatusOr<Activation> MakeActivation(const ir::Op& op, const std::string& type, float alpha, float beta);
// From conv-style attributes: fuse_activation / fuse_alpha / fuse_beta (and legacy fuse_relu).
StatusOr<Activation> FusedActivation(const ir::Op& op);
// Appends the activation to `ops`; `out_scale` (INT8) multiplies the result (an eltwise_linear step,
// or folded into relu6's bound when the activation commutes).
void AppendActivation(dnnl::post_ops& ops, const Activation& act);
// Makes `act` also multiply its result by `scale` > 0 (INT8 outputs of activations that do not commute
// with scaling): folded into hard_sigmoid's linear + clip (a second eltwise_linear would break
// CheckEltwisePostOps), else an eltwise_linear step.
void ScaleActivationOutput(Activation& act, float scale);

// oneDNN 2.6's JIT kernels keep one eltwise injector per algorithm, so a post-op chain that uses an
// algorithm twice with different parameters silently computes the second with the first's. An error
// naming the op for such a chain.
Status CheckEltwisePostOps(const ir::Op& op, const dnnl::post_ops& ops);

// Normalizes a possibly negative axis into [0, rank); error naming the op when out of range.
StatusOr<int> NormalizeAxis(const ir::Op& op, int64_t axis, int rank, const char* what = "axis");

// Reads the values of a small constant integer tensor (INT32/INT64/FP32), e.g. a shape tensor.
StatusOr<std::vector<int64_t>> ConstantInts(const ir::Op& op, const ir::Tensor& t, const char* what);

// oneDNN dims/strides helpers.
memory::dims Strides(const std::vector<int64_t>& dims);

template <typename F>
void ParallelFor(int64_t n, F&& f) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) f(i);
}

}  // namespace q2i::runtime::kernels

namespace q2i::runtime::kernels {

// For a non-blocked (strided) descriptor: a dense descriptor of `dims` whose dims are ordered in
// memory as in `like` (nchw stays nchw, nhwc stays nhwc); plain for blocked or rank-mismatched `like`.
memory::desc SameOrderDesc(const memory::desc& like, const std::vector<int64_t>& dims, memory::data_type dt);
// True for blocked-format descriptors without inner blocks (plain, nhwc, transposed views).
bool IsStrided(const memory::desc& md);

// Copies a strided N-d region element by element size `elem` (plain loops; for dtypes oneDNN lacks).
void CopyStrided(const uint8_t* src, const std::vector<int64_t>& src_strides, uint8_t* dst,
                 const std::vector<int64_t>& dst_strides, const std::vector<int64_t>& dims, size_t elem);

}  // namespace q2i::runtime::kernels
