// Helpers for runtime tests: run one op (or a small chain) through the real Executor, and compare
// tensors against plain nested-loop references (reference_ops.h).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ir/program.h"
#include "ir/program_builder.h"
#include "runtime/executor.h"

namespace q2i::testing {

using Named = std::vector<std::pair<std::string, ir::Tensor>>;

struct OpCall {
  std::string type;
  ir::ProgramBuilder::Slots inputs;
  ir::ProgramBuilder::Slots outputs;
  ir::ProgramBuilder::Attrs attrs;
};

// A program: feeds (runtime inputs, declared with their dims and dtype), params, ops, fetches.
ir::Program BuildProgram(const Named& feeds, const Named& params, const std::vector<OpCall>& ops,
                         const std::vector<std::string>& fetches,
                         const std::vector<std::pair<std::string, ir::DataType>>& declared_types = {});

// Builds and runs; returns the fetched tensors (or the error).
StatusOr<std::vector<ir::Tensor>> RunOps(const Named& feeds, const Named& params, const std::vector<OpCall>& ops,
                                         const std::vector<std::string>& fetches,
                                         const std::vector<std::pair<std::string, ir::DataType>>& declared_types = {});
// One op; output slot "Out" fetched unless `fetch` is given.
StatusOr<ir::Tensor> RunOp(const OpCall& op, const Named& feeds, const Named& params = {}, const std::string& fetch = "");

// |a - e| <= atol + rtol * |e| element-wise, same dims; reports the first mismatches.
::testing::AssertionResult TensorsNear(const ir::Tensor& actual, const ir::Tensor& expected, double rtol = 1e-4,
                                       double atol = 1e-5);

ir::Tensor FloatTensor(std::vector<int64_t> dims, std::vector<float> values);

}  // namespace q2i::testing
