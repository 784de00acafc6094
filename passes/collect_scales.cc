// collect-scales (Paddle: _gather_weight_thresholds_from_fake, _gather_input_scales_from_fake,
// _gather_output_scales_from_attr and the ONNX-format part of quant_dequant_mkldnn_pass; spec 3.2-3.4)
//   Reads every scale the fake-quant model carries, in a fixed order so that the result does not depend
//   on iteration order (Paddle iterates a Python set): first writer wins, and
//     1. weight thresholds: fake_dequantize_max_abs (T_w = 127*127/max_range) and
//        fake_channel_wise_dequantize_max_abs (T_w = Scales[0]) after a conv/mul, keyed by that op's
//        weight; dequantize_linear on a persistable weight (T_w = Scale);
//     2. activation scales from fake quantize ops (s = 1/InScale[0], for X and Out) and from
//        quantize_linear / dequantize_linear on activations (s = 1/Scale[0], for X and Y);
//     3. `out_threshold` attributes (s = 1/T for every float output of the op; 0 means "none").
//   Activation scales go to Var::quant (signed); weight thresholds to PassContext::weight_thresholds();
//   the variables a fake quantizer covered to PassContext::fake_quantized_vars().
// Errors: bit_length other than 8, a zero/negative/NaN threshold in a fake op (naming op and variable).
#include <cmath>

#include "ir/graph_index.h"
#include "passes/passes.h"
#include "passes/quant_tables.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

std::vector<double> TensorValues(const ir::Tensor& t) {
  std::vector<double> v;
  if (t.dtype() == ir::DataType::kFP32) {
    for (float x : t.values<float>()) v.push_back(x);
  } else if (t.dtype() == ir::DataType::kFP64) {
    for (double x : t.values<double>()) v.push_back(x);
  }
  return v;
}

class CollectScalesPass final : public Pass {
 public:
  std::string_view name() const override { return "collect-scales"; }
  std::string_view description() const override { return "Gather weight thresholds and activation scales"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    ir::GraphIndex index(program);
    bool changed = false;
    Q2I_RETURN_IF_ERROR(CollectWeightThresholds(program, index, ctx));
    for (const auto& op : program.ops()) {
      Q2I_ASSIGN_OR_RETURN(bool c, CollectActivationScales(program, *op, ctx));
      changed |= c;
    }
    for (const auto& op : program.ops()) {
      Q2I_ASSIGN_OR_RETURN(bool c, CollectOutThreshold(program, *op, ctx));
      changed |= c;
    }
    return changed;
  }

 private:
  static Status CollectWeightThresholds(const ir::Program& program, const ir::GraphIndex& index, PassContext& ctx) {
    auto& thresholds = ctx.weight_thresholds();
    for (const auto& op : program.ops()) {
      std::vector<double> t;
      std::string weight;
      if (IsFakeDequantOp(op->type())) {
        const ir::Op* producer = index.Producer(op->Input("X"));
        WeightSlot ws;
        if (producer == nullptr || !WeightSlotOf(producer->type(), &ws)) continue;
        weight = producer->Input(ws.slot);
        if (const ir::Attribute* mr = op->FindAttr("max_range")) {
          Q2I_ASSIGN_OR_RETURN(double max_range, mr->AsFloat());
          if (!(max_range > 0) || !std::isfinite(max_range))
            return InvalidModel(op->DebugName(), ": max_range ", max_range, " is not a positive number");
          t = {127.0 * 127.0 / max_range};
        } else {
          const auto& scales = op->Inputs("Scales");
          const ir::Tensor* s = scales.empty() ? nullptr : program.FindParam(scales[0]);
          if (s == nullptr) return InvalidModel(op->DebugName(), ": Scales[0] is not a weight with data");
          t = TensorValues(*s);
        }
      } else if (op->type() == "dequantize_linear") {
        const ir::Var* x = program.FindVar(op->Input("X"));
        if (x == nullptr || !x->persistable) continue;
        weight = x->name;
        const ir::Tensor* s = program.FindParam(op->Input("Scale"));
        if (s == nullptr) return InvalidModel(op->DebugName(), ": Scale is not a weight with data");
        t = TensorValues(*s);
      } else {
        continue;
      }
      for (double v : t)
        if (!std::isfinite(v) || v < 0)
          return InvalidModel(op->DebugName(), ": weight threshold ", v, " for '", weight, "' is invalid");
      if (!weight.empty() && !thresholds.count(weight)) {
        thresholds[weight] = std::move(t);
        ctx.Count("weight_thresholds");
      }
    }
    return OkStatus();
  }

  static bool SetIfAbsent(ir::Program& program, const std::string& name, double scale) {
    ir::Var* v = program.FindVar(name);
    if (v == nullptr || v->quant) return false;
    v->quant = ir::QuantScale{{scale}, false};
    return true;
  }

  static StatusOr<bool> CollectActivationScales(ir::Program& program, const ir::Op& op, PassContext& ctx) {
    std::string scale_var, out_slot;
    if (IsInputScaleFakeOp(op.type())) {
      Q2I_ASSIGN_OR_RETURN(int64_t bits, op.GetInt("bit_length", 8));
      if (bits != 8) return Unsupported(op.DebugName(), ": bit_length ", bits, " (only 8-bit quantization)");
      scale_var = op.Input("InScale");
      out_slot = "Out";
    } else if (op.type() == "quantize_linear" || op.type() == "dequantize_linear") {
      const ir::Var* x = program.FindVar(op.Input("X"));
      if (x != nullptr && x->persistable) return false;  // a weight: handled as a threshold
      Q2I_ASSIGN_OR_RETURN(int64_t bits, op.GetInt("bit_length", 8));
      if (bits != 8) return Unsupported(op.DebugName(), ": bit_length ", bits, " (only 8-bit quantization)");
      scale_var = op.Input("Scale");
      out_slot = "Y";
    } else {
      return false;
    }
    const ir::Tensor* t = program.FindParam(scale_var);
    if (t == nullptr || t->numel() < 1 || TensorValues(*t).empty())
      return InvalidModel(op.DebugName(), ": scale variable '", scale_var, "' has no float data");
    Q2I_ASSIGN_OR_RETURN(double s, ScaleFromThreshold(TensorValues(*t)[0], op.DebugName() + " scale '" + scale_var + "'"));
    bool changed = SetIfAbsent(program, op.Input("X"), s);
    changed |= SetIfAbsent(program, op.Output(out_slot), s);
    ctx.fake_quantized_vars().insert(op.Input("X"));
    ctx.fake_quantized_vars().insert(op.Output(out_slot));
    if (changed) ctx.Count("activation_scales");
    return changed;
  }

  static StatusOr<bool> CollectOutThreshold(ir::Program& program, const ir::Op& op, PassContext& ctx) {
    const ir::Attribute* a = op.FindAttr("out_threshold");
    if (a == nullptr) return false;
    Q2I_ASSIGN_OR_RETURN(double t, a->AsFloat());
    if (t == 0.0) return false;
    Q2I_ASSIGN_OR_RETURN(double s, ScaleFromThreshold(t, op.DebugName() + " out_threshold"));
    bool changed = false;
    for (const auto& name : op.OutputNames()) {
      const ir::Var* v = program.FindVar(name);
      if (v == nullptr || !v->dtype || *v->dtype != ir::DataType::kFP32 || v->persistable) continue;
      if (SetIfAbsent(program, name, s)) {
        changed = true;
        ctx.Count("out_thresholds");
      }
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateCollectScalesPass() { return std::make_unique<CollectScalesPass>(); }

}  // namespace q2i::passes
