#include "data_prep/image_preprocess.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <system_error>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace q2i {
namespace {

constexpr int kMaxSide = 16384;
// Cap on the intermediate (resize-short) image, so a 1 x 100000 strip cannot ask for gigabytes.
constexpr double kMaxResizedPixels = 1 << 28;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int ToCvInterpolation(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::kLinear: return cv::INTER_LINEAR;
    case Interpolation::kArea: return cv::INTER_AREA;
    case Interpolation::kCubic: return cv::INTER_CUBIC;
    case Interpolation::kLanczos: return cv::INTER_LANCZOS4;
    case Interpolation::kNearest: return cv::INTER_NEAREST;
  }
  return cv::INTER_LINEAR;
}

// Brings an 8-bit image to `channels` channels (BGR order for 3).
StatusOr<cv::Mat> ToChannels(const cv::Mat& image, int channels) {
  const int have = image.channels();
  cv::Mat out;
  if (have == channels) return image;
  if (channels == 3 && have == 1) {
    cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
  } else if (channels == 3 && have == 4) {
    cv::cvtColor(image, out, cv::COLOR_BGRA2BGR);
  } else if (channels == 1 && have == 3) {
    cv::cvtColor(image, out, cv::COLOR_BGR2GRAY);
  } else if (channels == 1 && have == 4) {
    cv::cvtColor(image, out, cv::COLOR_BGRA2GRAY);
  } else {
    return Unsupported("image has ", have, " channels; only 1, 3 (BGR) or 4 (BGRA) are supported");
  }
  return out;
}

StatusOr<std::vector<float>> PreprocessImageUnchecked(const cv::Mat& image, const ImagePreprocessOptions& o) {
  Q2I_ASSIGN_OR_RETURN(cv::Mat src, ToChannels(image, o.channels));
  const int interpolation = ToCvInterpolation(o.interpolation);
  cv::Mat sized;
  if (o.resize_short > 0) {
    const cv::Size resized_size = ResizeShortSize(src.cols, src.rows, o.resize_short);
    if (static_cast<double>(resized_size.width) * resized_size.height > kMaxResizedPixels) {
      return Unsupported("a ", src.cols, "x", src.rows, " image would be resized to ", resized_size.width, "x",
                         resized_size.height, ": too elongated");
    }
    if (resized_size.width < o.width || resized_size.height < o.height) {
      return InvalidArgument("image resized to ", resized_size.width, "x", resized_size.height,
                             " is smaller than the ", o.width, "x", o.height, " crop");
    }
    cv::Mat resized;
    cv::resize(src, resized, resized_size, 0, 0, interpolation);
    const int x0 = (resized_size.width - o.width) / 2;
    const int y0 = (resized_size.height - o.height) / 2;
    sized = resized(cv::Rect(x0, y0, o.width, o.height));
  } else {
    cv::resize(src, sized, cv::Size(o.width, o.height), 0, 0, interpolation);
  }

  const int c_count = o.channels;
  const size_t plane = static_cast<size_t>(o.height) * o.width;
  std::vector<float> out(plane * c_count);
  for (int c = 0; c < c_count; ++c) {
    // Source channel in the BGR mat for output channel c.
    const int src_c = (c_count == 3 && o.channel_order == ChannelOrder::kRGB) ? 2 - c : c;
    const double mean = o.mean.size() == 1 ? o.mean[0] : o.mean[c];
    const double stddev = o.std.size() == 1 ? o.std[0] : o.std[c];
    float* dst = out.data() + plane * c;
    for (int y = 0; y < o.height; ++y) {
      const uint8_t* row = sized.ptr<uint8_t>(y);
      for (int x = 0; x < o.width; ++x) {
        const double p = row[x * c_count + src_c];
        dst[static_cast<size_t>(y) * o.width + x] = static_cast<float>((p * o.scale - mean) / stddev);
      }
    }
  }
  return out;
}

}  // namespace

StatusOr<Interpolation> ParseInterpolation(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "linear" || n == "bilinear") return Interpolation::kLinear;
  if (n == "area") return Interpolation::kArea;
  if (n == "cubic" || n == "bicubic") return Interpolation::kCubic;
  if (n == "lanczos" || n == "lanczos4") return Interpolation::kLanczos;
  if (n == "nearest") return Interpolation::kNearest;
  return InvalidArgument("unknown interpolation '", name, "' (expected linear, area, cubic, lanczos or nearest)");
}

