#include "tests/calibration/calib_test_util.h"

#include <gtest/gtest.h>

#include "ir/program_builder.h"
#include "tests/test_util/program_helpers.h"
#include "tests/test_util/reference_executor.h"

namespace q2i::calibration::testing {
namespace {

using ir::Attribute;

class ReferenceRunner final : public BatchRunner {
 public:
  explicit ReferenceRunner(const ir::Program& p) : program_(p.Clone()) {}
  StatusOr<std::vector<ir::Tensor>> Run(const std::vector<ir::Tensor>& feeds) override {
    return q2i::testing::RunReference(program_, feeds);
  }

 private:
  ir::Program program_;
};

}  // namespace

ir::Program SmallNet(uint32_t seed) {
  ir::ProgramBuilder b;
  b.Input("x", {-1, 3, 8, 8});
  b.Param("w1", q2i::testing::RandomTensor({4, 3, 3, 3}, seed, -0.5f, 0.5f));
  b.Param("b1", q2i::testing::RandomTensor({4}, seed + 1, -0.2f, 0.2f));
  b.Param("w2", q2i::testing::RandomTensor({64, 10}, seed + 2, -0.3f, 0.3f));
  b.Param("b2", q2i::testing::RandomTensor({10}, seed + 3, -0.1f, 0.1f));
  b.AddOp("conv2d", {{"Input", {"x"}}, {"Filter", {"w1"}}}, {{"Output", {"c"}}},
          {{"strides", Attribute::Ints({1, 1})},
           {"paddings", Attribute::Ints({1, 1})},
           {"dilations", Attribute::Ints({1, 1})},
           {"groups", Attribute::Int(1)},
           {"data_format", Attribute::String("NCHW")}});
  b.DeclareVar("c", {-1, 4, 8, 8});
  b.AddOp("elementwise_add", {{"X", {"c"}}, {"Y", {"b1"}}}, {{"Out", {"cb"}}}, {{"axis", Attribute::Int(1)}});
  b.DeclareVar("cb", {-1, 4, 8, 8});
  b.AddOp("relu", {{"X", {"cb"}}}, {{"Out", {"r"}}});
  b.DeclareVar("r", {-1, 4, 8, 8});
  b.AddOp("pool2d", {{"X", {"r"}}}, {{"Out", {"p"}}},
          {{"pooling_type", Attribute::String("max")},
           {"ksize", Attribute::Ints({2, 2})},
           {"strides", Attribute::Ints({2, 2})},
           {"paddings", Attribute::Ints({0, 0})}});
  b.DeclareVar("p", {-1, 4, 4, 4});
  b.AddOp("fc", {{"Input", {"p"}}, {"W", {"w2"}}, {"Bias", {"b2"}}}, {{"Out", {"y"}}},
          {{"in_num_col_dims", Attribute::Int(1)}, {"activation_type", Attribute::String("")}});
  b.DeclareVar("y", {-1, 10});
  b.Output("y");
  return b.Build();
}

RunnerFactory ReferenceRunnerFactory() {
  return [](const ir::Program& p) -> StatusOr<std::unique_ptr<BatchRunner>> {
    return std::unique_ptr<BatchRunner>(new ReferenceRunner(p));
  };
}

CalibrationData RandomData(int64_t batches, int64_t batch_size, std::vector<int64_t> sample_dims, uint32_t seed,
                           float lo, float hi) {
  CalibrationData d;
  d.num_batches = batches;
  d.read = [=](int64_t i) -> StatusOr<std::vector<ir::Tensor>> {
    std::vector<int64_t> dims = {batch_size};
    dims.insert(dims.end(), sample_dims.begin(), sample_dims.end());
    return std::vector<ir::Tensor>{q2i::testing::RandomTensor(dims, seed + static_cast<uint32_t>(i), lo, hi)};
  };
  return d;
}

std::map<std::string, double> AbsMaxThresholds(const ir::Program& program, const std::vector<std::string>& tensors,
                                               const CalibrationData& data) {
  auto c = Calibrator::Create(program, tensors, ReferenceRunnerFactory());
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  std::map<std::string, double> out;
  if (!c.ok()) return out;
  for (int64_t b = 0; b < data.num_batches; ++b) {
    Status st = c->AddBatch(*data.read(b));
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  for (const auto& [name, s] : c->stats()) out[name] = s.abs_max();
  return out;
}

}  // namespace q2i::calibration::testing
