// quantize-weights (optional, --save_int8_weights; Paddle >= 2.5: params_quantization_onednn_pass)
//   For every INT8 conv2d / fc: Filter (W) becomes int8 q = clamp(round(W * Scale_weights[c]), -127, 127),
//   exactly what the runtime computes from FP32 weights, so results are identical and the model is about
//   4x smaller on disk. Unlike Paddle (>= 2.5), biases stay float32: an int32 bias is rounded to the
//   accumulator grid and changes results, for less than 1% of the bytes; and Scale_weights keeps its
//   values (the runtime needs them for the output scale). The runtime recognises s8 filters by dtype.
// Applies when: the weight (and bias) is read only by this op and is float32.
#include <algorithm>
#include <cmath>

#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

class QuantizeWeightsPass final : public Pass {
 public:
  std::string_view name() const override { return "quantize-weights"; }
  std::string_view description() const override { return "Store INT8 conv/fc weights as s8"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (const auto& op : program.ops()) {
      const bool conv = op->type() == "conv2d";
      if ((!conv && op->type() != "fc") || op->GetString("mkldnn_data_type", "").value_or("") != "int8") continue;
      const std::string w_name = op->Input(conv ? "Filter" : "W");
      const ir::Tensor* w = program.FindParam(w_name);
      if (w == nullptr || w->dtype() != ir::DataType::kFP32 || !HasSingleUse(program, w_name)) {
        ctx.AddRemark(*op, "weight is shared or not float32: kept as float32");
        continue;
      }
      Q2I_ASSIGN_OR_RETURN(std::vector<double> scales, op->GetFloats("Scale_weights"));
      const int axis = conv ? 0 : 1;
      const int64_t channels = w->dims()[static_cast<size_t>(axis)];
      if (static_cast<int64_t>(scales.size()) != channels && scales.size() != 1)
        return InvalidModel(op->DebugName(), ": ", scales.size(), " Scale_weights for ", channels, " channels");
      int64_t inner = 1;
      for (size_t i = static_cast<size_t>(axis) + 1; i < w->dims().size(); ++i) inner *= w->dims()[i];
      auto sc = [&](int64_t c) { return scales.size() == 1 ? scales[0] : scales[static_cast<size_t>(c)]; };
      ir::Tensor q(ir::DataType::kInt8, w->dims());
      for (int64_t i = 0; i < w->numel(); ++i) {
        double v = std::nearbyint(w->data<float>()[i] * sc((i / inner) % channels));
        q.data<int8_t>()[i] = static_cast<int8_t>(std::clamp(v, -127.0, 127.0));
      }
      ReplaceWeight(program, *op, w_name, std::move(q));
      ctx.Count("quantized_" + op->type());
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateQuantizeWeightsPass() { return std::make_unique<QuantizeWeightsPass>(); }

}  // namespace q2i::passes
