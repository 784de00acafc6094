// Helpers for pass and runtime tests: seeded random tensors, running one pass, finding ops.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/program.h"
#include "passes/pass.h"

namespace q2i::testing {

// float32 tensor with values uniform in [lo, hi), from `seed`.
ir::Tensor RandomTensor(std::vector<int64_t> dims, uint32_t seed, float lo = -1.f, float hi = 1.f);
// Same, rounded to integers (QAT-v1 frozen weights).
ir::Tensor RandomIntTensor(std::vector<int64_t> dims, uint32_t seed, int lo = -127, int hi = 127);

// Runs `pass` alone on `program`; fails the test on error.
bool RunPassOk(const passes::Pass& pass, ir::Program& program, passes::PassContext* ctx = nullptr);

int CountOps(const ir::Program& program, const std::string& type);
const ir::Op* FindOp(const ir::Program& program, const std::string& type, int nth = 0);
// "feed,conv2d,fetch": op types in program order.
std::string OpTypes(const ir::Program& program);

}  // namespace q2i::testing
