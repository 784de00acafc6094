// The built-in demo model: a small ResNet-like CNN for 3x32x32 images and 10 classes, in the layout a
// Paddle fluid FP32 inference program has (conv2d + batch_norm + relu, residual elementwise_add, global
// avg pool2d, reshape2, mul + elementwise_add, softmax). Weights are deterministic (seeded He-normal);
// the classifier (mul weight and bias) is fitted later from features (demo/make_demo.h).
#pragma once

#include <cstdint>

#include "ir/program.h"

namespace q2i::demo {

constexpr int kDemoClasses = 10;
constexpr int kDemoImageSize = 32;
constexpr int kDemoFeatures = 64;
// Name of the pooled-feature variable (input of the classifier) and of the logits.
inline constexpr const char* kFeatureVar = "pool_out.flat";
inline constexpr const char* kClassifierWeight = "fc_0.w_0";
inline constexpr const char* kClassifierBias = "fc_0.b_0";

ir::Program BuildDemoResNet(uint32_t seed);

}  // namespace q2i::demo
