// propagate-scales (Paddle: _propagate_scales / compute_propagate_scales_mkldnn_pass, spec 3.10)
//   First, until nothing changes (at most 16 rounds):
//   - scale-preserving ops (transpose2, reshape2, pool2d, slice, split, nearest_interp(_v2), flatten*,
//     (un)squeeze2): the input's scale is copied to the output (overwriting it, so INT8 data passes
//     through unchanged); without one, the output's scale is copied back to the input;
//   - scale (bias 0): the input gets s_out * scale when it has none.
//   Then, once: concat inputs take the concat output's scale, so inputs and output share one quantized
//   domain (done last so it cannot oscillate with the copies above; a scale-preserving op whose two
//   sides then differ stays FP32 in insert-quant-dequant).
//   Reports a change only when some variable's scale differs from before the pass.
// Postcondition: scales exist on both sides of every scale-preserving op that had one on either side.
#include <map>
#include <optional>

#include "passes/passes.h"
#include "passes/quant_tables.h"

namespace q2i::passes {
namespace {

bool Assign(ir::Program& program, const std::string& name, const ir::QuantScale& q) {
  ir::Var* v = program.FindVar(name);
  if (v == nullptr || v->persistable || (v->quant && *v->quant == q)) return false;
  v->quant = q;
  return true;
}

const ir::QuantScale* ScaleOf(const ir::Program& program, const std::string& name) {
  const ir::Var* v = program.FindVar(name);
  return (v != nullptr && v->quant) ? &*v->quant : nullptr;
}

class PropagateScalesPass final : public Pass {
 public:
  std::string_view name() const override { return "propagate-scales"; }
  std::string_view description() const override { return "Propagate scales through scale-preserving ops"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    std::map<std::string, std::optional<ir::QuantScale>> before;
    for (const auto& [name, v] : program.vars()) before[name] = v.quant;
    for (int round = 0; round < 16; ++round) {
      Q2I_ASSIGN_OR_RETURN(bool changed, PropagateOnce(program));
      if (!changed) break;
      ctx.Count("rounds");
    }
    for (const auto& op : program.ops()) {
      if (op->type() != "concat") continue;
      if (const ir::QuantScale* q = ScaleOf(program, op->Output("Out"))) {
        ir::QuantScale copy = *q;
        for (const std::string& in : op->Inputs("X")) Assign(program, in, copy);
      }
    }
    bool changed = false;
    for (const auto& [name, v] : program.vars()) {
      auto it = before.find(name);
      if (it == before.end() || it->second != v.quant) {
        changed = true;
        ctx.Count("scales_set");
      }
    }
    return changed;
  }

 private:
  static StatusOr<bool> PropagateOnce(ir::Program& program) {
    bool changed = false;
    for (const auto& op : program.ops()) {
      std::string in_slot, out_slot;
      if (IsScalePreservingOp(op->type(), &in_slot, &out_slot)) {
        const std::string in = op->Input(in_slot);
        for (const std::string& out : op->Outputs(out_slot)) {
          if (const ir::QuantScale* q = ScaleOf(program, in)) {
            ir::QuantScale copy = *q;
            changed |= Assign(program, out, copy);
          } else if (const ir::QuantScale* q2 = ScaleOf(program, out)) {
            ir::QuantScale copy = *q2;
            changed |= Assign(program, in, copy);
          }
        }
      } else if (op->type() == "scale") {
        const ir::QuantScale* q = ScaleOf(program, op->Output("Out"));
        if (q == nullptr || ScaleOf(program, op->Input("X")) != nullptr) continue;
        Q2I_ASSIGN_OR_RETURN(double bias, op->GetFloat("bias", 0.0));
        Q2I_ASSIGN_OR_RETURN(double scale, op->GetFloat("scale", 1.0));
        if (bias != 0.0 || scale <= 0.0) continue;
        ir::QuantScale in_q = *q;
        for (double& s : in_q.scales) s *= scale;
        changed |= Assign(program, op->Input("X"), in_q);
      }
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreatePropagateScalesPass() { return std::make_unique<PropagateScalesPass>(); }

}  // namespace q2i::passes
