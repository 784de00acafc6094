// FP32 simulation of PaddleSlim's fake-quant ops (spec section 2), computed as Paddle's CPU kernels do:
//   bin_cnt = 2^(bit_length-1) - 1, inverse(s) = 1/s, or 1/(s + 1e-6) when s <= 1e-30 (Paddle's rule, so
//   a zero scale gives zeros, never NaN/inf);
//   round_type 1 (and ops without the attribute): q = round_half_away(bin_cnt * inverse(s) * clip(x, -s, s));
//   round_type 0: q = clamp(round_half_even(bin_cnt * inverse(s) * x), -bin_cnt - 1, bin_cnt);
//   quantize-dequantize: q * s / bin_cnt.
// At inference (is_test) the scale of the range / moving-average ops is the InScale input; the
// abs-max ops compute it from X at run time. Ops on weights (all inputs constant) are folded at
// prepare time by the executor.
#include <algorithm>
#include <cmath>

#include "runtime/kernels/common.h"
#include "runtime/kernels/register.h"

namespace q2i::runtime::kernels {
namespace {

enum class Mode {
  kQuantScaleInput,       // Out = quant(X, InScale)
  kQuantDequantScaleInput,
  kQuantAbsMax,           // T = max|X|
  kQuantDequantAbsMax,
  kChannelQuantAbsMax,    // per channel T_c = max|X_c|
  kChannelQuantDequantAbsMax,
  kDequantMaxAbs,         // Out = X * Scale / max_range
  kChannelDequantMaxAbs,  // fake_channel_wise_dequantize_max_abs
  kQuantizeLinear,        // Y = quant(X, Scale) per tensor or per channel
  kDequantizeLinear,      // Y = X * Scale / bin_cnt
  kIdentityScale,         // moving_average_abs_max_scale: Out = X
};

inline float Inverse(float s) { return s <= 1e-30f ? 1.f / (s + 1e-6f) : 1.f / s; }

struct QuantFn {
  float bin_cnt = 127.f;
  bool ties_even = false;
  float Quant(float x, float s, float inv_s) const {
    if (ties_even) {
      const float q = std::nearbyint(bin_cnt * inv_s * x);
      return std::clamp(q, -bin_cnt - 1.f, bin_cnt);
    }
    return std::round(bin_cnt * inv_s * std::clamp(x, -s, s));
  }
};

float AbsMax(const float* x, int64_t n) {
  float m = 0.f;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

class FakeQuantKernel : public Kernel {
 public:
  explicit FakeQuantKernel(Mode mode) : mode_(mode) {}

  Status Prepare(PrepareContext& ctx) override {
    op_ = &ctx.op();
    const ir::Op& op = *op_;
    Q2I_ASSIGN_OR_RETURN(const ValueInfo* x, ctx.Input("X"));
    dims_ = x->dims;
    numel_ = x->numel();
    in_type_ = x->dtype;
    if (x->dtype != ir::DataType::kFP32 && !(mode_ == Mode::kDequantizeLinear && x->dtype == ir::DataType::kInt8)) {
      return InvalidModel(op.DebugName(), ": X must be float32, got ", ir::DataTypeName(x->dtype));
    }
    Q2I_ASSIGN_OR_RETURN(int64_t bits, op.GetInt("bit_length", 8));
    if (bits < 2 || bits > 16) return InvalidModel(op.DebugName(), ": bit_length ", bits, " out of range");
    fn_.bin_cnt = static_cast<float>((1 << (bits - 1)) - 1);
    if (op.HasAttr("round_type")) {
      Q2I_ASSIGN_OR_RETURN(int64_t rt, op.GetInt("round_type"));
      if (rt != 0 && rt != 1) return InvalidModel(op.DebugName(), ": round_type ", rt);
      fn_.ties_even = rt == 0;
    }
    if (op.HasAttr("is_test")) {
      Q2I_ASSIGN_OR_RETURN(bool is_test, op.GetBool("is_test"));
      if (!is_test && (mode_ == Mode::kQuantScaleInput || mode_ == Mode::kQuantDequantScaleInput)) {
        return Unsupported(op.DebugName(), ": is_test=false (training-time scale updates) is not supported");
      }
    }
    const char* out_slot = mode_ == Mode::kQuantizeLinear || mode_ == Mode::kDequantizeLinear ? "Y" : "Out";

    switch (mode_) {
      case Mode::kIdentityScale: {
        Q2I_RETURN_IF_ERROR(ctx.DefineOutputAlias("Out", 0, dims_, "X").status());
        if (ctx.HasOutput("OutScale") && ctx.IsOutputUsed("OutScale")) {
          return Unsupported(op.DebugName(), ": OutScale is not computed at inference");
        }
        return OkStatus();
      }
      case Mode::kQuantScaleInput:
      case Mode::kQuantDequantScaleInput: {
        Q2I_ASSIGN_OR_RETURN(scale_, ScalarInput(ctx, "InScale"));
        for (const char* slot : {"OutScale", "OutState", "OutAccum", "OutScales"}) {
          if (!ctx.HasOutput(slot) || !ctx.IsOutputUsed(slot)) continue;
          const char* from = std::string(slot) == "OutScale" ? "InScale"
                             : std::string(slot) == "OutState" ? "InState"
                             : std::string(slot) == "OutAccum" ? "InAccum" : nullptr;
          const ir::Tensor* t = from ? ctx.InputConstant(from) : nullptr;
          if (t == nullptr) return Unsupported(op.DebugName(), ": output ", slot, " is used but not defined at inference");
          Q2I_RETURN_IF_ERROR(ctx.DefineOutputConstant(slot, 0, *t));
        }
        return PrepareElementwise(ctx, out_slot);
      }
      case Mode::kQuantAbsMax:
      case Mode::kQuantDequantAbsMax: {
        Q2I_RETURN_IF_ERROR(PreparePlain(ctx, out_slot));
        if (ctx.HasOutput("OutScale") && ctx.IsOutputUsed("OutScale")) {
          Q2I_ASSIGN_OR_RETURN(out_scale_, ctx.DefinePlainOutput("OutScale", 0, ir::DataType::kFP32, {1}));
        }
        return OkStatus();
      }
      case Mode::kChannelQuantAbsMax:
      case Mode::kChannelQuantDequantAbsMax: {
        Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("quant_axis", 0));
        Q2I_RETURN_IF_ERROR(SetChannelAxis(axis));
        Q2I_RETURN_IF_ERROR(PreparePlain(ctx, out_slot));
        if (ctx.HasOutput("OutScale") && ctx.IsOutputUsed("OutScale")) {
          Q2I_ASSIGN_OR_RETURN(out_scale_, ctx.DefinePlainOutput("OutScale", 0, ir::DataType::kFP32, {channels_}));
        }
        return OkStatus();
      }
      case Mode::kDequantMaxAbs: {
        Q2I_ASSIGN_OR_RETURN(float s, ScalarInput(ctx, "Scale"));
        Q2I_ASSIGN_OR_RETURN(double max_range, op.GetFloat("max_range"));
        if (!(max_range > 0) || !std::isfinite(max_range)) {
          return InvalidModel(op.DebugName(), ": max_range must be > 0, got ", max_range);
        }
        mul_ = static_cast<float>(s / max_range);
        return PrepareElementwise(ctx, out_slot);
      }
      case Mode::kChannelDequantMaxAbs: return PrepareChannelDequant(ctx);
      case Mode::kQuantizeLinear:
      case Mode::kDequantizeLinear: return PrepareLinear(ctx);
    }
    return OkStatus();
  }

  Status Run(RunContext&) override {
    const float* x = in_type_ == ir::DataType::kFP32 ? DataOf<float>(src_) : nullptr;
    float* y = DataOf<float>(dst_);
    const QuantFn fn = fn_;
    switch (mode_) {
      case Mode::kIdentityScale: break;
      case Mode::kQuantScaleInput:
      case Mode::kQuantDequantScaleInput:
      case Mode::kQuantAbsMax:
      case Mode::kQuantDequantAbsMax: {
        float s = scale_;
        if (mode_ == Mode::kQuantAbsMax || mode_ == Mode::kQuantDequantAbsMax) {
          s = AbsMax(x, numel_);
          if (out_scale_) DataOf<float>(out_scale_)[0] = s;
        }
        const float inv = Inverse(s);
        const bool dq = mode_ == Mode::kQuantDequantScaleInput || mode_ == Mode::kQuantDequantAbsMax;
        ParallelFor(numel_, [&](int64_t i) {
          const float q = fn.Quant(x[i], s, inv);
          y[i] = dq ? q * s / fn.bin_cnt : q;
        });
        break;
      }
      case Mode::kChannelQuantAbsMax:
      case Mode::kChannelQuantDequantAbsMax:
      case Mode::kQuantizeLinear: {
        const bool dq = mode_ == Mode::kChannelQuantDequantAbsMax;
        std::vector<float>& s = channel_scale_;
        if (mode_ != Mode::kQuantizeLinear) {
          std::fill(s.begin(), s.end(), 0.f);
          for (int64_t o = 0; o < outer_; ++o)
            for (int64_t c = 0; c < channels_; ++c)
              s[static_cast<size_t>(c)] = std::max(s[static_cast<size_t>(c)], AbsMax(x + (o * channels_ + c) * inner_, inner_));
          if (out_scale_) std::copy(s.begin(), s.end(), DataOf<float>(out_scale_));
        }
        ParallelFor(outer_ * channels_, [&](int64_t oc) {
          const size_t c = static_cast<size_t>(channels_ > 1 ? oc % channels_ : 0);
          const float sc = s[c], inv = Inverse(sc);
          const float* xi = x + oc * inner_;
          float* yi = y + oc * inner_;
          for (int64_t i = 0; i < inner_; ++i) {
            const float q = fn.Quant(xi[i], sc, inv);
            yi[i] = dq ? q * sc / fn.bin_cnt : q;
          }
        });
        break;
      }
      case Mode::kDequantMaxAbs: {
        const float m = mul_;
        ParallelFor(numel_, [&](int64_t i) { y[i] = x[i] * m; });
        break;
      }
      case Mode::kChannelDequantMaxAbs:
      case Mode::kDequantizeLinear: {
        const std::vector<float>& mul = channel_scale_;
        const int8_t* xq = in_type_ == ir::DataType::kInt8 ? DataOf<int8_t>(src_) : nullptr;
        ParallelFor(outer_ * channels_, [&](int64_t oc) {
          const float m = mul[static_cast<size_t>(channels_ > 1 ? oc % channels_ : 0)];
          float* yi = y + oc * inner_;
          if (xq != nullptr) {
            const int8_t* xi = xq + oc * inner_;
            for (int64_t i = 0; i < inner_; ++i) yi[i] = static_cast<float>(xi[i]) * m;
          } else {
            const float* xi = x + oc * inner_;
            for (int64_t i = 0; i < inner_; ++i) yi[i] = xi[i] * m;
          }
        });
        break;
      }
    }
    return OkStatus();
  }

 private:
  StatusOr<float> ScalarInput(PrepareContext& ctx, const char* slot) {
    const ir::Op& op = *op_;
    if (ctx.FindInput(slot) == nullptr) return InvalidModel(op.DebugName(), ": missing input ", slot);
    const ir::Tensor* t = ctx.InputConstant(slot);
    if (t == nullptr) return Unsupported(op.DebugName(), ": ", slot, " must be a constant (persistable) tensor");
    if (t->dtype() != ir::DataType::kFP32 || t->numel() < 1) {
      return InvalidModel(op.DebugName(), ": ", slot, " '", op.Input(slot), "' must be a float32 tensor with a value");
    }
    const float s = t->data<float>()[0];
    if (!std::isfinite(s) || s < 0) {
      return InvalidModel(op.DebugName(), ": ", slot, " '", op.Input(slot), "' holds an invalid scale ", s);
    }
    return s;
  }

  StatusOr<std::vector<float>> VectorInput(PrepareContext& ctx, const char* slot, int index) {
    const ir::Op& op = *op_;
    const ir::Tensor* t = ctx.InputConstant(slot, index);
    if (t == nullptr) return Unsupported(op.DebugName(), ": ", slot, "[", index, "] must be a constant tensor");
    if (t->dtype() != ir::DataType::kFP32) return InvalidModel(op.DebugName(), ": ", slot, " must be float32");
    std::vector<float> v(t->values<float>().begin(), t->values<float>().end());
    for (float s : v) {
      if (!std::isfinite(s) || s < 0) {
        return InvalidModel(op.DebugName(), ": ", slot, " '", op.Inputs(slot)[static_cast<size_t>(index)],
                            "' holds an invalid scale ", s);
      }
    }
    return v;
  }

  Status SetChannelAxis(int64_t axis) {
    const int r = static_cast<int>(dims_.size());
    if (axis < 0 || axis >= r) {
      return InvalidModel(op_->DebugName(), ": quant_axis ", axis, " out of range for X ", ir::DimsToString(dims_));
    }
    outer_ = 1;
    inner_ = 1;
    for (int i = 0; i < axis; ++i) outer_ *= dims_[static_cast<size_t>(i)];
    for (int i = static_cast<int>(axis) + 1; i < r; ++i) inner_ *= dims_[static_cast<size_t>(i)];
    channels_ = dims_[static_cast<size_t>(axis)];
    channel_scale_.assign(static_cast<size_t>(channels_), 0.f);
    return OkStatus();
  }

  // Per-tensor element-wise: any dense layout (no reorder after a convolution).
  Status PrepareElementwise(PrepareContext& ctx, const char* out_slot) {
    Q2I_ASSIGN_OR_RETURN(src_, ctx.InputMemory("X"));
    const memory::desc md = src_.get_desc();
    if (md.get_size() != static_cast<size_t>(numel_) * sizeof(float)) {
      Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
    }
    Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefineOutput(out_slot, 0, ir::DataType::kFP32, dims_, src_.get_desc()));
    return OkStatus();
  }

