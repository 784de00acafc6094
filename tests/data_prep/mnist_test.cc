#include "data_prep/mnist.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <string>

#include "data_prep/convert_to_dataset.h"
#include "data_prep/dataset.h"
#include "tests/test_util/shared_data.h"

namespace q2i {
namespace {
namespace fs = std::filesystem;

std::string BigEndian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// 3 images of 2x3 with pixel i*6 + j * 40 (mod 256), labels 7, 2, 1.
std::string ImagesIdx(uint32_t count = 3, uint32_t magic = 2051) {
  std::string data = BigEndian(magic) + BigEndian(count) + BigEndian(2) + BigEndian(3);
  for (int i = 0; i < 3 * 6; ++i) data += static_cast<char>((i * 40) % 256);
  return data;
}
std::string LabelsIdx() { return BigEndian(2049) + BigEndian(3) + std::string("\x07\x02\x01", 3); }

fs::path WriteRaw(const fs::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
  return path;
}
fs::path WriteGzip(const fs::path& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(gzwrite(f, data.data(), static_cast<unsigned>(data.size())), static_cast<int>(data.size()));
  gzclose(f);
  return path;
}

TEST(MnistTest, ReadsRawAndGzip) {
  const fs::path dir = testing::ScratchDir("mnist");
  for (bool gzip : {false, true}) {
    const fs::path images =
        gzip ? WriteGzip(dir / "img.gz", ImagesIdx()) : WriteRaw(dir / "img.raw", ImagesIdx());
    const fs::path labels =
        gzip ? WriteGzip(dir / "lab.gz", LabelsIdx()) : WriteRaw(dir / "lab.raw", LabelsIdx());
    StatusOr<MnistImages> read = ReadIdxImages(images);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(read->count, 3);
    EXPECT_EQ(read->rows, 2);
    EXPECT_EQ(read->cols, 3);
    ASSERT_EQ(read->pixels.size(), 18u);
    EXPECT_EQ(read->pixels[1], 40);
    EXPECT_EQ(read->pixels[17], (17 * 40) % 256);
    StatusOr<std::vector<uint8_t>> read_labels = ReadIdxLabels(labels);
    ASSERT_TRUE(read_labels.ok()) << read_labels.status().ToString();
    EXPECT_EQ(*read_labels, (std::vector<uint8_t>{7, 2, 1}));
  }
}

TEST(MnistTest, HeaderAndSizeErrorsNameTheFile) {
  const fs::path dir = testing::ScratchDir("mnist");
  auto expect_error = [](const StatusOr<MnistImages>& r, const std::string& file, const std::string& what) {
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(file), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  };
  expect_error(ReadIdxImages(WriteRaw(dir / "magic.raw", ImagesIdx(3, 2049))), "magic.raw", "bad magic");
  expect_error(ReadIdxImages(WriteGzip(dir / "labels_as_images.gz", LabelsIdx())), "labels_as_images.gz",
               "bad magic");
  const std::string full = ImagesIdx();
  expect_error(ReadIdxImages(WriteRaw(dir / "trunc.raw", full.substr(0, full.size() - 1))), "trunc.raw",
               "truncated");
  expect_error(ReadIdxImages(WriteGzip(dir / "trunc.gz", full.substr(0, 10))), "trunc.gz", "truncated");
  expect_error(ReadIdxImages(WriteRaw(dir / "extra.raw", full + "x")), "extra.raw", "unexpected data");
  // A header claiming a billion images in a tiny file: truncated, without allocating a gigabyte.
  expect_error(ReadIdxImages(WriteRaw(dir / "huge.raw", ImagesIdx(1u << 30))), "huge.raw", "");
  expect_error(ReadIdxImages(dir / "missing.gz"), "missing.gz", "does not exist");

  {
    WriteGzip(dir / "corrupt.gz", full);
    std::string bytes;
    std::ifstream in(dir / "corrupt.gz", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
    bytes[bytes.size() / 2] ^= 0x55;
    bytes.resize(bytes.size() - 4);
    WriteRaw(dir / "corrupt.gz", bytes);
  }
  EXPECT_FALSE(ReadIdxImages(dir / "corrupt.gz").ok());

  StatusOr<std::vector<uint8_t>> labels = ReadIdxLabels(WriteRaw(dir / "lab_magic.raw", ImagesIdx()));
  ASSERT_FALSE(labels.ok());
  EXPECT_NE(labels.status().message().find("lab_magic.raw"), std::string::npos);
}

TEST(MnistTest, NormalizeAndConvert) {
  const uint8_t pixels[3] = {0, 255, 51};
  float out[3];
  NormalizeMnistPixels(pixels, 3, MnistNormalization{}, out);
  EXPECT_EQ(out[0], -1.0f);
  EXPECT_EQ(out[1], 1.0f);
  EXPECT_EQ(out[2], static_cast<float>((51.0 / 255.0 - 0.5) / 0.5));
  EXPECT_FALSE(ValidateMnistNormalization(MnistNormalization{1, 0, 0}).ok());

  const fs::path dir = testing::ScratchDir("mnist");
  MnistConversion c;
  c.images = WriteGzip(dir / "img.gz", ImagesIdx());
  c.labels = WriteRaw(dir / "lab.raw", LabelsIdx());
  c.output_file = dir / "out.bin";
  c.normalization = {1.0, 0.0, 1.0};
  c.limit = 2;
  StatusOr<ConversionResult> result = ConvertMnist(c);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->written, 2);
  EXPECT_EQ(result->sample_dims, (std::vector<int64_t>{1, 2, 3}));
  StatusOr<DatasetReader> reader = DatasetReader::Open(c.output_file, std::vector<int64_t>{1, 2, 3});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(reader->num_samples(), 2);
  std::vector<float> images(12);
  std::vector<int64_t> labels(2);
  ASSERT_TRUE(reader->ReadBatch(0, 2, images.data(), labels.data()).ok());
  EXPECT_EQ(labels, (std::vector<int64_t>{7, 2}));
  EXPECT_EQ(images[7], 7 * 40 % 256);

  // Image and label counts must agree.
  c.labels = WriteRaw(dir / "lab2.raw", BigEndian(2049) + BigEndian(2) + std::string("\x01\x02", 2));
  c.output_file = dir / "mismatch.bin";
  EXPECT_FALSE(ConvertMnist(c).ok());
  EXPECT_FALSE(fs::exists(c.output_file));
}

}  // namespace
}  // namespace q2i
