#include "data_prep/progress_bar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace q2i {
namespace {

TEST(ProgressBarTest, Format) {
  EXPECT_EQ(FormatProgressBar(512, 1000, 10), "[=====>    ] 512/1000");
  EXPECT_EQ(FormatProgressBar(0, 10, 4), "[>   ] 0/10");
  EXPECT_EQ(FormatProgressBar(10, 10, 4), "[====] 10/10");
  EXPECT_EQ(FormatProgressBar(0, 0, 3), "[   ] 0/0");
}

TEST(ProgressBarTest, RateLimitedRedrawsAndFinalLine) {
  std::ostringstream out;
  ProgressBar bar(out, 1000, 10);
  for (int i = 1; i <= 1000; ++i) bar.Update(i);  // far less than 100 ms
  bar.Finish();
  bar.Finish();
  const std::string text = out.str();
  EXPECT_LE(std::count(text.begin(), text.end(), '\r'), 3);
  EXPECT_TRUE(text.ends_with("\r[==========] 1000/1000\n")) << text;
}

}  // namespace
}  // namespace q2i
