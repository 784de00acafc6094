// PassContext: what the passes of one pipeline run share: the user's options, the weight thresholds
// gathered from fake ops, per-pass counters and remarks (why a pattern did not apply, why an op stayed
// FP32).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/program.h"

namespace q2i::passes {

struct QuantizeOptions {
  // Op types to quantize; empty = every supported type that has scales.
  std::set<std::string> ops_to_quantize;
  // Node ids (as printed in our dumps) of ops that must stay FP32.
  std::set<int64_t> op_ids_to_skip;
  // Paddle's behaviour: relu-like outputs become u8 even when training quantized them as signed
  // (finer steps, but no longer the quantizer the model was trained and validated with).
  bool unsigned_relu_outputs = false;
  // Where training rounded the conv result before adding an INT8 residual, the fused conv does too
  // (Scale_pre_residual, an oneDNN post-op). ResNet50 top-1 agreement with its fake-quant model
  // 0.93 -> 0.97, about 2% slower; false gives Paddle's single rounding.
  bool round_residual_inputs = true;
  // Where training rounded a fused relu's input with its own scale, the conv rounds there too
  // (Scale_pre_activation): a little closer to the fake-quant model, about 4% slower on ResNet50.
  bool double_rounding = false;
};

struct Remark {
  std::string pass;
  int64_t op_id;
  std::string op_type;
  std::string message;
};

class PassContext {
 public:
  explicit PassContext(QuantizeOptions options = {}) : options_(std::move(options)) {}

  const QuantizeOptions& options() const { return options_; }

  // The pass currently running (set by the PassManager); counters and remarks are filed under it.
  void set_current_pass(std::string name) { current_pass_ = std::move(name); }
  const std::string& current_pass() const { return current_pass_; }

  void Count(const std::string& counter, int64_t n = 1) { stats_[current_pass_][counter] += n; }
  void AddRemark(const ir::Op& op, std::string message) {
    remarks_.push_back(Remark{current_pass_, op.id(), op.type(), std::move(message)});
  }
  const std::map<std::string, std::map<std::string, int64_t>>& stats() const { return stats_; }
  const std::vector<Remark>& remarks() const { return remarks_; }

  // Weight thresholds T (real units; one value per tensor, or one per output channel) keyed by the
  // weight variable name, gathered from fake (de)quantize ops before they are removed.
  std::map<std::string, std::vector<double>>& weight_thresholds() { return weight_thresholds_; }
  // Per output channel, the largest |q| of the integer weights training produced (below 127 on most
  // channels of a per-tensor quantized weight), keyed by weight variable. Recorded by
  // dequantize-weights; compute-weight-scales keeps the INT8 weights on this trained grid.
  std::map<std::string, std::vector<double>>& trained_weight_max() { return trained_weight_max_; }

  // (op id, variable) pairs where the op read the variable through a fake (de)quantize op in the
  // fake-quant model: the tensors training quantized. Recorded by remove-fake-quant.
  std::set<std::pair<int64_t, std::string>>& trained_quantized_inputs() { return trained_quantized_inputs_; }
  // Variables whose scale comes from a fake quantizer (signed, as training simulated it). Recorded by
  // collect-scales.
  std::set<std::string>& fake_quantized_vars() { return fake_quantized_vars_; }
  // Scale training applied to the input of a relu-like activation now fused into the op with this id
  // (training rounded twice: before the activation and after it). Recorded by the activation fusions.
  std::map<int64_t, ir::QuantScale>& pre_activation_scales() { return pre_activation_scales_; }
  // Scale training applied to the conv result that a conv with this id now adds its residual to
  // (training fake-quantized both inputs of the residual add). Recorded by fuse-conv-residual.
  std::map<int64_t, ir::QuantScale>& pre_residual_scales() { return pre_residual_scales_; }
  // Ids of convs that absorbed a residual add whose residual input training did not quantize: their
  // residual stays FP32 (and so does their output). Recorded by fuse-conv-residual.
  std::set<int64_t>& fp32_residual_convs() { return fp32_residual_convs_; }

 private:
  QuantizeOptions options_;
  std::string current_pass_;
  std::map<std::string, std::map<std::string, int64_t>> stats_;
  std::vector<Remark> remarks_;
  std::map<std::string, std::vector<double>> weight_thresholds_;
  std::map<std::string, std::vector<double>> trained_weight_max_;
  std::set<std::pair<int64_t, std::string>> trained_quantized_inputs_;
  std::set<int64_t> fp32_residual_convs_;
  std::set<std::string> fake_quantized_vars_;
  std::map<int64_t, ir::QuantScale> pre_activation_scales_;
  std::map<int64_t, ir::QuantScale> pre_residual_scales_;
};

}  // namespace q2i::passes
