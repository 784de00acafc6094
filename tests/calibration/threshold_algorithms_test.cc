// Statistics and threshold algorithms on synthetic distributions with known answers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "calibration/histogram.h"
#include "calibration/threshold_algorithms.h"

namespace q2i::calibration {
namespace {

std::vector<float> Uniform(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

std::vector<float> Gaussian(size_t n, float sigma, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

TensorStats Observe(const std::vector<std::vector<float>>& batches, int64_t samples = 1) {
  TensorStats s("t");
  for (size_t b = 0; b < batches.size(); ++b) EXPECT_TRUE(s.Observe(batches[b], samples, static_cast<int64_t>(b)).ok());
  return s;
}

double Threshold(const TensorStats& s, Algo algo, double hist_percent = 0.99999) {
  auto r = ComputeThreshold(s, algo, {.hist_percent = hist_percent});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->threshold : -1;
}

TEST(TensorStatsTest, RunningValuesAndBatchMaxima) {
  TensorStats s = Observe({{-3.f, 1.f, 2.f, 0.5f}, {0.f, 4.f, -1.f, 0.25f}}, 2);
  EXPECT_EQ(s.num_values(), 8);
  EXPECT_EQ(s.num_batches(), 2);
  EXPECT_DOUBLE_EQ(s.min(), -3);
  EXPECT_DOUBLE_EQ(s.max(), 4);
  EXPECT_DOUBLE_EQ(s.abs_max(), 4);
  EXPECT_EQ(s.batch_abs_max(), (std::vector<double>{3, 4}));
  // samples: {-3, 1} {2, 0.5} | {0, 4} {-1, 0.25} -> per-sample abs max means (3+2)/2, (4+1)/2
  EXPECT_EQ(s.batch_mean_sample_abs_max(), (std::vector<double>{2.5, 2.5}));
}

TEST(TensorStatsTest, GrowingRangeKeepsEveryValueAndMatchesDirectHistogram) {
  auto a = Uniform(20000, -1.f, 1.f, 1);
  auto b = Uniform(20000, -3.f, 3.f, 2);
  TensorStats s = Observe({a, b});
  EXPECT_GE(s.fine_range(), s.abs_max());
  EXPECT_GT(s.abs_max(), 2.9);
  BinnedHistogram h = s.Binned(64);
  EXPECT_NEAR(h.total(), 40000, 1e-6);
  EXPECT_DOUBLE_EQ(h.max, s.abs_max());
  // Direct histogram of |x| over [0, abs_max] with 64 bins.
  std::vector<double> direct(64, 0);
  for (const auto* v : {&a, &b})
    for (float x : *v) direct[std::min<size_t>(static_cast<size_t>(std::fabs(x) / s.abs_max() * 64), 63)] += 1;
  for (size_t i = 0; i < 64; ++i) EXPECT_NEAR(h.counts[i], direct[i], 0.02 * direct[i] + 3) << i;
}

TEST(TensorStatsTest, ZeroBatchesFirstThenValues) {
  TensorStats s = Observe({{0.f, 0.f, 0.f}, {0.f, 2.f}});
  EXPECT_DOUBLE_EQ(s.abs_max(), 2);
  BinnedHistogram h = s.Binned(4);
  EXPECT_DOUBLE_EQ(h.counts[0], 4);
  EXPECT_DOUBLE_EQ(h.counts[3], 1);
}

TEST(TensorStatsTest, HugeJumpInRangeCollapsesIntoTheFirstBin) {
  TensorStats s = Observe({{0.5f, 1.f, -0.25f}, {1e30f, 3.f}});
  EXPECT_GE(s.fine_range(), 1e30);
  EXPECT_NEAR(s.Binned(8).counts[0], 4, 1e-9);
  EXPECT_NEAR(s.Binned(8).counts[7], 1, 1e-9);
  EXPECT_NEAR(s.Binned(8).total(), 5, 1e-9);
}

TEST(TensorStatsTest, NanAndInfAreErrorsNamingTheBatch) {
  TensorStats s("conv_out");
  ASSERT_TRUE(s.Observe(std::vector<float>{1.f, 2.f}, 1, 0).ok());
  Status st = s.Observe(std::vector<float>{1.f, std::nanf("")}, 1, 7);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("batch 7"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("conv_out"), std::string::npos);
  EXPECT_NE(st.message().find("NaN"), std::string::npos);
  st = s.Observe(std::vector<float>{INFINITY}, 1, 8);
  EXPECT_NE(st.message().find("infinite"), std::string::npos);
  EXPECT_EQ(s.num_batches(), 1);  // failed batches are not folded in
}

TEST(ThresholdAlgorithmsTest, ParseAndName) {
  EXPECT_EQ(*ParseAlgo("KL"), Algo::kKL);
  EXPECT_EQ(*ParseAlgo("abs_max"), Algo::kAbsMax);
  EXPECT_EQ(AlgoName(Algo::kKL), "kl");
  EXPECT_FALSE(ParseAlgo("min_max").ok());
}

TEST(ThresholdAlgorithmsTest, AbsMaxAndAvg) {
  TensorStats s = Observe({{1.f, -2.f}, {0.5f, 6.f}, {-3.f, 0.f}});
  EXPECT_DOUBLE_EQ(Threshold(s, Algo::kAbsMax), 6);
  EXPECT_DOUBLE_EQ(Threshold(s, Algo::kAvg), (2.0 + 6.0 + 3.0) / 3);
}

TEST(ThresholdAlgorithmsTest, HistPercentileIsExactOnAKnownHistogram) {
  BinnedHistogram h{{50, 30, 15, 5}, 4.0};  // bin width 1
  EXPECT_DOUBLE_EQ(HistPercentThreshold(h, 0.5), 0.5);   // reached in bin 0
  EXPECT_DOUBLE_EQ(HistPercentThreshold(h, 0.8), 1.5);   // 0.8 reached exactly in bin 1
  EXPECT_DOUBLE_EQ(HistPercentThreshold(h, 0.81), 2.5);
  EXPECT_DOUBLE_EQ(HistPercentThreshold(h, 1.0), 3.5);
}

TEST(ThresholdAlgorithmsTest, HistOnUniformIsThePercentile) {
  TensorStats s = Observe({Uniform(200000, -2.f, 2.f, 3)});
  EXPECT_NEAR(Threshold(s, Algo::kHist, 0.9), 1.8, 0.01);
  EXPECT_NEAR(Threshold(s, Algo::kHist, 0.5), 1.0, 0.01);
}

TEST(ThresholdAlgorithmsTest, UniformNeedsNoClipping) {
  TensorStats s = Observe({Uniform(200000, -1.f, 1.f, 4)});
  EXPECT_NEAR(Threshold(s, Algo::kAbsMax), 1.0, 1e-3);
  EXPECT_NEAR(Threshold(s, Algo::kKL), 1.0, 0.05);
  EXPECT_NEAR(Threshold(s, Algo::kMse), 1.0, 0.01);
}

TEST(ThresholdAlgorithmsTest, KlClipsOutliersOfAGaussianAndMseLiesBetween) {
  std::vector<float> v = Gaussian(200000, 1.f, 5);
  for (int i = 0; i < 20; ++i) v[static_cast<size_t>(i) * 997] = (i % 2 ? -1.f : 1.f) * (30.f + static_cast<float>(i));
  TensorStats s = Observe({v});
  const double abs_max = Threshold(s, Algo::kAbsMax);
  const double kl = Threshold(s, Algo::kKL);
  const double mse = Threshold(s, Algo::kMse);
  const double p999 = Threshold(s, Algo::kHist, 0.999);
  EXPECT_NEAR(abs_max, 49, 1e-4);
  // KL (PaddleSlim's search never goes below half the range) cuts the far outliers off.
  EXPECT_GE(kl, 0.5 * abs_max);
  EXPECT_LT(kl, 0.7 * abs_max);
  // mse trades the clipping error of the outliers against rounding noise: between the others.
  EXPECT_LT(mse, abs_max);
  EXPECT_GT(mse, p999);
  auto r = ComputeThreshold(s, Algo::kKL);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->fraction_clipped, 0);
  EXPECT_LT(r->fraction_clipped, 20.0 / 200000);
  // mse minimizes the error it reports
  const BinnedHistogram h = s.Binned();
  EXPECT_LE(QuantizationMse(h, mse), QuantizationMse(h, abs_max));
  EXPECT_LE(QuantizationMse(h, mse), QuantizationMse(h, kl));
}

TEST(ThresholdAlgorithmsTest, MseClipsARareOutlier) {
  // One value in 400000 at 40 sigma. With T below 40 the error per value is the rounding noise
  // (T/127)^2/12 plus the clipped outlier (40-T)^2/4e5 (the gaussian itself stays below T), minimal at
  // T = 40 * 96774 / (2e5 + 96774) = 13.04; keeping the outlier (T = 40) would cost 0.008.
  std::vector<float> v = Gaussian(400000, 1.f, 6);
  v[1234] = 40.f;
  TensorStats s = Observe({v});
  const double mse = Threshold(s, Algo::kMse);
  EXPECT_NEAR(mse, 13.04, 40.0 / 256);  // the grid step
  EXPECT_NEAR(Threshold(s, Algo::kKL), 40, 0.1);  // KL cannot go below 20, where nothing but the outlier is
}

TEST(ThresholdAlgorithmsTest, MseOfUniformMatchesTheRoundingNoiseModel) {
  BinnedHistogram h{std::vector<double>(2048, 1.0), 127.0};  // uniform on [0, 127]
  // t = 127: step 1, uniform rounding noise 1/12
  EXPECT_NEAR(QuantizationMse(h, 127.0), 1.0 / 12, 1e-9);
  // t = 63.5: values above are clipped: half the mass, mean (x - 63.5)^2 over [63.5, 127] = 63.5^2/3
  EXPECT_NEAR(QuantizationMse(h, 63.5), 0.5 * 0.25 / 12 + 0.5 * 63.5 * 63.5 / 3, 1e-6);
}

TEST(ThresholdAlgorithmsTest, AllZeroHasNoThreshold) {
  TensorStats s = Observe({{0.f, 0.f}, {0.f}});
  for (Algo a : {Algo::kAbsMax, Algo::kAvg, Algo::kHist, Algo::kKL, Algo::kMse}) {
    auto r = ComputeThreshold(s, a);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->threshold, 0) << AlgoName(a);
    EXPECT_NE(r->note.find("0"), std::string::npos);
  }
}

TEST(ThresholdAlgorithmsTest, ConstantTensorGetsItsValue) {
  TensorStats s = Observe({std::vector<float>(1000, -0.75f), std::vector<float>(1000, -0.75f)});
  for (Algo a : {Algo::kAbsMax, Algo::kAvg, Algo::kHist, Algo::kKL, Algo::kMse}) {
    const double t = Threshold(s, a);
    EXPECT_GT(t, 0.75 * (1 - 1.0 / 1000)) << AlgoName(a);
    EXPECT_LE(t, 0.75) << AlgoName(a);
  }
}

TEST(ThresholdAlgorithmsTest, UnobservedTensorAndBadOptionsAreErrors) {
  TensorStats never("never_fetched");
  auto r = ComputeThreshold(never, Algo::kKL);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("never_fetched"), std::string::npos);
  TensorStats s = Observe({{1.f}});
  EXPECT_FALSE(ComputeThreshold(s, Algo::kHist, {.hist_percent = 1.5}).ok());
  EXPECT_FALSE(ComputeThreshold(s, Algo::kHist, {.hist_percent = 0}).ok());
}

}  // namespace
}  // namespace q2i::calibration
