// fuse-conv-activation (Paddle: conv_relu / conv_relu6 / conv_swish / conv_hard_swish /
// conv_activation_mkldnn_fuse_pass)
//   conv2d(Output = t, fuse_activation = "") -> act(X = t) -> out
//   ==> conv2d(fuse_activation = act, fuse_alpha, fuse_beta) writing out (oneDNN eltwise post-op,
//   after the residual sum when there is one).
//   act: relu, relu6 (alpha = threshold), leaky_relu (alpha), swish (alpha = beta), hard_swish
//   (default attributes only), hard_sigmoid (alpha = slope, beta = offset), sigmoid, tanh.
// Applies when: t has a single reader.
// Postcondition: such activation ops are gone.
#include "passes/activation_fusion.h"
#include "passes/passes.h"

namespace q2i::passes {
namespace {

class FuseConvActivationPass final : public Pass {
 public:
  std::string_view name() const override { return "fuse-conv-activation"; }
  std::string_view description() const override { return "Fuse an activation into conv2d"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    return FuseActivationsInto(program, ctx, "conv2d", "Output", "fuse_activation",
                               [](ir::Op& conv, const FusedActivation& f) {
                                 conv.SetAttr("fuse_activation", ir::Attribute::String(f.type));
                                 conv.SetAttr("fuse_alpha", ir::Attribute::Float(f.alpha));
                                 conv.SetAttr("fuse_beta", ir::Attribute::Float(f.beta));
                                 return true;
                               });
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseConvActivationPass() { return std::make_unique<FuseConvActivationPass>(); }

}  // namespace q2i::passes
