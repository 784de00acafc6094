#include "tests/test_util/program_helpers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace q2i::testing {

ir::Tensor RandomTensor(std::vector<int64_t> dims, uint32_t seed, float lo, float hi) {
  ir::Tensor t(ir::DataType::kFP32, std::move(dims));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(gen);
  return t;
}

ir::Tensor RandomIntTensor(std::vector<int64_t> dims, uint32_t seed, int lo, int hi) {
  ir::Tensor t(ir::DataType::kFP32, std::move(dims));
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(dist(gen));
  return t;
}

bool RunPassOk(const passes::Pass& pass, ir::Program& program, passes::PassContext* ctx) {
  passes::PassContext local;
  passes::PassContext& c = ctx ? *ctx : local;
  c.set_current_pass(std::string(pass.name()));
  auto changed = pass.Run(program, c);
  EXPECT_TRUE(changed.ok()) << changed.status().ToString();
  return changed.ok() && *changed;
}

int CountOps(const ir::Program& program, const std::string& type) {
  int n = 0;
  for (const auto& op : program.ops()) n += op->type() == type;
  return n;
}

const ir::Op* FindOp(const ir::Program& program, const std::string& type, int nth) {
  for (const auto& op : program.ops())
    if (op->type() == type && nth-- == 0) return op.get();
  return nullptr;
}

std::string OpTypes(const ir::Program& program) {
  std::string s;
  for (const auto& op : program.ops()) s += (s.empty() ? "" : ",") + op->type();
  return s;
}

}  // namespace q2i::testing
