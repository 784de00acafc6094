// fuse-fc-activation (Paddle: fc_fuse_pass with relu, fc_act_onednn_fuse_pass)
//   fc(Out = t, activation_type = "") -> act(X = t) ==> fc(activation_type = act) writing act's output.
//   act: relu, sigmoid, tanh, swish (beta 1), hard_swish (default attributes), relu6 (threshold 6).
// Applies when: t has a single reader.
// Postcondition: such activation ops are gone.
#include "passes/activation_fusion.h"
#include "passes/passes.h"

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
    return FuseActivationsInto(program, ctx, "fc", "Out", "activation_type",
                               [](ir::Op& fc, const FusedActivation& f) {
                                 if (!FcSupports(f)) return false;
                                 fc.SetAttr("activation_type", ir::Attribute::String(f.type));
                                 return true;
                               });
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseFcActivationPass() { return std::make_unique<FuseFcActivationPass>(); }

}  // namespace q2i::passes
