// data_prep: converts an image list (Paddle's val_list.txt format) or MNIST IDX files into the binary
// dataset file read by the sample tester (format: data_prep/dataset.h). See docs/data_prep.md.
#include <gflags/gflags.h>

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "data_prep/convert_to_dataset.h"
#include "data_prep/number_parsing.h"
#include "data_prep/progress_bar.h"

DEFINE_string(data_dir, "", "Directory holding the images; list paths are relative to it");
DEFINE_string(label_list, "val_list.txt", "Image list '<relative/path> <label>' per line; relative to --data_dir unless absolute");
DEFINE_string(output_file, "", "Dataset file to write (required); written atomically");
DEFINE_int32(data_dim, 224, "Output height and width (unless --height/--width are given)");
DEFINE_int32(height, 0, "Output height (0 = --data_dim)");
DEFINE_int32(width, 0, "Output width (0 = --data_dim)");
DEFINE_int32(resize_short, 256, "Resize the short side to this, then center-crop; 0 = resize straight to the output size");
DEFINE_string(interpolation, "lanczos", "Resize interpolation: linear|area|cubic|lanczos|nearest (Paddle: lanczos)");
DEFINE_string(mean, "0.485,0.456,0.406", "Mean subtracted after scaling: 1 value or one per channel (output order)");
DEFINE_string(std, "0.229,0.224,0.225", "Std divided by after the mean: 1 value or one per channel (output order)");
DEFINE_string(scale, "1/255", "Pixel multiplier applied first (a number or a fraction, e.g. 1/255 or 1)");
DEFINE_string(channel_order, "RGB", "Output channel order: RGB or BGR");
DEFINE_string(mnist_images, "", "MNIST IDX images file (gzip or raw); needs --mnist_labels. LeNet: --mean=0.5 --std=0.5");
DEFINE_string(mnist_labels, "", "MNIST IDX labels file (gzip or raw); needs --mnist_images");
DEFINE_int64(limit, 0, "Convert only the first N samples (list entries); 0 = all");
DEFINE_bool(skip_bad, false, "Leave unreadable images out (counted) instead of failing");

