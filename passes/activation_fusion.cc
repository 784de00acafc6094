#include "passes/activation_fusion.h"

#include <cmath>

#include "ir/graph_index.h"
#include "passes/quant_tables.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {

StatusOr<FusedActivation> DescribeActivation(const ir::Op& act, std::string* why) {
  FusedActivation f;
  const std::string& t = act.type();
  if (t == "relu" || t == "sigmoid" || t == "tanh") {
    f.type = t;
  } else if (t == "relu6") {
    Q2I_ASSIGN_OR_RETURN(double th, act.GetFloat("threshold", 6.0));
    f = {t, static_cast<float>(th), 0};
  } else if (t == "leaky_relu") {
    Q2I_ASSIGN_OR_RETURN(double a, act.GetFloat("alpha", 0.02));
    f = {t, static_cast<float>(a), 0};
  } else if (t == "swish") {
    Q2I_ASSIGN_OR_RETURN(double b, act.GetFloat("beta", 1.0));
    f = {t, static_cast<float>(b), 0};
  } else if (t == "hard_swish") {
    Q2I_ASSIGN_OR_RETURN(double th, act.GetFloat("threshold", 6.0));
    Q2I_ASSIGN_OR_RETURN(double sc, act.GetFloat("scale", 6.0));
    Q2I_ASSIGN_OR_RETURN(double off, act.GetFloat("offset", 3.0));
    if (std::abs(th - 6) > 1e-6 || std::abs(sc - 6) > 1e-6 || std::abs(off - 3) > 1e-6) {
      *why = "hard_swish with non-default threshold/scale/offset";
      return FusedActivation{};
    }
    f.type = t;
  } else if (t == "hard_sigmoid") {
    Q2I_ASSIGN_OR_RETURN(double slope, act.GetFloat("slope", 0.2));
    Q2I_ASSIGN_OR_RETURN(double offset, act.GetFloat("offset", 0.5));
    f = {t, static_cast<float>(slope), static_cast<float>(offset)};
  } else {
    *why = "not a fusable activation";
  }
  return f;
}

StatusOr<bool> FuseActivationsInto(ir::Program& program, PassContext& ctx, const std::string& producer_type,
                                   const std::string& out_slot, const std::string& activation_attr,
                                   const std::function<bool(ir::Op&, const FusedActivation&)>& fuse) {
  bool changed = false;
  for (size_t i = 0; i < program.num_ops(); ++i) {
    ir::Op& act = program.op(i);
    if (!IsFusableActivation(act.type())) continue;
    ir::GraphIndex index(program);
    ir::Op* producer = index.Producer(act.Input("X"));
    if (producer == nullptr || producer->type() != producer_type) continue;
    if (!producer->GetString(activation_attr, "").value_or("x").empty()) continue;
    if (!HasSingleUse(program, act.Input("X"))) {
      ctx.AddRemark(act, producer_type + " output '" + act.Input("X") + "' has other readers");
      continue;
    }
    std::string why;
    Q2I_ASSIGN_OR_RETURN(FusedActivation f, DescribeActivation(act, &why));
    if (f.type.empty() || !fuse(*producer, f)) {
      ctx.AddRemark(act, why.empty() ? producer_type + " cannot fuse " + act.type() + " with these attributes" : why);
      continue;
    }
    // Training quantized the pre-activation tensor and then the activation's output again: remember
    // the first scale (relu-like activations commute with it) so the INT8 op can round twice as well.
    const ir::Var* pre = program.FindVar(producer->Output(out_slot));
    if (pre != nullptr && pre->quant && ctx.fake_quantized_vars().count(pre->name) &&
        (f.type == "relu" || f.type == "relu6")) {
      ctx.pre_activation_scales()[producer->id()] = *pre->quant;
    }
    program.RemoveVar(producer->Output(out_slot));
    producer->SetOutput(out_slot, {act.Output("Out")});
    program.RemoveOp(&act);
    --i;
    ctx.Count("fused_" + f.type);
    changed = true;
  }
  return changed;
}

}  // namespace q2i::passes
