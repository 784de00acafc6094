#include "passes/quant_tables.h"

namespace q2i::passes {

bool IsRemovableFakeOp(std::string_view t) {
  static const std::set<std::string, std::less<>> kTypes = {
      "fake_quantize_moving_average_abs_max",
      "fake_quantize_range_abs_max",
      "fake_dequantize_max_abs",
      "fake_channel_wise_dequantize_max_abs",
      "fake_quantize_dequantize_abs_max",
      "fake_quantize_dequantize_moving_average_abs_max",
      "fake_channel_wise_quantize_dequantize_abs_max",
      "quantize_linear",
      "dequantize_linear",
      "moving_average_abs_max_scale",  // Paddle leaves these in the graph; they are an identity on X
  };
  return kTypes.count(t) > 0;
}

bool IsInputScaleFakeOp(std::string_view t) {
  return t == "fake_quantize_moving_average_abs_max" || t == "fake_quantize_range_abs_max" ||
         t == "fake_quantize_dequantize_moving_average_abs_max";
}

bool IsFakeDequantOp(std::string_view t) {
  return t == "fake_dequantize_max_abs" || t == "fake_channel_wise_dequantize_max_abs";
}

bool WeightSlotOf(std::string_view t, WeightSlot* out) {
  if (t == "conv2d" || t == "depthwise_conv2d") {
    *out = {"Filter", 0};
  } else if (t == "conv2d_transpose") {
    *out = {"Filter", 1};
  } else if (t == "mul" || t == "matmul" || t == "matmul_v2") {
    *out = {"Y", 1};
  } else if (t == "fc") {
    *out = {"W", 1};
  } else {
    return false;
  }
  return true;
}

const std::set<std::string>& Int8SupportedOpTypes() {
  static const std::set<std::string> kTypes = {"conv2d", "depthwise_conv2d", "fc", "pool2d",
                                               "concat", "reshape2", "transpose2", "elementwise_add"};
  return kTypes;
}

bool IsScalePreservingOp(std::string_view t, std::string* in_slot, std::string* out_slot) {
  static const std::set<std::string, std::less<>> kX = {
      "transpose2", "reshape2", "pool2d", "nearest_interp", "nearest_interp_v2", "split",
      "flatten2", "flatten_contiguous_range", "squeeze2", "unsqueeze2"};
  if (kX.count(t)) {
    *in_slot = "X";
    *out_slot = "Out";
    return true;
  }
  if (t == "slice") {
    *in_slot = "Input";
    *out_slot = "Out";
    return true;
  }
  return false;
}

bool IsFusableActivation(std::string_view t) {
  return t == "relu" || t == "relu6" || t == "leaky_relu" || t == "swish" || t == "hard_swish" ||
         t == "hard_sigmoid" || t == "sigmoid" || t == "tanh";
}

}  // namespace q2i::passes
