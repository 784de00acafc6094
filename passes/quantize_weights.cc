// quantize-weights (optional, --save_int8_weights; Paddle >= 2.5: params_quantization_onednn_pass)
//   For every INT8 conv2d / fc: Filter (W) becomes int8 q = clamp(round(W * Scale_weights[c]), -127, 127)
//   and Bias becomes int32 round(b * Scale_in * Scale_weights[c]), about 4x smaller on disk. Unlike
//   Paddle, Scale_weights keeps its values (the runtime needs them for the output scale); the runtime
//   recognises pre-quantized weights by their dtype.
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
  std::string_view description() const override { return "Store INT8 conv/fc weights as s8 and biases as s32"; }

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
      Q2I_ASSIGN_OR_RETURN(double scale_in, op->GetFloat("Scale_in"));
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
      const std::string b_name = op->Input("Bias");
      const ir::Tensor* b = program.FindParam(b_name);
      if (b != nullptr && b->dtype() == ir::DataType::kFP32 && HasSingleUse(program, b_name) && b->numel() == channels) {
        ir::Tensor qb(ir::DataType::kInt32, b->dims());
        for (int64_t c = 0; c < channels; ++c)
          qb.data<int32_t>()[c] = static_cast<int32_t>(std::nearbyint(b->data<float>()[c] * scale_in * sc(c)));
        ReplaceWeight(program, *op, b_name, std::move(qb));
      }
      ctx.Count("quantized_" + op->type());
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateQuantizeWeightsPass() { return std::make_unique<QuantizeWeightsPass>(); }

}  // namespace q2i::passes
