// mark-skip-quant (Paddle: _label_skip_quantized_op, spec 3.1)
//   For conv2d / depthwise_conv2d / mul / matmul / matmul_v2 without a `quantization_type` attribute
//   (dygraph exports): when an input produced by another op does not come from a fake quantize op,
//   the op was not quantized in training: set `skip_quant` = true. Weights (no producer) do not count.
// Postcondition: such ops carry skip_quant and place-int8 leaves them FP32.
#include "ir/graph_index.h"
#include "passes/passes.h"

namespace q2i::passes {
namespace {

bool IsCandidate(const std::string& t) {
  return t == "conv2d" || t == "depthwise_conv2d" || t == "mul" || t == "matmul" || t == "matmul_v2";
}

class MarkSkipQuantPass final : public Pass {
 public:
  std::string_view name() const override { return "mark-skip-quant"; }
  std::string_view description() const override { return "Mark ops that were not quantized in training"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    ir::GraphIndex index(program);
    bool changed = false;
    for (const auto& op : program.ops()) {
      if (!IsCandidate(op->type()) || op->HasAttr("quantization_type")) continue;
      for (const auto& in : op->InputNames()) {
        const ir::Op* producer = index.Producer(in);
        if (producer == nullptr || producer->type().find("quantize") != std::string::npos) continue;
        op->SetAttr("skip_quant", ir::Attribute::Bool(true));
        ctx.AddRemark(*op, "input '" + in + "' does not come from a fake quantize op: stays FP32");
        ctx.Count("marked");
        changed = true;
        break;
      }
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateMarkSkipQuantPass() { return std::make_unique<MarkSkipQuantPass>(); }

}  // namespace q2i::passes
