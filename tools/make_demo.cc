// make_demo: writes the built-in demo (an FP32 ResNet-like model with a fitted classifier, a
// calibration set and a test set of synthetic images) for ./run.sh.
#include <gflags/gflags.h>

#include <cstdio>

#include "demo/make_demo.h"

DEFINE_string(output_dir, "demo", "Directory for fp32_model/, calib.bin and test.bin");
DEFINE_int32(seed, 7, "Seed of the model weights");
DEFINE_int32(test_images, 1000, "Images in test.bin");
DEFINE_int32(calib_images, 100, "Images in calib.bin");

int main(int argc, char** argv) {
  gflags::SetUsageMessage("make_demo --output_dir=DIR");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  q2i::demo::DemoOptions o;
  o.output_dir = FLAGS_output_dir;
  o.seed = static_cast<uint32_t>(FLAGS_seed);
  o.test_images = FLAGS_test_images;
  o.calib_images = FLAGS_calib_images;
  auto r = q2i::demo::MakeDemo(o);
  if (!r.ok()) {
    std::fprintf(stderr, "make_demo: error: %s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf("demo written to %s (FP32 training accuracy %.4f)\n", FLAGS_output_dir.c_str(), r->train_accuracy);
  return 0;
}
