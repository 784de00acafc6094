#include "data_prep/dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/test_util/shared_data.h"

namespace q2i {
namespace {
namespace fs = std::filesystem;

// Writes `n` samples of `numel` floats: image i holds i*100 + j, label i*7.
fs::path WriteSamples(const fs::path& path, int n, int numel) {
  StatusOr<DatasetWriter> writer = DatasetWriter::Create(path, numel);
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  for (int i = 0; i < n; ++i) {
    std::vector<float> image(numel);
    for (int j = 0; j < numel; ++j) image[j] = static_cast<float>(i * 100 + j);
    EXPECT_TRUE(writer->Append(image, i * 7).ok());
  }
  EXPECT_TRUE(writer->Finish().ok());
  return path;
}

void WriteRaw(const fs::path& path, const std::vector<int64_t>& words) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(words.size() * 8));
}

TEST(DatasetTest, RoundTripWithAndWithoutExpectedDims) {
  const fs::path path = WriteSamples(testing::ScratchDir("ds") / "d.bin", 5, 6);
  EXPECT_EQ(fs::file_size(path), 8u + 5 * (6 * 4 + 8));

  for (const auto& dims : {std::optional<std::vector<int64_t>>(), std::optional(std::vector<int64_t>{2, 3})}) {
    StatusOr<DatasetReader> reader = DatasetReader::Open(path, dims);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ(reader->num_samples(), 5);
    EXPECT_EQ(reader->sample_numel(), 6);
    std::vector<float> images(2 * 6);
    std::vector<int64_t> labels(2);
    ASSERT_TRUE(reader->ReadBatch(2, 2, images.data(), labels.data()).ok());
    EXPECT_EQ(labels, (std::vector<int64_t>{14, 21}));
    EXPECT_EQ(images[0], 200.0f);
    EXPECT_EQ(images[5], 205.0f);
    EXPECT_EQ(images[6], 300.0f);
    EXPECT_EQ(images[11], 305.0f);
  }
}

