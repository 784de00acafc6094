// conv2d, depthwise_conv2d (grouped convolution) and conv2d_transpose, FP32 and INT8, as one oneDNN
// primitive each with the bias, the residual sum and the activation fused as post-ops. Weights are
// reordered (and for INT8 quantized per output channel) once, into the primitive's preferred layout.
// Under the tuned policy, INT8 convolutions of u8 activations run on our own kernels where they are the
// faster ones: depthwise ones on DwConvU8 (runtime/kernels/dw_conv_u8.h), dense ones on small maps at
// batch 1 on DirectConvU8 (runtime/kernels/direct_conv_u8.h), and those over fewer than 4 input channels
// (a network's stem) on DirectConvU8's window mode or, for output channels it does not handle, as 1x1
// convolutions over gathered patches (runtime/kernels/patch_conv.h).
// Upsampling deconvolutions whose filter equals their stride run as matmuls
// (runtime/kernels/deconv_matmul.h). A oneDNN deconvolution's activation runs after it, in place.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <utility>

#include "ir/op_kinds.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/common.h"
#include "runtime/kernels/conv_impl.h"
#include "runtime/kernels/deconv_matmul.h"
#include "runtime/kernels/direct_conv_u8.h"
#include "runtime/kernels/dw_conv_u8.h"
#include "runtime/kernels/int8_scales.h"
#include "runtime/kernels/patch_conv.h"
#include "runtime/kernels/register.h"
#include "runtime/kernels/training_rounding.h"

