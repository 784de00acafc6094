// compute-weight-scales (Paddle: _compute_weight_scales, spec 3.8)
//   After fusion, every conv2d Filter gets per-output-channel scales s[c] = 1 / max|W[c, ...]| and every
//   fc W ([K, N]) per-column scales s[n] = 1 / max_k |W[k, n]|, recorded (signed) on the weight's Var.
//   Fix of a Paddle corner case: an all-zero channel gets s = 1 instead of 0 (its int8 weights are 0
//   either way, and a 0 scale would make the kernel's output scale infinite).
// Postcondition: every float32 conv2d Filter and fc W has Var::quant with one scale per output channel.
#include <cmath>

#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

std::vector<double> ChannelScales(const ir::Tensor& w, int axis) {
  const auto& d = w.dims();
  const int64_t channels = d[static_cast<size_t>(axis)];
  int64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < d.size(); ++i) inner *= d[i];
  std::vector<double> max_abs(static_cast<size_t>(channels), 0.0);
  const float* v = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    double& m = max_abs[static_cast<size_t>((i / inner) % channels)];
    m = std::max(m, static_cast<double>(std::fabs(v[i])));
  }
  for (double& m : max_abs) m = m > 0 ? 1.0 / m : 1.0;
  return max_abs;
}

class ComputeWeightScalesPass final : public Pass {
 public:
  std::string_view name() const override { return "compute-weight-scales"; }
  std::string_view description() const override { return "Per-output-channel scales of conv/fc weights"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (const auto& op : program.ops()) {
      std::string slot;
      int axis = 0;
      if (op->type() == "conv2d") {
        slot = "Filter";
      } else if (op->type() == "fc") {
        slot = "W";
        axis = 1;
      } else {
        continue;
      }
      const std::string& name = op->Input(slot);
      const ir::Tensor* w = program.FindParam(name);
      ir::Var* var = program.FindVar(name);
      if (w == nullptr || var == nullptr || w->dtype() != ir::DataType::kFP32 ||
          static_cast<int>(w->dims().size()) <= axis) {
        ctx.AddRemark(*op, "weight '" + name + "' is not a float32 weight: no weight scales");
        continue;
      }
      var->quant = ir::QuantScale{ChannelScales(*w, axis), false};
      ctx.Count("weights");
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateComputeWeightScalesPass() { return std::make_unique<ComputeWeightScalesPass>(); }

}  // namespace q2i::passes
