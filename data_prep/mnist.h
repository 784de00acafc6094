// MNIST IDX files (big-endian headers, u8 payload), gzip-compressed or raw (detected automatically):
//   images: magic 2051, count, rows, cols, then count*rows*cols pixels row-major;
//   labels: magic 2049, count, then count labels.
// Headers, sizes and trailing data are validated; every error names the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "support/status.h"

namespace q2i {

struct MnistImages {
  int64_t count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols
};

StatusOr<MnistImages> ReadIdxImages(const std::filesystem::path& path);
StatusOr<std::vector<uint8_t>> ReadIdxLabels(const std::filesystem::path& path);

// value = ((double)pixel * scale - mean) / std, stored as float. The data_prep tool fills this from its
// --scale/--mean/--std flags; LeNet (input pixel/255*2-1) needs scale 1/255, mean 0.5, std 0.5.
struct MnistNormalization {
  double scale = 1.0 / 255.0;
  double mean = 0.5;
  double std = 0.5;
};

Status ValidateMnistNormalization(const MnistNormalization& normalization);

// Normalizes `count` pixels into `out` (count floats).
void NormalizeMnistPixels(const uint8_t* pixels, int64_t count, const MnistNormalization& normalization, float* out);

}  // namespace q2i
