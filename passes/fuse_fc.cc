// fuse-fc (Paddle: fc_fuse_pass; gpu_cpu_map_matmul(_v2)_to_mul_pass for the matmul forms)
//   mul(X, Y = weight [K, N], x_num_col_dims = d, y_num_col_dims = 1)
//   or matmul(X, Y = weight [K, N], no transpose, alpha 1) / matmul_v2(X, Y = weight [K, N], no transpose)
//   followed by elementwise_add(Out, bias [N]) ==> fc(Input = X, W = Y, Bias = bias, in_num_col_dims = d,
//   activation_type = "") writing the add's output. For the matmul forms d = rank(X) - 1.
// Applies when: the product has a single reader; the weight is a rank-2 float32 weight; the bias has N
//   values and broadcasts along the last axis (axis -1 or d).
// Postcondition: such mul/matmul + add pairs are fc ops.
#include "ir/graph_index.h"
#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

// The in_num_col_dims of the fc that `op` becomes, or -1 with `why` when it cannot become one.
StatusOr<int64_t> FcColumns(const ir::Program& program, const ir::Op& op, std::string* why) {
  const ir::Tensor* w = program.FindParam(op.Input("Y"));
  if (w == nullptr || w->dims().size() != 2 || w->dtype() != ir::DataType::kFP32) {
    *why = "Y is not a rank-2 float32 weight";
    return -1;
  }
  if (op.type() == "mul") {
    Q2I_ASSIGN_OR_RETURN(int64_t ycols, op.GetInt("y_num_col_dims", 1));
    if (ycols != 1) {
      *why = "y_num_col_dims != 1";
      return -1;
    }
    return op.GetInt("x_num_col_dims", 1);
  }
  const bool v2 = op.type() == "matmul_v2";
  Q2I_ASSIGN_OR_RETURN(bool tx, op.GetBool(v2 ? "trans_x" : "transpose_X", false));
  Q2I_ASSIGN_OR_RETURN(bool ty, op.GetBool(v2 ? "trans_y" : "transpose_Y", false));
  Q2I_ASSIGN_OR_RETURN(double alpha, op.GetFloat("alpha", 1.0));
  if (tx || ty || alpha != 1.0) {
    *why = "transposed or scaled matmul";
    return -1;
  }
  const ir::Var* x = program.FindVar(op.Input("X"));
  if (x == nullptr || x->dims.size() < 2) {
    *why = "rank of X unknown";
    return -1;
  }
  return static_cast<int64_t>(x->dims.size()) - 1;
}

class FuseFcPass final : public Pass {
 public:
  std::string_view name() const override { return "fuse-fc"; }
  std::string_view description() const override { return "mul/matmul + bias add -> fc"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (size_t i = 0; i < program.num_ops(); ++i) {
      ir::Op& add = program.op(i);
      if (add.type() != "elementwise_add") continue;
      ir::GraphIndex index(program);
      ir::Op* mm = index.Producer(add.Input("X"));
      if (mm == nullptr || (mm->type() != "mul" && mm->type() != "matmul" && mm->type() != "matmul_v2")) continue;
      const ir::Tensor* bias = program.FindParam(add.Input("Y"));
      if (bias == nullptr) continue;
      std::string why;
      Q2I_ASSIGN_OR_RETURN(int64_t cols, FcColumns(program, *mm, &why));
      if (cols < 0) {
        ctx.AddRemark(*mm, why);
        continue;
      }
      const int64_t n = program.FindParam(mm->Input("Y"))->dims()[1];
      Q2I_ASSIGN_OR_RETURN(int64_t axis, add.GetInt("axis", -1));
      if (bias->numel() != n || (axis != -1 && axis != cols) || !HasSingleUse(program, add.Input("X"))) {
        ctx.AddRemark(add, "bias does not match the product's columns, or the product has other readers");
        continue;
      }
      ir::Op fc("fc");
      fc.SetInput("Input", {mm->Input("X")});
      fc.SetInput("W", {mm->Input("Y")});
      fc.SetInput("Bias", {add.Input("Y")});
      fc.SetOutput("Out", {add.Output("Out")});
      fc.SetAttr("in_num_col_dims", ir::Attribute::Int(static_cast<int32_t>(cols)));
      fc.SetAttr("activation_type", ir::Attribute::String(""));
      fc.SetAttr("padding_weights", ir::Attribute::Bool(false));
      for (const char* keep : {"out_threshold", "quantization_type", "skip_quant", "with_quant_attr"})
        if (const ir::Attribute* a = mm->FindAttr(keep)) fc.SetAttr(keep, *a);
      fc.set_id(mm->id());
      const std::string from = mm->type();
      program.RemoveVar(add.Input("X"));
      *mm = std::move(fc);  // the fc takes the product's place, which precedes every reader of the add
      program.RemoveOp(&add);
      ctx.Count("fused_" + from);
      changed = true;
      i = 0;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseFcPass() { return std::make_unique<FuseFcPass>(); }

}  // namespace q2i::passes
