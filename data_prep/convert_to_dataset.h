// Builds a dataset file (data_prep/dataset.h) from an image list or from MNIST IDX files. This is the
// whole data_prep tool minus flag parsing. The output file appears only when complete; on any error
// it is left untouched (an older file at that path stays as it was).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data_prep/image_preprocess.h"
#include "data_prep/mnist.h"
#include "support/status.h"

namespace q2i {

struct ImageListConversion {
  std::filesystem::path data_dir;    // image paths in the list are relative to it
  std::filesystem::path label_list;  // relative to data_dir unless absolute
  std::filesystem::path output_file;
  ImagePreprocessOptions preprocess;
  int64_t limit = 0;      // convert only the first `limit` list entries; 0 = all
  bool skip_bad = false;  // leave unreadable images out (counted) instead of failing
};

struct MnistConversion {
  std::filesystem::path images;  // IDX images, gzip or raw
  std::filesystem::path labels;  // IDX labels, gzip or raw
  std::filesystem::path output_file;
  MnistNormalization normalization;
  int64_t limit = 0;  // first `limit` samples; 0 = all
};

struct ConversionResult {
  int64_t written = 0;
  int64_t skipped = 0;
  std::vector<std::string> skip_reasons;  // one message per skipped image, naming it
  std::vector<int64_t> sample_dims;       // C, H, W of every written image
};

// Called after each sample (written or skipped) with (done, total).
using ConversionProgress = std::function<void(int64_t done, int64_t total)>;

StatusOr<ConversionResult> ConvertImageList(const ImageListConversion& conversion,
                                            const ConversionProgress& progress = {});
StatusOr<ConversionResult> ConvertMnist(const MnistConversion& conversion, const ConversionProgress& progress = {});

}  // namespace q2i
