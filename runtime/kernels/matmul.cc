// mul, matmul (v1), matmul_v2 and fc as one oneDNN matmul each: operands are strided views of plain data
// (transposes and flattening cost nothing), batch dims broadcast, constant weights are reordered once
// into the primitive's preferred layout; fc's bias and activation and matmul's alpha are fused. INT8
// fc / mul / matmul follow the program contract (Scale_in or Scale_x/Scale_y, Scale_weights,
// Scale_out, force_fp32_output).
#include <algorithm>
#include <numeric>

#include "ir/op_kinds.h"
#include "runtime/kernels/common.h"
#include "runtime/kernels/int8_scales.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

using dt = memory::data_type;

int64_t Prod(const std::vector<int64_t>& d, size_t b, size_t e) {
  int64_t p = 1;
  for (size_t i = b; i < e; ++i) p *= d[i];
  return p;
}

// A matrix operand: logical dims [batch..., rows, cols] over plain stored data, possibly transposed.
struct Operand {
  memory::dims dims;
  memory::dims strides;
};

// Stored plain dims `stored` (already padded to the common rank); `trans` swaps the last two.
Operand MakeOperand(const std::vector<int64_t>& stored, bool trans) {
  Operand o;
  o.dims.assign(stored.begin(), stored.end());
  o.strides = Strides(stored);
  const size_t r = stored.size();
  if (trans) {
    std::swap(o.dims[r - 1], o.dims[r - 2]);
    std::swap(o.strides[r - 1], o.strides[r - 2]);
  }
  return o;
}

