// compute-weight-scales (Paddle: _compute_weight_scales, spec 3.8)
//   After fusion, every conv2d Filter gets per-output-channel scales s[c] = 1 / max|W[c, ...]| and every
//   fc W ([K, N]) per-column scales s[n] = 1 / max_k |W[k, n]|, recorded (signed) on the weight's Var.
//   Fix of a Paddle corner case: an all-zero channel gets s = 1 instead of 0 (its int8 weights are 0
//   either way, and a 0 scale would make the kernel's output scale infinite).
//   Fix of a Paddle quirk: weights training quantized (PassContext::trained_weight_max: m[c] = the
//   channel's largest |q|) get s[c] = m[c] / (127 max|W[c]|), so the INT8 weights are exactly the
//   trained integers. Paddle's 1 / max|W[c]| re-rounds a per-tensor quantized weight onto a new grid on
//   every channel whose m[c] < 127 (ResNet50 QAT-v1: most of them) and so computes something the
//   fake-quant model never did. Conv+batch_norm folding scales a whole output channel, so the trained
//   integers survive it.
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

// s[c] *= m[c] / 127 for a weight with a recorded trained grid (also under a fusion's copy of a shared
// weight, "<name>.fused[_N]", see ReplaceWeight).
void KeepTrainedGrid(PassContext& ctx, const std::string& name, std::vector<double>* scales) {
  auto it = ctx.trained_weight_max().find(name);
  const size_t fused = name.find(".fused");
  if (it == ctx.trained_weight_max().end() && fused != std::string::npos) {
    it = ctx.trained_weight_max().find(name.substr(0, fused));
  }
  if (it == ctx.trained_weight_max().end() || it->second.size() != scales->size()) return;
  for (size_t c = 0; c < scales->size(); ++c) {
    const double m = it->second[c];
    if (m > 0 && m <= 127) (*scales)[c] *= m / 127.0;
  }
  ctx.Count("trained_grid");
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
      std::vector<double> scales = ChannelScales(*w, axis);
      KeepTrainedGrid(ctx, name, &scales);
      var->quant = ir::QuantScale{std::move(scales), false};
      ctx.Count("weights");
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateComputeWeightScalesPass() { return std::make_unique<ComputeWeightScalesPass>(); }

}  // namespace q2i::passes
