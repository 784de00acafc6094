#include "support/text.h"

#include <gtest/gtest.h>

namespace q2i {
namespace {

TEST(SplitListTest, TrimsAndDropsEmptyItems) {
  EXPECT_EQ(SplitList(" conv2d, fc ,,pool2d "), std::vector<std::string>({"conv2d", "fc", "pool2d"}));
  EXPECT_TRUE(SplitList("").empty());
  EXPECT_EQ(SplitList("a;b", ';'), std::vector<std::string>({"a", "b"}));
}

TEST(ParsePositiveDimsTest, AcceptsPositiveIntegersOnly) {
  EXPECT_EQ(ParsePositiveDims("3,224,224", "--input_shape").value(), std::vector<int64_t>({3, 224, 224}));
  for (const char* bad : {"", "3,x", "3,-1", "0", "3.5"}) {
    auto r = ParsePositiveDims(bad, "--input_shape");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--input_shape"), std::string::npos);
  }
}

}  // namespace
}  // namespace q2i
