#include "support/stats.h"

#include <gtest/gtest.h>

namespace q2i {
namespace {

TEST(StatsTest, PercentileIsTheNearestRankOfTheSortedSamples) {
  const std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_EQ(Percentile(v, 0.0), 1);
  EXPECT_EQ(Percentile(v, 1.0), 5);
  EXPECT_EQ(Percentile(v, 0.9), 5);  // rank round(3.6) = 4
  EXPECT_EQ(Percentile(v, 0.6), 3);  // rank round(2.4) = 2
  EXPECT_EQ(Median(v), 3);
}

TEST(StatsTest, MedianOfAnEvenCountIsTheUpperMiddleSample) {
  EXPECT_EQ(Median({4, 1, 3, 2}), 3);
  EXPECT_EQ(Median({7}), 7);
}

TEST(StatsTest, QuantileOutsideZeroOneIsClamped) {
  EXPECT_EQ(Percentile({2, 9, 4}, -1.0), 2);
  EXPECT_EQ(Percentile({2, 9, 4}, 3.0), 9);
}

}  // namespace
}  // namespace q2i