  Status PreparePlain(PrepareContext& ctx, const char* out_slot) {
    Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
    Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput(out_slot, 0, ir::DataType::kFP32, dims_));
    if (outer_ == 0 && channels_ == 0) {
      outer_ = 1;
      channels_ = 1;
      inner_ = numel_;
    }
    return OkStatus();
  }

  Status PrepareChannelDequant(PrepareContext& ctx) {
    const ir::Op& op = *op_;
    const int n = ctx.NumInputs("Scales");
    if (n < 1 || n > 2) return InvalidModel(op.DebugName(), ": Scales must hold 1 or 2 tensors, got ", n);
    Q2I_ASSIGN_OR_RETURN(std::vector<int64_t> bits, op.GetInts("quant_bits", std::vector<int64_t>{8}));
    if (static_cast<int>(bits.size()) < n) bits.resize(static_cast<size_t>(n), 8);
    double max_range = 1.0;
    for (int i = 0; i < n; ++i) {
      if (bits[static_cast<size_t>(i)] < 2 || bits[static_cast<size_t>(i)] > 16) return InvalidModel(op.DebugName(), ": quant_bits out of range");
      max_range *= static_cast<double>((1 << (bits[static_cast<size_t>(i)] - 1)) - 1);
    }
    Q2I_ASSIGN_OR_RETURN(std::vector<float> s0, VectorInput(ctx, "Scales", 0));
    int64_t axis;
    double extra = 1.0;
    if (n == 1) {
      Q2I_ASSIGN_OR_RETURN(axis, op.GetInt("quant_axis", 0));
    } else {
      // After a quantized conv / mul: channels along x_num_col_dims (1: axis 1 of NCHW, the last of [M, N]).
      Q2I_ASSIGN_OR_RETURN(axis, op.GetInt("x_num_col_dims", 1));
      Q2I_ASSIGN_OR_RETURN(std::vector<float> s1, VectorInput(ctx, "Scales", 1));
      if (s1.empty()) return InvalidModel(op.DebugName(), ": Scales[1] is empty");
      extra = s1[0];
    }
    Q2I_RETURN_IF_ERROR(SetChannelAxis(axis));
    if (static_cast<int64_t>(s0.size()) != channels_ && s0.size() != 1) {
      return InvalidModel(op.DebugName(), ": Scales[0] has ", s0.size(), " values for ", channels_, " channels");
    }
    for (int64_t c = 0; c < channels_; ++c) {
      const double s = s0.size() == 1 ? s0[0] : s0[static_cast<size_t>(c)];
      channel_scale_[static_cast<size_t>(c)] = static_cast<float>(s * extra / max_range);
    }
    Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
    Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput("Out", 0, ir::DataType::kFP32, dims_));
    return OkStatus();
  }

  Status PrepareLinear(PrepareContext& ctx) {
    const ir::Op& op = *op_;
    Q2I_ASSIGN_OR_RETURN(std::vector<float> s, VectorInput(ctx, "Scale", 0));
    if (s.empty()) return InvalidModel(op.DebugName(), ": empty Scale");
    Q2I_ASSIGN_OR_RETURN(int64_t axis, op.GetInt("quant_axis", 0));
    if (axis < 0 || s.size() == 1) {
      outer_ = 1;
      channels_ = 1;
      inner_ = numel_;
      channel_scale_ = {s[0]};
    } else {
      Q2I_RETURN_IF_ERROR(SetChannelAxis(axis));
      if (static_cast<int64_t>(s.size()) != channels_) {
        return InvalidModel(op.DebugName(), ": Scale has ", s.size(), " values for ", channels_, " channels");
      }
      channel_scale_ = s;
    }
    if (mode_ == Mode::kDequantizeLinear) {
      for (float& v : channel_scale_) v = v / fn_.bin_cnt;
    }
    Q2I_ASSIGN_OR_RETURN(src_, ctx.PlainInputMemory("X"));
    Q2I_ASSIGN_OR_RETURN(dst_, ctx.DefinePlainOutput("Y", 0, ir::DataType::kFP32, dims_));
    return OkStatus();
  }

  Mode mode_;
  const ir::Op* op_ = nullptr;
  QuantFn fn_;
  std::vector<int64_t> dims_;
  int64_t numel_ = 0, outer_ = 0, channels_ = 0, inner_ = 0;
  ir::DataType in_type_ = ir::DataType::kFP32;
  float scale_ = 0.f, mul_ = 1.f;
  std::vector<float> channel_scale_;
  memory src_, dst_, out_scale_;
};

}  // namespace