StatusOr<ChannelOrder> ParseChannelOrder(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "rgb") return ChannelOrder::kRGB;
  if (n == "bgr") return ChannelOrder::kBGR;
  return InvalidArgument("unknown channel order '", name, "' (expected RGB or BGR)");
}

Status ValidateImagePreprocessOptions(const ImagePreprocessOptions& o) {
  if (o.height <= 0 || o.width <= 0 || o.height > kMaxSide || o.width > kMaxSide) {
    return InvalidArgument("invalid output size ", o.height, "x", o.width, " (height x width, each 1..", kMaxSide,
                           ")");
  }
  if (o.channels != 1 && o.channels != 3) return InvalidArgument("channels must be 1 or 3, got ", o.channels);
  if (o.resize_short < 0 || o.resize_short > kMaxSide) {
    return InvalidArgument("invalid resize_short ", o.resize_short, " (0 = resize straight to the output size)");
  }
  if (o.resize_short > 0 && o.resize_short < std::max(o.height, o.width)) {
    return InvalidArgument("resize_short ", o.resize_short, " is smaller than the ", o.height, "x", o.width,
                           " center crop");
  }
  const auto check_values = [&](const std::vector<double>& v, const char* what) -> Status {
    if (v.size() != 1 && v.size() != static_cast<size_t>(o.channels)) {
      return InvalidArgument(what, " has ", v.size(), " values; expected 1 or ", o.channels, " (one per channel)");
    }
    for (double x : v) {
      if (!std::isfinite(x)) return InvalidArgument(what, " value ", x, " is not finite");
    }
    return OkStatus();
  };
  Q2I_RETURN_IF_ERROR(check_values(o.mean, "mean"));
  Q2I_RETURN_IF_ERROR(check_values(o.std, "std"));
  for (double s : o.std) {
    if (s == 0) return InvalidArgument("std values must be non-zero");
  }
  if (!std::isfinite(o.scale) || o.scale == 0) return InvalidArgument("scale must be finite and non-zero, got ", o.scale);
  return OkStatus();
}

cv::Size ResizeShortSize(int width, int height, int resize_short) {
  // Same arithmetic as Paddle's reader: percent = float(target) / min(w, h); int(round(side * percent)),
  // where Python's round() rounds halves to even, as std::nearbyint does in the default rounding mode.
  const double percent = static_cast<double>(resize_short) / std::min(width, height);
  return cv::Size(static_cast<int>(std::nearbyint(width * percent)),
                  static_cast<int>(std::nearbyint(height * percent)));
}

StatusOr<std::vector<float>> PreprocessImage(const cv::Mat& image, const ImagePreprocessOptions& options) {
  Q2I_RETURN_IF_ERROR(ValidateImagePreprocessOptions(options));
  if (image.empty()) return InvalidArgument("image is empty");
  if (image.dims != 2 || image.depth() != CV_8U) {
    return Unsupported("only 8-bit 2-D images are supported (got depth code ", image.depth(), ", ", image.dims,
                       " dims)");
  }
  try {
    return PreprocessImageUnchecked(image, options);
  } catch (const cv::Exception& e) {
    return InternalError("OpenCV failed while preprocessing a ", image.cols, "x", image.rows, " image: ", e.what());
  } catch (const std::bad_alloc&) {
    return InternalError("out of memory while preprocessing a ", image.cols, "x", image.rows, " image");
  }
}

StatusOr<std::vector<float>> PreprocessImageFile(const std::filesystem::path& path,
                                                 const ImagePreprocessOptions& options) {
  const std::string name = path.string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound("image '", name, "' does not exist");
  if (std::filesystem::is_directory(path, ec)) return IoError("image '", name, "' is a directory");
  cv::Mat image;
  try {
    image = cv::imread(name, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return IoError("cannot decode image '", name, "': ", e.what());
  }
  if (image.empty()) return IoError("cannot decode image '", name, "' (unreadable or not an image)");
  StatusOr<std::vector<float>> result = PreprocessImage(image, options);
  if (!result.ok()) return result.status().WithContext("image '" + name + "'");
  return result;
}

}  // namespace q2i
