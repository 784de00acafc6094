// fuse-conv-activation (Paddle: conv_relu / conv_relu6 / conv_swish / conv_hard_swish /
// conv_activation_mkldnn_fuse_pass, conv_transpose_eltwiseadd_bn_fuse_pass's activation)
//   conv2d|conv2d_transpose(Output = t, fuse_activation = "") -> act(X = t) -> out
//   ==> the same op with fuse_activation = act, fuse_alpha, fuse_beta, writing out (oneDNN eltwise
//   post-op, after the residual sum when there is one).
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
  std::string_view description() const override { return "Fuse an activation into conv2d or conv2d_transpose"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    const auto fuse = [](ir::Op& conv, const FusedActivation& f) {
      conv.SetAttr("fuse_activation", ir::Attribute::String(f.type));
      conv.SetAttr("fuse_alpha", ir::Attribute::Float(f.alpha));
      conv.SetAttr("fuse_beta", ir::Attribute::Float(f.beta));
      return true;
    };
    Q2I_ASSIGN_OR_RETURN(bool conv, FuseActivationsInto(program, ctx, "conv2d", "Output", "fuse_activation", fuse));
    Q2I_ASSIGN_OR_RETURN(bool deconv,
                         FuseActivationsInto(program, ctx, "conv2d_transpose", "Output", "fuse_activation", fuse));
    return conv || deconv;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseConvActivationPass() { return std::make_unique<FuseConvActivationPass>(); }

}  // namespace q2i::passes
