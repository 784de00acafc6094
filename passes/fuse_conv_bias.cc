// fuse-conv-bias (Paddle: conv_bias_mkldnn_fuse_pass)
//   conv2d(Output = t) -> elementwise_add(X = t, Y = per-channel weight b, axis = 1)
//   ==> conv2d(Bias = existing Bias + b) writing the add's output.
// Applies when: t has a single reader; b is a float32 weight with 1 or C values; the add broadcasts
//   along the channel axis (axis 1 of NCHW).
// Postcondition: such adds are gone; the conv carries the bias.
#include "ir/graph_index.h"
#include "passes/conv_folding.h"
#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

class FuseConvBiasPass final : public Pass {
 public:
  std::string_view name() const override { return "fuse-conv-bias"; }
  std::string_view description() const override { return "Fold a per-channel elementwise_add into conv Bias"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (size_t i = 0; i < program.num_ops(); ++i) {
      ir::Op& add = program.op(i);
      if (add.type() != "elementwise_add") continue;
      ir::GraphIndex index(program);
      ir::Op* conv = index.Producer(add.Input("X"));
      const ir::Var* y = program.FindVar(add.Input("Y"));
      if (conv == nullptr || conv->type() != "conv2d" || y == nullptr || !y->persistable) continue;
      if (!HasSingleUse(program, add.Input("X"))) {
        ctx.AddRemark(add, "conv output '" + add.Input("X") + "' has other readers: bias not fused");
        continue;
      }
      Q2I_ASSIGN_OR_RETURN(int64_t axis, add.GetInt("axis", -1));
      Q2I_ASSIGN_OR_RETURN(const ir::Tensor* w, Fp32Param(program, *conv, conv->Input("Filter")));
      Q2I_ASSIGN_OR_RETURN(const ir::Tensor* b, Fp32Param(program, add, add.Input("Y")));
      const int64_t channels = w->dims().empty() ? 0 : w->dims()[0];
      if (axis != 1 && !(b->numel() == 1 && b->dims().size() == 1)) {
        ctx.AddRemark(add, "bias does not broadcast along the channel axis (axis " + std::to_string(axis) + ")");
        continue;
      }
      Q2I_ASSIGN_OR_RETURN(auto extra, PerChannel(*b, channels, (add.DebugName() + " Y").c_str()));
      std::vector<double> bias(static_cast<size_t>(channels), 0.0);
      if (conv->HasInput("Bias")) {
        Q2I_ASSIGN_OR_RETURN(const ir::Tensor* old, Fp32Param(program, *conv, conv->Input("Bias")));
        Q2I_ASSIGN_OR_RETURN(bias, PerChannel(*old, channels, (conv->DebugName() + " Bias").c_str()));
      }
      ir::Tensor fused(ir::DataType::kFP32, {channels});
      for (int64_t c = 0; c < channels; ++c)
        fused.data<float>()[c] = static_cast<float>(bias[static_cast<size_t>(c)] + extra[static_cast<size_t>(c)]);
      if (conv->HasInput("Bias")) {
        conv->SetInput("Bias", {ReplaceWeight(program, *conv, conv->Input("Bias"), std::move(fused))});
      } else {
        conv->SetInput("Bias", {ReplaceWeight(program, add, add.Input("Y"), std::move(fused))});
      }
      program.RemoveVar(conv->Output("Output"));
      conv->SetOutput("Output", {add.Output("Out")});
      program.RemoveOp(&add);
      --i;
      ctx.Count("fused");
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseConvBiasPass() { return std::make_unique<FuseConvBiasPass>(); }

}  // namespace q2i::passes
