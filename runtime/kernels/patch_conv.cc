#include "runtime/kernels/patch_conv.h"

#include <algorithm>

#include "runtime/kernels/common.h"

namespace q2i::runtime::kernels {

using dt = memory::data_type;
using tag = memory::format_tag;

int64_t PatchBandRows(const PatchShape& s) {
  const int64_t fit = std::clamp<int64_t>(kPatchBandBytes / (s.ow * PatchLength(s)), 1, s.oh);
  const int64_t bands = (s.oh + fit - 1) / fit;
  return (s.oh + bands - 1) / bands;  // at most `fit`, so (bands - 1) full bands leave at least one row
}

Status PatchConv::Prepare(PrepareContext& ctx, const PatchConvSpec& spec, const memory& src, const memory& dst) {
  s_ = spec.shape;
  n_ = spec.n;
  src_ = src;
  dst_ = dst;
  const int64_t k = PatchLength(s_), band = PatchBandRows(s_), bands = (s_.oh + band - 1) / band;

  std::vector<int8_t> filter = PatchFilter(s_, spec.oc, spec.filter);
  std::vector<float> bias = spec.bias;
  if (s_.shift_s8) {
    const std::vector<int32_t> comp = ShiftCompensation(spec.oc, k, filter.data());
    bias.resize(static_cast<size_t>(spec.oc), 0.f);
    for (size_t o = 0; o < bias.size(); ++o) bias[o] -= static_cast<float>(comp[o]);
  }
  const memory::desc w_md({spec.oc, k, 1, 1}, dt::s8, tag::any), bias_md({spec.oc}, dt::f32, tag::x);
  const memory user(memory::desc({spec.oc, k, 1, 1}, dt::s8, tag::oihw), ctx.engine(), filter.data());
  memory weights, b;
  if (!bias.empty()) {
    b = ctx.NewOwnedMemory(bias_md);
    std::copy(bias.begin(), bias.end(), DataOf<float>(b));
  }

  bands_.clear();
  for (int64_t rows : {band, s_.oh - (bands - 1) * band}) {
    if (!bands_.empty() && rows == band) break;
    const memory::desc src_md({1, k, rows, s_.ow}, dt::u8, tag::nhwc);
    const memory::desc dst_md({1, spec.oc, rows, s_.ow}, spec.dst, tag::nhwc);
    const memory::dims ones = {1, 1}, zeros = {0, 0};
    auto desc = bias.empty() ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                               dnnl::algorithm::convolution_direct, src_md, w_md,
                                                               dst_md, ones, zeros, zeros, zeros)
                             : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                               dnnl::algorithm::convolution_direct, src_md, w_md,
                                                               bias_md, dst_md, ones, zeros, zeros, zeros);
    const dnnl::convolution_forward::primitive_desc pd(desc, spec.attr, ctx.engine());
    if (!weights || weights.get_desc() != pd.weights_desc()) {
      Q2I_ASSIGN_OR_RETURN(weights, ctx.ReorderNow(user, pd.weights_desc()));
    }
    if (!patches_) patches_ = ctx.NewOwnedMemory(src_md);
    Band bd{.rows = rows, .dst = memory(dst_md, ctx.engine(), DNNL_MEMORY_NONE), .call = {}};
    std::vector<std::pair<int, memory>> args = {
        {DNNL_ARG_SRC, patches_}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, bd.dst}};
    if (b) args.emplace_back(DNNL_ARG_BIAS, b);
    bd.call = PrimitiveCall(dnnl::convolution_forward(pd), std::move(args));
    bands_.push_back(std::move(bd));
  }
  return OkStatus();
}

Status PatchConv::Run(const RunContext& ctx, const ir::Op& op) const {
  const auto* in = DataOf<const uint8_t>(src_);
  auto* out = DataOf<uint8_t>(dst_);
  const int64_t in_image = s_.h * s_.w * s_.c;
  const int64_t out_row = static_cast<int64_t>(bands_[0].dst.get_desc().get_size()) / bands_[0].rows;
  for (int64_t i = 0; i < n_; ++i) {
    for (int64_t r = 0; r < s_.oh; r += bands_[0].rows) {
      const Band& b = r + bands_[0].rows <= s_.oh ? bands_[0] : bands_.back();
      GatherPatches(s_, in + i * in_image, r, r + b.rows, DataOf<uint8_t>(patches_));
      b.dst.set_data_handle(out + (i * s_.oh + r) * out_row);
      Q2I_RETURN_IF_ERROR(ExecutePrimitive(b.call, ctx, op));
    }
  }
  return OkStatus();
}

}  // namespace q2i::runtime::kernels
