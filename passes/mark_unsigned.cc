// mark-unsigned (Paddle: _update_relu_output_scales, spec 3.9)
//   Outputs known to be >= 0 are quantized as u8: the output scale of a conv2d with fuse_activation
//   relu/relu6, of an fc with activation_type relu/relu6, and of a relu/relu6 op is marked unsigned.
//   The scale value is unchanged (u8 uses 255 steps for [0, T], s8 127 for [-T, T]).
//   Unlike Paddle, a tensor that training quantized with a (signed) fake quantizer keeps the trained
//   grid unless QuantizeOptions::unsigned_relu_outputs, so that the INT8 program computes what the
//   fake-quant model computed (OCR classifier: top-1 agreement 0.980 -> 1.000 on rendered text lines):
//   a conv2d's output is stored as u8 on that grid (QuantScale::signed_grid: values 0..127, and
//   insert-quant-dequant makes the conv clip at the threshold as the fake quantizer did), which lets
//   oneDNN use its u8 kernels (brgconv for 3x3, faster than its s8 path); other producers stay s8.
// Postcondition: those outputs' Var::quant has is_unsigned.
#include "passes/passes.h"

namespace q2i::passes {
namespace {

bool ReluLike(const std::string& act) { return act == "relu" || act == "relu6"; }

class MarkUnsignedPass final : public Pass {
 public:
  std::string_view name() const override { return "mark-unsigned"; }
  std::string_view description() const override { return "Mark relu-like outputs as u8"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (const auto& op : program.ops()) {
      std::string out;
      if (op->type() == "conv2d" && ReluLike(op->GetString("fuse_activation", "").value_or(""))) {
        out = op->Output("Output");
      } else if (op->type() == "fc" && ReluLike(op->GetString("activation_type", "").value_or(""))) {
        out = op->Output("Out");
      } else if (ReluLike(op->type())) {
        out = op->Output("Out");
      } else {
        continue;
      }
      ir::Var* v = program.FindVar(out);
      if (v == nullptr || !v->quant || v->quant->is_unsigned) continue;
      if (ctx.fake_quantized_vars().count(out) && !ctx.options().unsigned_relu_outputs) {
        if (op->type() != "conv2d") {
          ctx.AddRemark(*op, "output '" + out + "' stays s8: training quantized it as signed");
          continue;
        }
        v->quant->signed_grid = true;
        ctx.Count("unsigned_signed_grid");
      } else {
        ctx.Count("unsigned");
      }
      v->quant->is_unsigned = true;
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateMarkUnsignedPass() { return std::make_unique<MarkUnsignedPass>(); }

}  // namespace q2i::passes
