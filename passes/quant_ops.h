// Building blocks of the INT8 rewrites: inserting quantize / dequantize ops around an op, and the
// attribute conventions of Paddle's INT8 program (spec 3.11): a kernel scale is s * 255 for u8 and
// s * 127 for s8, where s = 1 / threshold.
#pragma once

#include <string>

#include "ir/program.h"

namespace q2i::passes {

// s * (255 | 127) as the float Paddle stores.
float KernelScale(const ir::QuantScale& q);
ir::DataType Int8TypeOf(const ir::QuantScale& q);
// Scale of a variable, or nullptr.
const ir::QuantScale* VarScale(const ir::Program& program, const std::string& name);

// The int8 variables these helpers create are named after the real-valued tensor they carry:
// "<name>.int8" (then "<name>.int8_0", ... when several scales of one tensor exist). layer_diff uses this
// to compare them with the FP32 tensor of another program.
inline constexpr const char* kInt8Suffix = ".int8";

// Inserts `quantize` before `op` for argument `index` of input `slot` and rewires the op to read its
// int8 output. Returns the kernel scale.
float QuantizeInput(ir::Program& program, ir::Op& op, const std::string& slot, size_t index, const ir::QuantScale& q);
// Makes `op` write a new int8 variable for output `slot` and inserts `dequantize` after it, writing the
// original variable. Returns the kernel scale.
float DequantizeOutput(ir::Program& program, ir::Op& op, const std::string& slot, const ir::QuantScale& q);

}  // namespace q2i::passes
