// insert-quant-dequant (Paddle: cpu_quantize_pass, spec 3.11)
//   For every op placed INT8, when all the scales it needs exist: quantize its inputs (a `quantize` op
//   per input), make it write int8 (a `dequantize` op after it restores the FP32 variable), and set its
//   scale attributes. Per op type:
//   - conv2d: scales of Input, Filter (per channel), ResidualData; Scale_in, Scale_weights (s*127 per
//     channel), Scale_in_eltwise; Scale_out + dequantize when the output has a scale, otherwise
//     force_fp32_output. The residual stays FP32 (and the output FP32, so the sum happens in FP32) when
//     training added it unquantized (PassContext::fp32_residual_convs()), when it has no scale, or when
//     it is u8 under an s8 output (an s8 residual under a u8 output is read as s8 by the sum post-op).
//     The conv also rounds where training did inside what is now one op: Scale_pre_residual when
//     training rounded the conv result before adding an INT8 residual (PassContext::pre_residual_scales(),
//     QuantizeOptions::round_residual_inputs), Scale_pre_activation with QuantizeOptions::double_rounding
//     when it rounded a fused relu's input with another scale than the output's
//     (PassContext::pre_activation_scales()). An output stored as u8
//     on a signed grid (QuantScale::signed_grid) makes a fused relu a relu6 bounded at the threshold;
//   - fc: Input and W scales; Scale_in, Scale_weights, Scale_out / force_fp32_output;
//   - pool2d: X and Out scales, equal (propagate-scales makes them so);
//   - concat: Out scale, used for every input;
//   - reshape2 / transpose2: X and Out scales, equal, and an INT8 neighbour (the producer is INT8 or a
//     reader is placed INT8), so no quantize/dequantize pair is added around a lone reshape;
//   - elementwise_add: X, Y and Out scales, X and Y of the same signedness; Scale_x, Scale_y, Scale_out.
//   Ops that lack a scale get mkldnn_data_type "float32" and a remark naming the missing variable.
//   Quantized variables get dtype int8 / uint8 in the program, which is how the runtime knows them.
// Postcondition: every op with mkldnn_data_type "int8" reads and writes int8 variables (or f32 output
//   with force_fp32_output).
#include <algorithm>

#include "ir/graph_index.h"
#include "passes/passes.h"
#include "passes/quant_ops.h"

namespace q2i::passes {
namespace {

struct Need {
  const ir::QuantScale* q = nullptr;
  std::string missing;
};

class InsertQuantDequantPass final : public Pass {
 public:
  std::string_view name() const override { return "insert-quant-dequant"; }
  std::string_view description() const override { return "Insert quantize/dequantize around INT8 ops"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    std::vector<ir::Op*> placed;
    for (const auto& op : program.ops())
      if (op->GetString("mkldnn_data_type", "").value_or("") == "int8") placed.push_back(op.get());
    bool changed = false;
    for (ir::Op* op : placed) {
      std::string why;
      bool done = Quantize(program, *op, ctx, &why);
      if (!done) {
        op->SetAttr("mkldnn_data_type", ir::Attribute::String("float32"));
        ctx.AddRemark(*op, "stays FP32: " + why);
        ctx.Count("fp32_" + op->type());
        continue;
      }
      op->SetAttr("use_mkldnn", ir::Attribute::Bool(true));
      ctx.Count("int8_" + op->type());
      changed = true;
    }
    return changed;
  }

 private:
  static bool Require(const ir::Program& p, const std::string& name, const char* what, const ir::QuantScale** q,
                      std::string* why) {
    *q = VarScale(p, name);
    if (*q == nullptr) *why = std::string("no scale for ") + what + " '" + name + "'";
    return *q != nullptr;
  }

  static bool Quantize(ir::Program& p, ir::Op& op, PassContext& ctx, std::string* why) {
    const std::string& t = op.type();
    if (t == "conv2d") return QuantizeConv(p, op, ctx, why);
    if (t == "fc") return QuantizeFc(p, op, why);
    if (t == "pool2d" || t == "reshape2" || t == "transpose2") return QuantizePassThrough(p, op, why);
    if (t == "concat") return QuantizeConcat(p, op, why);
    if (t == "elementwise_add") return QuantizeAdd(p, op, why);
    *why = "no INT8 rule for this op type";
    return false;
  }

