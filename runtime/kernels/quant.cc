// The INT8 boundary ops of a converted program (docs/int8_program.md), as oneDNN reorders in the
// input's layout (under the tuned policy, dense tensors run on the loop of int8_convert.h instead, and a
// network's few-channel NCHW input is quantized straight into NHWC):
//   quantize:   q  = saturate(round(x * Scale) + Shift)        f32 -> s8 (is_negative_input) / u8
//   dequantize: x  = (q - Shift) / Scale                        s8/u8 -> f32
//   requantize: q' = saturate(round((q - Shift_in) * Scale_out / Scale_in) + Shift_out)
#include <cmath>
#include <optional>

#include "runtime/kernels/common.h"
#include "runtime/kernels/int8_convert.h"
#include "runtime/kernels/int8_scales.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

using dt = memory::data_type;

class QuantReorderKernel : public Kernel {
 public:
  enum class Kind { kQuantize, kDequantize, kRequantize };
  explicit QuantReorderKernel(Kind kind) : kind_(kind) {}

  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* in, ctx.Input("Input"));
    Q2I_ASSIGN_OR_RETURN(memory src, ctx.InputMemory("Input"));
    memory::desc src_md = src.get_desc();
    dnnl::primitive_attr attr;
    dt out_dt = dt::f32;
    float scale = 1.f;
    int32_t src_zp = 0, dst_zp = 0;
    if (kind_ == Kind::kQuantize) {
      if (in->dtype != ir::DataType::kFP32) return InvalidModel(op.DebugName(), ": quantize needs a float32 Input");
      Q2I_ASSIGN_OR_RETURN(scale, PositiveScale(op, "Scale"));
      Q2I_ASSIGN_OR_RETURN(bool negative, op.GetBool("is_negative_input", true));
      Q2I_ASSIGN_OR_RETURN(double shift, op.GetFloat("Shift", 0.0));
      dst_zp = static_cast<int32_t>(std::lround(shift));
      out_dt = Int8OutputType(ctx.DeclaredOutputType("Output"), false, negative ? dt::s8 : dt::u8);
      if (out_dt == dt::f32) out_dt = negative ? dt::s8 : dt::u8;
    } else if (kind_ == Kind::kDequantize) {
      if (in->dtype != ir::DataType::kInt8 && in->dtype != ir::DataType::kUInt8) {
        return InvalidModel(op.DebugName(), ": dequantize needs an s8/u8 Input, got ", ir::DataTypeName(in->dtype));
      }
      Q2I_ASSIGN_OR_RETURN(float s, PositiveScale(op, "Scale"));
      Q2I_ASSIGN_OR_RETURN(double shift, op.GetFloat("Shift", 0.0));
      scale = 1.f / s;
      src_zp = static_cast<int32_t>(std::lround(shift));
    } else {
      if (in->dtype != ir::DataType::kInt8 && in->dtype != ir::DataType::kUInt8) {
        return InvalidModel(op.DebugName(), ": requantize needs an s8/u8 Input");
      }
      Q2I_ASSIGN_OR_RETURN(float s_in, PositiveScale(op, "Scale_in"));
      Q2I_ASSIGN_OR_RETURN(float s_out, PositiveScale(op, "Scale_out"));
      Q2I_ASSIGN_OR_RETURN(double shift_in, op.GetFloat("Shift_in", 0.0));
      Q2I_ASSIGN_OR_RETURN(double shift_out, op.GetFloat("Shift_out", 0.0));
      scale = s_out / s_in;
      src_zp = static_cast<int32_t>(std::lround(shift_in));
      dst_zp = static_cast<int32_t>(std::lround(shift_out));
      const dt same = in->dtype == ir::DataType::kInt8 ? dt::s8 : dt::u8;
      out_dt = Int8OutputType(ctx.DeclaredOutputType("Output"), false, same);
      if (out_dt == dt::f32) out_dt = same;
    }
    if (!IsStrided(src_md) && src_md.data.format_kind != dnnl_blocked) {
      Q2I_ASSIGN_OR_RETURN(src, ctx.PlainInputMemory("Input"));
      src_md = src.get_desc();
    }
    attr.set_output_scales(0, {scale});
    if (src_zp != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {src_zp});
    if (dst_zp != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {dst_zp});
    const Int8Convert own{.from = src_md.data_type(), .to = out_dt, .scale = scale, .src_zp = src_zp, .dst_zp = dst_zp};
    const bool tuned = ctx.conv_impl_policy() == ConvImplPolicy::kTuned;
    // A plain NCHW image of few channels (a network's input) is quantized straight into NHWC, the layout
    // INT8 convolutions take.
    if (tuned && kind_ == Kind::kQuantize && in->dims.size() == 4 && IsPlain(src_md) &&
        Int8ConvertToNhwcSupports(own, in->dims[1])) {
      const memory::desc nhwc(src_md.dims(), out_dt, memory::format_tag::nhwc);
      Q2I_ASSIGN_OR_RETURN(own_dst_, ctx.DefineOutput("Output", 0, FromDnnlType(out_dt), in->dims, nhwc));
      own_ = own;
      own_src_ = src;
      to_nhwc_ = true;
      return OkStatus();
    }
    const memory::desc dst_md = WithDataType(src_md, out_dt);
    Q2I_ASSIGN_OR_RETURN(memory dst, ctx.DefineOutput("Output", 0, FromDnnlType(out_dt), in->dims, dst_md));
    // Dense: every element of the buffer is one of the tensor's (no padded blocks), in the same place in
    // the destination, so a flat loop converts it.
    const bool dense = src_md.get_size() == static_cast<size_t>(in->numel()) * memory::data_type_size(src_md.data_type());
    if (tuned && dense && Int8ConvertSupports(own)) {
      own_ = own;
      own_src_ = src;
      own_dst_ = dst;
      count_ = in->numel();
      return OkStatus();
    }
    dnnl::reorder::primitive_desc pd(ctx.engine(), src_md, ctx.engine(), dst_md, attr);
    call_ = PrimitiveCall(dnnl::reorder(pd), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
    return OkStatus();
  }
  Status Run(RunContext& ctx) override {
    if (to_nhwc_) {
      const memory::dims d = own_src_.get_desc().dims();
      RunInt8ConvertToNhwc(*own_, DataOf<const float>(own_src_), own_dst_.get_data_handle(), d[0], d[1], d[2] * d[3]);
      return OkStatus();
    }
    if (own_) {
      RunInt8Convert(*own_, own_src_.get_data_handle(), own_dst_.get_data_handle(), count_);
      return OkStatus();
    }
    return ExecutePrimitive(call_, ctx, *op_);
  }
  std::string_view variant() const override {
    if (to_nhwc_) return "int8_convert_nhwc";
    return own_ ? "int8_convert" : "";
  }

 private:
  Kind kind_;
  const ir::Op* op_ = nullptr;
  PrimitiveCall call_;
  std::optional<Int8Convert> own_;
  memory own_src_, own_dst_;
  int64_t count_ = 0;
  bool to_nhwc_ = false;  // own_ quantizes NCHW into NHWC
};

}  // namespace

void RegisterQuantKernels(KernelRegistry& r) {
  const auto p = KernelPrecision::kInt8;
  Reg<QuantReorderKernel>(r, "quantize", p, "onednn_reorder", QuantReorderKernel::Kind::kQuantize);
  Reg<QuantReorderKernel>(r, "dequantize", p, "onednn_reorder", QuantReorderKernel::Kind::kDequantize);
  Reg<QuantReorderKernel>(r, "requantize", p, "onednn_reorder", QuantReorderKernel::Kind::kRequantize);
}

}  // namespace q2i::runtime::kernels
