// remove-fake-quant (Paddle: _remove_fake_ops, spec 3.5)
//   Deletes every fake quantize / dequantize / quantize-dequantize op, quantize_linear and
//   dequantize_linear, rewiring every consumer of the op's output (Out, or Y for the linear ops) to its
//   input X. Unlike Paddle it also removes moving_average_abs_max_scale (an identity on X that only
//   records a scale), so no training-only op reaches the INT8 program.
//   fake_quantize_abs_max and fake_channel_wise_quantize_abs_max (training-time weight quantizers) are
//   kept, with a remark: removing them would change the result.
//   Every (reader, input) pair rewired here is recorded in PassContext::trained_quantized_inputs():
//   the tensors training quantized, which later passes use to stay faithful to the fake-quant model.
// Precondition: collect-scales ran (the scales live on the variables that remain).
// Postcondition: no op for which IsRemovableFakeOp() holds.
#include <algorithm>

#include "passes/passes.h"
#include "passes/quant_tables.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

// Readers of `out` (a fake op's output) will read `in`: record that they read it quantized, following
// chains of fake ops (quantize_linear -> dequantize_linear) to the real reader.
void RecordReaders(const ir::Program& program, const std::string& out, const std::string& in, PassContext& ctx) {
  for (const auto& reader : program.ops()) {
    const auto names = reader->InputNames();
    if (std::find(names.begin(), names.end(), out) == names.end()) continue;
    if (IsRemovableFakeOp(reader->type())) {
      RecordReaders(program, reader->HasOutput("Y") ? reader->Output("Y") : reader->Output("Out"), in, ctx);
    } else {
      ctx.trained_quantized_inputs().insert({reader->id(), in});
    }
  }
}

class RemoveFakeQuantPass final : public Pass {
 public:
  std::string_view name() const override { return "remove-fake-quant"; }
  std::string_view description() const override { return "Remove fake quantize/dequantize ops"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    std::vector<const ir::Op*> doomed;
    for (const auto& op : program.ops()) {
      if (op->type() == "fake_quantize_abs_max" || op->type() == "fake_channel_wise_quantize_abs_max") {
        ctx.AddRemark(*op, "training-time weight quantizer kept: the model is not frozen");
        continue;
      }
      if (!IsRemovableFakeOp(op->type())) continue;
      const std::string& in = op->Input("X");
      const std::string& out = op->HasOutput("Y") ? op->Output("Y") : op->Output("Out");
      if (in.empty()) return InvalidModel(op->DebugName(), ": fake op without input X");
      if (!out.empty()) {
        if (op->type() != "moving_average_abs_max_scale") RecordReaders(program, out, in, ctx);
        ReplaceAllUses(program, out, in);
        if (out != in) program.RemoveVar(out);
      }
      doomed.push_back(op.get());
      ctx.Count("removed_" + op->type());
    }
    for (const ir::Op* op : doomed) program.RemoveOp(op);
    return !doomed.empty();
  }
};

}  // namespace

std::unique_ptr<Pass> CreateRemoveFakeQuantPass() { return std::make_unique<RemoveFakeQuantPass>(); }

}  // namespace q2i::passes
