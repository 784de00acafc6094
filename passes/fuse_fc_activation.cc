// fuse-fc-activation (Paddle: fc_fuse_pass with relu, fc_act_onednn_fuse_pass)
//   fc(Out = t, activation_type = "") -> act(X = t) ==> fc(activation_type = act) writing act's output.
//   act: relu, sigmoid, tanh, swish (beta 1), hard_swish (default attributes), relu6 (threshold 6).
// Applies when: t has a single reader.
// Postcondition: such activation ops are gone.
#include "ir/graph_index.h"
#include "passes/activation_fusion.h"
#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

bool FcSupports(const FusedActivation& f) {
  if (f.type == "relu" || f.type == "sigmoid" || f.type == "tanh" || f.type == "hard_swish") return true;
  if (f.type == "swish") return f.alpha == 1.0f;
  if (f.type == "relu6") return f.alpha == 6.0f;
  return false;
}

class FuseFcActivationPass final : public Pass {
 public:
  std::string_view name() const override { return "fuse-fc-activation"; }
  std::string_view description() const override { return "Fuse an activation into fc"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (size_t i = 0; i < program.num_ops(); ++i) {
      ir::Op& act = program.op(i);
      ir::GraphIndex index(program);
      ir::Op* fc = index.Producer(act.Input("X"));
      if (fc == nullptr || fc->type() != "fc" || !fc->GetString("activation_type", "").value_or("x").empty()) continue;
      std::string why;
      Q2I_ASSIGN_OR_RETURN(FusedActivation f, DescribeActivation(act, &why));
      if (f.type.empty() || !FcSupports(f)) continue;
      if (!HasSingleUse(program, act.Input("X"))) {
        ctx.AddRemark(act, "fc output has other readers");
        continue;
      }
      fc->SetAttr("activation_type", ir::Attribute::String(f.type));
      program.RemoveVar(fc->Output("Out"));
      fc->SetOutput("Out", {act.Output("Out")});
      program.RemoveOp(&act);
      --i;
      ctx.Count("fused_" + f.type);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseFcActivationPass() { return std::make_unique<FuseFcActivationPass>(); }

}  // namespace q2i::passes