TEST(DatasetTest, ReadBatchPartsAndRanges) {
  const fs::path path = WriteSamples(testing::ScratchDir("ds") / "d.bin", 4, 3);
  StatusOr<DatasetReader> reader = DatasetReader::Open(path);
  ASSERT_TRUE(reader.ok());
  std::vector<int64_t> labels(4);
  ASSERT_TRUE(reader->ReadBatch(0, 4, nullptr, labels.data()).ok());
  EXPECT_EQ(labels, (std::vector<int64_t>{0, 7, 14, 21}));
  std::vector<float> image(3);
  ASSERT_TRUE(reader->ReadBatch(3, 1, image.data(), nullptr).ok());
  EXPECT_EQ(image, (std::vector<float>{300, 301, 302}));
  EXPECT_TRUE(reader->ReadBatch(4, 0, nullptr, nullptr).ok());
  EXPECT_EQ(reader->ReadBatch(3, 2, image.data(), nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reader->ReadBatch(-1, 1, image.data(), nullptr).code(), StatusCode::kInvalidArgument);
  // The reader still works after a rejected request.
  ASSERT_TRUE(reader->ReadBatch(0, 1, image.data(), nullptr).ok());
  EXPECT_EQ(image, (std::vector<float>{0, 1, 2}));
}

TEST(DatasetTest, TruncatedFileIsAnErrorNamingTheFile) {
  const fs::path path = WriteSamples(testing::ScratchDir("ds") / "trunc.bin", 3, 4);
  fs::resize_file(path, fs::file_size(path) - 4);
  for (const auto& dims : {std::optional<std::vector<int64_t>>(), std::optional(std::vector<int64_t>{4})}) {
    StatusOr<DatasetReader> reader = DatasetReader::Open(path, dims);
    ASSERT_FALSE(reader.ok());
    EXPECT_NE(reader.status().message().find("trunc.bin"), std::string::npos) << reader.status().message();
    EXPECT_NE(reader.status().message().find("truncated"), std::string::npos) << reader.status().message();
  }
}

TEST(DatasetTest, OversizedFileIsAnError) {
  const fs::path path = WriteSamples(testing::ScratchDir("ds") / "big.bin", 2, 4);
  std::ofstream(path, std::ios::binary | std::ios::app) << "xyz";
  EXPECT_FALSE(DatasetReader::Open(path).ok());
}

TEST(DatasetTest, WrongExpectedDimsNamesBothShapes) {
  const fs::path path = WriteSamples(testing::ScratchDir("ds") / "dims.bin", 3, 6);
  StatusOr<DatasetReader> reader = DatasetReader::Open(path, std::vector<int64_t>{2, 2});
  ASSERT_FALSE(reader.ok());
  const std::string& msg = reader.status().message();
  EXPECT_NE(msg.find("dims.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 2]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("6 floats per image"), std::string::npos) << msg;
  EXPECT_FALSE(DatasetReader::Open(path, std::vector<int64_t>{-1, 6}).ok());
  EXPECT_TRUE(DatasetReader::Open(path, std::vector<int64_t>{1, 2, 3}).ok());
}

TEST(DatasetTest, BadHeadersAreErrors) {
  const fs::path dir = testing::ScratchDir("ds");
  EXPECT_EQ(DatasetReader::Open(dir / "missing.bin").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(DatasetReader::Open(dir).ok());
  std::ofstream(dir / "tiny.bin") << "abc";
  EXPECT_FALSE(DatasetReader::Open(dir / "tiny.bin").ok());
  WriteRaw(dir / "zero.bin", {0, 1, 2});
  EXPECT_NE(DatasetReader::Open(dir / "zero.bin").status().message().find("invalid sample count 0"), std::string::npos);
  WriteRaw(dir / "neg.bin", {-5, 1, 2});
  EXPECT_FALSE(DatasetReader::Open(dir / "neg.bin").ok());
  WriteRaw(dir / "absurd.bin", {int64_t{1} << 40, 1, 2, 3});
  StatusOr<DatasetReader> absurd = DatasetReader::Open(dir / "absurd.bin", std::vector<int64_t>{3, 224, 224});
  ASSERT_FALSE(absurd.ok());
  EXPECT_NE(absurd.status().message().find("absurd.bin"), std::string::npos);
}

TEST(DatasetTest, WriterPublishesOnlyOnFinish) {
  const fs::path dir = testing::ScratchDir("ds");
  const fs::path path = dir / "sub" / "out.bin";
  {
    StatusOr<DatasetWriter> writer = DatasetWriter::Create(path, 2);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->Append(std::vector<float>{1, 2}, 3).ok());
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir / "sub"), fs::directory_iterator()), 1);  // the temp
  }
  // Destroyed without Finish: no output, no temporary left behind.
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir / "sub"));

  StatusOr<DatasetWriter> writer = DatasetWriter::Create(path, 2);
  ASSERT_TRUE(writer.ok());
  DatasetWriter moved = std::move(*writer);
  EXPECT_EQ(moved.Append(std::vector<float>{1, 2, 3}, 0).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(moved.Append(std::vector<float>{1, 2}, 9).ok());
  ASSERT_TRUE(moved.Finish().ok());
  EXPECT_EQ(moved.num_written(), 1);
  EXPECT_FALSE(moved.Finish().ok());
  EXPECT_EQ(fs::file_size(path), 8u + 8 + 8);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "sub"), fs::directory_iterator()), 1);
}

TEST(DatasetTest, WriterRejectsEmptyDatasetAndBadArguments) {
  const fs::path dir = testing::ScratchDir("ds");
  StatusOr<DatasetWriter> writer = DatasetWriter::Create(dir / "empty.bin", 4);
  ASSERT_TRUE(writer.ok());
  EXPECT_FALSE(writer->Finish().ok());
  EXPECT_TRUE(fs::is_empty(dir));
  EXPECT_FALSE(DatasetWriter::Create(dir / "x.bin", 0).ok());
  EXPECT_FALSE(DatasetWriter::Create(dir, 4).ok());  // a directory
  EXPECT_FALSE(DatasetWriter::Create("", 4).ok());
}

}  // namespace
}  // namespace q2i
