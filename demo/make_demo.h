// Generates the built-in demo: the FP32 demo model with a classifier fitted on synthetic training
// images (ridge regression of one-hot labels on the pooled features), plus a calibration set and a test
// set in the binary dataset format. The fake-quant model is then made by quant_post (run.sh).
#pragma once

#include <cstdint>
#include <filesystem>

#include "support/status.h"

namespace q2i::demo {

struct DemoOptions {
  std::filesystem::path output_dir;   // writes fp32_model/, calib.bin, test.bin
  uint32_t seed = 7;
  int train_per_class = 100;          // images used to fit the classifier
  int calib_images = 100;
  int test_images = 1000;
};

struct DemoResult {
  double train_accuracy = 0;  // of the fitted FP32 model on its training images
};

StatusOr<DemoResult> MakeDemo(const DemoOptions& options);

}  // namespace q2i::demo
