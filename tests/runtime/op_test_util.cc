#include "tests/runtime/op_test_util.h"

#include <cmath>
#include <sstream>

namespace q2i::testing {

ir::Program BuildProgram(const Named& feeds, const Named& params, const std::vector<OpCall>& ops,
                         const std::vector<std::string>& fetches,
                         const std::vector<std::pair<std::string, ir::DataType>>& declared_types) {
  ir::ProgramBuilder b;
  for (const auto& [name, t] : feeds) b.Input(name, t.dims(), t.dtype());
  for (const auto& [name, t] : params) b.Param(name, t);
  for (const OpCall& op : ops) b.AddOp(op.type, op.inputs, op.outputs, op.attrs);
  for (const auto& [name, dt] : declared_types) b.DeclareVar(name, {}, dt);
  for (const std::string& f : fetches) b.Output(f);
  return b.Build();
}

StatusOr<std::vector<ir::Tensor>> RunOps(const Named& feeds, const Named& params, const std::vector<OpCall>& ops,
                                         const std::vector<std::string>& fetches,
                                         const std::vector<std::pair<std::string, ir::DataType>>& declared_types) {
  ir::Program program = BuildProgram(feeds, params, ops, fetches, declared_types);
  Q2I_ASSIGN_OR_RETURN(auto exec, runtime::Executor::Create(program));
  std::vector<ir::Tensor> inputs;
  for (const auto& [name, t] : feeds) inputs.push_back(t);
  return exec->Run(inputs);
}

StatusOr<ir::Tensor> RunOp(const OpCall& op, const Named& feeds, const Named& params, const std::string& fetch) {
  std::string out = fetch;
  if (out.empty()) {
    for (const auto& [slot, args] : op.outputs)
      if (slot == "Out" || slot == "Output" || slot == "Y") out = args[0];
  }
  Q2I_ASSIGN_OR_RETURN(auto outs, RunOps(feeds, params, {op}, {out}));
  return outs[0];
}

::testing::AssertionResult TensorsNear(const ir::Tensor& actual, const ir::Tensor& expected, double rtol, double atol) {
  if (actual.dims() != expected.dims()) {
    return ::testing::AssertionFailure() << "dims " << ir::DimsToString(actual.dims()) << " vs expected "
                                         << ir::DimsToString(expected.dims());
  }
  if (actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure() << "dtype " << ir::DataTypeName(actual.dtype()) << " vs expected "
                                         << ir::DataTypeName(expected.dtype());
  }
  auto value = [](const ir::Tensor& t, int64_t i) -> double {
    switch (t.dtype()) {
      case ir::DataType::kFP32: return t.data<float>()[i];
      case ir::DataType::kInt32: return t.data<int32_t>()[i];
      case ir::DataType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
      case ir::DataType::kInt8: return t.data<int8_t>()[i];
      case ir::DataType::kUInt8: return t.data<uint8_t>()[i];
      default: return 0;
    }
  };
  int bad = 0;
  std::ostringstream os;
  double worst = 0;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double a = value(actual, i), e = value(expected, i);
    const double err = std::fabs(a - e);
    if (!(err <= atol + rtol * std::fabs(e))) {
      if (bad < 5) os << "\n  [" << i << "] actual " << a << " expected " << e;
      ++bad;
      worst = std::max(worst, err);
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << actual.numel() << " elements differ (worst abs error "
                                       << worst << ")" << os.str();
}

ir::Tensor FloatTensor(std::vector<int64_t> dims, std::vector<float> values) {
  return ir::Tensor::FromVector<float>(std::move(dims), values);
}

}  // namespace q2i::testing
