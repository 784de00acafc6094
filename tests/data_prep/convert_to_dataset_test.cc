// ConvertImageList on synthetic images, and both converters on the real shared data sets.
#include "data_prep/convert_to_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "data_prep/dataset.h"
#include "data_prep/label_list.h"
#include "tests/test_util/shared_data.h"

namespace q2i {
namespace {
namespace fs = std::filesystem;

// A data dir with two PNGs (a.png label 5, sub/b.png label 9), a junk file and a list naming them.
fs::path MakeDataDir(const std::string& list_text) {
  const fs::path dir = testing::ScratchDir("images");
  fs::create_directories(dir / "sub");
  EXPECT_TRUE(cv::imwrite((dir / "a.png").string(), cv::Mat(10, 12, CV_8UC3, cv::Scalar(10, 20, 30))));
  EXPECT_TRUE(cv::imwrite((dir / "sub" / "b.png").string(), cv::Mat(12, 10, CV_8UC1, cv::Scalar(200))));
  std::ofstream(dir / "junk.jpg") << "not an image";
  std::ofstream(dir / "list.txt") << list_text;
  return dir;
}

ImageListConversion SmallConversion(const fs::path& dir) {
  ImageListConversion c;
  c.data_dir = dir;
  c.label_list = "list.txt";
  c.output_file = dir / "out" / "data.bin";
  c.preprocess.height = 8;
  c.preprocess.width = 8;
  c.preprocess.resize_short = 8;
  c.preprocess.interpolation = Interpolation::kArea;
  return c;
}

TEST(ConvertImageListTest, WritesPreprocessedImagesAndLabels) {
  const fs::path dir = MakeDataDir("a.png 5\nsub/b.png 9\n");
  const ImageListConversion c = SmallConversion(dir);
  int64_t last_done = 0, last_total = 0;
  StatusOr<ConversionResult> result =
      ConvertImageList(c, [&](int64_t done, int64_t total) { last_done = done, last_total = total; });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->written, 2);
  EXPECT_EQ(result->skipped, 0);
  EXPECT_EQ(last_done, 2);
  EXPECT_EQ(last_total, 2);
  StatusOr<DatasetReader> reader = DatasetReader::Open(c.output_file, std::vector<int64_t>{3, 8, 8});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_EQ(reader->num_samples(), 2);
  std::vector<float> images(2 * 3 * 64);
  std::vector<int64_t> labels(2);
  ASSERT_TRUE(reader->ReadBatch(0, 2, images.data(), labels.data()).ok());
  EXPECT_EQ(labels, (std::vector<int64_t>{5, 9}));
  const std::vector<float> a = *PreprocessImageFile(dir / "a.png", c.preprocess);
  const std::vector<float> b = *PreprocessImageFile(dir / "sub" / "b.png", c.preprocess);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), images.begin()));
  EXPECT_TRUE(std::equal(b.begin(), b.end(), images.begin() + 192));
  // a.png is uniform BGR (10, 20, 30): channel 0 (R) = (30/255 - 0.485) / 0.229.
  EXPECT_EQ(images[0], static_cast<float>((30.0 / 255.0 - 0.485) / 0.229));
}

TEST(ConvertImageListTest, BadImageFailsWithoutSkipBadAndLeavesNoOutput) {
  const fs::path dir = MakeDataDir("a.png 5\njunk.jpg 1\nsub/b.png 9\n");
  const ImageListConversion c = SmallConversion(dir);
  StatusOr<ConversionResult> result = ConvertImageList(c);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("junk.jpg"), std::string::npos) << result.status().message();
  EXPECT_FALSE(fs::exists(c.output_file));
  if (fs::exists(c.output_file.parent_path())) {
    EXPECT_TRUE(fs::is_empty(c.output_file.parent_path()));  // no temporary left behind
  }
}

TEST(ConvertImageListTest, SkipBadCountsAndLeavesOut) {
  const fs::path dir = MakeDataDir("a.png 5\njunk.jpg 1\nmissing.png 2\nsub/b.png 9\n");
  ImageListConversion c = SmallConversion(dir);
  c.skip_bad = true;
  StatusOr<ConversionResult> result = ConvertImageList(c);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->written, 2);
  EXPECT_EQ(result->skipped, 2);
  ASSERT_EQ(result->skip_reasons.size(), 2u);
  EXPECT_NE(result->skip_reasons[0].find("junk.jpg"), std::string::npos);
  EXPECT_NE(result->skip_reasons[1].find("missing.png"), std::string::npos);
  StatusOr<DatasetReader> reader = DatasetReader::Open(c.output_file);
  ASSERT_TRUE(reader.ok());
  std::vector<int64_t> labels(2);
  ASSERT_TRUE(reader->ReadBatch(0, 2, nullptr, labels.data()).ok());
  EXPECT_EQ(labels, (std::vector<int64_t>{5, 9}));

  // Nothing readable at all is an error even with skip_bad.
  std::ofstream(dir / "list.txt") << "junk.jpg 1\n";
  c.output_file = dir / "none.bin";
  EXPECT_FALSE(ConvertImageList(c).ok());
  EXPECT_FALSE(fs::exists(c.output_file));
}