namespace {

using q2i::InvalidArgument;
using q2i::Status;
using q2i::StatusOr;

StatusOr<q2i::ImagePreprocessOptions> PreprocessOptionsFromFlags() {
  q2i::ImagePreprocessOptions o;
  if (FLAGS_data_dim <= 0 || FLAGS_height < 0 || FLAGS_width < 0) {
    return InvalidArgument("--data_dim, --height and --width must be positive (got ", FLAGS_data_dim, ", ",
                           FLAGS_height, ", ", FLAGS_width, ")");
  }
  if (FLAGS_resize_short < 0) return InvalidArgument("--resize_short must be >= 0, got ", FLAGS_resize_short);
  o.height = FLAGS_height > 0 ? FLAGS_height : FLAGS_data_dim;
  o.width = FLAGS_width > 0 ? FLAGS_width : FLAGS_data_dim;
  o.resize_short = FLAGS_resize_short;
  Q2I_ASSIGN_OR_RETURN(o.interpolation, q2i::ParseInterpolation(FLAGS_interpolation));
  Q2I_ASSIGN_OR_RETURN(o.channel_order, q2i::ParseChannelOrder(FLAGS_channel_order));
  Q2I_ASSIGN_OR_RETURN(o.mean, q2i::ParseNumberList(FLAGS_mean, "--mean"));
  Q2I_ASSIGN_OR_RETURN(o.std, q2i::ParseNumberList(FLAGS_std, "--std"));
  Q2I_ASSIGN_OR_RETURN(o.scale, q2i::ParseNumber(FLAGS_scale, "--scale"));
  Status valid = q2i::ValidateImagePreprocessOptions(o);
  if (!valid.ok()) return valid.WithContext("bad preprocessing flags");
  return o;
}

StatusOr<q2i::MnistNormalization> MnistNormalizationFromFlags() {
  Q2I_ASSIGN_OR_RETURN(std::vector<double> mean, q2i::ParseNumberList(FLAGS_mean, "--mean"));
  Q2I_ASSIGN_OR_RETURN(std::vector<double> std, q2i::ParseNumberList(FLAGS_std, "--std"));
  if (mean.size() != 1 || std.size() != 1) {
    return InvalidArgument("MNIST images have 1 channel: give exactly one --mean and one --std value (got ",
                           mean.size(), " and ", std.size(), "); LeNet needs --mean=0.5 --std=0.5");
  }
  q2i::MnistNormalization n;
  n.mean = mean[0];
  n.std = std[0];
  Q2I_ASSIGN_OR_RETURN(n.scale, q2i::ParseNumber(FLAGS_scale, "--scale"));
  Q2I_RETURN_IF_ERROR(q2i::ValidateMnistNormalization(n));
  return n;
}

StatusOr<q2i::ConversionResult> Run() {
  if (FLAGS_output_file.empty()) return InvalidArgument("--output_file is required");
  if (FLAGS_limit < 0) return InvalidArgument("--limit must be >= 0 (0 = all), got ", FLAGS_limit);
  std::optional<q2i::ProgressBar> bar;
  const q2i::ConversionProgress progress = [&bar](int64_t done, int64_t total) {
    if (!bar) bar.emplace(std::cerr, total);
    bar->Update(done);
  };
  StatusOr<q2i::ConversionResult> result = InvalidArgument("no conversion ran");
  const bool mnist = !FLAGS_mnist_images.empty() || !FLAGS_mnist_labels.empty();
  if (mnist) {
    if (FLAGS_mnist_images.empty() || FLAGS_mnist_labels.empty()) {
      return InvalidArgument("--mnist_images and --mnist_labels must be given together");
    }
    if (!FLAGS_data_dir.empty()) return InvalidArgument("--data_dir cannot be combined with --mnist_images");
    q2i::MnistConversion c;
    c.images = FLAGS_mnist_images;
    c.labels = FLAGS_mnist_labels;
    c.output_file = FLAGS_output_file;
    c.limit = FLAGS_limit;
    Q2I_ASSIGN_OR_RETURN(c.normalization, MnistNormalizationFromFlags());
    result = q2i::ConvertMnist(c, progress);
  } else {
    if (FLAGS_data_dir.empty()) return InvalidArgument("--data_dir is required (or --mnist_images/--mnist_labels)");
    q2i::ImageListConversion c;
    c.data_dir = FLAGS_data_dir;
    c.label_list = FLAGS_label_list;
    c.output_file = FLAGS_output_file;
    c.limit = FLAGS_limit;
    c.skip_bad = FLAGS_skip_bad;
    Q2I_ASSIGN_OR_RETURN(c.preprocess, PreprocessOptionsFromFlags());
    result = q2i::ConvertImageList(c, progress);
  }
  if (bar) bar->Finish();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "converts images + label list, or MNIST IDX files, into a binary dataset file\n"
      "  data_prep --data_dir=DIR [--label_list=val_list.txt] --output_file=FILE [preprocessing flags]\n"
      "  data_prep --mnist_images=F --mnist_labels=F --mean=0.5 --std=0.5 --output_file=FILE");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc > 1) {
    std::cerr << "data_prep: error: unexpected argument '" << argv[1] << "' (flags look like --name=value)\n";
    return 1;
  }
  StatusOr<q2i::ConversionResult> result = Run();
  if (!result.ok()) {
    std::cerr << "data_prep: error: " << result.status().ToString() << "\n";
    return 1;
  }
  for (size_t i = 0; i < result->skip_reasons.size() && i < 20; ++i) {
    std::cerr << "data_prep: skipped: " << result->skip_reasons[i] << "\n";
  }
  if (result->skip_reasons.size() > 20) {
    std::cerr << "data_prep: ... and " << result->skip_reasons.size() - 20 << " more skipped images\n";
  }
  const auto& d = result->sample_dims;
  std::cout << "Success! The user data output binary file can be found at: " << FLAGS_output_file << "\n"
            << "Images written: " << result->written << " (" << d[0] << "x" << d[1] << "x" << d[2]
            << " float32 each), skipped: " << result->skipped << "\n";
  return 0;
}
