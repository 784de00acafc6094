// remove-dropout (Paddle: simplify_with_basic_ops_pass)
//   Inference dropout is an identity (dropout_implementation "upscale_in_train") or a multiplication by
//   1 - dropout_prob ("downgrade_in_infer", the default). The first is removed (consumers read X), the
//   second becomes a `scale` op.
// Postcondition: no dropout op.
#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

class RemoveDropoutPass final : public Pass {
 public:
  std::string_view name() const override { return "remove-dropout"; }
  std::string_view description() const override { return "Replace inference dropout by identity or scale"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    std::vector<const ir::Op*> doomed;
    bool changed = false;
    for (const auto& op : program.ops()) {
      if (op->type() != "dropout") continue;
      Q2I_ASSIGN_OR_RETURN(std::string impl, op->GetString("dropout_implementation", "downgrade_in_infer"));
      Q2I_ASSIGN_OR_RETURN(double p, op->GetFloat("dropout_prob", 0.5));
      if (impl == "upscale_in_train") {
        ReplaceAllUses(program, op->Output("Out"), op->Input("X"));
        doomed.push_back(op.get());
        ctx.Count("removed");
        continue;
      }
      ir::Op scale("scale");
      scale.SetInput("X", {op->Input("X")});
      scale.SetOutput("Out", {op->Output("Out")});
      scale.SetAttr("scale", ir::Attribute::Float(static_cast<float>(1.0 - p)));
      scale.SetAttr("bias", ir::Attribute::Float(0.0f));
      scale.SetAttr("bias_after_scale", ir::Attribute::Bool(true));
      scale.set_id(op->id());
      *op = std::move(scale);
      ctx.Count("to_scale");
      changed = true;
    }
    for (const ir::Op* op : doomed) program.RemoveOp(op);
    return changed || !doomed.empty();
  }
};

}  // namespace

std::unique_ptr<Pass> CreateRemoveDropoutPass() { return std::make_unique<RemoveDropoutPass>(); }

}  // namespace q2i::passes
