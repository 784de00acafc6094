#include "ir/op_kinds.h"

namespace q2i::ir {

bool IsFakeQuantOp(std::string_view type) {
  return type.starts_with("fake_") || type == "quantize_linear" || type == "dequantize_linear" ||
         type == "moving_average_abs_max_scale";
}

bool IsQuantBoundaryOp(std::string_view type) {
  return type == "quantize" || type == "dequantize" || type == "requantize";
}

bool IsInt8Op(const Op& op) {
  if (IsQuantBoundaryOp(op.type())) return true;
  auto dt = op.GetString("mkldnn_data_type", "");
  return dt.ok() && *dt == "int8";
}

}  // namespace q2i::ir
