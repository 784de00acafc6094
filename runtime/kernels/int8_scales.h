// Reading the INT8 scale attributes of the program contract (docs/int8_program.md).
#pragma once

#include <optional>
#include <vector>

#include "ir/program.h"
#include "runtime/dnnl_utils.h"
#include "support/status.h"

namespace q2i::runtime::kernels {

// A float attribute that must be finite and > 0 (an error naming the op otherwise).
StatusOr<float> PositiveScale(const ir::Op& op, const std::string& name, std::optional<double> fallback = std::nullopt);
// Per-channel scales: `n` values, or 1 value broadcast to n; every value finite and > 0.
StatusOr<std::vector<float>> PositiveScales(const ir::Op& op, const std::string& name, size_t n);

// The oneDNN type of an INT8 op's output: f32 when force_fp32 or the variable is declared FP32,
// s8/u8 from the declared variable type, else `fallback`.
memory::data_type Int8OutputType(std::optional<ir::DataType> declared, bool force_fp32, memory::data_type fallback);
ir::DataType FromDnnlType(memory::data_type dt);

// `md` with another element type and the same dims and layout.
memory::desc WithDataType(const memory::desc& md, memory::data_type dt);

}  // namespace q2i::runtime::kernels
