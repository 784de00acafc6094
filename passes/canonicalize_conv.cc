// canonicalize-conv (Paddle: _update_activations + depthwise_conv_mkldnn_pass, spec 3.7)
//   depthwise_conv2d becomes conv2d (grouped; same attributes), and the legacy activation flags become
//   `fuse_activation`: fuse_relu -> "relu", fuse_brelu -> "relu6" with fuse_alpha =
//   fuse_brelu_threshold (default 6). Convs without any get fuse_activation = "".
// Postcondition: no depthwise_conv2d; every conv2d has a string `fuse_activation`.
#include "passes/passes.h"

namespace q2i::passes {
namespace {

class CanonicalizeConvPass final : public Pass {
 public:
  std::string_view name() const override { return "canonicalize-conv"; }
  std::string_view description() const override { return "depthwise_conv2d -> conv2d; legacy activation flags"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (const auto& op : program.ops()) {
      if (op->type() == "depthwise_conv2d") {
        op->set_type("conv2d");
        ctx.Count("depthwise_to_conv2d");
        changed = true;
      }
      if (op->type() != "conv2d" || op->HasAttr("fuse_activation")) continue;
      Q2I_ASSIGN_OR_RETURN(bool relu, op->GetBool("fuse_relu", false));
      Q2I_ASSIGN_OR_RETURN(bool brelu, op->GetBool("fuse_brelu", false));
      if (relu) {
        op->SetAttr("fuse_activation", ir::Attribute::String("relu"));
      } else if (brelu) {
        Q2I_ASSIGN_OR_RETURN(double t, op->GetFloat("fuse_brelu_threshold", 6.0));
        op->SetAttr("fuse_activation", ir::Attribute::String("relu6"));
        op->SetAttr("fuse_alpha", ir::Attribute::Float(static_cast<float>(t)));
      } else {
        op->SetAttr("fuse_activation", ir::Attribute::String(""));
      }
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateCanonicalizeConvPass() { return std::make_unique<CanonicalizeConvPass>(); }

}  // namespace q2i::passes
