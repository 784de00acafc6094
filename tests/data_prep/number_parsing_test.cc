#include "data_prep/number_parsing.h"

#include <gtest/gtest.h>

namespace q2i {
namespace {

TEST(NumberParsingTest, NumbersAndFractions) {
  EXPECT_EQ(*ParseNumber("0.5", "--x"), 0.5);
  EXPECT_EQ(*ParseNumber(" 1e-3 ", "--x"), 1e-3);
  EXPECT_EQ(*ParseNumber("1/255", "--scale"), 1.0 / 255.0);
  EXPECT_EQ(*ParseNumber("-2", "--x"), -2.0);
  for (const char* bad : {"", "abc", "1/0", "1/", "0.5x", "nan", "inf"}) {
    StatusOr<double> r = ParseNumber(bad, "--scale");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--scale"), std::string::npos);
  }
}

TEST(NumberParsingTest, Lists) {
  EXPECT_EQ(*ParseNumberList("0.485,0.456,0.406", "--mean"), (std::vector<double>{0.485, 0.456, 0.406}));
  EXPECT_EQ(*ParseNumberList("104, 117, 123", "--mean"), (std::vector<double>{104, 117, 123}));
  EXPECT_EQ(*ParseNumberList("0.5", "--mean"), (std::vector<double>{0.5}));
  for (const char* bad : {"", "1,,2", "1,2,", "a,b"}) {
    StatusOr<std::vector<double>> r = ParseNumberList(bad, "--mean");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--mean"), std::string::npos);
  }
}

}  // namespace
}  // namespace q2i
