#include "runtime/kernels/deconv_matmul.h"

namespace q2i::runtime::kernels {

using dt = memory::data_type;
using tag = memory::format_tag;

Status DeconvAsMatmul::Prepare(PrepareContext& ctx, const DeconvAsMatmulShape& s, const memory& src,
                               const memory& dst, const ir::Tensor& filter, const ir::Tensor* bias,
                               const Activation& act) {
  const int64_t rows = s.n * s.h, cols = s.kw * s.oc;  // one matmul batch per input row
  // Source [rows, 1, W, IC] over the NHWC input; destination row i: [rows, 1, W, kw*OC] inside the NHWC
  // output seen as [rows, kh, W, kw*OC].
  const memory::desc src_md({rows, 1, s.w, s.ic}, dt::f32, tag::abcd);
  const memory::desc out_md({rows, s.kh, s.w, cols}, dt::f32, tag::abcd);
  const memory::desc w_md({1, 1, s.ic, cols}, dt::f32, tag::abcd);
  const memory::desc b_md({1, 1, 1, cols}, dt::f32, tag::abcd);
  dnnl::primitive_attr attr;
  dnnl::post_ops ops;
  AppendActivation(ops, act);
  attr.set_post_ops(ops);
  views_.clear();
  calls_.clear();
  views_.emplace_back(src, src_md, ctx.engine());
  memory b;
  if (bias != nullptr) {
    b = ctx.NewOwnedMemory(b_md);
    float* bd = DataOf<float>(b);
    for (int64_t j = 0; j < s.kw; ++j) {
      for (int64_t o = 0; o < s.oc; ++o) bd[j * s.oc + o] = bias->data<float>()[o];
    }
  }
  const float* f = filter.data<float>();  // [IC, OC, kh, kw]
  for (int64_t i = 0; i < s.kh; ++i) {
    const memory::desc dst_md = out_md.submemory_desc({rows, 1, s.w, cols}, {0, i, 0, 0});
    auto desc = bias != nullptr ? dnnl::matmul::desc(src_md, w_md, b_md, dst_md) : dnnl::matmul::desc(src_md, w_md, dst_md);
    dnnl::matmul::primitive_desc pd(desc, attr, ctx.engine());
    memory w = ctx.NewOwnedMemory(w_md);
    float* wd = DataOf<float>(w);
    for (int64_t c = 0; c < s.ic; ++c) {
      for (int64_t j = 0; j < s.kw; ++j) {
        for (int64_t o = 0; o < s.oc; ++o) wd[c * cols + j * s.oc + o] = f[((c * s.oc + o) * s.kh + i) * s.kw + j];
      }
    }
    views_.emplace_back(dst, dst_md, ctx.engine());
    std::vector<std::pair<int, memory>> args = {
        {DNNL_ARG_SRC, views_[0].mem()}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, views_.back().mem()}};
    if (bias != nullptr) args.emplace_back(DNNL_ARG_BIAS, b);
    calls_.emplace_back(dnnl::matmul(pd), std::move(args));
  }
  return OkStatus();
}

void DeconvAsMatmul::Bind() {
  for (BoundView& v : views_) v.Bind();
}

Status DeconvAsMatmul::Run(const RunContext& ctx, const ir::Op& op) const {
  for (const PrimitiveCall& c : calls_) Q2I_RETURN_IF_ERROR(ExecutePrimitive(c, ctx, op));
  return OkStatus();
}

}  // namespace q2i::runtime::kernels
