// dequantize-weights (Paddle: _dequantize_weights, spec 3.6)
//   Frozen QAT-v1 / ONNX-format models store weights as integers q in [-127, 127] (float32 or int8).
//   For conv2d / depthwise_conv2d (Filter, output channel = axis 0), conv2d_transpose (axis 1) and
//   mul / matmul / matmul_v2 (Y, axis 1) with a weight threshold T from collect-scales, the weight
//   becomes float32 W = q / 127 * T (T broadcast along the output-channel axis), stored as a new tensor
//   under the same variable name (buffers are never written in place, so clones of the program keep
//   the original).
//   Fix of a Paddle quirk: the axis comes from the op type, not from comparing the threshold count with
//   the weight's dims (Paddle picks axis 0 for a square mul weight).
//   Weights that are not integer-valued are left alone, with a remark (Paddle does the same silently).
//   Records per output channel the largest |q| (PassContext::trained_weight_max) so that
//   compute-weight-scales can keep the trained integers.
// Postcondition: every weight with a threshold that was integer-valued is real-valued float32.
#include <algorithm>
#include <cmath>
#include <set>

#include "passes/passes.h"
#include "passes/quant_tables.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

bool AllIntegers(const ir::Tensor& t) {
  if (t.dtype() == ir::DataType::kInt8) return true;
  for (float v : t.values<float>())
    if (v != std::nearbyint(v)) return false;
  return true;
}

// Also fills `channel_max` with max |q| per channel.
StatusOr<ir::Tensor> Dequantize(const ir::Tensor& q, const std::vector<double>& thresholds, int axis,
                                const std::string& what, std::vector<double>* channel_max) {
  const auto& dims = q.dims();
  if (axis >= static_cast<int>(dims.size()))
    return InvalidModel(what, ": weight of rank ", dims.size(), " has no channel axis ", axis);
  const int64_t channels = dims[static_cast<size_t>(axis)];
  if (thresholds.size() != 1 && static_cast<int64_t>(thresholds.size()) != channels)
    return InvalidModel(what, ": ", thresholds.size(), " weight scales for ", channels, " output channels (axis ", axis, ")");
  int64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  ir::Tensor w(ir::DataType::kFP32, dims);
  float* out = w.data<float>();
  channel_max->assign(static_cast<size_t>(channels), 0.0);
  for (int64_t i = 0; i < q.numel(); ++i) {
    const int64_t c = (i / inner) % channels;
    const double t = thresholds.size() == 1 ? thresholds[0] : thresholds[static_cast<size_t>(c)];
    const double v = q.dtype() == ir::DataType::kInt8 ? q.data<int8_t>()[i] : q.data<float>()[i];
    out[i] = static_cast<float>(v / 127.0 * t);
    double& m = (*channel_max)[static_cast<size_t>(c)];
    m = std::max(m, std::fabs(v));
  }
  return w;
}

class DequantizeWeightsPass final : public Pass {
 public:
  std::string_view name() const override { return "dequantize-weights"; }
  std::string_view description() const override { return "Turn integer-valued weights back into float32"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    std::set<std::string> done;  // weights shared by several ops are converted once
    for (const auto& op : program.ops()) {
      WeightSlot ws;
      if (!WeightSlotOf(op->type(), &ws)) continue;
      const std::string weight = op->Input(ws.slot);
      auto it = ctx.weight_thresholds().find(weight);
      if (it == ctx.weight_thresholds().end()) continue;
      if (done.count(weight)) continue;
      const ir::Tensor* q = program.FindParam(weight);
      if (q == nullptr) return InvalidModel(op->DebugName(), ": weight '", weight, "' has no data");
      if (q->dtype() != ir::DataType::kFP32 && q->dtype() != ir::DataType::kInt8)
        return Unsupported(op->DebugName(), ": weight '", weight, "' has type ", ir::DataTypeName(q->dtype()));
      if (!AllIntegers(*q)) {
        ctx.AddRemark(*op, "weight '" + weight + "' is not integer-valued: left as it is");
        continue;
      }
      std::vector<double> channel_max;
      Q2I_ASSIGN_OR_RETURN(ir::Tensor w, Dequantize(*q, it->second, ws.channel_axis, op->DebugName(), &channel_max));
      ctx.trained_weight_max()[weight] = std::move(channel_max);
      program.SetParam(weight, std::move(w));
      if (ir::Var* v = program.FindVar(weight)) v->dtype = ir::DataType::kFP32;
      done.insert(weight);
      ctx.Count("dequantized");
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateDequantizeWeightsPass() { return std::make_unique<DequantizeWeightsPass>(); }

}  // namespace q2i::passes