  static std::vector<float> WeightScales(const ir::QuantScale& q) {
    std::vector<float> v;
    for (double s : q.scales) v.push_back(static_cast<float>(s * 127.0));
    return v;
  }

  // A u8 output on a signed grid holds 0..127: the fused relu becomes relu6 bounded at the threshold
  // (what the fake quantizer's clipping did), so the output never exceeds 127.
  static void ClipAtThreshold(ir::Op& op, double threshold) {
    const std::string act = op.GetString("fuse_activation", "").value_or("");
    double bound = threshold;
    if (act == "relu6") bound = std::min(bound, op.GetFloat("fuse_alpha", 6.0).value_or(6.0));
    else if (act != "relu") return;
    op.SetAttr("fuse_activation", ir::Attribute::String("relu6"));
    op.SetAttr("fuse_alpha", ir::Attribute::Float(static_cast<float>(bound)));
  }

  // The roundings training did before the residual add and before the fused relu (signed 8-bit
  // quantizers, per tensor), where they differ from the output's own rounding.
  static void SetTrainingRoundings(ir::Op& op, PassContext& ctx, bool int8_residual,
                                   const std::optional<ir::QuantScale>& out) {
    auto kernel_scale = [](ir::QuantScale q) {
      q.is_unsigned = false;
      q.signed_grid = false;
      return ir::Attribute::Float(KernelScale(q));
    };
    auto res = ctx.pre_residual_scales().find(op.id());
    if (ctx.options().round_residual_inputs && int8_residual && res != ctx.pre_residual_scales().end() &&
        res->second.scales.size() == 1) {
      op.SetAttr("Scale_pre_residual", kernel_scale(res->second));
      ctx.Count("pre_residual_roundings");
    }
    auto act = ctx.pre_activation_scales().find(op.id());
    if (ctx.options().double_rounding && act != ctx.pre_activation_scales().end() && act->second.scales.size() == 1 &&
        !(out && act->second == *out)) {
      op.SetAttr("Scale_pre_activation", kernel_scale(act->second));
      ctx.Count("pre_activation_roundings");
    }
  }

  static bool QuantizeConv(ir::Program& p, ir::Op& op, PassContext& ctx, std::string* why) {
    const ir::QuantScale *qi, *qw;
    if (!Require(p, op.Input("Input"), "input", &qi, why) || !Require(p, op.Input("Filter"), "filter", &qw, why))
      return false;
    const ir::QuantScale* qo = VarScale(p, op.Output("Output"));
    const ir::QuantScale* qr = op.HasInput("ResidualData") ? VarScale(p, op.Input("ResidualData")) : nullptr;
    // An s8 residual under a u8 output is fine (the sum post-op reads it as s8); not the reverse.
    bool int8_residual = qr != nullptr && qo != nullptr && (!qr->is_unsigned || qo->is_unsigned) &&
                         !ctx.fp32_residual_convs().count(op.id());
    if (op.HasInput("ResidualData") && !int8_residual) {
      ctx.AddRemark(op, "residual added in FP32 (training did not quantize it, it has no scale, or it is u8 "
                        "under an s8 output)");
      qo = nullptr;  // the sum happens in FP32, so the output is FP32
    }
    const ir::QuantScale in = *qi, w = *qw;
    const std::optional<ir::QuantScale> r = int8_residual ? std::optional(*qr) : std::nullopt;
    const std::optional<ir::QuantScale> out = qo ? std::optional(*qo) : std::nullopt;
    SetTrainingRoundings(op, ctx, r.has_value(), out);
    if (out && out->is_unsigned && out->signed_grid) ClipAtThreshold(op, 1.0 / out->scales.at(0));
    op.SetAttr("Scale_in", ir::Attribute::Float(QuantizeInput(p, op, "Input", 0, in)));
    op.SetAttr("Scale_weights", ir::Attribute::Floats(WeightScales(w)));
    if (r) op.SetAttr("Scale_in_eltwise", ir::Attribute::Float(QuantizeInput(p, op, "ResidualData", 0, *r)));
    if (out) {
      op.SetAttr("Scale_out", ir::Attribute::Float(DequantizeOutput(p, op, "Output", *out)));
      op.SetAttr("force_fp32_output", ir::Attribute::Bool(false));
    } else {
      op.SetAttr("force_fp32_output", ir::Attribute::Bool(true));
    }
    return true;
  }

