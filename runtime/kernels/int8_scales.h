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

// Like PositiveScales, in double precision (weight quantization matches the quantize-weights pass).
StatusOr<std::vector<double>> PositiveScalesD(const ir::Op& op, const std::string& name, size_t n);

// INT8 weights as the quantize-weights pass computes them: q[i] = clamp(nearbyint(w[i] * s[c]), -127, 127)
// with channel c = (i / inner) % channels.
ir::Tensor QuantizeWeightsS8(const ir::Tensor& w, int64_t channels, int64_t inner, const std::vector<double>& scales);

// The oneDNN type of an INT8 op's output: f32 when force_fp32 or the variable is declared FP32,
// s8/u8 from the declared variable type, else `fallback`.
memory::data_type Int8OutputType(std::optional<ir::DataType> declared, bool force_fp32, memory::data_type fallback);
ir::DataType FromDnnlType(memory::data_type dt);

}  // namespace q2i::runtime::kernels