namespace q2i::runtime::kernels {
namespace {

using dnnl::algorithm;
using dnnl::prop_kind;
using dt = memory::data_type;
using tag = memory::format_tag;

struct ConvParams {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t oc = 0, kh = 0, kw = 0, groups = 1;
  int64_t oh = 0, ow = 0;
  std::vector<int64_t> strides, dilations;
  Padding2D pad;
};

// A conv's bias in accumulator units: a float32 Bias times units[c] (INT8: s_in * s_w[c]; FP32: 1), an
// int32 Bias (already in those units) as is.
StatusOr<std::vector<float>> AccumulatorBias(const ir::Op& op, const ir::Tensor& bias, const std::vector<double>& units) {
  std::vector<float> out(units.size());
  for (size_t c = 0; c < out.size(); ++c) {
    double v;
    if (bias.dtype() == ir::DataType::kFP32) {
      v = bias.data<float>()[c] * units[c];
    } else if (bias.dtype() == ir::DataType::kInt32) {
      v = bias.data<int32_t>()[c];
    } else {
      return InvalidModel(op.DebugName(), ": Bias must be float32 or int32");
    }
    out[c] = static_cast<float>(v);
  }
  return out;
}

// Accumulator units per output channel: s_in * s_w[c] for INT8 (empty scales: FP32, units of 1).
std::vector<double> AccumulatorUnits(int64_t channels, float s_in, const std::vector<float>& w_scales) {
  std::vector<double> u(static_cast<size_t>(channels), 1.0);
  for (size_t c = 0; c < w_scales.size() && c < u.size(); ++c) u[c] = static_cast<double>(s_in) * w_scales[c];
  return u;
}

// The clamp an activation applies to a scaled INT8 result, when it is one: none, relu or relu6/clip.
std::optional<std::pair<float, float>> ActivationBounds(const Activation& act) {
  if (act.empty()) return std::make_pair(-INFINITY, INFINITY);
  if (act.steps.size() != 1 || !act.commutes_with_scale) return std::nullopt;
  const EltwiseStep& e = act.steps[0];
  if (e.alg == algorithm::eltwise_relu && e.alpha == 0.f) return std::make_pair(0.f, INFINITY);
  if (e.alg == algorithm::eltwise_clip) return std::make_pair(e.alpha, e.beta);
  return std::nullopt;
}

// The INT8 filter: the Filter itself when it is int8, else quantized per output channel into `storage`.
StatusOr<const ir::Tensor*> Int8Filter(const ir::Op& op, const ir::Tensor& filter, int64_t oc, ir::Tensor& storage) {
  if (filter.dtype() == ir::DataType::kInt8) return &filter;
  Q2I_ASSIGN_OR_RETURN(std::vector<double> sw, PositiveScalesD(op, "Scale_weights", static_cast<size_t>(oc)));
  storage = QuantizeWeightsS8(filter, oc, filter.numel() / oc, sw);
  return &storage;
}

// A conv's constant Bias in accumulator units (w_scales empty: FP32, units of 1); empty when it has none.
// Only FP32 convs may take a Bias computed at run time, and they do not come here.
StatusOr<std::vector<float>> ConstantAccumulatorBias(PrepareContext& ctx, const ir::Op& op, int64_t oc, float s_in,
                                                     const std::vector<float>& w_scales) {
  if (ctx.FindInput("Bias") == nullptr) return std::vector<float>{};
  const ir::Tensor* bias = ctx.InputConstant("Bias");
  if (bias == nullptr) return Unsupported(op.DebugName(), ": an INT8 conv needs a constant Bias");
  if (bias->numel() != oc) {
    return InvalidModel(op.DebugName(), ": Bias has ", bias->numel(), " values for ", oc, " output channels");
  }
  return AccumulatorBias(op, *bias, AccumulatorUnits(oc, s_in, w_scales));
}

// The type a fused residual starts the destination in: its own when its element size matches the
// output's (s8 under u8: the sum reads it as s8), else the output's (converted on the way in).
dt ResidualInitType(const ValueInfo& residual, dt dst_dt) {
  const dt res_dt = *ToDnnlType(residual.dtype);
  return DataTypeSize(res_dt) == DataTypeSize(dst_dt) ? res_dt : dst_dt;
}

// The output scales (INT8) and post-ops of a conv: the training roundings around the residual sum, then
// the activation. The residual starts in the destination buffer: bitwise when its element size matches
// the output's (s8 under u8: the sum post-op reads it as its own type), else converted to the output type.
dnnl::primitive_attr ConvAttr(bool int8, const std::vector<float>& out_scales, const TrainingRounding& rounding,
                              const ValueInfo* residual, dt dst_dt, float sum_scale, float s_out, Activation act) {
  dnnl::post_ops ops;
  AppendPreSumRounding(ops, rounding);
  if (residual != nullptr) {
    const dt init_dt = ResidualInitType(*residual, dst_dt);
    if (init_dt != dst_dt) {
      ops.append_sum(sum_scale, 0, init_dt);
    } else {
      ops.append_sum(sum_scale);
    }
  }
  if (int8 && !act.commutes_with_scale) ScaleActivationOutput(act, s_out);
  AppendPostSumRoundingAndActivation(ops, rounding, act);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  if (int8) attr.set_output_scales(1 << 1, out_scales);
  return attr;
}

// What PrepareConv worked out for an INT8 conv, for our own kernels' epilogues.
struct OwnInt8Conv {
  const Activation& act;
  float s_in;
  const std::vector<float>& w_scales;
  const std::vector<float>& out_scales;
  dt dst_dt;
  const TrainingRounding& rounding;
  const ValueInfo* residual;  // null: none
  float sum_scale;
};

class ConvKernel : public Kernel {
 public:
  explicit ConvKernel(bool transpose) : transpose_(transpose) {}

  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_RETURN_IF_ERROR(CheckNchw(op));
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* in, ctx.Input("Input"));
    if (in->dims.size() != 4) {
      return Unsupported(op.DebugName(), ": Input must be 4-D NCHW, got ", ir::DimsToString(in->dims));
    }
    const ir::Tensor* filter = ctx.InputConstant("Filter");
    if (filter == nullptr) return Unsupported(op.DebugName(), ": Filter must be a constant (persistable) tensor");
    if (filter->dims().size() != 4) {
      return InvalidModel(op.DebugName(), ": Filter must be 4-D, got ", ir::DimsToString(filter->dims()));
    }
    if (filter->dtype() != ir::DataType::kFP32 && filter->dtype() != ir::DataType::kInt8) {
      return InvalidModel(op.DebugName(), ": Filter must be float32 or int8, got ", ir::DataTypeName(filter->dtype()));
    }
    ConvParams p;
    p.n = in->dims[0];
    p.c = in->dims[1];
    p.h = in->dims[2];
    p.w = in->dims[3];
    Q2I_ASSIGN_OR_RETURN(p.groups, op.GetInt("groups", 1));
    if (p.groups < 1) return InvalidModel(op.DebugName(), ": groups must be >= 1");
    p.kh = filter->dims()[2];
    p.kw = filter->dims()[3];
    Q2I_ASSIGN_OR_RETURN(p.strides, GetIntsN(op, "strides", 2, {1, 1}));
    Q2I_ASSIGN_OR_RETURN(p.dilations, GetIntsN(op, "dilations", 2, {1, 1}));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> paddings, op.GetInts("paddings", std::vector<int64_t>{0, 0}));
    Q2I_ASSIGN_OR_RETURN(std::string algo, op.GetString("padding_algorithm", "EXPLICIT"));
    for (int i = 0; i < 2; ++i) {
      if (p.strides[i] < 1 || p.dilations[i] < 1) return InvalidModel(op.DebugName(), ": strides and dilations must be >= 1");
    }
    Q2I_ASSIGN_OR_RETURN(p.pad, ResolvePadding(op, paddings, algo, {p.h, p.w}, {p.kh, p.kw}, p.strides, &p.dilations));
    if (transpose_) return PrepareDeconv(ctx, *in, *filter, p);
    return PrepareConv(ctx, *in, *filter, p);
  }

  void Bind() override {
    if (deconv_matmul_) deconv_matmul_->Bind();
  }

  Status Run(RunContext& ctx) override {
    if (deconv_matmul_) return deconv_matmul_->Run(ctx, *op_);
    if (patch_) return patch_->Run(ctx, *op_);
    if (dw_) {
      dw_->Run(DataOf<const uint8_t>(own_src_), own_dst_.get_data_handle());
      return OkStatus();
    }
    if (direct_) {
      direct_->Run(DataOf<const uint8_t>(own_src_), own_dst_.get_data_handle());
      return OkStatus();
    }
    Q2I_RETURN_IF_ERROR(ExecutePrimitive(call_, ctx, *op_));
    for (const PrimitiveCall& c : activation_calls_) Q2I_RETURN_IF_ERROR(ExecutePrimitive(c, ctx, *op_));
    return OkStatus();
  }

  std::span<const std::byte> LeadingWeights() const override {
    return direct_ ? direct_->leading_weights() : std::span<const std::byte>{};
  }
  bool PrefetchNextWeights(std::span<const std::byte> weights) override {
    if (!direct_) return false;
    direct_->PrefetchAtEnd(weights);
    return true;
  }

  std::string_view variant() const override {
    if (dw_) return "dw_conv_u8";
    if (direct_) return "direct_conv_u8";
    if (patch_) return "patch_conv";
    return deconv_matmul_ ? "deconv_matmul" : "";
  }

 private:
  Status PrepareConv(PrepareContext& ctx, const ValueInfo& in, const ir::Tensor& filter, ConvParams& p) {
    const ir::Op& op = *op_;
    p.oc = filter.dims()[0];
    const int64_t icg = filter.dims()[1];
    if (p.c != icg * p.groups || p.oc % p.groups != 0) {
      return InvalidModel(op.DebugName(), ": Input channels ", p.c, " and Filter ", ir::DimsToString(filter.dims()),
                          " do not match groups ", p.groups);
    }
    const int64_t ekh = p.dilations[0] * (p.kh - 1) + 1, ekw = p.dilations[1] * (p.kw - 1) + 1;
    p.oh = (p.h + p.pad.top + p.pad.bottom - ekh) / p.strides[0] + 1;
    p.ow = (p.w + p.pad.left + p.pad.right - ekw) / p.strides[1] + 1;
    if (p.oh <= 0 || p.ow <= 0) {
      return InvalidModel(op.DebugName(), ": output size ", p.oh, "x", p.ow, " is empty for input ",
                          ir::DimsToString(in.dims));
    }
    const bool int8 = ir::IsInt8Op(op);
    Q2I_ASSIGN_OR_RETURN(Activation act, FusedActivation(op));
    Q2I_ASSIGN_OR_RETURN(bool fuse_residual, op.GetBool("fuse_residual_connection", false));
    const ValueInfo* residual = fuse_residual ? ctx.FindInput("ResidualData") : nullptr;
    if (fuse_residual && residual == nullptr) {
      return InvalidModel(op.DebugName(), ": fuse_residual_connection is set but ResidualData is missing");
    }
    const std::vector<int64_t> out_dims = {p.n, p.oc, p.oh, p.ow};
    if (residual != nullptr && residual->dims != out_dims) {
      return InvalidModel(op.DebugName(), ": ResidualData ", ir::DimsToString(residual->dims), " differs from output ",
                          ir::DimsToString(out_dims));
    }

    // Element types and scales.
    dt src_dt = dt::f32, dst_dt = dt::f32;
    std::vector<float> w_scales;  // INT8: per output channel, weight scale (s_w[c])
    std::vector<float> out_scales;
    float s_in = 1.f, s_out = 1.f, sum_scale = 1.f;
    TrainingRounding rounding;
    bool weights_int8 = filter.dtype() == ir::DataType::kInt8;
    if (int8) {
      if (in.dtype != ir::DataType::kInt8 && in.dtype != ir::DataType::kUInt8) {
        return InvalidModel(op.DebugName(), ": INT8 conv needs an s8/u8 Input, got ", ir::DataTypeName(in.dtype));
      }
      src_dt = in.dtype == ir::DataType::kInt8 ? dt::s8 : dt::u8;
      Q2I_ASSIGN_OR_RETURN(s_in, PositiveScale(op, "Scale_in"));
      Q2I_ASSIGN_OR_RETURN(w_scales, PositiveScales(op, "Scale_weights", static_cast<size_t>(p.oc)));
      Q2I_ASSIGN_OR_RETURN(bool force_fp32, op.GetBool("force_fp32_output", false));
      dst_dt = Int8OutputType(ctx.DeclaredOutputType("Output"), force_fp32,
                              act.name == "relu" || act.name == "relu6" ? dt::u8 : dt::s8);
      if (dst_dt != dt::f32) {
        Q2I_ASSIGN_OR_RETURN(s_out, PositiveScale(op, "Scale_out"));
      }
      const float post_scale = act.commutes_with_scale ? s_out : 1.f;
      Q2I_ASSIGN_OR_RETURN(rounding, ReadTrainingRounding(op, residual != nullptr && residual->dtype != ir::DataType::kFP32,
                                                          act, post_scale));
      out_scales.resize(static_cast<size_t>(p.oc));
      for (size_t c = 0; c < out_scales.size(); ++c) out_scales[c] = rounding.conv_units / (s_in * w_scales[c]);
      if (residual != nullptr) {
        float s_res = 1.f;
        if (residual->dtype != ir::DataType::kFP32) {
          Q2I_ASSIGN_OR_RETURN(s_res, PositiveScale(op, "Scale_in_eltwise"));
        }
        sum_scale = rounding.sum_units / s_res;
        if (residual->dtype == ir::DataType::kFP32 && dst_dt != dt::f32) {
          return Unsupported(op.DebugName(), ": a float32 ResidualData with an INT8 output (quantize it first)");
        }
      }
      if (act.name == "relu6" && act.commutes_with_scale) act.steps[0].beta *= s_out;
    } else if (in.dtype != ir::DataType::kFP32) {
      return InvalidModel(op.DebugName(), ": FP32 conv needs an FP32 Input, got ", ir::DataTypeName(in.dtype),
                          " (INT8 ops carry mkldnn_data_type=\"int8\")");
    }
    if (!int8 && weights_int8) return InvalidModel(op.DebugName(), ": INT8 Filter in an FP32 conv");

    const ValueInfo* bias_info = ctx.FindInput("Bias");
    if (bias_info != nullptr && bias_info->numel() != p.oc) {
      return InvalidModel(op.DebugName(), ": Bias has ", bias_info->numel(), " values for ", p.oc, " output channels");
    }
    const OwnInt8Conv own{.act = act, .s_in = s_in, .w_scales = w_scales, .out_scales = out_scales,
                          .dst_dt = dst_dt, .rounding = rounding, .residual = residual, .sum_scale = sum_scale};
    const bool tuned_int8 = int8 && ctx.conv_impl_policy() == ConvImplPolicy::kTuned;
    // Our own kernels, where the tuned policy prefers them: the u8 ones compute the post-op chain
    // themselves; PatchConv, like oneDNN's own convolution, runs a oneDNN primitive with `attr`.
    if (tuned_int8 && src_dt == dt::u8 && residual == nullptr && !rounding.any()) {
      Q2I_ASSIGN_OR_RETURN(bool done, TryPrepareDwConvU8(ctx, filter, p, own));
      if (done) return OkStatus();
    }
    if (tuned_int8 && (src_dt == dt::u8 || src_dt == dt::s8)) {
      Q2I_ASSIGN_OR_RETURN(bool done, TryPrepareDirectConvU8(ctx, filter, p, src_dt, own));
      if (done) return OkStatus();
    }
    const dnnl::primitive_attr attr = ConvAttr(int8, out_scales, rounding, residual, dst_dt, sum_scale, s_out, act);
    Q2I_RETURN_IF_ERROR(CheckEltwisePostOps(op, attr.get_post_ops()));
    if (tuned_int8) {
      Q2I_ASSIGN_OR_RETURN(bool done, TryPreparePatchConv(ctx, filter, p, src_dt, attr, own));
      if (done) return OkStatus();
    }

    // One oneDNN convolution.
    const memory::dims src_dims = {p.n, p.c, p.h, p.w};
    const memory::dims dst_dims = {p.n, p.oc, p.oh, p.ow};
    memory::dims w_dims = {p.oc, p.c / p.groups, p.kh, p.kw};
    memory::format_tag user_w_tag = tag::oihw;
    if (p.groups > 1) {
      w_dims = {p.groups, p.oc / p.groups, p.c / p.groups, p.kh, p.kw};
      user_w_tag = tag::goihw;
    }
    const memory::dims strides = {p.strides[0], p.strides[1]};
    const memory::dims dil = {p.dilations[0] - 1, p.dilations[1] - 1};
    const memory::dims pad_l = {p.pad.top, p.pad.left}, pad_r = {p.pad.bottom, p.pad.right};
    const dt w_dt = int8 ? dt::s8 : dt::f32;
    memory::desc src_md(src_dims, src_dt, tag::any), w_md(w_dims, w_dt, tag::any), dst_md(dst_dims, dst_dt, tag::any);
    memory::desc bias_md({p.oc}, dt::f32, tag::x);
    auto desc = bias_info ? dnnl::convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct,
                                                            src_md, w_md, bias_md, dst_md, strides, dil, pad_l, pad_r)
                          : dnnl::convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct,
                                                            src_md, w_md, dst_md, strides, dil, pad_l, pad_r);
    const dnnl::convolution_forward::primitive_desc pd =
        ChooseConvImpl(desc, attr, ctx.engine(), int8, p.oh * p.ow, ctx.conv_impl_policy());

    Q2I_ASSIGN_OR_RETURN(memory src_mem, ctx.InputMemoryAs("Input", 0, pd.src_desc()));

    // Weights, once (INT8: quantized per output channel here, then reordered).
    memory weights;
    {
      const ir::Tensor* wt = &filter;
      ir::Tensor quantized;
      if (int8) {
        Q2I_ASSIGN_OR_RETURN(wt, Int8Filter(op, filter, p.oc, quantized));
      }
      memory user(memory::desc(w_dims, int8 ? dt::s8 : dt::f32, user_w_tag), ctx.engine(),
                  const_cast<uint8_t*>(wt->raw_data()));
      Q2I_ASSIGN_OR_RETURN(weights, ctx.ReorderNow(user, pd.weights_desc()));
    }
    std::vector<std::pair<int, memory>> args = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, weights}};

    if (bias_info != nullptr) {
      if (int8 || ctx.InputConstant("Bias") != nullptr) {
        Q2I_ASSIGN_OR_RETURN(std::vector<float> values,
                             ConstantAccumulatorBias(ctx, op, p.oc, s_in, int8 ? w_scales : std::vector<float>{}));
        memory b = ctx.NewOwnedMemory(bias_md);
        std::copy(values.begin(), values.end(), DataOf<float>(b));
        args.emplace_back(DNNL_ARG_BIAS, b);
      } else {
        Q2I_ASSIGN_OR_RETURN(memory b, ctx.InputMemoryAs("Bias", 0, memory::desc({p.oc}, dt::f32, tag::x)));
        args.emplace_back(DNNL_ARG_BIAS, b);
      }
    }

    Q2I_ASSIGN_OR_RETURN(memory dst, DefineConvOutput(ctx, p, dst_dt, pd.dst_desc(), residual));
    args.emplace_back(DNNL_ARG_DST, dst);
    call_ = PrimitiveCall(dnnl::convolution_forward(pd), std::move(args));
    return OkStatus();
  }

  // The conv's output in layout `md`; with a fused residual it starts with the ResidualData's values.
  static StatusOr<memory> DefineConvOutput(PrepareContext& ctx, const ConvParams& p, dt dst_dt,
                                           const memory::desc& md, const ValueInfo* residual) {
    const ir::DataType out_type = FromDnnlType(dst_dt);
    if (residual == nullptr) return ctx.DefineOutput("Output", 0, out_type, {p.n, p.oc, p.oh, p.ow}, md);
    return ctx.DefineOutputFrom("Output", 0, out_type, {p.n, p.oc, p.oh, p.ow}, md, "ResidualData", 0,
                                ResidualInitType(*residual, dst_dt));
  }

  // Sets up PatchConv when the conv is one it is preferred for (an INT8 conv, checked by the caller, with
  // `attr` its output scales and post-ops); false leaves the op to a single oneDNN convolution.
  StatusOr<bool> TryPreparePatchConv(PrepareContext& ctx, const ir::Tensor& filter, const ConvParams& p, dt src_dt,
                                     const dnnl::primitive_attr& attr, const OwnInt8Conv& own) {
    const ir::Op& op = *op_;
    if (p.groups != 1 || p.dilations[0] != 1 || p.dilations[1] != 1) return false;
    const PatchShape s{.c = p.c, .h = p.h, .w = p.w, .oh = p.oh, .ow = p.ow, .kh = p.kh, .kw = p.kw,
                       .stride_h = p.strides[0], .stride_w = p.strides[1], .pad_top = p.pad.top,
                       .pad_left = p.pad.left, .shift_s8 = src_dt == dt::s8};
    if (!PatchConvPreferred(s)) return false;
    PatchConvSpec spec{.shape = s, .n = p.n, .oc = p.oc, .dst = own.dst_dt, .filter = nullptr, .bias = {},
                       .attr = attr};
    Q2I_ASSIGN_OR_RETURN(spec.bias, ConstantAccumulatorBias(ctx, op, p.oc, own.s_in, own.w_scales));
    ir::Tensor quantized;
    Q2I_ASSIGN_OR_RETURN(const ir::Tensor* wt, Int8Filter(op, filter, p.oc, quantized));
    spec.filter = wt->data<int8_t>();
    Q2I_ASSIGN_OR_RETURN(own_src_, ctx.InputMemoryAs("Input", 0, memory::desc({p.n, p.c, p.h, p.w}, src_dt, tag::nhwc)));
    const memory::desc dst_md({p.n, p.oc, p.oh, p.ow}, own.dst_dt, tag::nhwc);
    Q2I_ASSIGN_OR_RETURN(own_dst_, DefineConvOutput(ctx, p, own.dst_dt, dst_md, own.residual));
    patch_ = std::make_unique<PatchConv>();
    Q2I_RETURN_IF_ERROR(patch_->Prepare(ctx, spec, own_src_, own_dst_));
    return true;
  }

  // Sets up DwConvU8 when it handles this depthwise conv (u8 input, no residual or training rounding,
  // checked by the caller); false leaves the op to oneDNN.
  StatusOr<bool> TryPrepareDwConvU8(PrepareContext& ctx, const ir::Tensor& filter, const ConvParams& p,
                                    const OwnInt8Conv& own) {
    const ir::Op& op = *op_;
    const std::optional<std::pair<float, float>> bounds = ActivationBounds(own.act);
    if (p.groups != p.c || p.oc != p.c || !bounds) return false;
    const DwConvU8Shape s{.n = p.n, .c = p.c, .h = p.h, .w = p.w, .oh = p.oh, .ow = p.ow, .kh = p.kh, .kw = p.kw,
                          .stride_h = p.strides[0], .stride_w = p.strides[1], .dilation_h = p.dilations[0],
                          .dilation_w = p.dilations[1], .pad_top = p.pad.top, .pad_left = p.pad.left};
    if (!DwConvU8Preferred(s)) return false;
    DwConvU8Epilogue e;
    Q2I_ASSIGN_OR_RETURN(e.bias, ConstantAccumulatorBias(ctx, op, p.oc, own.s_in, own.w_scales));
    e.scale = own.out_scales;
    e.lo = bounds->first;
    e.hi = bounds->second;
    e.dst = own.dst_dt;
    ir::Tensor quantized;
    Q2I_ASSIGN_OR_RETURN(const ir::Tensor* wt, Int8Filter(op, filter, p.oc, quantized));
    Q2I_ASSIGN_OR_RETURN(own_src_, ctx.InputMemoryAs("Input", 0, memory::desc({p.n, p.c, p.h, p.w}, dt::u8, tag::nhwc)));
    Q2I_ASSIGN_OR_RETURN(own_dst_, DefineConvOutput(ctx, p, own.dst_dt,
                                                    memory::desc({p.n, p.oc, p.oh, p.ow}, own.dst_dt, tag::nhwc),
                                                    nullptr));
    dw_ = std::make_unique<DwConvU8>(s, wt->data<int8_t>(), std::move(e), ctx.num_threads());
    return true;
  }

  // Sets up DirectConvU8 when it handles this dense conv (u8 or s8 input, checked by the caller) and is
  // preferred for its shape; false leaves the op to oneDNN.
  StatusOr<bool> TryPrepareDirectConvU8(PrepareContext& ctx, const ir::Tensor& filter, const ConvParams& p,
                                        dt src_dt, const OwnInt8Conv& own) {
    const ir::Op& op = *op_;
    const std::optional<std::pair<float, float>> bounds = ActivationBounds(own.act);
    if (p.groups != 1 || p.dilations[0] != 1 || p.dilations[1] != 1 || !bounds) return false;
    const DirectConvU8Shape s{.n = p.n, .c = p.c, .h = p.h, .w = p.w, .oc = p.oc, .oh = p.oh, .ow = p.ow,
                              .kh = p.kh, .kw = p.kw, .stride_h = p.strides[0], .stride_w = p.strides[1],
                              .pad_top = p.pad.top, .pad_left = p.pad.left, .s8_input = src_dt == dt::s8};
    if (!DirectConvU8Preferred(s, ctx.num_threads())) return false;
    DirectConvU8Epilogue e;
    Q2I_ASSIGN_OR_RETURN(e.bias, ConstantAccumulatorBias(ctx, op, p.oc, own.s_in, own.w_scales));
    e.scale = own.out_scales;
    if (own.rounding.pre_residual) e.pre_residual_rescale = PreSumRescale(own.rounding);
    e.pre_activation_round = own.rounding.pre_activation.has_value();
    e.post_rescale = PostSumRescale(own.rounding);
    e.lo = bounds->first;
    e.hi = bounds->second;
    e.dst = own.dst_dt;
    ir::Tensor quantized;
    Q2I_ASSIGN_OR_RETURN(const ir::Tensor* wt, Int8Filter(op, filter, p.oc, quantized));
    Q2I_ASSIGN_OR_RETURN(own_src_, ctx.InputMemoryAs("Input", 0, memory::desc({p.n, p.c, p.h, p.w}, src_dt, tag::nhwc)));
    const memory::desc dst_md({p.n, p.oc, p.oh, p.ow}, own.dst_dt, tag::nhwc);
    if (own.residual != nullptr) {
      e.residual = true;
      e.sum_scale = own.sum_scale;
      e.residual_type = ResidualInitType(*own.residual, own.dst_dt);
    }
    Q2I_ASSIGN_OR_RETURN(own_dst_, DefineConvOutput(ctx, p, own.dst_dt, dst_md, own.residual));
    direct_ = std::make_unique<DirectConvU8>(s, wt->data<int8_t>(), std::move(e), ctx.num_threads());
    return true;
  }

  Status PrepareDeconv(PrepareContext& ctx, const ValueInfo& in, const ir::Tensor& filter, ConvParams& p) {
    const ir::Op& op = *op_;
    if (ir::IsInt8Op(op)) return Unsupported(op.DebugName(), ": INT8 conv2d_transpose is not supported");
    if (in.dtype != ir::DataType::kFP32 || filter.dtype() != ir::DataType::kFP32) {
      return InvalidModel(op.DebugName(), ": conv2d_transpose needs FP32 Input and Filter");
    }
    // Paddle's filter: [C_in, C_out / groups, kh, kw].
    if (filter.dims()[0] != p.c || p.c % p.groups != 0) {
      return InvalidModel(op.DebugName(), ": Input channels ", p.c, " and Filter ", ir::DimsToString(filter.dims()),
                          " do not match groups ", p.groups);
    }
    p.oc = filter.dims()[1] * p.groups;
    const int64_t ekh = p.dilations[0] * (p.kh - 1) + 1, ekw = p.dilations[1] * (p.kw - 1) + 1;
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> output_padding, op.GetInts("output_padding", std::vector<int64_t>{}));
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> output_size, op.GetInts("output_size", std::vector<int64_t>{}));
    if (!output_padding.empty() && output_padding.size() != 2) {
      return InvalidModel(op.DebugName(), ": output_padding must have 2 values");
    }
    p.oh = (p.h - 1) * p.strides[0] - p.pad.top - p.pad.bottom + ekh;
    p.ow = (p.w - 1) * p.strides[1] - p.pad.left - p.pad.right + ekw;
    if (!output_padding.empty()) {
      p.oh += output_padding[0];
      p.ow += output_padding[1];
    }
    if (!output_size.empty()) {
      if (output_size.size() != 2) return InvalidModel(op.DebugName(), ": output_size must have 2 values");
      p.oh = output_size[0];
      p.ow = output_size[1];
    }
    if (ctx.FindInput("OutputSize") != nullptr) {
      return Unsupported(op.DebugName(), ": the OutputSize input is not supported");
    }
    if (p.oh <= 0 || p.ow <= 0) return InvalidModel(op.DebugName(), ": empty output size");
    // oneDNN: oh = (h - 1) * s - pad_t - pad_b' + ekh, so pad_b' absorbs output_padding / output_size.
    const int64_t pad_b = (p.h - 1) * p.strides[0] + ekh - p.pad.top - p.oh;
    const int64_t pad_r = (p.w - 1) * p.strides[1] + ekw - p.pad.left - p.ow;
    if (pad_b < 0 || pad_r < 0) {
      return Unsupported(op.DebugName(), ": output size ", p.oh, "x", p.ow, " needs negative padding");
    }
    Q2I_ASSIGN_OR_RETURN(Activation act, FusedActivation(op));

    const memory::dims src_dims = {p.n, p.c, p.h, p.w};
    const memory::dims dst_dims = {p.n, p.oc, p.oh, p.ow};
    // Filter = stride, no padding: one matmul per filter row (runtime/kernels/deconv_matmul.h), when the
    // rows are wide enough (PP-OCR's last 24 -> 1 channel deconvolution ran 1.4x slower as matmuls).
    const ValueInfo* bias_in = ctx.FindInput("Bias");
    const ir::Tensor* bias_const = bias_in != nullptr ? ctx.InputConstant("Bias") : nullptr;
    if (ctx.conv_impl_policy() == ConvImplPolicy::kTuned && p.groups == 1 && p.kh == p.strides[0] &&
        p.kw == p.strides[1] && p.kw * p.oc >= 16 && p.dilations[0] == 1 && p.dilations[1] == 1 &&
        p.pad.top == 0 && p.pad.left == 0 && pad_b == 0 && pad_r == 0 &&
        (bias_in == nullptr ||
         (bias_const != nullptr && bias_const->numel() == p.oc && bias_const->dtype() == ir::DataType::kFP32))) {
      Q2I_ASSIGN_OR_RETURN(memory src, ctx.InputMemoryAs("Input", 0, memory::desc(src_dims, dt::f32, tag::nhwc)));
      Q2I_ASSIGN_OR_RETURN(memory dst, ctx.DefineOutput("Output", 0, ir::DataType::kFP32, {p.n, p.oc, p.oh, p.ow},
                                                        memory::desc(dst_dims, dt::f32, tag::nhwc)));
      deconv_matmul_ = std::make_unique<DeconvAsMatmul>();
      return deconv_matmul_->Prepare(ctx, {p.n, p.c, p.h, p.w, p.oc, p.kh, p.kw}, src, dst, filter, bias_const, act);
    }
    memory::dims w_dims = {p.oc, p.c, p.kh, p.kw};
    memory::format_tag user_w_tag = tag::iohw;
    if (p.groups > 1) {
      w_dims = {p.groups, p.oc / p.groups, p.c / p.groups, p.kh, p.kw};
      user_w_tag = tag::giohw;
    }
    memory::desc bias_md({p.oc}, dt::f32, tag::x);
    const ValueInfo* bias_info = ctx.FindInput("Bias");
    const memory::dims strides = {p.strides[0], p.strides[1]};
    const memory::dims dil = {p.dilations[0] - 1, p.dilations[1] - 1};
    const memory::dims pl = {p.pad.top, p.pad.left}, pr = {pad_b, pad_r};
    // The activation runs after the deconvolution as in-place eltwise primitives, not as post-ops: with any
    // post-op oneDNN 2.6's deconvolution slows down 3-7x (PP-OCR's 24 -> 1 channel one with a sigmoid:
    // 4.6 ms -> 15.8 ms), more than a second pass over the output costs.
    dnnl::primitive_attr attr;
    // NHWC like the convolutions around it (oneDNN's own choice is a blocked layout that is slower here and
    // that broadcasting binary ops handle with reference code); any layout when NHWC has no implementation.
    dnnl::deconvolution_forward::primitive_desc pd;
    for (tag t : {tag::nhwc, tag::any}) {
      memory::desc src_md(src_dims, dt::f32, t), w_md(w_dims, dt::f32, tag::any), dst_md(dst_dims, dt::f32, t);
      auto desc = bias_info ? dnnl::deconvolution_forward::desc(prop_kind::forward_inference,
                                                                algorithm::deconvolution_direct, src_md, w_md, bias_md,
                                                                dst_md, strides, dil, pl, pr)
                            : dnnl::deconvolution_forward::desc(prop_kind::forward_inference,
                                                                algorithm::deconvolution_direct, src_md, w_md, dst_md,
                                                                strides, dil, pl, pr);
      try {
        pd = dnnl::deconvolution_forward::primitive_desc(desc, attr, ctx.engine());
        break;
      } catch (const dnnl::error& e) {
        if (t == tag::any) throw;
      }
    }
    Q2I_ASSIGN_OR_RETURN(memory src_mem, ctx.InputMemoryAs("Input", 0, pd.src_desc()));
    memory user(memory::desc(w_dims, dt::f32, user_w_tag), ctx.engine(), const_cast<uint8_t*>(filter.raw_data()));
    Q2I_ASSIGN_OR_RETURN(memory weights, ctx.ReorderNow(user, pd.weights_desc()));
    std::vector<std::pair<int, memory>> args = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, weights}};
    if (bias_info != nullptr) {
      if (bias_info->numel() != p.oc) return InvalidModel(op.DebugName(), ": Bias size does not match output channels");
      Q2I_ASSIGN_OR_RETURN(memory b, ctx.InputMemoryAs("Bias", 0, bias_md));
      args.emplace_back(DNNL_ARG_BIAS, b);
    }
    Q2I_ASSIGN_OR_RETURN(memory dst, ctx.DefineOutput("Output", 0, ir::DataType::kFP32, {p.n, p.oc, p.oh, p.ow},
                                                      pd.dst_desc()));
    args.emplace_back(DNNL_ARG_DST, dst);
    call_ = PrimitiveCall(dnnl::deconvolution_forward(pd), std::move(args));
    for (const EltwiseStep& e : act.steps) {
      const dnnl::eltwise_forward::primitive_desc epd(
          dnnl::eltwise_forward::desc(prop_kind::forward_inference, e.alg, pd.dst_desc(), e.alpha, e.beta), ctx.engine());
      activation_calls_.emplace_back(dnnl::eltwise_forward(epd),
                                     std::vector<std::pair<int, memory>>{{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
    }
    return OkStatus();
  }

  bool transpose_;
  const ir::Op* op_ = nullptr;
  PrimitiveCall call_;
  std::unique_ptr<DwConvU8> dw_;          // set instead of call_ for the depthwise u8 kernel
  std::unique_ptr<DirectConvU8> direct_;  // set instead of call_ for the dense u8 kernel on small maps
  std::unique_ptr<PatchConv> patch_;      // set instead of call_ for a stem over gathered patches
  memory own_src_, own_dst_;              // our own kernels' input and output
  std::unique_ptr<DeconvAsMatmul> deconv_matmul_;  // set instead of call_ for a filter-equals-stride deconv
  std::vector<PrimitiveCall> activation_calls_;    // a oneDNN deconvolution's activation, in place
};

}  // namespace

void RegisterConvKernels(KernelRegistry& r, KernelPrecision precision) {
  for (const char* type : {"conv2d", "depthwise_conv2d", "fused_conv2d"}) Reg<ConvKernel>(r, type, precision, "onednn_conv", false);
  if (precision == KernelPrecision::kFloat) Reg<ConvKernel>(r, "conv2d_transpose", precision, "onednn_deconv", true);
}

}  // namespace q2i::runtime::kernels