TEST(ConvertImageListTest, LimitAbsoluteListAndBadOptions) {
  const fs::path dir = MakeDataDir("a.png 5\nsub/b.png 9\n");
  ImageListConversion c = SmallConversion(dir);
  c.limit = 1;
  c.label_list = dir / "list.txt";  // absolute
  StatusOr<ConversionResult> result = ConvertImageList(c);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->written, 1);
  EXPECT_EQ(DatasetReader::Open(c.output_file)->num_samples(), 1);

  // A failed run leaves an existing output untouched.
  const auto size_before = fs::file_size(c.output_file);
  c.preprocess.mean = {1, 2};
  EXPECT_EQ(ConvertImageList(c).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fs::file_size(c.output_file), size_before);
  c.preprocess.mean = {0};
  c.limit = -1;
  EXPECT_FALSE(ConvertImageList(c).ok());
  c.limit = 0;
  c.data_dir = dir / "no_such_dir";
  EXPECT_EQ(ConvertImageList(c).status().code(), StatusCode::kNotFound);
}

// --- Model-level data: the real shared data sets. ---

TEST(SharedDataConversionTest, MnistTestSetForLeNet) {
  Q2I_REQUIRE_SHARED("data/mnist/t10k-images-idx3-ubyte.gz");
  Q2I_REQUIRE_SHARED("data/mnist/t10k-labels-idx1-ubyte.gz");
  MnistConversion c;
  c.images = testing::SharedPath("data/mnist/t10k-images-idx3-ubyte.gz");
  c.labels = testing::SharedPath("data/mnist/t10k-labels-idx1-ubyte.gz");
  c.output_file = testing::ScratchDir("mnist") / "mnist_t10k.bin";
  c.normalization = {1.0 / 255.0, 0.5, 0.5};
  StatusOr<ConversionResult> result = ConvertMnist(c);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->written, 10000);

  StatusOr<DatasetReader> reader = DatasetReader::Open(c.output_file, std::vector<int64_t>{1, 28, 28});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_EQ(reader->num_samples(), 10000);
  std::vector<float> images(10000 * 784);
  std::vector<int64_t> labels(10000);
  ASSERT_TRUE(reader->ReadBatch(0, 10000, images.data(), labels.data()).ok());
  EXPECT_EQ(std::vector<int64_t>(labels.begin(), labels.begin() + 5), (std::vector<int64_t>{7, 2, 1, 0, 4}));
  EXPECT_TRUE(std::all_of(labels.begin(), labels.end(), [](int64_t l) { return l >= 0 && l <= 9; }));
  const auto [min, max] = std::minmax_element(images.begin(), images.end());
  EXPECT_EQ(*min, -1.0f);  // background pixel 0
  EXPECT_EQ(*max, 1.0f);   // stroke pixel 255
}

TEST(SharedDataConversionTest, ImageNetSample100) {
  Q2I_REQUIRE_SHARED("data/imagenet_sample_100/val_list.txt");
  ImageListConversion c;
  c.data_dir = testing::SharedPath("data/imagenet_sample_100");
  c.label_list = "val_list.txt";
  c.output_file = testing::ScratchDir("imagenet") / "imagenet_100.bin";  // Paddle defaults otherwise
  StatusOr<ConversionResult> result = ConvertImageList(c);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->written, 100);
  EXPECT_EQ(result->skipped, 0);

  StatusOr<DatasetReader> reader = DatasetReader::Open(c.output_file, std::vector<int64_t>{3, 224, 224});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_EQ(reader->num_samples(), 100);
  std::vector<int64_t> labels(100);
  ASSERT_TRUE(reader->ReadBatch(0, 100, nullptr, labels.data()).ok());
  const auto banana = std::find(labels.begin(), labels.end(), 954);
  ASSERT_NE(banana, labels.end()) << "banana (class 954) missing";

  // Labels follow the list; the banana sample equals the image preprocessed on its own.
  StatusOr<std::vector<LabeledPath>> list = ReadLabelList(c.data_dir / "val_list.txt");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 100u);
  for (size_t i = 0; i < 100; ++i) EXPECT_EQ(labels[i], (*list)[i].label);
  const int64_t index = banana - labels.begin();
  std::vector<float> image(3 * 224 * 224);
  ASSERT_TRUE(reader->ReadBatch(index, 1, image.data(), nullptr).ok());
  StatusOr<std::vector<float>> direct =
      PreprocessImageFile(c.data_dir / (*list)[static_cast<size_t>(index)].path, c.preprocess);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_EQ(image, *direct);
  // Normalized ImageNet values stay within (0 - mean) / std .. (1 - mean) / std.
  const auto [min, max] = std::minmax_element(image.begin(), image.end());
  EXPECT_GE(*min, -2.2f);
  EXPECT_LE(*max, 2.7f);
}

}  // namespace
}  // namespace q2i