class MatMulKernel : public Kernel {
 public:
  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    const std::string& type = op.type();
    const bool is_fc = type == "fc";
    const char* x_slot = is_fc ? "Input" : "X";
    const char* y_slot = is_fc ? "W" : "Y";
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input(x_slot));
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* y, ctx.Input(y_slot));
    std::vector<int64_t> xs, ys;  // stored dims (padded to a common rank)
    bool tx = false, ty = false;
    float alpha = 1.f;
    Activation act;
    std::vector<int64_t> out_dims;
    if (type == "mul" || is_fc) {
      const char* xnc_name = is_fc ? "in_num_col_dims" : "x_num_col_dims";
      Q2I_ASSIGN_OR_RETURN(int64_t xnc, op.GetInt(xnc_name, 1));
      int64_t ync = 1;
      if (!is_fc) {
        Q2I_ASSIGN_OR_RETURN(ync, op.GetInt("y_num_col_dims", 1));
      }
      if (xnc < 1 || xnc >= static_cast<int64_t>(x->dims.size()) || ync < 1 ||
          ync >= static_cast<int64_t>(y->dims.size()) || (is_fc && y->dims.size() != 2)) {
        return InvalidModel(op.DebugName(), ": ", xnc_name, " ", xnc, (is_fc ? "" : " / y_num_col_dims "),
                            (is_fc ? std::string() : std::to_string(ync)), " invalid for ", x_slot, " ",
                            ir::DimsToString(x->dims), " and ", y_slot, " ", ir::DimsToString(y->dims));
      }
      const auto ux = static_cast<size_t>(xnc), uy = static_cast<size_t>(ync);
      xs = {Prod(x->dims, 0, ux), Prod(x->dims, ux, x->dims.size())};
      ys = {Prod(y->dims, 0, uy), Prod(y->dims, uy, y->dims.size())};
      out_dims.assign(x->dims.begin(), x->dims.begin() + static_cast<int64_t>(ux));
      out_dims.insert(out_dims.end(), y->dims.begin() + static_cast<int64_t>(uy), y->dims.end());
      if (is_fc) {
        Q2I_ASSIGN_OR_RETURN(bool padding_weights, op.GetBool("padding_weights", false));
        if (padding_weights) return Unsupported(op.DebugName(), ": padding_weights=true is not supported");
        Q2I_ASSIGN_OR_RETURN(std::string act_type, op.GetString("activation_type", ""));
        Q2I_ASSIGN_OR_RETURN(act, MakeActivation(op, act_type, 0.f, 0.f));
      }
    } else {
      if (type == "matmul") {
        Q2I_ASSIGN_OR_RETURN(tx, op.GetBool("transpose_X", false));
        Q2I_ASSIGN_OR_RETURN(ty, op.GetBool("transpose_Y", false));
        Q2I_ASSIGN_OR_RETURN(double a, op.GetFloat("alpha", 1.0));
        alpha = static_cast<float>(a);
      } else {
        Q2I_ASSIGN_OR_RETURN(tx, op.GetBool("trans_x", false));
        Q2I_ASSIGN_OR_RETURN(ty, op.GetBool("trans_y", false));
      }
      for (const char* attr : {"fused_reshape_X", "fused_reshape_Y", "fused_transpose_X", "fused_transpose_Y",
                               "fused_reshape_Out", "fused_transpose_Out"}) {
        Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> v, op.GetInts(attr, std::vector<int64_t>{}));
        if (!v.empty()) return Unsupported(op.DebugName(), ": ", attr, " is not supported");
      }
      Q2I_ASSIGN_OR_RETURN(act, FusedActivation(op));
      xs = x->dims;
      ys = y->dims;
      const bool x1 = xs.size() == 1, y1 = ys.size() == 1;
      if (xs.empty() || ys.empty()) return InvalidModel(op.DebugName(), ": 0-d operands");
      if (x1) {
        xs = {1, xs[0]};
        tx = false;
      }
      if (y1) {
        ys = {ys[0], 1};
        ty = false;
      }
      const size_t r = std::max(xs.size(), ys.size());
      xs.insert(xs.begin(), r - xs.size(), 1);
      ys.insert(ys.begin(), r - ys.size(), 1);
      for (size_t i = 0; i + 2 < r; ++i) {
        if (xs[i] != ys[i] && xs[i] != 1 && ys[i] != 1) {
          return InvalidModel(op.DebugName(), ": batch dims of ", ir::DimsToString(x->dims), " and ",
                              ir::DimsToString(y->dims), " do not broadcast");
        }
        out_dims.push_back(std::max(xs[i], ys[i]));
      }
      const int64_t m = tx ? xs[r - 1] : xs[r - 2];
      const int64_t n = ty ? ys[r - 2] : ys[r - 1];
      if (!x1) out_dims.push_back(m);
      if (!y1) out_dims.push_back(n);
      if (out_dims.empty()) out_dims.push_back(1);
    }
    const size_t r = xs.size();
    Operand xo = MakeOperand(xs, tx), yo = MakeOperand(ys, ty);
    const int64_t m = xo.dims[r - 2], k = xo.dims[r - 1], k2 = yo.dims[r - 2], n = yo.dims[r - 1];
    if (k != k2) {
      return InvalidModel(op.DebugName(), ": inner dims differ: X ", ir::DimsToString(x->dims), " Y ",
                          ir::DimsToString(y->dims), " (K ", k, " vs ", k2, ")");
    }
    memory::dims dst_dims(r);
    for (size_t i = 0; i + 2 < r; ++i) dst_dims[i] = std::max(xo.dims[i], yo.dims[i]);
    dst_dims[r - 2] = m;
    dst_dims[r - 1] = n;

    // Types and INT8 scales.
    const bool int8 = ir::IsInt8Op(op);
    const ir::Tensor* y_const = ctx.InputConstant(y_slot);
    dt src_dt = dt::f32, wei_dt = dt::f32, dst_dt = dt::f32;
    std::vector<float> w_scales, out_scales;
    float s_in = 1.f;
    if (int8) {
      if (x->dtype != ir::DataType::kInt8 && x->dtype != ir::DataType::kUInt8) {
        return InvalidModel(op.DebugName(), ": INT8 ", type, " needs an s8/u8 ", x_slot);
      }
      src_dt = x->dtype == ir::DataType::kInt8 ? dt::s8 : dt::u8;
      wei_dt = dt::s8;
      if (type == "matmul" || type == "matmul_v2") {
        Q2I_ASSIGN_OR_RETURN(s_in, PositiveScale(op, "Scale_x"));
        if (y_const != nullptr && y_const->dtype() == ir::DataType::kFP32) {
          Q2I_ASSIGN_OR_RETURN(w_scales, PositiveScales(op, op.HasAttr("Scale_weights") ? "Scale_weights" : "Scale_y",
                                                        static_cast<size_t>(n)));
        } else {
          Q2I_ASSIGN_OR_RETURN(float sy, PositiveScale(op, "Scale_y"));
          w_scales.assign(static_cast<size_t>(n), sy);
          if (y->dtype == ir::DataType::kUInt8) wei_dt = dt::u8;
        }
      } else {
        Q2I_ASSIGN_OR_RETURN(s_in, PositiveScale(op, "Scale_in"));
        Q2I_ASSIGN_OR_RETURN(w_scales, PositiveScales(op, "Scale_weights", static_cast<size_t>(n)));
      }
      Q2I_ASSIGN_OR_RETURN(bool force_fp32, op.GetBool("force_fp32_output", false));
      dst_dt = Int8OutputType(ctx.DeclaredOutputType("Out"), force_fp32, dt::s8);
      float s_out = 1.f;
      if (dst_dt != dt::f32) {
        Q2I_ASSIGN_OR_RETURN(s_out, PositiveScale(op, "Scale_out"));
      }
      const float post = act.commutes_with_scale ? s_out : 1.f;
      out_scales.resize(static_cast<size_t>(n));
      for (size_t c = 0; c < out_scales.size(); ++c) out_scales[c] = alpha * post / (s_in * w_scales[c]);
      if (act.name == "relu6") act.steps[0].beta *= s_out;
      if (!act.commutes_with_scale) ScaleActivationOutput(act, s_out);
    } else if (x->dtype != ir::DataType::kFP32 || y->dtype != ir::DataType::kFP32) {
      return InvalidModel(op.DebugName(), ": FP32 ", type, " needs FP32 operands");
    }

    const memory::desc src_md(xo.dims, src_dt, xo.strides);
    memory::desc user_w_md(yo.dims, y_const && y_const->dtype() == ir::DataType::kInt8 ? dt::s8 : wei_dt, yo.strides);
    const memory::desc w_md = y_const ? memory::desc(yo.dims, wei_dt, memory::format_tag::any) : user_w_md;
    const memory::desc dst_md = PlainDesc(dst_dims, dst_dt);
    memory::dims bias_dims(r, 1);
    bias_dims[r - 1] = n;
    const memory::desc bias_md = PlainDesc(bias_dims, dt::f32);
    const ValueInfo* bias_info = is_fc ? ctx.FindInput("Bias") : nullptr;
    if (bias_info != nullptr && bias_info->numel() != n) {
      return InvalidModel(op.DebugName(), ": Bias has ", bias_info->numel(), " values for ", n, " outputs");
    }

    dnnl::primitive_attr attr;
    if (int8) {
      attr.set_output_scales(1 << (r - 1), out_scales);
    } else if (alpha != 1.f) {
      attr.set_output_scales(0, {alpha});
    }
    dnnl::post_ops ops;
    AppendActivation(ops, act);
    Q2I_RETURN_IF_ERROR(CheckEltwisePostOps(op, ops));
    attr.set_post_ops(ops);
    auto desc = bias_info ? dnnl::matmul::desc(src_md, w_md, bias_md, dst_md) : dnnl::matmul::desc(src_md, w_md, dst_md);
    dnnl::matmul::primitive_desc pd(desc, attr, ctx.engine());

    Q2I_ASSIGN_OR_RETURN(memory src, ctx.InputView(x_slot, 0, src_md));
    memory wei;
    if (y_const != nullptr) {
      const ir::Tensor* wt = y_const;
      ir::Tensor quantized;
      if (int8 && y_const->dtype() == ir::DataType::kFP32) {
        std::vector<double> sw(w_scales.begin(), w_scales.end());
        if (type == "fc" || type == "mul" || op.HasAttr("Scale_weights")) {
          Q2I_ASSIGN_OR_RETURN(sw, PositiveScalesD(op, op.HasAttr("Scale_weights") ? "Scale_weights" : "Scale_y",
                                                   static_cast<size_t>(n)));
        }
        // N is the innermost stored dim, or the second innermost when Y is transposed.
        quantized = QuantizeWeightsS8(*y_const, n, ty ? k : 1, sw);
        wt = &quantized;
      }
      memory user(user_w_md, ctx.engine(), const_cast<uint8_t*>(wt->raw_data()));
      Q2I_ASSIGN_OR_RETURN(wei, ctx.ReorderNow(user, pd.weights_desc()));
    } else {
      Q2I_ASSIGN_OR_RETURN(wei, ctx.InputView(y_slot, 0, user_w_md));
    }
    std::vector<std::pair<int, memory>> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}};
    if (bias_info != nullptr) {
      const ir::Tensor* bias = ctx.InputConstant("Bias");
      if (bias != nullptr) {
        memory b = ctx.NewOwnedMemory(bias_md);
        float* bd = DataOf<float>(b);
        if (bias->dtype() == ir::DataType::kInt32 && int8) {
          for (int64_t c = 0; c < n; ++c) bd[c] = static_cast<float>(bias->data<int32_t>()[c]);  // accumulator domain
        } else if (bias->dtype() == ir::DataType::kFP32) {
          for (int64_t c = 0; c < n; ++c) {
            bd[c] = int8 ? bias->data<float>()[c] * s_in * w_scales[static_cast<size_t>(c)] : bias->data<float>()[c];
          }
        } else {
          return InvalidModel(op.DebugName(), ": Bias must be float32 (or int32 in an INT8 op)");
        }
        args.emplace_back(DNNL_ARG_BIAS, b);
      } else {
        if (int8) return Unsupported(op.DebugName(), ": an INT8 fc needs a constant Bias");
        Q2I_ASSIGN_OR_RETURN(memory b, ctx.InputView("Bias", 0, bias_md));
        args.emplace_back(DNNL_ARG_BIAS, b);
      }
    }
    Q2I_ASSIGN_OR_RETURN(memory out, ctx.DefinePlainOutput("Out", 0, FromDnnlType(dst_dt), out_dims));
    dst_view_ = BoundView(out, dst_md, ctx.engine());
    args.emplace_back(DNNL_ARG_DST, dst_view_.mem());
    call_ = PrimitiveCall(dnnl::matmul(pd), std::move(args));
    return OkStatus();
  }

  void Bind() override { dst_view_.Bind(); }
  Status Run(RunContext& ctx) override { return ExecutePrimitive(call_, ctx, *op_); }

 private:
  const ir::Op* op_ = nullptr;
  PrimitiveCall call_;
  BoundView dst_view_;
};

}  // namespace

void RegisterMatMulKernels(KernelRegistry& r, KernelPrecision precision) {
  for (const char* type : {"mul", "matmul", "matmul_v2", "fc"}) {
    Reg<MatMulKernel>(r, type, precision, precision == KernelPrecision::kInt8 ? "onednn_matmul_int8" : "onednn_matmul");
  }
}

}  // namespace q2i::runtime::kernels
