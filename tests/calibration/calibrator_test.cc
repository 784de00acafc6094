// The calibration program, the calibrator and QuantizePostTraining end to end on the reference
// executor (the runtime executor is covered by the model-level tests).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "calibration/calibrator.h"
#include "calibration/quant_post.h"
#include "ir/op_kinds.h"
#include "passes/pipelines.h"
#include "tests/calibration/calib_test_util.h"
#include "tests/test_util/program_helpers.h"
#include "tests/test_util/reference_executor.h"
#include "tests/test_util/shared_data.h"

namespace q2i::calibration {
namespace {

using q2i::testing::CountOps;
using q2i::testing::FindOp;

QuantPostOptions Options(Algo algo) {
  QuantPostOptions o;
  o.algo = algo;
  return o;
}

TEST(CalibrationProgramTest, FetchesExactlyTheWantedTensors) {
  ir::Program p = testing::SmallNet();
  auto c = MakeCalibrationProgram(p, {"x", "r", "y"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->FetchNames(), (std::vector<std::string>{"x", "r", "y"}));
  EXPECT_EQ(c->FeedNames(), p.FeedNames());
  EXPECT_EQ(CountOps(*c, "fetch"), 3);
  EXPECT_EQ(p.FetchNames(), (std::vector<std::string>{"y"}));  // the original is untouched
  auto missing = MakeCalibrationProgram(p, {"r", "no_such_var"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no_such_var"), std::string::npos);
  EXPECT_FALSE(MakeCalibrationProgram(p, {"r", "r"}).ok());
}

TEST(CalibratorTest, StatisticsMatchTheTensorsOfEveryBatch) {
  ir::Program p = testing::SmallNet();
  auto c = Calibrator::Create(p, {"x", "r"}, testing::ReferenceRunnerFactory());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  CalibrationData data = testing::RandomData(3, 2, {3, 8, 8}, 5, -2.f, 2.f);
  double x_abs = 0, r_abs = 0, r_min = 1e9;
  auto fetch = MakeCalibrationProgram(p, {"x", "r"});
  for (int64_t b = 0; b < 3; ++b) {
    auto feeds = data.read(b);
    ASSERT_TRUE(c->AddBatch(*feeds).ok());
    auto out = q2i::testing::RunReference(*fetch, *feeds);
    ASSERT_TRUE(out.ok());
    for (float v : (*out)[0].values<float>()) x_abs = std::max<double>(x_abs, std::fabs(v));
    for (float v : (*out)[1].values<float>()) {
      r_abs = std::max<double>(r_abs, std::fabs(v));
      r_min = std::min<double>(r_min, v);
    }
  }
  EXPECT_EQ(c->num_batches(), 3);
  const TensorStats& x = c->stats().at("x");
  const TensorStats& r = c->stats().at("r");
  EXPECT_DOUBLE_EQ(x.abs_max(), x_abs);
  EXPECT_DOUBLE_EQ(r.abs_max(), r_abs);
  EXPECT_DOUBLE_EQ(r.min(), r_min);
  EXPECT_EQ(r.min(), 0);  // a relu output
  EXPECT_EQ(x.num_values(), 3 * 2 * 3 * 8 * 8);
  EXPECT_EQ(x.batch_abs_max().size(), 3u);
}

TEST(CalibratorTest, NanInTheDataNamesTheBatchAndTensor) {
  ir::Program p = testing::SmallNet();
  CalibrationData data = testing::RandomData(4, 2, {3, 8, 8}, 5);
  auto read = data.read;
  data.read = [read](int64_t b) -> StatusOr<std::vector<ir::Tensor>> {
    auto feeds = read(b);
    if (b == 2) (*feeds)[0].data<float>()[17] = std::nanf("");
    return feeds;
  };
  ir::Program before = p.Clone();
  auto r = QuantizePostTraining(p, data, testing::ReferenceRunnerFactory(), Options(Algo::kKL));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch 2"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("'x'"), std::string::npos) << r.status().message();
  EXPECT_EQ(q2i::testing::OpTypes(p), q2i::testing::OpTypes(before));  // unchanged on error
}

TEST(CalibratorTest, RunnerAndReaderErrorsNameTheBatch) {
  ir::Program p = testing::SmallNet();
  CalibrationData data = testing::RandomData(3, 2, {3, 8, 8}, 5);
  data.read = [](int64_t b) -> StatusOr<std::vector<ir::Tensor>> {
    if (b == 1) return IoError("disk on fire");
    return std::vector<ir::Tensor>{q2i::testing::RandomTensor({2, 3, 8, 8}, 1)};
  };
  auto r = QuantizePostTraining(p, data, testing::ReferenceRunnerFactory(), Options(Algo::kAbsMax));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch 1"), std::string::npos);
  EXPECT_NE(r.status().message().find("disk on fire"), std::string::npos);

  // A runner failure (here: a runner that cannot run anything) names the batch too.
  RunnerFactory failing = [](const ir::Program&) -> StatusOr<std::unique_ptr<BatchRunner>> {
    struct Failing final : BatchRunner {
      StatusOr<std::vector<ir::Tensor>> Run(const std::vector<ir::Tensor>&) override {
        return Unsupported("kernel for op 'x' missing");
      }
    };
    return std::unique_ptr<BatchRunner>(new Failing);
  };
  r = QuantizePostTraining(p, testing::RandomData(3, 2, {3, 8, 8}, 5), failing, Options(Algo::kAbsMax));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch 0"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("kernel for op"), std::string::npos) << r.status().message();

  // An already quantized model is refused.
  ir::Program quantized = testing::SmallNet();
  ASSERT_TRUE(QuantizePostTraining(quantized, testing::RandomData(2, 2, {3, 8, 8}, 5), testing::ReferenceRunnerFactory(),
                                   Options(Algo::kAbsMax))
                  .ok());
  r = QuantizePostTraining(quantized, testing::RandomData(2, 2, {3, 8, 8}, 5), testing::ReferenceRunnerFactory(),
                           Options(Algo::kAbsMax));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("already quantized"), std::string::npos);

  CalibrationData none;
  EXPECT_FALSE(QuantizePostTraining(p, none, testing::ReferenceRunnerFactory(), Options(Algo::kAbsMax)).ok());
}

TEST(QuantizePostTrainingTest, EveryAlgorithmGivesAConvertibleModel) {
  for (Algo algo : {Algo::kAbsMax, Algo::kAvg, Algo::kHist, Algo::kKL, Algo::kMse}) {
    SCOPED_TRACE(std::string(AlgoName(algo)));
    ir::Program p = testing::SmallNet();
    auto r = QuantizePostTraining(p, testing::RandomData(6, 4, {3, 8, 8}, 20), testing::ReferenceRunnerFactory(),
                                  Options(algo));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->batches, 6);
    EXPECT_TRUE(r->warnings.empty());
    EXPECT_EQ(r->summary.quantized.size(), 2u);
    ASSERT_EQ(r->tensors.size(), 7u);
    for (const auto& t : r->tensors) {
      EXPECT_GT(t.threshold, 0) << t.tensor;
      EXPECT_LE(t.threshold, t.abs_max) << t.tensor;
      if (algo == Algo::kAbsMax) {
        EXPECT_EQ(t.fraction_clipped, 0) << t.tensor;
      }
    }
    EXPECT_EQ(*FindOp(p, "conv2d")->GetString("quantization_type"), "post_" + std::string(AlgoName(algo)));
    passes::PassManager pm;
    passes::BuildInt8Pipeline(pm);
    passes::PassContext ctx;
    ASSERT_TRUE(pm.Run(p, ctx).ok());
    EXPECT_EQ(FindOp(p, "conv2d")->GetString("mkldnn_data_type").value_or(""), "int8");
    EXPECT_EQ(FindOp(p, "fc")->GetString("mkldnn_data_type").value_or(""), "int8");
  }
}

TEST(QuantizePostTrainingTest, FewBatchesWarnAndReportIsCsv) {
  ir::Program p = testing::SmallNet();
  auto r = QuantizePostTraining(p, testing::RandomData(2, 3, {3, 8, 8}, 30), testing::ReferenceRunnerFactory(),
                                Options(Algo::kHist));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("2 calibration batch"), std::string::npos);
  auto path = q2i::testing::ScratchDir("report") / "report.csv";
  ASSERT_TRUE(WriteReportCsv(path, Algo::kHist, r->tensors).ok());
  std::ifstream in(path);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header, "tensor,algo,threshold,fraction_clipped,abs_max,num_values,note");
  int rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    EXPECT_NE(line.find(",hist,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 7);
}

}  // namespace
}  // namespace q2i::calibration
