#include "data_prep/image_preprocess.h"

#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "tests/test_util/shared_data.h"

namespace q2i {
namespace {

// A w x h BGR image with B = 10*y + x, G = 50 + B, R = 100 + B.
cv::Mat Gradient(int w, int h) {
  cv::Mat image(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int b = 10 * y + x;
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(b, 50 + b, 100 + b);
    }
  }
  return image;
}

float Expected(int pixel, double scale, double mean, double std) {
  return static_cast<float>((static_cast<double>(pixel) * scale - mean) / std);
}

TEST(ImagePreprocessTest, ResizeShortSizeMatchesPaddleRounding) {
  EXPECT_EQ(ResizeShortSize(500, 375, 256), cv::Size(341, 256));
  EXPECT_EQ(ResizeShortSize(375, 500, 256), cv::Size(256, 341));
  EXPECT_EQ(ResizeShortSize(224, 224, 256), cv::Size(256, 256));
  // Python's round() rounds halves to even: 256.5 -> 256, 257.5 -> 258.
  EXPECT_EQ(ResizeShortSize(513, 512, 256), cv::Size(256, 256));
  EXPECT_EQ(ResizeShortSize(515, 512, 256), cv::Size(258, 256));
}

TEST(ImagePreprocessTest, CenterCropRgbWithPerChannelMeanStd) {
  // 6x4, short side already 4: no resize, crop 2x2 at x0 = (6-2)/2 = 2, y0 = (4-2)/2 = 1.
  ImagePreprocessOptions o;
  o.height = 2;
  o.width = 2;
  o.resize_short = 4;
  o.mean = {0.1, 0.2, 0.3};
  o.std = {0.5, 0.25, 2.0};
  StatusOr<std::vector<float>> out = PreprocessImage(Gradient(6, 4), o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 12u);
  const int offsets[3] = {100, 50, 0};  // RGB: R first
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 2; ++y) {
      for (int x = 0; x < 2; ++x) {
        const int pixel = offsets[c] + 10 * (y + 1) + (x + 2);
        EXPECT_EQ((*out)[c * 4 + y * 2 + x], Expected(pixel, 1.0 / 255.0, o.mean[c], o.std[c]))
            << "c=" << c << " y=" << y << " x=" << x;
      }
    }
  }
}

TEST(ImagePreprocessTest, BgrOrderAndSingleMeanStd) {
  ImagePreprocessOptions o;
  o.height = 4;
  o.width = 6;
  o.resize_short = 0;  // same size: no-op resize
  o.channel_order = ChannelOrder::kBGR;
  o.mean = {104};
  o.std = {2};
  o.scale = 1;
  StatusOr<std::vector<float>> out = PreprocessImage(Gradient(6, 4), o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const int offsets[3] = {0, 50, 100};  // BGR: B first
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 6; ++x) {
        EXPECT_EQ((*out)[c * 24 + y * 6 + x], Expected(offsets[c] + 10 * y + x, 1, 104, 2));
      }
    }
  }
}

TEST(ImagePreprocessTest, ResizeShortThenCropGeometry) {
  // Gray 4x2 -> resize_short 4 -> 8x4 (exact 2x, nearest: src = dst / 2) -> crop 4x4 at x0 = 2, y0 = 0.
  cv::Mat gray(2, 4, CV_8UC1);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) gray.at<uint8_t>(y, x) = static_cast<uint8_t>(10 * y + x);
  }
  ImagePreprocessOptions o;
  o.channels = 1;
  o.height = 4;
  o.width = 4;
  o.resize_short = 4;
  o.interpolation = Interpolation::kNearest;
  o.mean = {0};
  o.std = {1};
  o.scale = 1;
  StatusOr<std::vector<float>> out = PreprocessImage(gray, o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) EXPECT_EQ((*out)[y * 4 + x], 10 * (y / 2) + (x + 2) / 2) << y << "," << x;
  }
}

TEST(ImagePreprocessTest, ResizeStraightToOutputSize) {
  ImagePreprocessOptions o;
  o.height = 4;
  o.width = 12;
  o.resize_short = 0;
  o.interpolation = Interpolation::kNearest;
  o.channel_order = ChannelOrder::kBGR;
  o.mean = {0};
  o.std = {1};
  o.scale = 1;
  StatusOr<std::vector<float>> out = PreprocessImage(Gradient(6, 2), o);  // exact 2x in both directions
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 3u * 4 * 12);
  EXPECT_EQ((*out)[0], 0);
  EXPECT_EQ((*out)[3 * 12 + 11], 10 * 1 + 5);            // B at (3, 11) = src (1, 5)
  EXPECT_EQ((*out)[2 * 48 + 2 * 12 + 4], 100 + 10 + 2);  // R at (2, 4) = src (1, 2)
}

