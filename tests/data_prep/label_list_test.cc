#include "data_prep/label_list.h"

#include <gtest/gtest.h>

#include "tests/test_util/shared_data.h"

namespace q2i {
namespace {

TEST(LabelListTest, ParsesLinesSkippingBlanks) {
  StatusOr<std::vector<LabeledPath>> list =
      ParseLabelList("a/b.jpg 3\n\n  c.JPEG\t954\r\nwith space.png 0\n   \nlast.png 12", "list.txt");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[0].path, "a/b.jpg");
  EXPECT_EQ((*list)[0].label, 3);
  EXPECT_EQ((*list)[1].path, "c.JPEG");
  EXPECT_EQ((*list)[1].label, 954);
  EXPECT_EQ((*list)[2].path, "with space.png");
  EXPECT_EQ((*list)[3].path, "last.png");
  EXPECT_EQ((*list)[3].label, 12);
}

TEST(LabelListTest, MalformedLinesNameFileAndLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"a.jpg 1\n\nb.jpg\n", "line 3"},
      {"a.jpg x\n", "line 1"},
      {"a.jpg 1\nb.jpg 1.5\n", "line 2"},
      {"a.jpg -4\n", "negative label"},
      {"a.jpg 99999999999999999999999\n", "line 1"},
  };
  for (const Case& c : cases) {
    StatusOr<std::vector<LabeledPath>> list = ParseLabelList(c.text, "my_list.txt");
    ASSERT_FALSE(list.ok()) << c.text;
    EXPECT_EQ(list.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(list.status().message().find("my_list.txt"), std::string::npos) << list.status().message();
    EXPECT_NE(list.status().message().find(c.expected), std::string::npos) << list.status().message();
  }
  EXPECT_FALSE(ParseLabelList("\n \n", "empty.txt").ok());
}

TEST(LabelListTest, ReadsFilesAndReportsMissingOnes) {
  StatusOr<std::vector<LabeledPath>> missing = ReadLabelList(testing::ScratchDir("ll") / "nope.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.txt"), std::string::npos);
}

}  // namespace
}  // namespace q2i
