// fuse-conv-activation (Paddle: conv_relu / conv_relu6 / conv_swish / conv_hard_swish /
// conv_activation_mkldnn_fuse_pass)
//   conv2d(Output = t, fuse_activation = "") -> act(X = t) -> out
//   ==> conv2d(fuse_activation = act, fuse_alpha, fuse_beta) writing out (oneDNN eltwise post-op,
//   after the residual sum when there is one).
//   act: relu, relu6 (alpha = threshold), leaky_relu (alpha), swish (alpha = beta), hard_swish
//   (default attributes only), hard_sigmoid (alpha = slope, beta = offset), sigmoid, tanh.
// Applies when: t has a single reader.
// Postcondition: such activation ops are gone.
#include "ir/graph_index.h"
#include "passes/activation_fusion.h"
#include "passes/passes.h"
#include "passes/quant_tables.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

class FuseConvActivationPass final : public Pass {
 public:
  std::string_view name() const override { return "fuse-conv-activation"; }
  std::string_view description() const override { return "Fuse an activation into conv2d"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (size_t i = 0; i < program.num_ops(); ++i) {
      ir::Op& act = program.op(i);
      if (!IsFusableActivation(act.type())) continue;
      ir::GraphIndex index(program);
      ir::Op* conv = index.Producer(act.Input("X"));
      if (conv == nullptr || conv->type() != "conv2d") continue;
      if (!conv->GetString("fuse_activation", "").value_or("x").empty()) continue;
      if (!HasSingleUse(program, act.Input("X"))) {
        ctx.AddRemark(act, "conv output '" + act.Input("X") + "' has other readers");
        continue;
      }
      std::string why;
      Q2I_ASSIGN_OR_RETURN(FusedActivation f, DescribeActivation(act, &why));
      if (f.type.empty()) {
        ctx.AddRemark(act, why);
        continue;
      }
      conv->SetAttr("fuse_activation", ir::Attribute::String(f.type));
      conv->SetAttr("fuse_alpha", ir::Attribute::Float(f.alpha));
      conv->SetAttr("fuse_beta", ir::Attribute::Float(f.beta));
      program.RemoveVar(conv->Output("Output"));
      conv->SetOutput("Output", {act.Output("Out")});
      program.RemoveOp(&act);
      --i;
      ctx.Count("fused_" + f.type);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseConvActivationPass() { return std::make_unique<FuseConvActivationPass>(); }

}  // namespace q2i::passes
