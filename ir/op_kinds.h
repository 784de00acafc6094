// Classification of op types shared by tools, passes and the runtime (one home for these lists).
#pragma once

#include <string_view>

#include "ir/program.h"

namespace q2i::ir {

// fake_* ops, quantize_linear / dequantize_linear and moving_average_abs_max_scale.
bool IsFakeQuantOp(std::string_view type);
// quantize / dequantize / requantize (the real INT8 boundary ops of a converted program).
bool IsQuantBoundaryOp(std::string_view type);
// Ops that run in INT8: mkldnn_data_type == "int8", or a quantize/dequantize/requantize op.
bool IsInt8Op(const Op& op);

}  // namespace q2i::ir
