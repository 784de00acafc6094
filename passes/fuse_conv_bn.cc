// fuse-conv-bn (Paddle: conv_bn_fuse_pass, conv_eltwiseadd_bn_fuse_pass, conv_transpose_bn_fuse_pass,
// conv_transpose_eltwiseadd_bn_fuse_pass)
//   conv2d|conv2d_transpose -> [elementwise_add(Y = per-channel bias)] -> batch_norm
//   ==> conv(Filter = W', Bias = b') writing batch_norm's Y, where per output channel c
//       k[c] = scale[c] / sqrt(variance[c] + epsilon),  W'[c] = W[c] * k[c],
//       b'[c] = (b[c] - mean[c]) * k[c] + beta[c]   (b = the conv's Bias and/or the add's Y, else 0).
// Applies when: each intermediate output has a single reader; Filter, bias and the four batch_norm
//   tensors are float32 weights; conv2d_transpose only with groups == 1; NCHW.
// Postcondition: no batch_norm reads such a conv chain. New weights replace the old ones (same name when
//   unshared).
#include <cmath>

#include "ir/graph_index.h"
#include "passes/conv_folding.h"
#include "passes/passes.h"
#include "passes/rewrite_utils.h"

namespace q2i::passes {
namespace {

struct Match {
  ir::Op* conv = nullptr;
  ir::Op* add = nullptr;  // optional bias add between conv and bn
  ir::Op* bn = nullptr;
};

class FuseConvBnPass final : public Pass {
 public:
  std::string_view name() const override { return "fuse-conv-bn"; }
  std::string_view description() const override { return "Fold batch_norm into the preceding conv"; }

  StatusOr<bool> Run(ir::Program& program, PassContext& ctx) const override {
    bool changed = false;
    for (size_t i = 0; i < program.num_ops(); ++i) {
      ir::Op& bn = program.op(i);
      if (bn.type() != "batch_norm") continue;
      std::string why;
      Match m = MatchAt(program, bn, &why);
      if (m.conv == nullptr) {
        if (!why.empty()) ctx.AddRemark(bn, why);
        continue;
      }
      Q2I_RETURN_IF_ERROR(Fold(program, m));
      ctx.Count(m.add ? "fused_with_bias_add" : "fused");
      changed = true;
      i = 0;  // ops were removed: rescan from the start (programs are small)
    }
    return changed;
  }

 private:
  static Match MatchAt(const ir::Program& program, ir::Op& bn, std::string* why) {
    ir::GraphIndex index(program);
    Match m;
    m.bn = &bn;
    const std::string& x = bn.Input("X");
    ir::Op* producer = index.Producer(x);
    if (producer == nullptr) return {};
    if (!HasSingleUse(program, x)) {
      *why = "batch_norm input '" + x + "' has other readers";
      return {};
    }
    if (producer->type() == "elementwise_add") {
      const ir::Var* y = program.FindVar(producer->Input("Y"));
      if (y == nullptr || !y->persistable) return {};
      m.add = producer;
      const std::string& ax = producer->Input("X");
      producer = index.Producer(ax);
      if (producer == nullptr || !HasSingleUse(program, ax)) return {};
    }
    if (producer->type() != "conv2d" && producer->type() != "conv2d_transpose") return {};
    if (producer->type() == "conv2d_transpose" && producer->GetInt("groups", 1).value_or(1) != 1) {
      *why = "conv2d_transpose with groups != 1 is not folded";
      return {};
    }
    if (bn.GetString("data_layout", "NCHW").value_or("NCHW") != "NCHW") {
      *why = "batch_norm is not NCHW";
      return {};
    }
    m.conv = producer;
    return m;
  }

  static Status Fold(ir::Program& program, const Match& m) {
    ir::Op& conv = *m.conv;
    ir::Op& bn = *m.bn;
    const int axis = conv.type() == "conv2d_transpose" ? 1 : 0;
    Q2I_ASSIGN_OR_RETURN(const ir::Tensor* w, Fp32Param(program, conv, conv.Input("Filter")));
    const int64_t channels = w->dims().size() > 1 ? w->dims()[static_cast<size_t>(axis)] : 0;
    auto param = [&](const ir::Op& op, const char* slot) -> StatusOr<std::vector<double>> {
      Q2I_ASSIGN_OR_RETURN(const ir::Tensor* t, Fp32Param(program, op, op.Input(slot)));
      return PerChannel(*t, channels, (op.DebugName() + " " + slot).c_str());
    };
    Q2I_ASSIGN_OR_RETURN(auto scale, param(bn, "Scale"));
    Q2I_ASSIGN_OR_RETURN(auto beta, param(bn, "Bias"));
    Q2I_ASSIGN_OR_RETURN(auto mean, param(bn, "Mean"));
    Q2I_ASSIGN_OR_RETURN(auto var, param(bn, "Variance"));
    Q2I_ASSIGN_OR_RETURN(double eps, bn.GetFloat("epsilon", 1e-5));
    std::vector<double> bias(static_cast<size_t>(channels), 0.0);
    if (conv.HasInput("Bias")) {
      Q2I_ASSIGN_OR_RETURN(bias, param(conv, "Bias"));
    }
    if (m.add != nullptr) {
      Q2I_ASSIGN_OR_RETURN(auto b2, param(*m.add, "Y"));
      for (int64_t c = 0; c < channels; ++c) bias[static_cast<size_t>(c)] += b2[static_cast<size_t>(c)];
    }
    std::vector<double> k(static_cast<size_t>(channels));
    ir::Tensor new_bias(ir::DataType::kFP32, {channels});
    for (size_t c = 0; c < k.size(); ++c) {
      if (!(var[c] + eps > 0)) return InvalidModel(bn.DebugName(), ": variance + epsilon is not positive in channel ", c);
      k[c] = scale[c] / std::sqrt(var[c] + eps);
      new_bias.data<float>()[c] = static_cast<float>((bias[c] - mean[c]) * k[c] + beta[c]);
    }
    Q2I_ASSIGN_OR_RETURN(ir::Tensor new_w, ScaleOutputChannels(*w, k, axis));
    const std::string filter = conv.Input("Filter");
    conv.SetInput("Filter", {ReplaceWeight(program, conv, filter, std::move(new_w))});
    const std::string bias_name = conv.HasInput("Bias") ? conv.Input("Bias") : filter + ".bias";
    if (conv.HasInput("Bias")) {
      conv.SetInput("Bias", {ReplaceWeight(program, conv, bias_name, std::move(new_bias))});
    } else {
      conv.SetInput("Bias", {NewParam(program, bias_name, std::move(new_bias))});
    }
    const std::string old_out = conv.Output("Output");
    conv.SetOutput("Output", {bn.Output("Y")});
    program.RemoveVar(old_out);
    if (m.add != nullptr) {
      program.RemoveVar(m.add->Output("Out"));
      program.RemoveOp(m.add);
    }
    program.RemoveOp(&bn);
    return OkStatus();
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseConvBnPass() { return std::make_unique<FuseConvBnPass>(); }

}  // namespace q2i::passes
