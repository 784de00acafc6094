// Image -> CHW float32 preprocessing for classification models (Paddle's ImageNet recipe by default).
//
// Steps, in order:
//   1. bring the image to `channels` (gray -> BGR when 3 are requested, BGRA -> BGR, BGR -> gray for 1);
//   2. resize_short > 0: scale the short side to resize_short (each side round-half-even(side*scale),
//      scale = resize_short / min(w, h), like Python's round), then center-crop height x width with
//      offsets (new_w - width) / 2, (new_h - height) / 2 (integer division);
//      resize_short == 0: resize straight to height x width (no crop);
//   3. output channel c (in `channel_order`) = ((double)pixel * scale - mean[c]) / std[c], stored float.
// mean/std hold 1 value (used for every channel) or `channels` values (in output channel order).
// The defaults are Paddle's ImageNet preprocessing (up to PIL's LANCZOS differing slightly from
// OpenCV's INTER_LANCZOS4). Caffe: resize_short=0, BGR, mean {104,117,123}, std {1}, scale 1.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "support/status.h"

namespace q2i {

enum class Interpolation { kLinear, kArea, kCubic, kLanczos, kNearest };
enum class ChannelOrder { kRGB, kBGR };

StatusOr<Interpolation> ParseInterpolation(std::string_view name);  // linear|area|cubic|lanczos|nearest
StatusOr<ChannelOrder> ParseChannelOrder(std::string_view name);    // RGB|BGR (case-insensitive)

struct ImagePreprocessOptions {
  int height = 224;
  int width = 224;
  int channels = 3;        // 3 (color) or 1 (gray)
  int resize_short = 256;  // 0 = resize straight to height x width
  Interpolation interpolation = Interpolation::kLanczos;  // Paddle resizes with PIL LANCZOS
  ChannelOrder channel_order = ChannelOrder::kRGB;
  std::vector<double> mean = {0.485, 0.456, 0.406};
  std::vector<double> std = {0.229, 0.224, 0.225};
  double scale = 1.0 / 255.0;
};

// InvalidArgument naming the bad field (non-positive size, resize_short smaller than the crop, wrong
// mean/std count, zero std, ...).
Status ValidateImagePreprocessOptions(const ImagePreprocessOptions& options);

// Size after the resize-short step (step 2) for a w x h image.
cv::Size ResizeShortSize(int width, int height, int resize_short);

// `image`: 8-bit, 1, 3 (BGR) or 4 (BGRA) channels, as cv::imread returns. Result: channels*height*width
// floats, CHW.
StatusOr<std::vector<float>> PreprocessImage(const cv::Mat& image, const ImagePreprocessOptions& options);

// Decodes `path` with cv::imread (applies EXIF orientation) and preprocesses it. Errors name the file.
StatusOr<std::vector<float>> PreprocessImageFile(const std::filesystem::path& path,
                                                 const ImagePreprocessOptions& options);

}  // namespace q2i