TEST(ImagePreprocessTest, GrayInputBecomesThreeEqualChannels) {
  cv::Mat gray(3, 3, CV_8UC1, cv::Scalar(51));
  ImagePreprocessOptions o;
  o.height = 3;
  o.width = 3;
  o.resize_short = 0;
  StatusOr<std::vector<float>> out = PreprocessImage(gray, o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 27u);
  for (int c = 0; c < 3; ++c) EXPECT_EQ((*out)[c * 9 + 4], Expected(51, 1.0 / 255.0, o.mean[c], o.std[c]));
}

TEST(ImagePreprocessTest, BadInputsAndOptionsAreErrors) {
  ImagePreprocessOptions o;
  EXPECT_FALSE(PreprocessImage(cv::Mat(), o).ok());
  EXPECT_EQ(PreprocessImage(cv::Mat(300, 300, CV_16UC3), o).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(PreprocessImage(cv::Mat(300, 300, CV_8UC2), o).status().code(), StatusCode::kUnsupported);
  // A 1-pixel-high strip would be resized to an enormous image.
  EXPECT_FALSE(PreprocessImage(cv::Mat(1, 16000, CV_8UC3, cv::Scalar(0)), o).ok());

  const cv::Mat image(300, 300, CV_8UC3, cv::Scalar(0));
  auto bad = [&](auto mutate) {
    ImagePreprocessOptions copy = o;
    mutate(copy);
    EXPECT_EQ(ValidateImagePreprocessOptions(copy).code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(PreprocessImage(image, copy).ok());
  };
  bad([](ImagePreprocessOptions& c) { c.height = -1; });
  bad([](ImagePreprocessOptions& c) { c.width = 0; });
  bad([](ImagePreprocessOptions& c) { c.channels = 2; });
  bad([](ImagePreprocessOptions& c) { c.resize_short = -1; });
  bad([](ImagePreprocessOptions& c) { c.resize_short = 200; });  // smaller than the 224 crop
  bad([](ImagePreprocessOptions& c) { c.mean = {1, 2}; });
  bad([](ImagePreprocessOptions& c) { c.std = {1, 0, 1}; });
  bad([](ImagePreprocessOptions& c) { c.scale = 0; });
  EXPECT_TRUE(PreprocessImage(image, o).ok());
}

TEST(ImagePreprocessTest, ParseNames) {
  EXPECT_EQ(*ParseInterpolation("lanczos"), Interpolation::kLanczos);
  EXPECT_EQ(*ParseInterpolation("LINEAR"), Interpolation::kLinear);
  EXPECT_EQ(*ParseInterpolation("area"), Interpolation::kArea);
  EXPECT_EQ(*ParseInterpolation("cubic"), Interpolation::kCubic);
  EXPECT_EQ(*ParseInterpolation("nearest"), Interpolation::kNearest);
  EXPECT_FALSE(ParseInterpolation("spline").ok());
  EXPECT_EQ(*ParseChannelOrder("rgb"), ChannelOrder::kRGB);
  EXPECT_EQ(*ParseChannelOrder("BGR"), ChannelOrder::kBGR);
  EXPECT_FALSE(ParseChannelOrder("RGBA").ok());
}

TEST(ImagePreprocessTest, ImageFileErrorsNameTheFile) {
  const auto dir = testing::ScratchDir("img");
  ImagePreprocessOptions o;
  StatusOr<std::vector<float>> missing = PreprocessImageFile(dir / "nope.png", o);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.png"), std::string::npos);
  std::ofstream(dir / "junk.jpg") << "not an image";
  StatusOr<std::vector<float>> junk = PreprocessImageFile(dir / "junk.jpg", o);
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("junk.jpg"), std::string::npos);

  // A lossless file decodes to the same result as the in-memory image.
  const cv::Mat image = Gradient(6, 4);
  ASSERT_TRUE(cv::imwrite((dir / "g.png").string(), image));
  o.height = 2;
  o.width = 2;
  o.resize_short = 4;
  StatusOr<std::vector<float>> from_file = PreprocessImageFile(dir / "g.png", o);
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(*from_file, *PreprocessImage(image, o));
}

}  // namespace
}  // namespace q2i