void RegisterFakeQuantKernelSet(KernelRegistry& r) {
  const std::pair<const char*, Mode> ops[] = {
      {"fake_quantize_abs_max", Mode::kQuantAbsMax},
      {"fake_quantize_range_abs_max", Mode::kQuantScaleInput},
      {"fake_quantize_moving_average_abs_max", Mode::kQuantScaleInput},
      {"fake_quantize_dequantize_abs_max", Mode::kQuantDequantAbsMax},
      {"fake_quantize_dequantize_moving_average_abs_max", Mode::kQuantDequantScaleInput},
      {"fake_channel_wise_quantize_abs_max", Mode::kChannelQuantAbsMax},
      {"fake_channel_wise_quantize_dequantize_abs_max", Mode::kChannelQuantDequantAbsMax},
      {"fake_dequantize_max_abs", Mode::kDequantMaxAbs},
      {"fake_channel_wise_dequantize_max_abs", Mode::kChannelDequantMaxAbs},
      {"moving_average_abs_max_scale", Mode::kIdentityScale},
      {"quantize_linear", Mode::kQuantizeLinear},
      {"dequantize_linear", Mode::kDequantizeLinear},
  };
  for (const auto& [type, mode] : ops) Reg<FakeQuantKernel>(r, type, KernelPrecision::kFloat, "fake_quant", mode);
}

}  // namespace q2i::runtime::kernels
