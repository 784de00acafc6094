// Which ops post-training quantization rewrites, and which tensors need calibration statistics.
//
// A *target* is an op of a quantizable type (conv2d, depthwise_conv2d, mul, matmul, matmul_v2, fc)
// with one float32 activation input and a float32 weight (a persistable variable with data):
//   conv2d / depthwise_conv2d: Input, Filter (output channel axis 0), Output;
//   mul / matmul / matmul_v2: X, Y (axis 1; axis 0 when matmul transposes Y), Out;
//   fc: rewritten first as mul (+ elementwise_add for Bias, + the activation op for activation_type),
//       because a fake dequantize after the product cannot carry a bias; fuse-fc folds it back.
// conv2d with Bias or a fused activation (an already fused FP32 model) is unfused the same way. Ops
// that cannot be targets are listed in `skipped` with the reason (skip_quant set, tensor in the skip
// list, no weight, ResidualData, ...).
//
// Output-scale ops get `out_threshold`: every target, every op producing a target's activation input,
// and every op of a type in OutputScaleOpTypes() (PaddleSlim's _out_scale_op_list plus the other
// activations and data-movement ops). Their scaled outputs are the float32, non-persistable variables
// of the Out / Output / Y slots that some op reads or that are fetched (never XShape, SavedMean...).
//
// `tensors` = target activations, target outputs and scaled outputs: what the calibrator fetches.
// Names refer to the program after planning (PlanQuantization may rewrite fc/conv as described).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ir/program.h"
#include "support/status.h"

namespace q2i::calibration {

// conv2d, depthwise_conv2d, fc, matmul, matmul_v2, mul.
const std::set<std::string>& SupportedQuantizableOpTypes();
// conv2d, depthwise_conv2d, mul, matmul, matmul_v2, fc (every supported type).
const std::set<std::string>& DefaultQuantizableOpTypes();
const std::set<std::string>& OutputScaleOpTypes();

struct PlanOptions {
  std::set<std::string> quantizable_op_types = DefaultQuantizableOpTypes();
  // Variable names: an op reading or writing one of them is not quantized, and they get no threshold.
  std::set<std::string> skip_tensors;
};

struct QuantTarget {
  int64_t op_id = -1;
  std::string type;
  std::string activation_slot, activation;
  std::string weight_slot, weight;
  int weight_axis = 0;  // output-channel axis of the weight
  std::string output_slot, output;
};

struct SkippedOp {
  int64_t op_id = -1;
  std::string type;
  std::string reason;
};

struct ScaledOutput {
  int64_t op_id = -1;
  std::string slot;
  int index = 0;
  std::string var;
};

struct QuantPlan {
  std::vector<QuantTarget> targets;      // program order
  std::vector<SkippedOp> skipped;        // program order
  std::vector<ScaledOutput> outputs;     // program order
  std::vector<std::string> tensors;      // unique, program order
};

// Errors: an op type in options.quantizable_op_types that we cannot quantize (the message lists the
// supported ones).
StatusOr<QuantPlan> PlanQuantization(ir::Program& program, const PlanOptions& options = {});

}  // namespace q2i::calibration
