// fuse-conv-residual (Paddle: conv_elementwise_add_mkldnn_fuse_pass)
//   conv2d(Output = t) ; elementwise_add(t, r) or elementwise_add(r, t)  -> out
//   ==> conv2d(ResidualData = r, fuse_residual_connection = true) writing out (oneDNN sum post-op).
// Applies when: t has a single reader; the conv has no fused activation and no residual yet; r is not a
//   weight; both operands have the same declared dims (no broadcasting) and the add uses axis -1.
//   When both operands are such convs, the one later in program order absorbs the add. The conv is
//   moved to just before the add, so r is always computed before it.
//   When the model was fake-quantized (some input was quantized in training) but the residual input of
//   this add was not, the conv is recorded in PassContext::fp32_residual_convs(): training added the
//   residual in full precision, so the INT8 program keeps it FP32 too. When training quantized both
//   inputs, the scale of the conv's own input to the add is kept in PassContext::pre_residual_scales()
//   (the INT8 conv rounds onto it before the sum, QuantizeOptions::round_residual_inputs).
// Postcondition: such adds are gone.
#include <algorithm>

#include "ir/graph_index.h"
#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

bool Absorbable(const ir::Program& program, const ir::Op* conv, const std::string& t) {
  if (conv == nullptr || conv->type() != "conv2d") return false;
  if (conv->HasInput("ResidualData")) return false;
  if (!conv->GetString("fuse_activation", "").value_or("x").empty()) return false;
  return HasSingleUse(program, t);
}

class FuseConvResidualPass final : public Pass {
 public:
  std::string_view name() const override { return "fuse-conv-residual"; }
  std::string_view description() const override { return "Fuse a residual elementwise_add into conv2d"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (size_t i = 0; i < program.num_ops(); ++i) {
      ir::Op& add = program.op(i);
      if (add.type() != "elementwise_add") continue;
      const std::string x = add.Input("X"), y = add.Input("Y");
      const ir::Var* xv = program.FindVar(x);
      const ir::Var* yv = program.FindVar(y);
      if (xv == nullptr || yv == nullptr || xv->persistable || yv->persistable) continue;
      if (add.GetInt("axis", -1).value_or(0) != -1 || xv->dims != yv->dims || xv->dims.empty()) {
        continue;
      }
      ir::GraphIndex index(program);
      ir::Op* cx = index.Producer(x);
      ir::Op* cy = index.Producer(y);
      const bool ox = Absorbable(program, cx, x), oy = Absorbable(program, cy, y);
      if (!ox && !oy) continue;
      bool use_y = oy && (!ox || program.IndexOf(cy) > program.IndexOf(cx));
      ir::Op* conv = use_y ? cy : cx;
      const std::string& residual = use_y ? x : y;
      if (residual == (use_y ? y : x)) {
        ctx.AddRemark(add, "adds a tensor to itself: not a residual connection");
        continue;
      }
      const std::string& conv_out = use_y ? y : x;
      const auto& trained = ctx.trained_quantized_inputs();
      if (!trained.empty() && !trained.count({add.id(), residual})) {
        ctx.fp32_residual_convs().insert(conv->id());
        ctx.Count("fp32_residuals");
      } else if (const ir::Var* t = program.FindVar(conv_out); t->quant && trained.count({add.id(), conv_out})) {
        ctx.pre_residual_scales()[conv->id()] = *t->quant;
      }
      ir::Op moved = *conv;
      program.RemoveVar(moved.Output("Output"));
      moved.SetOutput("Output", {add.Output("Out")});
      moved.SetInput("ResidualData", {residual});
      moved.SetAttr("fuse_residual_connection", ir::Attribute::Bool(true));
      const int64_t add_index = program.IndexOf(&add);
      program.InsertOp(static_cast<size_t>(add_index), std::move(moved));
      program.RemoveOp(&add);
      program.RemoveOp(conv);
      ctx.Count("fused");
      changed = true;
      i = 0;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseConvResidualPass() { return std::make_unique<FuseConvResidualPass>(); }

}  // namespace q2i::passes
