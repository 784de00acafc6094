// Rewrites an FP32 program (after PlanQuantization) and calibrated thresholds into the frozen
// fake-quant layout PaddleSlim's post-training quantization saves (QAT v1 / QuantizationFreezePass,
// spec section 2), which save_quant_model and Paddle both read. For every target of the plan:
//   - its activation input A goes through `fake_quantize_moving_average_abs_max` (or
//     `fake_quantize_range_abs_max`): X = A, InScale = OutScale = `A.scale` (persistable float32 [1]
//     holding the threshold T_A), Out = `A.quantized`; attrs bit_length 8, is_test true, moving_rate 0.9
//     (window_size 10000 for range_abs_max). Targets reading the same A share one such op;
//   - its weight W becomes integer-valued float32 round(clip(W, -T_w, T_w) / T_w * 127) (half to even,
//     like numpy), T_w = max|W| per output channel (conv: axis 0, mul/matmul: axis 1) or per tensor; an
//     all-zero channel or tensor gets T_w = 1 (its weights are 0 either way; no zero scale is written).
//     A weight read by other ops too is copied first, so they keep the FP32 values;
//   - after the op, `fake_dequantize_max_abs` (per tensor: Scale = `A.scale`, max_range = 127*127/T_w)
//     or `fake_channel_wise_dequantize_max_abs` (Scales = [`W.scale` (T_w per channel), `A.scale`],
//     quant_bits [8, 8], quant_axis 0 for conv / 1 for mul and matmul, x_num_col_dims) writes
//     `<out>.dequantized`, which every later reader of the output reads instead. A matmul with a
//     transposed weight is always quantized per tensor (Quant2 assumes axis 1 for matmul weights);
//   - the op gets quantization_type "post_<algo>" (PaddleSlim spells KL "kl"), activation_bits 8 and
//     with_quant_attr true.
// Every scaled output of the plan with a threshold gets `<Slot><index>_threshold` and `out_threshold`
// (the largest over the op's scaled outputs) as FLOAT, and with_quant_attr. New names come from
// Program::UniqueVarName, so they never collide.
// A target whose activation has no threshold (absent, 0: all calibration values were 0) is not
// quantized: it gets skip_quant = true and a reason in the summary, like the plan's skipped ops.
// Errors: a non-finite weight value (naming the weight), a target op missing from the program.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "calibration/quant_plan.h"
#include "calibration/threshold_algorithms.h"
#include "ir/program.h"
#include "support/status.h"

namespace q2i::calibration {

enum class WeightQuantizeType { kChannelWiseAbsMax, kAbsMax };
enum class ActivationQuantizeType { kMovingAverageAbsMax, kRangeAbsMax };

StatusOr<WeightQuantizeType> ParseWeightQuantizeType(std::string_view name);  // channel_wise_abs_max | abs_max
StatusOr<ActivationQuantizeType> ParseActivationQuantizeType(std::string_view name);  // moving_average_abs_max | range_abs_max

struct WriterOptions {
  Algo algo = Algo::kKL;  // names the quantization_type attribute only
  WeightQuantizeType weight_quantize_type = WeightQuantizeType::kChannelWiseAbsMax;
  ActivationQuantizeType activation_quantize_type = ActivationQuantizeType::kMovingAverageAbsMax;
};

struct QuantizedWeight {
  ir::Tensor values;               // integer-valued float32
  std::vector<double> thresholds;  // one per channel along `axis`, or one
};
// Per-channel (axis >= 0) or per-tensor (axis < 0) abs-max quantization of a float32 weight.
StatusOr<QuantizedWeight> QuantizeWeight(const ir::Tensor& weight, int axis, const std::string& name);

struct WriteSummary {
  std::vector<QuantTarget> quantized;
  std::vector<SkippedOp> skipped;           // the plan's, then the writer's
  int64_t out_thresholds = 0;               // scaled outputs that got a threshold
  std::vector<std::string> unscaled;        // scaled outputs without a threshold
};

// `thresholds`: variable name -> T (absent or <= 0: none).
StatusOr<WriteSummary> WriteFakeQuantProgram(ir::Program& program, const QuantPlan& plan,
                                             const std::map<std::string, double>& thresholds,
                                             const WriterOptions& options = {});

}  // namespace q2i::calibration