  static bool QuantizeFc(ir::Program& p, ir::Op& op, std::string* why) {
    const ir::QuantScale *qi, *qw;
    if (!Require(p, op.Input("Input"), "input", &qi, why) || !Require(p, op.Input("W"), "weight", &qw, why))
      return false;
    const ir::QuantScale in = *qi, w = *qw;
    const ir::QuantScale* qo = VarScale(p, op.Output("Out"));
    const std::optional<ir::QuantScale> out = qo ? std::optional(*qo) : std::nullopt;
    op.SetAttr("Scale_in", ir::Attribute::Float(QuantizeInput(p, op, "Input", 0, in)));
    op.SetAttr("Scale_weights", ir::Attribute::Floats(WeightScales(w)));
    if (out) {
      op.SetAttr("Scale_out", ir::Attribute::Float(DequantizeOutput(p, op, "Out", *out)));
      op.SetAttr("force_fp32_output", ir::Attribute::Bool(false));
    } else {
      op.SetAttr("force_fp32_output", ir::Attribute::Bool(true));
    }
    return true;
  }

  static bool HasInt8Neighbour(const ir::Program& p, const ir::Op& op) {
    ir::GraphIndex index(p);
    const ir::Op* producer = index.Producer(op.Input("X"));
    if (producer != nullptr && producer->type() == "dequantize") return true;
    for (const ir::Op* reader : index.Consumers(op.Output("Out")))
      if (reader->GetString("mkldnn_data_type", "").value_or("") == "int8") return true;
    return false;
  }

  static bool QuantizePassThrough(ir::Program& p, ir::Op& op, std::string* why) {
    const ir::QuantScale *qx, *qo;
    if (!Require(p, op.Input("X"), "input", &qx, why) || !Require(p, op.Output("Out"), "output", &qo, why))
      return false;
    if (!(*qx == *qo)) {
      *why = "input and output scales differ";
      return false;
    }
    if (op.type() != "pool2d" && !HasInt8Neighbour(p, op)) {
      *why = "no INT8 neighbour: quantizing it alone would only add conversions";
      return false;
    }
    const ir::QuantScale q = *qx;
    QuantizeInput(p, op, "X", 0, q);
    DequantizeOutput(p, op, "Out", q);
    return true;
  }

  static bool QuantizeConcat(ir::Program& p, ir::Op& op, std::string* why) {
    const ir::QuantScale* qo;
    if (!Require(p, op.Output("Out"), "output", &qo, why)) return false;
    const ir::QuantScale q = *qo;
    for (size_t i = 0; i < op.Inputs("X").size(); ++i) QuantizeInput(p, op, "X", i, q);
    DequantizeOutput(p, op, "Out", q);
    return true;
  }

  static bool QuantizeAdd(ir::Program& p, ir::Op& op, std::string* why) {
    const ir::QuantScale *qx, *qy, *qo;
    if (!Require(p, op.Input("X"), "X", &qx, why) || !Require(p, op.Input("Y"), "Y", &qy, why) ||
        !Require(p, op.Output("Out"), "output", &qo, why))
      return false;
    if (qx->is_unsigned != qy->is_unsigned) {
      *why = "X and Y differ in signedness";
      return false;
    }
    const ir::Var* y = p.FindVar(op.Input("Y"));
    if (y != nullptr && y->persistable) {
      *why = "Y is a weight";
      return false;
    }
    const ir::QuantScale x = *qx, yq = *qy, out = *qo;
    op.SetAttr("Scale_x", ir::Attribute::Float(QuantizeInput(p, op, "X", 0, x)));
    op.SetAttr("Scale_y", ir::Attribute::Float(QuantizeInput(p, op, "Y", 0, yq)));
    op.SetAttr("Scale_out", ir::Attribute::Float(DequantizeOutput(p, op, "Out", out)));
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateInsertQuantDequantPass() { return std::make_unique<InsertQuantDequantPass>(); }

}  // namespace q2i::passes
